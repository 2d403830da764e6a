"""The rules scenarios of issue 4 through the real proxy, and hot reload while it runs."""

from __future__ import annotations

import datetime
import os
import time

import pytest
from proxy_harness import PAGE
from proxy_harness import Route
from proxy_harness import fetch_fields
from proxy_harness import preflight_fields
from proxy_harness import send

pytestmark = pytest.mark.integration

RULES = """
[[rules]]
name = "legacy 405"
match = { hosts = ["127.0.0.1"], paths = ["/legacy/*"], origins = ["http://localhost:3000"] }
allow_origin = "reflect"
preflight = "fix"
allow_methods = ["GET", "PUT"]
max_age = 60

[[rules]]
name = "wildcard with cookies"
match = { paths = ["/auth/*"], origins = ["http://localhost:3000"] }
allow_origin = "reflect"
preflight = "forward"

[[rules]]
name = "break it"
match = { paths = ["/strip/*"] }
strip = ["access-control-*"]

[[rules]]
name = "one origin"
match = { paths = ["/double/*"], origins = ["http://localhost:*"] }
allow_origin = "reflect"

[[rules]]
name = "answered"
match = { paths = ["/answer/*"], origins = ["http://localhost:3000"] }
allow_origin = "reflect"
preflight = "answer"
{reload}
"""
RELOAD_V1 = """
[[rules]]
name = "reload v1"
match = { paths = ["/reload/*"] }
allow_origin = "http://v1.test"
"""
RELOAD_V2 = RELOAD_V1.replace("v1", "v2").replace('"http://v2.test"', '"reflect"')


def rules_text(reload: str = RELOAD_V1) -> str:
    return RULES.replace("{reload}", reload)


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "cors-rules.toml"
    path.write_text(rules_text())
    return path


@pytest.fixture(scope="module")
def proxy(module_proxies, rules_file):
    return module_proxies.start("rules", ["--set", f"cors_rules={rules_file}"])


def logged_at(line: str) -> float:
    """The time of day of a "[HH:MM:SS.mmm] ..." line of mitmproxy's terminal log, as a
    timestamp of today (local time, as mitmproxy prints it)."""
    stamp = datetime.datetime.strptime(line[1:13], "%H:%M:%S.%f").time()
    return datetime.datetime.combine(datetime.date.today(), stamp).timestamp()


def where(url: str) -> str:
    return url.split("://", 1)[1]


def test_rules_loaded_at_start(proxy, rules_file):
    out = proxy.wait_stdout("rules active")
    assert f"cors: 6 of 6 rules active from {rules_file}" in out
    # every matched host is loopback: no warning about reflecting any origin
    assert "every site you visit" not in out


def test_server_answering_options_with_405_becomes_usable(proxy, api):
    url = api.add("/legacy/items", Route(405, [("Allow", "GET, PUT")], b"Method Not Allowed"),
                  method="OPTIONS")  # fmt: skip
    api.add("/legacy/items", Route(200, [("Content-Type", "application/json")], b"{}"), "PUT")
    reply = send(proxy.port, "OPTIONS", url, preflight_fields("PUT", "x-api-key"))
    assert reply.status == 204 and reply.body == b""
    assert reply.get_all("access-control-allow-origin") == [PAGE]
    assert reply.get("access-control-allow-methods") == "GET, PUT"
    assert reply.get("access-control-allow-headers") == "x-api-key"
    assert reply.get("access-control-max-age") == "60"
    put = fetch_fields(extra=[("X-Api-Key", "secret"), ("Content-Type", "text/plain")])
    reply = send(proxy.port, "PUT", url, put, b"hello")
    assert reply.status == 200 and reply.get_all("access-control-allow-origin") == [PAGE]
    assert [s.method for s in api.requests_to("/legacy/items")] == ["OPTIONS", "PUT"]

    pre, req = proxy.events_for(url, 2)
    assert pre["type"] == "preflight" and pre["verdict"] == "allowed"
    assert pre["rule"] == "legacy 405" and pre["status"] == 204
    assert pre["changes"]["status"] == [405, 204] and not pre["changes"]["answered"]
    assert pre["upstream"]["verdict"] == "blocked"
    assert pre["upstream"]["error"]["code"] == "PreflightMissingAllowOriginHeader"
    assert req["verdict"] == "allowed" and req["preflight"]["flow"] == pre["flow"]
    assert req["rule"] == "legacy 405"
    assert req["upstream"]["error"]["code"] == "MissingAllowOriginHeader"
    out = proxy.wait_stdout(f"[rule 'legacy 405'] PUT {where(url)}")
    assert (
        f"[rule 'legacy 405'] PREFLIGHT PUT {where(url)} from {PAGE}, because method PUT,"
        " header x-api-key -> allowed (cached 60 s) [server alone: blocked,"
        " PreflightMissingAllowOriginHeader]"
    ) in out


