"""Properties of rewrites over generated rules and responses."""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from cors_addon.rules import FlowFacts
from cors_addon.rules import apply_rewrite
from cors_addon.rules import covers_origin
from cors_addon.rules import parse_rules
from cors_addon.rules import rewrite_response

NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-credentials",
        "Access-Control-Expose-Headers",
        "Vary",
        "Location",
        "Content-Type",
        "X-Request-Id",
        "Set-Cookie",
    ]
)
VALUES = st.sampled_from(["*", "true", "Origin", "Accept, Origin", "x", "http://localhost:3000"])
HEADERS = st.lists(st.tuples(NAMES, VALUES), max_size=8)
RULE_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "allow_origin": st.sampled_from(['"reflect"', '"*"', '"http://localhost:3000"']),
        "expose_headers": st.sampled_from(['"all"', '"*"', '["x-request-id"]']),
        "strip": st.sampled_from(['["access-control-*"]', '["vary", "location"]']),
        "errors": st.sampled_from(["true", "false"]),
    },
)
FACTS = st.builds(
    FlowFacts,
    host=st.just("api.example.com"),
    port=st.just(443),
    path=st.just("/"),
    origin=st.sampled_from(["http://localhost:3000", "null", "https://app.example"]),
    method=st.sampled_from(["GET", "PUT"]),
    is_preflight=st.booleans(),
    acrh=st.sampled_from([None, "x-api-key"]),
    credentials=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    body=RULE_BODIES,
    credentials=st.sampled_from(["", '"auto"', "true", "false"]),
    facts=FACTS,
    status=st.sampled_from([200, 204, 301, 404, 405, 500]),
    headers=HEADERS,
)
def test_rewrite_is_idempotent_and_never_duplicates_acao(
    body: dict[str, str], credentials: str, facts: FlowFacts, status: int, headers: list
) -> None:
    if "allow_origin" not in body:
        body.pop("expose_headers", None)
    elif credentials and body["allow_origin"] != '"*"':
        body["allow_credentials"] = credentials
    text = "\n".join(f"{k} = {v}" for k, v in body.items())
    rule = parse_rules(f'[[rules]]\nname = "p"\n{text}\n').rules[0]
    rw = rewrite_response(rule, facts, status, headers)
    if rw is None:
        return
    after = apply_rewrite(headers, rw)
    new_status = rw.status or status
    assert rewrite_response(rule, facts, new_status, after) is None
    if rule.allow_origin is not None and covers_origin(rule, facts):
        acao = [v for n, v in after if n.lower() == "access-control-allow-origin"]
        assert len(acao) == 1
        # the rule's value, or the server's when it already named this origin (or "*" as well)
        wanted = facts.origin if rule.allow_origin == "reflect" else rule.allow_origin
        assert acao[0] in (wanted, facts.origin)
    for name in rw.removed:
        assert name not in {n.lower() for n, _ in after}
