"""Rules from traffic (--suggest-rules) and dry runs (--dry-run).

Suggested rules reach only endpoints with blocked flows (a broader rule only where the capture
shows it reaches nothing else), grant what the flows proved (credentials from the errors only
credentials cause, methods and headers from what the preflights announced), and are proven by
a dry run over the capture before they are written: a rule that would make a flow the server
allowed worse is not written, and no hint points to it. The catalogue capture
(devtools.har.gz: the 124 scenarios of tests/browser/scenarios.py in Chromium) is the
realistic case; small HARs written here pin each generalisation down."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from analyze_helpers import HAND
from analyze_helpers import REAL
from analyze_helpers import fixture
from bighar import PAGE
from bighar import _entry

from cors_addon.analyze import suggest
from cors_addon.analyze.cli import main
from cors_addon.analyze.dryrun import DryRun
from cors_addon.analyze.needs import Needs
from cors_addon.analyze.replay import Replay
from cors_addon.analyze.sources import Capture
from cors_addon.analyze.suggest import Suggestion
from cors_addon.analyze.suggest import suggest_rules
from cors_addon.rules import FlowFacts
from cors_addon.rules import Rule
from cors_addon.rules import RuleSet
from cors_addon.rules import load_rules
from cors_addon.rules import parse_rules

CATALOGUE = "devtools.har.gz"
ACAO = ("Access-Control-Allow-Origin", PAGE)


def needs_of(*paths: str) -> Needs:
    needs = Needs()
    for path in paths:
        for event, ex in Replay().run(Capture(path).exchanges()):
            needs.add(event, ex)
    return needs


def dry_run(rules: RuleSet, capture: str) -> DryRun:
    dry = DryRun(rules)
    for ex in Capture(capture).exchanges():
        dry.feed(ex)
    dry.finish()
    return dry


def written(suggestion: Suggestion) -> RuleSet:
    rules = parse_rules(suggestion.text(), "suggested.toml")
    assert rules.warnings == (), rules.warnings  # grants = "add": written for the new meaning
    return rules


def reached(rule: Rule, needs: Needs) -> set[tuple[str, str, str, str]]:
    """The endpoints of the capture the written rule matches, by the rule's own matching."""
    out = set()
    for (authority, origin), by_method in needs.reach.items():
        host, _, port = authority.rpartition(":")
        for method, paths in by_method.items():
            for path in paths:
                facts = FlowFacts(
                    host.strip("[]"), int(port), path, origin, method, False, None, False
                )
                if rule.matches(facts):
                    out.add((authority, origin, path, method))
    return out


def har(
    path: Path, entries: list[tuple[str, str, list[tuple[str, str]], int, list[tuple[str, str]]]]
) -> str:
    """A Chrome HAR: (method, path, request headers, status, response headers) from PAGE."""
    lines = [_entry(n, n * 0.01, *e) for n, e in enumerate(entries)]
    head = '{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "1"},'
    path.write_text(head + ' "pages": [], "entries": [' + ",\n".join(lines) + "]}}")
    return str(path)


def blocked_get(p: str) -> tuple[str, str, list[tuple[str, str]], int, list[tuple[str, str]]]:
    return ("GET", p, [], 200, [("Content-Type", "text/plain")])


def allowed(
    method: str, p: str
) -> tuple[str, str, list[tuple[str, str]], int, list[tuple[str, str]]]:
    return (method, p, [], 200, [ACAO, ("Content-Type", "text/plain")])


# -- the captures of real browsers --------------------------------------------------------------


