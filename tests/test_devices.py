"""Cars joining and leaving the account are added and removed without a restart."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.schedule.budget import PollingIntervals
from fleet_emulator import Emulator
from fleet_emulator.scenario import AccountSpec

from .common import create_entry, setup_integration
from .energy.conftest import SITE_ID
from .entity_helpers import M3, MY, only_platforms, setup_platform

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
    # Someone got in: the car is online from now on, seen at the latest by the state check on
    # the account's next mark (within 1.5 intervals).
    emulator.vehicle(MY).user_enters(emulator.clock.now() + 3600)
    for _ in range(2):
        freezer.tick(timedelta(seconds=0.75 * PollingIntervals().asleep + 1))
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


async def test_car_shared_by_two_accounts_has_no_clashing_unique_ids(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Owner and driver each add their account: each gets its own device and entities."""
    emulator.world.accounts["driver"] = AccountSpec(
        "driver", email="driver@example.com", full_name="Emulated Driver", vehicles=(M3,)
    )
    with only_platforms(Platform.SENSOR):
        owner = await setup_integration(hass, emulator)
        driver = create_entry(hass, emulator, account_id="driver")
        assert await hass.config_entries.async_setup(driver.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    for entry in (owner, driver):
        assert devices.async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)
    battery = [e for e in entities.entities.values() if e.unique_id.endswith(f"{M3}-battery_level")]
    assert len(battery) == 2
    assert len({e.unique_id for e in battery}) == 2
    for item in battery:
        state = hass.states.get(item.entity_id)
        assert state is not None
        assert float(state.state) == pytest.approx(emulator.vehicle(M3).battery_level, abs=1)


async def test_car_answering_404_is_removed_without_waiting_hours(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """A 404 for a car makes the products list be read again, so its device goes soon."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    owner = emulator.world.accounts["owner"]
    emulator.world.accounts["owner"] = replace(owner, vehicles=(M3,))
    for _ in range(15):  # the removed car's next poll answers 404
        freezer.tick(timedelta(seconds=60))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    devices = dr.async_get(hass)
    assert devices.async_get_device_by_identifier((DOMAIN, MY), entry.entry_id) is None
    assert set(entry.runtime_data.vehicles.coordinators) == {M3}


async def test_energy_site_leaving_and_joining_the_account(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The 6-hourly products re-read removes a site that left and adds one that joined."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    site_key = f"-{SITE_ID}-"

    def site_entities() -> list[er.RegistryEntry]:
        return [e for e in entities.entities.values() if site_key in e.unique_id]

    assert devices.async_get_device_by_identifier((DOMAIN, str(SITE_ID)), entry.entry_id)
    assert site_entities()

    owner = emulator.world.accounts["owner"]
    emulator.world.accounts["owner"] = replace(owner, sites=())
    freezer.tick(timedelta(hours=6, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert devices.async_get_device_by_identifier((DOMAIN, str(SITE_ID)), entry.entry_id) is None
    assert not site_entities()
    assert entry.runtime_data.energy_sites.coordinators == {}
    assert entry.runtime_data.polling.sites == 0

    emulator.world.accounts["owner"] = owner
    freezer.tick(timedelta(hours=6, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert devices.async_get_device_by_identifier((DOMAIN, str(SITE_ID)), entry.entry_id)
    solar = next(e.entity_id for e in site_entities() if e.unique_id.endswith("-solar_power"))
    state = hass.states.get(solar)
    assert state is not None
    assert float(state.state) == pytest.approx(
        emulator.site(SITE_ID).live_status()["solar_power"] / 1000, abs=0.01
    )
    assert entry.runtime_data.polling.sites == 1


async def test_device_shows_the_cars_software_version(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The car's device page shows its software version and follows an installed update."""
    entry = await setup_platform(hass, emulator, Platform.BINARY_SENSOR)
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)
    assert device is not None
    assert device.sw_version == "2025.20.6"

    car = emulator.vehicle(M3)
    car.spec = replace(car.spec, car_version="2025.26.1 0f1e2d3c4b")
    freezer.tick(timedelta(minutes=5, seconds=1))  # the next poll of the parked, awake car
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    device = devices.async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)
    assert device is not None
    assert device.sw_version == "2025.26.1"


async def _delete_device(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, device_id: str, entry_id: str
) -> bool:
    """Press "Delete" on the device page: whether Home Assistant accepted it."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    response = await client.receive_json()
    return bool(response["success"])


async def test_current_car_cannot_be_deleted(
    hass: HomeAssistant, emulator: Emulator, hass_ws_client: WebSocketGenerator
) -> None:
    """A car still on the account keeps its device: it would only come back."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)
    assert device is not None
    assert not await _delete_device(hass, hass_ws_client, device.id, entry.entry_id)
    assert devices.async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)


async def test_car_gone_while_stopped_can_be_deleted(
    hass: HomeAssistant, emulator: Emulator, hass_ws_client: WebSocketGenerator
) -> None:
    """A car removed from the account while Home Assistant was off leaves a deletable device."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    devices = dr.async_get(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    owner = emulator.world.accounts["owner"]
    emulator.world.accounts["owner"] = replace(owner, vehicles=(M3,))
    with only_platforms(Platform.SENSOR):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    device = devices.async_get_device_by_identifier((DOMAIN, MY), entry.entry_id)
    # Set-up only syncs what is on the account, so the old car's device is still listed.
    assert device is not None
    assert await _delete_device(hass, hass_ws_client, device.id, entry.entry_id)
    assert devices.async_get_device_by_identifier((DOMAIN, MY), entry.entry_id) is None
    assert devices.async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)


async def test_current_energy_site_and_wall_connector_cannot_be_deleted(
    hass: HomeAssistant, emulator: Emulator, hass_ws_client: WebSocketGenerator
) -> None:
    """The site and its wall connector are still on the account: their devices stay."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    devices = dr.async_get(hass)
    din = emulator.site(SITE_ID).spec.wall_connectors[0].din
    for identifier in (str(SITE_ID), din):
        device = devices.async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id)
        assert device is not None
        assert not await _delete_device(hass, hass_ws_client, device.id, entry.entry_id)


async def test_wall_connector_leaving_the_site_loses_its_device(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """The next site info read no longer lists the connector: its device and entities go."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    site = emulator.site(SITE_ID)
    din = site.spec.wall_connectors[0].din
    device = devices.async_get_device_by_identifier((DOMAIN, din), entry.entry_id)
    assert device is not None
    assert er.async_entries_for_device(entities, device.id)

    site.spec = replace(site.spec, wall_connectors=())
    freezer.tick(timedelta(minutes=1, seconds=1))  # a live-status poll: site info not yet due
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert devices.async_get_device_by_identifier((DOMAIN, din), entry.entry_id)

    for _ in range(61):  # site info is read again within the hour
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert devices.async_get_device_by_identifier((DOMAIN, din), entry.entry_id) is None
    assert not er.async_entries_for_device(entities, device.id)
    assert devices.async_get_device_by_identifier((DOMAIN, str(SITE_ID)), entry.entry_id)
