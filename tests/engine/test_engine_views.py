"""Each engine's view of a flow (engine/views.py, engine/sentences.py): preflight prediction,
verdict and the engine's own console lines, word for word as Firefox ESR 153 and WebKitGTK 2.50
printed them in the catalogue scenarios named in each case (tests/browser/scenarios). The live
suites (test_addon_vs_firefox.py, test_addon_vs_webkit.py) check the same against the browsers."""

from __future__ import annotations

from cors_addon.engine import CHROMIUM
from cors_addon.engine import FIREFOX
from cors_addon.engine import Headers
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine.browsers import WEBKIT
from cors_addon.engine.views import disagreement
from cors_addon.engine.views import engine_views
from cors_addon.engine.views import summary_suffix

PAGE = "http://127.0.0.1:8000"
B = "http://127.0.0.1:9000/c/x"
FF = (
    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
)


def req(method="GET", *headers, url=B + "/r", origin=PAGE, preflight_for=None):
    fields = [("Origin", origin), ("Sec-Fetch-Mode", "cors"), *headers]
    if preflight_for is not None:
        m, names = preflight_for
        fields.append(("Access-Control-Request-Method", m))
        if names:
            fields.append(("Access-Control-Request-Headers", names))
        method = "OPTIONS"
    return WireRequest(method, url, Headers(fields))


def resp(status=200, *headers):
    return WireResponse(status, Headers(list(headers)))


def views(r, response, primary=CHROMIUM, **kw):
    c = classify(r, primary)
    v = judge(r, c, response, primary)
    return engine_views(r, c, response, primary, v, **kw)


def test_every_engine_allows_a_good_response() -> None:
    out = views(req(), resp(200, ("Access-Control-Allow-Origin", "*")))
    assert out == {
        name: {"preflight": {"needed": False, "headers": []}, "verdict": "allowed", "error": None}
        for name in ("chromium", "firefox", "webkit")
    }
    assert disagreement(out) is None and summary_suffix(out) == ""


def test_acao_missing_in_each_engines_words() -> None:  # acao-missing
    out = views(req(), resp(200))
    assert out["chromium"]["error"] == {
        "code": "MissingAllowOriginHeader",
        "messages": [
            f"Access to fetch at '{B}/r' from origin '{PAGE}' has been blocked by CORS policy: No"
            " 'Access-Control-Allow-Origin' header is present on the requested resource.",
            "Failed to load resource: net::ERR_FAILED",
        ],
    }
    assert out["firefox"]["error"] == {
        "code": "CORSMissingAllowOrigin",
        "messages": [
            FF + f"{B}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing)."
            " Status code: 200."
        ],
    }
    assert out["webkit"]["error"] == {
        "code": "acao-missing",
        "messages": [
            f"Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 200",
            f"Fetch API cannot load {B}/r due to access control checks.",
        ],
    }


def test_failed_preflight_status_first_in_webkit() -> None:  # pf-404-no-cors
    out = views(req(preflight_for=("PUT", None)), resp(404))
    assert {e: v["verdict"] for e, v in out.items()} == dict.fromkeys(out, "blocked")
    assert out["chromium"]["error"]["code"] == "PreflightMissingAllowOriginHeader"
    assert out["firefox"]["error"] == {
        "code": "CORSMissingAllowOrigin",
        "messages": [
            FF + f"{B}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing)."
            " Status code: 404.",
            FF + f"{B}/r. (Reason: CORS request did not succeed). Status code: (null).",
        ],
    }
    assert out["webkit"]["error"] == {
        "code": "preflight-status-not-ok",
        "messages": [
            "Preflight response is not successful. Status code: 404",
            f"Fetch API cannot load {B}/r due to access control checks.",
        ],
    }


def test_preflight_redirect() -> None:  # pf-redirect-301
    out = views(req(preflight_for=("PUT", None)), resp(301, ("Location", B + "/b")))
    assert [m.split("(Reason: ")[1] for m in out["firefox"]["error"]["messages"]] == [
        "CORS request external redirect not allowed).",
        "CORS preflight response did not succeed). Status code: 301.",
        "CORS request did not succeed). Status code: (null).",
    ]
    assert out["firefox"]["error"]["code"] == "CORSExternalRedirectNotAllowed"
    assert out["webkit"]["error"]["messages"][0] == (
        "Preflight response is not successful. Status code: 301"
    )


