from collections.abc import Callable

import pytest

from cors_addon.rules import FlowFacts
from cors_addon.rules import Rewrite
from cors_addon.rules import Rule
from cors_addon.rules import answer_preflight
from cors_addon.rules import apply_rewrite
from cors_addon.rules import rewrite_response

FactsFactory = Callable[..., FlowFacts]
RuleFactory = Callable[[str], Rule]
ORIGIN = "http://localhost:3000"


@pytest.fixture
def preflight(facts: FactsFactory) -> FactsFactory:
    """A preflight for PUT with two request headers, no credentials (preflights carry none)."""

    def make(**overrides: object) -> FlowFacts:
        defaults: dict[str, object] = {"acrh": "content-type,x-api-key"}
        return facts(method="PUT", is_preflight=True, **{**defaults, **overrides})

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
                ("Access-Control-Allow-Headers", "content-type,x-api-key"),
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
        assert answer_preflight(r, preflight()) == (
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
        r = rule('allow_origin = "*"\nallow_methods = "*"\nallow_headers = "*"\nmax_age = 0')
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
            ('allow_headers = ["x-b"]', None, "x-b"),
            ("allow_headers = []", "x-a", None),
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
        r = rule(f'allow_origin = "reflect"\n{body}')
        _, headers = answer_preflight(r, preflight(acrh=acrh))
        assert dict(headers).get("Access-Control-Allow-Headers") == expected

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
        r = rule(f"allow_origin = {origin}\nallow_credentials = {credentials}")
        _, headers = answer_preflight(r, preflight())
        assert dict(headers).get("Access-Control-Allow-Credentials") == expected

    def test_null_origin(self, rule: RuleFactory, preflight: FactsFactory) -> None:
        _, headers = answer_preflight(rule('allow_origin = "reflect"'), preflight(origin="null"))
        assert headers[0] == ("Access-Control-Allow-Origin", "null")


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
            "Access-Control-Allow-Headers": "content-type,x-api-key",
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
                ("Access-Control-Allow-Headers", "content-type,x-api-key"),
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
            ('"reflect"', "false", True, None),
            ('"*"', "false", False, None),
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
