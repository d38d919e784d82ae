"""The Tesla Fleet Direct integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

type TeslaFleetDirectConfigEntry = ConfigEntry[None]


async def async_setup_entry(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> bool:
    """Set up Tesla Fleet Direct from a config entry."""
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> bool:
    """Unload a config entry."""
    return True
