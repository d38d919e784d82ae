"""Every car's state from one vehicle-list request, shared by the account's car coordinators.

Tesla's single-vehicle state check and its vehicle list cost the same (free under one reading
of the billing rules, one data request each under the other), and the list answers for every
car on the account. So a list read in the last `SHARED_FOR_S` seconds stands for all cars, and
the coordinators of sleeping cars check on the same clock marks (`schedule.car.seconds_to_mark`):
an account with N cars makes one state request per interval instead of N.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
import time

from .api.models import VehicleSummary

# How long one list read answers for every car (the marks all cars check on are this close).
SHARED_FOR_S = 60.0


def _now() -> float:
    # Looked up at each call, so a patched clock (freezegun in tests) is followed.
    return time.time()


class AccountVehicleStates:
    """The account's vehicle list, read at most once per `SHARED_FOR_S` for all its cars."""

    def __init__(
        self,
        read_list: Callable[[], Awaitable[Iterable[VehicleSummary]]],
        clock: Callable[[], float] = _now,
    ) -> None:
        """`read_list` is the client's `vehicles()` (one request; never wakes a car)."""
        self._read_list = read_list
        self._clock = clock
        self._states: dict[str, str] = {}
        self._read_at: float | None = None
        # Cars checking at the same mark wait for the one read in flight instead of each
        # sending their own.
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._read_at is not None and self._clock() - self._read_at <= SHARED_FOR_S

    async def state_of(self, vin: str) -> str | None:
        """`online`, `asleep` or `offline` from a recent list (read now if there is none);
        None when the list does not name the car (the caller then asks for it alone)."""
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    summaries = await self._read_list()
                    self._states = {s.vin: s.state for s in summaries}
                    self._read_at = self._clock()
        return self._states.get(vin)
