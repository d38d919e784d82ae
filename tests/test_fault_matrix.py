"""The fault matrix: every row of fleet-api.md's error table, and the faults around it.

One account with a charging car and an energy site, both read every minute, on virtual time.
Each row puts a fault in place for 16 minutes (past the car's 15-minute and the site's
5-minute stale limits), then lifts it, and asserts what the user would notice:
- at most one warning per product for the outage, no ERROR line, no traceback, and one
  "recovered" line per product that failed;
- entities unavailable only after the stale limit (or never, where nothing failed);
- a reauth flow only for a lost grant (kept), or for refusals that outlast fresh tokens
  (withdrawn by itself once Tesla accepts the token again);
- a repair issue only where the user can act, gone after recovery;
- no request storm: requests during the outage bounded by the polling (or slowed) rate, a
  429's Retry-After and the token endpoint's back-off honoured;
- recovery within one polling interval (or the slowed interval) after the fault clears,
  without reloading the entry.

Set FAULT_MATRIX_TABLE to a file path to get the measured table as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
import itertools
import logging
import os
from pathlib import Path
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

import custom_components.tesla_fleet_direct as integration
from custom_components.tesla_fleet_direct import token as token_module
from custom_components.tesla_fleet_direct.account_faults import (
    ACCESS_REFUSED_GRACE_S,
    ACCESS_REFUSED_RETRY_S,
    USER_ACTION_RETRY_S,
)
from custom_components.tesla_fleet_direct.api import TeslaFleetClient
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.models import TeslaFleetDirectData
from custom_components.tesla_fleet_direct.token import TRANSIENT_BACKOFF_S
from fleet_emulator import Emulator
from fleet_emulator.scenario import DEFAULT_SCENARIO, parse_scenario

from .common import reauth_flows, setup_integration
from .fault_helpers import (
    TOKEN_PATH,
    log_requests,
    our_issues,
    our_records,
    reauth_issue_open,
    recovered_lines,
    tick_through,
    warnings_about,
)
from .vehicle_helpers import tick

pytestmark = pytest.mark.usefixtures("socket_enabled")

VIN = "5YJ3E7EB0KF000009"
SITE_ID = 2252180000000009
CAR = "Matrix Car"
SITE = "Matrix Home"
INTERVAL_S = 60.0
STEP_S = 60.0
OUTAGE_S = 16 * 60.0
# Entities stay available this long without an answer (3 intervals, at least 15 minutes for a
# car; 5 intervals for a site).
STALE_S = {CAR: 15 * 60.0, SITE: 5 * INTERVAL_S}
OPTIONS = {"monthly_budget": 1000.0, "charging_interval": INTERVAL_S, "site_live_interval": 60}
# The client's and the refresh's timeouts in the slow rows, and the emulator's latency there:
# all on the frozen clock, which the slow rows move in 0.05 s steps while requests run.
CLIENT_TIMEOUT_S = 5.0
LATENCY_S = 10.0
FOREVER = 1_000_000
LOGIN_REQUIRED = {"response": None, "error": "login_required", "error_description": ""}
# A slow row's ticks move the clock on while requests run: allow for that drift.
DRIFT_S = 5.0


def _scenario(*, car_asleep: bool) -> dict[str, Any]:
    return {
        "clients": DEFAULT_SCENARIO["clients"],
        "accounts": [{"account_id": "owner", "vehicles": [VIN], "sites": [SITE_ID]}],
        "vehicles": [
            {
                "vin": VIN,
                "id": 1492931337151009,
                "vehicle_id": 1234567009,
                "display_name": CAR,
                # Charging all along (read every minute), unless this row wants it asleep.
                "plugged_in": not car_asleep,
                "asleep_at_start": car_asleep,
                "battery_level": 40,
                "charge_limit_soc": 90,
            }
        ],
        "sites": [{"energy_site_id": SITE_ID, "id": "STE-MATRIX", "site_name": SITE}],
        "events": [],
    }


# --- the rows ------------------------------------------------------------------------------


type Fault = Callable[[Emulator], None]


def api(status: int | None, body: Any = None, glob: str = "/api/1/*", **kw: Any) -> Fault:
    """Every Fleet API request matching `glob` fails so, until cleared."""

    def start(emu: Emulator) -> None:
        emu.faults.inject(glob, status, FOREVER, body=body, **kw)

    return start


def token_endpoint(status: int | None, **kw: Any) -> Fault:
    """The token endpoint fails so; Tesla refuses the access tokens, so refreshes are due."""

    def start(emu: Emulator) -> None:
        emu.faults.inject(TOKEN_PATH, status, FOREVER, **kw)
        emu.expire_access_tokens()

    return start


def lost_grant(emu: Emulator) -> None:
    """A password reset: the refresh token is revoked and the access tokens with it."""
    emu.revoke_refresh_tokens("owner")
    emu.expire_access_tokens()


def nothing(emu: Emulator) -> None:
    """No fault: the row is about the car (asleep from the start)."""


@dataclass(frozen=True)
class Row:
    """One fault and what the user should see of it."""

    name: str
    start: Fault
    # The products whose polls fail while the fault holds.
    affects: tuple[str, ...] = (CAR, SITE)
    repair: str | None = None
    # "no"; "withdrawn": asked for, then withdrawn when Tesla relents; "kept": the grant is lost.
    reauth: str = "no"
    # Polls of a failing product are at least this far apart once the fault is known...
    poll_every: float = INTERVAL_S
    # ...each sending at most this many requests per request it means (client retries).
    per_poll: int = 1
    unavailable: bool = True
    # After the fault clears, fresh data within this long (None: only after signing in).
    recover_within: float | None = INTERVAL_S
    # Token endpoint rows: token requests at least this far apart.
    token_every: float | None = None
    # Needs the clock to move while requests run (latency).
    slow: bool = False
    car_asleep: bool = False


def slowed(name: str, start: Fault, **kw: Any) -> Row:
    """A refusal that stays until someone acts: polled every 30 minutes meanwhile."""
    return Row(
        name,
        start,
        poll_every=USER_ACTION_RETRY_S,
        recover_within=USER_ACTION_RETRY_S + INTERVAL_S,
        **kw,
    )


def refused_token(name: str, body: Any) -> Row:
    """401 even after the refresh: retried; after 5 minutes a reauth, withdrawn on recovery."""
    return Row(
        name,
        api(401, body),
        reauth="withdrawn",
        per_poll=2,
        recover_within=ACCESS_REFUSED_RETRY_S + INTERVAL_S,
    )


ROWS = [
    Row("400 invalid request", api(400)),
    refused_token("401 invalid bearer token", None),
    refused_token("401 token expired", {"response": None, "error": "token expired (401)"}),
    Row(
        "401 login_required (API)",
        api(401, LOGIN_REQUIRED),
        reauth="withdrawn",
        poll_every=ACCESS_REFUSED_RETRY_S,
        recover_within=ACCESS_REFUSED_RETRY_S + INTERVAL_S,
    ),
    slowed(
        "401 mobile_access_disabled",
        api(401, {"response": None, "error": "mobile_access_disabled"}, "/api/1/vehicles*"),
        affects=(CAR,),
        repair="mobile_access_disabled",
    ),
    slowed("402 payment required", api(402), repair="payment_required"),
    slowed("403 missing scopes", api(403), repair="scope_missing"),
    slowed(
        "403 unsupported vehicle",
        api(403, {"response": None, "error": "unsupported vehicle"}, "/api/1/vehicles*"),
        affects=(CAR,),
    ),
    Row("404 not found", api(404)),
    Row(
        "408 vehicle unavailable",
        api(408, None, "/api/1/vehicles/*/vehicle_data"),
        affects=(),
        unavailable=False,
        # Shown asleep: looked at again on the account's 10-minute marks.
        recover_within=1.5 * 600 + INTERVAL_S,
    ),
    slowed("412 app not registered", api(412), repair="app_not_registered"),
    # The client follows a 421 once (and may ask users/region) before giving up.
    Row("421 wrong region", api(421), per_poll=3),
    Row("422 invalid resource", api(422)),
    slowed("423 account locked", api(423), repair="account_locked"),
    Row("424 invalid upstream answer", api(424)),
    Row(
        "429 rate limited (Retry-After 300)",
        api(429, retry_after=300),
        poll_every=300,
        recover_within=300 + INTERVAL_S,
    ),
    slowed("451 privacy settings", api(451)),
    Row("500 server error", api(500)),
    Row("502 bad gateway", api(502)),
    Row("503 service unavailable", api(503)),
    Row("504 gateway timeout", api(504)),
    Row("540 car not responding", api(540)),
    # aiohttp sends an idempotent request once more when the connection drops.
    Row("dropped connections", api(None, drop=True), per_poll=2),
    Row("answers slower than the client timeout", api(None, latency=LATENCY_S), slow=True),
    Row("token endpoint down (503)", token_endpoint(503), token_every=TRANSIENT_BACKOFF_S),
    Row(
        "token endpoint rate-limited (429, Retry-After 300)",
        token_endpoint(429, retry_after=300),
        token_every=300,
        recover_within=300 + INTERVAL_S,
    ),
    Row(
        "token endpoint dropping connections",
        token_endpoint(None, drop=True),
        token_every=TRANSIENT_BACKOFF_S,
    ),
    Row(
        "token endpoint malformed 200",
        token_endpoint(200, malformed=True),
        token_every=TRANSIENT_BACKOFF_S,
    ),
    # The late answer is kept (Tesla rotated the token): polls fail only while it is due.
    Row(
        "token endpoint slower than the refresh timeout",
        token_endpoint(None, latency=LATENCY_S),
        unavailable=False,
        slow=True,
    ),
    Row(
        "refresh token revoked (login_required)",
        lost_grant,
        reauth="kept",
        recover_within=None,
        # Polling stops: the refused refresh token is never sent again.
        poll_every=OUTAGE_S * 2,
    ),
    Row("car that never wakes", nothing, affects=(), unavailable=False, car_asleep=True),
]


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Measured:
    """What one row did."""

    warnings: dict[str, int] = field(default_factory=dict)
    # The token manager's "refresh token refused" line (a lost grant names no product).
    sign_in_lines: int = 0
    back_lines: dict[str, int] = field(default_factory=dict)
    unavailable_after: dict[str, float | None] = field(default_factory=dict)
    reauth_seen: bool = False
    reauth_at_end: bool = False
    issues_seen: set[str] = field(default_factory=set)
    requests: dict[str, int] = field(default_factory=dict)
    token_requests: int = 0
    recovered_in: dict[str, float | None] = field(default_factory=dict)


TABLE: list[tuple[Row, Measured]] = []


@pytest.fixture(scope="module", autouse=True)
def _write_table() -> Iterator[None]:
    """Write the measured table when FAULT_MATRIX_TABLE names a file."""
    yield
    if (target := os.environ.get("FAULT_MATRIX_TABLE")) and TABLE:
        Path(target).write_text(_markdown(TABLE), encoding="utf-8")


def _minutes(value: float | None) -> str:
    return "never" if value is None else f"{value / 60:.0f} min"


def _markdown(rows: list[tuple[Row, Measured]]) -> str:
    header = (
        "| fault | log lines (warning / back) | unavailable after (car / site) | reauth / repair"
        " | requests during (car / site / token) | recovered in (car / site) |"
    )
    lines = [header, "|---|---|---|---|---|---|"]
    for row, m in rows:
        warned = [_short(p) for p in (CAR, SITE) if m.warnings.get(p)]
        if m.sign_in_lines:
            warned.append("sign-in")
        back = [_short(p) for p in (CAR, SITE) if m.back_lines.get(p)]
        logs = (
            f"{len(warned)} ({', '.join(warned) or '-'}) / {len(back)} ({', '.join(back) or '-'})"
        )
        reauth = {"no": "no", "withdrawn": "reauth, withdrawn", "kept": "reauth"}[row.reauth]
        if not m.reauth_seen:
            reauth = "no"
        repair = ", ".join(sorted(m.issues_seen)) or "none"
        recovered = " / ".join(
            "n/a" if p not in m.recovered_in else _recovered(m.recovered_in[p]) for p in (CAR, SITE)
        )
        lines.append(
            f"| {row.name} | {logs} | {_minutes(m.unavailable_after.get(CAR))} / "
            f"{_minutes(m.unavailable_after.get(SITE))} | {reauth}; {repair} | "
            f"{m.requests.get(CAR, 0)} / {m.requests.get(SITE, 0)} / {m.token_requests} | "
            f"{recovered} |"
        )
    return "\n".join(lines) + "\n"


def _short(product: str) -> str:
    return "car" if product == CAR else "site"


def _recovered(seconds: float | None) -> str:
    return "after sign-in" if seconds is None else f"{seconds:.0f} s"


def _product_of(path: str) -> str | None:
    if "/energy_sites/" in path:
        return SITE
    if "/vehicles" in path or "/products" in path:
        return CAR
    return None


def _data_path(product: str) -> str:
    return "/vehicle_data" if product == CAR else "/live_status"


def _sensor_of(hass: HomeAssistant, identifier: str) -> str:
    """One enabled sensor of the product's device (its state shows availability)."""
    entry_id = hass.config_entries.async_entries(DOMAIN)[0].entry_id
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, identifier), entry_id)
    assert device is not None
    entities = er.async_entries_for_device(er.async_get(hass), device.id)
    return next(e.entity_id for e in entities if e.domain == "sensor" and not e.disabled)


