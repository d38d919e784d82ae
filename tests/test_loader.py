"""Home Assistant's loader finds the integration and reads its manifest."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration

from custom_components.tesla_fleet_direct.const import DOMAIN


async def test_integration_is_found_by_the_loader(hass: HomeAssistant) -> None:
    """The loader resolves our domain to this checkout with the manifest's facts."""
    integration = await async_get_integration(hass, DOMAIN)

    assert integration.domain == DOMAIN
    assert integration.name == "Tesla Fleet Direct"
    assert integration.config_flow is True
    assert not integration.is_built_in
    assert str(integration.file_path).endswith("custom_components/tesla_fleet_direct")
    assert set(integration.dependencies) == {"application_credentials", "http"}
    assert integration.version is not None
