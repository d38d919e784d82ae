"""Token lifecycle against the emulator's rotating refresh tokens, in virtual time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_fleet_direct import token as token_module
from custom_components.tesla_fleet_direct.account_faults import DATA_ACCOUNT_FAULTS
from custom_components.tesla_fleet_direct.api.errors import LoginRequiredError
from custom_components.tesla_fleet_direct.token import (
    DATA_TOKEN_STATE,
    REFUSED_REFRESH_SPACING_S,
    TRANSIENT_BACKOFF_S,
    RefreshTokenRejectedError,
    TokenEndpointUnavailableError,
)
from fleet_emulator import Emulator

from .common import RefreshLog, reauth_flows, record_refreshes, setup_integration
from .vehicle_helpers import tick

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
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
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
    # A token refused moments after its refresh is not refreshed again at once (below).
    freezer.tick(timedelta(seconds=REFUSED_REFRESH_SPACING_S))
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


# --- Restarts at each step of a refresh: nothing lost, nothing sent twice ----------------------


async def _restart(
    hass: HomeAssistant, entry: MockConfigEntry, storage: dict[str, Any]
) -> str | None:
    """Stop the integration as Home Assistant's shutdown does and start it on what was saved.

    Stopping waits for the tasks still running (a refresh on its way included) and writes what
    is pending to disk; the next start knows only the disk: nothing kept in memory survives.
    Returns the refresh token written (None: the entry was not changed since it was created).
    """
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    saved: str | None = None
    if (stored := storage.get("core.config_entries")) is not None:
        entries = stored["data"]["entries"]
        data = next(e["data"] for e in entries if e["entry_id"] == entry.entry_id)
        saved = data["token"]["refresh_token"]
        # What the next start reads is what was last written: the latest token.
        assert saved == entry.data["token"]["refresh_token"]
    hass.data.pop(DATA_TOKEN_STATE, None)
    hass.data.pop(DATA_ACCOUNT_FAULTS, None)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return saved


def _state(entry: ConfigEntry[Any]) -> ConfigEntryState:
    """The entry's state now (a call, so type narrowing does not outlive a set-up retry)."""
    return entry.state


