"""The monthly request budget: how often each product may be polled so the month stays paid for.

Pure arithmetic, no Home Assistant: the account's spend so far (requests and streamed signals),
what its cars are doing and the user's preferred intervals go in; the intervals that keep the
projected month within the budget come out. Streaming and polling share one budget: signals
already streamed are part of the spend, and what the stream is expected to cost for the rest of
the month is kept back, so polling stretches when the stream eats the budget. Cars (driving,
charging and the idle window after a car wakes up) stretch alike. Energy sites are not in it:
Tesla does not bill energy requests (`api.accounting`), so their intervals are the user's,
whatever the budget. The coordinators ask again after every poll, so an unusually busy week
slows polling down for the rest of the month and a quiet one speeds it up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import math
from typing import Final

from custom_components.tesla_fleet_direct.api.accounting import REQUESTS_PER_USD

# Tesla's monthly credit per account.
MONTHLY_CREDIT_USD: Final = 10.0

# Share of the budget kept back for the commands and wakes the user sends from Home Assistant.
COMMAND_RESERVE: Final = 0.1
# How the budget expects a car's month to look (a car is rarely busier): driving 1.2 h and
# charging 2.4 h a day, online and idle about an hour a day (the idle window after each activity).
EXPECTED_DRIVING_SHARE: Final = 0.05
EXPECTED_CHARGING_SHARE: Final = 0.10
EXPECTED_IDLE_SHARE: Final = 0.04
# A throttled interval never grows beyond this; past it polling pauses until the next month.
MAX_INTERVAL_S: Final = 6 * 3600.0
# Intervals stretched beyond this are worth telling the user about (repair issue).
NOTICEABLE_INTERVAL_S: Final = 30 * 60.0


@dataclass(frozen=True, slots=True)
class PollingIntervals:
    """The user's preferred intervals in seconds (options flow), before the budget applies."""

    # Driving: the location moves. 2 min keeps the tracker within about a mile at speed.
    active: float = 120.0
    # Charging: the battery level moves about 1 % every 3-6 min on a home charger, so polling
    # faster buys little.
    charging: float = 180.0
    idle: float = 300.0  # online and parked, inside the idle window
    idle_timeout: float = 900.0  # stop data requests after this long idle so the car sleeps
    # State check while asleep or offline: free under one reading of Tesla's billing, a data
    # request under the other, so as often as the common 10-minute poll, not more.
    asleep: float = 600.0
    # Energy sites: not billed, so not budgeted. Live power every 30 s, like Home Assistant's
    # Teslemetry integration (homeassistant/components/teslemetry/coordinator.py in
    # home-assistant/core, ENERGY_LIVE_INTERVAL); settings change rarely and show at once after
    # a command from Home Assistant.
    site_live: float = 30.0
    site_info: float = 3600.0


