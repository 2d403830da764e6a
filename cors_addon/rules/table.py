"""One [[rules]] table: check every key and value, compile it into a Rule, note warnings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any
from typing import NoReturn
from typing import TypeVar

from mitmproxy import flowfilter

from cors_addon.rules.errors import Invalid
from cors_addon.rules.errors import RulesError
from cors_addon.rules.errors import closest
from cors_addon.rules.errors import did_you_mean
from cors_addon.rules.errors import location
from cors_addon.rules.globs import TCHARS
from cors_addon.rules.globs import exact_origin
from cors_addon.rules.globs import header_glob
from cors_addon.rules.globs import host_glob
from cors_addon.rules.globs import is_any_origin
from cors_addon.rules.globs import is_loopback
from cors_addon.rules.globs import origin_glob
from cors_addon.rules.globs import path_glob
from cors_addon.rules.locate import Locator
from cors_addon.rules.model import Rule

RULE_KEYS = (
    "name",
    "enabled",
    "match",
    "allow_origin",
    "allow_credentials",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "max_age",
    "allow_private_network",
    "preflight",
    "preflight_status",
    "strip",
    "errors",
)
MATCH_KEYS = ("hosts", "paths", "origins", "methods", "filter")
GRANT_KEYS = (
    "allow_credentials",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "max_age",
    "allow_private_network",
)
MAX_AGE = 86400
T = TypeVar("T")

_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (list, "an array"),
    (dict, "a table"),
    (datetime, "a date-time"),
    (date, "a date"),
    (time, "a time"),
)


def describe(value: object) -> str:
    """A TOML-flavoured description of a value, for "expected X, got Y"."""
    name = next(n for t, n in _TYPE_NAMES if isinstance(value, t))
    if isinstance(value, bool):
        return f"{name} ({str(value).lower()})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'{name} ("{shown}")'
    if isinstance(value, int | float):
        return f"{name} ({value})"
    return name


# Keys whose meaning changed when grants became additive (before: a rule's headers replaced
# the server's). A file that says grants = "add" at the top gets no warning about them.
CONFIRM = (
    'Put grants = "add" at the top of the file to confirm the new meaning (and silence this'
    " warning)"
)
MEANING_CHANGES = {
    "allow_credentials": (
        "false used to remove the server's Access-Control-Allow-Credentials; now it means"
        ' "add none": the server\'s stays (strip = ["access-control-allow-credentials"]'
        " removes it)"
    ),
    "allow_origin *": (
        '"*" used to replace the server\'s Access-Control-Allow-Origin; now it replaces only a'
        " missing or unusable one: a server's that names the page's origin is kept, and so"
        " are its credentials"
    ),
    "allow_origin exact": (
        "{value} used to be sent to every request the rule matches; now only requests from"
        " {value} get anything from this rule: requests from other origins keep the server's"
        " response"
    ),
    "list": "{value} used to replace the server's {header}; now it adds to it: {kept}",
    "preflight": (
        '"answer" used to answer every preflight the rule matches; now it answers only those'
        " its own answer allows ({what}), and forwards the others to the server, adding to"
        ' its response as "fix" does'
    ),
}
_LIST_HEADERS = {
    "allow_methods": ("Access-Control-Allow-Methods", "the server's methods stay allowed"),
    "allow_headers": ("Access-Control-Allow-Headers", "the server's headers stay allowed"),
    "expose_headers": ("Access-Control-Expose-Headers", "what the server exposes stays readable"),
}


def _toml(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"'


def meaning_changes(rule: Rule) -> list[tuple[str, str]]:
    """(key, what it used to mean and means now) for each key of `rule` whose effect changed
    when grants became additive."""
    if rule.allow_origin is None:
        return []
    out = []
    origin = rule.allow_origin
    if origin == "*":
        out.append(("allow_origin", MEANING_CHANGES["allow_origin *"]))
    # one exact origin, for a rule that also matches requests from other origins
    only_origin = origin not in ("*", "reflect") and not (
        rule.origins and all(g.text == origin for g in rule.origins)
    )
    if only_origin:
        out.append(
            ("allow_origin", MEANING_CHANGES["allow_origin exact"].format(value=f'"{origin}"'))
        )
    if rule.allow_credentials is False:
        out.append(("allow_credentials", MEANING_CHANGES["allow_credentials"]))
    listed = []
    for key, (header, kept) in _LIST_HEADERS.items():
        value = getattr(rule, key)
        if value not in ("reflect", "all", ()):
            text = MEANING_CHANGES["list"].format(value=_toml(value), header=header, kept=kept)
            out.append((key, text))
            if key != "expose_headers" and value != "*":
                listed.append(key.removeprefix("allow_"))
    if rule.preflight == "answer" and (listed or only_origin):
        what = [f"the listed {name}" for name in listed]
        if only_origin:
            what.insert(0, f"requests from {origin}")
        out.append(("preflight", MEANING_CHANGES["preflight"].format(what=", ".join(what))))
    return out


def _token(what: str, upper: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not value or not set(value) <= TCHARS:
            raise Invalid(f'"{value}" is not a valid {what}')
        return value.upper() if upper else value

    return parse


class RuleParser:
    """Parses rule `index`; `fail` raises a RulesError that points at the key's line."""

    def __init__(
        self,
        table: dict[str, Any],
        index: int,
        locator: Locator,
        path: str,
        grants_add: bool = False,
    ) -> None:
        self.table = table
        self.index = index
        self.locator = locator
        self.path = path
        self.grants_add = grants_add  # the file says grants = "add": no meaning-change warnings
        self.label = f"#{index + 1}"
        self.warnings: list[str] = []

    def fail(
        self, key: str, problem: str, suggestion: str | None = None, value: object = None
    ) -> NoReturn:
        raise RulesError(
            problem,
            path=self.path,
            line=self.locator.key(self.index, key, value),
            rule=self.label,
            key=key,
            suggestion=suggestion,
        )

    def warn(self, key: str | None, message: str) -> None:
        line = self.locator.key(self.index, key) if key else self.locator.rule(self.index)
        self.warnings.append(f'{location(self.path, line)}: rule "{self.label}": {message}')

    def typed(self, key: str, value: object, kind: type[T], expected: str) -> T:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            hint = None
            if isinstance(value, str) and (
                (kind is bool and value in ("true", "false")) or (kind is int and value.isdigit())
            ):
                hint = f"Write {key.rsplit('.', 1)[-1]} = {value} without quotes"
            self.fail(key, f"expected {expected}, got {describe(value)}", hint)
        return value

    def credentials(self, value: object) -> bool | str:
        key = "allow_credentials"
        if isinstance(value, bool) or value == "auto":
            return value  # type: ignore[return-value]
        if value in ("true", "false"):
            self.fail(
                key,
                f'expected true, false or "auto", got the string "{value}"',
                f"Write {key} = {value} without quotes",
            )
        if isinstance(value, str):
            self.fail(
                key,
                f'unknown value "{value}"; valid values: true, false, "auto"',
                did_you_mean(value, ("auto",)),
                value,
            )
        self.fail(key, f'expected true, false or "auto", got {describe(value)}')

    def choice(self, key: str, value: object, choices: tuple[str, ...]) -> str:
        valid = ", ".join(f'"{c}"' for c in choices)
        value = self.typed(key, value, str, f"one of {valid}")
        if value not in choices:
            hint = did_you_mean(value, choices)
            self.fail(key, f'unknown value "{value}"; valid values: {valid}', hint, value)
        return value

    def globs(self, key: str, value: object, parse: Callable[[str], T], what: str) -> tuple[T, ...]:
        leaf = key.rsplit(".", 1)[-1]
        if isinstance(value, str):
            self.fail(
                key,
                f"expected an array of {what}s, got {describe(value)}",
                f'Write {leaf} = ["{value}"]',
                value,
            )
        items = self.typed(key, value, list, f"an array of {what}s")
        if not items and key.startswith("match."):
            noun = what.removesuffix(" glob")
            self.fail(key, "empty array matches nothing", f"Remove {leaf} to match any {noun}")
        result = []
        for n, item in enumerate(items, 1):
            if not isinstance(item, str):
                self.fail(key, f"expected an array of {what}s, item {n} is {describe(item)}")
            try:
                result.append(parse(item))
            except Invalid as e:
                self.fail(key, e.problem, e.suggestion, item)
        return tuple(result)

    def names(self, key: str, value: object, forms: tuple[str, ...], what: str) -> Any:
        """`forms` ("reflect", "*", "all", ...) or an array of names."""
        if isinstance(value, str) and value not in forms:
            valid = ", ".join(f'"{f}"' for f in forms)
            hint = did_you_mean(value, forms)
            if hint is None:
                listed = ", ".join(f'"{v.strip()}"' for v in value.split(",") if v.strip())
                hint = f"Write {key} = [{listed}]"
            self.fail(
                key,
                f'unknown value "{value}"; expected {valid} or an array of {what}s',
                hint,
                value,
            )
        if isinstance(value, str):
            return value
        return self.globs(key, value, _token(what), what)

    def parse(self) -> Rule:
        t = self.table
        if "name" not in t:
            self.fail("name", "required key is missing", 'Give every rule a unique name = "..."')
        name = self.typed("name", t["name"], str, "a string")
        if not name.strip():
            self.fail("name", "name is empty", 'Give every rule a unique name = "..."')
        self.label = name
        for key in t:
            if key in RULE_KEYS:
                continue
            hint = did_you_mean(key, RULE_KEYS)
            match_key = closest(key, MATCH_KEYS)
            if hint is None and match_key:
                self.fail(
                    key,
                    "unknown key; match conditions go inside match",
                    f"Write match = {{ {match_key} = ... }}",
                )
            self.fail(key, "unknown key", hint or f"Valid keys: {', '.join(RULE_KEYS)}")
        enabled = self.typed("enabled", t.get("enabled", True), bool, "true or false")
        match = self.parse_match()
        return self.parse_grant(name, enabled, match)

    def parse_match(self) -> dict[str, Any]:
        m = self.typed(
            "match", self.table.get("match", {}), dict, 'a table such as { hosts = ["..."] }'
        )
        for key in m:
            if key not in MATCH_KEYS:
                if key in RULE_KEYS:
                    self.fail(f"match.{key}", "belongs to the rule, not inside match")
                hint = did_you_mean(key, MATCH_KEYS)
                self.fail(
                    f"match.{key}", "unknown key", hint or f"Valid keys: {', '.join(MATCH_KEYS)}"
                )
        result: dict[str, Any] = {}
        if "hosts" in m:
            result["hosts"] = self.globs("match.hosts", m["hosts"], host_glob, "host glob")
        if "paths" in m:
            result["paths"] = self.globs("match.paths", m["paths"], path_glob, "path glob")
        if "origins" in m:
            result["origins"] = self.globs(
                "match.origins", m["origins"], origin_glob, "origin glob"
            )
        if "methods" in m:
            methods = self.globs("match.methods", m["methods"], _token("method", True), "method")
            result["methods"] = frozenset(methods)
        if "filter" in m:
            text = self.typed("match.filter", m["filter"], str, "a mitmproxy filter expression")
            if not text.strip():
                self.fail("match.filter", "filter is empty", "Remove filter to match every flow")
            try:
                result["filter"] = flowfilter.parse(text)
            except ValueError as e:
                self.fail("match.filter", f"mitmproxy cannot parse the filter: {e}", value=text)
        return result

    def parse_grant(self, name: str, enabled: bool, match: dict[str, Any]) -> Rule:
        t = self.table
        kw: dict[str, Any] = {}
        origin = t.get("allow_origin")
        if origin is not None:
            origin = self.typed(
                "allow_origin",
                origin,
                str,
                '"reflect", "*" or an origin such as "http://localhost:3000"',
            )
            if origin not in ("reflect", "*"):
                hint = did_you_mean(origin, ("reflect",))
                if hint and "://" not in origin:
                    self.fail("allow_origin", f'unknown value "{origin}"', hint, origin)
                try:
                    origin = exact_origin(origin)
                except Invalid as e:
                    self.fail("allow_origin", e.problem, e.suggestion, origin)
        if "allow_credentials" in t:
            kw["allow_credentials"] = self.credentials(t["allow_credentials"])
        for key, what in (("allow_methods", "method"), ("allow_headers", "header name")):
            if key in t:
                kw[key] = self.names(key, t[key], ("reflect", "*"), what)
        if "expose_headers" in t:
            kw["expose_headers"] = self.names(
                "expose_headers", t["expose_headers"], ("*", "all"), "header name"
            )
        if "max_age" in t:
            age = self.typed("max_age", t["max_age"], int, "an integer number of seconds")
            if not 0 <= age <= MAX_AGE:
                self.fail(
                    "max_age",
                    f"{age} is out of range",
                    f"Use 0 to {MAX_AGE} seconds (Chromium caps it at 7200)",
                )
            kw["max_age"] = age
        if "allow_private_network" in t:
            kw["allow_private_network"] = self.typed(
                "allow_private_network", t["allow_private_network"], bool, "true or false"
            )
        preflight = "fix" if origin is not None else "forward"
        if "preflight" in t:
            preflight = self.choice("preflight", t["preflight"], ("answer", "fix", "forward"))
        kw["preflight"] = preflight
        if "preflight_status" in t:
            status = self.typed("preflight_status", t["preflight_status"], int, "an integer")
            if not 200 <= status <= 299:
                self.fail(
                    "preflight_status",
                    f"{status} is not a 2xx status; browsers fail a preflight with any other",
                    "Use 204 or 200",
                )
            kw["preflight_status"] = status
        strip = self.globs("strip", t.get("strip", []), header_glob, "header name glob")
        errors = self.typed("errors", t.get("errors", True), bool, "true or false")

        if origin is None:
            for key in (*GRANT_KEYS, "preflight_status"):
                if key in t:
                    self.fail(
                        key,
                        "has no effect without allow_origin",
                        'Set allow_origin = "reflect" (or one origin), or remove the key',
                    )
            if preflight != "forward":
                self.fail(
                    "preflight",
                    f'preflight = "{preflight}" has no effect without allow_origin',
                    'Set allow_origin = "reflect" (or one origin), or remove the key',
                )
        elif preflight == "forward" and "preflight_status" in t:
            self.fail("preflight_status", 'has no effect with preflight = "forward"')
        credentials = kw.get("allow_credentials", "auto")
        if origin == "*" and credentials is True:
            self.fail(
                "allow_credentials",
                'allow_credentials = true with allow_origin = "*": browsers reject "*" '
                "for credentialed requests",
                'Use allow_origin = "reflect" to send the page\'s own origin',
            )
        rule = Rule(
            name=name,
            index=self.index,
            line=self.locator.rule(self.index),
            enabled=enabled,
            allow_origin=origin,
            strip=strip,
            errors=errors,
            **match,
            **kw,
        )
        self.check(rule)
        return rule

    def check(self, rule: Rule) -> None:
        if rule.enabled and not self.grants_add:
            for key, message in meaning_changes(rule):
                self.warn(key, f'key "{key}": {message}. {CONFIRM}')
        if rule.allow_credentials is True:
            for key in ("allow_methods", "allow_headers", "expose_headers"):
                value = getattr(rule, key)
                if value == "*" or (isinstance(value, tuple) and "*" in value):
                    self.warn(
                        key,
                        f'"*" in {key} is a literal name, not a wildcard, for credentialed '
                        "requests (allow_credentials = true); list the names instead",
                    )
        if (
            rule.enabled
            and rule.allow_origin == "reflect"
            and rule.allow_credentials is not False
            and (not rule.origins or any(is_any_origin(g) for g in rule.origins))
            and not (rule.hosts and all(is_loopback(h) for h in rule.hosts))
        ):
            self.warn(
                None,
                "WARNING: reflects any page origin with credentials; while the proxy runs, "
                "every site you visit can read these responses with your cookies. Add "
                'match.origins (such as ["http://localhost:3000"]) or allow_credentials = false',
            )
