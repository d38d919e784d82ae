"""The API cost meter: counts by category and period, kept across restarts, rolled over."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.api.accounting import RequestRecord
from custom_components.tesla_fleet_direct.cost_meter import CostMeter


def _record(category: str, status: int | None = 200, if_billed: str | None = None) -> RequestRecord:
    return RequestRecord(
        category=category,  # type: ignore[arg-type]
        method="GET",
        path="/api/1/x",
        status=status,
        duration=0.01,
        category_if_billed=(if_billed or category),  # type: ignore[arg-type]
    )


async def test_counts_billed_requests_and_prices_them(hass: HomeAssistant) -> None:
    """Tesla bills answers under 500; state checks count only under the billed reading."""
    meter = CostMeter(hass, "entry")
    for _ in range(250):
        meter.record(_record("data"))
    meter.record(_record("data", status=503))  # not billed
    meter.record(_record("data", status=None))  # no answer, not billed
    meter.record(_record("data", status=429))  # billed, like every answer under 500
    meter.record(_record("wake"))
    meter.record(_record("command"))
    meter.record(_record("free", if_billed="data"))
    assert meter.today("data") == 251
    assert meter.month("wake") == 1
    assert meter.month("command") == 1
    assert meter.month_cost_usd() == pytest.approx(251 / 500 + 1 / 50 + 1 / 1000)
    assert meter.month_cost_usd_if_billed() == pytest.approx(252 / 500 + 1 / 50 + 1 / 1000)


async def test_counts_survive_a_restart_and_roll_over(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Saved counts come back after a restart; a new day and a new month start from zero."""
    freezer.move_to("2026-11-30 10:00:00+00:00")
    meter = CostMeter(hass, "entry")
    calls: list[None] = []
    meter.async_add_listener(lambda: calls.append(None))
    for _ in range(3):
        meter.record(_record("data"))
    assert len(calls) == 3
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    restarted = CostMeter(hass, "entry")
    await restarted.async_load()
    assert restarted.today("data") == 3
    assert restarted.month("data") == 3

    freezer.move_to("2026-12-01 10:00:00+00:00")
    assert restarted.today("data") == 0
    assert restarted.month("data") == 0
    assert restarted.month_cost_usd() == 0

    await restarted.async_remove()
    empty = CostMeter(hass, "entry")
    await empty.async_load()
    assert empty.month("data") == 0
