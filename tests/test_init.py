"""Setting an account up and taking it down, against the emulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.endpoints import get_endpoints
from fleet_emulator import Emulator

from .common import reauth_flows, record_refreshes, setup_integration


async def test_setup_and_unload(hass: HomeAssistant, emulator: Emulator) -> None:
    """A signed-in account loads with its products and granted scopes, and unloads."""
    entry = await setup_integration(hass, emulator)
    assert entry.state is ConfigEntryState.LOADED
    data = entry.runtime_data
    assert {v.vin for v in data.products.vehicles} == {"5YJ3E7EB0KF000001", "7SAYGDEE0PA000002"}
    assert "vehicle_cmds" in data.scopes
    assert data.region == "na"

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_revoked_sign_in_reauth_within_one_update(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Password reset at Tesla: the next poll asks for reauth; later polls send no token."""
    entry = await setup_integration(hass, emulator)
    log = record_refreshes(emulator)
    emulator.revoke_refresh_tokens("owner")

    freezer.tick(timedelta(hours=8, minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert len(reauth_flows(hass)) == 1
    assert [ok for _, ok in log.attempts] == [False]
    for _ in range(3):
        freezer.tick(timedelta(minutes=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert len(log.attempts) == 1
    assert len(reauth_flows(hass)) == 1
    assert entry.state is ConfigEntryState.LOADED


async def test_setup_retries_when_tesla_is_down(hass: HomeAssistant, emulator: Emulator) -> None:
    """Tesla answers 503 at start: set-up is retried later, no reauth."""
    emulator.faults.inject("/na/api/1/products", 503)

    entry = await setup_integration(hass, emulator)

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not reauth_flows(hass)


async def test_region_moved_is_remembered(hass: HomeAssistant, emulator: Emulator) -> None:
    """The account moved to Europe since sign-in: set-up follows the 421 and stores the region."""
    owner = emulator.world.accounts["owner"]
    emulator.world.accounts["owner"] = replace(owner, region="eu")

    entry = await setup_integration(hass, emulator)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["region"] == "eu"
    assert entry.data["base_url"] == emulator.base_url("eu")
    assert entry.runtime_data.region == "eu"


async def test_emulator_url_is_not_in_the_ui(hass: HomeAssistant) -> None:
    """Without the hidden YAML key the integration talks to Tesla itself."""
    assert await async_setup_component(hass, DOMAIN, {})
    endpoints = get_endpoints(hass)
    assert endpoints.token_url == "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token"
    assert endpoints.base_url("eu") == "https://fleet-api.prd.eu.vn.cloud.tesla.com"
    assert not endpoints.is_emulator


async def test_token_endpoint_down_at_start_retries(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Token expired while stopped and the token endpoint down: set-up retries, no reauth."""
    entry = await setup_integration(hass, emulator)
    assert await hass.config_entries.async_unload(entry.entry_id)
    emulator.faults.inject("/oauth2/v3/token", 502)
    freezer.tick(timedelta(hours=9))

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert not reauth_flows(hass)
