"""A dry run of a rules file on a capture: every exchange goes through two replays, one as
captured and one as the live proxy with those rules would treat it (Inspector.answer, then
Inspector.rewrite on the captured response). Nothing is sent anywhere. The result says, per
rule, how it changes the verdicts ("rule X turns 14 blocked flows into allowed ones"), and
per flow what changed.
"""

from __future__ import annotations

from collections import Counter
from collections import OrderedDict
from dataclasses import dataclass

from ..events import Event
from ..rules import RuleSet
from ..summary import target_of
from .exchange import Exchange
from .replay import Emitted
from .replay import Replay

MAX_LINES = 200
MAX_WORSE = 20  # per rule
_KIND_SUFFIX = {"preflight": " (preflight)", "orphan": " (preflight, no request after it)"}
_MAX_REMEMBERED = 4096


@dataclass(slots=True)
class Change:
    flow: str
    what: str  # "PUT /items/1 (preflight)"
    before: str  # "blocked (PreflightInvalidStatus)"
    after: str
    rule: str
    changes: str


def _verdict(event: Event) -> str:
    error = event["error"]
    if error:
        return f"{event['verdict']} ({error['code']})"
    if event["verdict"] == "allowed" and _codes(event) & {"credentials-would-block"}:
        return "allowed only without credentials"
    return event["verdict"]


def _outcome(event: Event) -> str:
    """The verdict, where an orphan's "unknown" (its preflight passed, nothing CORS stopped
    the request) counts as allowed."""
    verdict = event["verdict"]
    return "allowed" if event["type"] == "orphan" and verdict == "unknown" else verdict


def _codes(event: Event) -> set[str]:
    return {w["code"] for w in event["warnings"]}


def made_worse(before: Event, after: Event) -> bool:
    """The rules made this flow worse than the server's own response: the pipeline said so
    (rule-made-it-worse), or, for a preflight the proxy answered (no server response to
    compare with live), the captured one allowed what the answer does not."""
    if "rule-made-it-worse" in _codes(after) and after["type"] != "orphan":
        return True
    b, a = _outcome(before), _outcome(after)
    if b == "allowed" and a == "blocked":
        return True
    return (
        b == a == "allowed"
        and "credentials-would-block" in _codes(after)
        and "credentials-would-block" not in _codes(before)
    )


def _changes(event: Event) -> str:
    c = event["changes"]
    if not c:
        return "changes nothing"
    parts = []
    if c["answered"]:
        parts.append("answers the preflight")
    if c["status"]:
        parts.append(f"status {c['status'][0]} -> {c['status'][1]}")
    if c["removed"]:
        parts.append("removes " + ", ".join(c["removed"]))
    if c["added"] and not c["answered"]:
        parts.append("sets " + ", ".join(c["added"]))
    return ", ".join(parts) or "changes nothing"


