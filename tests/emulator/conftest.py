"""Fixtures for the emulator's own tests: a plain HTTP client, tokens, the default cars."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import ClientResponse, ClientSession
import pytest

from fleet_emulator import Emulator

OWNER = "owner"
M3 = "5YJ3E7EB0KF000001"  # signing off
MY = "7SAYGDEE0PA000002"  # signing required
SITE = 2252180000000001


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: these tests need no Home Assistant."""


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[ClientSession]:
    """A plain aiohttp session that does not follow redirects by itself."""
    async with ClientSession() as session:
        yield session


class Api:
    """Small helper to call the emulator's Fleet API as one account."""

    def __init__(self, emu: Emulator, http: ClientSession, token: str, region: str = "na") -> None:
        self.emu = emu
        self.http = http
        self.token = token
        self.region = region

    async def call(
        self, method: str, path: str, *, json: Any = None, token: str | None = None
    ) -> tuple[int, Any, ClientResponse]:
        url = f"{self.emu.base_url(self.region)}/api/1{path}"
        headers = {"Authorization": f"Bearer {token or self.token}"}
        async with self.http.request(method, url, json=json, headers=headers) as response:
            body = await response.json(content_type=None)
            return response.status, body, response

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("GET", path, **kwargs)
        return status, body

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> tuple[int, Any]:
        status, body, _ = await self.call("POST", path, json=json or {}, **kwargs)
        return status, body

    async def command(self, vin: str, name: str, **params: Any) -> tuple[int, Any]:
        return await self.post(f"/vehicles/{vin}/command/{name}", params)


@pytest.fixture
def api(emulator: Emulator, http: ClientSession) -> Api:
    """The owner with every scope, in the right region."""
    return Api(emulator, http, emulator.mint_tokens(OWNER)["access_token"])
