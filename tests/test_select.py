"""Selects: seat heaters for the seats the car has, steering-wheel heat, climate keeper."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .control_helpers import (
    call,
    commands_sent,
    loaded,  # noqa: F401  (autouse set-up)
)
from .entity_helpers import snapshot, state_of, summarise  # noqa: F401
from .vehicle_helpers import M3


async def test_seat_heater_starts_the_climate_then_sets_the_level(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await call(
        hass, "select", "select_option", "select.red_pearl_seat_heater_front_left", option="high"
    )
    car = emulator.vehicle(M3)
    assert car.seat_heaters[0] == 3
    assert car.climate_on is True
    assert commands_sent(emulator) == ["auto_conditioning_start", "remote_seat_heater_request"]
    assert state_of(hass, "select.red_pearl_seat_heater_front_left").state == "high"


async def test_each_seat_the_car_has(hass: HomeAssistant) -> None:
    seats = sorted(e for e in hass.states.async_entity_ids("select") if "red_pearl_seat" in e)
    assert seats == [
        "select.red_pearl_seat_heater_front_left",
        "select.red_pearl_seat_heater_front_right",
        "select.red_pearl_seat_heater_rear_center",
        "select.red_pearl_seat_heater_rear_left",
        "select.red_pearl_seat_heater_rear_right",
    ]


async def test_steering_wheel_heat_level(hass: HomeAssistant, emulator: Emulator) -> None:
    await call(
        hass, "select", "select_option", "select.red_pearl_steering_wheel_heater", option="low"
    )
    assert emulator.vehicle(M3).steering_wheel_heat_level == 1
    assert state_of(hass, "select.red_pearl_steering_wheel_heater").state == "low"
    # High is level 2 (Tesla's three levels; HA core tesla_fleet/select.py sends 2).
    await call(
        hass, "select", "select_option", "select.red_pearl_steering_wheel_heater", option="high"
    )
    assert emulator.vehicle(M3).steering_wheel_heat_level == 2
    assert state_of(hass, "select.red_pearl_steering_wheel_heater").state == "high"


async def test_steering_wheel_read_back_as_3_is_high(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Some cars report high as 3 (the older REST spelling): still high, not unknown."""
    car = emulator.vehicle(M3)
    car.steering_wheel_heater = True
    car.steering_wheel_heat_level = 3
    car.touch()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    await entry.runtime_data.vehicles.coordinators[M3].async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get("select.red_pearl_steering_wheel_heater")
    assert state is not None
    assert state.state == "high"


async def test_climate_keeper_dog_mode(hass: HomeAssistant, emulator: Emulator) -> None:
    await call(hass, "select", "select_option", "select.red_pearl_climate_keeper", option="dog")
    assert emulator.vehicle(M3).climate_keeper_mode == "dog"
    assert state_of(hass, "select.red_pearl_climate_keeper").state == "dog"
    assert state_of(hass, "climate.red_pearl_cabin").attributes["preset_mode"] == "dog"


SITE = 2252180000000001


async def test_site_operation_mode(hass: HomeAssistant, emulator: Emulator) -> None:
    assert state_of(hass, "select.home_operation_mode").state == "self_consumption"
    await call(hass, "select", "select_option", "select.home_operation_mode", option="autonomous")
    assert emulator.site(SITE).default_real_mode == "autonomous"
    assert state_of(hass, "select.home_operation_mode").state == "autonomous"


async def test_site_grid_export_rule(hass: HomeAssistant, emulator: Emulator) -> None:
    await call(hass, "select", "select_option", "select.home_grid_export", option="battery_ok")
    assert emulator.site(SITE).customer_preferred_export_rule == "battery_ok"
    assert state_of(hass, "select.home_grid_export").state == "battery_ok"


async def test_select_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's select entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("select.")} == snapshot
