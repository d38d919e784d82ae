"""The monthly budget planner and the account rate-limit gate, in simulated months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import statistics

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.tesla_fleet_direct.api.accounting import RequestRecord, request_cost_usd
from custom_components.tesla_fleet_direct.api.rate_limit import RateLimitGate
from custom_components.tesla_fleet_direct.cost_meter import CostMeter
from custom_components.tesla_fleet_direct.polling import AccountPolling
from custom_components.tesla_fleet_direct.schedule.budget import (
    COMMAND_RESERVE,
    EXPECTED_CHARGING_SHARE,
    EXPECTED_DRIVING_SHARE,
    EXPECTED_IDLE_SHARE,
    MAX_INTERVAL_S,
    Plan,
    PollingIntervals,
    month_bounds,
    plan,
)

DEFAULTS = PollingIntervals()
START = datetime(2026, 11, 1, tzinfo=UTC)


def _simulate_month(
    *,
    budget_usd: float,
    vehicles: int,
    active_hours_per_day: float,
    intervals: PollingIntervals = DEFAULTS,
    streamed_usd: float = 0.0,
    stream_planned: bool = True,
) -> tuple[float, list[float]]:
    """Spend a month polling as the planner says; returns (spent USD, charging intervals used).

    Every car drives (the first third) and charges (the rest) `active_hours_per_day` each
    evening and then sits idle for the idle window (energy sites poll all day, for nothing).
    Streamed signals cost `streamed_usd` over the month, at an even pace, told to the planner
    unless not `stream_planned`. The planner is asked again every simulated 10 minutes.
    """
    spent_requests = 0.0
    signals_usd = 0.0
    now = START
    _, end = month_bounds(START)
    step = timedelta(minutes=10)
    active_intervals: list[float] = []
    while now < end:
        current = plan(
            now=now,
            budget_usd=budget_usd,
            spent_usd=spent_requests / 500 + signals_usd,
            vehicles=vehicles,
            intervals=intervals,
            streaming_month_usd=streamed_usd if stream_planned else 0.0,
        )
        hour = now.hour + now.minute / 60
        seconds = step.total_seconds()
        if not current.paused:
            if 18 <= hour < 18 + active_hours_per_day / 3:
                spent_requests += vehicles * seconds / current.active
            elif 18 <= hour < 18 + active_hours_per_day:
                spent_requests += vehicles * seconds / current.charging
                active_intervals.append(current.charging)
            elif 18 + active_hours_per_day <= hour < 18 + active_hours_per_day + 0.25:
                spent_requests += vehicles * seconds / current.idle
        signals_usd += streamed_usd * seconds / (end - START).total_seconds()
        now += step
    return spent_requests / 500 + signals_usd, active_intervals


def test_default_install_never_exceeds_tesla_credit_even_for_busy_cars() -> None:
    """Two cars charging or driving 6 h every day still fit in the $10 credit."""
    spent, active = _simulate_month(budget_usd=10.0, vehicles=2, active_hours_per_day=6)
    assert spent <= 10.0 * 0.9 + 0.01  # the command reserve stays untouched
    # ...and the money was used, not hoarded: most of the budget went on data.
    assert spent > 5.0
    assert min(active) >= DEFAULTS.charging


def _projected_usd(
    current: Plan, *, now: datetime, spent_usd: float, vehicles: int, billed: bool
) -> float:
    """The month's spend if the rest of it is polled at `current`'s intervals (commands aside)."""
    _, end = month_bounds(now)
    seconds = (end - now).total_seconds()
    cars = (
        vehicles
        * seconds
        * (
            EXPECTED_DRIVING_SHARE / current.active
            + EXPECTED_CHARGING_SHARE / current.charging
            + EXPECTED_IDLE_SHARE / current.idle
        )
    )
    if billed and vehicles:
        # One shared vehicle-list read per interval, and a check per idle-window read.
        cars += seconds / current.asleep + vehicles * EXPECTED_IDLE_SHARE * seconds / current.idle
    return spent_usd + cars / 500


def test_one_car_keeps_the_preferred_intervals() -> None:
    """One car: the default intervals fit the credit unchanged."""
    current = plan(now=START, budget_usd=10.0, spent_usd=0.0, vehicles=1, intervals=DEFAULTS)
    assert (current.active, current.charging, current.idle) == (
        DEFAULTS.active,
        DEFAULTS.charging,
        DEFAULTS.idle,
    )
    assert not current.throttled


@pytest.mark.parametrize("budget", [0.0, 1.0, 10.0, 1000.0])
@pytest.mark.parametrize("spent", [0.0, 9.5])
def test_energy_sites_cost_the_cars_nothing_and_poll_every_30_s(
    budget: float, spent: float
) -> None:
    """Tesla does not bill energy requests: an account's sites leave its cars' intervals as
    they are, and their live status stays at 30 s whatever the budget, even a spent one."""
    now = datetime(2026, 11, 10, tzinfo=UTC)
    plans = [
        AccountPolling(
            spent_usd=lambda: spent,
            budget_usd=budget,
            vehicles=2,
            sites=sites,
            clock=now.timestamp,
        ).plan()
        for sites in (0, 1, 5)
    ]
    without, *with_sites = plans
    for current in with_sites:
        assert (current.active, current.charging, current.idle, current.paused) == (
            without.active,
            without.charging,
            without.idle,
            without.paused,
        )
    for current in plans:
        assert current.site_live == 30
        assert current.site_info == DEFAULTS.site_info


def test_site_intervals_are_the_users_whatever_the_budget() -> None:
    """A chosen site interval is used as chosen, with a tiny budget as with a large one."""
    chosen = PollingIntervals(site_live=15, site_info=1800)
    for budget in (0.5, 10.0, 500.0):
        current = plan(now=START, budget_usd=budget, spent_usd=0.0, vehicles=3, intervals=chosen)
        assert (current.site_live, current.site_info) == (15, 1800)


def test_car_intervals_stretch_alike() -> None:
    """Two cars on $10: driving, charging and the idle window (which notices a drive starting)
    stretch by the same factor, so none of them is starved for the others."""
    current = plan(now=START, budget_usd=10.0, spent_usd=0.0, vehicles=2, intervals=DEFAULTS)
    assert current.active > DEFAULTS.active
    factor = current.active / DEFAULTS.active
    assert current.charging / DEFAULTS.charging == pytest.approx(factor)
    assert current.idle / DEFAULTS.idle == pytest.approx(factor)
    # Ten cars on the same credit: slower, but every kind of read still happens hourly or so.
    many = plan(now=START, budget_usd=10.0, spent_usd=0.0, vehicles=10, intervals=DEFAULTS)
    assert many.charging < 3600
    assert many.idle < 3600


@pytest.mark.parametrize("billed", [False, True])
def test_projected_month_never_exceeds_the_budget(billed: bool) -> None:
    """Over a grid of budgets, spends, days and fleets: the plan's month fits the budget."""
    tight = PollingIntervals(active=30, idle=120, site_live=20, site_info=600)
    for intervals in (DEFAULTS, tight, PollingIntervals(active=300, idle=900)):
        for budget in (1.0, 10.0, 40.0, 500.0):
            for day, hour in ((1, 0), (12, 7), (30, 23)):
                now = datetime(2026, 11, day, hour, tzinfo=UTC)
                for spent_share in (0.0, 0.3, 0.85, 1.2):
                    for vehicles in (0, 1, 2, 5):
                        spent = budget * spent_share
                        current = plan(
                            now=now,
                            budget_usd=budget,
                            spent_usd=spent,
                            vehicles=vehicles,
                            intervals=intervals,
                            state_checks_billed=billed,
                        )
                        for value, preferred in (
                            (current.active, intervals.active),
                            (current.idle, intervals.idle),
                        ):
                            assert preferred <= value <= MAX_INTERVAL_S
                        # Not billed, so never stretched.
                        assert current.site_live == intervals.site_live
                        if current.paused:
                            assert current.active == MAX_INTERVAL_S
                            continue
                        projected = _projected_usd(
                            current, now=now, spent_usd=spent, vehicles=vehicles, billed=billed
                        )
                        usable = budget * (1 - COMMAND_RESERVE)
                        assert projected <= max(usable, spent) + 1e-6


