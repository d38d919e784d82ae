"""Poll failures a fault sweep found unrecovered, each against the emulator in virtual time.

A 401 to a fresh token is retried, not a reauth; a persisting one asks for a sign-in and
withdraws the request by itself when Tesla accepts the token again; token endpoint trouble says
so; refusals only the user can end (402, 403, 412, 423, mobile access off) file one repair issue
each, slow polling down while they hold, and clear at the first answer.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_fleet_direct import token as token_module
from custom_components.tesla_fleet_direct.account_faults import (
    ACCESS_REFUSED_GRACE_S,
    ACCESS_REFUSED_RETRY_S,
    ISSUE_DATA_ENTRY_ID,
    USER_ACTION_RETRY_S,
)
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.models import TeslaFleetDirectData
from custom_components.tesla_fleet_direct.token import TRANSIENT_BACKOFF_S
from custom_components.tesla_fleet_direct.update_failures import USER_ACTION_MESSAGES
from fleet_emulator import Emulator

from .common import reauth_flows, setup_integration
from .fault_helpers import (
    TOKEN_PATH,
    RequestLog,
    log_requests,
    our_issues,
    our_records,
    reauth_issue_open,
    tick_through,
    warnings_about,
)
from .vehicle_helpers import tick

API = "/api/1/*"
SITE = "Home"
CARS = ("Red Pearl", "Midnight")
# What the log says when the sign-in is gone (`vehicle_auth_failed`, `energy_auth_failed`).
SIGN_IN_LOST = "no longer accepts this account's sign-in"
# Under a minute: each poll of the site (30 s) and the cars' first look happen one at a time.
STEP_S = 30.0


@pytest.fixture
def requests(emulator: Emulator) -> RequestLog:
    """Every request the emulator sees during the test."""
    return log_requests(emulator)


async def _set_up(hass: HomeAssistant, emulator: Emulator) -> MockConfigEntry:
    """The default account, with the cars' first polls (run in the background) done."""
    entry = await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def coordinators(entry: MockConfigEntry) -> list[DataUpdateCoordinator[Any]]:
    """The entry's car and site coordinators."""
    data: TeslaFleetDirectData = entry.runtime_data
    found: list[DataUpdateCoordinator[Any]] = list(data.vehicles.coordinators.values())
    assert data.energy_sites is not None
    found += list(data.energy_sites.coordinators.values())
    return found


def site_coordinator(entry: MockConfigEntry) -> DataUpdateCoordinator[Any]:
    """The default scenario's one energy site."""
    data: TeslaFleetDirectData = entry.runtime_data
    assert data.energy_sites is not None
    return next(iter(data.energy_sites.coordinators.values()))


def _failed_with(coordinator: DataUpdateCoordinator[Any]) -> str | None:
    """The translation key of the last poll's failure; None when it succeeded."""
    if coordinator.last_update_success:
        return None
    return str(getattr(coordinator.last_exception, "translation_key", None))


async def _steps(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, *, slow: bool = False
) -> None:
    for _ in range(round(seconds / STEP_S)):
        if slow:
            await tick_through(hass, freezer, STEP_S)
        else:
            await tick(hass, freezer, STEP_S)


