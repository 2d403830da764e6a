"""A response the browser's HTTP parser rejects gets its own verdict, never a CORS error
(issue 18; WPT cors/origin.htm sends Allow-Origin values with a NUL byte)."""

from __future__ import annotations

import pytest
from engine_builders import ACAM
from engine_builders import ACAO
from engine_builders import PAGE
from engine_builders import cors_req
from engine_builders import judged
from engine_builders import preflight_req
from engine_builders import resp

from cors_addon.engine.browsers import CHROMIUM
from cors_addon.engine.browsers import FIREFOX
from cors_addon.engine.browsers import SAFARI


@pytest.mark.parametrize(
    "value",
    [PAGE + "\x00", "\x00*", "*\x00", "\x00"],
    ids=["trailing", "nul-star", "star-nul", "only"],
)
def test_nul_in_allow_origin_is_invalid_http(value):
    v = judged(cors_req("GET"), resp(200, (ACAO, value)))
    assert v.verdict == "invalid-http"
    assert v.error.code == "InvalidHttpResponse"
    assert v.error.message == (
        "The browser rejects this response as invalid HTTP before CORS runs: a NUL byte in the"
        " access-control-allow-origin header."
    )
    assert v.error.console == "Failed to load resource: net::ERR_INVALID_HTTP_RESPONSE"
    assert v.error.firefox == "CORSDidNotSucceed"
    assert "CORS headers cannot help" in v.error.fix
    assert v.warnings == ()


def test_nul_in_any_header_counts():
    """The parser rejects the whole response, whatever header holds the byte."""
    v = judged(cors_req("GET"), resp(200, (ACAO, "*"), ("X-Note", "a\x00b")))
    assert v.verdict == "invalid-http"
    assert v.error.message.endswith("a NUL byte in the x-note header.")


def test_nul_in_a_preflight_is_invalid_http():
    answer = resp(204, (ACAO, PAGE + "\x00"), (ACAM, "PUT"))
    for profile in (CHROMIUM, FIREFOX, SAFARI):
        v = judged(preflight_req("PUT"), answer, profile)
        assert v.verdict == "invalid-http"
        assert v.error.code == "InvalidHttpResponse"


@pytest.mark.parametrize("byte", ["\t", "\x01", "\x7f", "\r"])
def test_other_control_bytes_are_left_to_cors(byte):
    """Only what the engines were seen to reject counts: \x01, \x7f and a lone CR pass in all
    three (eng-http-ctl-byte, eng-http-del-byte, eng-http-lone-cr)."""
    v = judged(cors_req("GET"), resp(200, (ACAO, "*"), ("X-Bad", f"a{byte}b")))
    assert v.verdict == "allowed"


TWO_LOCATIONS = resp(302, (ACAO, "*"), ("Location", "/b"), ("Location", "/c"))


def test_two_different_locations_are_invalid_http_in_chromium_and_firefox():
    for profile in (CHROMIUM, FIREFOX):
        v = judged(cors_req("GET"), TWO_LOCATIONS, profile)
        assert v.verdict == "invalid-http"
        assert v.error.code == "InvalidHttpResponse"
        assert v.error.message.endswith("before CORS runs: 2 different location header lines.")
        assert v.error.console == (
            "Failed to load resource: net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION"
        )


def test_webkit_follows_two_locations_combined():
    """WebKit joins the two values and follows that URL (eng-http-two-locations)."""
    v = judged(cors_req("GET"), TWO_LOCATIONS, SAFARI)
    assert v.verdict == "allowed"


def test_repeated_equal_location_lines_are_valid():
    v = judged(cors_req("GET"), resp(302, (ACAO, "*"), ("Location", "/b"), ("Location", "/b")))
    assert v.verdict == "allowed"


def test_two_content_dispositions():
    fields = [("Content-Disposition", "inline"), ("Content-Disposition", "attachment")]
    v = judged(cors_req("GET"), resp(200, (ACAO, "*"), *fields))
    assert v.verdict == "invalid-http"
    assert v.error.console.endswith("net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION")


def test_not_cors_stays_not_cors():
    v = judged(cors_req("GET", origin=None, mode="no-cors"), resp(200, (ACAO, "\x00")))
    assert v.verdict == "not-cors"