def test_month_of_typical_use_keeps_active_cars_fast() -> None:
    """Two cars busy the expected 3.6 h a day: over the simulated month the fast charging
    interval is mostly under six minutes, and the budget is used but not exceeded."""
    spent, active = _simulate_month(budget_usd=10.0, vehicles=2, active_hours_per_day=3.6)
    assert 8.0 < spent <= 10.0 * (1 - COMMAND_RESERVE) + 0.01
    assert statistics.median(active) <= 360


def test_preferred_intervals_are_used_when_they_fit() -> None:
    """Three cars, no site: a slow enough preference is no constraint; the defaults are."""
    first = plan(
        now=START,
        budget_usd=10.0,
        spent_usd=0.0,
        vehicles=3,
        intervals=PollingIntervals(),
    )
    # Three cars busy 15 % of the time at 2-3 min are ~7,500 requests a month: more than the
    # credit, so the intervals stretch...
    assert first.active > DEFAULTS.active
    cheap = plan(
        now=START,
        budget_usd=10.0,
        spent_usd=0.0,
        vehicles=3,
        intervals=PollingIntervals(active=300, charging=600, idle=900),
    )
    # ...while a slower preference fits and is used unchanged.
    assert cheap.active == 300
    assert not cheap.throttled


def test_overspent_month_pauses_data_until_the_next_month() -> None:
    """Commands ate the budget: no more car data requests, only the free state check (energy
    sites, not billed, keep their interval)."""
    now = datetime(2026, 11, 20, tzinfo=UTC)
    spent = plan(now=now, budget_usd=10.0, spent_usd=9.5, vehicles=1, intervals=DEFAULTS)
    assert spent.paused
    assert spent.beyond_noticeable
    assert spent.asleep == DEFAULTS.asleep
    assert spent.active == MAX_INTERVAL_S
    assert spent.site_live == DEFAULTS.site_live
    fresh = plan(
        now=datetime(2026, 12, 1, tzinfo=UTC),
        budget_usd=10.0,
        spent_usd=0.0,
        vehicles=1,
        intervals=DEFAULTS,
    )
    assert not fresh.paused


