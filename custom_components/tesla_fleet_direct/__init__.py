"""The Tesla Fleet Direct integration."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    ImplementationUnavailableError,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import async_get_config_entry_implementation
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .api import TeslaFleetClient
from .api.errors import AuthenticationError, TeslaFleetError
from .application_credentials import use_account_region
from .const import (
    CONF_BASE_URL,
    CONF_EMULATOR_URL,
    CONF_REGION,
    CONF_TELEMETRY_TRUST,
    DOMAIN,
    LOGGER,
)
from .cost_meter import CostMeter
from .endpoints import async_use_emulator, get_endpoints
from .energy_sites import async_remove_energy_history, async_setup_energy_sites
from .live_data import account_polling, async_setup_vehicles, async_track_budget
from .models import TeslaFleetDirectConfigEntry, TeslaFleetDirectData
from .services import async_setup_services
from .signing_runtime import async_setup_signing
from .signing_setup import CONF_APP_DOMAIN
from .stream_ingest import async_start_stream
from .streaming_upkeep import async_remove_streaming, async_start_upkeep, async_trust_also
from .token import TeslaTokenManager

# The platforms set up for every entry; the live-data and control parts add theirs here.
PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CLIMATE,
    Platform.COVER,
    Platform.DEVICE_TRACKER,
    Platform.LOCK,
    Platform.MEDIA_PLAYER,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]

# `emulator_url` is the dev/test switch to the local Fleet API emulator, `telemetry_trust` a
# CA file (relative to the configuration folder) that the streaming server checks trust as well:
# the dev instance's (scripts/dev_instance.py). Deliberately not in the UI or the user
# documentation.
CONFIG_SCHEMA = vol.Schema(
    {
        vol.Optional(DOMAIN): vol.Schema(
            {
                vol.Optional(CONF_EMULATOR_URL): cv.url,
                vol.Optional(CONF_TELEMETRY_TRUST): cv.string,
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Read the hidden dev configuration; register the actions once."""
    dev = config.get(DOMAIN, {})
    if (url := dev.get(CONF_EMULATOR_URL)) is not None:
        async_use_emulator(hass, url)
        LOGGER.warning("Using the Fleet API emulator at %s instead of Tesla", url)
    if (cafile := dev.get(CONF_TELEMETRY_TRUST)) is not None:
        await async_trust_also(hass, hass.config.path(cafile))
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> bool:
    """Set up one Tesla account."""
    try:
        implementation = await async_get_config_entry_implementation(hass, entry)
    except ImplementationUnavailableError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="credentials_unavailable"
        ) from err
    except ValueError as err:
        # The application credentials this entry signed in with were deleted.
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="credentials_missing"
        ) from err
    region = str(entry.data.get(CONF_REGION) or "")
    # A China account refreshes its tokens on China's sign-in host.
    use_account_region(implementation, region)
    tokens = TeslaTokenManager(hass, entry, implementation)
    endpoints = get_endpoints(hass)
    base_url = endpoints.base_urls.get(region) or entry.data.get(CONF_BASE_URL)
    # Counts every billed request (the budget and the cost sensors read it).
    meter = CostMeter(hass, entry.entry_id)
    await meter.async_load()
    client = TeslaFleetClient(
        async_get_clientsession(hass),
        tokens,
        on_request=meter.record,
        base_url=base_url,
        region_urls=endpoints.base_urls,
        trusted_hosts=endpoints.trusted_hosts,
    )
    # Cars that only take signed commands get them; the others keep plain REST commands.
    async_setup_signing(hass, client)
    try:
        products = await client.products()
    except AuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except TeslaFleetError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="setup_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    if (moved := endpoints.region_of(client.base_url or "")) and moved != region:
        # Tesla moved the account (421): remember it, so the next start asks the right region.
        LOGGER.info("The Tesla account is now served by region %s", moved)
        hass.config_entries.async_update_entry(
            entry,
            data={**entry.data, CONF_REGION: moved, CONF_BASE_URL: endpoints.base_url(moved)},
        )
        region = moved
    polling = account_polling(entry.options, meter, products, client.rate_limit)
    vehicles = async_setup_vehicles(
        hass,
        entry,
        client,
        account_id=entry.unique_id or entry.entry_id,
        scopes=tokens.scopes,
        products=products,
        polling=polling,
    )
    energy_sites = await async_setup_energy_sites(
        hass,
        entry,
        client,
        sites=products.energy_sites,
        scopes=tokens.scopes,
        account_id=entry.unique_id or entry.entry_id,
        polling=polling,
    )
    entry.runtime_data = TeslaFleetDirectData(
        client=client,
        tokens=tokens,
        scopes=tokens.scopes,
        region=region,
        products=products,
        meter=meter,
        polling=polling,
        vehicles=vehicles,
        energy_sites=energy_sites,
        app_domain=entry.data.get(CONF_APP_DOMAIN),
    )
    async_start_stream(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    vehicles.async_start()
    async_track_budget(hass, entry, polling)
    async_start_upkeep(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device only once its car, site or wall connector left the account.

    While it is still on the account the next products read would just bring it back.
    """
    data = entry.runtime_data
    current = set(data.vehicles.coordinators)
    if data.energy_sites is not None:
        current |= data.energy_sites.current_identifiers()
    return not any(domain == DOMAIN and key in current for domain, key in device.identifiers)


async def async_remove_entry(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
    """Forget the removed account's request costs and energy history; stop its cars streaming."""
    await async_remove_streaming(hass, entry)
    await CostMeter(hass, entry.entry_id).async_remove()
    await async_remove_energy_history(hass, entry)
