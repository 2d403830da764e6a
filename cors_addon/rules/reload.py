"""A rules file that is reloaded when it changes on disk, keeping whole rule sets only.

    source = RulesFile(path)   # loads it (raises RulesError)
    source.rules               # the active RuleSet
    source.check()             # called periodically: reloads a changed file
    source.reload()            # reload now; returns the error when the new file is invalid

A save that fails to parse, or a deleted file, leaves the previous rules active with one
warning; the next valid save is loaded.
"""

from __future__ import annotations

import logging
import os

from cors_addon.rules.errors import RulesError
from cors_addon.rules.parse import load_rules
from cors_addon.rules.ruleset import RuleSet

logger = logging.getLogger(__name__)


def _mtime_ns(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class RulesFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self.mtime: int | None = None
        self.rules = RuleSet()
        mtime = _mtime_ns(path)  # before reading: a later save is not missed
        self._install(load_rules(path), mtime)

    def _install(self, rules: RuleSet, mtime: int | None) -> None:
        self.rules = rules
        self.mtime = mtime
        active = sum(1 for r in rules.rules if r.enabled)
        logger.info(f"cors: {active} of {len(rules.rules)} rules active from {rules.path}")
        for warning in rules.warnings:
            logger.warning(f"cors rules: {warning}")

    def check(self) -> None:
        """Reload the file if it changed since it was last read (a no-op otherwise)."""
        mtime = _mtime_ns(self.path)
        if mtime == self.mtime:
            return
        if mtime is None:
            self.mtime = None
            logger.warning(f"cors rules: {self.path} was deleted; the previous rules stay active.")
            return
        self.reload()

    def reload(self) -> RulesError | None:
        """Load the file again; on an error keep the previous rules and return it."""
        # The mtime as seen before reading: a save that lands while we read changes it
        # again, and the next check loads that version (after it, it would be missed).
        mtime = _mtime_ns(self.path)
        try:
            rules = load_rules(self.path)
        except RulesError as e:
            self.mtime = mtime
            logger.warning(f"cors rules NOT reloaded, the previous rules stay active: {e}")
            return e
        self._install(rules, mtime)
        return None
