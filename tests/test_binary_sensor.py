"""Vehicle binary sensors through set-up against the emulator."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed, mock_restore_cache
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.schedule.car import Activity
from fleet_emulator import Emulator

from .entity_helpers import (
    M3,
    MY,
    entity_id_for,
    setup_platform,
    snapshot,  # noqa: F401
    summarise,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _state(hass: HomeAssistant, key: str, vin: str = M3) -> str:
    state = hass.states.get(entity_id_for(hass, "binary_sensor", key, vin))
    assert state is not None
    return state.state


async def test_binary_sensors_snapshot_and_values(
    hass: HomeAssistant,
    emulator: Emulator,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts of every binary sensor, and states that match the cars."""
    entry = await setup_platform(hass, emulator, Platform.BINARY_SENSOR, all_enabled=True)
    assert summarise(hass, entry, M3) == snapshot
    assert _state(hass, "state") == STATE_ON
    assert _state(hass, "locked") == STATE_OFF  # locked: the lock class is "on" when unlocked
    assert _state(hass, "door_df") == STATE_OFF
    # The second car is plugged in and charging in the default scenario.
    assert _state(hass, "charge_cable", MY) == STATE_ON
    assert _state(hass, "charging", MY) == STATE_ON
    assert _state(hass, "charging") == STATE_OFF


async def test_doors_and_lock_follow_the_car(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """An unlocked car with its frunk open shows both at the next poll.

    Read-only, so the frunk's binary sensor is the one that shows it (no frunk cover).
    """
    entry = await setup_platform(hass, emulator, Platform.BINARY_SENSOR, scopes=READ_ONLY)
    car = emulator.vehicle(M3)
    car.locked = False
    car.frunk_open = True
    car.touch()
    coordinator = entry.runtime_data.vehicles.coordinators[M3]
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _state(hass, "locked") == STATE_ON
    assert _state(hass, "frunk") == STATE_ON
    assert coordinator.data.activity is Activity.IDLE


async def test_online_sensor_follows_the_free_state_check(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The car falls asleep: the online sensor turns off, the last door states stay."""
    await setup_platform(hass, emulator, Platform.BINARY_SENSOR)
    for _ in range(40):
        freezer.tick(timedelta(seconds=60))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.vehicle(M3).state == "asleep"
    assert _state(hass, "state") == STATE_OFF
    assert _state(hass, "door_df") == STATE_OFF  # last known, not unavailable


async def test_sleeping_car_restores_binary_states(hass: HomeAssistant, emulator: Emulator) -> None:
    """After a restart with the car asleep, doors and lock show their last known states."""
    emulator.vehicle(M3).power_state = "asleep"
    mock_restore_cache(
        hass,
        [
            State("binary_sensor.red_pearl_lock", STATE_ON),
            State("binary_sensor.red_pearl_front_driver_door", STATE_ON),
        ],
    )
    await setup_platform(hass, emulator, Platform.BINARY_SENSOR)
    assert entity_id_for(hass, "binary_sensor", "locked") == "binary_sensor.red_pearl_lock"
    assert _state(hass, "locked") == STATE_ON
    assert _state(hass, "door_df") == STATE_ON
    assert _state(hass, "state") == STATE_OFF


async def test_no_binary_sensors_and_no_polling_without_the_data_scope(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Without vehicle_device_data Tesla refuses even the state check: no entity, no request."""
    entry = await setup_platform(
        hass,
        emulator,
        Platform.BINARY_SENSOR,
        scopes=("openid", "offline_access", "vehicle_cmds"),
    )
    registry = er.async_get(hass)
    keys = sorted(
        e.unique_id.rsplit("-", 1)[-1]
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if M3 in e.unique_id
    )
    assert keys == []
    assert not any("/vehicles/" in e.path for e in emulator.ledger.entries)


READ_ONLY = ("openid", "offline_access", "vehicle_device_data")
# Shown by a control too: the charge switch, the charge cable lock, the frunk, trunk and
# charge port covers, the Sentry switch.
MIRRORS = ("charging", "charge_cable", "frunk", "trunk", "charge_port_door", "sentry_mode")


async def test_mirrors_of_controls_start_disabled(hass: HomeAssistant, emulator: Emulator) -> None:
    """What a control already shows is not shown twice by default."""
    await setup_platform(hass, emulator, Platform.BINARY_SENSOR)
    registry = er.async_get(hass)
    for key in MIRRORS:
        entry = registry.async_get(entity_id_for(hass, "binary_sensor", key))
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION, key
    locked = registry.async_get(entity_id_for(hass, "binary_sensor", "door_df"))
    assert locked is not None
    assert locked.disabled_by is None


async def test_mirrors_shown_when_no_control_is_granted(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A read-only account has no controls, so the binary sensors are what it sees."""
    await setup_platform(hass, emulator, Platform.BINARY_SENSOR, scopes=READ_ONLY)
    registry = er.async_get(hass)
    for key in MIRRORS:
        entry = registry.async_get(entity_id_for(hass, "binary_sensor", key))
        assert entry is not None
        assert entry.disabled_by is None, key


async def test_charger_phases_preconditioning_and_trip_charging(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The charge details real cars report: phases of the supply, preconditioning, trip."""
    await setup_platform(hass, emulator, Platform.BINARY_SENSOR, all_enabled=True)
    # The second car charges on a single-phase supply (charger_phases 1).
    assert emulator.vehicle(MY).charger_power_kw > 0
    assert _state(hass, "charger_phases", MY) == STATE_OFF
    assert _state(hass, "preconditioning_enabled", MY) == STATE_OFF
    assert _state(hass, "trip_charging", MY) == STATE_OFF
    registry = er.async_get(hass)
    for key in ("charger_phases", "preconditioning_enabled", "trip_charging"):
        entry = registry.async_get(entity_id_for(hass, "binary_sensor", key, MY))
        assert entry is not None
        assert entry.entity_category == "diagnostic"
