from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from cors_addon.engine import CHROMIUM
from cors_addon.engine import CorsError
from cors_addon.engine import Headers
from cors_addon.engine import Verdict
from cors_addon.engine import WireRequest
from cors_addon.engine import WireResponse
from cors_addon.engine import classify
from cors_addon.engine import judge
from cors_addon.engine.verdict import _unreadable_headers
from cors_addon.rules import FlowFacts
from cors_addon.rules import Rewrite
from cors_addon.rules import Rule
from cors_addon.rules import answer_preflight
from cors_addon.rules import apply_rewrite
from cors_addon.rules import made_worse
from cors_addon.rules import parse_rules
from cors_addon.rules import rewrite_response

FactsFactory = Callable[..., FlowFacts]
RuleFactory = Callable[[str], Rule]
ORIGIN = "http://localhost:3000"


@pytest.fixture
def preflight(facts: FactsFactory) -> FactsFactory:
    """A preflight for PUT with two request headers, no credentials (preflights carry none)."""

    def make(**overrides: object) -> FlowFacts:
        defaults: dict[str, object] = {"method": "PUT", "acrh": "content-type,x-api-key"}
        return facts(is_preflight=True, **{**defaults, **overrides})

    return make


class TestAnswer:
    def test_reflect_everything(self, rule: RuleFactory, preflight: FactsFactory) -> None:
        r = rule('allow_origin = "reflect"\npreflight = "answer"')
        assert answer_preflight(r, preflight()) == (
            204,
            [
                ("Access-Control-Allow-Origin", ORIGIN),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "content-type, x-api-key"),
                ("Vary", "Origin"),
                ("Content-Length", "0"),
            ],
        )

    def test_every_key(self, rule: RuleFactory, preflight: FactsFactory) -> None:
        r = rule(
            'allow_origin = "http://localhost:3000"\nallow_credentials = false\n'
            'allow_methods = ["GET", "PUT"]\nallow_headers = ["x-api-key"]\n'
            'expose_headers = ["x-id"]\nmax_age = 600\nallow_private_network = true\n'
            'preflight = "answer"\npreflight_status = 200'
        )
        assert answer_preflight(r, preflight(acrh="X-Api-Key")) == (
            200,
            [
                ("Access-Control-Allow-Origin", ORIGIN),
                ("Access-Control-Allow-Methods", "GET, PUT"),
                ("Access-Control-Allow-Headers", "x-api-key"),
                ("Access-Control-Max-Age", "600"),
                ("Access-Control-Allow-Private-Network", "true"),
                ("Content-Length", "0"),
            ],
        )

    def test_star(self, rule: RuleFactory, preflight: FactsFactory) -> None:
        r = rule(
            'allow_origin = "*"\nallow_methods = "*"\nallow_headers = "*"\nmax_age = 0\n'
            'preflight = "answer"'
        )
        assert answer_preflight(r, preflight(acrh=None)) == (
            204,
            [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "*"),
                ("Access-Control-Allow-Headers", "*"),
                ("Access-Control-Max-Age", "0"),
                ("Content-Length", "0"),
            ],
        )

    @pytest.mark.parametrize(
        "body,acrh,expected",
        [
            ("", None, None),
            ("", "x-a", "x-a"),
            ("", " x-a ,x-b", "x-a, x-b"),
            ('allow_headers = ["x-b"]', None, "x-b"),
            ('allow_headers = ["x-b", "X-A"]', "x-a", "x-b, X-A"),
            ("allow_methods = []", "x-a", "x-a"),
        ],
    )
    def test_allow_headers(
        self,
        rule: RuleFactory,
        preflight: FactsFactory,
        body: str,
        acrh: str | None,
        expected: str | None,
    ) -> None:
        r = rule(f'allow_origin = "reflect"\npreflight = "answer"\n{body}')
        answer = answer_preflight(r, preflight(method="GET", acrh=acrh))
        assert answer is not None
        assert dict(answer[1]).get("Access-Control-Allow-Headers") == expected

    @pytest.mark.parametrize(
        "origin,credentials,expected",
        [
            ('"reflect"', '"auto"', "true"),
            ('"http://localhost:3000"', '"auto"', "true"),
            ('"*"', '"auto"', None),
            ('"reflect"', "true", "true"),
            ('"reflect"', "false", None),
            ('"*"', "false", None),
        ],
    )
    def test_credentials_on_preflights(
        self,
        rule: RuleFactory,
        preflight: FactsFactory,
        origin: str,
        credentials: str,
        expected: str | None,
    ) -> None:
        r = rule(
            f'allow_origin = {origin}\nallow_credentials = {credentials}\npreflight = "answer"'
        )
        answer = answer_preflight(r, preflight())
        assert answer is not None
        assert dict(answer[1]).get("Access-Control-Allow-Credentials") == expected

    def test_null_origin(self, rule: RuleFactory, preflight: FactsFactory) -> None:
        r = rule('allow_origin = "reflect"\npreflight = "answer"')
        answer = answer_preflight(r, preflight(origin="null"))
        assert answer is not None and answer[1][0] == ("Access-Control-Allow-Origin", "null")

    @pytest.mark.parametrize(
        "body,method,acrh,answered",
        [
            ('allow_methods = ["PUT"]', "PUT", None, True),
            ('allow_methods = ["GET"]', "PUT", None, False),  # the server may allow PUT
            ('allow_methods = ["put"]', "PUT", None, False),  # methods compare byte for byte
            ("allow_methods = []", "POST", None, True),  # a safelisted method needs no listing
            ('allow_headers = ["x-a"]', "PUT", "x-a,X-B", False),
            ('allow_headers = ["x-a", "x-b"]', "PUT", "x-a,X-B", True),
            ('allow_headers = "*"', "PUT", "x-a", True),
            ('allow_origin = "http://localhost:3000"', "PUT", None, True),
            ('allow_origin = "https://other.example"', "PUT", None, False),  # not this origin
        ],
    )
    def test_answers_only_what_it_allows(
        self,
        rule: RuleFactory,
        preflight: FactsFactory,
        body: str,
        method: str,
        acrh: str | None,
        answered: bool,
    ) -> None:
        """preflight = "answer" never answers a preflight its own answer would fail: the
        server answers those (and the rule adds to its answer, as under "fix")."""
        if "allow_origin" not in body:
            body = f'allow_origin = "reflect"\n{body}'
        r = rule(f'{body}\npreflight = "answer"')
        assert (answer_preflight(r, preflight(method=method, acrh=acrh)) is not None) is answered


