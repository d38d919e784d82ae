"""Optional rate limits (off by default) and the firmware that reports sleep as offline."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator
from fleet_emulator.scenario import DEFAULT_SCENARIO, parse_scenario

from .conftest import M3, MY, Api


@pytest.fixture
async def limited(socket_enabled: None) -> AsyncIterator[Emulator]:
    scenario = parse_scenario(
        {**DEFAULT_SCENARIO, "settings": {"rate_limits": "reported"}}, start=0
    )
    emulator = Emulator(scenario)
    await emulator.start()
    yield emulator
    await emulator.stop()


async def test_wakes_are_limited_per_car_per_minute(limited: Emulator, http: ClientSession) -> None:
    api = Api(limited, http, limited.mint_tokens("owner")["access_token"])
    for remaining in (2, 1, 0):
        status, _, response = await api.call("POST", f"/vehicles/{M3}/wake_up")
        assert status == 200
        assert response.headers["RateLimit-Remaining"] == str(remaining)
    status, body, response = await api.call("POST", f"/vehicles/{M3}/wake_up")
    assert (status, body["error"]) == (429, "rate limit exceeded")
    assert 55 <= int(response.headers["Retry-After"]) <= 60
    # Another car has its own budget; data requests have theirs.
    assert (await api.post(f"/vehicles/{MY}/wake_up"))[0] == 200
    assert (await api.get(f"/vehicles/{M3}"))[0] == 200
    limited.clock.advance(61)
    assert (await api.post(f"/vehicles/{M3}/wake_up"))[0] == 200
    assert [e.status for e in limited.ledger.entries if e.endpoint == "wake_up"].count(429) == 1


async def test_no_limits_by_default(api: Api) -> None:
    for _ in range(10):
        status, _, response = await api.call("POST", f"/vehicles/{M3}/wake_up")
        assert status == 200
        assert "RateLimit-Limit" not in response.headers


async def test_limits_can_be_switched_on_at_run_time(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    async with http.post(
        f"{emulator.url}/_emulator/settings", json={"rate_limits": {"command": 1}}
    ) as response:
        assert (await response.json())["rate_limits"] == {"command": 1}
    assert (await api.command(M3, "honk_horn"))[0] == 200
    assert (await api.command(M3, "honk_horn"))[0] == 429


async def test_sleeping_car_can_read_offline(socket_enabled: None, http: ClientSession) -> None:
    vehicles = [dict(v) for v in DEFAULT_SCENARIO["vehicles"]]
    vehicles[0]["asleep_reads_offline"] = True
    emulator = Emulator(parse_scenario({**DEFAULT_SCENARIO, "vehicles": vehicles}, start=0))
    await emulator.start()
    try:
        api = Api(emulator, http, emulator.mint_tokens("owner")["access_token"])
        emulator.advance(20 * 60)
        _, body = await api.get(f"/vehicles/{M3}")
        assert body["response"]["state"] == "offline"
        await api.post(f"/vehicles/{M3}/wake_up")
        emulator.advance(20)
        _, body = await api.get(f"/vehicles/{M3}")
        assert body["response"]["state"] == "online"
    finally:
        await emulator.stop()