def test_credentials_wildcard_quotes_the_url_in_firefox() -> None:  # cred-wildcard
    out = views(req("GET", ("Cookie", "a=b")), resp(200, ("Access-Control-Allow-Origin", "*")))
    assert out["firefox"]["error"]["messages"] == [
        FF + f"‘{B}/r’. (Reason: Credential is not supported if the CORS header"
        " ‘Access-Control-Allow-Origin’ is ‘*’)."
    ]
    assert out["webkit"]["error"]["messages"][0] == (
        "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true."
    )


def test_redirect_without_allow_origin() -> None:  # redir-302-no-acao
    out = views(req(), resp(302, ("Location", B + "/b")))
    assert out["firefox"]["error"]["messages"] == [
        FF
        + f"{B}/r. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 302.",
        FF + f"{B}/r. (Reason: CORS request did not succeed). Status code: (null).",
    ]
    assert out["webkit"]["error"]["messages"] == [
        f"Cross-origin redirection to {B}/b denied by Cross-Origin Resource Sharing policy:"
        f" Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 302",
        f"Fetch API cannot load {B}/r due to access control checks.",
    ]


def test_invalid_allow_methods_token() -> None:  # pf-acam-space
    r = req(preflight_for=("PUT", None))
    out = views(
        r,
        resp(
            204, ("Access-Control-Allow-Origin", PAGE), ("Access-Control-Allow-Methods", "GET POST")
        ),
    )
    assert out["firefox"]["error"]["messages"][0] == (
        FF + f"{B}/r. (Reason: invalid token ‘GET POST’ in CORS header"
        " ‘Access-Control-Allow-Methods’)."
    )
    assert out["webkit"]["error"]["messages"][0] == (
        "Header Access-Control-Allow-Methods has an invalid value: GET POST"
    )


def test_two_allow_origin_values_on_one_line() -> None:  # acao-comma
    out = views(req(), resp(200, ("Access-Control-Allow-Origin", f"{PAGE}, http://other.test")))
    assert out["firefox"]["error"]["code"] == "CORSAllowOriginNotMatchingOrigin"
    assert out["firefox"]["error"]["messages"][0].endswith(
        f"does not match ‘{PAGE}, http://other.test’)."
    )
    assert out["webkit"]["error"]["messages"][0] == (
        "Access-Control-Allow-Origin cannot contain more than one origin."
    )


def test_xhr_in_webkit_words() -> None:  # xhr-acao-missing
    r = req("GET", ("X-Requested-With", "XMLHttpRequest"))
    out = views(r, resp(200), primary=FIREFOX)
    assert out["webkit"]["error"]["messages"][1] == (
        f"XMLHttpRequest cannot load {B}/r due to access control checks."
    )


def test_chromium_safelisted_client_hints_are_preflighted_elsewhere() -> None:  # eng-dpr-fraction
    out = views(req("GET", ("DPR", "1.5")), resp(200, ("Access-Control-Allow-Origin", "*")))
    assert out["chromium"]["preflight"] == {"needed": False, "headers": []}
    assert out["firefox"]["preflight"] == {"needed": True, "headers": ["dpr"]}
    assert out["webkit"]["preflight"] == {"needed": True, "headers": ["dpr"]}


def test_webkit_takes_the_range_unit_in_any_case() -> None:  # eng-range-upper-unit
    out = views(req("GET", ("Range", "BYTES=0-1")), resp(206, ("Access-Control-Allow-Origin", "*")))
    assert out["chromium"]["preflight"]["needed"] is True
    assert out["firefox"]["preflight"]["needed"] is True
    assert out["webkit"]["preflight"] == {"needed": False, "headers": []}