class TestPreflightResponses:
    @pytest.mark.parametrize(
        "mode,status,new_status",
        [
            ("fix", 405, 204),
            ("fix", 301, 204),
            ("fix", 500, 204),
            ("fix", 200, None),
            ("fix", 204, None),
            ("answer", 404, 204),  # an un-answered preflight under "answer" is fixed
            ("forward", 405, None),
            ("forward", 200, None),
        ],
    )
    def test_status(
        self,
        rule: RuleFactory,
        preflight: FactsFactory,
        mode: str,
        status: int,
        new_status: int | None,
    ) -> None:
        r = rule(f'allow_origin = "reflect"\npreflight = "{mode}"')
        rw = rewrite_response(r, preflight(), status, [("Allow", "GET")])
        assert rw is not None
        assert rw.status == new_status
        assert dict(rw.set) == {
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "PUT",
            "Access-Control-Allow-Headers": "content-type, x-api-key",
            "Vary": "Origin",
        }

    def test_fixed_redirect_loses_location(
        self, rule: RuleFactory, preflight: FactsFactory
    ) -> None:
        r = rule('allow_origin = "*"\npreflight_status = 200\nallow_methods = ["PUT"]')
        headers = [("Location", "https://api.example.com/v1/items/"), ("Content-Length", "0")]
        rw = rewrite_response(r, preflight(), 308, headers)
        assert rw == Rewrite(
            200,
            (
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "content-type, x-api-key"),
            ),
            ("location",),
        )
        assert apply_rewrite(headers, rw) == [("Content-Length", "0"), *rw.set]

    def test_forward_preflight_with_extras(
        self, rule: RuleFactory, preflight: FactsFactory
    ) -> None:
        r = rule(
            'allow_origin = "reflect"\npreflight = "forward"\nmax_age = 60\n'
            'allow_private_network = true\nexpose_headers = "all"'
        )
        rw = rewrite_response(r, preflight(), 200, [("X-Trace", "1")])
        assert rw is not None and rw.status is None
        names = [n for n, _ in rw.set]
        assert names == [
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Credentials",
            "Access-Control-Allow-Methods",
            "Access-Control-Allow-Headers",
            "Access-Control-Max-Age",
            "Access-Control-Allow-Private-Network",
            "Vary",
        ]  # no Expose-Headers on a preflight

    def test_errors_false_still_fixes_preflights(
        self, rule: RuleFactory, preflight: FactsFactory
    ) -> None:
        r = rule('allow_origin = "reflect"\nerrors = false')
        rw = rewrite_response(r, preflight(), 405, [])
        assert rw is not None and rw.status == 204

    def test_strip_only_preflight(self, rule: RuleFactory, preflight: FactsFactory) -> None:
        r = rule('strip = ["access-control-*"]')
        headers = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "PUT")]
        rw = rewrite_response(r, preflight(), 204, headers)
        assert rw == Rewrite(
            None, (), ("access-control-allow-origin", "access-control-allow-methods")
        )
        assert apply_rewrite(headers, rw) == []