async def test_401_to_a_fresh_token_for_two_requests_is_retried_not_a_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Tesla refuses the access token, then the refreshed one: a transient, no sign-in."""
    entry = await _set_up(hass, emulator)
    site = site_coordinator(entry)
    data = site.data
    emulator.faults.inject(API, 401, count=2)
    await tick(hass, freezer, STEP_S + 1)  # the site's poll: 401, refresh, 401
    assert not emulator.faults.rules
    assert _failed_with(site) == "access_refused"
    assert site.data is data  # the last values are kept

    await tick(hass, freezer, STEP_S + 1)
    assert _failed_with(site) is None
    await hass.async_block_till_done()
    assert not reauth_flows(hass)
    assert not reauth_issue_open(hass)
    assert not any(SIGN_IN_LOST in r.getMessage() for r in our_records(caplog))


async def test_401_persisting_asks_for_sign_in_then_withdraws_it_when_tesla_relents(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    requests: RequestLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """401s for minutes: a reauth flow (and its repair) after the grace period, not before;
    polling goes on, and when Tesla accepts the token again all recovers without a reload."""
    entry = await _set_up(hass, emulator)
    runtime = entry.runtime_data
    caplog.clear()
    started = emulator.clock.now()
    emulator.faults.inject(API, 401, count=100_000)

    await _steps(hass, freezer, 150)  # the sweep's 2.5 minutes
    assert not reauth_flows(hass)
    assert not any(SIGN_IN_LOST in r.getMessage() for r in our_records(caplog))

    await _steps(hass, freezer, ACCESS_REFUSED_GRACE_S)
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == 1
    assert reauth_issue_open(hass)
    # At most one refresh every two minutes, whatever the number of polls.
    assert len(requests.token_requests(since=started)) <= 1 + (emulator.clock.now() - started) / 120

    emulator.faults.clear()
    cleared = emulator.clock.now()
    await _steps(hass, freezer, ACCESS_REFUSED_RETRY_S + STEP_S)
    await hass.async_block_till_done()
    assert all(c.last_update_success for c in coordinators(entry))
    assert not reauth_flows(hass)
    assert not reauth_issue_open(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is runtime  # recovered without a reload
    assert requests.times("/api/1/", since=cleared)
    # One warning per product for the whole outage.
    for product in (SITE, *CARS):
        assert len(warnings_about(caplog, product)) <= 1, product


async def test_malformed_token_answers_back_off_quietly_one_refresh_at_a_time(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    requests: RequestLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token endpoint answering 200 with a broken body: no tracebacks, no ERROR lines, one
    token request per back-off (never two in the same second), and recovery by itself."""
    entry = await _set_up(hass, emulator)
    caplog.clear()
    emulator.faults.inject(TOKEN_PATH, 200, count=100_000, malformed=True)
    emulator.expire_access_tokens()
    started = emulator.clock.now()

    await _steps(hass, freezer, 150)
    sent = requests.token_requests(since=started)
    assert sent
    assert len(sent) == len(set(sent)), "two token requests in the same second"
    assert all(b - a >= TRANSIENT_BACKOFF_S for a, b in itertools.pairwise(sent))
    assert not [r for r in our_records(caplog) if r.levelno >= logging.ERROR]
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.WARNING)
    site = site_coordinator(entry)
    assert getattr(site.last_exception, "translation_key", None) == "sign_in_unavailable"
    assert "unreadable answer" in str(site.last_exception)
    await hass.async_block_till_done()
    assert not reauth_flows(hass)

    emulator.faults.clear()
    await _steps(hass, freezer, TRANSIENT_BACKOFF_S + 2 * STEP_S)
    assert site.last_update_success


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"status": 503}, "HTTP 503"),
        ({"status": 429, "retry_after": 120}, "HTTP 429"),
        ({"drop": True}, "no answer"),
        ({"latency": 0.3}, "no answer"),
    ],
    ids=["down", "rate-limited", "dropped", "slow"],
)
async def test_token_endpoint_trouble_names_the_sign_in_service(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    emulator: Emulator,
    requests: RequestLog,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, Any],
    reason: str,
) -> None:
    """Down, rate-limited, dropped or slower than the refresh timeout: the message says
    Tesla's sign-in service, not "reading the car failed"; a 429's Retry-After is kept."""
    # The refresh times out after this (real) time; the fault answers later.
    monkeypatch.setattr(token_module, "REFRESH_TIMEOUT_S", 0.1)
    entry = await _set_up(hass, emulator)
    caplog.clear()
    emulator.faults.inject(TOKEN_PATH, count=100_000, **fault)
    emulator.expire_access_tokens()
    started = emulator.clock.now()

    await _steps(hass, freezer, 150, slow="latency" in fault)
    site = site_coordinator(entry)
    assert getattr(site.last_exception, "translation_key", None) == "sign_in_unavailable"
    message = str(site.last_exception)
    assert "sign-in service is unavailable" in message
    assert reason in message
    assert "Reading" not in message
    for product in (SITE, *CARS):
        warned = warnings_about(caplog, product)
        assert len(warned) <= 1, warned
        assert all("sign-in service" in line for line in warned)
    sent = requests.token_requests(since=started)
    wait = max(TRANSIENT_BACKOFF_S, fault.get("retry_after", 0))
    # aiohttp asks once more on a dropped connection; the back-off spaces the rest.
    assert len(sent) <= (2 if fault.get("drop") else 1) * (1 + 150 / wait)
    await hass.async_block_till_done()
    assert not reauth_flows(hass)


