"""The account's cars share one vehicle-list read per state check, on common clock marks."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.schedule.budget import PollingIntervals
from custom_components.tesla_fleet_direct.schedule.car import seconds_to_mark
from fleet_emulator import Emulator

from .entity_helpers import M3, MY, setup_platform

ASLEEP_S = PollingIntervals().asleep


def _state_requests(emulator: Emulator) -> dict[str, int]:
    """Vehicle-list reads and single-car state checks in the ledger."""
    counts = {"list": 0, M3: 0, MY: 0}
    for entry in emulator.ledger.entries:
        if entry.path.endswith("/api/1/vehicles"):
            counts["list"] += 1
        for vin in (M3, MY):
            if entry.path.endswith(f"/api/1/vehicles/{vin}"):
                counts[vin] += 1
    return counts


async def _run(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    for _ in range(int(seconds // 60)):
        freezer.tick(timedelta(seconds=60))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("now", [0.0, 1.0, 299.0, 300.0, 301.0, 599.9, 1234.5])
def test_marks_are_common_and_between_half_and_one_and_a_half_periods(now: float) -> None:
    wait = seconds_to_mark(600, now)
    assert 300 <= wait <= 900
    assert (now + wait) % 600 == pytest.approx(0, abs=1e-6)


async def test_two_sleeping_cars_cost_one_state_request_per_interval(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """Both cars asleep for two hours: one list read per 10-minute mark answers both (not two
    single-car checks), and neither car is read or woken."""
    for vin in (M3, MY):
        emulator.vehicle(vin).power_state = "asleep"
    await setup_platform(hass, emulator, Platform.SENSOR)
    before = _state_requests(emulator)
    await _run(hass, freezer, 2 * 3600)
    after = _state_requests(emulator)
    lists = after["list"] - before["list"]
    assert 2 * 3600 / ASLEEP_S - 1 <= lists <= 2 * 3600 / ASLEEP_S + 1
    assert after[M3] == before[M3]
    assert after[MY] == before[MY]
    assert not [e for e in emulator.ledger.entries if e.path.endswith(("vehicle_data", "wake_up"))]


async def test_a_car_waking_is_seen_at_the_next_mark(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The shared list shows a car that woke (someone got in) within one and a half intervals,
    and its data is read then."""
    for vin in (M3, MY):
        emulator.vehicle(vin).power_state = "asleep"
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    coordinator = entry.runtime_data.vehicles.coordinators[MY]
    assert coordinator.data.state == "asleep"
    emulator.vehicle(MY).user_enters(emulator.clock.now() + 3600)
    await _run(hass, freezer, 1.5 * ASLEEP_S + 60)
    assert coordinator.data.state == "online"
    assert coordinator.data.data_time is not None


async def test_a_car_missing_from_the_list_is_checked_on_its_own(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """A list that does not name a car (a further page, say): that car is asked for alone."""
    for vin in (M3, MY):
        emulator.vehicle(vin).power_state = "asleep"
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    only_m3 = {"response": [emulator.vehicle(M3).summary()], "count": 1}
    emulator.faults.inject("/api/1/vehicles", 200, count=1000, body=only_m3)
    before = _state_requests(emulator)
    await _run(hass, freezer, 2 * ASLEEP_S)
    after = _state_requests(emulator)
    assert after["list"] > before["list"]
    assert after[MY] > before[MY]
    assert after[M3] == before[M3]
    assert entry.runtime_data.vehicles.coordinators[MY].last_update_success
