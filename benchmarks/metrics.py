"""Figures computed from the emulator's ledger and the sampled truth (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import math

from fleet_emulator.ledger import REQUESTS_PER_DOLLAR, LedgerEntry

DAYS_PER_MONTH = 30


def billed_counts(entries: Iterable[LedgerEntry], *, state_billed: bool) -> dict[str, int]:
    """Billed requests by category; `state_billed` bills the state checks as data."""
    counts = {"data": 0, "command": 0, "wake": 0, "free": 0}
    for entry in entries:
        if entry.billed:
            counts[entry.category_if_billed if state_billed else entry.category] += 1
    return counts


def cost_usd(counts: dict[str, int]) -> float:
    """US dollars at Tesla's rates."""
    return sum(counts[kind] / per for kind, per in REQUESTS_PER_DOLLAR.items())


def monthly_cost(entries: Sequence[LedgerEntry], days: float, *, state_billed: bool) -> float:
    """The account's cost projected to a 30-day month."""
    return cost_usd(billed_counts(entries, state_billed=state_billed)) * DAYS_PER_MONTH / days


def wakes(entries: Iterable[LedgerEntry]) -> int:
    """`wake_up` requests Tesla answered (each one wakes the car and is billed as a wake)."""
    return sum(1 for e in entries if e.endpoint == "wake_up" and e.billed)


def fetch_times(entries: Iterable[LedgerEntry], endpoint: str, key: str) -> list[float]:
    """When `endpoint` answered 200 for the car or site whose id is in the path."""
    return sorted(
        e.time for e in entries if e.endpoint == endpoint and e.status == 200 and key in e.path
    )


def ages(samples: Sequence[float], fetched: Sequence[float], start: float) -> list[float]:
    """For each sample time, seconds since the last successful fetch (since start if none)."""
    out = []
    i = 0
    last = start
    for t in samples:
        while i < len(fetched) and fetched[i] <= t:
            last = fetched[i]
            i += 1
        out.append(t - last)
    return out


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (None for no samples)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean (None for no samples)."""
    return sum(values) / len(values) if values else None
