"""Fixtures for the client tests: a real client talking HTTP to the emulator on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import ClientSession
import pytest

from custom_components.tesla_fleet_direct.api import RequestRecord, TeslaFleetClient
from fleet_emulator import Emulator

M3 = "5YJ3E7EB0KF000001"  # signing off
MY = "7SAYGDEE0PA000002"  # signing required
SITE = 2252180000000001
LOOPBACK = ("127.0.0.1",)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: the client needs no Home Assistant."""


class EmulatorTokens:
    """A token provider that refreshes for real at the emulator's token endpoint."""

    def __init__(self, emulator: Emulator, session: ClientSession, scopes: tuple[str, ...] | None):
        tokens = emulator.mint_tokens("owner", scopes)
        self._emulator = emulator
        self._session = session
        self.access_token: str = tokens["access_token"]
        self.refresh_token: str = tokens["refresh_token"]
        self.refreshes = 0

    async def async_get_access_token(self) -> str:
        return self.access_token

    async def async_refresh_access_token(self, rejected: str) -> str:
        self.refreshes += 1
        async with self._session.post(
            f"{self._emulator.url}/oauth2/v3/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "tfd-client",
                "refresh_token": self.refresh_token,
            },
        ) as response:
            body = await response.json()
        assert response.status == 200, body
        self.access_token = body["access_token"]
        self.refresh_token = body["refresh_token"]
        return self.access_token


@dataclass
class Rig:
    """The client under test and what it is wired to."""

    emulator: Emulator
    session: ClientSession
    tokens: EmulatorTokens
    client: TeslaFleetClient
    records: list[RequestRecord] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)

    def make_client(self, **kwargs: object) -> TeslaFleetClient:
        """Another client on the same account (e.g. with a different region set-up)."""
        options: dict[str, object] = {
            "region_urls": {r: self.emulator.base_url(r) for r in ("na", "eu", "cn")},
            "trusted_hosts": LOOPBACK,
            "on_request": self.records.append,
            "sleep": self.virtual_sleep,
        }
        options.update(kwargs)
        return TeslaFleetClient(self.session, self.tokens, **options)  # type: ignore[arg-type]

    async def virtual_sleep(self, seconds: float) -> None:
        """Waiting moves the emulator's clock instead of the test's."""
        self.slept.append(seconds)
        self.emulator.advance(seconds)

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [record.path for record in self.records]


async def make_rig(emulator: Emulator, scopes: tuple[str, ...] | None = None) -> AsyncIterator[Rig]:
    """A rig whose client is pinned to the owner's region (na)."""
    async with ClientSession() as session:
        rig = Rig(emulator, session, EmulatorTokens(emulator, session, scopes), None)  # type: ignore[arg-type]
        rig.client = rig.make_client(base_url=emulator.base_url("na"))
        yield rig


@pytest.fixture
async def rig(emulator: Emulator) -> AsyncIterator[Rig]:
    """The client for the default scenario's owner, all scopes granted."""
    async for value in make_rig(emulator):
        yield value
