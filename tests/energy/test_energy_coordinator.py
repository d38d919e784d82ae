"""The energy-site coordinator against a simulated site over loopback HTTP, in virtual time."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_fleet_direct.api.energy import EnergySiteApi
from custom_components.tesla_fleet_direct.energy_coordinator import (
    TeslaEnergySiteCoordinator,
    wall_connector_dins,
)
from custom_components.tesla_fleet_direct.polling import AccountPolling
from fleet_emulator import Emulator

from .conftest import SITE_ID, FreshToken, calls

LIVE_STATUS = "/api/1/energy_sites/*/live_status"


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    # The coordinator adds a sub-second offset to its schedule; an interval test ticks 61 s.
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _start(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    api: EnergySiteApi,
    polling: AccountPolling,
) -> TeslaEnergySiteCoordinator:
    entry.add_to_hass(hass)
    coordinator = TeslaEnergySiteCoordinator(
        hass, entry, api, account_id="owner-sub", polling=polling
    )
    await coordinator.async_refresh()
    # A listener is what makes the coordinator keep polling (as an entity would).
    entry.async_on_unload(coordinator.async_add_listener(lambda: None))
    return coordinator


async def test_live_every_minute_site_info_hourly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    config_entry: MockConfigEntry,
    api: EnergySiteApi,
    emulator: Emulator,
    polling: AccountPolling,
) -> None:
    """Live status follows the site each minute; site info is read once an hour."""
    coordinator = await _start(hass, config_entry, api, polling)
    assert coordinator.data is not None
    assert coordinator.data.info.components["battery"]
    assert wall_connector_dins(coordinator.data.info)

    for _ in range(120):
        await _tick(hass, freezer, 61)
        # Never more than one interval behind the site: the data is the site as of this poll.
        live = emulator.site(SITE_ID).live_status()
        assert coordinator.data.live.percentage_charged == live["percentage_charged"]
        assert coordinator.data.live.solar_power == live["solar_power"]
    assert len(calls(emulator, "live_status")) == 121
    # At start, then after one and two hours: not with every live poll.
    assert len(calls(emulator, "site_info")) == 3
    await hass.config_entries.async_unload(config_entry.entry_id)


async def test_site_info_read_after_a_command(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    config_entry: MockConfigEntry,
    api: EnergySiteApi,
    emulator: Emulator,
    polling: AccountPolling,
) -> None:
    """An energy command's new setting shows at the next refresh, not an hour later."""
    coordinator = await _start(hass, config_entry, api, polling)
    assert coordinator.data is not None
    assert coordinator.data.info.backup_reserve_percent == 20

    emulator.site(SITE_ID).backup_reserve_percent = 55
    await coordinator.async_request_site_info_refresh()
    await _tick(hass, freezer, 11)  # past the request debouncer
    assert coordinator.data.info.backup_reserve_percent == 55
    assert len(calls(emulator, "site_info")) == 2
    await hass.config_entries.async_unload(config_entry.entry_id)


async def test_rate_limit_waits_exactly_retry_after_for_the_account(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    config_entry: MockConfigEntry,
    api: EnergySiteApi,
    emulator: Emulator,
    polling: AccountPolling,
) -> None:
    """A 429 silences every coordinator of the account for exactly Retry-After seconds."""
    coordinator = await _start(hass, config_entry, api, polling)
    emulator.faults.inject(LIVE_STATUS, 429, retry_after=150)
    await _tick(hass, freezer, 61)
    limited_at = emulator.ledger.entries[-1].time
    assert emulator.ledger.entries[-1].status == 429
    assert not coordinator.last_update_success
    assert coordinator.data is not None  # the last values are kept
    assert polling.gate.remaining() == pytest.approx(150, abs=1)

    for _ in range(148):
        await _tick(hass, freezer, 1)
    assert emulator.ledger.entries[-1].time == limited_at  # nothing asked while limited
    for _ in range(4):
        await _tick(hass, freezer, 1)
    next_at = emulator.ledger.entries[-1].time
    assert 150 <= next_at - limited_at <= 152
    assert coordinator.last_update_success
    await hass.config_entries.async_unload(config_entry.entry_id)


async def test_other_coordinators_of_the_account_hold_off(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    api: EnergySiteApi,
    emulator: Emulator,
    polling: AccountPolling,
) -> None:
    """A refresh while the account is limited raises without asking Tesla."""
    polling.gate.block(300)
    config_entry.add_to_hass(hass)
    coordinator = TeslaEnergySiteCoordinator(
        hass, config_entry, api, account_id="owner-sub", polling=polling
    )
    with pytest.raises(UpdateFailed) as failed:
        await coordinator._async_update_data()
    assert failed.value.retry_after is not None
    assert 300 <= failed.value.retry_after <= 302
    assert calls(emulator, "live_status") == []


@pytest.mark.parametrize(
    ("status", "malformed", "key"),
    [(500, False, "energy_update_failed"), (200, True, "energy_malformed_answer")],
)
async def test_failures_keep_data_until_stale(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    config_entry: MockConfigEntry,
    api: EnergySiteApi,
    emulator: Emulator,
    polling: AccountPolling,
    tokens: FreshToken,
    caplog: pytest.LogCaptureFixture,
    status: int,
    malformed: bool,
    key: str,
) -> None:
    """Server errors and unreadable answers fail the update, keep the data, log once."""
    coordinator = await _start(hass, config_entry, api, polling)
    before = coordinator.data
    emulator.faults.inject(LIVE_STATUS, status, malformed=malformed, count=6)
    await _tick(hass, freezer, 61)
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == key
    assert coordinator.data is before
    assert not coordinator.is_stale  # one failed poll is not news

    for _ in range(5):
        await _tick(hass, freezer, 61)
    assert coordinator.is_stale
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    warnings = [
        r
        for r in caplog.records
        if r.levelname == "WARNING" and r.name.startswith("custom_components")
    ]
    assert len(warnings) == 1  # unreachable is logged once, not every minute
    # No unhandled exception: tracebacks only at debug level.
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.WARNING)
    assert tokens.issued
    assert all(token not in caplog.text for token in tokens.issued)

    await _tick(hass, freezer, 61)
    assert coordinator.last_update_success
    assert not coordinator.is_stale
    assert "recovered" in caplog.text
    await hass.config_entries.async_unload(config_entry.entry_id)


async def test_token_refused_after_a_refresh_is_retried_not_a_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    config_entry: MockConfigEntry,
    api: EnergySiteApi,
    emulator: Emulator,
    polling: AccountPolling,
) -> None:
    """A 401 that survives the client's one refresh keeps the data and is tried again later:
    Tesla's 401s are often transient, and only a lost grant needs the user to sign in."""
    coordinator = await _start(hass, config_entry, api, polling)
    emulator.faults.inject(LIVE_STATUS, 401, count=2, body={"error": "invalid bearer token"})
    await _tick(hass, freezer, 61)
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "access_refused"
    assert coordinator.data is not None
    assert len(calls(emulator, "live_status")) == 3
    await _tick(hass, freezer, 61)
    assert coordinator.last_update_success
    assert len(calls(emulator, "live_status")) == 4
    await hass.config_entries.async_unload(config_entry.entry_id)
