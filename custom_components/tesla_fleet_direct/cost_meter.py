"""The API cost meter: requests today and this month by category, and what they cost.

Fed by the client's `on_request` hook (every request, retries included) and kept in
`.storage`, so a restart does not forget what the month has already cost; the budget planner
reads the month's cost from here. Categories and prices come from `api.accounting`: energy
requests are counted (shown as "energy requests (not billed)") and cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api.accounting import COUNTED_CATEGORIES, RequestRecord, request_cost_usd
from .const import DOMAIN

STORAGE_VERSION: Final = 1
SAVE_DELAY_S: Final = 30.0


class _Period(TypedDict):
    key: str  # the day ("2026-11-29", local) or the month ("2026-11", UTC) counted
    counts: dict[str, int]  # requests Tesla answered (below 500) by category
    counts_if_billed: dict[str, int]  # the same if the "free" state checks are billed


def _empty(key: str) -> _Period:
    return {"key": key, "counts": {}, "counts_if_billed": {}}


def _day_key(now: datetime) -> str:
    return dt_util.as_local(now).date().isoformat()


def _month_key(now: datetime) -> str:
    # Tesla bills calendar months; UTC, like the budget planner.
    return dt_util.as_utc(now).strftime("%Y-%m")


class CostMeter:
    """Counts one account's Fleet API requests (the billed ones and energy requests)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Start empty; `async_load` brings back what was counted before a restart."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.cost_meter.{entry_id}"
        )
        now = dt_util.utcnow()
        self._today = _empty(_day_key(now))
        self._month = _empty(_month_key(now))
        self._listeners: list[CALLBACK_TYPE] = []

    async def async_load(self) -> None:
        """Bring back the counts saved before the last shutdown."""
        stored = await self._store.async_load()
        if not stored:
            return
        for name in ("today", "month"):
            period = stored.get(name)
            if isinstance(period, dict) and isinstance(period.get("key"), str):
                restored = _empty(period["key"])
                for field in ("counts", "counts_if_billed"):
                    counts = period.get(field)
                    if isinstance(counts, dict):
                        restored[field] = {
                            str(k): int(v) for k, v in counts.items() if isinstance(v, int)
                        }
                setattr(self, f"_{name}", restored)
        self._roll_over(dt_util.utcnow())

    async def async_remove(self) -> None:
        """Delete the stored counts (the entry is being removed)."""
        await self._store.async_remove()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Call `listener` after every counted request."""
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
        self._store.async_delay_save(self._data, SAVE_DELAY_S)
        for listener in list(self._listeners):
            listener()

    def _roll_over(self, now: datetime) -> None:
        if self._today["key"] != (day := _day_key(now)):
            self._today = _empty(day)
        if self._month["key"] != (month := _month_key(now)):
            self._month = _empty(month)

    def _data(self) -> dict[str, Any]:
        return {"today": self._today, "month": self._month}

    def today(self, category: str) -> int:
        """Requests of `category` today (local day); energy ones are counted, not billed."""
        self._roll_over(dt_util.utcnow())
        return self._today["counts"].get(category, 0)

    def month(self, category: str) -> int:
        """Requests of `category` this billing month; energy ones are counted, not billed."""
        self._roll_over(dt_util.utcnow())
        return self._month["counts"].get(category, 0)

    def month_cost_usd(self) -> float:
        """Estimated cost this month at Tesla's prices (state checks and energy free)."""
        self._roll_over(dt_util.utcnow())
        return request_cost_usd(self._month["counts"])

    def month_cost_usd_if_billed(self) -> float:
        """The same if Tesla bills the vehicle list and state checks as data."""
        self._roll_over(dt_util.utcnow())
        return request_cost_usd(self._month["counts_if_billed"])
