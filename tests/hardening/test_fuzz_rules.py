"""Fuzzing the rules: the loader with arbitrary text, bytes and TOML, the glob parsers, the
matcher against any flow, and the rewrite of any response.

The properties: a rules file either loads whole or raises one RulesError (never another
exception, never a partial rule set); the matcher never raises and picks exactly the first
enabled rule that matches (the host index and its cache agree with a linear scan); a rewrite
never raises and leaves one Access-Control-Allow-Origin.

Examples per property: CORS_FUZZ_EXAMPLES (200 by default; 10000 for a fuzzing run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzz_strategies import RESPONSE_NAMES
from fuzz_strategies import any_text
from fuzz_strategies import fuzz_settings
from fuzz_strategies import header_fields
from fuzz_strategies import methods
from fuzz_strategies import origins
from fuzz_strategies import statuses
from fuzz_strategies import wire_text
from hypothesis import assume
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy.test import tflow

from cors_addon.rules import FlowFacts
from cors_addon.rules import Rule
from cors_addon.rules import RulesError
from cors_addon.rules import RuleSet
from cors_addon.rules import answer_preflight
from cors_addon.rules import apply_rewrite
from cors_addon.rules import load_rules
from cors_addon.rules import parse_rules
from cors_addon.rules import rewrite_response
from cors_addon.rules.errors import Invalid
from cors_addon.rules.globs import exact_origin
from cors_addon.rules.globs import header_glob
from cors_addon.rules.globs import host_glob
from cors_addon.rules.globs import origin_glob
from cors_addon.rules.globs import path_glob
from cors_addon.rules.table import MATCH_KEYS
from cors_addon.rules.table import RULE_KEYS

pytestmark = pytest.mark.fuzz

EXAMPLE = (Path(__file__).parents[2] / "rules.toml").read_text()

# -- TOML built from the rules vocabulary -----------------------------------------------------


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, but for lone surrogates, which make
    the document invalid: exactly the kind of input wanted here)."""
    return json.dumps(text, ensure_ascii=False)


GLOBISH = st.sampled_from(
    [
        "*",
        "api.example",
        "*.example",
        "localhost:3000",
        "127.0.0.1:*",
        "[::1]",
        "[::1]:8080",
        "http://localhost:3000",
        "https://*.example",
        "http://localhost:*",
        "null",
        "/v1/*",
        "*/items",
        "access-control-*",
        "x-*",
        "GET",
        "put",
        "reflect",
        "all",
        "auto",
        "answer",
        "fix",
        "forward",
        "~u /v1",
        "!~u /health",
        "~m PUT & ~h x-api-key",
        "~(",
        "",
        " ",
        "https://app.example:443",
        "xn--bcher-kva.example",
        "bücher.example",
    ]
)
strings = st.one_of(GLOBISH, GLOBISH, wire_text, any_text)
scalars = st.one_of(
    strings.map(toml_string),
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.sampled_from(["0", "204", "600", "86401", "-1", "true", "false", "1.5", "inf", "nan"]),
    st.sampled_from(["1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "'literal'", '""']),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(
            st.tuples(st.sampled_from([*MATCH_KEYS, "host", "origin", "colour"]), inner),
            max_size=3,
        ).map(lambda kv: "{ " + ", ".join(f"{k} = {v}" for k, v in kv) + " }"),
    ),
    max_leaves=6,
)
keys = st.one_of(
    st.sampled_from(RULE_KEYS),
    st.sampled_from(RULE_KEYS),
    st.sampled_from(["allow_orgin", "hosts", "match.hosts", "colour", '"quoted key"', "rules"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=12),
)


@st.composite
def rule_tables(draw: st.DrawFn) -> str:
    lines = ["[[rules]]"]
    if draw(st.integers(0, 9)):
        lines.append(f"name = {draw(st.one_of(strings.map(toml_string), values))}")
    for key, value in draw(st.lists(st.tuples(keys, values), max_size=6)):
        lines.append(f"{key} = {value}")
    if draw(st.integers(0, 4)) == 0:
        lines.append("[rules.match]")
        for key, value in draw(st.lists(st.tuples(st.sampled_from(MATCH_KEYS), values))):
            lines.append(f"{key} = {value}")
    return "\n".join(lines)


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    parts = draw(st.lists(rule_tables(), max_size=4))
    if draw(st.integers(0, 9)) == 0:
        parts.insert(0, f"{draw(keys)} = {draw(values)}")
    return "\n\n".join(parts) + draw(st.sampled_from(["", "\n", "\r\n", "\n[[rules]]", "\x00"]))


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    """The documented rules.toml with a few random edits: cuts, insertions, a swapped line."""
    text = EXAMPLE
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["cut", "insert", "enable"]))
        if edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif edit == "insert":
            text = text[:at] + draw(st.one_of(any_text, GLOBISH, st.just('"'))) + text[at:]
        else:
            text = text.replace("enabled = false", "enabled = true", draw(st.integers(1, 9)))
    return text


