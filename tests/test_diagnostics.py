"""Diagnostics: useful for a bug report, and free of tokens, VINs, places, names and e-mails."""

from __future__ import annotations

import json

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
from .entity_helpers import M3, MY

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _secrets(emulator: Emulator, entry_data: dict[str, object]) -> list[str]:
    token = entry_data["token"]
    assert isinstance(token, dict)
    account = emulator.world.accounts["owner"]
    found = [token["access_token"], token["refresh_token"], M3, MY, account.email]
    found.append(account.full_name)
    for vin in (M3, MY):
        car = emulator.vehicle(vin)
        found += [f"{car.latitude:.4f}"[:-1], f"{car.longitude:.4f}"[:-1], car.display_name]
    return [str(s) for s in found if s]


async def test_entry_diagnostics_without_secrets(
    hass: HomeAssistant, emulator: Emulator, hass_client: ClientSessionGenerator
) -> None:
    """The dump shows the polling state but none of the secrets."""
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    dump = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(dump)
    for secret in _secrets(emulator, dict(entry.data)):
        assert secret not in text, f"{secret[:6]}... leaked"
    assert dump["budget"]["monthly_budget_usd"] == 10.0
    assert len(dump["vehicles"]) == 2
    assert {v["state"] for v in dump["vehicles"]} == {"online"}
    assert dump["vehicles"][0]["data"]["charge_state"]["battery_level"] is not None


async def test_device_diagnostics_without_secrets(
    hass: HomeAssistant, emulator: Emulator, hass_client: ClientSessionGenerator
) -> None:
    """One car's dump: its polling state and data, no VIN or position."""
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, M3), entry.entry_id)
    assert device is not None
    dump = await get_diagnostics_for_device(hass, hass_client, entry, device)
    text = json.dumps(dump)
    for secret in _secrets(emulator, dict(entry.data)):
        assert secret not in text
    assert dump["state"] == "online"
    assert "drive_state" in dump["data"]
