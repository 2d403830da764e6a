"""The CORS engine: pure Python, no mitmproxy. Wire facts in, classification and verdict out.

req = WireRequest("PUT", "https://api.example/v1", Headers([("Origin", "https://app.example")]))
c = classify(req)                 # why would a browser preflight it?
v = judge(req, c, response)       # what does the browser decide about the response?
"""

from .browsers import BROWSER_CHOICES
from .browsers import CHROMIUM
from .browsers import FIREFOX
from .browsers import PROFILES
from .browsers import SAFARI
from .browsers import BrowserProfile
from .browsers import detect
from .browsers import profile_for
from .cache import CacheEntry
from .cache import PreflightCache
from .catalogue import ERRORS
from .catalogue import describe_reason
from .catalogue import describe_reasons
from .catalogue import render_error
from .checks import cors_check
from .checks import is_redirect
from .checks import location_url
from .checks import preflight_check
from .classify import classify
from .classify import not_cors_reason
from .classify import parse_header_list
from .classify import preflight_reasons
from .model import FAILED_VERDICTS
from .model import Classification
from .model import CorsError
from .model import CorsWarning
from .model import Failure
from .model import Headers
from .model import Preflight
from .model import Reason
from .model import Verdict
from .model import WireRequest
from .model import WireResponse
from .origins import address_space
from .origins import normalize_origin
from .origins import url_origin
from .verdict import judge
from .verdict import judge_preflight
from .verdict import judge_request

__all__ = [
    "BROWSER_CHOICES",
    "CHROMIUM",
    "ERRORS",
    "FAILED_VERDICTS",
    "FIREFOX",
    "PROFILES",
    "SAFARI",
    "BrowserProfile",
    "CacheEntry",
    "Classification",
    "CorsError",
    "CorsWarning",
    "Failure",
    "Headers",
    "Preflight",
    "PreflightCache",
    "Reason",
    "Verdict",
    "WireRequest",
    "WireResponse",
    "address_space",
    "classify",
    "cors_check",
    "describe_reason",
    "describe_reasons",
    "detect",
    "is_redirect",
    "judge",
    "judge_preflight",
    "judge_request",
    "location_url",
    "normalize_origin",
    "not_cors_reason",
    "parse_header_list",
    "preflight_check",
    "preflight_reasons",
    "profile_for",
    "render_error",
    "url_origin",
]
