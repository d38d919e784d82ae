"""Figures computed from the emulator's ledger and the sampled truth (pure functions).

Requests are counted by the category the emulator (Tesla) recorded and priced with the
integration's own price list (`api.accounting`), so there is one list of what is billed; energy
requests are counted and cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import math

from custom_components.tesla_fleet_direct.api.accounting import request_cost_usd
from fleet_emulator.ledger import LedgerEntry

DAYS_PER_MONTH = 30


def billed_counts(entries: Iterable[LedgerEntry], *, state_billed: bool) -> dict[str, int]:
    """Requests Tesla counts (answers below 500) by category, energy (not billed) included;
    `state_billed` bills the state checks as data."""
    counts = {"data": 0, "command": 0, "wake": 0, "energy": 0, "free": 0}
    for entry in entries:
        if entry.counted:
            counts[entry.category_if_billed if state_billed else entry.category] += 1
    return counts


def cost_usd(counts: dict[str, int]) -> float:
    """US dollars at Tesla's rates (energy and free state checks cost nothing)."""
    return request_cost_usd(counts)


def monthly_cost(entries: Sequence[LedgerEntry], days: float, *, state_billed: bool) -> float:
    """The account's cost projected to a 30-day month."""
    return cost_usd(billed_counts(entries, state_billed=state_billed)) * DAYS_PER_MONTH / days


def wakes(entries: Iterable[LedgerEntry]) -> int:
    """`wake_up` requests Tesla answered (each one wakes the car and is billed as a wake)."""
    return sum(1 for e in entries if e.endpoint == "wake_up" and e.counted)


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