def test_tiny_budget_reports_what_the_preferred_intervals_would_cost() -> None:
    """The repair issue needs the budget that would allow the user's intervals."""
    tiny = plan(now=START, budget_usd=0.5, spent_usd=0.0, vehicles=2, intervals=DEFAULTS)
    assert tiny.beyond_noticeable
    generous = plan(
        now=START,
        budget_usd=tiny.budget_needed_usd,
        spent_usd=0.0,
        vehicles=2,
        intervals=DEFAULTS,
    )
    assert generous.factor == pytest.approx(1.0, abs=0.05)
    assert generous.active == pytest.approx(DEFAULTS.active, rel=0.05)


def test_billed_state_checks_leave_less_for_data() -> None:
    """Under the reading where state checks are billed, data intervals stretch further."""
    free = plan(now=START, budget_usd=10, spent_usd=0, vehicles=2, intervals=DEFAULTS)
    billed = plan(
        now=START,
        budget_usd=10,
        spent_usd=0,
        vehicles=2,
        intervals=DEFAULTS,
        state_checks_billed=True,
    )
    assert billed.active > free.active


def test_request_cost_uses_teslas_prices() -> None:
    """Data, commands and wakes at Tesla's prices; state checks and energy requests free."""
    counts = {"data": 500, "command": 1000, "wake": 50, "free": 99, "energy": 2880}
    assert request_cost_usd(counts) == 3.0


