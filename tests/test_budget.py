"""The monthly budget planner and the account rate-limit gate, in simulated months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.tesla_fleet_direct.budget import (
    MAX_INTERVAL_S,
    PollingIntervals,
    month_bounds,
    plan,
    request_cost_usd,
)
from custom_components.tesla_fleet_direct.polling import AccountPolling, RateLimitGate

DEFAULTS = PollingIntervals()
START = datetime(2026, 11, 1, tzinfo=UTC)


def _simulate_month(
    *,
    budget_usd: float,
    vehicles: int,
    sites: int,
    active_hours_per_day: float,
    intervals: PollingIntervals = DEFAULTS,
) -> tuple[float, list[float]]:
    """Spend a month polling as the planner says; returns (spent USD, active intervals used).

    Every car drives or charges `active_hours_per_day` each evening and then sits idle for the
    idle window; sites poll all day. The planner is asked again every simulated 10 minutes.
    """
    spent_requests = 0.0
    now = START
    _, end = month_bounds(START)
    step = timedelta(minutes=10)
    active_intervals: list[float] = []
    while now < end:
        current = plan(
            now=now,
            budget_usd=budget_usd,
            spent_usd=spent_requests / 500,
            vehicles=vehicles,
            sites=sites,
            intervals=intervals,
        )
        hour = now.hour + now.minute / 60
        seconds = step.total_seconds()
        if not current.paused:
            if 18 <= hour < 18 + active_hours_per_day:
                spent_requests += vehicles * seconds / current.active
                active_intervals.append(current.active)
            elif 18 + active_hours_per_day <= hour < 18 + active_hours_per_day + 0.25:
                spent_requests += vehicles * seconds / current.idle
            spent_requests += sites * (seconds / current.site_live + seconds / current.site_info)
        now += step
    return spent_requests / 500, active_intervals


def test_default_install_never_exceeds_tesla_credit_even_for_busy_cars() -> None:
    """Two cars charging or driving 6 h every day and a site still fit in the $10 credit."""
    spent, active = _simulate_month(budget_usd=10.0, vehicles=2, sites=1, active_hours_per_day=6)
    assert spent <= 10.0 * 0.9 + 0.01  # the command reserve stays untouched
    # ...and the money was used, not hoarded: most of the budget went on data.
    assert spent > 5.0
    assert min(active) >= DEFAULTS.active


def test_preferred_intervals_are_used_when_they_fit() -> None:
    """One car, no site: a slow enough preference is no constraint; 60 s is."""
    first = plan(
        now=START,
        budget_usd=10.0,
        spent_usd=0.0,
        vehicles=1,
        sites=0,
        intervals=PollingIntervals(),
    )
    # 15 % active at 60 s is ~6,500 requests a month: more than the credit, so it stretches...
    assert first.active > 60
    cheap = plan(
        now=START,
        budget_usd=10.0,
        spent_usd=0.0,
        vehicles=1,
        sites=0,
        intervals=PollingIntervals(active=300, idle=900),
    )
    # ...while a slower preference fits and is used unchanged.
    assert cheap.active == 300
    assert not cheap.throttled


def test_overspent_month_pauses_data_until_the_next_month() -> None:
    """Commands ate the budget: no more data requests, only the free state check."""
    now = datetime(2026, 11, 20, tzinfo=UTC)
    spent = plan(now=now, budget_usd=10.0, spent_usd=9.5, vehicles=1, sites=1, intervals=DEFAULTS)
    assert spent.paused
    assert spent.beyond_noticeable
    assert spent.asleep == DEFAULTS.asleep
    assert spent.active == MAX_INTERVAL_S
    fresh = plan(
        now=datetime(2026, 12, 1, tzinfo=UTC),
        budget_usd=10.0,
        spent_usd=0.0,
        vehicles=1,
        sites=1,
        intervals=DEFAULTS,
    )
    assert not fresh.paused


def test_tiny_budget_reports_what_the_preferred_intervals_would_cost() -> None:
    """The repair issue needs the budget that would allow the user's intervals."""
    tiny = plan(now=START, budget_usd=1.0, spent_usd=0.0, vehicles=2, sites=1, intervals=DEFAULTS)
    assert tiny.beyond_noticeable
    generous = plan(
        now=START,
        budget_usd=tiny.budget_needed_usd,
        spent_usd=0.0,
        vehicles=2,
        sites=1,
        intervals=DEFAULTS,
    )
    assert generous.factor == pytest.approx(1.0, abs=0.05)
    assert generous.active == pytest.approx(60, abs=3)


def test_billed_state_checks_leave_less_for_data() -> None:
    """Under the reading where state checks are billed, data intervals stretch further."""
    free = plan(now=START, budget_usd=10, spent_usd=0, vehicles=2, sites=0, intervals=DEFAULTS)
    billed = plan(
        now=START,
        budget_usd=10,
        spent_usd=0,
        vehicles=2,
        sites=0,
        intervals=DEFAULTS,
        state_checks_billed=True,
    )
    assert billed.active > free.active


def test_request_cost_uses_teslas_prices() -> None:
    assert request_cost_usd({"data": 500, "command": 1000, "wake": 50, "free": 99}) == 3.0


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
        sites=0,
        clock=START.timestamp,
        intervals=PollingIntervals(active=300, idle=900),
    )
    assert not polling.plan().throttled
    spent[0] = 8.9
    assert polling.plan().throttled