@dataclass(frozen=True, slots=True)
class Plan:
    """The intervals to use now (seconds) and why."""

    active: float
    charging: float
    idle: float
    idle_timeout: float  # the idle window's length: not stretched (it is what lets a car sleep)
    asleep: float
    site_live: float  # energy requests are not billed: the preferred interval, always
    site_info: float
    factor: float  # the largest stretch: 1.0 = all preferred; 2.0 = some group half as often
    paused: bool  # budget spent: only free state checks until the month rolls over
    budget_needed_usd: float  # monthly budget that would allow the preferred car intervals

    @property
    def throttled(self) -> bool:
        """Whether the budget slows polling below the user's preferred intervals."""
        return self.paused or self.factor > 1.0

    @property
    def beyond_noticeable(self) -> bool:
        """Whether the budget pushes the fast interval beyond 30 minutes."""
        return self.paused or self.active > NOTICEABLE_INTERVAL_S


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of Tesla's billing month (calendar month, UTC) around `now`."""
    now = now.astimezone(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        end = start.replace(year=start.year + 1, month=1)
    else:
        end = start.replace(month=start.month + 1)
    return start, end


@dataclass(frozen=True, slots=True)
class _Stream:
    """One kind of poll: how many run in parallel (products x share of the time) and how often."""

    weight: float
    interval: float


def _cost(streams: tuple[_Stream, ...], stretch: float, seconds: float) -> float:
    """Data requests over `seconds` with every interval stretched (and capped at the ceiling)."""
    return sum(
        s.weight * seconds / min(s.interval * stretch, MAX_INTERVAL_S) for s in streams if s.weight
    )


def _ceiling_stretch(streams: tuple[_Stream, ...]) -> float:
    """The stretch that puts every interval of `streams` at the ceiling."""
    return max(MAX_INTERVAL_S / min(s.interval for s in streams), 1.0) if streams else 1.0


def _stretch_for(streams: tuple[_Stream, ...], requests: float, seconds: float) -> float:
    """The least stretch (>= 1) whose requests over `seconds` fit in `requests`.

    The ceiling makes the cost piecewise (a capped interval stops getting cheaper), so the
    stretch is found by bisection rather than by one division; `requests` is never below the
    cost at the ceiling, so an answer always exists.
    """
    if _cost(streams, 1.0, seconds) <= requests:
        return 1.0
    low, high = 1.0, _ceiling_stretch(streams)
    for _ in range(64):
        middle = (low + high) / 2
        if _cost(streams, middle, seconds) <= requests:
            high = middle
        else:
            low = middle
    return high


def plan(
    *,
    now: datetime,
    budget_usd: float,
    spent_usd: float,
    vehicles: int,
    intervals: PollingIntervals,
    state_checks_billed: bool = False,
    streaming_month_usd: float = 0.0,
) -> Plan:
    """Intervals that keep the projected month within `budget_usd`.

    What is left of the budget (minus a reserve for commands) is spent on the cars for the rest
    of the month: every kind of car poll is first guaranteed one request per `MAX_INTERVAL_S`
    (so nothing is ever left without any update); then the cars get what their expected month
    costs at the preferred intervals (driving, charging and the idle window after each
    wake-up, which notices a drive starting), or all that is left, which stretches those
    intervals alike. Parked and sleeping cars cost nothing beyond the idle window, and the
    coordinators ask again after every poll, so money that busy cars did not use speeds them up
    later in the month.

    Streamed signals are paid from the same budget: those already streamed are in `spent_usd`;
    `streaming_month_usd`, what the stream is expected to cost in a whole month, is kept back
    for the rest of the month (its share of the month still to come) before polling gets any.

    Energy sites cost nothing (`api.accounting`: not billed), so they keep the preferred
    `site_live` and `site_info` intervals whatever the budget, even when it is spent; their
    requests are counted, not paid for. Whoever bills them through the category table finds
    their cost in `spent_usd`, which slows the cars, never the sites.
    """
    start, end = month_bounds(now)
    remaining_s = max((end - now).total_seconds(), 1.0)
    month_s = 30 * 86400.0
    per_data_usd = 1 / REQUESTS_PER_USD["data"]

    cars = (
        _Stream(vehicles * EXPECTED_DRIVING_SHARE, intervals.active),
        _Stream(vehicles * EXPECTED_CHARGING_SHARE, intervals.charging),
        _Stream(vehicles * EXPECTED_IDLE_SHARE, intervals.idle),
    )

    # State checks are free under the default reading; if billed they cannot be stretched
    # (they are what notices a car waking up), so they come off the top: one vehicle-list read
    # per interval answers for all sleeping cars, plus one check per read in an idle window
    # (busy cars are read without one).
    fixed = 0.0
    if state_checks_billed and vehicles:
        fixed = remaining_s / intervals.asleep
        fixed += vehicles * EXPECTED_IDLE_SHARE * remaining_s / intervals.idle

    wanted_month = _cost(cars, 1.0, month_s) + fixed * month_s / remaining_s
    streaming = max(streaming_month_usd, 0.0)
    budget_needed = (wanted_month * per_data_usd + streaming) / (1 - COMMAND_RESERVE)

    streaming_rest_usd = streaming * remaining_s / (end - start).total_seconds()
    available_usd = budget_usd * (1 - COMMAND_RESERVE) - spent_usd - streaming_rest_usd
    available = available_usd / per_data_usd - fixed
    wanted = _cost(cars, 1.0, remaining_s)
    least = _cost(cars, _ceiling_stretch(cars), remaining_s)
    # Budget spent: not even one poll per ceiling interval fits until the month rolls over.
    paused = wanted > 0 and available < least
    granted = min(max(available, least), wanted) if wanted > 0 else 0.0
    factor = _ceiling_stretch(cars) if paused else _stretch_for(cars, granted, remaining_s)

    def stretch(seconds: float) -> float:
        return min(seconds * factor, MAX_INTERVAL_S) if not paused else MAX_INTERVAL_S

    return Plan(
        active=stretch(intervals.active),
        charging=stretch(intervals.charging),
        idle=stretch(intervals.idle),
        idle_timeout=intervals.idle_timeout,
        asleep=intervals.asleep,
        site_live=intervals.site_live,
        site_info=intervals.site_info,
        factor=factor if wanted > 0 else 1.0,
        paused=paused,
        budget_needed_usd=math.ceil(budget_needed * 100) / 100,
    )
