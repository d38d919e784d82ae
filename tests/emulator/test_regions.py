"""Each account lives in one region; the wrong region answers 421 with Tesla's body."""

from __future__ import annotations

from aiohttp import ClientSession

from fleet_emulator import Emulator
from fleet_emulator.scenario import DEFAULT_SCENARIO, parse_scenario

from .conftest import Api


async def test_wrong_region_answers_421_with_the_right_base_url(
    emulator: Emulator, http: ClientSession
) -> None:
    token = emulator.mint_tokens("owner")["access_token"]
    status, body = await Api(emulator, http, token, region="eu").get("/products")
    assert status == 421
    assert body["response"] is None
    assert body["error"].startswith(
        f"user out of region, use base URL: {emulator.base_url('na')}, see "
    )
    assert (await Api(emulator, http, token, region="na").get("/products"))[0] == 200


async def test_region_lookup_works_from_any_region(
    socket_enabled: None, http: ClientSession
) -> None:
    scenario = parse_scenario(
        {**DEFAULT_SCENARIO, "accounts": [{**DEFAULT_SCENARIO["accounts"][0], "region": "eu"}]},
        start=0,
    )
    emulator = Emulator(scenario)
    await emulator.start()
    try:
        tokens = emulator.mint_tokens("owner")
        assert tokens["refresh_token"].startswith("EU_")
        status, body = await Api(emulator, http, tokens["access_token"], region="na").get(
            "/users/region"
        )
        assert status == 200
        assert body["response"] == {"region": "eu", "fleet_api_base_url": emulator.base_url("eu")}
        status, _ = await Api(emulator, http, tokens["access_token"], region="na").get("/vehicles")
        assert status == 421
        status, _ = await Api(emulator, http, tokens["access_token"], region="eu").get("/vehicles")
        assert status == 200
    finally:
        await emulator.stop()


async def test_status_needs_no_token(emulator: Emulator, http: ClientSession) -> None:
    async with http.get(f"{emulator.base_url('cn')}/status") as response:
        assert (response.status, await response.text()) == (200, "ok")


async def test_unknown_endpoint_is_404_in_teslas_envelope(
    emulator: Emulator, http: ClientSession
) -> None:
    async with http.get(f"{emulator.base_url('na')}/api/1/teleport") as response:
        body = await response.json()
    assert (response.status, body["response"], body["error"]) == (404, None, "not_found")