# --- the test --------------------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_fault(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    row: Row,
) -> None:
    """One fault for 16 minutes, then cleared: what the user sees, and how it recovers."""
    if row.slow:
        monkeypatch.setattr(
            integration, "TeslaFleetClient", partial(TeslaFleetClient, timeout=CLIENT_TIMEOUT_S)
        )
        monkeypatch.setattr(token_module, "REFRESH_TIMEOUT_S", CLIENT_TIMEOUT_S)
    freezer.move_to("2026-06-17T18:00:00+00:00")
    # Started at the frozen moment, whatever FLEET_EMULATOR_START says (the site's solar).
    emulator = Emulator(
        parse_scenario(_scenario(car_asleep=row.car_asleep), 0.0), start=time.time()
    )
    await emulator.start("127.0.0.1", 0)
    try:
        measured = await _run(hass, freezer, caplog, emulator, row)
    finally:
        await emulator.stop()
    TABLE.append((row, measured))
    assert not emulator.tokens.reuses, "a rotated refresh token was sent again"


async def _run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    emulator: Emulator,
    row: Row,
) -> Measured:
    step = partial(tick_through if row.slow else tick, hass, freezer, STEP_S)
    entry = await setup_integration(hass, emulator, options=OPTIONS)
    await hass.async_block_till_done(wait_background_tasks=True)
    runtime: TeslaFleetDirectData = entry.runtime_data
    car = runtime.vehicles.coordinators[VIN]
    assert runtime.energy_sites is not None
    site = runtime.energy_sites.coordinators[SITE_ID]
    sensors = {CAR: _sensor_of(hass, VIN), SITE: _sensor_of(hass, str(SITE_ID))}
    for _ in range(2):
        await step()
    assert car.last_update_success
    assert site.last_update_success
    requests = log_requests(emulator)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="custom_components.tesla_fleet_direct")

    watch = Watch(hass, emulator, sensors, {CAR: car, SITE: site})
    m = watch.measured
    row.start(emulator)
    while emulator.clock.now() - watch.started < OUTAGE_S:
        await step()
        watch.observe()
    emulator.faults.clear()
    cleared = emulator.clock.now()
    ledger = [e for e in emulator.ledger.entries if watch.started <= e.time < cleared]
    for product in (CAR, SITE):
        m.requests[product] = sum(_product_of(e.path) == product for e in ledger)
    token_times = requests.token_requests(since=watch.started)
    m.token_requests = len(token_times)

    # Recovery: fresh data for every product again, by itself.
    limit = (row.recover_within or 0) + STEP_S
    pending = {p for p in (CAR, SITE) if not (row.car_asleep and p == CAR)}
    while emulator.clock.now() - cleared < limit and pending:
        await step()
        watch.observe()
        for product in list(pending):
            fresh = [
                e.time
                for e in emulator.ledger.entries
                if e.time >= cleared and e.status == 200 and e.path.endswith(_data_path(product))
            ]
            if fresh and watch.coordinators[product].last_update_success:
                m.recovered_in[product] = fresh[0] - cleared
                pending.discard(product)
    for product in pending:
        m.recovered_in[product] = None
    await hass.async_block_till_done()
    m.reauth_at_end = bool(reauth_flows(hass))
    for product in (CAR, SITE):
        m.warnings[product] = len(warnings_about(caplog, product))
        m.back_lines[product] = len(recovered_lines(caplog, product))

    _check(row, watch, our_records(caplog), token_times, [e for e in ledger if e.status == 429])
    # Polling never wakes the car, whatever fails.
    assert not [e for e in emulator.ledger.entries if e.path.endswith("/wake_up")]
    if row.reauth != "kept":
        # Recovered without a reload: the same runtime data, loaded all along.
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data is runtime
        assert not our_issues(hass), "a repair issue outlived the fault"
        assert not reauth_issue_open(hass)
    return m


