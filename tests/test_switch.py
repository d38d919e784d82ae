"""Switches change the emulated car and show the new state without waiting for a poll."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
import time
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from syrupy.assertion import SnapshotAssertion

from fleet_emulator import Emulator
from fleet_emulator.vehicle import Vehicle

from .common import setup_integration
from .entity_helpers import MY, snapshot, state_of, summarise  # noqa: F401
from .vehicle_helpers import M3, tick

SITE = 2252180000000001


async def _setup(
    hass: HomeAssistant, emulator: Emulator, scopes: Sequence[str] | None = None
) -> None:
    await setup_integration(hass, emulator, scopes=scopes)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _switch(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
    )


@pytest.mark.parametrize(
    ("entity_id", "read"),
    [
        ("switch.red_pearl_sentry_mode", lambda car: car.sentry_mode),
        ("switch.red_pearl_defrost", lambda car: car.defrost_max),
        ("switch.red_pearl_valet_mode", lambda car: car.valet_mode),
        ("switch.red_pearl_auto_seat_climate_left", lambda car: car.auto_seat_climate.get(1)),
        ("switch.red_pearl_auto_seat_climate_right", lambda car: car.auto_seat_climate.get(2)),
        ("switch.red_pearl_auto_steering_wheel_heater", lambda car: car.auto_steering_wheel_heat),
    ],
)
async def test_switch_changes_the_car_and_shows_at_once(
    hass: HomeAssistant, emulator: Emulator, entity_id: str, read: Callable[[Vehicle], object]
) -> None:
    await _setup(hass, emulator)
    assert state_of(hass, entity_id).state == STATE_OFF
    # The confirming poll fails: what is shown comes from the command's success alone.
    emulator.faults.inject(f"*/vehicles/{M3}/vehicle_data", 503)
    await _switch(hass, entity_id, True)
    assert read(emulator.vehicle(M3)) is True
    assert state_of(hass, entity_id).state == STATE_ON
    await _switch(hass, entity_id, False)
    assert not read(emulator.vehicle(M3))
    assert state_of(hass, entity_id).state == STATE_OFF


async def test_charge_switch_starts_and_stops_a_session(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    car = emulator.vehicle(M3)
    car.scheduled_charging_enabled = True  # plugged in, waiting for its schedule
    car.plug_in()
    await _setup(hass, emulator)
    assert state_of(hass, "switch.red_pearl_charge").state == STATE_OFF
    await _switch(hass, "switch.red_pearl_charge", True)
    assert emulator.vehicle(M3).charging is True
    assert state_of(hass, "switch.red_pearl_charge").state == STATE_ON
    await _switch(hass, "switch.red_pearl_charge", False)
    assert emulator.vehicle(M3).charging is False
    assert state_of(hass, "switch.red_pearl_charge").state == STATE_OFF


async def test_solar_export_automation_starts_charging(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """A numeric-state trigger on grid export turns the charge switch on; the car charges."""
    # Early afternoon at the site: the sun is high.
    # Home Assistant's clock and the emulator's move together (the emulator's may start at
    # another hour: FLEET_EMULATOR_START).
    now = datetime.fromtimestamp(emulator.clock.now(), ZoneInfo("America/Los_Angeles"))
    noon = now.replace(hour=12, minute=55, second=0, microsecond=0)
    if noon <= now:
        noon += timedelta(days=1)
    freezer.tick(noon - now)
    # The Model Y on the site's wall connector is done charging by now (how long it has charged
    # depends on the hour the emulator started); only the Model 3 is waiting for the surplus.
    emulator.vehicle(MY).unplug()
    site = emulator.site(SITE)
    site.percentage_charged = 50.0  # the battery soaks up the surplus: nothing exported yet
    car = emulator.vehicle(M3)
    car.scheduled_charging_enabled = True  # plugged in, not charging until told
    car.plug_in()
    await _setup(hass, emulator)
    grid = er.async_get(hass).async_get_entity_id("sensor", "tesla_fleet_direct", _grid_uid(hass))
    assert grid is not None
    assert float(state_of(hass, grid).state) > -1
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Charge on solar surplus",
                "triggers": {"trigger": "numeric_state", "entity_id": grid, "below": -1},
                "actions": {
                    "action": "switch.turn_on",
                    "target": {"entity_id": "switch.red_pearl_charge"},
                },
            }
        },
    )
    assert emulator.vehicle(M3).charging is False
    site.percentage_charged = 100.0  # battery full: the surplus goes to the grid
    await tick(hass, freezer, 61)
    assert float(state_of(hass, grid).state) < -1
    assert emulator.vehicle(M3).charging is True
    assert state_of(hass, "switch.red_pearl_charge").state == STATE_ON


def _grid_uid(hass: HomeAssistant) -> str:
    for entry in er.async_get(hass).entities.values():
        if entry.unique_id.endswith(f"{SITE}-grid_power"):
            return entry.unique_id
    raise AssertionError("no grid power sensor")


async def test_without_command_scopes_there_are_no_switches(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await _setup(
        hass, emulator, scopes=["openid", "offline_access", "vehicle_device_data", "user_data"]
    )
    assert hass.states.async_entity_ids(SWITCH_DOMAIN) == []


async def test_charging_scope_alone_gives_only_the_charge_switch(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await _setup(
        hass,
        emulator,
        scopes=["openid", "offline_access", "vehicle_device_data", "vehicle_charging_cmds"],
    )
    assert sorted(hass.states.async_entity_ids(SWITCH_DOMAIN)) == [
        "switch.midnight_charge",
        "switch.red_pearl_charge",
    ]


async def test_the_confirming_refresh_agrees_with_the_shown_state(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    await _setup(hass, emulator)
    await _switch(hass, "switch.red_pearl_sentry_mode", True)
    await tick(hass, freezer, 11)  # the confirming refresh
    assert state_of(hass, "switch.red_pearl_sentry_mode").state == STATE_ON


async def test_site_storm_watch_and_grid_charging(hass: HomeAssistant, emulator: Emulator) -> None:
    await _setup(hass, emulator)
    await _switch(hass, "switch.home_storm_watch", True)
    assert emulator.site(SITE).storm_mode_enabled is True
    assert state_of(hass, "switch.home_storm_watch").state == STATE_ON
    assert state_of(hass, "switch.home_allow_charging_from_grid").state == STATE_ON
    await _switch(hass, "switch.home_allow_charging_from_grid", False)
    assert emulator.site(SITE).disallow_charge_from_grid_with_solar_installed is True
    assert state_of(hass, "switch.home_allow_charging_from_grid").state == STATE_OFF


async def test_without_energy_cmds_no_site_controls(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await _setup(
        hass,
        emulator,
        scopes=["openid", "offline_access", "energy_device_data", "vehicle_device_data"],
    )
    assert hass.states.get("switch.home_storm_watch") is None
    assert hass.states.get("sensor.home_grid_power") is not None


async def test_switch_entities_snapshot(
    hass: HomeAssistant,
    emulator: Emulator,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's switches (names, icons)."""
    await _setup(hass, emulator)
    (entry,) = hass.config_entries.async_entries("tesla_fleet_direct")
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("switch.")} == snapshot


async def test_asleep_car_is_woken_by_the_switch_and_commanded(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """The full path from an entity: fresh state check, one wake, waiting in virtual time."""
    await _setup(hass, emulator)
    emulator.clock.advance(16 * 60)
    assert emulator.vehicle(M3).state == "asleep"
    task = hass.async_create_background_task(
        _switch(hass, "switch.red_pearl_sentry_mode", True), "switch"
    )
    for _ in range(40):
        # Let loopback I/O run (a real pause, the event loop's clock is frozen), then move time.
        await hass.async_add_executor_job(time.sleep, 0.01)
        if task.done():
            break
        freezer.tick(timedelta(seconds=2))
    await task
    assert emulator.vehicle(M3).sentry_mode is True
    assert state_of(hass, "switch.red_pearl_sentry_mode").state == STATE_ON
    assert sum(1 for e in emulator.ledger.entries if e.path.endswith("/wake_up")) == 1
