"""Building a vehicle coordinator on the real client transport against the emulator."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_fleet_direct.api import TeslaFleetClient
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.cost_meter import CostMeter
from custom_components.tesla_fleet_direct.polling import AccountPolling
from custom_components.tesla_fleet_direct.schedule.budget import PollingIntervals
from custom_components.tesla_fleet_direct.vehicle_coordinator import (
    ClientVehicleReader,
    TeslaVehicleCoordinator,
)
from fleet_emulator import Emulator

M3 = "5YJ3E7EB0KF000001"
ALL_SCOPES = (
    "openid",
    "offline_access",
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
)


class MintedTokens:
    """A token provider that mints a fresh token from the emulator when one is refused."""

    def __init__(self, emulator: Emulator, scopes: Collection[str]) -> None:
        self.emulator = emulator
        self.scopes = list(scopes)
        self.token = self._mint()

    def _mint(self) -> str:
        token: str = self.emulator.mint_tokens(scopes=self.scopes)["access_token"]
        return token

    async def async_get_access_token(self) -> str:
        return self.token

    async def async_refresh_access_token(self, rejected: str) -> str:
        if rejected == self.token:
            self.token = self._mint()
        return self.token


@dataclass
class Rig:
    """A coordinator for one emulated car and what it is wired to."""

    coordinator: TeslaVehicleCoordinator
    polling: AccountPolling
    meter: CostMeter
    entry: MockConfigEntry


async def make_rig(
    hass: HomeAssistant,
    emulator: Emulator,
    *,
    vin: str = M3,
    scopes: Collection[str] = ALL_SCOPES,
    budget_usd: float = 10.0,
    intervals: PollingIntervals | None = None,
    start: bool = True,
) -> Rig:
    """A coordinator polling `vin` through the real transport; started unless `start=False`."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id="owner-sub", title="owner")
    entry.add_to_hass(hass)
    meter = CostMeter(hass, entry.entry_id)
    client = TeslaFleetClient(
        async_get_clientsession(hass),
        MintedTokens(emulator, scopes),
        base_url=emulator.base_url("na"),
        on_request=meter.record,
    )
    polling = AccountPolling(
        spent_usd=meter.month_cost_usd,
        intervals=intervals or PollingIntervals(),
        budget_usd=budget_usd,
        vehicles=1,
        gate=client.rate_limit,
    )
    coordinator = TeslaVehicleCoordinator(
        hass,
        entry,
        ClientVehicleReader(client.vehicle(vin)),
        vin=vin,
        account_id="owner-sub",
        device_info=DeviceInfo(identifiers={(DOMAIN, vin)}),
        scopes=scopes,
        polling=polling,
    )
    if start:
        await coordinator.async_refresh()
        # A listener is what keeps a coordinator polling (as an entity would).
        entry.async_on_unload(coordinator.async_add_listener(lambda: None))
    return Rig(coordinator, polling, meter, entry)


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move Home Assistant's and the emulator's clock and run what became due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def vehicle_requests(emulator: Emulator, vin: str = M3) -> dict[str, int]:
    """Ledger counts for one car: state checks, data requests, wakes."""
    counts = {"state": 0, "data": 0, "wake": 0}
    for entry in emulator.ledger.entries:
        if entry.path.endswith(f"/vehicles/{vin}"):
            counts["state"] += 1
        elif entry.path.endswith(f"/vehicles/{vin}/vehicle_data"):
            counts["data"] += 1
        elif entry.path.endswith(f"/vehicles/{vin}/wake_up"):
            counts["wake"] += 1
    return counts
