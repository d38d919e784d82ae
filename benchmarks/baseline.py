"""The common approach, for comparison: fixed 10-minute state poll + `vehicle_data` whenever
online, and `live_status` every 60 s. Same API client, same emulator scenario as ours. A command
is sent at once; what it changed shows with the next scheduled poll."""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
from typing import Any

import aiohttp

from custom_components.tesla_fleet_direct.api.client import TeslaFleetClient
from custom_components.tesla_fleet_direct.api.errors import TeslaFleetError
from custom_components.tesla_fleet_direct.api.vehicle_data import Section
from fleet_emulator import Emulator

VEHICLE_INTERVAL_S = 600.0
SITE_INTERVAL_S = 60.0


class MintedTokens:
    """Token provider that asks the emulator for tokens (no browser, no refresh-token use)."""

    def __init__(self, emulator: Emulator) -> None:
        """Mint the first access token."""
        self._emulator = emulator
        self._token = str(emulator.mint_tokens()["access_token"])

    async def async_get_access_token(self) -> str:
        """The current access token."""
        return self._token

    async def async_refresh_access_token(self, rejected: str) -> str:
        """A new access token after a 401."""
        self._token = str(self._emulator.mint_tokens()["access_token"])
        return self._token


class BaselinePoller:
    """Polls on a fixed schedule; `await tick(now)` sends whatever is due."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        emulator: Emulator,
        vins: list[str],
        site_ids: list[int],
    ) -> None:
        """One client for the account, pinned to the emulator's region URL."""
        self.client = TeslaFleetClient(
            session,
            MintedTokens(emulator),
            base_url=emulator.base_url("na"),
            region_urls={"na": emulator.base_url("na")},
        )
        self._vins = vins
        self._site_ids = site_ids
        self._next_vehicle = 0.0
        self._next_site = 0.0
        # The last `vehicle_data` per car: what a dashboard on this poller would show.
        self.shown: dict[str, Mapping[str, Any]] = {}

    async def press(self, vin: str, lock: bool) -> None:
        """Send the door command (a failure just leaves the doors as they were)."""
        with contextlib.suppress(TeslaFleetError):
            await self.client.vehicle(vin).command("door_lock" if lock else "door_unlock")

    def shows(self, vin: str, lock: bool) -> bool:
        """Whether the last read says the doors are locked (`lock`) or unlocked."""
        vehicle_state = self.shown.get(vin, {}).get("vehicle_state")
        return isinstance(vehicle_state, Mapping) and vehicle_state.get("locked") is lock

    async def settle(self) -> None:
        """Nothing: the baseline does not read again after a command."""

    async def step(self, now: float) -> None:
        """Poll the cars every 10 minutes and the sites every minute."""
        if now >= self._next_vehicle:
            self._next_vehicle = now + VEHICLE_INTERVAL_S
            for vin in self._vins:
                await self._poll_vehicle(vin)
        if now >= self._next_site:
            self._next_site = now + SITE_INTERVAL_S
            for site_id in self._site_ids:
                # A failed poll just leaves the reading older, as in the real thing.
                with contextlib.suppress(TeslaFleetError):
                    await self.client.energy_site(site_id).live_status()

    async def _poll_vehicle(self, vin: str) -> None:
        api = self.client.vehicle(vin)
        try:
            if (await api.state()).state == "online":
                self.shown[vin] = (await api.vehicle_data(list(Section))).raw
        except TeslaFleetError:
            pass  # the car fell asleep between the two requests: the poll just misses
