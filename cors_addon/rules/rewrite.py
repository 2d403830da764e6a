"""What a matched rule does to a flow: a synthetic preflight answer, or a response Rewrite.

Grants add, only `strip` takes away. After `strip`, a rule that sets allow_origin adds to
what the server sent, for requests from an origin it covers ("reflect" and "*" cover every
origin, one exact origin only itself):

- Allow-Origin: the rule's value replaces the server's, unless the server's already grants
  as much to this request (it is this request's origin, or "*" where the rule sends "*");
- Allow-Credentials: "true" when the rule grants credentials; never removed;
- Allow-Methods, Allow-Headers, Expose-Headers: the server's list plus the rule's (a list
  the browser cannot parse grants nothing, and is replaced);
- a failing preflight (non-2xx, redirect) gets preflight_status under "fix";
- Max-Age (not a grant) is set; Allow-Private-Network and Vary: Origin are added.

So a rule never makes a response worse than the server's own unless it strips; `made_worse`
is the check the pipeline runs on every rewrite (warning rule-made-it-worse).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from cors_addon.engine import CorsWarning
from cors_addon.engine import Headers as WireHeaders
from cors_addon.engine import Verdict
from cors_addon.engine.checks import parse_token_list
from cors_addon.engine.classify import SAFELISTED_METHODS
from cors_addon.engine.memo import Memo
from cors_addon.engine.verdict import SAFELISTED_RESPONSE_HEADERS
from cors_addon.engine.warnings import warning
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
_TRIM = " \t\r\n\v\f"

Headers = list[tuple[str, str]]


def covers_origin(rule: Rule, facts: FlowFacts) -> bool:
    """The rule grants anything to this request: "reflect" and "*" cover every origin, one
    exact origin only itself. A rule that does not cover a request only strips."""
    return rule.allow_origin in ("reflect", "*") or rule.allow_origin == facts.origin


def _credentials(rule: Rule, facts: FlowFacts) -> bool:
    """Does the rule add Access-Control-Allow-Credentials: true? (false: add none)"""
    if rule.allow_credentials != "auto":
        return rule.allow_credentials
    return rule.allow_origin != "*" and (facts.is_preflight or facts.credentials)


def _vary(headers: Headers) -> str | None:
    """The Vary value with Origin merged in, or None if it already covers Origin."""
    values = [v.strip() for n, v in headers if n.lower() == "vary" and v.strip()]
    tokens = {t.strip().lower() for v in values for t in v.split(",")}
    if "origin" in tokens or "*" in tokens:
        return None
    return ", ".join([*values, "Origin"])


def _exposed(headers: Headers) -> tuple[str, ...]:
    """expose_headers = "all": the response's names as sent, less those exposing cannot change
    (safelisted, Set-Cookie, access-control-*)."""
    names: dict[str, None] = {}
    for name, _ in headers:
        n = name.lower()
        if n not in _NOT_EXPOSED and not n.startswith("access-control-"):
            names[n] = None
    return tuple(names)


def _union(server: str | None, added: Iterable[str], key: Callable[[str], str]) -> str | None:
    """The server's list (Allow-Methods, -Headers, Expose-Headers) plus the rule's items, or
    None when the server's already has them all. A server list the browser cannot parse
    grants nothing: the rule's items replace it. An item that is no token (a request header
    name with a control byte) cannot be listed: it is left out, not left to spoil the list."""
    added = [item for item in added if item and parse_token_list(item)]
    items = parse_token_list(server)
    valid = items is not None
    merged = list(items) if items is not None else []
    have = {key(i) for i in merged}
    for item in added:
        if item and key(item) not in have:
            merged.append(item)
            have.add(key(item))
    if valid and len(merged) == len(items or ()):
        return None
    return ", ".join(merged)


def _same(item: str) -> str:
    return item


def _names(value: str | tuple[str, ...], reflected: Iterable[str]) -> Iterable[str]:
    if value == "reflect":
        return reflected
    if isinstance(value, tuple):
        return value
    return (value,)  # "*"


def _requested_headers(facts: FlowFacts) -> tuple[str, ...]:
    return tuple(h.strip(_TRIM) for h in (facts.acrh or "").split(",") if h.strip(_TRIM))


def _grant(rule: Rule, facts: FlowFacts, headers: Headers) -> Headers:
    """The CORS fields to set on top of the (stripped) server fields: each replaces the
    server's fields of that name, and none grants less than they did."""
    assert rule.allow_origin is not None
    server = WireHeaders(headers)
    reflect = rule.allow_origin == "reflect"
    wanted = facts.origin if reflect else rule.allow_origin
    current = server.get("access-control-allow-origin")
    current = current.strip(_TRIM) if current is not None else None
    out: Headers = []
    if current == facts.origin or (current == "*" and wanted == "*"):
        acao = current  # the server's grants this request as much: kept
    else:
        acao = wanted
        out.append((ACAO, wanted))
    if acao != "*" and _credentials(rule, facts):
        acac = server.get("access-control-allow-credentials")
        if acac is None or acac.strip(_TRIM) != "true":
            out.append((ACAC, "true"))
    vary = _vary(headers) if reflect else None
    if facts.is_preflight:
        methods = _names(rule.allow_methods, (facts.method,))
        names = _names(rule.allow_headers, _requested_headers(facts))
        optional = [
            (ACAM, _union(server.get("access-control-allow-methods"), methods, _same)),
            (ACAH, _union(server.get("access-control-allow-headers"), names, str.lower)),
            (ACMA, None if rule.max_age is None else str(rule.max_age)),
            (ACAPN, "true" if rule.allow_private_network else None),
        ]
    else:
        if rule.expose_headers == "all":
            expose: Iterable[str] = _exposed([*headers, ("Vary", vary)] if vary else headers)
        else:
            expose = _names(rule.expose_headers, ())
        optional = [(ACEH, _union(server.get("access-control-expose-headers"), expose, str.lower))]
    out.extend((n, v) for n, v in optional if v is not None)
    if vary:
        out.append(("Vary", vary))
    return out