class TestActualResponses:
    def test_reflect_default(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('allow_origin = "reflect"')
        rw = rewrite_response(r, facts(), 200, [("Content-Type", "application/json")])
        assert rw == Rewrite(
            None, (("Access-Control-Allow-Origin", ORIGIN), ("Vary", "Origin")), ()
        )

    def test_no_preflight_headers(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule(
            'allow_origin = "*"\nallow_methods = ["PUT"]\nallow_headers = ["x"]\nmax_age = 5\n'
            "allow_private_network = true"
        )
        rw = rewrite_response(r, facts(), 200, [])
        assert rw == Rewrite(None, (("Access-Control-Allow-Origin", "*"),), ())

    def test_replaces_not_duplicates_acao(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('allow_origin = "reflect"')
        headers = [
            ("access-control-allow-origin", "*"),
            ("Content-Type", "text/plain"),
            ("Access-Control-Allow-Origin", "https://other.example"),
        ]
        rw = rewrite_response(r, facts(credentials=True), 200, headers)
        assert rw is not None
        result = apply_rewrite(headers, rw)
        assert result == [
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Content-Type", "text/plain"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ]
        assert [n.lower() for n, _ in result].count("access-control-allow-origin") == 1

    @pytest.mark.parametrize(
        "origin,credentials,request_credentials,expected",
        [
            ('"reflect"', '"auto"', True, "true"),
            ('"reflect"', '"auto"', False, "server"),
            ('"http://localhost:3000"', '"auto"', True, "true"),
            ('"*"', '"auto"', True, "server"),
            ('"reflect"', "true", False, "true"),
            ('"reflect"', "false", True, "server"),  # false adds none; it never removes
            ('"*"', "false", False, "server"),
        ],
    )
    def test_credentials(
        self,
        rule: RuleFactory,
        facts: FactsFactory,
        origin: str,
        credentials: str,
        request_credentials: bool,
        expected: str | None,
    ) -> None:
        """Expected ACAC after the rewrite; "server" means the server's own field is kept."""
        r = rule(f"allow_origin = {origin}\nallow_credentials = {credentials}")
        headers = [("Access-Control-Allow-Credentials", "server")]
        rw = rewrite_response(r, facts(credentials=request_credentials), 200, headers)
        assert rw is not None
        after = dict(apply_rewrite(headers, rw))
        assert after.get("Access-Control-Allow-Credentials") == expected

    @pytest.mark.parametrize(
        "vary,expected",
        [
            ([], ["Origin"]),
            (["Accept-Encoding"], ["Accept-Encoding, Origin"]),
            (["Accept-Encoding", "Cookie"], ["Accept-Encoding, Cookie, Origin"]),
            (["accept, origin"], ["accept, origin"]),
            (["ORIGIN"], ["ORIGIN"]),
            (["*"], ["*"]),
        ],
    )
    def test_vary_merge(
        self, rule: RuleFactory, facts: FactsFactory, vary: list[str], expected: list[str]
    ) -> None:
        headers = [("Vary", v) for v in vary]
        rw = rewrite_response(rule('allow_origin = "reflect"'), facts(), 200, headers)
        assert rw is not None
        assert [v for n, v in apply_rewrite(headers, rw) if n == "Vary"] == expected

    def test_no_vary_without_reflect(self, rule: RuleFactory, facts: FactsFactory) -> None:
        for origin in ('"*"', '"http://localhost:3000"'):
            rw = rewrite_response(rule(f"allow_origin = {origin}"), facts(), 200, [])
            assert rw is not None and "Vary" not in dict(rw.set)

    @pytest.mark.parametrize(
        "expose,expected",
        [
            ('["x-request-id", "X-Total"]', "x-request-id, X-Total"),
            ('"*"', "*"),
            ("[]", None),
            (
                '"all"',
                "x-request-id, x-total, etag",
            ),
        ],
    )
    def test_expose(
        self, rule: RuleFactory, facts: FactsFactory, expose: str, expected: str | None
    ) -> None:
        headers = [
            ("Content-Type", "application/json"),
            ("X-Request-Id", "1"),
            ("Cache-Control", "no-store"),
            ("x-total", "7"),
            ("Set-Cookie", "a=b"),
            ("Access-Control-Allow-Origin", "*"),
            ("x-request-id", "2"),
            ("ETag", '"v1"'),
        ]
        r = rule(f'allow_origin = "*"\nexpose_headers = {expose}')
        rw = rewrite_response(r, facts(), 200, headers)
        assert dict(rw.set if rw else ()).get("Access-Control-Expose-Headers") == expected

    def test_expose_all_without_candidates(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('allow_origin = "*"\nexpose_headers = "all"')
        assert rewrite_response(r, facts(), 200, [("Content-Type", "text/html")]) == Rewrite(
            None, (("Access-Control-Allow-Origin", "*"),), ()
        )

    def test_expose_all_includes_the_added_vary(
        self, rule: RuleFactory, facts: FactsFactory
    ) -> None:
        r = rule('allow_origin = "reflect"\nexpose_headers = "all"')
        rw = rewrite_response(r, facts(), 200, [("X-Id", "1")])
        assert rw is not None
        assert dict(rw.set)["Access-Control-Expose-Headers"] == "x-id, vary"

    def test_expose_all_after_strip(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('allow_origin = "*"\nexpose_headers = "all"\nstrip = ["x-internal-*"]')
        headers = [("X-Internal-Trace", "1"), ("X-Id", "2")]
        rw = rewrite_response(r, facts(), 200, headers)
        assert rw == Rewrite(
            None,
            (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "x-id")),
            ("x-internal-trace",),
        )

    @pytest.mark.parametrize(
        "status,changed", [(200, True), (399, True), (400, False), (503, False)]
    )
    def test_errors_false(
        self, rule: RuleFactory, facts: FactsFactory, status: int, changed: bool
    ) -> None:
        r = rule('allow_origin = "reflect"\nerrors = false\nstrip = ["x-a"]')
        rw = rewrite_response(r, facts(), status, [("X-A", "1")])
        assert (rw is not None) is changed

    @pytest.mark.parametrize("status", [404, 500])
    def test_errors_true_decorates_errors(
        self, rule: RuleFactory, facts: FactsFactory, status: int
    ) -> None:
        rw = rewrite_response(rule('allow_origin = "*"'), facts(), status, [])
        assert rw == Rewrite(None, (("Access-Control-Allow-Origin", "*"),), ())


class TestStrip:
    def test_strip_only(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('strip = ["access-control-*", "Vary"]')
        headers = [
            ("Access-Control-Allow-Origin", "*"),
            ("content-type", "text/plain"),
            ("ACCESS-CONTROL-ALLOW-CREDENTIALS", "true"),
            ("vary", "Origin"),
            ("Access-Control-Allow-Origin", "*"),
        ]
        rw = rewrite_response(r, facts(), 200, headers)
        assert rw == Rewrite(
            None,
            (),
            ("access-control-allow-origin", "access-control-allow-credentials", "vary"),
        )
        assert apply_rewrite(headers, rw) == [("content-type", "text/plain")]

    def test_nothing_to_strip(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('strip = ["access-control-*"]')
        assert rewrite_response(r, facts(), 200, [("Content-Type", "text/plain")]) is None

    def test_strip_then_set(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('allow_origin = "http://localhost:3000"\nstrip = ["access-control-*"]')
        headers = [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", "x-a"),
        ]
        rw = rewrite_response(r, facts(), 200, headers)
        assert rw == Rewrite(
            None,
            (("Access-Control-Allow-Origin", ORIGIN),),
            ("access-control-expose-headers",),
        )

    def test_stripped_vary_is_rebuilt(self, rule: RuleFactory, facts: FactsFactory) -> None:
        r = rule('allow_origin = "reflect"\nstrip = ["vary"]')
        rw = rewrite_response(r, facts(), 200, [("Vary", "Origin")])
        assert rw == Rewrite(None, (("Access-Control-Allow-Origin", ORIGIN),), ())

    def test_noop_rule(
        self, rule: RuleFactory, facts: FactsFactory, preflight: FactsFactory
    ) -> None:
        r = rule('match = { paths = ["/health"] }')
        assert rewrite_response(r, facts(), 500, [("X", "1")]) is None
        assert rewrite_response(r, preflight(), 405, []) is None


def test_already_correct_is_none(rule: RuleFactory, facts: FactsFactory) -> None:
    r = rule('allow_origin = "reflect"')
    headers = [("access-control-allow-origin", ORIGIN), ("vary", "Accept, Origin")]
    assert rewrite_response(r, facts(), 200, headers) is None
    # a second copy of the same value is a change
    rw = rewrite_response(r, facts(), 200, [*headers, ("Access-Control-Allow-Origin", ORIGIN)])
    assert rw == Rewrite(None, (("Access-Control-Allow-Origin", ORIGIN),), ())


def test_rewrite_is_plain_data(rule: RuleFactory, facts: FactsFactory) -> None:
    rw = rewrite_response(rule('allow_origin = "*"'), facts(), 200, iter([("A", "1")]))
    assert rw is not None
    assert isinstance(rw.set, tuple) and isinstance(rw.removed, tuple)
    assert rw._asdict() == {
        "status": None,
        "set": (("Access-Control-Allow-Origin", "*"),),
        "removed": (),
    }


def test_apply_rewrite_keeps_other_fields_in_place() -> None:
    headers = [("A", "1"), ("Vary", "x"), ("B", "2"), ("vary", "y"), ("Location", "/z")]
    rw = Rewrite(None, (("Vary", "x, y, Origin"), ("New", "n")), ("location",))
    assert apply_rewrite(headers, rw) == [
        ("A", "1"),
        ("Vary", "x, y, Origin"),
        ("B", "2"),
        ("New", "n"),
    ]


class TestGrantsAdd:
    """A rule's grants add to the server's; only strip takes away."""

    def test_reflected_origin_with_credentials_is_never_downgraded(
        self, rule: RuleFactory, facts: FactsFactory
    ) -> None:
        server = [
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
        ]
        for body in ('allow_origin = "*"', 'allow_origin = "reflect"\nallow_credentials = false'):
            rw = rewrite_response(rule(body), facts(credentials=True), 200, server)
            after = apply_rewrite(server, rw) if rw is not None else server
            assert ("Access-Control-Allow-Origin", ORIGIN) in after, body
            assert ("Access-Control-Allow-Credentials", "true") in after, body

    @pytest.mark.parametrize(
        "server,expected",
        [
            (None, "*"),
            ("*", None),  # the same grant: unchanged
            (ORIGIN, None),  # the server's names this origin: more than "*" gives
            ("https://other.example", "*"),
            (f"{ORIGIN}, {ORIGIN}", "*"),  # two values grant nothing
        ],
    )
    def test_star_replaces_only_a_lesser_allow_origin(
        self, rule: RuleFactory, facts: FactsFactory, server: str | None, expected: str | None
    ) -> None:
        headers = [("Access-Control-Allow-Origin", server)] if server else []
        rw = rewrite_response(rule('allow_origin = "*"'), facts(), 200, headers)
        assert dict(rw.set if rw else ()).get("Access-Control-Allow-Origin") == expected

    def test_reflect_replaces_a_star(self, rule: RuleFactory, facts: FactsFactory) -> None:
        headers = [("Access-Control-Allow-Origin", "*")]
        rw = rewrite_response(
            rule('allow_origin = "reflect"'), facts(credentials=True), 200, headers
        )
        assert rw is not None
        assert dict(apply_rewrite(headers, rw)) == {
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    @pytest.mark.parametrize(
        "server,rule_value,method,expected",
        [
            ("GET, PATCH", '["PUT"]', "PATCH", "GET, PATCH, PUT"),
            ("GET, PATCH", '"reflect"', "PATCH", None),  # already there
            ("GET, PATCH", '"reflect"', "DELETE", "GET, PATCH, DELETE"),
            ("GET,PATCH", '["GET"]', "PATCH", None),  # nothing new: the server's stays as sent
            ("GET, PATCH", '"*"', "PATCH", "GET, PATCH, *"),
            ("GET;PATCH", '["PUT"]', "PATCH", "PUT"),  # unparseable: grants nothing, replaced
            (None, '["PUT", "DELETE"]', "PATCH", "PUT, DELETE"),
            ("put", '["PUT"]', "PUT", "put, PUT"),  # methods compare byte for byte
        ],
    )
    def test_allow_methods_is_a_union(
        self,
        rule: RuleFactory,
        preflight: FactsFactory,
        server: str | None,
        rule_value: str,
        method: str,
        expected: str | None,
    ) -> None:
        headers = [("Access-Control-Allow-Origin", ORIGIN)]
        if server is not None:
            headers.append(("Access-Control-Allow-Methods", server))
        r = rule(f'allow_origin = "reflect"\nallow_methods = {rule_value}\npreflight = "forward"')
        rw = rewrite_response(r, preflight(method=method, acrh=None), 204, headers)
        assert dict(rw.set if rw else ()).get("Access-Control-Allow-Methods") == expected

    @pytest.mark.parametrize(
        "server,rule_value,acrh,expected",
        [
            ("x-a, x-b", '["x-c"]', "x-a,x-b", "x-a, x-b, x-c"),
            ("x-a, x-b", '["X-B"]', "x-a,x-b", None),  # names compare case-insensitively
            ("x-a", '"reflect"', "x-a,x-b", "x-a, x-b"),
            ("*", '["authorization"]', "authorization", "*, authorization"),
            ("x a", '["x-c"]', "x-c", "x-c"),  # unparseable: replaced
        ],
    )
    def test_allow_headers_is_a_union(
        self,
        rule: RuleFactory,
        preflight: FactsFactory,
        server: str,
        rule_value: str,
        acrh: str,
        expected: str | None,
    ) -> None:
        headers = [
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Headers", server),
        ]
        r = rule(f'allow_origin = "reflect"\nallow_headers = {rule_value}\npreflight = "forward"')
        rw = rewrite_response(r, preflight(acrh=acrh), 204, headers)
        assert dict(rw.set if rw else ()).get("Access-Control-Allow-Headers") == expected

    def test_expose_headers_is_a_union(self, rule: RuleFactory, facts: FactsFactory) -> None:
        headers = [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", "x-total"),
            ("X-Total", "3"),
            ("X-Id", "1"),
        ]
        rw = rewrite_response(
            rule('allow_origin = "*"\nexpose_headers = ["x-id"]'), facts(), 200, headers
        )
        assert rw == Rewrite(None, (("Access-Control-Expose-Headers", "x-total, x-id"),), ())
        rw = rewrite_response(
            rule('allow_origin = "*"\nexpose_headers = "all"'), facts(), 200, headers
        )
        assert rw == Rewrite(None, (("Access-Control-Expose-Headers", "x-total, x-id"),), ())

    def test_an_exact_origin_grants_nothing_to_other_origins(
        self, rule: RuleFactory, facts: FactsFactory, preflight: FactsFactory
    ) -> None:
        r = rule('allow_origin = "https://app.example"\nstrip = ["x-internal"]')
        assert rewrite_response(r, facts(), 200, [("Access-Control-Allow-Origin", ORIGIN)]) is None
        assert rewrite_response(r, preflight(), 405, []) is None  # not even its status
        # ... but it still strips
        rw = rewrite_response(r, facts(), 200, [("X-Internal", "1")])
        assert rw == Rewrite(None, (), ("x-internal",))
        rw = rewrite_response(r, facts(origin="https://app.example"), 200, [])
        assert rw == Rewrite(None, (("Access-Control-Allow-Origin", "https://app.example"),), ())

    def test_credentials_replace_a_value_that_is_not_true(
        self, rule: RuleFactory, facts: FactsFactory
    ) -> None:
        for server in (["True"], ["true", "true"], ["false"]):
            headers = [("Access-Control-Allow-Origin", ORIGIN)]
            headers += [("Access-Control-Allow-Credentials", v) for v in server]
            rw = rewrite_response(
                rule('allow_origin = "reflect"'), facts(credentials=True), 200, headers
            )
            assert rw is not None
            after = apply_rewrite(headers, rw)
            assert [v for n, v in after if n.startswith("Access-Control-Allow-C")] == ["true"]


def _verdict(facts: FlowFacts, status: int, headers: list[tuple[str, str]]) -> Verdict:
    """What Chromium decides about this response to the request `facts` describes."""
    url = f"https://{facts.host}{facts.path}"
    fields = [
        ("Origin", facts.origin),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Site", "cross-site"),
    ]
    if facts.is_preflight:
        fields.append(("Access-Control-Request-Method", facts.method))
        if facts.acrh:
            fields.append(("Access-Control-Request-Headers", facts.acrh))
        req = WireRequest("OPTIONS", url, Headers(fields))
    else:
        if facts.credentials:
            fields.append(("Cookie", "sid=1"))
        req = WireRequest(facts.method, url, Headers(fields))
    return judge(req, classify(req, CHROMIUM), WireResponse(status, Headers(headers)), CHROMIUM)


def _fields(name: str, *values: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """No field, or one of `values` (a tuple value: several field lines)."""
    return st.sampled_from([(), *values]).map(
        lambda v: [(name, x) for x in (v if isinstance(v, tuple) else (v,))]
    )


def _server(*groups: st.SearchStrategy[list[tuple[str, str]]]) -> st.SearchStrategy:
    return st.tuples(*groups).map(lambda gs: [f for g in gs for f in g])


def _rule(**keys: tuple[str, ...]) -> st.SearchStrategy[Rule]:
    """A rule with one of the given values for each key (None: the key left out)."""

    def parse(body: dict[str, str | None]) -> Rule:
        if body["allow_origin"] == '"*"' and body.get("allow_credentials") == "true":
            body["allow_credentials"] = "false"  # refused at load time
        text = "\n".join(f"{k} = {v}" for k, v in body.items() if v is not None)
        return parse_rules(f'[[rules]]\nname = "p"\n{text}\n').rules[0]

    return st.fixed_dictionaries({k: st.sampled_from(v) for k, v in keys.items()}).map(parse)


BASE = FlowFacts(
    host="api.example.com",
    port=443,
    path="/v1/items",
    origin=ORIGIN,
    method="GET",
    is_preflight=False,
    acrh=None,
    credentials=False,
)
ORIGINS = ('"reflect"', '"*"', f'"{ORIGIN}"', '"https://app.example"')
CREDENTIALS = (None, '"auto"', "true", "false")


def _never_worse(r: Rule, facts: FlowFacts, status: int, server: list[tuple[str, str]]) -> None:
    rw = rewrite_response(r, facts, status, server)
    if rw is None:
        return
    after = apply_rewrite(server, rw)
    before_verdict = _verdict(facts, status, server)
    after_verdict = _verdict(facts, rw.status or status, after)
    assert not made_worse(before_verdict, after_verdict), (before_verdict, after_verdict, after)


@settings(max_examples=1500, deadline=None)
@given(
    r=_rule(
        allow_origin=ORIGINS,
        allow_credentials=CREDENTIALS,
        allow_methods=(None, '"*"', '["GET"]', '["PUT", "PATCH"]', "[]"),
        allow_headers=(None, '"*"', '["x-a"]', '["authorization"]', "[]"),
        max_age=(None, "0"),
        preflight=('"fix"', '"forward"', '"answer"'),
    ),
    method=st.sampled_from(["GET", "PUT", "PATCH"]),
    acrh=st.sampled_from([None, "x-a", "x-a,x-b", "authorization"]),
    status=st.sampled_from([204, 200, 302, 404]),
    server=_server(
        _fields("Access-Control-Allow-Origin", ORIGIN, "*", (ORIGIN, ORIGIN)),
        _fields("Access-Control-Allow-Credentials", "true"),
        _fields("Access-Control-Allow-Methods", "GET, PATCH", "*", "PUT;DELETE", "put"),
        _fields("Access-Control-Allow-Headers", "x-a, x-b", "*", "authorization", "x a"),
        _fields("Location", "/elsewhere"),
    ),
)
def test_a_rule_that_does_not_strip_never_makes_a_preflight_worse(
    r: Rule, method: str, acrh: str | None, status: int, server: list[tuple[str, str]]
) -> None:
    """Judged for a request without credentials and (error_with_credentials) with them."""
    _never_worse(r, BASE._replace(method=method, acrh=acrh, is_preflight=True), status, server)


@settings(max_examples=1500, deadline=None)
@given(
    r=_rule(
        allow_origin=ORIGINS,
        allow_credentials=CREDENTIALS,
        expose_headers=(None, '"all"', '"*"', '["x-id"]'),
        errors=("true", "false"),
    ),
    origin=st.sampled_from([ORIGIN, "null", "https://app.example"]),
    credentials=st.booleans(),
    status=st.sampled_from([200, 302, 404]),
    server=_server(
        _fields(
            "Access-Control-Allow-Origin",
            ORIGIN,
            "*",
            "null",
            "https://app.example",
            (ORIGIN, ORIGIN),
        ),
        _fields("Access-Control-Allow-Credentials", "true", "True", ("true", "true")),
        _fields("Access-Control-Expose-Headers", "x-id", "*"),
        _fields("Location", "/elsewhere"),
        _fields("Vary", "Accept", "Origin"),
        _fields("X-Id", "1"),
    ),
)
def test_a_rule_that_does_not_strip_never_makes_a_response_worse(
    r: Rule, origin: str, credentials: bool, status: int, server: list[tuple[str, str]]
) -> None:
    facts = BASE._replace(origin=origin, credentials=credentials)
    _never_worse(r, facts, status, server)
    rw = rewrite_response(r, facts, status, server)
    if rw is not None and status < 300:  # what the page can read: no less than before
        after = WireResponse(status, Headers(apply_rewrite(server, rw)))
        hidden = set(_unreadable_headers(after, credentials))
        assert not hidden - set(
            _unreadable_headers(WireResponse(status, Headers(server)), credentials)
        )


class TestMadeWorse:
    ALLOWED = Verdict("allowed")
    ERROR = CorsError("x", "MissingAllowOriginHeader", "", "", "", "")
    BLOCKED = Verdict("blocked", ERROR)
    NOT_WITH_CREDENTIALS = Verdict("allowed", None, (), ERROR)

    @pytest.mark.parametrize(
        "server,sent,worse",
        [
            (ALLOWED, BLOCKED, True),
            (BLOCKED, ALLOWED, False),
            (ALLOWED, ALLOWED, False),
            (BLOCKED, BLOCKED, False),
            (ALLOWED, NOT_WITH_CREDENTIALS, True),  # the credentialed request now fails
            (NOT_WITH_CREDENTIALS, ALLOWED, False),
            (Verdict("unknown"), BLOCKED, True),
            (Verdict("not-cors"), BLOCKED, False),
        ],
    )
    def test_made_worse(self, server: Verdict, sent: Verdict, worse: bool) -> None:
        assert made_worse(server, sent) is worse
