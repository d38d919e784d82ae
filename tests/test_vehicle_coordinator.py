"""The vehicle coordinator against the emulator over loopback HTTP, in virtual time."""

from __future__ import annotations

import logging
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.tesla_fleet_direct.schedule.budget import PollingIntervals
from custom_components.tesla_fleet_direct.schedule.car import Activity
from fleet_emulator import Emulator

from .vehicle_helpers import ALL_SCOPES, M3, make_rig, tick, vehicle_requests

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def test_simulated_day_car_sleeps_and_polling_never_wakes_it(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The car falls asleep at the emulator's idle time and stays asleep through the night."""
    car = emulator.vehicle(M3)
    assert car.state == "online"
    rig = await make_rig(hass, emulator)
    assert rig.coordinator.data.online
    asleep_at: float | None = None
    start = time.time()
    for _ in range(24 * 60):
        await tick(hass, freezer, 60)
        if asleep_at is None and emulator.vehicle(M3).state == "asleep":
            asleep_at = time.time() - start
    counts = vehicle_requests(emulator)
    assert counts["wake"] == 0
    assert emulator.vehicle(M3).state == "asleep"
    assert rig.coordinator.data.state == "asleep"
    assert rig.coordinator.data.activity is Activity.ASLEEP
    # Data requests stop after the 15-minute idle window; the car then needs its own 15
    # quiet minutes: asleep within about 35 minutes, not kept awake all day.
    assert asleep_at is not None
    assert asleep_at <= 35 * 60
    assert counts["data"] <= 6
    # While asleep only the state check runs, every 10 minutes.
    assert 24 * 6 - 6 <= counts["state"] <= 24 * 6 + 12
    # The last data stays visible while the car sleeps.
    assert rig.coordinator.data.data["charge_state"]["battery_level"] == pytest.approx(
        emulator.vehicle(M3).battery_level, abs=1
    )
    assert rig.coordinator.has_fresh_data


async def test_charging_battery_level_never_more_than_one_fast_interval_behind(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """While charging the coordinator's battery level trails the car by one charging interval."""
    car = emulator.vehicle(M3)
    car.battery_level = 40.0
    car.plug_in()
    assert car.charging
    rig = await make_rig(hass, emulator, budget_usd=1000.0)
    assert rig.coordinator.data.activity is Activity.CHARGING
    history: list[tuple[float, float]] = []
    for _ in range(2 * 60 * 6):  # two hours in 10-second steps
        await tick(hass, freezer, 10)
        now = time.time()
        history.append((now, emulator.vehicle(M3).battery_level))
        shown = rig.coordinator.data.data["charge_state"]["battery_level"]
        # The car's level one charging interval (plus the scheduler's sub-second offset) ago.
        lag = PollingIntervals().charging + 1
        floor = max((level for t, level in history if t <= now - lag), default=40.0)
        assert shown >= int(floor), f"{shown} behind {floor} at {now}"
    assert emulator.vehicle(M3).battery_level > 45
    assert vehicle_requests(emulator)["wake"] == 0


async def test_drive_starting_late_in_the_idle_window_is_caught_as_it_closes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """Read at once when the car is found awake, then once more as the idle window closes:
    a drive that began in between shows then, not at the half-hourly look much later."""
    rig = await make_rig(hass, emulator, intervals=PollingIntervals(idle=900))
    assert rig.coordinator.data.activity is Activity.IDLE
    await tick(hass, freezer, 600)
    car = emulator.vehicle(M3)
    car.start_drive((37.39, -122.15), until=emulator.clock.now() + 3600)
    await tick(hass, freezer, 301)  # the window (15 min) has just closed
    assert rig.coordinator.data.activity is Activity.DRIVING
    assert vehicle_requests(emulator)["data"] == 2


async def test_car_still_awake_after_its_window_is_looked_at_once_an_idle_timeout_later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """Parked and still online after the idle window (it may have slept and woken unseen):
    plugged in meanwhile, it is seen charging at the first state check one idle timeout after
    the last read (within one more check interval), not two idle timeouts after."""
    car = emulator.vehicle(M3)
    car.user_enters(emulator.clock.now() + 3 * 3600)  # someone stays in: the car does not sleep
    rig = await make_rig(hass, emulator)
    idle_timeout = PollingIntervals().idle_timeout
    for _ in range(int(idle_timeout // 60) + 1):  # the window and its closing read
        await tick(hass, freezer, 60)
    assert rig.coordinator.data.activity is Activity.IDLE
    closed = vehicle_requests(emulator)["data"]
    car.plug_in()
    for _ in range(int((idle_timeout + PollingIntervals().asleep) // 60)):
        await tick(hass, freezer, 60)
    assert rig.coordinator.data.activity is Activity.CHARGING
    assert vehicle_requests(emulator)["data"] > closed


async def test_busy_car_is_read_without_a_state_check_each_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """A charging car is known to be awake: each poll is one data request, not two requests;
    when it stops and falls asleep, the 408 of the next read shows it asleep, no error."""
    car = emulator.vehicle(M3)
    car.plug_in()
    rig = await make_rig(hass, emulator, budget_usd=1000.0)
    assert rig.coordinator.data.activity is Activity.CHARGING
    before = vehicle_requests(emulator)
    for _ in range(30):  # half an hour
        await tick(hass, freezer, 60)
    during = vehicle_requests(emulator)
    reads = during["data"] - before["data"]
    assert reads >= 30 * 60 // PollingIntervals().charging - 1
    assert during["state"] == before["state"]

    emulator.faults.inject(
        "/api/1/vehicles/*/vehicle_data",
        408,
        body={"response": None, "error": "vehicle unavailable: vehicle is offline or asleep"},
    )
    await tick(hass, freezer, PollingIntervals().charging + 1)
    assert rig.coordinator.last_update_success
    assert rig.coordinator.data.state == "asleep"
    assert rig.coordinator.data.activity is Activity.ASLEEP
    # Asleep: back to the state check (on the next mark, within 1.5 intervals), and no wake.
    await tick(hass, freezer, 1.5 * PollingIntervals().asleep + 1)
    after = vehicle_requests(emulator)
    assert during["state"] + 1 <= after["state"] <= during["state"] + 2
    assert after["wake"] == 0


async def test_asleep_408_between_state_check_and_data_is_not_an_error(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A car that fell asleep after the state check answers 408: shown asleep, no failure."""
    emulator.faults.inject(
        "/api/1/vehicles/*/vehicle_data",
        408,
        body={"response": None, "error": "vehicle unavailable: vehicle is offline or asleep"},
    )
    rig = await make_rig(hass, emulator)
    assert rig.coordinator.last_update_success
    assert rig.coordinator.data.state == "asleep"


async def test_429_waits_exactly_retry_after_for_the_account(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """After a 429 nothing goes to Tesla until Retry-After has passed, then polling resumes."""
    rig = await make_rig(hass, emulator, intervals=PollingIntervals(idle=60))
    emulator.faults.inject("/api/1/vehicles/*", 429, retry_after=125)
    await tick(hass, freezer, 61)
    # The ledger is stamped with the emulator's clock, which may be set apart from the host's.
    limited_at = emulator.clock.now()
    before = len(emulator.ledger.entries)
    assert not rig.coordinator.last_update_success
    assert rig.polling.gate.remaining() == pytest.approx(125, abs=1)
    # Other coordinators of the account see the same gate.
    for _ in range(124):
        await tick(hass, freezer, 1)
        if emulator.clock.now() - limited_at < 125:
            assert len(emulator.ledger.entries) == before, "request sent before Retry-After"
    for _ in range(3):
        await tick(hass, freezer, 1)
    assert len(emulator.ledger.entries) > before
    first_after = emulator.ledger.entries[before].time
    assert 125 <= first_after - limited_at <= 127
    assert rig.coordinator.last_update_success
    # Entities never went unavailable: the data was never stale.
    assert rig.coordinator.has_fresh_data


@pytest.mark.parametrize(
    "case",
    [
        ({"status": 500}, "vehicle_update_failed"),
        ({"status": 200, "malformed": True}, "vehicle_malformed_answer"),
    ],
)
async def test_failures_keep_last_data_until_stale_and_log_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    case: tuple[dict[str, object], str],
) -> None:
    """500s and malformed answers: last data kept, one log line down, one when recovered."""
    rig = await make_rig(hass, emulator, intervals=PollingIntervals(idle=60))
    kept = rig.coordinator.data
    fault, message = dict(case[0]), case[1]
    status = fault.pop("status")
    assert isinstance(status, int)
    emulator.faults.inject("/api/1/vehicles/*", status, count=20, **fault)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO)
    for _ in range(5):
        await tick(hass, freezer, 61)
    assert not rig.coordinator.last_update_success
    assert rig.coordinator.data.data == kept.data
    assert rig.coordinator.has_fresh_data  # 5 minutes is not stale
    for _ in range(12):
        await tick(hass, freezer, 61)
    assert not rig.coordinator.has_fresh_data  # 17 minutes is
    emulator.faults.clear()
    await tick(hass, freezer, 61)
    assert rig.coordinator.last_update_success
    assert rig.coordinator.has_fresh_data
    # One warning when the outage starts (naming the car), none at ERROR; one line when over.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("custom_components")
    ]
    assert len(warnings) == 1
    assert message in warnings[0].getMessage()
    assert sum("recovered" in r.getMessage() for r in caplog.records) == 1
    assert "Traceback" not in caplog.text


async def test_only_wanted_endpoints_and_no_location_without_the_scope(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """`location_data` is never asked for without `vehicle_location`, even if wanted."""
    scopes = [s for s in ALL_SCOPES if s != "vehicle_location"]
    rig = await make_rig(hass, emulator, scopes=scopes, start=False)
    rig.coordinator.async_want_endpoints({"location_data", "drive_state", "climate_state"})
    assert "location_data" not in rig.coordinator.endpoints
    assert "climate_state" in rig.coordinator.endpoints
    await rig.coordinator.async_refresh()
    drive = rig.coordinator.data.data["drive_state"]
    assert "latitude" not in drive
    assert "vehicle_state" not in rig.coordinator.data.data  # nobody asked for it

    located = await make_rig(hass, emulator, start=False)
    drop = located.coordinator.async_want_endpoints({"location_data"})
    await located.coordinator.async_refresh()
    assert "latitude" in located.coordinator.data.data["drive_state"]
    drop()
    assert "location_data" not in located.coordinator.endpoints


async def test_command_shows_at_once_and_prompts_a_refresh(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The optimistic update shows immediately; the prompt poll confirms the car's state."""
    rig = await make_rig(hass, emulator)
    rig.coordinator.async_want_endpoints({"vehicle_state"})
    await rig.coordinator.async_refresh()
    assert rig.coordinator.data.data["vehicle_state"]["locked"] is True
    emulator.vehicle(M3).locked = False  # the command ran in the car
    before = vehicle_requests(emulator)["data"]
    await rig.coordinator.async_command_sent({"vehicle_state": {"locked": False}})
    assert rig.coordinator.data.data["vehicle_state"]["locked"] is False
    await tick(hass, freezer, 11)  # past the refresh debouncer
    assert vehicle_requests(emulator)["data"] == before + 1
    assert rig.coordinator.data.data["vehicle_state"]["locked"] is False


async def test_offline_and_back_are_logged_once_each(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A car that loses its connection is logged once, and once when it is back."""
    rig = await make_rig(hass, emulator)
    caplog.set_level(logging.INFO)
    emulator.vehicle(M3).set_connectivity(False)
    for _ in range(4):
        await tick(hass, freezer, 301)
    assert rig.coordinator.data.state == "offline"
    assert rig.coordinator.last_update_success  # offline is a state, not a failure
    emulator.vehicle(M3).set_connectivity(True)
    for _ in range(2):
        await tick(hass, freezer, 301)
    assert rig.coordinator.data.online
    messages = [r.getMessage() for r in caplog.records]
    assert sum("is offline" in m for m in messages) == 1
    assert sum("reachable again" in m for m in messages) == 1
    # The VIN may appear at debug level only.
    assert not any(M3 in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
