"""Rules from traffic: a rules.toml that unblocks the blocked flows of a capture, proven on
that capture to make no allowed flow worse.

A rule matches endpoints: host:port, page origin, path and method (for a preflight, the
method it announced). The rules are made of the endpoints with blocked flows a header rule
can fix (needs.UNFIXABLE lists the others), one group per (server, page origin, credentials
or not), so credentials are granted only where a flow proves them. Within a group, the
endpoints of one method always share a rule (its paths × that method are exactly those
endpoints), and so do methods with the same paths. Anything broader (rules merged across
paths and methods, an id segment of a path as `*`, any path at all) is written only when
every endpoint of the capture the broader rule would match is one of the group's: a
suggestion never reaches an endpoint whose flows all passed. What a rule grants is what its
endpoints' flows proved: credentials from a flow that carried them or an error only
credentials cause, methods and headers from what the preflights announced, exposed headers
the page could not read.

Before anything is written, a dry run of the rules over the whole capture (dryrun.py, the
live proxy's sequence) checks every flow each rule matches; a rule that makes any of them
worse than the server's own response is not written (it is shown commented out, with the
flows it would harm), and no hint points to it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from itertools import product

from ..engine.checks import REDIRECT_STATUSES
from ..events import Event
from ..rules import parse_rules
from ..rules.globs import path_glob
from .dryrun import Change
from .dryrun import DryRun
from .exchange import Exchange
from .needs import UNFIXABLE
from .needs import Endpoint
from .needs import EndpointNeeds
from .needs import Needs
from .needs import authority
from .needs import endpoint_key
from .needs import url_path
from .sources import Capture
from .sources import CaptureError

MAX_PATHS = 30  # more exact paths than this: try id segments as *, then any path
MAX_SHOWN = 8
_ID_SEGMENT = re.compile(r"/(?:[0-9]+|[0-9a-fA-F-]{16,}|[0-9a-fA-F]{8,})(?=/|$)")


def _q(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def _list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_q(i) for i in sorted(items)) + "]"


@dataclass(slots=True)
class Suggested:
    """One rule: the endpoints it is for, what it matches and what it grants."""

    authority: str
    origin: str
    credentials: bool
    endpoints: set[Endpoint]
    paths: set[str]  # the exact paths of its endpoints
    methods: set[str]  # upper-case, as rules match
    globs: list[str] | None = None  # the paths written; None: any path
    name: str = ""
    refused: list[Change] = field(default_factory=list)  # flows it made worse in the dry run

    def need(self, needs: Needs) -> Iterable[EndpointNeeds]:
        return (needs.endpoints[k] for k in sorted(self.endpoints))


def _foreign(
    reach: dict[str, set[str]],
    own: set[Endpoint],
    key: tuple[str, str],
    methods: set[str],
    matches: Iterable[str] | None,
) -> bool:
    """Does a rule for `methods` and these paths (exact paths, or globs; None: any path)
    match an endpoint of the capture that is not one of `own`?"""
    authority, origin = key
    globs = None if matches is None else [path_glob(g) for g in matches]
    for method in methods:
        for path in reach.get(method, ()):
            if (authority, origin, path, method) in own:
                continue
            if globs is None or any(g.matches(path) for g in globs):
                return True
    return False


def _exact_foreign(
    reach: dict[str, set[str]],
    own: set[Endpoint],
    key: tuple[str, str],
    paths: set[str],
    methods: set[str],
) -> bool:
    authority, origin = key
    for path, method in product(paths, methods):
        if (authority, origin, path, method) not in own and path in reach.get(method, ()):
            return True
    return False


def _group_rules(
    needs: Needs, key: tuple[str, str], credentials: bool, own: set[Endpoint]
) -> list[Suggested]:
    by_method: dict[str, set[str]] = {}
    for _, _, path, method in own:
        by_method.setdefault(method, set()).add(path)
    # The endpoints of one method, then methods with the same paths: exactly the endpoints.
    by_paths: dict[frozenset[str], set[str]] = {}
    for method, paths in by_method.items():
        by_paths.setdefault(frozenset(paths), set()).add(method)
    parts = [(set(p), m) for p, m in sorted(by_paths.items(), key=lambda i: sorted(i[1]))]
    reach = needs.reach.get(key, {})
    if not needs.overflow:  # merge further only where the capture shows what it would reach
        merged = True
        while merged:
            merged = False
            pairs = [(a, b) for a in range(len(parts)) for b in range(a + 1, len(parts))]
            for i, j in pairs:
                paths, methods = parts[i][0] | parts[j][0], parts[i][1] | parts[j][1]
                if not _exact_foreign(reach, own, key, paths, methods):
                    parts[i] = (paths, methods)
                    del parts[j]
                    merged = True
                    break
    rules = []
    for paths, methods in parts:
        endpoints = {e for e in own if e[2] in paths and e[3] in methods}
        rule = Suggested(key[0], key[1], credentials, endpoints, paths, methods, sorted(paths))
        if len(paths) > MAX_PATHS and not needs.overflow:
            ids = sorted({_ID_SEGMENT.sub("/*", p) for p in paths})
            if len(ids) < len(paths) and not _foreign(reach, own, key, methods, ids):
                rule.globs = ids
            if len(rule.globs or ()) > MAX_PATHS and not _foreign(reach, own, key, methods, None):
                rule.globs = None
        rules.append(rule)
    return rules


def plan(needs: Needs) -> list[Suggested]:
    """The rules for the blocked flows a header rule can fix, in the order to write them."""
    groups: dict[tuple[str, str, bool], set[Endpoint]] = {}
    for key, point in needs.endpoints.items():
        if point.fixable:
            groups.setdefault((key[0], key[1], point.credentials), set()).add(key)
    rules: list[Suggested] = []
    for (server, origin, credentials), own in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][1], not g[0][2])
    ):
        found = _group_rules(needs, (server, origin), credentials, own)
        # Exact paths first: a broader rule of the same group matches what they do not.
        found.sort(key=lambda r: (r.globs is None, sorted(r.methods), sorted(r.paths)))
        for n, rule in enumerate(found, 1):
            rule.name = f"{server} for {origin}"
            if credentials:
                rule.name += ", with credentials"
            if len(found) > 1:
                rule.name += f" ({n})"
        rules.extend(found)
    return rules


def rule_toml(rule: Suggested, needs: Needs) -> str:
    """One [[rules]] table."""
    points = list(rule.need(needs))
    errors: Counter[str] = Counter()
    for p in points:
        errors.update({c: n for c, n in p.errors.items() if c not in UNFIXABLE})
    blocked = sum(p.fixable for p in points)
    listing = sorted(f"{m} {p.path}" for p in points for m in p.methods)
    shown = ", ".join(listing[:MAX_SHOWN])
    if len(listing) > MAX_SHOWN:
        shown += f", ... ({len(listing)} in all)"
    lines = [
        "[[rules]]",
        f"name = {_q(rule.name)}",
        f"# For {blocked} blocked flow(s): "
        + ", ".join(f"{code} x{n}" for code, n in errors.most_common()),
        f"# {shown}",
    ]
    match = [f"hosts = [{_q(rule.authority)}]", f"origins = [{_q(rule.origin)}]"]
    if rule.globs is not None:
        match.append(f"paths = {_list(rule.globs)}")
    match.append(f"methods = {_list(rule.methods)}")
    lines.append("match = { " + ", ".join(match) + " }")
    lines.append(f"allow_origin = {_q(rule.origin)}")
    if rule.credentials:
        proof = sorted(f"{m} {p.path}" for p in points if p.credentials for m in p.methods)
        lines.append(f"allow_credentials = true  # credentials proven by: {', '.join(proof[:3])}")
    else:
        lines.append("allow_credentials = false  # no flow proves credentials")
    methods = {m for p in points for m in p.preflight_methods}
    headers = {h for p in points for h in p.headers}
    expose = {h for p in points for h in p.expose}
    lines.append(f"allow_methods = {_list(methods)}  # what the preflights announced")
    lines.append(f"allow_headers = {_list(headers)}")
    lines.append(f"expose_headers = {_list(expose)}")
    lines.append('preflight = "fix"  # the server still sees each preflight; a failing one passes')
    return "\n".join(lines)


def _refused_toml(rule: Suggested, needs: Needs) -> str:
    head = [
        f"# NOT WRITTEN: rule {_q(rule.name)} would make {len(rule.refused)} flow(s) that the"
        " server allowed worse (dry run over the capture):"
    ]
    head += [f"#   {c.what}: {c.before} -> {c.after} [{c.flow}]" for c in rule.refused[:5]]
    return "\n".join(head + ["# " + line for line in rule_toml(rule, needs).splitlines()])


def _where(ex: Exchange) -> tuple[str, str, str]:
    """host:port, path and METHOD (a preflight's: the one it announces) of an exchange."""
    method = ex.method
    if method == "OPTIONS":
        method = ex.request.get("access-control-request-method") or method
    host, port = ex.target()
    return authority(host, port), url_path(ex.url), method.upper()


def _is_redirect(ex: Exchange) -> bool:
    return ex.status in REDIRECT_STATUSES and ex.response is not None and "location" in ex.response


class Suggestion:
    """The rules for a capture, proven on it (`prove`), and the hint for each blocked flow."""

    def __init__(self, needs: Needs, sources: Sequence[str]) -> None:
        self.needs = needs
        self.sources = list(sources)
        self.rules = plan(needs)
        self.proven = False
        self.dry: DryRun | None = None
        self._by_endpoint = {e: rule for rule in self.rules for e in rule.endpoints}

    @property
    def written(self) -> list[Suggested]:
        return [r for r in self.rules if not r.refused]

    def tables(self, rules: Iterable[Suggested]) -> str:
        return "\n\n".join(rule_toml(r, self.needs) for r in rules)

    def prove(self, browser: str = "auto", captures: Sequence[str] | None = None) -> DryRun:
        """The dry run of every rule over the captures (default: the sources); a rule that
        makes a flow the server allowed worse is refused."""
        rules = parse_rules('grants = "add"\n' + self.tables(self.rules), "<suggested>")
        dry = DryRun(rules, browser)
        # The flows a rule can match in the capture are its endpoints' (see plan): those,
        # from any origin, and every redirect (a chain's later hops depend on it) are enough
        # for the same pairing, cache and verdicts as the whole capture gives them.
        wanted = {(e[0], e[2], e[3]) for rule in self.rules for e in rule.endpoints}
        for path in captures if captures is not None else self.sources:
            dry.new_capture()
            try:
                for ex in Capture(path).exchanges():
                    if _where(ex) in wanted or _is_redirect(ex):
                        dry.feed(ex)
            except CaptureError:
                pass  # reported when it was read first; what was read is still checked
            dry.finish()
        for rule in self.rules:
            rule.refused = list(dry.worse.get(rule.name, ()))
        self.dry = dry
        self.proven = True
        return dry

    def text(self) -> str:
        """The whole rules file; empty of rules (comments only) when nothing was blocked."""
        head = [
            "# CORS rules suggested by `python -m cors_addon analyze` from "
            + ", ".join(self.sources)
            + ".",
            "# Each rule matches only endpoints (host, page origin, path, method) with blocked",
            "# flows, and grants what those flows proved they need; it adds to what the server",
            '# sends (grants = "add"). Load it with --set cors_rules=FILE.',
        ]
        if self.proven:
            head.append(
                "# Checked by a dry run over the whole capture: no rule below makes a flow"
                " the server allowed worse."
            )
        unfixable: Counter[str] = Counter()
        for point in self.needs.endpoints.values():
            unfixable.update({c: n for c, n in point.errors.items() if c in UNFIXABLE})
        for code, n in sorted(unfixable.items()):
            head.append(f"# No rule for {n} flow(s) blocked with {code}: {UNFIXABLE[code]}.")
        tables = [rule_toml(r, self.needs) for r in self.written]
        tables += [_refused_toml(r, self.needs) for r in self.rules if r.refused]
        if not self.rules:
            head.append("# Nothing a rule can fix was blocked: no rule is needed.")
        return "\n".join(head) + '\n\ngrants = "add"\n' + "".join(f"\n{t}\n" for t in tables)

    def hint(self, event: Event) -> str | None:
        """What the report says under a blocked flow about unblocking it now."""
        error = event["error"]
        if error is None:
            return None
        if error["code"] in UNFIXABLE:
            return f"no header rule can unblock this: {UNFIXABLE[error['code']]}"
        rule = self._by_endpoint.get(endpoint_key(event))
        if rule is None:
            return None
        if rule.refused:
            return (
                f"no rule suggested: the one that would unblock this makes {len(rule.refused)}"
                " allowed flow(s) worse (see the rules file)"
            )
        return f'unblock now: rule "{rule.name}" (see below, or --suggest-rules FILE)'


def suggest_rules(needs: Needs, sources: Sequence[str], browser: str = "auto") -> str:
    """The rules file for the captures `sources`, proven on them."""
    suggestion = Suggestion(needs, sources)
    suggestion.prove(browser)
    return suggestion.text()
