// The demo page: call every endpoint of the broken API, show what JavaScript saw, then ask the
// page server for the proxy's events of this run (GET /events?run=<id>) and show its diagnosis.
// window.demo.runAll() does one run and resolves to its results (the browser tests call it);
// the page runs once on load unless the URL has ?manual.
"use strict";

const API = document.body.dataset.api;

const CALLS = [
  {
    id: "login", path: "/api/login", call: "POST, with credentials",
    wrong: "nothing: the exact origin and credentials are allowed (sets a session cookie)",
    init: { method: "POST", credentials: "include" },
  },
  {
    id: "profile", path: "/api/profile", call: "GET, with the session cookie",
    wrong: "Access-Control-Allow-Origin: * with credentials",
    init: { credentials: "include" },
  },
  {
    id: "news", path: "/api/news", call: "GET",
    wrong: "no Access-Control-Allow-Origin header at all",
    init: {},
  },
  {
    id: "items", path: "/api/items/1", call: "PUT, JSON body (preflighted)",
    wrong: "the server answers the preflight (OPTIONS) with 405",
    init: { method: "PUT", headers: { "Content-Type": "application/json" }, body: '{"name": "demo"}' },
  },
  {
    id: "search", path: "/api/search?q=cors", call: "GET with an X-Api-Key header (preflighted)",
    wrong: "the preflight answer does not allow the custom header",
    init: { headers: { "X-Api-Key": "demo-key" } },
  },
  {
    id: "stats", path: "/api/stats", call: "GET",
    wrong: "Access-Control-Allow-Origin sent twice (the app and a reverse proxy both add it)",
    init: {},
  },
];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function urlFor(call, run) {
  return API + call.path + (call.path.includes("?") ? "&" : "?") + "run=" + run;
}

async function callOne(call, url) {
  try {
    const r = await fetch(url, call.init);
    const body = await r.text();
    return { ok: true, status: r.status, body };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

async function eventsFor(run, urls) {
  // The proxy writes each event as the response passes it, so they are normally there
  // already; wait a little for stragglers.
  let events = [];
  for (let i = 0; i < 15; i++) {
    try {
      const r = await fetch("/events?run=" + encodeURIComponent(run));
      events = await r.json();
    } catch (e) {
      events = [];
    }
    const seen = new Set(events.map((e) => e.url));
    if (urls.every((u) => seen.has(u))) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return events;
}

function describeEvent(e) {
  const div = el("div", "event");
  const kind = e.type === "preflight" ? "preflight OPTIONS" : e.method;
  if (e.verdict === "blocked" && e.error) {
    div.append(el("span", "bad", kind + " blocked: "), el("span", "code", e.error.code));
    div.append(el("div", "", e.error.message));
    div.append(el("div", "fix", "Fix: " + e.error.fix));
  } else {
    div.append(el("span", "ok", kind + " " + e.verdict + (e.status ? " (" + e.status + ")" : "")));
  }
  if (e.rule) {
    div.append(el("div", "rule", "rewritten by rule \u201c" + e.rule + "\u201d"));
  }
  return div;
}

let running = false;

async function runAll() {
  if (running) return null;
  running = true;
  const status = document.getElementById("status");
  status.textContent = "running\u2026";
  const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 7);
  const tbody = document.querySelector("#calls tbody");
  tbody.textContent = "";
  const results = [];
  try {
    for (const call of CALLS) {
      const url = urlFor(call, run);
      const tr = el("tr");
      const td = el("td", "call");
      td.append(el("code", "", call.path.split("?")[0]), el("div", "muted", call.call));
      const js = el("td");
      const proxy = el("td", "muted", "\u2026");
      tr.append(td, el("td", "", call.wrong), js, proxy);
      tbody.append(tr);
      const outcome = await callOne(call, url);
      if (outcome.ok) js.append(el("span", "ok", "HTTP " + outcome.status));
      else js.append(el("span", "bad", outcome.error));
      results.push({ id: call.id, url, ...outcome, events: [], cell: proxy });
    }
    const events = await eventsFor(run, results.map((r) => r.url));
    for (const r of results) {
      r.events = events.filter((e) => e.url === r.url);
      r.cell.textContent = "";
      r.cell.className = "";
      if (r.events.length === 0) {
        r.cell.append(el("span", "bad", "No event from the proxy: this browser does not send its "
          + "localhost traffic through it. Start it with: python -m cors_addon browser"));
      }
      for (const e of r.events) r.cell.append(describeEvent(e));
      delete r.cell;
    }
    status.textContent = "done: " + results.filter((r) => r.ok).length + " of "
      + results.length + " calls succeeded";
    return { run, results };
  } finally {
    running = false;
  }
}

window.demo = { runAll, calls: CALLS };
document.getElementById("page-origin").textContent = location.origin;
document.getElementById("run").addEventListener("click", () => runAll());
if (!new URLSearchParams(location.search).has("manual")) {
  window.addEventListener("load", () => runAll());
}
