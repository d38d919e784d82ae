"""The Tesla Fleet Direct integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType

from .services import async_setup_services

type TeslaFleetDirectConfigEntry = ConfigEntry[None]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, so automations using them validate even while unloaded."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> bool:
    """Set up Tesla Fleet Direct from a config entry."""
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> bool:
    """Unload a config entry."""
    return True
