"""`python -m cors_addon check URL --origin O` against a local API: what reaches the
server, each engine's verdict, exit status, --json, --junit and the errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from check_helpers import PAGE
from check_helpers import reflect
from check_helpers import run_check
from proxy_harness import Route
from proxy_harness import Server

from cors_addon.check.sends import USER_AGENT

PREFLIGHT_OK = [
    ("Access-Control-Allow-Methods", "PUT, DELETE"),
    ("Access-Control-Allow-Headers", "x-api-key, content-type"),
]


def preflighted_api(server: Server) -> str:
    server.add("/items/1", Route(204, PREFLIGHT_OK, dynamic=reflect), method="OPTIONS")
    return server.add("/items/1", Route(200, [("X-Request-Id", "7")], b"{}", dynamic=reflect))


def test_allowed_everywhere_one_shared_exchange(server: Server) -> None:
    url = preflighted_api(server)
    r = run_check(url, "--origin", PAGE, "--method", "PUT", "-H", "X-Api-Key: k")
    assert r.code == 0, r.out + r.err
    # chromium, firefox and webkit send the same two requests: sent once each
    seen = [(s.method, s.path) for s in server.seen]
    assert seen == [("OPTIONS", "/items/1"), ("PUT", "/items/1")]
    pre = dict((n.lower(), v) for n, v in server.seen[0].headers)
    assert pre["access-control-request-method"] == "PUT"
    assert pre["access-control-request-headers"] == "x-api-key"
    assert pre["origin"] == PAGE and "cookie" not in pre
    actual = dict((n.lower(), v) for n, v in server.seen[1].headers)
    assert actual["x-api-key"] == "k" and actual["origin"] == PAGE
    assert actual["sec-fetch-mode"] == "cors" and actual["user-agent"] == USER_AGENT
    assert "(all engines) -> 204" in r.out and "(all engines) -> 200" in r.out
    verdicts = [line.split()[:2] for line in r.out.splitlines() if not line.startswith(" ")]
    for engine in ("chromium", "firefox", "webkit"):
        assert [engine, "allowed"] in verdicts
    assert "preflighted because: method PUT, header x-api-key" in r.out


def test_blocked_in_each_engines_words(server: Server) -> None:
    url = server.add("/items/2", Route(405, [], b"no"), method="OPTIONS")
    r = run_check(url, "--origin", PAGE, "--method", "DELETE")
    assert r.code == 1
    lines = r.out.splitlines()
    chromium = next(i for i, x in enumerate(lines) if x.startswith("chromium "))
    assert lines[chromium].endswith("at the preflight: PreflightMissingAllowOriginHeader")
    assert lines[chromium + 1] == (
        f"  console: Access to fetch at '{url}' from origin '{PAGE}' has been blocked by CORS"
        " policy: Response to preflight request doesn't pass access control check: No"
        " 'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    assert any(x.startswith("firefox ") and x.endswith(": CORSMissingAllowOrigin") for x in lines)
    # WebKit checks the preflight's status before its Allow-Origin (browser-engines.md)
    assert any(x.startswith("webkit ") and x.endswith(": preflight-status-not-ok") for x in lines)
    assert "fix:     Make OPTIONS /items/2 return 200 or 204 (it returned 405)" in r.out
    assert [s.method for s in server.seen] == ["OPTIONS"]  # the DELETE is never sent


def test_engines_that_differ_send_their_own_requests(server: Server) -> None:
    """DPR is safelisted in Chromium only: Chromium sends the GET, Firefox and WebKit
    share one preflight, which fails."""
    server.add("/img", Route(405), method="OPTIONS")
    url = server.add("/img", Route(200, dynamic=reflect))
    r = run_check(url, "--origin", PAGE, "-H", "DPR: 2")
    assert r.code == 1
    assert [s.method for s in server.seen] == ["GET", "OPTIONS"]
    assert f"GET {url}  (chromium) -> 200" in r.out
    assert f"OPTIONS {url}  (firefox and webkit) -> 405" in r.out
    assert "chromium  allowed" in r.out
    events = run_check(url, "--origin", PAGE, "-H", "DPR: 2", "--json").events()
    final = {e["flow"].split(".")[2]: e for e in events}
    assert final["chromium"]["verdict"] == "allowed"
    assert final["firefox"]["verdict"] == final["webkit"]["verdict"] == "blocked"
    assert final["firefox"]["preflight"]["headers"] == ["dpr"]


def test_json_events_follow_the_event_log_schema(server: Server, validate_event) -> None:
    url = preflighted_api(server)
    r = run_check(url, "--origin", PAGE, "--method", "PUT", "-H", "X-Api-Key: k", "--json")
    assert r.code == 0
    events = r.events()
    assert [(e["flow"], e["type"]) for e in events] == [
        (f"check.1.{engine}.{n}", kind)
        for engine in ("chromium", "firefox", "webkit")
        for n, kind in ((1, "preflight"), (2, "request"))
    ]
    for e in events:
        validate_event(e)
        assert e["mode"] == "cors" and e["origin"] == PAGE and e["verdict"] == "allowed"
    assert {e["browser"] for e in events} == {"chromium", "firefox", "webkit"}
    request = events[1]
    assert request["preflight"]["flow"] == "check.1.chromium.1"
    assert request["preflight"]["reasons"] == [
        {"code": "method-not-safelisted", "detail": "PUT"},
        {"code": "header-not-safelisted", "detail": "x-api-key"},
    ]
    assert "headers-not-exposed" in {w["code"] for w in request["warnings"]}
    assert r.out.count("\n") == len(events)  # nothing else on stdout


def test_credentials_include(server: Server) -> None:
    url = server.add("/me", Route(200, [("Access-Control-Allow-Origin", "*")]))
    r = run_check(url, "--origin", PAGE, "--credentials", "include", "-H", "Cookie: sid=1")
    assert r.code == 1
    assert "chromium  BLOCKED: WildcardOriginNotAllowed" in r.out
    assert "firefox   BLOCKED: CORSNotSupportingCredentials" in r.out
    assert dict(server.seen[0].headers)["Cookie"] == "sid=1"
    assert run_check(url, "--origin", PAGE).code == 0  # without credentials '*' is fine


def test_cross_origin_redirect_taints_origin(server: Server) -> None:
    """127.0.0.1 redirects to localhost (another origin): the next request carries
    Origin: null, and an Allow-Origin naming the page no longer matches."""
    target = f"http://localhost:{server.port}"
    server.add("/hop", Route(302, [("Location", f"{target}/to")], dynamic=reflect))
    server.add("/to", Route(200, dynamic=reflect))
    server.add("/to-page", Route(200, [("Access-Control-Allow-Origin", PAGE)]))
    server.add("/hop2", Route(302, [("Location", f"{target}/to-page")], dynamic=reflect))
    ok = run_check(server.url("/hop"), "--origin", PAGE)
    assert ok.code == 0, ok.out
    origins = [dict(s.headers)["Origin"] for s in server.seen]
    assert origins == [PAGE, "null"]
    blocked = run_check(server.url("/hop2"), "--origin", PAGE, "--json")
    assert blocked.code == 1
    last = blocked.events()[1]
    assert last["url"] == f"{target}/to-page" and last["origin"] == "null"
    assert last["redirected_from"] == server.url("/hop2")
    assert last["error"]["code"] == "AllowOriginMismatch"
    # Chromium's console names the page's origin, not "null"
    assert f"from origin '{PAGE}'" in last["error"]["console"]
    # a redirect without Allow-Origin is itself blocked: the target is never asked
    server.add("/bare-hop", Route(302, [("Location", f"{target}/to")]))
    bare = run_check(server.url("/bare-hop"), "--origin", PAGE)
    assert bare.code == 1 and "MissingAllowOriginHeader" in bare.out
    assert [s.path for s in server.seen].count("/to") == 1


def test_a_preflight_never_follows_a_redirect(server: Server) -> None:
    server.add("/moved", Route(307, [("Location", server.url("/else"))]), method="OPTIONS")
    r = run_check(server.url("/moved"), "--origin", PAGE, "--method", "PUT")
    assert r.code == 1
    assert "PreflightDisallowedRedirect" in r.out and "CORSExternalRedirectNotAllowed" in r.out
    assert [s.path for s in server.seen] == ["/moved"]


def test_junit_and_server_fix(server: Server, tmp_path: Path) -> None:
    server.add("/a", Route(200, [("X-Request-Id", "1")]))
    junit = tmp_path / "check.xml"
    r = run_check(server.url("/a"), "--origin", PAGE, "--junit", str(junit), "--server-fix")
    assert r.code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "3"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["chromium", "firefox", "webkit"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "MissingAllowOriginHeader"
    assert f"Server fix for {server.origin}" in r.out
    assert f'allow_origins=["{PAGE}"]' in r.out
    assert 'expose_headers=["x-request-id"]' in r.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give the URL to check"),
        (("http://127.0.0.1:1/",), "--origin is required"),
        (("ftp://x/", "--origin", PAGE), "is not an absolute http:// or https:// URL"),
        (("http://127.0.0.1:1/", "--origin", "localhost:3000"), "is not an origin"),
        (("http://127.0.0.1:1/", "--origin", PAGE + "/app"), "is not a serialized origin"),
        (("http://localhost:3000/x", "--origin", PAGE), "a same-origin request is never"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "-H", "X-Foo"), "expected 'Name: value'"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "-H", "Origin: x"), "use --origin"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "-H", "Sec-Fetch-Mode: x"), "forbidden"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "-H", "Cookie: a=1"), "--credentials include"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "--method", "TRACE"), "forbidden"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "--method", "G T"), "not an HTTP token"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "--browsers", "edge"), "unknown browser"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "--base", "http://x"), "go with --from"),
        (("http://127.0.0.1:1/", "--from", "x.jsonl"), "not both"),
        (("--from", "x.jsonl", "--origin", PAGE), "--origin describes one call"),
        (("http://127.0.0.1:1/", "--origin", PAGE, "--rate", "-1"), "--rate -1"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: tuple[str, ...], message: str) -> None:
    r = run_check(*argv)
    assert r.code == 2
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.err


def test_network_error_exits_2(server: Server) -> None:
    with Server() as closed:
        port = closed.port
    r = run_check(f"http://127.0.0.1:{port}/x", "--origin", PAGE, "--timeout", "2")
    assert r.code == 2
    assert r.err.strip() == (
        f"python -m cors_addon check: network error: http://127.0.0.1:{port}: connection refused"
    )


def test_safari_is_an_alias_of_webkit(server: Server) -> None:
    url = server.add("/s", Route(200, dynamic=reflect))
    r = run_check(url, "--origin", PAGE, "--browsers", "safari", "--json")
    assert r.code == 0
    assert [e["flow"] for e in r.events()] == ["check.1.webkit.1"]


def test_runs_as_a_subcommand_from_a_clean_environment(server: Server, tmp_path: Path) -> None:
    url = server.add("/sub", Route(200, dynamic=reflect))
    done = subprocess.run(
        [sys.executable, "-m", "cors_addon", "check", url, "--origin", PAGE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"check GET {url} from {PAGE}")


def test_network_errors_name_the_problem() -> None:
    """A server that never answers, and one that hangs up: one line each, exit status 2."""
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel does), never answers
    rude = socket.create_server(("127.0.0.1", 0))

    def hang_up() -> None:
        conn, _ = rude.accept()
        conn.recv(65536)
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        port = silent.getsockname()[1]
        r = run_check(f"http://127.0.0.1:{port}/x", "--origin", PAGE, "--timeout", "0.5")
        assert r.code == 2
        assert r.err.strip().endswith(f"127.0.0.1:{port}: no answer within 0.5 s")
        port = rude.getsockname()[1]
        r = run_check(f"http://127.0.0.1:{port}/x", "--origin", PAGE, "--browsers", "chromium")
        assert r.code == 2
        assert r.err.strip().endswith(": the server closed the connection without a response")
    finally:
        silent.close()
        rude.close()