def _loads_whole_or_raises_one_error(text: str) -> None:
    try:
        ruleset = parse_rules(text, "fuzz.toml")
    except RulesError as e:
        message = str(e)
        assert message.startswith("fuzz.toml") and e.problem, message
        assert "internal error" not in message, message  # the loader's last-resort barrier
        assert "\n" not in message.replace(e.problem, "").replace(e.suggestion or "", "")
        return
    assert isinstance(ruleset, RuleSet)
    assert all(isinstance(r, Rule) and r.name.strip() for r in ruleset.rules)
    assert len({r.name for r in ruleset.rules}) == len(ruleset.rules)


@fuzz_settings
@given(text=st.one_of(toml_documents(), mutated_example(), any_text, wire_text))
def test_parser_loads_whole_or_raises_one_rules_error(text: str) -> None:
    _loads_whole_or_raises_one_error(text)


@fuzz_settings
@given(
    data=st.one_of(
        st.binary(max_size=200),
        toml_documents().map(lambda t: t.encode("utf-8", "surrogatepass")),  # lone surrogates
    )
)
def test_loader_on_any_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "rules.toml"
    path.write_bytes(data)
    try:
        load_rules(path)
    except RulesError as e:
        assert str(e).startswith(str(path)) and "internal error" not in str(e), e


GLOB_PARSERS = [host_glob, path_glob, origin_glob, header_glob, exact_origin]


@fuzz_settings
@given(text=st.one_of(strings, origins, any_text), probe=st.one_of(strings, wire_text))
def test_glob_parsers_raise_only_invalid(text: str, probe: str) -> None:
    for parse in GLOB_PARSERS:
        try:
            glob = parse(text)
        except Invalid as e:
            assert e.problem
            continue
        if parse is host_glob:
            glob.matches(probe.lower(), 443)
        elif parse is not exact_origin:
            glob.matches(probe)


# -- the matcher -------------------------------------------------------------------------------

HOST_GLOBS = st.sampled_from(
    [
        "api.example",
        "API.example",
        "*.example",
        "*",
        "api.example:8080",
        "api.example:*",
        "localhost",
        "127.0.0.1",
        "[::1]",
        "[::1]:443",
        "xn--bcher-kva.example",
        "*-api.example",
        "a*b",
    ]
)
PATH_GLOBS = st.sampled_from(["/v1/*", "/", "*", "/v1/items", "*/items", "/%zz*"])
ORIGIN_GLOBS = st.sampled_from(
    [
        "http://localhost:3000",
        "http://localhost:*",
        "https://*.example",
        "null",
        "*",
        "http://[::1]",
    ]
)
FILTERS = st.sampled_from(["~u /v1", "!~u /health", "~m GET", "~h x", "~q"])


def _array(items: list[str]) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


@st.composite
def valid_rules(draw: st.DrawFn) -> str:
    tables = []
    for n in range(draw(st.integers(1, 6))):
        match = []
        if draw(st.booleans()):
            match.append(f"hosts = {_array(draw(st.lists(HOST_GLOBS, min_size=1, max_size=3)))}")
        if draw(st.integers(0, 2)) == 0:
            match.append(f"paths = {_array(draw(st.lists(PATH_GLOBS, min_size=1, max_size=2)))}")
        if draw(st.integers(0, 2)) == 0:
            match.append(f"origins = {_array(draw(st.lists(ORIGIN_GLOBS, min_size=1)))}")
        if draw(st.integers(0, 3)) == 0:
            match.append(f"methods = {_array(draw(st.lists(st.sampled_from(['GET', 'PUT']))))}")
        if draw(st.integers(0, 5)) == 0:
            match.append(f"filter = {toml_string(draw(FILTERS))}")
        enabled = draw(st.sampled_from(["true", "true", "false"]))
        tables.append(
            f'[[rules]]\nname = "r{n}"\nenabled = {enabled}\nmatch = {{ {", ".join(match)} }}\n'
            + draw(st.sampled_from(['allow_origin = "reflect"', 'strip = ["x-*"]', ""]))
        )
    return "\n".join(tables)


