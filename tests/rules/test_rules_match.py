import timeit
from collections.abc import Callable

import pytest
from mitmproxy import http
from mitmproxy.test import tflow
from mitmproxy.test import tutils

from cors_addon.rules import FlowFacts
from cors_addon.rules import Rule
from cors_addon.rules import parse_rules
from cors_addon.rules import ruleset as ruleset_module

FactsFactory = Callable[..., FlowFacts]
RuleFactory = Callable[[str], Rule]


@pytest.mark.parametrize(
    "glob,host,port,expected",
    [
        ("api.example.com", "api.example.com", 443, True),
        ("api.example.com", "api.example.com", 8080, True),
        ("api.example.com", "web.example.com", 443, False),
        ("API.Example.COM", "api.example.com", 443, True),
        ("api.example.com:8443", "api.example.com", 8443, True),
        ("api.example.com:8443", "api.example.com", 443, False),
        ("api.example.com:*", "api.example.com", 1, True),
        ("*.internal:8443", "db.eu.internal", 8443, True),
        ("*.internal:8443", "db.internal", 443, False),
        ("*.example.com", "example.com", 443, False),
        ("*.example.com", "a.b.example.com", 443, True),
        ("*", "anything.test", 9, True),
        ("127.0.0.1", "127.0.0.1", 5000, True),
        ("127.0.0.*:3000", "127.0.0.9", 3000, True),
        ("[::1]", "::1", 8080, True),
        ("[::1]", "[::1]", 8080, True),
        ("[::1]:8080", "::1", 8080, True),
        ("[::1]:8080", "::1", 8081, False),
        ("[2001:db8::*]", "2001:db8::42", 443, True),
        ("localhost", "localhost.", 80, True),
    ],
)
def test_hosts(
    rule: RuleFactory, facts: FactsFactory, glob: str, host: str, port: int, expected: bool
) -> None:
    r = rule(f'match = {{ hosts = ["{glob}"] }}')
    f = facts(host=host, port=port)
    assert r.matches(f) is expected
    assert (
        parse_rules(f'[[rules]]\nname = "r"\nmatch = {{ hosts = ["{glob}"] }}').match(f) is not None
    ) is expected


@pytest.mark.parametrize(
    "glob,path,expected",
    [
        ("/v1/*", "/v1/items", True),
        ("/v1/*", "/v1/items/7/parts", True),
        ("/v1/*", "/v1", False),
        ("/v1/*", "/v2/items", False),
        ("/v1/items", "/v1/items", True),
        ("/v1/items", "/V1/items", False),
        ("*", "/", True),
        ("*/health", "/api/v2/health", True),
        ("/a.b", "/aXb", False),
        ("/files/*.json", "/files/a/b.json", True),
    ],
)
def test_paths(
    rule: RuleFactory, facts: FactsFactory, glob: str, path: str, expected: bool
) -> None:
    assert rule(f'match = {{ paths = ["{glob}"] }}').matches(facts(path=path)) is expected


@pytest.mark.parametrize(
    "glob,origin,expected",
    [
        ("http://localhost:3000", "http://localhost:3000", True),
        ("http://localhost:3000", "http://localhost:3001", False),
        ("http://localhost:3000", "https://localhost:3000", False),
        ("http://localhost", "http://localhost:3000", False),
        ("http://127.0.0.1:*", "http://127.0.0.1:5173", True),
        ("http://127.0.0.1:*", "http://127.0.0.1", True),
        ("http://127.0.0.1:*", "http://127.0.0.10", False),
        ("http://localhost:30*", "http://localhost:3042", True),
        ("https://*.example.com", "https://app.example.com", True),
        ("https://*.example.com", "https://a.b.example.com", True),
        ("https://*.example.com", "https://example.com", False),
        ("https://*.example.com", "http://app.example.com", False),
        ("https://*.example.com", "https://app.example.com.evil.test", False),
        ("HTTPS://App.Example.com", "https://app.example.com", True),
        ("*://localhost:3000", "https://localhost:3000", True),
        ("http://[::1]:*", "http://[::1]:8080", True),
        ("http://[::1]:8080", "http://[::1]:8080", True),
        ("null", "null", True),
        ("null", "http://localhost:3000", False),
        ("http://localhost:3000", "null", False),
        ("*", "null", True),
        ("*", "https://evil.test", True),
    ],
)
def test_origins(
    rule: RuleFactory, facts: FactsFactory, glob: str, origin: str, expected: bool
) -> None:
    assert rule(f'match = {{ origins = ["{glob}"] }}').matches(facts(origin=origin)) is expected


@pytest.mark.parametrize(
    "methods,method,preflight,expected",
    [
        ('["GET", "PUT"]', "PUT", False, True),
        ('["GET", "PUT"]', "DELETE", False, False),
        ('["put"]', "PUT", False, True),
        ('["PATCH"]', "patch", False, True),
        ('["DELETE"]', "DELETE", True, True),  # a preflight's method is its ACRM
        ('["OPTIONS"]', "DELETE", True, False),
    ],
)
def test_methods(
    rule: RuleFactory,
    facts: FactsFactory,
    methods: str,
    method: str,
    preflight: bool,
    expected: bool,
) -> None:
    r = rule(f"match = {{ methods = {methods} }}")
    assert r.matches(facts(method=method, is_preflight=preflight)) is expected


def test_all_match_keys_must_hold(rule: RuleFactory, facts: FactsFactory) -> None:
    r = rule(
        'match = { hosts = ["api.example.com"], paths = ["/v1/*"], '
        'origins = ["http://localhost:3000"], methods = ["GET"] }'
    )
    assert r.matches(facts())
    for change in (
        {"host": "other.example.com"},
        {"path": "/v2/items"},
        {"origin": "http://localhost:4000"},
        {"method": "POST"},
    ):
        assert not r.matches(facts(**change)), change