@pytest.mark.parametrize(
    ("status", "body", "issue"),
    [
        (402, None, "payment_required"),
        (403, None, "scope_missing"),
        (412, None, "app_not_registered"),
        (423, None, "account_locked"),
        (401, {"response": None, "error": "mobile_access_disabled"}, "mobile_access_disabled"),
    ],
    ids=["402", "403-scope", "412", "423", "401-mobile-access"],
)
async def test_refusal_only_the_user_can_end_files_one_issue_and_slows_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    *,
    emulator: Emulator,
    requests: RequestLog,
    status: int,
    body: dict[str, Any] | None,
    issue: str,
) -> None:
    """One repair issue saying what to do, polling at most every 30 minutes while it holds;
    the issue goes and the normal interval returns at the first answer."""
    entry = await _set_up(hass, emulator)
    site = site_coordinator(entry)
    emulator.faults.inject(API, status, count=100_000, body=body)
    started = emulator.clock.now()

    await _steps(hass, freezer, 3600)
    await hass.async_block_till_done()
    issues = our_issues(hass)
    assert list(issues) == [issue]
    filed = issues[issue]
    assert filed.severity is ir.IssueSeverity.ERROR
    assert filed.data is not None
    assert filed.data[ISSUE_DATA_ENTRY_ID] == entry.entry_id
    assert filed.translation_placeholders is not None
    products = filed.translation_placeholders["products"]
    assert SITE in products
    assert getattr(site.last_exception, "translation_key", None) == USER_ACTION_MESSAGES[issue]
    # An hour: the first refusal and one more every 30 minutes, not one every 30 s.
    hour = 1 + 3600 / USER_ACTION_RETRY_S
    assert len(requests.times("/live_status", since=started)) <= hour
    assert len(requests.times("/vehicle", since=started)) <= 2 * len(CARS) * hour
    assert not reauth_flows(hass)

    emulator.faults.clear()
    cleared = emulator.clock.now()
    await _steps(hass, freezer, USER_ACTION_RETRY_S)
    await hass.async_block_till_done()
    assert issue not in our_issues(hass)
    assert site.last_update_success
    recovered_at = requests.times("/live_status", since=cleared)[0]
    await _steps(hass, freezer, 4 * STEP_S)
    # The normal 30 s interval is back.
    assert len(requests.times("/live_status", since=recovered_at)) >= 4


async def test_check_again_fix_flow_asks_tesla_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    requests: RequestLog,
    hass_client: ClientSessionGenerator,
) -> None:
    """Billing fixed at developer.tesla.com: submitting the repair asks Tesla right away."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await _set_up(hass, emulator)
    site = site_coordinator(entry)
    emulator.faults.inject(API, 402, count=100_000)
    await _steps(hass, freezer, 2 * STEP_S)
    issue = our_issues(hass)["payment_required"]
    emulator.faults.clear()
    before = len(requests.times("/live_status"))

    client = await hass_client()
    started = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    flow = await started.json()
    assert flow["step_id"] == "confirm"
    done = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await done.json())["type"] == "create_entry"
    await tick(hass, freezer, 11)  # past the refresh debouncer, well before 30 minutes
    assert len(requests.times("/live_status")) > before
    assert site.last_update_success
    assert "payment_required" not in our_issues(hass)
