"""Entry set-up for live data: cost meter, budget, a coordinator and a device per car.

Nothing here waits on a car: devices and entities come from the products list at once; each
car's first poll (the free state check) runs in the background, and a sleeping car's entities
show their restored values until it wakes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.event import async_track_time_interval

from .api import TeslaFleetClient
from .api.errors import TeslaFleetError
from .api.models import Products
from .api.rate_limit import RateLimitGate
from .const import DOMAIN, LOGGER
from .cost_meter import CostMeter
from .devices import VehicleFleet
from .energy_sites import ENERGY_READ_SCOPE
from .options_flow import budget_from_options, intervals_from_options
from .polling import AccountPolling
from .schedule.budget import Plan
from .vehicle_coordinator import ClientVehicleReader, TeslaVehicleCoordinator
from .vehicle_states import AccountVehicleStates

if TYPE_CHECKING:
    # models imports the modules this one builds the runtime data from.
    from .models import TeslaFleetDirectConfigEntry, TeslaFleetDirectData

# How often the products list is read to notice cars and energy sites that joined or left the
# account (4 data requests a day).
PRODUCTS_INTERVAL: Final = timedelta(hours=6)
# After a 404 for a car, the products list is read again, but not more often than this.
PRODUCTS_AFTER_404_S: Final = 600.0
BUDGET_CHECK_INTERVAL: Final = timedelta(minutes=30)
ISSUE_LIMITED: Final = "budget_limited"
ISSUE_SPENT: Final = "budget_spent"

MODEL_NAMES: Final[Mapping[str, str]] = {
    "3": "Model 3",
    "Y": "Model Y",
    "S": "Model S",
    "X": "Model X",
}


def vehicle_device_info(vin: str, product: Mapping[str, Any]) -> DeviceInfo:
    """The device of one car, by VIN (shared by every account that sees the car)."""
    model = MODEL_NAMES.get(vin[3:4], "Tesla") if len(vin) >= 4 else "Tesla"
    return DeviceInfo(
        identifiers={(DOMAIN, vin)},
        manufacturer="Tesla",
        model=model,
        name=str(product.get("display_name") or model),
        serial_number=vin,
    )


def account_polling(
    options: Mapping[str, Any], meter: CostMeter, products: Products, gate: RateLimitGate
) -> AccountPolling:
    """The account's budget from the entry's options, and its client's rate-limit gate."""
    return AccountPolling(
        gate=gate,
        spent_usd=meter.month_cost_usd,
        intervals=intervals_from_options(options),
        budget_usd=budget_from_options(options),
        vehicles=len(products.vehicles),
        sites=len(products.energy_sites),
    )


def async_setup_vehicles(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    client: TeslaFleetClient,
    *,
    account_id: str,
    scopes: frozenset[str],
    products: Products,
    polling: AccountPolling,
) -> VehicleFleet:
    """A coordinator per car in the products list; more as cars join the account."""

    # One vehicle-list read answers every car's state check at the same mark.
    states = AccountVehicleStates(client.vehicles)

    def create(product: Mapping[str, Any]) -> TeslaVehicleCoordinator:
        vin = str(product["vin"])
        return TeslaVehicleCoordinator(
            hass,
            entry,
            ClientVehicleReader(client.vehicle(vin), states),
            vin=vin,
            account_id=account_id,
            device_info=vehicle_device_info(vin, product),
            scopes=scopes,
            polling=polling,
            initial_state=str(product.get("state") or "unknown"),
        )

    last_read = [time.monotonic()]
    # The 6-hourly timer and a 404 may overlap; one re-read at a time, so a site joining is
    # never set up twice (its first read is awaited inside the sync).
    reading = asyncio.Lock()

    async def refresh_products(_now: Any) -> None:
        last_read[0] = time.monotonic()
        async with reading:
            try:
                current = await client.products()
            except TeslaFleetError as err:
                LOGGER.debug("Products list not read: %s", err)
                return
            # Home Assistant deletes runtime_data when the entry unloads.
            data: TeslaFleetDirectData | None = getattr(entry, "runtime_data", None)
            if data is None or data.vehicles is not fleet:
                # The entry was unloaded (or reloaded) while the list was read: not ours to sync.
                return
            fleet.async_sync(v.raw for v in current.vehicles)
            polling.vehicles = len(fleet.coordinators)
            # Sites join and leave like cars (only read at all with the energy scope).
            sites = data.energy_sites
            if sites is not None and ENERGY_READ_SCOPE in scopes:
                await sites.async_sync(current.energy_sites)
            # Diagnostics name (and scrub) what the account has now, not what it had at start.
            data.products = current

    @callback
    def car_gone() -> None:
        # A 404 for a car: read the products list now, but at most once in a while.
        if time.monotonic() - last_read[0] >= PRODUCTS_AFTER_404_S:
            entry.async_create_background_task(
                hass, refresh_products(None), f"{DOMAIN} products after 404"
            )

    def create_with_hook(product: Mapping[str, Any]) -> TeslaVehicleCoordinator:
        coordinator = create(product)
        coordinator.on_gone = car_gone
        return coordinator

    fleet = VehicleFleet(hass, entry, create_with_hook)
    fleet.async_sync(v.raw for v in products.vehicles)

    entry.async_on_unload(async_track_time_interval(hass, refresh_products, PRODUCTS_INTERVAL))
    return fleet


def async_update_budget_issue(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, polling: AccountPolling
) -> Plan:
    """File or clear the repair issue that explains a budget-throttled polling."""
    current = polling.plan()
    placeholders = {
        "budget": f"{polling.budget_usd:.2f}",
        "spent": f"{polling.spent_usd():.2f}",
        "needed": f"{current.budget_needed_usd:.2f}",
        "interval": str(round(current.active / 60)),
    }
    for key, active in (
        (ISSUE_SPENT, current.paused),
        (ISSUE_LIMITED, current.beyond_noticeable and not current.paused),
    ):
        issue_id = f"{key}_{entry.entry_id}"
        if active:
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=key,
                translation_placeholders=placeholders,
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    return current


def async_track_budget(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, polling: AccountPolling
) -> None:
    """Keep the budget repair issue current (at set-up and every half hour)."""
    async_update_budget_issue(hass, entry, polling)

    @callback
    def check(_now: Any) -> None:
        async_update_budget_issue(hass, entry, polling)

    entry.async_on_unload(async_track_time_interval(hass, check, BUDGET_CHECK_INTERVAL))
