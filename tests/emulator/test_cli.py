"""`python -m fleet_emulator` and the README's walkthrough, against the real process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import re
import sys
from urllib.parse import parse_qs, urlsplit

from aiohttp import ClientSession
import pytest

REDIRECT = "http://127.0.0.1:8123/auth/external/callback"
STARTUP_TIMEOUT_S = 30


@pytest.fixture
async def emulator_process(socket_enabled: None) -> AsyncIterator[tuple[str, str]]:
    """Run the CLI on a free port; yields its root URL and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fleet_emulator",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while not any(line.startswith("  Account:") for line in lines):
                lines.append((await process.stdout.readline()).decode())
        match = re.match(r"Fleet API emulator on (http://127\.0\.0\.1:\d+)", lines[0])
        assert match is not None, lines
        yield match.group(1), "".join(lines)
    finally:
        process.terminate()
        await process.wait()


async def test_cli_prints_urls_credentials_and_account(
    emulator_process: tuple[str, str],
) -> None:
    url, output = emulator_process
    assert f"{url}/oauth2/v3/thirdparty/.well-known/openid-configuration" in output
    assert f"Fleet API (na): {url}/na" in output
    assert "client_id=tfd-client client_secret=tfd-secret" in output
    assert "Account: owner <owner@example.com> region na" in output


async def test_walkthrough_discovery_to_vehicle_data(emulator_process: tuple[str, str]) -> None:
    url, _ = emulator_process
    async with ClientSession() as http:
        async with http.get(
            f"{url}/oauth2/v3/thirdparty/.well-known/openid-configuration"
        ) as response:
            discovery = await response.json()
        params = {
            "client_id": "tfd-client",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid offline_access vehicle_device_data vehicle_location",
            "state": "walk",
            "emulator_auto_approve": "1",
        }
        async with http.get(
            discovery["authorization_endpoint"], params=params, allow_redirects=False
        ) as response:
            code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "client_id": "tfd-client",
            "client_secret": "tfd-secret",
            "code": code,
            "redirect_uri": REDIRECT,
            "audience": f"{url}/na",
        }
        async with http.post(discovery["token_endpoint"], data=form) as response:
            tokens = await response.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with http.get(f"{url}/na/api/1/products", headers=headers) as response:
            vin = (await response.json())["response"][0]["vin"]
        async with http.get(
            f"{url}/na/api/1/vehicles/{vin}/vehicle_data",
            params={"endpoints": "charge_state;location_data"},
            headers=headers,
        ) as response:
            data = (await response.json())["response"]
    assert data["vin"] == vin
    assert data["charge_state"]["battery_level"] == 62
    assert "latitude" in data["drive_state"]
