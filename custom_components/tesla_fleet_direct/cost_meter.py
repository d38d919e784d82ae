"""The API cost meter: requests and streamed signals today and this month, and what they cost.

Fed by the client's `on_request` hook (every request, retries included) and by the stream's
ingest (`record_signals`, once per flushed batch of a car's streamed values), and kept in
`.storage`, so a restart does not forget what the month has already cost; the budget planner
reads the month's cost from here. Categories and prices come from `api.accounting`: energy
requests are counted (shown as "energy requests (not billed)") and cost nothing; signals are
billed whichever way the state endpoints are read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api.accounting import COUNTED_CATEGORIES, RequestRecord, request_cost_usd, signal_cost_usd
from .const import DOMAIN
from .schedule.budget import month_bounds

STORAGE_VERSION: Final = 1
SAVE_DELAY_S: Final = 30.0
# Before this much of the month has passed, the spend says too little to extrapolate from.
PROJECTION_AFTER_S: Final = 3600.0


class _Period(TypedDict):
    key: str  # the day ("2026-11-29", local) or the month ("2026-11", UTC) counted
    counts: dict[str, int]  # requests Tesla answered (below 500) by category
    counts_if_billed: dict[str, int]  # the same if the "free" state checks are billed
    signals: dict[str, int]  # streamed signals by VIN (billed under both readings)


def _empty(key: str) -> _Period:
    return {"key": key, "counts": {}, "counts_if_billed": {}, "signals": {}}


def _day_key(now: datetime) -> str:
    return dt_util.as_local(now).date().isoformat()


def _month_key(now: datetime) -> str:
    # Tesla bills calendar months; UTC, like the budget planner.
    return dt_util.as_utc(now).strftime("%Y-%m")


def _counts(stored: object) -> dict[str, int]:
    if not isinstance(stored, dict):
        return {}
    return {str(k): v for k, v in stored.items() if isinstance(v, int) and v >= 0}


class CostMeter:
    """Counts one account's Fleet API requests (the billed ones and energy requests) and the
    signals its cars stream."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Start empty; `async_load` brings back what was counted before a restart."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.cost_meter.{entry_id}"
        )
        now = dt_util.utcnow()
        self._today = _empty(_day_key(now))
        self._month = _empty(_month_key(now))
        self._listeners: list[CALLBACK_TYPE] = []
        # A write is scheduled and has not yet read the counts: later changes ride along.
        self._save_pending = False

    async def async_load(self) -> None:
        """Bring back the counts saved before the last shutdown (stores written before signals
        were counted have none)."""
        stored = await self._store.async_load()
        if not stored:
            return
        for name in ("today", "month"):
            period = stored.get(name)
            if isinstance(period, dict) and isinstance(period.get("key"), str):
                restored = _empty(period["key"])
                restored["counts"] = _counts(period.get("counts"))
                restored["counts_if_billed"] = _counts(period.get("counts_if_billed"))
                restored["signals"] = _counts(period.get("signals"))
                setattr(self, f"_{name}", restored)
        self._roll_over(dt_util.utcnow())

    async def async_remove(self) -> None:
        """Delete the stored counts (the entry is being removed)."""
        await self._store.async_remove()
        self._save_pending = False

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Call `listener` after every counted request (not after signals: a stream records
        every second, and the sensors poll the meter anyway)."""
        self._listeners.append(listener)

        @callback
        def _remove() -> None:
            self._listeners.remove(listener)

        return _remove

    @callback
    def record(self, record: RequestRecord) -> None:
        """The client's `on_request` hook: count the request if Tesla counts it (any answer
        below 500); whether it costs anything is the price list's business."""
        if not record.counted:
            return
        self._roll_over(dt_util.utcnow())
        for period in (self._today, self._month):
            if record.category in COUNTED_CATEGORIES:
                period["counts"][record.category] = period["counts"].get(record.category, 0) + 1
            if record.category_if_billed in COUNTED_CATEGORIES:
                counts = period["counts_if_billed"]
                counts[record.category_if_billed] = counts.get(record.category_if_billed, 0) + 1
        self._schedule_save()
        for listener in list(self._listeners):
            listener()

    @callback
    def record_signals(self, vin: str, count: int) -> None:
        """Count `count` signals the car `vin` streamed (one flushed batch).

        Called for every batch of every streaming car, so it only adds: the write to
        `.storage` is scheduled once per `SAVE_DELAY_S` and listeners are not called.
        """
        if count <= 0:
            return
        self._roll_over(dt_util.utcnow())
        for period in (self._today, self._month):
            signals = period["signals"]
            signals[vin] = signals.get(vin, 0) + count
        self._schedule_save()

    def _schedule_save(self) -> None:
        # One pending write at a time, due SAVE_DELAY_S after the first unsaved change: a
        # stream that never pauses still gets written (re-scheduling each time would put the
        # write off for as long as the car streams).
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY_S)

    def _roll_over(self, now: datetime) -> None:
        if self._today["key"] != (day := _day_key(now)):
            self._today = _empty(day)
        if self._month["key"] != (month := _month_key(now)):
            self._month = _empty(month)

    def _data(self) -> dict[str, Any]:
        # Called by the store when it writes: what changes after this needs a new write.
        self._save_pending = False
        return {"today": self._today, "month": self._month}

    def today(self, category: str) -> int:
        """Requests of `category` today (local day); energy ones are counted, not billed."""
        self._roll_over(dt_util.utcnow())
        return self._today["counts"].get(category, 0)

    def month(self, category: str) -> int:
        """Requests of `category` this billing month; energy ones are counted, not billed."""
        self._roll_over(dt_util.utcnow())
        return self._month["counts"].get(category, 0)

    def signals_today(self, vin: str | None = None) -> int:
        """Signals streamed today (local day) by the car `vin`, or by all cars."""
        self._roll_over(dt_util.utcnow())
        return _signals(self._today, vin)

    def signals_month(self, vin: str | None = None) -> int:
        """Signals streamed this billing month by the car `vin`, or by all cars."""
        self._roll_over(dt_util.utcnow())
        return _signals(self._month, vin)

    def month_signals_cost_usd(self) -> float:
        """What this month's streamed signals cost at Tesla's price."""
        return signal_cost_usd(self.signals_month())

    def month_cost_usd(self) -> float:
        """Estimated cost this month at Tesla's prices: requests (state checks and energy
        free) and streamed signals. What the budget has spent."""
        self._roll_over(dt_util.utcnow())
        return request_cost_usd(self._month["counts"]) + self.month_signals_cost_usd()

    def month_cost_usd_if_billed(self) -> float:
        """The same if Tesla bills the vehicle list and state checks as data."""
        self._roll_over(dt_util.utcnow())
        return request_cost_usd(self._month["counts_if_billed"]) + self.month_signals_cost_usd()

    def projected_month_cost_usd(self) -> float | None:
        """This month's cost so far, extrapolated at the same pace to the whole calendar month
        (UTC, like the budget); None in the month's first hour (too little to go by)."""
        now = dt_util.utcnow()
        start, end = month_bounds(now)
        elapsed = (now - start).total_seconds()
        if elapsed < PROJECTION_AFTER_S:
            return None
        return self.month_cost_usd() * (end - start).total_seconds() / elapsed


def _signals(period: _Period, vin: str | None) -> int:
    signals = period["signals"]
    return signals.get(vin, 0) if vin is not None else sum(signals.values())