def test_page_set_user_agent_disagreement() -> None:  # eng-ua-not-allowed, Firefox's preflight
    r = req(preflight_for=("GET", "user-agent"))
    out = views(r, resp(204, ("Access-Control-Allow-Origin", "*")), primary=FIREFOX)
    assert out["firefox"]["verdict"] == out["webkit"]["verdict"] == "blocked"
    assert out["firefox"]["error"]["messages"][0] == (
        FF + f"{B}/r. (Reason: header ‘user-agent’ is not allowed according to header"
        " ‘Access-Control-Allow-Headers’ from CORS preflight response)."
    )
    assert out["chromium"] == {
        "preflight": {"needed": False, "headers": []},
        "verdict": "unknown",
        "error": None,
    }
    w = disagreement(out)
    assert w is not None and w.code == "engines-disagree"
    assert w.message.startswith(
        "blocked in Firefox and WebKit (Safari); Chromium would send no preflight here: "
    )
    assert summary_suffix(out) == " [blocked only in Firefox and WebKit (Safari)]"


def test_script_user_agent_on_a_request_is_announced_by_firefox_and_webkit() -> None:
    r = req("GET", ("User-Agent", "my-agent/1.0"))
    out = views(r, resp(200, ("Access-Control-Allow-Origin", "*")), script_ua=True)
    assert out["chromium"]["preflight"] == {"needed": False, "headers": []}
    assert out["firefox"]["preflight"] == {"needed": True, "headers": ["user-agent"]}
    assert out["webkit"]["preflight"] == {"needed": True, "headers": ["user-agent"]}


def test_webkit_status_first_makes_a_different_error_not_a_different_verdict() -> None:
    # eng-pf-500-wrong-acao: Chromium and Firefox report the Allow-Origin, WebKit the status
    r = req(preflight_for=("PUT", None))
    out = views(r, resp(500, ("Access-Control-Allow-Origin", PAGE + "/")), primary=WEBKIT)
    assert out["chromium"]["error"]["code"] == "PreflightAllowOriginMismatch"
    assert out["firefox"]["error"]["messages"][0].endswith(f"does not match ‘{PAGE}/’).")
    assert out["webkit"]["error"]["messages"][0] == (
        "Preflight response is not successful. Status code: 500"
    )
    assert disagreement(out) is None


FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"


def test_pipeline_event_carries_engines_and_the_disagreement() -> None:
    """eng-ua-not-allowed through the Inspector: Firefox preflights the page-set User-Agent;
    the event says so for each engine, warns, and the terminal line and explanation show it."""
    import jsonschema

    from cors_addon.events import schema
    from cors_addon.pipeline import Inspector
    from cors_addon.pipeline import Seen
    from cors_addon.render import explanation
    from cors_addon.render import terminal_line

    r = req(preflight_for=("GET", "user-agent"))
    r = r._replace(headers=Headers([*r.headers.fields, ("User-Agent", FIREFOX_UA)]))
    inspector = Inspector()
    _, done = inspector.run(
        Seen(r, 1.0, client="c"), "f1", resp(204, ("Access-Control-Allow-Origin", "*"))
    )
    assert done is not None
    event = done.event
    jsonschema.validate(event, schema())
    assert event["browser"] == "firefox" and event["verdict"] == "blocked"
    assert [e["verdict"] for e in event["engines"].values()] == ["unknown", "blocked", "blocked"]
    assert "engines-disagree" in [w["code"] for w in event["warnings"]]
    assert "[blocked only in Firefox and WebKit (Safari)]" in terminal_line(event)
    text = explanation(event)
    assert "Chromium: unknown, no preflight" in text
    assert "Firefox: blocked, preflight user-agent; CORSMissingAllowHeaderFromPreflight: " in text


def test_page_set_user_agent_takes_the_engine_of_the_paired_preflight() -> None:
    from cors_addon.pipeline import Inspector
    from cors_addon.pipeline import Seen

    inspector = Inspector()
    pf = req(preflight_for=("GET", "user-agent"))
    pf = pf._replace(headers=Headers([*pf.headers.fields, ("User-Agent", FIREFOX_UA)]))
    grant = resp(
        204, ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "user-agent")
    )
    inspector.run(Seen(pf, 1.0, client="c"), "f1", grant)
    actual = req("GET", ("User-Agent", "my-agent/1.0"))
    _, done = inspector.run(
        Seen(actual, 1.1, client="c"), "f2", resp(200, ("Access-Control-Allow-Origin", "*"))
    )
    assert done is not None
    event = done.event
    assert event["browser"] == "firefox"
    assert event["preflight"]["flow"] == "f1"
    assert event["engines"]["firefox"]["preflight"] == {"needed": True, "headers": ["user-agent"]}
    assert event["engines"]["webkit"]["preflight"] == {"needed": True, "headers": ["user-agent"]}
    assert event["engines"]["chromium"]["preflight"] == {"needed": False, "headers": []}