facts = st.builds(
    FlowFacts,
    host=st.one_of(
        st.sampled_from(
            ["api.example", "API.EXAMPLE", "api.example.", "x.example", "localhost", "::1"]
        ),
        st.sampled_from(["[::1]", "127.0.0.1", "xn--bcher-kva.example", "", "a-b", "a.b"]),
        wire_text,
    ),
    port=st.one_of(st.sampled_from([80, 443, 3000, 8080]), st.integers(-1, 70_000)),
    path=st.one_of(st.sampled_from(["/", "/v1/items", "/health", "/%zz"]), wire_text),
    origin=origins,
    method=methods,
    is_preflight=st.booleans(),
    acrh=st.one_of(st.none(), st.sampled_from(["x-api-key", "", ",,"]), wire_text),
    credentials=st.booleans(),
)
FLOW = tflow.tflow()


@fuzz_settings
@given(text=valid_rules(), probes=st.lists(facts, min_size=1, max_size=5))
def test_matcher_is_the_first_matching_enabled_rule(text: str, probes: list[FlowFacts]) -> None:
    try:
        ruleset = parse_rules(text)
    except RulesError:
        assume(False)
        raise
    for f in probes * 2:  # twice: the second time from the candidates cache
        found = ruleset.match(f, FLOW)
        expected = next((r for r in ruleset.rules if r.enabled and r.matches(f, FLOW)), None)
        assert found is expected, (f, found, expected)


# -- rewrites --------------------------------------------------------------------------------

GRANTS = st.fixed_dictionaries(
    {},
    optional={
        "allow_origin": st.sampled_from(['"reflect"', '"*"', '"http://localhost:3000"', '"null"']),
        "allow_credentials": st.sampled_from(['"auto"', "true", "false"]),
        "allow_methods": st.sampled_from(['"reflect"', '"*"', '["GET", "PUT"]']),
        "allow_headers": st.sampled_from(['"reflect"', '"*"', '["x-api-key"]']),
        "expose_headers": st.sampled_from(['"all"', '"*"', '["x-request-id"]', "[]"]),
        "max_age": st.sampled_from(["0", "600", "86400"]),
        "allow_private_network": st.sampled_from(["true", "false"]),
        "preflight": st.sampled_from(['"answer"', '"fix"', '"forward"']),
        "preflight_status": st.sampled_from(["200", "204", "299"]),
        "strip": st.sampled_from(['["access-control-*"]', '["*"]', '["vary", "location"]', "[]"]),
        "errors": st.sampled_from(["true", "false"]),
    },
)


@fuzz_settings
@given(
    body=GRANTS,
    f=facts,
    status=statuses,
    headers=header_fields(RESPONSE_NAMES),
)
def test_rewrite_never_raises_and_sets_one_allow_origin(body, f, status, headers) -> None:
    if "allow_origin" not in body:  # the other grant keys need it
        body = {k: v for k, v in body.items() if k in ("strip", "errors")}
    elif body["allow_origin"] == '"*"' and body.get("allow_credentials") == "true":
        body["allow_origin"] = '"reflect"'  # refused: browsers reject "*" with credentials
    if body.get("preflight") == '"forward"':
        body.pop("preflight_status", None)
    text = "\n".join(f"{k} = {v}" for k, v in body.items())
    rule = parse_rules(f'[[rules]]\nname = "r"\n{text}\n').rules[0]
    answer = answer_preflight(rule, f) if f.is_preflight else None
    if answer is not None:  # only what the rule's own answer allows is answered
        answer_status, answered = answer
        assert 200 <= answer_status <= 299
        assert [n for n, _ in answered].count("Access-Control-Allow-Origin") == 1
        assert all(isinstance(n, str) and isinstance(v, str) for n, v in answered)
    rewrite = rewrite_response(rule, f, status, headers)
    if rewrite is None:
        return
    after = apply_rewrite(headers, rewrite)
    assert all(isinstance(n, str) and isinstance(v, str) for n, v in after)
    if rule.allow_origin is not None and rewrite.set:
        acao = [v for n, v in after if n.lower() == "access-control-allow-origin"]
        assert len(acao) == 1
    assert rewrite_response(rule, f, rewrite.status or status, after) is None  # idempotent
