import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cors_addon.rules import Rule
from cors_addon.rules import RuleSet
from cors_addon.rules import load_rules
from cors_addon.rules import parse_rules

RuleFactory = Callable[[str], Rule]

GRANT_DEFAULTS = {
    "enabled": True,
    "allow_credentials": "auto",
    "allow_methods": "reflect",
    "allow_headers": "reflect",
    "expose_headers": (),
    "max_age": None,
    "allow_private_network": False,
    "preflight": "fix",
    "preflight_status": 204,
    "strip": (),
    "errors": True,
}


def test_grant_defaults(rule: RuleFactory) -> None:
    r = rule('allow_origin = "reflect"')
    assert r.allow_origin == "reflect"
    assert {k: getattr(r, k) for k in GRANT_DEFAULTS} == GRANT_DEFAULTS
    assert (r.hosts, r.paths, r.origins, r.methods, r.filter) == ((), (), (), frozenset(), None)
    assert (r.name, r.index, r.line) == ("r", 0, 1)


def test_strip_only_defaults_to_forward(rule: RuleFactory) -> None:
    r = rule('strip = ["access-control-*"]')
    assert r.allow_origin is None
    assert r.preflight == "forward"
    assert [g.text for g in r.strip] == ["access-control-*"]
    assert rule('strip = ["x"]\npreflight = "forward"').preflight == "forward"


def test_rule_with_neither_is_allowed(rule: RuleFactory) -> None:
    r = rule('match = { paths = ["/health"] }')
    assert (r.allow_origin, r.strip) == (None, ())


@pytest.mark.parametrize(
    "body,field,value",
    [
        ("enabled = false", "enabled", False),
        ("enabled = true", "enabled", True),
        ('allow_origin = "*"', "allow_origin", "*"),
        ('allow_origin = "http://localhost:3000"', "allow_origin", "http://localhost:3000"),
        ('allow_origin = "http://[::1]:8080"', "allow_origin", "http://[::1]:8080"),
        ('allow_origin = "null"', "allow_origin", "null"),
        ('allow_origin = "chrome-extension://abc"', "allow_origin", "chrome-extension://abc"),
        ("allow_credentials = true", "allow_credentials", True),
        ("allow_credentials = false", "allow_credentials", False),
        ('allow_credentials = "auto"', "allow_credentials", "auto"),
        ('allow_methods = "*"', "allow_methods", "*"),
        ('allow_methods = ["GET", "PATCH"]', "allow_methods", ("GET", "PATCH")),
        ("allow_methods = []", "allow_methods", ()),
        ('allow_headers = "*"', "allow_headers", "*"),
        (
            'allow_headers = ["x-api-key", "Content-Type"]',
            "allow_headers",
            ("x-api-key", "Content-Type"),
        ),
        ('expose_headers = "*"', "expose_headers", "*"),
        ('expose_headers = "all"', "expose_headers", "all"),
        ('expose_headers = ["x-request-id"]', "expose_headers", ("x-request-id",)),
        ("max_age = 0", "max_age", 0),
        ("max_age = 86400", "max_age", 86400),
        ("allow_private_network = true", "allow_private_network", True),
        ('preflight = "answer"', "preflight", "answer"),
        ('preflight = "forward"', "preflight", "forward"),
        ("preflight_status = 200", "preflight_status", 200),
        ("preflight_status = 299", "preflight_status", 299),
        ("errors = false", "errors", False),
        ("strip = []", "strip", ()),
    ],
)
def test_value_forms(rule: RuleFactory, body: str, field: str, value: Any) -> None:
    if not body.startswith("allow_origin"):
        body = f'allow_origin = "reflect"\n{body}'
    assert getattr(rule(body), field) == value


def test_match_keys(rule: RuleFactory) -> None:
    r = rule(
        'match = { hosts = ["API.example.com", "*.internal:8443", "[::1]:8080"], '
        'paths = ["/v1/*"], origins = ["http://localhost:3000", "null"], '
        'methods = ["get", "PUT"], filter = "!~u /health" }'
    )
    assert [(h.host, h.port, h.regex is None) for h in r.hosts] == [
        ("api.example.com", None, True),
        ("*.internal", 8443, False),
        ("::1", 8080, True),
    ]
    assert [g.text for g in r.paths] == ["/v1/*"]
    assert [g.text for g in r.origins] == ["http://localhost:3000", "null"]
    assert r.methods == {"GET", "PUT"}
    assert r.filter is not None and r.filter.pattern == "!~u /health"


def test_match_subtable(rule: RuleFactory) -> None:
    r = rule('allow_origin = "*"\n[rules.match]\nhosts = ["a.com"]\npaths = ["/x"]')
    assert [h.host for h in r.hosts] == ["a.com"]


def test_rule_is_frozen(rule: RuleFactory) -> None:
    r = rule()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.name = "x"  # type: ignore[misc]
    assert not hasattr(r, "__dict__")


