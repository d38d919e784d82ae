"""Climate: the cabin HVAC with keeper presets, and cabin overheat protection."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .control_helpers import (
    call,
    loaded,  # noqa: F401  (autouse set-up)
)
from .entity_helpers import snapshot, state_of, summarise  # noqa: F401
from .vehicle_helpers import M3


async def test_cabin_on_temperature_and_off(hass: HomeAssistant, emulator: Emulator) -> None:
    entity = "climate.red_pearl_cabin"
    await call(hass, "climate", "set_hvac_mode", entity, hvac_mode="heat_cool")
    assert emulator.vehicle(M3).climate_on is True
    assert state_of(hass, entity).state == "heat_cool"
    await call(hass, "climate", "set_temperature", entity, temperature=23.5)
    car = emulator.vehicle(M3)
    assert (car.driver_temp_setting, car.passenger_temp_setting) == (23.5, 23.5)
    assert state_of(hass, entity).attributes["temperature"] == 23.5
    await call(hass, "climate", "turn_off", entity)
    assert emulator.vehicle(M3).climate_on is False
    assert state_of(hass, entity).state == "off"


async def test_cabin_temperature_outside_the_cars_range_sends_nothing(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    before = len(emulator.ledger.entries)
    with pytest.raises(ServiceValidationError):
        await call(hass, "climate", "set_temperature", "climate.red_pearl_cabin", temperature=35)
    assert len(emulator.ledger.entries) == before


async def test_camp_mode_preset(hass: HomeAssistant, emulator: Emulator) -> None:
    await call(hass, "climate", "set_preset_mode", "climate.red_pearl_cabin", preset_mode="camp")
    car = emulator.vehicle(M3)
    assert (car.climate_keeper_mode, car.climate_on) == ("camp", True)
    state = state_of(hass, "climate.red_pearl_cabin")
    assert (state.state, state.attributes["preset_mode"]) == ("heat_cool", "camp")


async def test_cabin_overheat_protection(hass: HomeAssistant, emulator: Emulator) -> None:
    entity = "climate.red_pearl_cabin_overheat_protection"
    await call(hass, "climate", "set_hvac_mode", entity, hvac_mode="fan_only")
    assert emulator.vehicle(M3).cabin_overheat_protection == "FanOnly"
    assert state_of(hass, entity).state == "fan_only"
    await call(hass, "climate", "set_temperature", entity, temperature=30)
    assert emulator.vehicle(M3).cop_temp == "Low"
    assert state_of(hass, entity).attributes["temperature"] == 30
    await call(hass, "climate", "turn_off", entity)
    assert emulator.vehicle(M3).cabin_overheat_protection == "Off"
    assert state_of(hass, entity).state == "off"
    with pytest.raises(ServiceValidationError):
        await call(hass, "climate", "set_temperature", entity, temperature=33)


async def test_climate_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's climate entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("climate.")} == snapshot
