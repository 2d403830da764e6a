"""What a matched rule does to a flow: a synthetic preflight answer, or a response Rewrite."""

from __future__ import annotations

from collections.abc import Iterable

from cors_addon.engine.verdict import SAFELISTED_RESPONSE_HEADERS
from cors_addon.rules.model import FlowFacts
from cors_addon.rules.model import Rewrite
from cors_addon.rules.model import Rule

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"
# Not worth exposing: readable anyway, never readable (cookies), or CORS headers themselves.
_NOT_EXPOSED = SAFELISTED_RESPONSE_HEADERS | {"set-cookie", "set-cookie2"}

Headers = list[tuple[str, str]]


def _names(value: str | tuple[str, ...], reflected: str | None) -> str | None:
    if value == "reflect":
        return reflected or None
    if isinstance(value, tuple):
        return ", ".join(value) or None
    return value


def _credentials(rule: Rule, facts: FlowFacts) -> bool | None:
    """True: send ACAC: true. False: remove it. None: leave the server's."""
    if rule.allow_credentials != "auto":
        return rule.allow_credentials
    if rule.allow_origin == "*":
        return None
    return True if facts.is_preflight or facts.credentials else None


def _vary(headers: Headers) -> str | None:
    """The Vary value with Origin merged in, or None if it already covers Origin."""
    values = [v.strip() for n, v in headers if n.lower() == "vary" and v.strip()]
    tokens = {t.strip().lower() for v in values for t in v.split(",")}
    if "origin" in tokens or "*" in tokens:
        return None
    return ", ".join([*values, "Origin"])


def _exposed(headers: Headers) -> str | None:
    """expose_headers = "all": the response's names as sent, less those exposing cannot change
    (safelisted, Set-Cookie, access-control-*)."""
    names: dict[str, None] = {}
    for name, _ in headers:
        n = name.lower()
        if n not in _NOT_EXPOSED and not n.startswith("access-control-"):
            names[n] = None
    return ", ".join(names) or None


def _grant(rule: Rule, facts: FlowFacts, headers: Headers) -> tuple[Headers, list[str]]:
    """The CORS fields to set and the names to remove, given the (stripped) server fields."""
    assert rule.allow_origin is not None
    reflect = rule.allow_origin == "reflect"
    out: Headers = [(ACAO, facts.origin if reflect else rule.allow_origin)]
    removed: list[str] = []
    credentials = _credentials(rule, facts)
    if credentials:
        out.append((ACAC, "true"))
    elif credentials is False:
        removed.append(ACAC.lower())
    vary = _vary(headers) if reflect else None
    if facts.is_preflight:
        optional = [
            (ACAM, _names(rule.allow_methods, facts.method)),
            (ACAH, _names(rule.allow_headers, facts.acrh)),
            (ACMA, None if rule.max_age is None else str(rule.max_age)),
            (ACAPN, "true" if rule.allow_private_network else None),
        ]
    elif rule.expose_headers == "all":
        optional = [(ACEH, _exposed([*headers, ("Vary", vary)] if vary else headers))]
    else:
        optional = [(ACEH, _names(rule.expose_headers, None))]
    out.extend((n, v) for n, v in optional if v is not None)
    if vary:
        out.append(("Vary", vary))
    return out, removed


def answer_preflight(rule: Rule, facts: FlowFacts) -> tuple[int, Headers]:
    """The complete response for preflight = "answer": (status, headers)."""
    headers, _ = _grant(rule, facts, [])
    return rule.preflight_status, [*headers, ("Content-Length", "0")]


def rewrite_response(
    rule: Rule, facts: FlowFacts, status: int, headers: Iterable[tuple[str, str]]
) -> Rewrite | None:
    """The changes `rule` makes to a server response; None if it changes nothing.

    A preflight response under preflight = "answer" (the proxy did not answer it, as in an
    offline what-if run) is treated like "fix".
    """
    original = list(headers)
    if not facts.is_preflight and not rule.errors and status >= 400:
        return None
    if rule.strip:
        stripped = [n.lower() for n, _ in original if any(g.matches(n) for g in rule.strip)]
        kept = [(n, v) for n, v in original if n.lower() not in stripped]
    else:
        stripped, kept = [], original
    new_status: int | None = None
    fields: Headers = []
    removed = list(dict.fromkeys(stripped))
    if rule.allow_origin is not None:
        fields, extra = _grant(rule, facts, kept)
        removed += extra
        if facts.is_preflight and rule.preflight != "forward" and not 200 <= status <= 299:
            new_status = rule.preflight_status
            removed.append("location")
    set_names = {n.lower() for n, _ in fields}
    values: dict[str, list[str]] = {}  # the original values by lower-case name
    for n, v in original:
        values.setdefault(n.lower(), []).append(v)
    present = values.keys()
    changed = tuple((n, v) for n, v in fields if values.get(n.lower(), []) != [v])
    gone = tuple(dict.fromkeys(n for n in removed if n in present and n not in set_names))
    if new_status is None and not changed and not gone:
        return None
    return Rewrite(new_status, changed, gone)


def apply_rewrite(headers: Iterable[tuple[str, str]], rewrite: Rewrite) -> Headers:
    """The header list after `rewrite`: a set field takes the place of the first old one."""
    pending = {n.lower(): (n, v) for n, v in rewrite.set}
    replaced = {*pending, *rewrite.removed}
    out: Headers = []
    for name, value in headers:
        n = name.lower()
        if n in pending:
            out.append(pending.pop(n))
        elif n not in replaced:
            out.append((name, value))
    out.extend(pending.values())
    return out
