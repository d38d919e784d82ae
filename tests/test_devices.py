"""Cars joining and leaving the account are added and removed without a restart."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .entity_helpers import M3, MY, setup_platform

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def test_car_leaving_and_rejoining_the_account(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The products list is re-read; devices and entities follow it."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    assert devices.async_get_device_by_identifier((DOMAIN, MY), entry.entry_id)

    owner = emulator.world.accounts["owner"]
    emulator.world.accounts["owner"] = replace(owner, vehicles=(M3,))
    freezer.tick(timedelta(hours=6, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert devices.async_get_device_by_identifier((DOMAIN, MY), entry.entry_id) is None
    assert not [e for e in entities.entities.values() if MY in e.unique_id]
    assert set(entry.runtime_data.vehicles.coordinators) == {M3}

    emulator.world.accounts["owner"] = owner
    freezer.tick(timedelta(hours=6, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    emulator.vehicle(MY).wake_now()  # someone got in: the car is online when first polled
    freezer.tick(timedelta(seconds=3))  # the new car's first poll, once its entities exist
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert devices.async_get_device_by_identifier((DOMAIN, MY), entry.entry_id)
    battery = next(
        e.entity_id
        for e in entities.entities.values()
        if e.unique_id.endswith(f"{MY}-battery_level")
    )
    state = hass.states.get(battery)
    assert state is not None
    assert float(state.state) == pytest.approx(emulator.vehicle(MY).battery_level, abs=1)
