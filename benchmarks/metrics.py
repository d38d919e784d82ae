"""Figures computed from the emulator's ledger and the sampled truth (pure functions).

Requests are counted by the category the emulator (Tesla) recorded and priced with the
integration's own price list (`api.accounting`), so there is one list of what is billed; energy
requests are counted and cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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


# Requests that ask only whether a car is online: the vehicle list and the single vehicle.
STATE_ENDPOINTS = frozenset({"vehicles", "vehicle"})


def endpoint_count(entries: Iterable[LedgerEntry], endpoint: str) -> int:
    """Counted requests to `endpoint` (Tesla counts every answer below 500)."""
    return sum(1 for e in entries if e.endpoint == endpoint and e.counted)


def endpoint_counts(entries: Iterable[LedgerEntry]) -> dict[str, int]:
    """Counted requests by endpoint name."""
    counts: dict[str, int] = {}
    for e in entries:
        if e.counted:
            counts[e.endpoint] = counts.get(e.endpoint, 0) + 1
    return counts


def car_of(entry: LedgerEntry, keys: dict[str, str]) -> str | None:
    """The VIN a per-car request is for (`keys`: VIN or vehicle id -> VIN); None otherwise."""
    for part in reversed(entry.path.split("/")):
        if part in keys:
            return keys[part]
    return None


def state_checks(
    entries: Iterable[LedgerEntry],
    keys: dict[str, str],
    streaming: Callable[[str, float], bool],
) -> tuple[int, int]:
    """Counted state checks while the car's stream was up, and while it was not.

    A vehicle-list request answers for every car: it counts as "while up" when any car's
    stream was up at the time.
    """
    vins = sorted(set(keys.values()))
    up = down = 0
    for e in entries:
        if e.endpoint not in STATE_ENDPOINTS or not e.counted:
            continue
        vin = car_of(e, keys) if e.endpoint == "vehicle" else None
        concerned = [vin] if vin is not None else vins
        if any(streaming(v, e.time) for v in concerned):
            up += 1
        else:
            down += 1
    return up, down


def first_request_after(
    entries: Iterable[LedgerEntry],
    after: float,
    endpoints: Iterable[str],
    vin: str,
    keys: dict[str, str],
) -> float | None:
    """When the first counted request to `endpoints` about `vin` (or the vehicle list) went
    out at or after `after`."""
    wanted = frozenset(endpoints)
    times = [
        e.time
        for e in entries
        if e.endpoint in wanted
        and e.time >= after
        and e.counted
        and (e.endpoint == "vehicles" or car_of(e, keys) == vin)
    ]
    return min(times, default=None)