@pytest.mark.parametrize("name", [*REAL, *HAND, CATALOGUE])
def test_suggested_rules_unblock_every_fixable_block_and_make_nothing_worse(name: str) -> None:
    path = fixture(name)
    needs = needs_of(path)
    suggestion = Suggestion(needs, [path])
    proof = suggestion.prove()
    assert proof.worse == {} and all(not r.refused for r in suggestion.rules)
    rules = written(suggestion)
    assert len(rules.rules) == len(suggestion.rules) > 0
    # a fresh dry run of the file as written: every block a header rule can fix is unblocked
    dry = dry_run(rules, path)
    assert dry.unblocked == needs.blocked > 0
    assert dry.broken == 0 and dry.worse_count == {}
    unfixable = [
        e
        for e, _ in Replay().run(Capture(path).exchanges())
        if e["verdict"] == "blocked" and e["error"]["code"] in suggest.UNFIXABLE
    ]
    assert dry.unmatched_blocked == len(unfixable)
    for rule in rules.rules:
        assert rule.allow_origin not in ("*", "reflect")
        assert [g.text for g in rule.origins] == [rule.allow_origin]
        assert len(rule.hosts) == 1 and rule.methods and rule.preflight == "fix"
        assert isinstance(rule.allow_methods, tuple) and isinstance(rule.allow_headers, tuple)
        # it reaches no endpoint of the capture whose flows all passed
        assert reached(rule, needs) <= set(needs.endpoints), rule.name


def test_the_catalogue_gets_credentials_methods_and_headers_from_what_the_flows_prove() -> None:
    needs = needs_of(fixture(CATALOGUE))
    rules = {r.name: r for r in written(Suggestion(needs, [CATALOGUE])).rules}
    [with_creds] = [r for n, r in rules.items() if n.endswith("with credentials")]
    paths = {g.text.split("/")[2] for g in with_creds.paths}
    assert with_creds.allow_credentials is True
    # credentials seen on the wire (a cookie), and proven by errors only credentials cause:
    # Chromium's own record of the failure, or a preflight that passed only without them and
    # after which no request came (its orphan)
    assert {"cred-wildcard", "cred-no-acac", "pf-cred-no-acac", "pf-cred-wildcard",
            "pf-acah-star-credentials", "pf-acam-star-credentials"} <= paths  # fmt: skip
    others = [r for r in rules.values() if r is not with_creds]
    assert all(r.allow_credentials is False for r in others)
    [main_rule] = [r for r in others if len(r.paths) > 30]
    assert not {g.text for g in main_rule.paths} & {g.text for g in with_creds.paths}
    # methods as the preflights announced them (Chromium keeps "patch" lower-case)
    assert "patch" in main_rule.allow_methods and "PATCH" not in main_rule.allow_methods
    assert "PATCH" in main_rule.methods  # rules match methods case-insensitively
    assert set(main_rule.allow_headers) == {
        "content-type",
        "x-api-key",
        "x-foo",
        "x-requested-with",
    }
    # a redirect to a URL with credentials: no rule, and the file says why
    text = Suggestion(needs, [CATALOGUE]).text()
    assert "redir-userinfo" not in text
    assert "# No rule for 1 flow(s) blocked with RedirectContainsCredentials: the redirect" in text


def test_nothing_blocked_suggests_no_rule(tmp_path: Path) -> None:
    text = suggest_rules(needs_of(har(tmp_path / "ok.har", [allowed("GET", "/a")])), ["ok.har"])
    assert "Nothing a rule can fix was blocked" in text
    assert "[[rules]]" not in text
    assert parse_rules(text).rules == ()


# -- generalising only where nothing else is reached ----------------------------------------


def _rules(tmp_path: Path, entries: list) -> list[Rule]:
    path = har(tmp_path / "c.har", entries)
    return list(written(Suggestion(needs_of(path), [path])).rules)


def test_paths_and_methods_are_merged_only_where_no_allowed_endpoint_is_reached(
    tmp_path: Path,
) -> None:
    blocked = [blocked_get("/a"), ("POST", "/b", [], 200, [("Content-Type", "text/plain")])]
    [rule] = _rules(tmp_path, blocked)
    assert {g.text for g in rule.paths} == {"/a", "/b"} and rule.methods == {"GET", "POST"}
    # POST /a passes: one rule for both would reach it
    rules = _rules(tmp_path, [*blocked, allowed("POST", "/a")])
    assert sorted(({g.text for g in r.paths}, r.methods) for r in rules) == [
        ({"/a"}, {"GET"}),
        ({"/b"}, {"POST"}),
    ]


def test_an_id_segment_becomes_a_glob_only_where_no_allowed_endpoint_is_reached(
    tmp_path: Path,
) -> None:
    items = [blocked_get(f"/items/{i}") for i in range(40)]
    [rule] = _rules(tmp_path, [*items, allowed("GET", "/other")])
    assert [g.text for g in rule.paths] == ["/items/*"]
    [rule] = _rules(tmp_path, [*items, allowed("GET", "/items/999")])
    assert len(rule.paths) == 40 and "/items/*" not in {g.text for g in rule.paths}