class DryRun:
    def __init__(self, rules: RuleSet, browser: str = "auto") -> None:
        self.rules = rules
        self.browser = browser
        self.base = Replay(browser)
        self.ruled = Replay(browser, rules)
        self.outcomes: dict[str, Counter[tuple[str, str]]] = {
            r.name: Counter() for r in rules.rules
        }
        self.unmatched_blocked = 0
        self.worse: dict[str, list[Change]] = {}  # rule -> flows it made worse (the first few)
        self.worse_count: Counter[str] = Counter()
        self.changes: list[Change] = []
        self.more_changes = 0
        self._base_blocked: OrderedDict[str, None] = OrderedDict()
        # Orphans (by their preflight's flow) seen on one side only so far: the two replays
        # may expire the same preflight at different moments.
        self._orphans: tuple[OrderedDict[str, Event], OrderedDict[str, Event]] = (
            OrderedDict(),
            OrderedDict(),
        )

    def new_capture(self) -> None:
        """The next file: pairing starts afresh, the counts go on."""
        self.base = Replay(self.browser)
        self.ruled = Replay(self.browser, self.rules)
        self._base_blocked.clear()
        for pending in self._orphans:
            pending.clear()

    def feed(self, ex: Exchange) -> tuple[list[Emitted], list[Emitted]]:
        """The events as captured, and as with the rules."""
        skipped = self.base.unsent
        base = self.base.feed(ex)
        if self.base.unsent != skipped:
            self._pair_orphans(base, [])
            return base, []  # never sent by the browser: not there to rewrite either
        ruled = self._drop_stale_orphans(self.ruled.feed(ex))
        self._pair_orphans(base, ruled)
        for event, _ in base:
            if event["type"] == "preflight" and event["verdict"] == "blocked":
                self._base_blocked[event["flow"]] = None
                while len(self._base_blocked) > _MAX_REMEMBERED:
                    self._base_blocked.popitem(last=False)
        own_base = next((e for e, x in base if x is ex), None)
        own_ruled = next((e for e, x in ruled if x is ex), None)
        if own_base is not None and own_ruled is not None:
            self._compare(own_base, own_ruled)
        return base, ruled

    def finish(self) -> tuple[list[Emitted], list[Emitted]]:
        base, ruled = self.base.finish(), self._drop_stale_orphans(self.ruled.finish())
        self._pair_orphans(base, ruled)
        return base, ruled

    def _pair_orphans(self, base: list[Emitted], ruled: list[Emitted]) -> None:
        """Compare a preflight's orphan as captured with its orphan under the rules (a
        preflight a rule made pass with credentials has a request now: its orphan says
        "unknown", no CORS cause, where the captured one was blocked)."""
        for side, emitted in enumerate((base, ruled)):
            pending, other = self._orphans[side], self._orphans[1 - side]
            for event, _ in emitted:
                if event["type"] != "orphan":
                    continue
                match = other.pop(event["flow"], None)
                if match is None:
                    pending[event["flow"]] = event
                    while len(pending) > _MAX_REMEMBERED:
                        pending.popitem(last=False)
                elif side == 0:
                    self._compare(event, match)
                else:
                    self._compare(match, event)

    def _drop_stale_orphans(self, emitted: list[Emitted]) -> list[Emitted]:
        """A preflight that failed in the capture had no actual request; once a rule lets it
        pass, its missing request says nothing (the browser never had the chance)."""
        return [
            (e, x)
            for e, x in emitted
            if not (e["type"] == "orphan" and e["flow"] in self._base_blocked)
        ]

    def _compare(self, before: Event, after: Event) -> None:
        rule = after["rule"]
        b, a = _outcome(before), _outcome(after)
        if rule is None:
            if b == "blocked":
                self.unmatched_blocked += 1
            return
        self.outcomes.setdefault(rule, Counter())[(b, a)] += 1
        worse = made_worse(before, after)
        if b == a == "allowed" and not worse:
            return
        _, path = target_of(before["url"])
        p = before["preflight"]
        kind = before["type"]
        method = p["method"] if kind != "request" else before["method"]
        change = Change(
            flow=before["flow"],
            what=f"{method} {path}" + _KIND_SUFFIX.get(kind, ""),
            before=_verdict(before),
            after=_verdict(after),
            rule=rule,
            changes=_changes(after),
        )
        if worse:
            self.worse_count[rule] += 1
            kept = self.worse.setdefault(rule, [])
            if len(kept) < MAX_WORSE:
                kept.append(change)
        if len(self.changes) >= MAX_LINES:
            self.more_changes += 1
            return
        self.changes.append(change)

    def render(self, path: str) -> str:
        lines = [
            f"Dry run of {path}: each flow's captured response through the rules, as the live"
            " proxy would apply them. Nothing was sent."
        ]
        for rule in self.rules.rules:
            outcome = self.outcomes.get(rule.name, Counter())
            lines.append(f"  {_rule_line(rule.name, rule.enabled, outcome)}")
        if self.unmatched_blocked:
            lines.append(
                f"  {self.unmatched_blocked} blocked flow(s) match no rule and stay blocked"
            )
        if self.worse_count:
            lines.append(
                "CHECK FAILED: rules that make flows the server allowed worse (rule-made-it-worse):"
            )
            for rule, n in self.worse_count.items():
                lines.append(f"  rule {rule!r}: {n} flow{'s' if n != 1 else ''}")
                for c in self.worse[rule]:
                    lines.append(f"    {c.what}: {c.before} -> {c.after} [{c.flow}]")
        elif any(self.outcomes.values()):
            lines.append("Check passed: no rule makes a flow the server allowed worse.")
        if self.changes:
            lines.append("Per flow:")
            for c in self.changes:
                lines.append(
                    f"  {c.what}: {c.before} -> {c.after} by rule {c.rule!r} ({c.changes})"
                    f" [{c.flow}]"
                )
            if self.more_changes:
                lines.append(f"  ... and {self.more_changes} more")
        return "\n".join(lines)

    @property
    def unblocked(self) -> int:
        return sum(o[("blocked", "allowed")] for o in self.outcomes.values())

    @property
    def broken(self) -> int:
        return sum(o[("allowed", "blocked")] for o in self.outcomes.values())


def _rule_line(name: str, enabled: bool, outcome: Counter[tuple[str, str]]) -> str:
    if not enabled:
        return f"rule {name!r}: disabled"
    total = sum(outcome.values())
    if not total:
        return f"rule {name!r}: matches no flow"
    parts = []
    fixed = outcome[("blocked", "allowed")]
    if fixed:
        parts.append(f"turns {fixed} blocked flow{'s' if fixed != 1 else ''} into allowed ones")
    broken = outcome[("allowed", "blocked")]
    if broken:
        parts.append(f"turns {broken} allowed flow{'s' if broken != 1 else ''} into blocked ones")
    still = outcome[("blocked", "blocked")]
    if still:
        parts.append(f"leaves {still} blocked")
    kept = outcome[("allowed", "allowed")]
    if kept:
        parts.append(f"keeps {kept} allowed")
    other = total - fixed - broken - still - kept
    if other:
        parts.append(f"{other} other")
    return f"rule {name!r}: matches {total} flow{'s' if total != 1 else ''}: " + "; ".join(parts)
