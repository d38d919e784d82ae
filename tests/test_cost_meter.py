"""The API cost meter: counts by category and period, kept across restarts, rolled over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.api.accounting import (
    Category,
    RequestClassifier,
    RequestRecord,
)
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.cost_meter import CostMeter
from fleet_emulator import Emulator

from .entity_helpers import setup_platform


def _record(
    category: Category, status: int | None = 200, if_billed: Category | None = None
) -> RequestRecord:
    return RequestRecord(
        category=category,
        method="GET",
        path="/api/1/x",
        status=status,
        duration=0.01,
        category_if_billed=(if_billed or category),
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


async def test_energy_requests_are_counted_and_cost_nothing(hass: HomeAssistant) -> None:
    """Energy site requests (the accounting table's own category) are counted under both
    readings and priced at $0: a day of 30 s live status costs the account nothing."""
    classifier = RequestClassifier()
    live = classifier.classify("GET", "/api/1/energy_sites/2252180000000001/live_status")
    backup = classifier.classify("POST", "/api/1/energy_sites/2252180000000001/backup")
    assert live == backup == ("energy", "energy")
    meter = CostMeter(hass, "entry")
    for _ in range(2880):
        meter.record(_record("energy"))
    meter.record(_record("energy", status=503))  # no answer Tesla counts
    meter.record(_record("data"))
    assert meter.today("energy") == 2880
    assert meter.month("energy") == 2880
    assert meter.month_cost_usd() == pytest.approx(1 / 500)
    assert meter.month_cost_usd_if_billed() == pytest.approx(1 / 500)


@pytest.mark.usefixtures("socket_enabled")
async def test_energy_request_sensors_show_the_count(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The account device shows the energy requests, named as not billed, next to the cost,
    which matches the emulator's ledger (where energy costs nothing too)."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    registry = er.async_get(hass)
    by_key = {
        e.unique_id.rsplit("-", 1)[-1]: e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    state = hass.states.get(by_key["requests_energy_month"])
    assert state is not None
    energy = [e for e in emulator.ledger.entries if e.path.startswith("/na/api/1/energy_sites/")]
    assert energy
    assert {e.category for e in energy} == {"energy"}
    assert int(state.state) == len(energy) == emulator.ledger.counts()["energy"]
    assert state.name is not None
    assert state.name.endswith("Energy requests this month (not billed)")
    cost = hass.states.get(by_key["cost_month"])
    assert cost is not None
    assert float(cost.state) == pytest.approx(emulator.ledger.cost(), abs=0.01)


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


async def test_streamed_signals_are_counted_per_car_and_priced(hass: HomeAssistant) -> None:
    """Signals count per car and in total, at $1 per 150,000 on top of the requests, under
    both readings of the state endpoints; requests keep their own figures."""
    meter = CostMeter(hass, "entry")
    calls: list[None] = []
    meter.async_add_listener(lambda: calls.append(None))
    for _ in range(100):
        meter.record_signals("VIN1", 1_000)
    meter.record_signals("VIN2", 50_000)
    meter.record_signals("VIN2", 0)  # an empty batch counts nothing
    meter.record(_record("data"))
    meter.record(_record("free", if_billed="data"))
    assert meter.signals_month("VIN1") == 100_000
    assert meter.signals_month("VIN2") == 50_000
    assert meter.signals_month() == meter.signals_today() == 150_000
    assert meter.signals_month("VIN3") == 0
    assert meter.month("data") == 1
    assert meter.month_signals_cost_usd() == pytest.approx(1.0)
    assert meter.month_cost_usd() == pytest.approx(1.0 + 1 / 500)
    assert meter.month_cost_usd_if_billed() == pytest.approx(1.0 + 2 / 500)
    # Only requests call the listeners: a stream records every second.
    assert len(calls) == 2


async def test_signals_survive_a_restart_and_roll_over(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A month's signals come back from `.storage` after a restart, however busily the car
    streams meanwhile; the new month starts from zero."""
    freezer.move_to("2026-11-30 22:00:00+00:00")
    meter = CostMeter(hass, "entry")
    meter.record_signals("VIN1", 30_000)
    meter.record(_record("data"))
    # The car keeps streaming every second: the write is not put off for as long as it does.
    for _ in range(40):
        freezer.tick(timedelta(seconds=1))
        meter.record_signals("VIN1", 10)
        async_fire_time_changed(hass)
    await hass.async_block_till_done()

    restarted = CostMeter(hass, "entry")
    await restarted.async_load()
    assert 30_000 + 290 <= restarted.signals_month("VIN1") <= 30_000 + 400
    assert restarted.month("data") == 1
    assert restarted.month_cost_usd() == pytest.approx(
        restarted.signals_month() / 150_000 + 1 / 500
    )

    freezer.move_to("2026-12-01 00:00:01+00:00")
    assert restarted.signals_month("VIN1") == 0
    assert restarted.signals_month() == 0
    assert restarted.month_cost_usd() == 0


async def test_counts_saved_before_signals_load(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A store written before signals were counted loads with none (and keeps its requests)."""
    freezer.move_to("2026-11-30 10:00:00+00:00")
    older: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.cost_meter.entry")
    await older.async_save(
        {
            "today": {"key": "2026-11-30", "counts": {"data": 2}, "counts_if_billed": {}},
            "month": {"key": "2026-11", "counts": {"data": 2}, "counts_if_billed": {}},
        }
    )
    meter = CostMeter(hass, "entry")
    await meter.async_load()
    assert meter.month("data") == 2
    assert meter.signals_month() == 0
    meter.record_signals("VIN1", 5)
    assert meter.signals_month() == 5


async def test_projected_month_extrapolates_requests_and_signals(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The projection is the month's spend so far at the same pace over the whole calendar
    month (UTC): a third of November that cost $1 projects to $3; nothing in the first hour."""
    freezer.move_to("2026-11-01 00:30:00+00:00")
    meter = CostMeter(hass, "entry")
    meter.record_signals("VIN1", 75_000)  # $0.50
    assert meter.projected_month_cost_usd() is None
    freezer.move_to("2026-11-11 00:00:00+00:00")  # 10 of 30 days
    for _ in range(250):
        meter.record(_record("data"))  # $0.50
    assert meter.month_cost_usd() == pytest.approx(1.0)
    assert meter.projected_month_cost_usd() == pytest.approx(3.0)
    freezer.move_to("2026-11-21 00:00:00+00:00")  # a quiet ten days: the pace halves
    assert meter.projected_month_cost_usd() == pytest.approx(1.5)