def _flow(path: str = "/v1/items", method: bytes = b"GET") -> http.HTTPFlow:
    return tflow.tflow(
        req=tutils.treq(
            method=method,
            host="api.example.com",
            port=443,
            path=path.encode(),
            headers=http.Headers(origin="http://localhost:3000"),
        )
    )


class TestFilter:
    def test_filter_matches_the_flow(self, facts: FactsFactory) -> None:
        rs = parse_rules(
            '[[rules]]\nname = "no health"\nmatch = { filter = "!~u /health" }\n'
            '[[rules]]\nname = "rest"\n'
        )
        assert rs.match(facts(), _flow("/v1/items")).name == "no health"
        assert rs.match(facts(path="/health"), _flow("/health")).name == "rest"

    def test_filter_needs_a_flow(self, facts: FactsFactory) -> None:
        rs = parse_rules(
            '[[rules]]\nname = "f"\nmatch = { filter = "~q" }\n[[rules]]\nname = "b"\n'
        )
        assert rs.match(facts()).name == "b"
        assert rs.match(facts(), _flow()).name == "f"

    def test_filter_on_headers(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('match = { filter = "~hq localhost:3000 & ~m GET" }')
        assert r.matches(facts(), _flow())
        assert not r.matches(facts(), _flow(method=b"POST"))


class TestPrecedence:
    def test_first_match_wins(self, facts: FactsFactory) -> None:
        rs = parse_rules(
            '[[rules]]\nname = "paths"\nmatch = { paths = ["/v1/*"] }\n'
            '[[rules]]\nname = "host"\nmatch = { hosts = ["api.example.com"] }\n'
        )
        assert rs.match(facts()).name == "paths"
        assert rs.match(facts(path="/v2")).name == "host"
        assert rs.match(facts(host="x.test", path="/v2")) is None

    def test_disabled_rules_are_skipped(self, facts: FactsFactory) -> None:
        rs = parse_rules(
            '[[rules]]\nname = "off"\nenabled = false\n'
            '[[rules]]\nname = "on"\nmatch = { hosts = ["api.example.com"] }\n'
        )
        assert rs.match(facts()).name == "on"
        assert rs.rules[0].matches(facts())  # it would match if enabled

    @pytest.mark.parametrize("wild_first", [True, False])
    def test_exact_and_wildcard_keep_file_order(
        self, facts: FactsFactory, wild_first: bool
    ) -> None:
        wild = '[[rules]]\nname = "wild"\nmatch = { hosts = ["*.example.com"] }\n'
        exact = '[[rules]]\nname = "exact"\nmatch = { hosts = ["api.example.com"] }\n'
        rs = parse_rules(wild + exact if wild_first else exact + wild)
        assert rs.match(facts()).name == ("wild" if wild_first else "exact")
        assert rs.match(facts(host="web.example.com")).name == "wild"

    def test_rule_with_exact_and_wildcard_hosts(self, facts: FactsFactory) -> None:
        rs = parse_rules(
            '[[rules]]\nname = "both"\nmatch = { hosts = ["api.example.com", "*.test:8080"] }\n'
        )
        assert rs.match(facts()).name == "both"
        assert rs.match(facts(host="a.test", port=8080)).name == "both"
        assert rs.match(facts(host="a.test", port=80)) is None

    def test_exact_host_with_port_in_index(self, facts: FactsFactory) -> None:
        rs = parse_rules(
            '[[rules]]\nname = "8443"\nmatch = { hosts = ["api.example.com:8443"] }\n'
            '[[rules]]\nname = "any"\nmatch = { hosts = ["api.example.com"] }\n'
        )
        assert rs.match(facts(port=8443)).name == "8443"
        assert rs.match(facts(port=443)).name == "any"


def _many(n: int, wildcard: bool = True) -> str:
    rules = [
        f'[[rules]]\nname = "r{i}"\nmatch = {{ hosts = ["h{i}.example.com"], paths = ["/v1/*"] }}\n'
        f'allow_origin = "*"\n'
        for i in range(n)
    ]
    if wildcard:
        rules.append('[[rules]]\nname = "fallback"\nmatch = { hosts = ["*.example.com"] }\n')
    return "".join(rules)


class TestHostIndex:
    def test_thousand_exact_hosts(self, facts: FactsFactory) -> None:
        rs = parse_rules(_many(1000))
        for i in (0, 1, 499, 998, 999):
            assert rs.match(facts(host=f"h{i}.example.com")).name == f"r{i}"
            assert rs.match(facts(host=f"h{i}.example.com", path="/v2")).name == "fallback"
        assert rs.match(facts(host="h1000.example.com")).name == "fallback"
        assert rs.match(facts(host="h1.example.org")) is None

    def test_candidates_are_few(self) -> None:
        rs = parse_rules(_many(1000))
        assert [r.name for r in rs.candidates("h7.example.com", 443)] == ["r7", "fallback"]

    def test_cache_is_bounded(self, facts: FactsFactory) -> None:
        rs = parse_rules(_many(10))
        for i in range(ruleset_module.CACHE_SIZE + 50):
            rs.match(facts(host=f"x{i}.example.com"))
        assert len(rs._cache) == ruleset_module.CACHE_SIZE
        assert rs.match(facts(host="h3.example.com")).name == "r3"

    def test_cost_does_not_grow_with_rules(self, facts: FactsFactory) -> None:
        f = facts(host="h5.example.com")

        def cost(n: int) -> float:
            rs = parse_rules(_many(n))
            assert rs.match(f).name == "r5"
            return min(timeit.repeat(lambda: rs.match(f), number=2000, repeat=7))

        assert cost(1000) < 3 * cost(10)