def answers(rule: Rule, facts: FlowFacts) -> bool:
    """preflight = "answer" answers a preflight only when the rule's own answer allows it
    (its origin, its method and every header it announces); any other preflight goes to the
    server, and the rule adds to its response as under "fix"."""
    if rule.preflight != "answer" or rule.allow_origin is None or not covers_origin(rule, facts):
        return False
    methods = rule.allow_methods
    if not (
        methods in ("reflect", "*")
        or facts.method in methods
        or facts.method.upper() in SAFELISTED_METHODS
    ):
        return False
    allowed = rule.allow_headers
    if allowed in ("reflect", "*"):
        return True
    listed = {h.lower() for h in allowed}
    return all(h.lower() in listed for h in _requested_headers(facts))


def answer_preflight(rule: Rule, facts: FlowFacts) -> tuple[int, Headers] | None:
    """The complete response for preflight = "answer": (status, headers); None when the rule
    does not answer this preflight (see `answers`)."""
    if not answers(rule, facts):
        return None
    headers = _grant(rule, facts, [])
    return rule.preflight_status, [*headers, ("Content-Length", "0")]


_rewrites = Memo()


def rewrite_response(
    rule: Rule, facts: FlowFacts, status: int, headers: Iterable[tuple[str, str]]
) -> Rewrite | None:
    """The changes `rule` makes to a server response; None if it changes nothing.

    Memoized on what it reads: the rule (by identity, checked on every hit, so a reloaded
    file's rules never meet an old entry), the flow's origin, method, preflight-ness,
    announced headers and credentials, the status and the header fields.
    """
    fields = tuple(headers)
    key = (
        id(rule),
        facts.origin,
        facts.method,
        facts.is_preflight,
        facts.acrh,
        facts.credentials,
        status,
        fields,
    )
    hit = _rewrites.get(key)
    if hit is not None and hit[0] is rule:
        return hit[1]
    rewrite = _rewrite_response(rule, facts, status, fields)
    _rewrites.put(key, (rule, rewrite))
    return rewrite


def _rewrite_response(
    rule: Rule, facts: FlowFacts, status: int, headers: Iterable[tuple[str, str]]
) -> Rewrite | None:
    """The changes `rule` makes to a server response; None if it changes nothing.

    A preflight response under preflight = "answer" (the proxy did not answer it: the rule
    does not allow all it asks, or an offline what-if run) is treated like "fix".
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
    if rule.allow_origin is not None and covers_origin(rule, facts):
        fields = _grant(rule, facts, kept)
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


_RANK = {"blocked": 0, "unknown": 1, "allowed": 2}


def made_worse(server: Verdict, sent: Verdict) -> bool:
    """The verdict on what the browser received is worse than the one on the server's own
    response: blocked where it was allowed, or allowed only without credentials where the
    server's passed with them too."""
    before, after = _RANK.get(server.verdict), _RANK.get(sent.verdict)
    if before is None or after is None:
        return False
    if after != before:
        return after < before
    return (
        after == _RANK["allowed"]
        and server.error_with_credentials is None
        and sent.error_with_credentials is not None
    )


def _outcome(verdict: Verdict) -> str:
    if verdict.error is not None:
        return f"{verdict.verdict} ({verdict.error.code})"
    alternative = verdict.error_with_credentials
    if alternative is not None:
        return f"{verdict.verdict} only without credentials ({alternative.code})"
    return verdict.verdict


def worse_than_the_server(
    rule: Rule, server: Verdict, sent: Verdict, removed: list[str]
) -> tuple[CorsWarning, ...]:
    """The warning rule-made-it-worse when the verdict on what the browser receives is worse
    than on the server's own response (`removed`: the names the rewrite took out)."""
    if not made_worse(server, sent):
        return ()
    values = {"rule": rule.name, "server": _outcome(server), "sent": _outcome(sent)}
    if rule.strip and removed:
        return (warning("rule-made-it-worse", "strip", removed=", ".join(removed), **values),)
    return (warning("rule-made-it-worse", **values),)