def test_month_bounds_roll_over_the_year() -> None:
    start, end = month_bounds(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert start == datetime(2026, 12, 1, tzinfo=UTC)
    assert end == datetime(2027, 1, 1, tzinfo=UTC)


def test_rate_limit_gate_waits_exactly_and_never_shortens() -> None:
    now = [1000.0]
    gate = RateLimitGate(clock=lambda: now[0])
    assert gate.remaining() == 0
    assert gate.blocked_until is None
    gate.block(37)
    assert gate.remaining() == 37
    gate.block(5)  # a shorter wait from another request does not open the gate early
    assert gate.remaining() == 37
    now[0] += 36.5
    assert gate.remaining() == pytest.approx(0.5)
    assert gate.blocked_until == datetime.fromtimestamp(1037, UTC)
    now[0] += 0.5
    assert gate.remaining() == 0


def test_account_polling_reads_spend_from_the_meter() -> None:
    spent = [0.0]
    polling = AccountPolling(
        spent_usd=lambda: spent[0],
        vehicles=1,
        clock=START.timestamp,
        intervals=PollingIntervals(active=300, idle=900),
    )
    assert not polling.plan().throttled
    spent[0] = 8.9
    assert polling.plan().throttled


async def test_signals_streamed_stretch_the_residual_polling(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The budget reads the meter's month, signals included: once the cars' streams have spent
    most of the credit, the polling that is left stretches to fit the rest, and a stream that
    spent it all pauses polling until the month rolls over."""
    freezer.move_to("2026-11-10 12:00:00+00:00")
    meter = CostMeter(hass, "entry")
    polling = AccountPolling(spent_usd=meter.month_cost_usd, vehicles=1)
    for _ in range(50):
        meter.record(RequestRecord("data", "GET", "/api/1/x", 200, 0.01, "data"))
    before = polling.plan()
    assert not before.throttled

    meter.record_signals("VIN1", 600_000)  # $4
    meter.record_signals("VIN2", 450_000)  # $3
    assert polling.spent_usd() == pytest.approx(7.1)
    stretched = polling.plan()
    assert stretched.throttled
    assert stretched.active > before.active
    assert stretched.charging > before.charging
    # What is left of the month, polled at the stretched intervals, still fits the credit.
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    month = _projected_usd(
        stretched, now=now, spent_usd=polling.spent_usd(), vehicles=1, billed=False
    )
    assert month <= 10.0 * (1 - COMMAND_RESERVE) + 1e-6

    meter.record_signals("VIN1", 300_000)  # $2 more: $9.10, the command reserve is reached
    assert polling.plan().paused


def test_expected_stream_is_kept_back_for_the_rest_of_the_month() -> None:
    """Busy cars that also stream $6 of signals a month: planned together, polling leaves room
    for the signals still to come and the month fits the credit; had the planner not known of
    the stream, polling would have spent early what the signals then pushed past it."""
    spent, active = _simulate_month(
        budget_usd=10.0, vehicles=2, active_hours_per_day=6, streamed_usd=6.0
    )
    assert spent <= 10.0 * (1 - COMMAND_RESERVE) + 0.01
    _, without_stream = _simulate_month(budget_usd=10.0, vehicles=2, active_hours_per_day=6)
    assert statistics.median(active) > statistics.median(without_stream)
    unplanned, _ = _simulate_month(
        budget_usd=10.0, vehicles=2, active_hours_per_day=6, streamed_usd=6.0, stream_planned=False
    )
    assert unplanned > 10.0


def test_expected_stream_counts_in_the_budget_needed() -> None:
    """The budget the preferred intervals need includes what the stream is expected to cost,
    and a stream expected to cost more than the credit leaves polling paused from the start."""
    alone = plan(now=START, budget_usd=10.0, spent_usd=0.0, vehicles=1, intervals=DEFAULTS)
    streaming = plan(
        now=START,
        budget_usd=10.0,
        spent_usd=0.0,
        vehicles=1,
        intervals=DEFAULTS,
        streaming_month_usd=3.0,
    )
    assert streaming.budget_needed_usd == pytest.approx(
        alone.budget_needed_usd + 3.0 / (1 - COMMAND_RESERVE), abs=0.011
    )
    expensive = AccountPolling(
        spent_usd=lambda: 0.0,
        vehicles=1,
        clock=START.timestamp,
        streaming_month_usd=lambda: 9.5,
    )
    assert expensive.plan().paused