def test_ruleset_fields_and_order() -> None:
    text = "".join(f'[[rules]]\nname = "r{i}"\nmatch = {{ hosts = ["h{i}"] }}\n' for i in range(3))
    rs = parse_rules(text, "x.toml")
    assert isinstance(rs, RuleSet)
    assert rs.path == "x.toml"
    assert [(r.name, r.index, r.line) for r in rs.rules] == [
        ("r0", 0, 1),
        ("r1", 1, 4),
        ("r2", 2, 7),
    ]
    assert len(rs) == 3
    assert rs.warnings == ()


@pytest.mark.parametrize(
    "text", ["# every rule commented out\n# [[rules]]\n", "rules = []\n", "\ufeff# bom\n"]
)
def test_no_rules(text: str) -> None:
    assert parse_rules(text).rules == ()


def test_inline_array_of_tables() -> None:
    rs = parse_rules('rules = [{ name = "a", allow_origin = "*" }, { name = "b" }]')
    assert [r.name for r in rs.rules] == ["a", "b"]


def test_bom_is_accepted() -> None:
    assert parse_rules('\ufeff[[rules]]\nname = "a"\n').rules[0].name == "a"


def test_load_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "a"\nallow_origin = "*"\n', encoding="utf-8")
    for arg in (path, str(path)):
        rs = load_rules(arg)
        assert rs.path == str(path)
        assert rs.rules[0].allow_origin == "*"


def test_empty_ruleset() -> None:
    rs = RuleSet()
    assert (rs.rules, rs.warnings, len(rs)) == ((), (), 0)


class TestWarnings:
    @staticmethod
    def warnings(body: str) -> tuple[str, ...]:
        text = f'grants = "add"\n[[rules]]\nname = "w"\n{body}\n'
        return parse_rules(text, "rules.toml").warnings

    @pytest.mark.parametrize(
        "body",
        [
            'allow_origin = "reflect"',
            'allow_origin = "reflect"\nallow_credentials = true',
            'allow_origin = "reflect"\nmatch = { hosts = ["api.example.com"] }',
            'allow_origin = "reflect"\nmatch = { hosts = ["localhost", "api.example.com"] }',
            'allow_origin = "reflect"\nmatch = { hosts = ["127.*"] }',
            'allow_origin = "reflect"\nmatch = { origins = ["*"] }',
            'allow_origin = "reflect"\nmatch = { origins = ["http://a.test", "https://*"] }',
            'allow_origin = "reflect"\nmatch = { origins = ["http://*:*"] }',
        ],
    )
    def test_reflect_with_credentials_warns(self, body: str) -> None:
        (warning,) = self.warnings(body)
        assert warning.startswith('rules.toml:2: rule "w": WARNING: reflects any page origin')
        assert "any site" in warning or "every site" in warning
        assert "with your cookies" in warning
        assert "Add match.origins" in warning

    @pytest.mark.parametrize(
        "body",
        [
            'allow_origin = "reflect"\nallow_credentials = false',
            'allow_origin = "reflect"\nmatch = { origins = ["http://localhost:3000"] }',
            'allow_origin = "reflect"\nmatch = { origins = ["https://*.example.com"] }',
            'allow_origin = "reflect"\nmatch.hosts = ["localhost:8080", "127.0.0.2", "[::1]"]',
            'allow_origin = "reflect"\nenabled = false',
            'allow_origin = "http://localhost:3000"\nallow_credentials = true',
            'allow_origin = "*"',
            'strip = ["access-control-*"]',
            'allow_origin = "*"\nallow_headers = "*"\nallow_methods = "*"\nexpose_headers = "*"',
            'allow_origin = "http://a.com"\nallow_headers = "*"',
        ],
    )
    def test_no_warning(self, body: str) -> None:
        assert self.warnings(body) == ()

    @pytest.mark.parametrize(
        "key,value",
        [
            ("allow_methods", '"*"'),
            ("allow_methods", '["GET", "*"]'),
            ("allow_headers", '"*"'),
            ("expose_headers", '"*"'),
        ],
    )
    def test_literal_star_with_credentials(self, key: str, value: str) -> None:
        body = f'allow_origin = "http://a.com"\nallow_credentials = true\n{key} = {value}'
        (warning,) = self.warnings(body)
        assert warning == (
            f'rules.toml:6: rule "w": "*" in {key} is a literal name, not a wildcard, for '
            "credentialed requests (allow_credentials = true); list the names instead"
        )

    def test_shadowed_rules(self) -> None:
        text = (
            '[[rules]]\nname = "first"\nmatch = { hosts = ["a.com"] }\n'
            '[[rules]]\nname = "all"\nstrip = ["x-*"]\n'
            '[[rules]]\nname = "off"\nenabled = false\n'
            '[[rules]]\nname = "never"\nmatch = { hosts = ["b.com"] }\n'
        )
        assert parse_rules(text, "rules.toml").warnings == (
            'rules.toml:4: rule "all": matches every flow, so the 1 enabled rule(s) after it '
            "never apply",
        )


def test_warning_without_a_rule_line() -> None:
    rs = parse_rules('rules = [{ name = "a", allow_origin = "reflect" }]')
    (warning,) = rs.warnings
    assert warning.startswith('<string>: rule "a": WARNING: reflects any page origin')