def test_summary_counts_where_engines_disagree() -> None:
    from cors_addon.pipeline import Inspector
    from cors_addon.pipeline import Seen
    from cors_addon.summary import Summary

    r = req(preflight_for=("GET", "user-agent"))
    r = r._replace(headers=Headers([*r.headers.fields, ("User-Agent", FIREFOX_UA)]))
    _, done = Inspector().run(
        Seen(r, 1.0, client="c"), "f1", resp(204, ("Access-Control-Allow-Origin", "*"))
    )
    assert done is not None
    summary = Summary()
    summary.add(done.event)
    assert "engines disagree, blocked only in: firefox x1, webkit x1" in summary.render()


def test_a_nul_byte_fails_a_preflight_as_invalid_http_in_each_engines_words() -> None:
    # wpt-acao-nul-preflight, as Chromium 156, Firefox ESR 153 and WebKitGTK 2.50 printed it
    r = req(preflight_for=("PUT", ""))
    out = views(r, resp(204, ("Access-Control-Allow-Origin", PAGE + "\x00")))
    assert {e: v["verdict"] for e, v in out.items()} == dict.fromkeys(out, "invalid-http")
    assert out["chromium"]["error"] == {
        "code": "InvalidHttpResponse",
        "messages": ["Failed to load resource: net::ERR_INVALID_HTTP_RESPONSE"],
    }
    failed = FF + f"{B}/r. (Reason: CORS request did not succeed). Status code: (null)."
    assert out["firefox"]["error"] == {"code": "CORSDidNotSucceed", "messages": [failed, failed]}
    assert out["webkit"]["error"]["messages"] == [
        "Could not parse HTTP response",
        f"Fetch API cannot load {B}/r due to access control checks.",
    ]


def test_a_nul_byte_fails_an_actual_request_silently_in_webkit() -> None:
    # wpt-acao-nul-star: WebKit prints nothing, Firefox one line
    out = views(req(), resp(200, ("Access-Control-Allow-Origin", "\x00*")))
    assert out["webkit"]["verdict"] == "invalid-http"
    assert out["webkit"]["error"]["messages"] == []
    assert out["firefox"]["error"]["messages"] == [
        FF + f"{B}/r. (Reason: CORS request did not succeed). Status code: (null)."
    ]


def test_webkit_names_the_stored_status_after_a_304() -> None:
    # wpt-304-changes-acao: WebKit's line says 200, the cached response's status
    out = views(req(), resp(304, ("Access-Control-Allow-Origin", "other.origin.example:80")))
    assert out["webkit"]["error"]["messages"][0] == (
        f"Origin {PAGE} is not allowed by Access-Control-Allow-Origin. Status code: 200"
    )


def test_summary_counts_a_response_rejected_as_invalid_http() -> None:
    from cors_addon.pipeline import Inspector
    from cors_addon.pipeline import Seen
    from cors_addon.summary import Summary

    _, done = Inspector().run(
        Seen(req(), 1.0, client="c"), "f1", resp(200, ("Access-Control-Allow-Origin", "\x00*"))
    )
    assert done is not None and done.event["verdict"] == "invalid-http"
    summary = Summary()
    summary.add(done.event)
    assert "InvalidHttpResponse x1" in summary.render()


def test_webkit_names_a_preflight_answered_304_by_its_own_status() -> None:
    # wpt-pf-status-304: no revalidation, WebKit says 304
    out = views(req(preflight_for=("PUT", "")), resp(304, ("Access-Control-Allow-Origin", PAGE)))
    assert out["webkit"]["error"]["messages"][0] == (
        "Preflight response is not successful. Status code: 304"
    )
