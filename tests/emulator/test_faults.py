"""Fault injection through the Python handle and the admin API."""

from __future__ import annotations

import asyncio

from aiohttp import ClientError, ClientSession
import pytest

from fleet_emulator import Emulator

from .conftest import M3, Api


async def test_rate_limit_with_retry_after_for_the_next_n_requests(
    api: Api, emulator: Emulator
) -> None:
    emulator.faults.inject("/api/1/vehicles/*/vehicle_data", 429, count=2, retry_after=17)
    path = f"/vehicles/{M3}/vehicle_data"
    for _ in range(2):
        status, body, response = await api.call("GET", path)
        assert status == 429
        assert response.headers["Retry-After"] == "17"
        assert body["error"] == "rate limit exceeded"
    assert (await api.get(path))[0] == 200
    assert (await api.get("/vehicles"))[0] == 200


@pytest.mark.parametrize("status", [401, 408, 500, 503])
async def test_status_faults_use_tesla_shaped_bodies(
    api: Api, emulator: Emulator, status: int
) -> None:
    emulator.faults.inject("*/users/me", status)
    answer, body = await api.get("/users/me")
    assert answer == status
    assert body["response"] is None
    assert body["error"]


async def test_injected_421_points_at_the_same_region(api: Api, emulator: Emulator) -> None:
    emulator.faults.inject("/na/api/1/products", 421)
    status, body = await api.get("/products")
    assert status == 421
    assert emulator.base_url("na") in body["error"]


async def test_custom_body_malformed_json_and_dropped_connection(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    emulator.faults.inject("*/products", 402, body={"error": "payment required"})
    assert await api.get("/products") == (402, {"error": "payment required"})
    emulator.faults.inject("*/products", malformed=True)
    url = f"{emulator.base_url('na')}/api/1/products"
    headers = {"Authorization": f"Bearer {api.token}"}
    async with http.get(url, headers=headers) as response:
        assert response.status == 200
        with pytest.raises(ValueError):
            await response.json()
    # Two drops: aiohttp retries an idempotent request once when the server disconnects.
    emulator.faults.inject("*/products", drop=True, count=2)
    with pytest.raises(ClientError):
        async with http.get(url, headers=headers) as response:
            await response.read()
    assert [entry.status for entry in emulator.ledger.entries[-2:]] == [0, 0]
    assert not emulator.ledger.entries[-1].billed
    assert (await api.get("/products"))[0] == 200


async def test_latency_delays_the_real_answer(api: Api, emulator: Emulator) -> None:
    emulator.faults.inject("*/users/me", latency=0.2)
    task = asyncio.ensure_future(api.get("/users/me"))
    await asyncio.sleep(0.05)
    assert not task.done()
    status, _ = await task
    assert status == 200


async def test_faults_hit_the_token_endpoint_too(emulator: Emulator, http: ClientSession) -> None:
    emulator.faults.inject("/oauth2/v3/token", 503)
    async with http.post(f"{emulator.url}/oauth2/v3/token", data={}) as response:
        assert response.status == 503


async def test_admin_api_injects_and_clears(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    admin = f"{emulator.url}/_emulator"
    async with http.post(
        f"{admin}/faults", json={"path": "*/vehicles", "status": 503, "count": 5}
    ) as response:
        assert (await response.json())["faults"] == [
            {"path": "*/vehicles", "status": 503, "remaining": 5}
        ]
    assert (await api.get("/vehicles"))[0] == 503
    async with http.delete(f"{admin}/faults") as response:
        assert (await response.json())["faults"] == []
    assert (await api.get("/vehicles"))[0] == 200


async def test_admin_api_controls_clock_tokens_and_state(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    admin = f"{emulator.url}/_emulator"
    before = emulator.clock.now()
    async with http.post(f"{admin}/clock", json={"advance": 1800}) as response:
        assert (await response.json())["now"] >= before + 1800
    async with http.get(f"{admin}/vehicles/{M3}") as response:
        assert (await response.json())["state"] == "asleep"
    async with http.patch(f"{admin}/vehicles/{M3}", json={"power_state": "online"}) as response:
        assert (await response.json())["state"] == "online"
    async with http.post(f"{admin}/expire_access_tokens") as response:
        assert response.status == 200
    assert (await api.get("/vehicles"))[0] == 401
    async with http.post(f"{admin}/tokens", json={"scopes": ["vehicle_device_data"]}) as response:
        api.token = (await response.json())["access_token"]
    assert (await api.get("/vehicles"))[0] == 200
    async with http.post(f"{admin}/accounts/owner/revoke") as response:
        assert response.status == 200
