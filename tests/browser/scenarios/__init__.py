"""Catalogue of CORS scenarios with what Chromium 156, Firefox ESR 153 and WebKitGTK 2.50 were
OBSERVED to do (through plain mitmdump).

Each `Scenario` says what the page does (`Request`), how the API answers (`routes`, keyed by the
last path segment under /c/<id>/), and what each engine decided: Chromium in `expect` (the
positional `E(...)`), Firefox in `firefox=`, WebKit in `webkit=`; `SAME` means "exactly what
Chromium did". `expect_for(engine)` resolves it. The observations were recorded with
record_facts.py and are kept honest by the per-engine ground-truth tests. `wpt=` names the
web-platform-tests file a scenario was drawn from (written fresh, not copied).

Placeholders, substituted per run (all loopback, ephemeral ports):
  {O}  origin of the page running the script     {A}  page server on 127.0.0.1 ("origin A")
  {A2} page server on 127.0.0.2 (cross-site page) {B}  API on 127.0.0.1 (same site as A)
  {X}  API on 127.0.0.2 (cross-site)              {BS} API over HTTPS on 127.0.0.1
  {Bu} {B} with userinfo `u:p@`                   {C}  the case's path prefix, /c/<id>
  {O_UPPER} the page origin upper-cased            {UA} the browser's own User-Agent
  {B_HOSTPORT} {B} without its scheme           {O_HOSTPORT} {O} without its scheme

`Expect.seen` lists what the servers received, in order, as "METHOD <server>/<name>", with
" cookie" when a Cookie header was sent, " origin=<v>" when the Origin header was not the page's
origin ("origin=-" when absent), " acrm=<M> acrh=<names|->" on every preflight after the first
(the first one's ACRH is `Expect.acrh`), and " <name>=<value>" for each of the scenario's
`check_headers` on non-preflight requests ({UA} is the browser's own User-Agent).
`Expect.issues` holds each engine's own error (see `Expect`).

Modules: core.py (the original catalogue), engines.py (where the engines differ), wpt_*.py
(drawn from web-platform-tests).
"""

from __future__ import annotations

from . import core
from . import engines
from . import wpt_cors
from . import wpt_fetch
from .vocab import ENGINES
from .vocab import FAILED
from .vocab import FF_FAILED
from .vocab import NET
from .vocab import SAME
from .vocab import WK_FAILED
from .vocab import XHR_FAILED
from .vocab import Conditional
from .vocab import Expect
from .vocab import Request
from .vocab import Same
from .vocab import Scenario

SCENARIOS: list[Scenario] = [
    *core.SCENARIOS,
    *engines.SCENARIOS,
    *wpt_fetch.SCENARIOS,
    *wpt_cors.SCENARIOS,
]

_ids = [s.id for s in SCENARIOS]
assert len(_ids) == len(set(_ids)), "scenario ids must be unique"

MODULES = (core, engines, wpt_fetch, wpt_cors)

__all__ = [
    "ENGINES",
    "FAILED",
    "FF_FAILED",
    "MODULES",
    "NET",
    "SAME",
    "SCENARIOS",
    "WK_FAILED",
    "XHR_FAILED",
    "Conditional",
    "Expect",
    "Request",
    "Same",
    "Scenario",
]
