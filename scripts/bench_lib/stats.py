"""Medians and ranges, formatted."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def rng(values: Sequence[float], fmt: str = "{:.3f}") -> str:
    """`median (min–max)`; just the value when there is one."""
    if not values:
        return "n/a"
    m = fmt.format(med(values))
    if len(values) == 1:
        return m
    return f"{m} ({fmt.format(min(values))}–{fmt.format(max(values))})"