@dataclass
class Watch:
    """Looks at the products after every tick of one row."""

    hass: HomeAssistant
    emulator: Emulator
    sensors: dict[str, str]
    coordinators: dict[str, Any]
    measured: Measured = field(default_factory=Measured)
    failed: set[str] = field(default_factory=set)
    started: float = 0.0

    def __post_init__(self) -> None:
        """The outage starts now."""
        self.started = self.emulator.clock.now()

    def observe(self) -> None:
        """Availability, failures, reauth flows and repair issues, as of now."""
        m = self.measured
        now = self.emulator.clock.now() - self.started
        for product, entity_id in self.sensors.items():
            state = self.hass.states.get(entity_id)
            assert state is not None
            if state.state == STATE_UNAVAILABLE and m.unavailable_after.get(product) is None:
                m.unavailable_after[product] = now
            if not self.coordinators[product].last_update_success:
                self.failed.add(product)
        if reauth_flows(self.hass):
            m.reauth_seen = True
        m.issues_seen |= set(our_issues(self.hass))


def _check(
    row: Row,
    watch: Watch,
    records: list[logging.LogRecord],
    token_times: list[float],
    limited: list[Any],
) -> None:
    """Every promise of the module's docstring, for this row."""
    m = watch.measured
    failed = watch.failed
    assert not [r for r in records if r.levelno >= logging.ERROR], "an ERROR line"
    assert not any(r.exc_info for r in records), "a traceback"
    lost = [r for r in records if "refused the refresh token" in r.getMessage()]
    assert len(lost) == (1 if row.reauth == "kept" else 0)
    m.sign_in_lines = len(lost)
    for product in (CAR, SITE):
        assert m.warnings[product] <= 1, f"{product}: more than one warning"
        expected_back = int(product in failed and row.recover_within is not None)
        assert m.back_lines[product] == expected_back, f"{product}: back lines"
    # Nothing else at WARNING: each line names its product (or is the lost grant's).
    assert len(records) == sum(m.warnings.values()) + len(lost)
    assert failed <= set(row.affects), f"{failed} failed"
    if row.affects:
        assert failed, "the fault never showed"
    else:
        assert not failed
        assert not records

    for product in (CAR, SITE):
        went = m.unavailable_after.get(product)
        if not row.unavailable or product not in failed:
            assert went is None, f"{product} went unavailable"
        if went is not None:
            assert went >= STALE_S[product] - DRIFT_S, f"{product} unavailable too soon"

    assert m.reauth_seen == (row.reauth != "no")
    assert m.reauth_at_end == (row.reauth == "kept")
    assert m.issues_seen == ({row.repair} if row.repair else set())

    for product in (CAR, SITE):
        affected = product in row.affects
        polls = 2 + OUTAGE_S / (row.poll_every if affected else INTERVAL_S)
        if row.reauth == "withdrawn":
            polls += ACCESS_REFUSED_GRACE_S / INTERVAL_S
        # A car's poll is a state check and a data request.
        bound = 2 * (row.per_poll if affected else 1) * polls
        assert m.requests[product] <= bound, f"{product}: request storm"
    for hit in limited:
        later = [t for t in (r.time for r in limited) if t > hit.time]
        assert all(t - hit.time >= 300 - 1 for t in later), "Retry-After not honoured"
    if row.token_every is not None:
        assert token_times, "no refresh was tried"
        gaps = [b - a for a, b in itertools.pairwise(token_times)]
        assert all(gap >= row.token_every - 1 for gap in gaps), f"token requests: {gaps}"
    else:
        assert m.token_requests <= 2 + OUTAGE_S / 120, "token requests"

    for product, took in m.recovered_in.items():
        if row.recover_within is None:
            continue
        assert took is not None, f"{product} did not recover by itself"
        assert took <= row.recover_within + DRIFT_S, f"{product} recovered in {took:.0f} s"
