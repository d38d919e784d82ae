"""The monthly request budget: how often each product may be polled so the month stays paid for.

Pure arithmetic, no Home Assistant: the account's spend so far, what its cars are doing and the
user's preferred intervals go in; the intervals that keep the projected month within the budget
come out. The coordinators ask again after every poll, so an unusually busy week slows polling
down for the rest of the month and a quiet one speeds it up again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import math
from typing import Final

# Tesla's monthly credit per account and its published prices (requests per US dollar).
MONTHLY_CREDIT_USD: Final = 10.0
REQUESTS_PER_USD: Final[Mapping[str, int]] = {"data": 500, "command": 1000, "wake": 50}

# Share of the budget kept back for the commands and wakes the user sends from Home Assistant.
COMMAND_RESERVE: Final = 0.1
# How the budget expects a car's month to look (a car is rarely busier): driving or charging
# 3.6 h a day, online and idle about an hour a day (the idle window after each activity).
EXPECTED_ACTIVE_SHARE: Final = 0.15
EXPECTED_IDLE_SHARE: Final = 0.04
# A throttled interval never grows beyond this; past it polling pauses until the next month.
MAX_INTERVAL_S: Final = 6 * 3600.0
# Intervals stretched beyond this are worth telling the user about (repair issue).
NOTICEABLE_INTERVAL_S: Final = 30 * 60.0


class Activity(StrEnum):
    """What a car is doing, as far as polling is concerned."""

    DRIVING = "driving"
    CHARGING = "charging"
    IDLE = "idle"  # online, parked, not charging: nothing changes
    ASLEEP = "asleep"  # asleep or offline: only the free state check


@dataclass(frozen=True, slots=True)
class PollingIntervals:
    """The user's preferred intervals in seconds (options flow), before the budget applies."""

    active: float = 60.0  # driving or charging
    idle: float = 300.0  # online and parked
    idle_timeout: float = 900.0  # stop data requests after this long idle so the car sleeps
    asleep: float = 300.0  # state check while asleep or offline
    site_live: float = 60.0
    site_info: float = 3600.0


@dataclass(frozen=True, slots=True)
class Plan:
    """The intervals to use now (seconds) and why."""

    active: float
    idle: float
    asleep: float
    site_live: float
    site_info: float
    factor: float  # 1.0 = the preferred intervals; 2.0 = everything half as often
    paused: bool  # budget spent: only free state checks until the month rolls over
    budget_needed_usd: float  # monthly budget that would allow the preferred intervals

    @property
    def throttled(self) -> bool:
        """Whether the budget slows polling below the user's preferred intervals."""
        return self.paused or self.factor > 1.0

    @property
    def beyond_noticeable(self) -> bool:
        """Whether the budget pushes the fast interval beyond 30 minutes."""
        return self.paused or self.active > NOTICEABLE_INTERVAL_S


def request_cost_usd(counts: Mapping[str, int]) -> float:
    """US dollars for billed request counts by category (unknown categories are free)."""
    return sum(counts.get(kind, 0) / per for kind, per in REQUESTS_PER_USD.items())


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of Tesla's billing month (calendar month, UTC) around `now`."""
    now = now.astimezone(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        end = start.replace(year=start.year + 1, month=1)
    else:
        end = start.replace(month=start.month + 1)
    return start, end


def plan(
    *,
    now: datetime,
    budget_usd: float,
    spent_usd: float,
    vehicles: int,
    sites: int,
    intervals: PollingIntervals,
    state_checks_billed: bool = False,
) -> Plan:
    """Intervals that keep the projected month within `budget_usd`.

    Expected use for the rest of the month at the preferred intervals is compared with what is
    left of the budget (minus a reserve for commands); when it does not fit, every data interval
    is stretched by the same factor. Parked and sleeping cars cost nothing beyond the idle
    window, so the money goes where data changes: driving and charging cars and energy flows.
    """
    _, end = month_bounds(now)
    remaining_s = max((end - now).total_seconds(), 1.0)
    month_s = 30 * 86400.0
    per_data_usd = 1 / REQUESTS_PER_USD["data"]

    def data_requests(seconds: float, factor: float) -> float:
        car = EXPECTED_ACTIVE_SHARE * seconds / (
            intervals.active * factor
        ) + EXPECTED_IDLE_SHARE * seconds / (intervals.idle * factor)
        site = seconds / (intervals.site_live * factor) + seconds / (intervals.site_info * factor)
        return vehicles * car + sites * site

    # State checks are free under the default reading; if billed they cannot be stretched
    # (they are what notices a car waking up), so they come off the top.
    fixed = 0.0
    if state_checks_billed:
        asleep_share = 1 - EXPECTED_ACTIVE_SHARE - EXPECTED_IDLE_SHARE
        fixed = vehicles * asleep_share * remaining_s / intervals.asleep

    wanted_month_usd = (data_requests(month_s, 1.0) + fixed * month_s / remaining_s) * per_data_usd
    budget_needed = wanted_month_usd / (1 - COMMAND_RESERVE)

    available_usd = budget_usd * (1 - COMMAND_RESERVE) - spent_usd
    available_requests = available_usd / per_data_usd - fixed
    wanted = data_requests(remaining_s, 1.0)
    if wanted <= 0:
        factor = 1.0
    elif available_requests <= 0:
        factor = math.inf
    else:
        factor = max(1.0, wanted / available_requests)
    paused = factor * intervals.active > MAX_INTERVAL_S

    def stretch(seconds: float) -> float:
        return min(seconds * factor, MAX_INTERVAL_S) if not paused else MAX_INTERVAL_S

    return Plan(
        active=stretch(intervals.active),
        idle=stretch(intervals.idle),
        asleep=intervals.asleep,
        site_live=stretch(intervals.site_live),
        site_info=stretch(intervals.site_info),
        factor=factor,
        paused=paused,
        budget_needed_usd=math.ceil(budget_needed * 100) / 100,
    )