def test_wildcard_with_credentials_becomes_usable_with_reflect(proxy, api):
    url = api.add(
        "/auth/me",
        Route(
            204,
            [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "x-api-key"),
            ],
        ),
        method="OPTIONS",
    )
    api.add("/auth/me", Route(200, [("Access-Control-Allow-Origin", "*")], b'{"me": 1}'), "PUT")
    reply = send(proxy.port, "OPTIONS", url, preflight_fields())
    assert reply.get_all("access-control-allow-origin") == [PAGE]
    assert reply.get("access-control-allow-credentials") == "true"
    put = fetch_fields(extra=[("X-Api-Key", "k")], cookie="session=abc")
    reply = send(proxy.port, "PUT", url, put, b"x")
    assert reply.status == 200 and reply.body == b'{"me": 1}'
    assert reply.get_all("access-control-allow-origin") == [PAGE]
    assert reply.get("access-control-allow-credentials") == "true"
    assert "Origin" in (reply.get("vary") or "")
    pre, req = proxy.events_for(url, 2)
    assert pre["verdict"] == "allowed" and pre["rule"] == "wildcard with cookies"
    assert req["verdict"] == "allowed" and req["credentials"] == "include"
    assert req["upstream"]["error"]["code"] == "WildcardOriginNotAllowed"
    assert req["changes"]["added"]["access-control-allow-origin"] == PAGE
    # no orphan: the credentialed request followed its preflight and claimed it (a claimed
    # preflight no longer waits; an orphan is one whose window passed unclaimed)
    assert req["preflight"]["flow"] == pre["flow"]


def test_strip_reproduces_missing_allow_origin(proxy, api):
    url = api.add(
        "/strip/data",
        Route(200, [("Access-Control-Allow-Origin", PAGE), ("X-Id", "7")], b"data"),
    )
    reply = send(proxy.port, "GET", url, fetch_fields())
    assert reply.status == 200 and reply.body == b"data"
    assert reply.get("access-control-allow-origin") is None and reply.get("x-id") == "7"
    [event] = proxy.events_for(url)
    assert event["verdict"] == "blocked"
    assert event["error"]["code"] == "MissingAllowOriginHeader"
    assert event["rule"] == "break it"
    assert event["changes"]["removed"] == ["access-control-allow-origin"]
    assert event["upstream"] == {"verdict": "allowed", "error": None}
    assert [w["code"] for w in event["warnings"]] == ["rule-made-it-worse"]  # as asked
    proxy.wait_stdout(f"[rule 'break it' made it worse] GET {where(url)} from {PAGE} -> BLOCKED: ")


def test_doubled_allow_origin_is_reduced_to_one(proxy, api):
    url = api.add(
        "/double/x",
        Route(
            200,
            [
                ("Access-Control-Allow-Origin", PAGE),
                ("Content-Type", "text/plain"),
                ("Access-Control-Allow-Origin", PAGE),
            ],
            b"x",
        ),
    )
    reply = send(proxy.port, "GET", url, fetch_fields())
    assert reply.get_all("access-control-allow-origin") == [PAGE]
    [event] = proxy.events_for(url)
    assert event["verdict"] == "allowed"
    assert event["upstream"]["error"]["code"] == "MultipleAllowOriginValues"


def test_answered_preflight_never_reaches_the_server(proxy, api):
    url = api.add("/answer/x", Route(500, [], b"the server must not see the OPTIONS"))
    reply = send(proxy.port, "OPTIONS", url, preflight_fields("DELETE", "x-api-key"))
    assert reply.status == 204
    assert reply.get("access-control-allow-origin") == PAGE
    assert reply.get("access-control-allow-methods") == "DELETE"
    assert api.requests_to("/answer/x") == []
    [event] = proxy.events_for(url)
    assert event["changes"]["answered"] is True and event["verdict"] == "allowed"


def test_non_cors_traffic_untouched(proxy, api):
    url = api.add("/double/page", Route(200, [("X-Frame-Options", "DENY")], b"<html>"))
    reply = send(proxy.port, "GET", url, fetch_fields(mode="navigate", dest="document"))
    assert reply.get("access-control-allow-origin") is None
    reply = send(proxy.port, "GET", url, fetch_fields(origin=None))
    assert reply.get("access-control-allow-origin") is None


def test_hot_reload_within_a_second(proxy, api, rules_file):
    url = api.add("/reload/x", Route(200, [], b"x"))
    v1 = fetch_fields("http://v1.test")  # the origin the v1 rule grants (it grants no other)
    reply = send(proxy.port, "GET", url, v1)
    assert reply.get("access-control-allow-origin") == "http://v1.test"

    before = proxy.stdout().count("6 of 6 rules active")
    changed = time.time()
    rules_file.write_text(rules_text(RELOAD_V2))
    st = os.stat(rules_file)
    os.utime(rules_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a new mtime
    deadline = time.monotonic() + 5
    while send(proxy.port, "GET", url, fetch_fields()).get("access-control-allow-origin") != PAGE:
        assert time.monotonic() < deadline, "the new rule was never applied"
        time.sleep(0.05)
    # when the proxy reloaded, by its own log line's clock (our requests may be slow when
    # the machine is busy; the proxy's reaction is what is measured)
    [line] = [x for x in proxy.stdout().splitlines() if "6 of 6 rules active" in x][before:]
    assert (logged_at(line) - changed) % 86400 < 1.0, line

    rules_file.write_text(rules_text(RELOAD_V2) + "\n[[rules]]\nnme = 'typo'\n")  # broken
    out = proxy.wait_stdout("cors rules NOT reloaded", timeout=3)
    assert f"{rules_file}:" in out and '"name"' in out
    reply = send(proxy.port, "GET", url, fetch_fields())
    assert reply.get("access-control-allow-origin") == PAGE  # the previous rules stay

    rules_file.write_text(rules_text())  # fixed again
    deadline = time.monotonic() + 3
    while send(proxy.port, "GET", url, v1).get("access-control-allow-origin") != "http://v1.test":
        assert time.monotonic() < deadline
        time.sleep(0.05)
