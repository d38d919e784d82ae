"""An emulator with one energy site of each kind, started at a fixed moment (never the wall clock).

Shared by the energy-site tests: a Powerwall with solar, a Powerwall alone, solar alone and a
site of wall connectors alone, plus two cars plugged into the connectors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientSession

from fleet_emulator import Emulator
from fleet_emulator.scenario import parse_scenario

ZONE = ZoneInfo("America/Los_Angeles")
# A June evening: the day had sun, the Powerwalls charged at noon and now carry the evening
# (ten minutes into the hour, so the hour under way has energy in it too).
START = datetime(2025, 6, 18, 18, 10, tzinfo=ZONE).timestamp()
CHARGING_CAR = "5YJ3E7EB0KF000101"  # plugged in below its limit: charging
FULL_CAR = "7SAYGDEE0PA000102"  # plugged in at its limit: connected, not charging
BATTERY_SOLAR = 2252180000000101
BATTERY_ONLY = 2252180000000102
SOLAR_ONLY = 2252180000000103
WALL_CONNECTOR_ONLY = 2252180000000104
SITES = {
    "battery_solar": BATTERY_SOLAR,
    "battery": BATTERY_ONLY,
    "solar": SOLAR_ONLY,
    "wall_connector": WALL_CONNECTOR_ONLY,
}
SCENARIO: dict[str, Any] = {
    "accounts": [
        {
            "account_id": "owner",
            "vehicles": [CHARGING_CAR, FULL_CAR],
            "sites": list(SITES.values()),
        }
    ],
    "vehicles": [
        {
            "vin": CHARGING_CAR,
            "id": 1492931337151101,
            "vehicle_id": 1234567101,
            "display_name": "Charging",
            "plugged_in": True,
            "battery_level": 40,
        },
        {
            "vin": FULL_CAR,
            "id": 1492931337151102,
            "vehicle_id": 1234567102,
            "display_name": "Full",
            "model": "modely",
            "plugged_in": True,
            "battery_level": 90,
        },
    ],
    "sites": [
        {
            "energy_site_id": BATTERY_SOLAR,
            "id": "STE20230501-00101",
            "site_name": "Powerwall and solar",
            "wall_connectors": [
                {
                    "din": "1457768-02-G--PGT21000101",
                    "serial_number": "PGT21000101",
                    "vin": CHARGING_CAR,
                }
            ],
        },
        {
            "energy_site_id": BATTERY_ONLY,
            "id": "STE20230501-00102",
            "site_name": "Powerwall alone",
            "has_solar": False,
            "battery_count": 1,
            "wall_connectors": [
                {"din": "1457768-02-G--PGT21000102", "serial_number": "PGT21000102"}
            ],
        },
        {
            "energy_site_id": SOLAR_ONLY,
            "id": "STE20230501-00103",
            "site_name": "Solar alone",
            "has_battery": False,
        },
        {
            "energy_site_id": WALL_CONNECTOR_ONLY,
            "id": "STE20230501-00104",
            "site_name": "Garage",
            "has_battery": False,
            "has_solar": False,
            "wall_connectors": [
                {
                    "din": "1457768-02-G--PGT21000104",
                    "serial_number": "PGT21000104",
                    "vin": FULL_CAR,
                }
            ],
        },
    ],
}


class SiteClient:
    """GETs and POSTs to the emulator's regional Fleet API as the owner."""

    def __init__(self, emu: Emulator, http: ClientSession) -> None:
        self.emu = emu
        self.http = http
        self.token = emu.mint_tokens("owner")["access_token"]

    async def get(self, path: str) -> Any:
        """The `response` of a GET that must succeed."""
        url = f"{self.emu.base_url('na')}/api/1{path}"
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(url, headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            return (await answer.json())["response"]

    async def site(self, site_id: int, endpoint: str) -> Any:
        """`/energy_sites/{site_id}/{endpoint}` (endpoint may carry a query)."""
        return await self.get(f"/energy_sites/{site_id}/{endpoint}")

    async def product(self, site_id: int) -> dict[str, Any]:
        """The site's entry in `/products`."""
        products = await self.get("/products")
        return next(p for p in products if p.get("energy_site_id") == site_id)


@contextlib.asynccontextmanager
async def emulator_at(
    start: float, scenario: dict[str, Any] | None = None
) -> AsyncIterator[SiteClient]:
    """An emulator of these sites (or another scenario) whose world begins at `start`."""
    emu = Emulator(parse_scenario(scenario or SCENARIO, start=start), start=start)
    await emu.start("127.0.0.1", 0)
    try:
        async with ClientSession() as http:
            yield SiteClient(emu, http)
    finally:
        await emu.stop()
