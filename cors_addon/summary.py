"""Per page origin and target host: requests, preflights, blocks by error code, and the time
spent in preflights. Fed with events; bounded in the number of (origin, host) pairs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field

from .engine import FAILED_VERDICTS
from .engine.origins import split_url
from .events import Event

MAX_PAIRS = 5000
OTHER = ("(other)", "(other)")


def target_of(url: str) -> tuple[str, str]:
    """(host[:port] as shown, path without the query) of a URL."""
    _, host, port, path = split_url(url)
    return (host if port is None else f"{host}:{port}"), path.split("?", 1)[0]


_hosts: dict[str, str] = {}  # a URL's scheme and authority -> its host as shown


def host_of(url: str) -> str:
    """`target_of(url)[0]`, parsed once per scheme and authority."""
    cut = url.find("/", url.find("//") + 2)
    prefix = url if cut < 0 else url[:cut]
    host = _hosts.get(prefix)
    if host is None:
        if len(_hosts) >= 4096:
            _hosts.clear()
        host = _hosts[prefix] = target_of(prefix)[0]
    return host


@dataclass(slots=True)
class PairStats:
    requests: int = 0
    preflights: int = 0
    cache_hits: int = 0
    orphans: int = 0
    allowed: int = 0
    blocked: Counter[str] = field(default_factory=Counter)
    preflight_ms: float = 0.0
    rewritten: int = 0
    # engine -> events it blocks, counted where the engines disagree
    blocked_only: Counter[str] = field(default_factory=Counter)


class Summary:
    def __init__(self, max_pairs: int = MAX_PAIRS) -> None:
        self.max_pairs = max_pairs
        self.pairs: dict[tuple[str, str], PairStats] = {}

    def add(self, event: Event) -> None:
        if event["verdict"] == "not-cors":
            return
        key = (event["origin"], host_of(event["url"]))
        stats = self.pairs.get(key)
        if stats is None:
            if len(self.pairs) >= self.max_pairs:
                key = OTHER
                stats = self.pairs.setdefault(OTHER, PairStats())
            else:
                stats = self.pairs[key] = PairStats()
        kind = event["type"]
        if kind == "preflight":
            stats.preflights += 1
            if event["ms"] is not None:
                stats.preflight_ms += event["ms"]
        elif kind == "orphan":
            stats.orphans += 1
            if event["verdict"] in FAILED_VERDICTS and event["error"]:
                stats.blocked[event["error"]["code"]] += 1
            return
        else:
            stats.requests += 1
            if event["preflight"]["cache"] is not None:
                stats.cache_hits += 1
        if event["verdict"] in FAILED_VERDICTS and event["error"]:
            stats.blocked[event["error"]["code"]] += 1
        elif event["verdict"] == "allowed" and kind == "request":
            stats.allowed += 1
        if event["changes"]:
            stats.rewritten += 1
        engines = event.get("engines")
        if engines:
            verdicts = [v["verdict"] for v in engines.values()]
            if "blocked" in verdicts and verdicts.count("blocked") < len(verdicts):
                for name, v in engines.items():
                    if v["verdict"] == "blocked":
                        stats.blocked_only[name] += 1

    def render(self) -> str:
        if not self.pairs:
            return "No CORS traffic seen yet."
        lines = []
        for (origin, host), s in sorted(
            self.pairs.items(), key=lambda kv: (-sum(kv[1].blocked.values()), kv[0])
        ):
            lines.append(f"{origin} -> {host}")
            lines.append(
                f"  requests {s.requests} (allowed {s.allowed}), preflights {s.preflights}"
                f" ({s.preflight_ms:.0f} ms in total), served from the preflight cache"
                f" {s.cache_hits}, orphaned preflights {s.orphans}, rewritten by rules"
                f" {s.rewritten}"
            )
            if s.blocked:
                blocked = ", ".join(f"{code} x{n}" for code, n in s.blocked.most_common())
                lines.append(f"  blocked: {blocked}")
            if s.blocked_only:
                only = ", ".join(f"{name} x{n}" for name, n in sorted(s.blocked_only.items()))
                lines.append(f"  engines disagree, blocked only in: {only}")
        return "\n".join(lines)
