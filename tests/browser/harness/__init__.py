"""Browser end-to-end harness: Chromium, Firefox ESR or WebKitGTK -> proxy under test -> loopback
servers.

See tests/browser/README.md for usage.
"""

from .cdp import CDPClient
from .cdp import CDPError
from .cdp import CDPSession
from .chromium import Chromium
from .chromium import find_chromium
from .engine_result import EngineResult
from .env import BaseEnv
from .firefox import find_firefox
from .firefox_env import FirefoxEnv
from .launched import launched_chromium
from .proxy import GUARD_SCRIPT
from .proxy import Proxy
from .proxy import default_argv
from .proxy import spki_pin
from .runner import PREFLIGHT_ERRORS
from .runner import CaseResult
from .runner import CorsIssue
from .runner import JsOutcome
from .runner import fetch_script
from .runner import run_case
from .runner import sequence_script
from .runner import xhr_script
from .servers import CaseServer
from .servers import Resp
from .servers import SeenRequest
from .servers import redirect
from .session import BrowserEnv
from .webkit import find_minibrowser
from .webkit_env import WebKitEnv

__all__ = [
    "GUARD_SCRIPT",
    "PREFLIGHT_ERRORS",
    "BaseEnv",
    "BrowserEnv",
    "CDPClient",
    "CDPError",
    "CDPSession",
    "CaseResult",
    "CaseServer",
    "Chromium",
    "CorsIssue",
    "EngineResult",
    "FirefoxEnv",
    "JsOutcome",
    "Proxy",
    "Resp",
    "SeenRequest",
    "WebKitEnv",
    "default_argv",
    "fetch_script",
    "find_chromium",
    "find_firefox",
    "find_minibrowser",
    "launched_chromium",
    "redirect",
    "run_case",
    "sequence_script",
    "spki_pin",
    "xhr_script",
]
