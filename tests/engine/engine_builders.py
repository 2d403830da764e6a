"""Builders shared by the engine tests: wire requests, responses and preflights.

The defaults are those of cors-reference.md section 7: the page is https://app.example, the
target https://api.example/r, the request a fetch() in mode cors (Sec-Fetch-Mode: cors) without
cookies.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence

import pytest

from cors_addon.engine import CHROMIUM
from cors_addon.engine import BrowserProfile
from cors_addon.engine import Classification
from cors_addon.engine import Headers
from cors_addon.engine import Reason
from cors_addon.engine import Verdict
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.engine import classify
from cors_addon.engine import judge

PAGE = "https://app.example"
API = "https://api.example/r"

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACRM = "Access-Control-Request-Method"
ACRH = "Access-Control-Request-Headers"

Field = tuple[str, str]


def req(method: str, url: str = API, *headers: Field) -> WireRequest:
    """A request with exactly these header fields."""
    return WireRequest(method, url, Headers(headers))


def cors_req(
    method: str = "GET",
    *headers: Field,
    url: str = API,
    origin: str | None = PAGE,
    mode: str | None = "cors",
    cookie: bool = False,
) -> WireRequest:
    """A fetch() as a browser puts it on the wire: Origin, Sec-Fetch-Mode, Cookie when the
    credentials mode is include (and a cookie exists), then the given fields."""
    fields: list[Field] = []
    if origin is not None:
        fields.append(("Origin", origin))
    if mode is not None:
        fields.append(("Sec-Fetch-Mode", mode))
    if cookie:
        fields.append(("Cookie", "sid=1"))
    fields.extend(headers)
    return WireRequest(method, url, Headers(fields))


def preflight_req(
    method: str,
    acrh: str | None = None,
    *extra: Field,
    url: str = API,
    origin: str = PAGE,
) -> WireRequest:
    """An OPTIONS preflight announcing `method` and (when given) `acrh`."""
    fields: list[Field] = [("Origin", origin), ("Sec-Fetch-Mode", "cors"), (ACRM, method)]
    if acrh is not None:
        fields.append((ACRH, acrh))
    fields.extend(extra)
    return WireRequest("OPTIONS", url, Headers(fields))


def preflight_of(actual: WireRequest, c: Classification) -> WireRequest:
    """The OPTIONS a browser sends before `actual`, built from the engine's prediction the
    way Chromium builds it (ACRH lower-case, sorted, comma-joined without spaces)."""
    acrh = ",".join(c.preflight.headers) if c.preflight.headers else None
    return preflight_req(c.preflight.method, acrh, url=actual.url, origin=c.origin or "null")


def resp(status: int = 200, *headers: Field) -> WireResponse:
    return WireResponse(status, Headers(headers))


def judged(
    request: WireRequest,
    response: WireResponse | None,
    profile: BrowserProfile = CHROMIUM,
    *,
    redirected_from: str | None = None,
) -> Verdict:
    """classify() then judge()."""
    c = classify(request, profile)
    return judge(request, c, response, profile, redirected_from=redirected_from)


def reason_ids(reasons: Iterable[Reason]) -> set[str]:
    """Reasons as 'code:detail' strings."""
    return {f"{r.code}:{r.detail}" for r in reasons}


def reason_codes(reasons: Iterable[Reason]) -> list[str]:
    return [r.code for r in reasons]


def warning_codes(verdict: Verdict) -> set[str]:
    return {w.code for w in verdict.warnings}


_PARAM = type(pytest.param())


def cases(table: Sequence[tuple]) -> list:
    """pytest parameters from `(id, *values)` rows; a pytest.param (regression row) passes."""
    return [row if isinstance(row, _PARAM) else pytest.param(*row[1:], id=row[0]) for row in table]


def regression(case_id: str, *values: object, reason: str):
    """A row the engine once got wrong, kept as a regression test; `reason` says what the
    rule is and where it comes from."""
    del reason  # documentation only
    return pytest.param(*values, id=case_id)
