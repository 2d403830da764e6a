"""Rules from traffic: a rules.toml that unblocks the blocked flows of a capture and grants
nothing more. One rule per (server, page origin): it matches only the paths and methods that
failed, names the one origin, lists only the methods and headers the preflights announced,
sends credentials only if the flows used them, and exposes only the response headers the page
could not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from .needs import Needs
from .needs import Policy

MAX_PATHS = 30
_ID_SEGMENT = re.compile(r"/(?:[0-9]+|[0-9a-fA-F-]{16,}|[0-9a-fA-F]{8,})(?=/|$)")


def _q(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def _list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_q(i) for i in sorted(items)) + "]"


def rule_name(policy: Policy, origin: str) -> str:
    name = f"{policy.authority} for {origin}"
    return f"{name}, with credentials" if policy.credentials else name


def path_globs(paths: set[str]) -> list[str] | None:
    """The paths to match: exact when few; with id-like segments as * when many; None (any
    path) when even that is too many."""
    if len(paths) <= MAX_PATHS and not getattr(paths, "overflow", False):
        return sorted(paths)
    globs = sorted({_ID_SEGMENT.sub("/*", p) for p in paths})
    return globs if len(globs) <= MAX_PATHS else None


def rule_toml(policy: Policy, origin: str) -> str:
    """One [[rules]] table for the blocked flows in `policy` (all from `origin`)."""
    errors = ", ".join(f"{code} x{n}" for code, n in policy.errors.most_common())
    endpoints = sorted(policy.endpoints)
    shown = ", ".join(endpoints[:8]) + (
        f", ... ({len(endpoints)} in all)" if len(endpoints) > 8 else ""
    )
    lines = [
        "[[rules]]",
        f"name = {_q(rule_name(policy, origin))}",
        f"# Unblocks {policy.blocked} flow(s): {errors}",
        f"# {shown}",
    ]
    match = [f"hosts = [{_q(policy.authority)}]", f"origins = [{_q(origin)}]"]
    paths = path_globs(policy.paths)
    if paths is not None:
        match.append(f"paths = {_list(paths)}")
    match.append(f"methods = {_list(policy.methods)}")
    lines.append("match = { " + ", ".join(match) + " }")
    lines.append(f"allow_origin = {_q(origin)}")
    if policy.credentials:
        used = ", ".join(sorted(policy.credential_endpoints)[:5])
        lines.append(f"allow_credentials = true  # credentialed: {used}")
    else:
        lines.append("allow_credentials = false  # no flow carried cookies or Authorization")
    lines.append(f"allow_methods = {_list(policy.preflight_methods)}")
    lines.append(f"allow_headers = {_list(policy.headers)}")
    lines.append(f"expose_headers = {_list(policy.expose)}")
    lines.append('preflight = "fix"  # the server still sees each preflight; a failing one passes')
    return "\n".join(lines)


def suggest_rules(needs: Needs, sources: list[str]) -> str:
    """The whole rules file; empty of rules (a comment only) when nothing was blocked."""
    head = [
        "# CORS rules suggested by `python -m cors_addon analyze` from " + ", ".join(sources) + ".",
        "# Least privilege: each rule matches only the flows that were blocked, from one page",
        "# origin, and grants only what those flows used. Load it with --set cors_rules=FILE.",
    ]
    tables = []
    for policy in needs.failing_grants():
        tables.extend(rule_toml(policy, origin) for origin in sorted(policy.origins))
    if not tables:
        head.append("# Nothing was blocked: no rule is needed.")
    return "\n".join(head) + "\n" + "".join(f"\n{t}\n" for t in tables)


def rule_names(needs: Needs) -> dict[tuple[str, str, bool], str]:
    """grant_key(event) -> the name of the suggested rule that unblocks that event."""
    return {key: rule_name(policy, key[1]) for key, policy in needs.grants.items()}
