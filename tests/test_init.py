"""Setting an account up and taking it down, against the emulator."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from fleet_emulator import Emulator

from .common import setup_integration


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
