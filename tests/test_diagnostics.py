"""Diagnostics: useful for a bug report, and free of tokens, VINs, places, names and e-mails."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .common import setup_integration
from .energy.conftest import SITE_ID
from .entity_helpers import M3, MY

pytestmark = pytest.mark.usefixtures("socket_enabled")

# Tesla's site info also carries the installation address and coordinates (the emulated site
# has none), so the first read is answered with them added.
ADDRESS = {
    "address_line1": "742 Evergreen Terrace",
    "city": "Springfield",
    "state": "OR",
    "zip": "97477",
    "country": "US",
}
SITE_LATITUDE = 44.04621
SITE_LONGITUDE = -123.02204


def _site_info_with_address(emulator: Emulator) -> None:
    info = {
        **emulator.site(SITE_ID).site_info(),
        "address": ADDRESS,
        "latitude": SITE_LATITUDE,
        "longitude": SITE_LONGITUDE,
    }
    emulator.faults.inject("/api/1/energy_sites/*/site_info", 200, count=1, body={"response": info})


def _secrets(emulator: Emulator, entry_data: dict[str, object]) -> list[str]:
    token = entry_data["token"]
    assert isinstance(token, dict)
    account = emulator.world.accounts["owner"]
    found = [token["access_token"], token["refresh_token"], M3, MY, account.email]
    found.append(account.full_name)
    for vin in (M3, MY):
        car = emulator.vehicle(vin)
        found += [f"{car.latitude:.4f}"[:-1], f"{car.longitude:.4f}"[:-1], car.display_name]
    site = emulator.site(SITE_ID).spec
    # Street, town and postcode identify the home (state and country codes are too short to
    # search the dump for).
    found += [str(SITE_ID), site.id, site.site_name, ADDRESS["address_line1"], ADDRESS["city"]]
    found.append(ADDRESS["zip"])
    found += [str(SITE_LATITUDE)[:-1], str(SITE_LONGITUDE)[:-1]]
    found += [part for wc in site.wall_connectors for part in (wc.din, wc.serial_number, wc.vin)]
    return [str(s) for s in found if s]


async def test_entry_diagnostics_without_secrets(
    hass: HomeAssistant, emulator: Emulator, hass_client: ClientSessionGenerator
) -> None:
    """The dump shows the polling state but none of the secrets."""
    assert await async_setup_component(hass, "diagnostics", {})
    _site_info_with_address(emulator)
    entry = await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    info = entry.runtime_data.energy_sites.coordinators[SITE_ID].data.info.raw
    assert info["address"] == ADDRESS  # the site really answered with its address
    dump: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(dump)
    for secret in _secrets(emulator, dict(entry.data)):
        assert secret not in text, f"{secret[:6]}... leaked"
    assert dump["budget"]["monthly_budget_usd"] == 10.0
    assert len(dump["vehicles"]) == 2
    assert {v["state"] for v in dump["vehicles"]} == {"online"}
    assert dump["vehicles"][0]["data"]["charge_state"]["battery_level"] is not None
    (site,) = dump["energy_sites"]
    assert site["live_status"]["solar_power"] == pytest.approx(
        emulator.site(SITE_ID).live_status()["solar_power"], abs=50
    )
    assert site["site_info"]["backup_reserve_percent"] == 20
    assert site["site_info"]["address"] == "**REDACTED**"
    assert site["update_interval_s"] > 0


async def test_device_diagnostics_without_secrets(
    hass: HomeAssistant, emulator: Emulator, hass_client: ClientSessionGenerator
) -> None:
    """One car's dump: its polling state and data, no VIN or position."""
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)
    assert device is not None
    dump: dict[str, Any] = await get_diagnostics_for_device(hass, hass_client, entry, device)
    text = json.dumps(dump)
    for secret in _secrets(emulator, dict(entry.data)):
        assert secret not in text
    assert dump["state"] == "online"
    assert "drive_state" in dump["data"]


async def test_energy_site_device_diagnostics_without_secrets(
    hass: HomeAssistant, emulator: Emulator, hass_client: ClientSessionGenerator
) -> None:
    """The site's device (and its wall connector's) dump its live status, no ids or address."""
    assert await async_setup_component(hass, "diagnostics", {})
    _site_info_with_address(emulator)
    entry = await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    registry = dr.async_get(hass)
    connector = emulator.site(SITE_ID).spec.wall_connectors[0].din
    for identifier in (str(SITE_ID), connector):
        device = registry.async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id)
        assert device is not None
        dump: dict[str, Any] = await get_diagnostics_for_device(hass, hass_client, entry, device)
        text = json.dumps(dump)
        for secret in _secrets(emulator, dict(entry.data)):
            assert secret not in text
        assert dump["live_status"]["grid_status"] == "Active"
