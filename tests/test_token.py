"""Token lifecycle against the emulator's rotating refresh tokens, in virtual time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from custom_components.tesla_fleet_direct.api.errors import LoginRequiredError
from custom_components.tesla_fleet_direct.token import (
    TRANSIENT_BACKOFF_S,
    RefreshTokenRejectedError,
    TokenEndpointUnavailableError,
)
from fleet_emulator import Emulator

from .common import RefreshLog, reauth_flows, record_refreshes, setup_integration

# Past the emulator's 8 h access-token lifetime.
EXPIRED = timedelta(hours=8, minutes=5)


@pytest.fixture
def refresh_log(emulator: Emulator) -> Iterator[RefreshLog]:
    """Refresh-token uses at the emulator; no test here may send a rotated token again."""
    log = record_refreshes(emulator)
    yield log
    assert not log.reused, "a rotated refresh token was sent again"


async def test_fifty_callers_one_refresh(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """50 concurrent calls with an expired access token: one token request, 50 answers."""
    entry = await setup_integration(hass, emulator)
    client = entry.runtime_data.client
    old_refresh = entry.data["token"]["refresh_token"]
    freezer.tick(EXPIRED)

    results = await asyncio.gather(*(client.vehicles() for _ in range(50)))

    assert all(len(cars) == 2 for cars in results)
    assert refresh_log.accepted == 1
    assert len(refresh_log.attempts) == 1
    assert entry.data["token"]["refresh_token"] != old_refresh


async def test_refused_token_forces_one_refresh(
    hass: HomeAssistant, emulator: Emulator, refresh_log: RefreshLog
) -> None:
    """Tesla invalidates access tokens early: 50 callers get a 401, one refresh serves them all."""
    entry = await setup_integration(hass, emulator)
    client = entry.runtime_data.client
    emulator.expire_access_tokens()

    results = await asyncio.gather(*(client.vehicles() for _ in range(50)))

    assert all(len(cars) == 2 for cars in results)
    assert len(refresh_log.attempts) == 1


async def test_rotated_token_survives_restart(
    hass: HomeAssistant, emulator: Emulator, refresh_log: RefreshLog
) -> None:
    """Reloaded right after a refresh, the entry goes on with the rotated refresh token."""
    entry = await setup_integration(hass, emulator)
    # Tesla refuses the access token: the next call refreshes (and rotates) once.
    emulator.expire_access_tokens()
    await entry.runtime_data.client.vehicles()
    rotated = entry.data["token"]["refresh_token"]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    emulator.expire_access_tokens()
    await entry.runtime_data.client.vehicles()

    assert [ok for _, ok in refresh_log.attempts] == [True, True]
    assert refresh_log.attempts[1][0] == rotated


async def test_revoked_refresh_token_starts_reauth_once(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A revoked refresh token: reauth is requested, and the token is never sent again."""
    entry = await setup_integration(hass, emulator)
    client = entry.runtime_data.client
    emulator.revoke_refresh_tokens("owner")
    freezer.tick(EXPIRED)

    with pytest.raises(LoginRequiredError):
        await client.vehicles()
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == 1

    # Further updates fail at once: no token request, no second reauth flow.
    for _ in range(3):
        with pytest.raises(RefreshTokenRejectedError):
            await client.vehicles()
    await hass.async_block_till_done()
    assert len(refresh_log.attempts) == 1
    assert len(reauth_flows(hass)) == 1


async def test_revoked_refresh_token_at_start(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Starting with a revoked refresh token: set-up asks for reauth instead of retrying."""
    entry = await setup_integration(hass, emulator)
    assert await hass.config_entries.async_unload(entry.entry_id)
    emulator.revoke_refresh_tokens("owner")
    freezer.tick(EXPIRED)

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass)) == 1
    assert len(refresh_log.attempts) == 1


async def test_token_endpoint_down_is_transient(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """5xx/429 at the token endpoint: no reauth, no hammering, and it recovers by itself."""
    entry = await setup_integration(hass, emulator)
    client = entry.runtime_data.client
    emulator.faults.inject("/oauth2/v3/token", 503)
    freezer.tick(EXPIRED)

    with pytest.raises(TokenEndpointUnavailableError):
        await client.vehicles()
    # Within the back-off, callers fail fast without another token request.
    with pytest.raises(TokenEndpointUnavailableError):
        await client.vehicles()
    assert not emulator.faults.rules
    assert not refresh_log.attempts

    emulator.faults.inject("/oauth2/v3/token", 429, retry_after=10)
    freezer.tick(timedelta(seconds=TRANSIENT_BACKOFF_S + 1))
    with pytest.raises(TokenEndpointUnavailableError):
        await client.vehicles()

    freezer.tick(timedelta(seconds=TRANSIENT_BACKOFF_S + 1))
    assert len(await client.vehicles()) == 2
    await hass.async_block_till_done()
    assert not reauth_flows(hass)
    assert refresh_log.accepted == 1


async def test_cancelled_caller_does_not_lose_the_rotation(
    hass: HomeAssistant, emulator: Emulator, refresh_log: RefreshLog
) -> None:
    """The caller gives up while the refresh is in flight: the new tokens are still kept."""
    entry = await setup_integration(hass, emulator)
    tokens = entry.runtime_data.tokens
    old = dict(entry.data["token"])
    # A slow token endpoint (real time, no frozen clock: this is about the request in flight).
    emulator.faults.inject("/oauth2/v3/token", None, latency=0.2)

    caller = asyncio.ensure_future(tokens.async_refresh_access_token(old["access_token"]))
    await asyncio.sleep(0.05)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await hass.async_block_till_done()

    assert entry.data["token"]["refresh_token"] != old["refresh_token"]
    assert await tokens.async_get_access_token() == entry.data["token"]["access_token"]
    assert refresh_log.accepted == 1