async def _advance_until(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, done: Callable[[], bool]
) -> None:
    """Move virtual time in small steps (timers, the emulator's latency) until `done()`."""
    for _ in range(1000):
        if done():
            return
        freezer.tick(timedelta(seconds=0.05))
        async_fire_time_changed(hass)
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_restart_in_the_middle_of_a_refresh_keeps_the_answer(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant stops while Tesla works on the refresh: the stop waits for the answer
    and saves it, so the next start has the rotated token (the spent one is never sent)."""
    entry = await setup_integration(hass, emulator)
    old = entry.data["token"]["refresh_token"]
    emulator.faults.inject("/oauth2/v3/token", None, latency=0.3)
    emulator.expire_access_tokens()
    call = hass.async_create_task(entry.runtime_data.client.vehicles())
    # Until Tesla has the refresh request (the emulator rotates as it answers).
    await _advance_until(hass, freezer, lambda: bool(emulator.faults.rules) is False)
    assert not call.done()
    assert not refresh_log.attempts

    stop = hass.async_create_task(_restart(hass, entry, hass_storage))
    await _advance_until(hass, freezer, stop.done)
    assert stop.result() == entry.data["token"]["refresh_token"]
    assert call.done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["token"]["refresh_token"] != old
    assert [ok for _, ok in refresh_log.attempts] == [True]
    # And it goes on refreshing from the saved token.
    emulator.expire_access_tokens()
    freezer.tick(timedelta(seconds=REFUSED_REFRESH_SPACING_S))
    assert len(await entry.runtime_data.client.vehicles()) == 2
    assert [ok for _, ok in refresh_log.attempts] == [True, True]


async def test_caller_timeout_does_not_drop_a_slow_refresh(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tesla answers the refresh after the caller stopped waiting: the answer is still kept,
    and no second refresh goes out meanwhile (it would send the spent token)."""
    # Virtual seconds: the emulator's latency is a timer on the frozen clock too.
    monkeypatch.setattr(token_module, "REFRESH_TIMEOUT_S", 2.0)
    entry = await setup_integration(hass, emulator)
    tokens = entry.runtime_data.tokens
    old = dict(entry.data["token"])
    emulator.faults.inject("/oauth2/v3/token", None, latency=10.0)
    emulator.expire_access_tokens()

    first = hass.async_create_task(tokens.async_refresh_access_token(old["access_token"]))
    await _advance_until(hass, freezer, first.done)
    with pytest.raises(TokenEndpointUnavailableError):
        first.result()
    assert not refresh_log.attempts  # Tesla has not answered yet
    # Another caller while Tesla still works on it: fails fast (no wait), sends nothing.
    freezer.tick(timedelta(seconds=1))  # past the caller timeout (timers fire early in tests)
    with pytest.raises(TokenEndpointUnavailableError):
        await tokens.async_refresh_access_token(old["access_token"])
    await _advance_until(
        hass, freezer, lambda: entry.data["token"]["refresh_token"] != old["refresh_token"]
    )
    assert refresh_log.accepted == 1
    assert len(refresh_log.attempts) == 1
    assert await tokens.async_get_access_token() == entry.data["token"]["access_token"]


async def test_reload_in_the_middle_of_a_refresh_waits_for_it(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The entry is reloaded while its refresh is on its way: the new set-up waits for that
    refresh instead of sending the same refresh token again."""
    entry = await setup_integration(hass, emulator)
    emulator.faults.inject("/oauth2/v3/token", None, latency=0.3)
    emulator.expire_access_tokens()
    hass.async_create_task(entry.runtime_data.client.vehicles())
    await _advance_until(hass, freezer, lambda: not emulator.faults.rules)
    assert not refresh_log.attempts  # on its way

    reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
    await _advance_until(hass, freezer, reload.done)
    assert reload.result()
    assert entry.state is ConfigEntryState.LOADED
    assert [ok for _, ok in refresh_log.attempts] == [True]


async def test_restart_with_the_token_endpoint_down_then_up(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The token endpoint is down across a restart: set-up retries, no reauth, and the first
    refresh that gets through uses the token Home Assistant had (Tesla never rotated it)."""
    entry = await setup_integration(hass, emulator)
    old = entry.data["token"]["refresh_token"]
    emulator.faults.inject("/oauth2/v3/token", 503, count=100)
    emulator.expire_access_tokens()
    with pytest.raises(TokenEndpointUnavailableError):
        await entry.runtime_data.client.vehicles()

    assert await _restart(hass, entry, hass_storage) in (None, old)
    assert _state(entry) is ConfigEntryState.SETUP_RETRY
    assert entry.data["token"]["refresh_token"] == old
    emulator.faults.clear()
    for _ in range(12):  # Home Assistant retries set-up with back-off
        await tick(hass, freezer, 15)
        if _state(entry) is ConfigEntryState.LOADED:
            break
    assert _state(entry) is ConfigEntryState.LOADED
    assert not reauth_flows(hass)
    assert refresh_log.attempts == [(old, True)]


async def test_restart_right_after_a_rotation_uses_the_rotated_token(
    hass: HomeAssistant,
    emulator: Emulator,
    refresh_log: RefreshLog,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Stopped within the second after a rotation (before the delayed save): the stop writes
    it, and the next start refreshes with the rotated token, not the spent one."""
    entry = await setup_integration(hass, emulator)
    emulator.expire_access_tokens()
    await entry.runtime_data.client.vehicles()
    rotated = entry.data["token"]["refresh_token"]

    assert await _restart(hass, entry, hass_storage) == rotated
    assert entry.state is ConfigEntryState.LOADED
    freezer.tick(EXPIRED)
    assert len(await entry.runtime_data.client.vehicles()) == 2
    assert [token for token, _ in refresh_log.attempts][1:] == [rotated]
    assert refresh_log.accepted == 2
