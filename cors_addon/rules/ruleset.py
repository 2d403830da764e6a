"""RuleSet: the rules of one file, indexed by exact host for first-match lookup."""

from __future__ import annotations

from mitmproxy.flow import Flow

from cors_addon.engine.memo import Memo
from cors_addon.rules.model import FlowFacts
from cors_addon.rules.model import Rule

CACHE_SIZE = 1024


MATCH_CACHE_SIZE = 4096
_NO_RULE = object()


class RuleSet:
    """Rules in file order. `match` returns the first enabled rule that matches.

    Enabled rules are split once into a host index (exact host name -> rules naming it) and
    the rules with a wildcard host or no host; the candidates for a (host, port) are
    computed on first use and cached, so a flow only evaluates the rest of a few rules.
    """

    __slots__ = ("_by_host", "_cache", "_matched", "_other", "path", "rules", "warnings")

    def __init__(
        self, rules: tuple[Rule, ...] = (), path: str = "<string>", warnings: tuple[str, ...] = ()
    ) -> None:
        self.rules = rules
        self.path = path
        self.warnings = warnings
        self._by_host: dict[str, list[int]] = {}
        other: list[int] = []
        for pos, rule in enumerate(rules):
            if not rule.enabled:
                continue
            exact = [h for h in rule.hosts if h.regex is None]
            for host in {h.host for h in exact}:
                self._by_host.setdefault(host, []).append(pos)
            if len(exact) < len(rule.hosts) or not rule.hosts:
                other.append(pos)
        self._other = tuple(other)
        self._cache: dict[tuple[str, int], tuple[Rule, ...]] = {}
        # (host, port, path, origin, method) -> the first rule, or _NO_RULE; only results
        # no filter took part in (a filter reads the whole flow). A reload is a new RuleSet.
        self._matched = Memo(MATCH_CACHE_SIZE)  # (host, port, path, origin, method) -> rule

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, host: str, port: int) -> tuple[Rule, ...]:
        """The enabled rules whose hosts match, in file order."""
        key = (host, port)
        found = self._cache.get(key)
        if found is None:
            host = host.strip("[]").rstrip(".")
            positions = sorted({*self._by_host.get(host, ()), *self._other})
            found = tuple(
                self.rules[p] for p in positions if self.rules[p].matches_host(host, port)
            )
            if len(self._cache) >= CACHE_SIZE:
                del self._cache[next(iter(self._cache))]
            self._cache[key] = found
        return found

    def match(self, facts: FlowFacts, flow: Flow | None = None) -> Rule | None:
        """The first enabled rule matching the flow. A rule with a filter needs `flow`.
        (Memoized on what matching reads when no filter takes part.)"""
        key = (facts.host, facts.port, facts.path, facts.origin, facts.method)
        found = self._matched.get(key)
        if found is not None:
            return None if found is _NO_RULE else found  # type: ignore[return-value]
        filtered = False
        result = None
        for rule in self.candidates(facts.host, facts.port):
            filtered = filtered or rule.filter is not None
            if rule.matches_request(facts, flow):
                result = rule
                break
        if not filtered:
            self._matched.put(key, _NO_RULE if result is None else result)
        return result
