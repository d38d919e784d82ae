"""The request ledger: categories, what is billed, and the cost under both readings."""

from __future__ import annotations

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator

from .conftest import M3, MY, SITE, Api


async def test_categories_and_cost(api: Api, emulator: Emulator) -> None:
    await api.get("/vehicles")  # free by default
    await api.get(f"/vehicles/{M3}")  # free by default
    await api.get(f"/vehicles/{M3}/vehicle_data")  # data
    await api.get(f"/energy_sites/{SITE}/live_status")  # energy: counted, not billed
    await api.post(f"/energy_sites/{SITE}/backup", {"backup_reserve_percent": 30})  # energy
    await api.get("/users/me")  # data
    await api.command(M3, "flash_lights")  # command
    await api.command(MY, "flash_lights")  # command (a 403 is still billed)
    await api.post(f"/vehicles/{M3}/wake_up")  # wake
    categories = [
        (entry.endpoint, entry.category, entry.status, entry.billed)
        for entry in emulator.ledger.entries
    ]
    assert categories == [
        ("vehicles", "free", 200, False),
        ("vehicle", "free", 200, False),
        ("vehicle_data", "data", 200, True),
        ("live_status", "energy", 200, False),
        ("backup", "energy", 200, False),
        ("users_me", "data", 200, True),
        ("command", "command", 200, True),
        ("command", "command", 403, True),
        ("wake_up", "wake", 200, True),
    ]
    # Energy stays energy when state checks are billed too.
    assert [e.category_if_billed for e in emulator.ledger.entries][3:5] == ["energy", "energy"]
    assert emulator.ledger.counts() == {"data": 2, "command": 2, "wake": 1, "energy": 2, "free": 2}
    assert emulator.ledger.cost() == pytest.approx(2 / 500 + 2 / 1000 + 1 / 50)
    assert emulator.ledger.cost(state_billed=True) == pytest.approx(4 / 500 + 2 / 1000 + 1 / 50)


async def test_4xx_are_billed_and_5xx_are_not(api: Api, emulator: Emulator) -> None:
    emulator.clock.advance(20 * 60)
    assert (await api.get(f"/vehicles/{M3}/vehicle_data"))[0] == 408
    emulator.faults.inject("*/vehicle_data", 429)
    emulator.faults.inject("*/vehicle_data", 503)
    await api.get(f"/vehicles/{M3}/vehicle_data")
    await api.get(f"/vehicles/{M3}/vehicle_data")
    assert [entry.status for entry in emulator.ledger.entries] == [408, 429, 503]
    assert [entry.billed for entry in emulator.ledger.entries] == [True, True, False]
    assert emulator.ledger.counts()["data"] == 2


async def test_oauth_and_admin_calls_are_not_in_the_ledger(
    emulator: Emulator, http: ClientSession
) -> None:
    async with http.get(f"{emulator.url}/_emulator/state"):
        pass
    async with http.post(f"{emulator.url}/oauth2/v3/token", data={"grant_type": "x"}):
        pass
    assert emulator.ledger.entries == []


async def test_free_endpoints_are_a_setting(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    async with http.post(
        f"{emulator.url}/_emulator/settings", json={"free_endpoints": []}
    ) as response:
        assert (await response.json())["free_endpoints"] == []
    await api.get("/vehicles")
    async with http.get(f"{emulator.url}/_emulator/ledger") as response:
        ledger = await response.json()
    assert ledger["entries"][0]["category"] == "data"
    assert ledger["counts"]["data"] == 1
    assert ledger["cost_usd"] == pytest.approx(1 / 500)
