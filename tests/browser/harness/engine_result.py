"""The outcome of one case in Firefox or WebKit (Chromium's richer one is runner.CaseResult).

Both engines report their CORS decisions only in the console, so the verdict and the error are
read from there (consoles.py): Firefox's reason code from its template, WebKit's detail sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from .consoles import ConsoleLine
from .consoles import firefox_blocked
from .consoles import firefox_reason
from .consoles import webkit_blocked
from .runner import JsOutcome
from .servers import SeenRequest


@dataclass
class EngineResult:
    engine: str  # "firefox" | "webkit"
    js: JsOutcome
    console: list[ConsoleLine] = field(default_factory=list)  # every console entry, in order
    requests: list[SeenRequest] = field(default_factory=list)  # what the servers received
    duration: float = 0.0
    omni: Path | None = None  # Firefox: where its templates are

    @property
    def console_errors(self) -> list[str]:
        """Texts of all error-level console entries, in order (word for word)."""
        return [ln.text for ln in self.console if ln.level == "error"]

    @property
    def blocked(self) -> bool:
        """Firefox printed "Cross-Origin Request Blocked: ..."; WebKit "... due to access
        control checks."."""
        if self.engine == "firefox":
            return firefox_blocked(self.console)
        return webkit_blocked(self.console)

    @property
    def engine_issues(self) -> list[tuple[str, str]]:
        """Firefox: (reason code, second template value) per CORS line, in order. WebKit: none
        (it has no codes; its detail sentence is in `console_errors`)."""
        if self.engine != "firefox" or self.omni is None:
            return []
        out = []
        for text in self.console_errors:
            reason = firefox_reason(text, self.omni)
            if reason is not None:
                out.append(reason)
        return out

    @property
    def deprecations(self) -> list[str]:
        return []

    @property
    def preflights(self) -> list[SeenRequest]:
        return [r for r in self.requests if r.is_preflight]

    @property
    def actual_requests(self) -> list[SeenRequest]:
        return [r for r in self.requests if not r.is_preflight]