def test_any_path_only_where_every_endpoint_was_blocked(tmp_path: Path) -> None:
    many = [blocked_get(f"/x{i}") for i in range(40)]
    [rule] = _rules(tmp_path, many)
    assert rule.paths == ()  # every GET of this origin to this server was blocked
    [rule] = _rules(tmp_path, [*many, allowed("GET", "/ok")])
    assert len(rule.paths) == 40
    # another method that passes is not reached: the rule is for GET only
    [rule] = _rules(tmp_path, [*many, allowed("PUT", "/ok")])
    assert rule.paths == () and rule.methods == {"GET"}


# -- proven before it is written ------------------------------------------------------------


def test_a_rule_that_makes_an_allowed_flow_worse_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Suggested rules only add, so none can harm a flow; for the day one could, a rule that
    strips what the server granted stands in for it: the dry run catches it."""
    path = har(
        tmp_path / "c.har",
        [
            blocked_get("/a"),
            # /b: a preflight that passes, then its PUT is blocked
            ("OPTIONS", "/b", [("Access-Control-Request-Method", "PUT")], 204,
             [ACAO, ("Access-Control-Allow-Methods", "PUT")]),
            ("PUT", "/b", [], 200, [("Content-Type", "text/plain")]),
            allowed("GET", "/b"),  # so that GET /a and PUT /b get a rule each
        ],
    )  # fmt: skip
    original = suggest.rule_toml

    def harmful(rule: suggest.Suggested, needs: Needs) -> str:
        text = original(rule, needs)
        if "PUT" not in rule.methods:
            return text
        text = text.replace(f"allow_origin = {json.dumps(PAGE)}", 'allow_origin = "http://x.test"')
        return text + '\nstrip = ["access-control-allow-*"]'  # so it grants PAGE nothing

    monkeypatch.setattr(suggest, "rule_toml", harmful)
    needs = needs_of(path)
    suggestion = Suggestion(needs, [path])
    suggestion.prove()
    put, get = sorted(suggestion.rules, key=lambda r: "GET" in r.methods)
    assert put.refused and not get.refused
    [change] = put.refused
    assert change.what == "PUT /b (preflight)"
    assert change.before == "allowed only without credentials"
    assert change.after == "blocked (PreflightMissingAllowOriginHeader)"
    text = suggestion.text()
    rules = parse_rules(text)
    assert [r.name for r in rules.rules] == [get.name]  # only the harmless one is written
    assert (
        f'# NOT WRITTEN: rule "{put.name}" would make 1 flow(s) that the server allowed worse'
        in text
    )
    assert (
        "#   PUT /b (preflight): allowed only without credentials -> blocked"
        " (PreflightMissingAllowOriginHeader)"
    ) in text
    assert '# match = { hosts = ["127.0.0.1:8081"]' in text
    # the hints: the written rule for GET /a, none for PUT /b
    status = main([path])
    out = capsys.readouterr().out
    assert status == 1
    assert f'unblock now: rule "{get.name}"' in out
    assert "no rule suggested: the one that would unblock this makes 1 allowed flow(s) worse" in out


def test_the_report_hints_name_written_rules_and_say_what_no_rule_fixes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules_path = tmp_path / "r.toml"
    status = main([fixture(CATALOGUE), "--suggest-rules", str(rules_path)])
    out = capsys.readouterr().out
    assert status == 1
    names = {r.name for r in load_rules(rules_path).rules}
    hinted = set(re.findall(r'unblock now: rule "([^"]+)"', out))
    assert hinted == names
    blocks = out.split("\n  BLOCKED  ")[1:]
    userinfo = [b for b in blocks if "/c/redir-userinfo/" in b]
    assert userinfo and all(
        "no header rule can unblock this: the redirect goes to a URL with credentials" in b
        for b in userinfo
    )
    assert all("unblock now" in b or "no header rule" in b for b in blocks)
    assert "Checked by a dry run over the whole capture" in rules_path.read_text()


# -- dry runs -----------------------------------------------------------------------------


def test_dry_run_report(tmp_path: Path) -> None:
    path = fixture("chromium.har")
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(suggest_rules(needs_of(path), ["chromium.har"]))
    text = dry_run(load_rules(rules_path), path).render(str(rules_path))
    assert "turns 4 blocked flows into allowed ones" in text
    assert "turns 1 blocked flow into allowed ones" in text
    assert "Nothing was sent" in text
    assert "Check passed: no rule makes a flow the server allowed worse." in text
    assert re.search(
        r"PUT /items/1 \(preflight\): blocked \(PreflightInvalidStatus\) -> allowed only without"
        r" credentials by rule '.*' \(status 405 -> 204, sets access-control-allow-methods",
        text,
    )


def test_dry_run_of_the_example_rules_file() -> None:
    example = Path(__file__).parents[2] / "rules.toml"
    dry = dry_run(load_rules(example), fixture("chromium.har"))
    text = dry.render(str(example))
    assert text.count(": disabled") == len(load_rules(example).rules)
    assert "5 blocked flow(s) match no rule and stay blocked" in text
    assert "Check" not in text  # no rule matched anything


def test_dry_run_answer_rule_and_a_rule_that_breaks_things(tmp_path: Path) -> None:
    rules_path = tmp_path / "rules.toml"
    rules_path.write_text(
        'grants = "add"\n'
        '[[rules]]\nname = "answer"\nmatch = { paths = ["/items/*"] }\n'
        'allow_origin = "reflect"\nallow_credentials = false\npreflight = "answer"\n\n'
        '[[rules]]\nname = "strip"\nmatch = { paths = ["/ok"] }\nstrip = ["access-control-*"]\n'
    )
    dry = dry_run(load_rules(rules_path), fixture("flows.mitm"))
    assert dry.outcomes["answer"][("blocked", "allowed")] == 1
    assert dry.outcomes["strip"][("allowed", "blocked")] == 1
    assert dry.broken == 1 and dry.worse_count == {"strip": 1}
    text = dry.render("rules.toml")
    assert "rule 'strip': matches 1 flow: turns 1 allowed flow into blocked ones" in text
    assert "answers the preflight" in text
    assert "CHECK FAILED: rules that make flows the server allowed worse" in text
    assert re.search(
        r"  rule 'strip': 1 flow\n    GET /ok: allowed only without credentials -> blocked"
        r" \(MissingAllowOriginHeader\)",
        text,
    )


def test_dry_run_catches_an_answer_worse_than_the_server(tmp_path: Path) -> None:
    """A preflight the proxy answers never reaches the server, so live there is nothing to
    compare; the dry run compares the answer with the captured response."""
    path = har(
        tmp_path / "c.har",
        [
            ("OPTIONS", "/c", [("Access-Control-Request-Method", "PUT")], 204,
             [ACAO, ("Access-Control-Allow-Methods", "PUT"),
              ("Access-Control-Allow-Credentials", "true")]),
            ("PUT", "/c", [], 200, [ACAO, ("Access-Control-Allow-Credentials", "true")]),
        ],
    )  # fmt: skip
    rules = parse_rules(
        'grants = "add"\n[[rules]]\nname = "answer"\nallow_origin = "reflect"\n'
        'allow_credentials = false\npreflight = "answer"\n'
    )
    dry = dry_run(rules, path)
    assert dry.worse_count == {"answer": 1}
    [change] = dry.worse["answer"]
    assert change.what == "PUT /c (preflight)" and change.before == "allowed"
    assert change.after == "allowed only without credentials"


def test_json_of_a_dry_run_carries_rule_made_it_worse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules_path = tmp_path / "r.toml"
    rules_path.write_text(
        '[[rules]]\nname = "strip"\nmatch = { paths = ["/ok"] }\nstrip = ["access-control-*"]\n'
    )
    main([fixture("flows.mitm"), "--json", "--dry-run", str(rules_path)])
    out, err = capsys.readouterr()
    [event] = [json.loads(line) for line in out.splitlines() if '"rule":"strip"' in line]
    assert "rule-made-it-worse" in [w["code"] for w in event["warnings"]]
    assert "CHECK FAILED" in err
