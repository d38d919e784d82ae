"""Energy-site fixtures: the site reads bound to the emulator's default site over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
import time

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.api import TeslaFleetClient
from custom_components.tesla_fleet_direct.api.energy import EnergySiteApi
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.polling import AccountPolling
from fleet_emulator import Emulator
from fleet_emulator.ledger import LedgerEntry

SITE_ID = 2252180000000001
LOOPBACK = ("127.0.0.1",)


class FreshToken:
    """The token provider: always a valid token (refreshing is sign-in's job, tested there)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.issued: list[str] = []
        self.issued_at = 0.0

    async def async_get_access_token(self) -> str:
        if not self.issued or self.emulator.clock.now() - self.issued_at > 3600:
            self.issued.append(str(self.emulator.mint_tokens("owner")["access_token"]))
            self.issued_at = self.emulator.clock.now()
        return self.issued[-1]

    async def async_refresh_access_token(self, rejected: str) -> str:
        self.issued.append(str(self.emulator.mint_tokens("owner")["access_token"]))
        self.issued_at = self.emulator.clock.now()
        return self.issued[-1]


def calls(emulator: Emulator, endpoint: str) -> list[LedgerEntry]:
    """The requests the emulator saw for one endpoint (`live_status`, `site_info`, ...)."""
    return [entry for entry in emulator.ledger.entries if entry.endpoint == endpoint]


@pytest.fixture
async def emulator(socket_enabled: None, freezer: FrozenDateTimeFactory) -> AsyncIterator[Emulator]:
    """The emulator, started at a fixed moment (early afternoon at the Pacific site, in June).

    Its simulation is deterministic in time, so a fixed start makes the values repeatable
    (entity snapshots); tests move on from there with `freezer`.
    """
    freezer.move_to("2026-06-17T20:00:00+00:00")
    # Started at the frozen moment even when FLEET_EMULATOR_START asks for another hour.
    emu = Emulator(start=time.time())
    await emu.start("127.0.0.1", 0)
    yield emu
    await emu.stop()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[ClientSession]:
    """A plain aiohttp session, as the integration would pass to the client."""
    async with ClientSession() as session:
        yield session


@pytest.fixture
def tokens(emulator: Emulator) -> FreshToken:
    """Access tokens of the emulator's owner account (every scope)."""
    return FreshToken(emulator)


@pytest.fixture
def client(emulator: Emulator, http: ClientSession, tokens: FreshToken) -> TeslaFleetClient:
    """The Fleet API client, pointed at the emulator."""
    return TeslaFleetClient(
        http,
        tokens,
        base_url=emulator.base_url("na"),
        region_urls={region: emulator.base_url(region) for region in ("na", "eu", "cn")},
        trusted_hosts=LOOPBACK,
    )


@pytest.fixture
def api(client: TeslaFleetClient) -> EnergySiteApi:
    """The emulator's default site."""
    return client.energy_site(SITE_ID)


@pytest.fixture
def polling(client: TeslaFleetClient) -> AccountPolling:
    """Account polling with a budget big enough for the preferred intervals."""
    return AccountPolling(spent_usd=lambda: 0.0, budget_usd=1000.0, sites=1, gate=client.rate_limit)


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """An account's entry (unique id = the token's `sub`)."""
    return MockConfigEntry(domain=DOMAIN, unique_id="owner-sub", title="owner@example.com")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer (ids and entry ids masked)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
