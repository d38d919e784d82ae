"""When a car and a site are read, driven through the pure schedule without Home Assistant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
import itertools

import pytest

from custom_components.tesla_fleet_direct.schedule import site
from custom_components.tesla_fleet_direct.schedule.budget import Plan, PollingIntervals, plan
from custom_components.tesla_fleet_direct.schedule.car import (
    Activity,
    CarPhase,
    CarSchedule,
    after_failed_poll,
    after_fell_asleep,
    after_read,
    after_state_check,
    command_sent,
    seconds_to_mark,
    state_check_needed,
)

DEFAULTS = PollingIntervals()
# A moment on a 10-minute mark (epoch seconds), early in a month.
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()


def _plan(*, budget_usd: float = 10.0, spent_usd: float = 0.0) -> Plan:
    return plan(
        now=datetime.fromtimestamp(T0, UTC),
        budget_usd=budget_usd,
        spent_usd=spent_usd,
        vehicles=1,
        intervals=DEFAULTS,
    )


PREFERRED = _plan()


class Car:
    """One car's schedule, stepped like the coordinator steps it; `now` moves by each interval."""

    def __init__(self, plan: Plan = PREFERRED, now: float = T0) -> None:
        self.plan = plan
        self.now = now
        self.schedule = CarSchedule(interval=DEFAULTS.asleep)
        self.reads: list[float] = []

    def phase(self) -> CarPhase:
        return self.schedule.phase

    def wait(self) -> None:
        assert self.schedule.interval is not None
        self.now += self.schedule.interval

    def poll(self, *, online: bool = True, activity: Activity = Activity.IDLE) -> bool:
        """One poll; whether `vehicle_data` was read."""
        step = after_state_check(self.schedule, online=online, plan=self.plan, now=self.now)
        self.schedule = step.schedule
        if step.read:
            self.reads.append(self.now)
            self.schedule = after_read(self.schedule, activity, plan=self.plan, now=self.now)
        return step.read


def test_a_sleeping_car_is_only_checked_on_the_accounts_marks() -> None:
    car = Car(now=T0 + 125)
    assert not car.poll(online=False)
    assert car.phase() is CarPhase.ASLEEP
    # The next ten-minute mark: every sleeping car of the account is checked then.
    assert car.schedule.interval == 600 - 125
    car.wait()
    assert not car.poll(online=False)
    assert car.schedule.interval == DEFAULTS.asleep


@pytest.mark.parametrize("now", [0.0, 1.0, 299.0, 300.0, 301.0, 599.9, 1234.5])
def test_marks_are_common_and_between_half_and_one_and_a_half_periods(now: float) -> None:
    wait = seconds_to_mark(600, now)
    assert 300 <= wait <= 900
    assert (now + wait) % 600 == pytest.approx(0, abs=1e-6)


def test_a_parked_car_is_read_through_its_idle_window_then_left_to_sleep() -> None:
    car = Car()
    car.poll(online=False)
    car.wait()
    # It woke up: read at once, then every idle interval until the window closes.
    assert car.poll()
    assert car.phase() is CarPhase.IDLE_WINDOW
    assert car.schedule.interval == DEFAULTS.idle
    woke = car.now
    car.wait()
    assert car.poll()
    car.wait()
    assert car.poll()
    # The last read before the close lands the next one exactly on it.
    assert car.phase() is CarPhase.CLOSING_LOOK
    assert car.now + car.schedule.interval == woke + DEFAULTS.idle_timeout
    car.wait()
    assert car.poll()
    assert car.reads == [woke, woke + 300, woke + 600, woke + 900]
    # The closing look found it parked: quiet on the marks, so it can fall asleep.
    assert car.phase() is CarPhase.PARKED_AWAKE
    assert car.schedule.interval == seconds_to_mark(DEFAULTS.asleep, car.now)
    # Still online: looked at once an idle timeout after the closing look, then every two.
    for _ in range(12):
        car.wait()
        car.poll()
    quiet_reads = car.reads[4:]
    assert quiet_reads[0] - car.reads[3] == DEFAULTS.idle_timeout
    assert [b - a for a, b in itertools.pairwise(quiet_reads)] == [2 * DEFAULTS.idle_timeout] * (
        len(quiet_reads) - 1
    )


def test_a_drive_starting_late_in_the_window_is_caught_as_it_closes() -> None:
    car = Car()
    car.poll()
    car.wait()
    car.poll()
    car.wait()
    car.poll()
    assert car.phase() is CarPhase.CLOSING_LOOK
    car.wait()
    assert car.poll(activity=Activity.DRIVING)
    assert car.phase() is CarPhase.DRIVING
    assert car.schedule.interval == DEFAULTS.active


@pytest.mark.parametrize(
    ("activity", "phase", "interval"),
    [
        (Activity.DRIVING, CarPhase.DRIVING, DEFAULTS.active),
        (Activity.CHARGING, CarPhase.CHARGING, DEFAULTS.charging),
    ],
)
def test_a_busy_car_is_read_at_its_interval_without_state_checks(
    activity: Activity, phase: CarPhase, interval: float
) -> None:
    car = Car()
    assert car.poll(activity=activity)
    assert car.phase() is phase
    assert car.schedule.interval == interval
    # Awake for sure while the last read is recent: no state check before the next read.
    assert not state_check_needed(car.schedule, car.now + 2 * interval)
    # A late timer (Home Assistant was busy, a request failed): check again first.
    assert state_check_needed(car.schedule, car.now + 2 * interval + 1)


def test_a_busy_car_keeps_its_window_open_until_it_parks() -> None:
    car = Car()
    for _ in range(20):
        car.poll(activity=Activity.CHARGING)
        car.wait()
    parked_at = car.now
    assert car.poll()
    assert car.schedule.window_start == parked_at - DEFAULTS.charging
    assert car.phase() is CarPhase.IDLE_WINDOW


def test_a_tight_budget_stretches_the_charging_interval() -> None:
    tight = _plan(budget_usd=10.0, spent_usd=8.5)
    assert tight.charging > DEFAULTS.charging
    car = Car(plan=tight)
    car.poll(activity=Activity.CHARGING)
    assert car.schedule.interval == tight.charging


def test_a_spent_budget_reads_nothing_until_the_month_rolls_over() -> None:
    spent = _plan(budget_usd=10.0, spent_usd=10.0)
    assert spent.paused
    car = Car(plan=spent)
    assert not car.poll()
    # Online and in its window, but unread; polled again only on the state-check marks.
    assert car.phase() is CarPhase.IDLE_WINDOW
    assert car.schedule.interval == seconds_to_mark(DEFAULTS.asleep, car.now)


def test_a_car_falling_asleep_before_its_read_goes_back_to_the_marks() -> None:
    car = Car()
    car.poll(activity=Activity.DRIVING)
    car.wait()
    assert not state_check_needed(car.schedule, car.now)
    step = after_state_check(car.schedule, online=True, plan=PREFERRED, now=car.now)
    assert step.read
    asleep = after_fell_asleep(step.schedule, plan=PREFERRED, now=car.now)
    assert asleep.phase is CarPhase.ASLEEP
    assert asleep.window_start is None
    assert asleep.interval == seconds_to_mark(DEFAULTS.asleep, car.now)


def test_a_failed_read_leaves_the_timer_and_the_next_poll_still_looks() -> None:
    car = Car()
    car.poll(online=False)
    car.wait()
    step = after_state_check(car.schedule, online=True, plan=PREFERRED, now=car.now)
    assert step.read
    # The read failed: the timer is the sleeping car's, and the car counts as not yet seen
    # online, so the next check opens its window again.
    assert step.schedule.interval == car.schedule.interval
    assert not step.schedule.online
    car.schedule = step.schedule
    car.wait()
    assert car.poll()
    assert car.schedule.window_start == car.now


def test_a_failed_poll_has_the_next_poll_that_reaches_the_car_read_it() -> None:
    car = Car()
    car.poll()
    car.wait()
    car.poll()
    # A read in the middle of the window failed: the next poll reads whatever the window says.
    car.schedule = after_failed_poll(replace(car.schedule, window_start=car.now - 10_000))
    assert car.phase() is CarPhase.CLOSING_LOOK
    car.wait()
    assert car.poll()
    # A car not seen online is left as it was: its next check opens a window anyway.
    asleep = CarSchedule(phase=CarPhase.ASLEEP, interval=600.0)
    assert after_failed_poll(asleep) == asleep


def test_a_command_to_a_quiet_car_opens_a_new_window() -> None:
    quiet = CarSchedule(
        phase=CarPhase.PARKED_AWAKE, interval=600.0, last_read=T0 - 1000, first_quiet_look=False
    )
    assert not after_state_check(quiet, online=True, plan=PREFERRED, now=T0).read
    woken = command_sent(quiet, T0)
    assert woken.phase is CarPhase.IDLE_WINDOW
    assert after_state_check(woken, online=True, plan=PREFERRED, now=T0 + 10).read


def test_a_command_never_hides_a_busy_car() -> None:
    driving = replace(CarSchedule(), phase=CarPhase.DRIVING, interval=120.0, last_read=T0)
    assert command_sent(driving, T0 + 5).phase is CarPhase.DRIVING
    assert not state_check_needed(command_sent(driving, T0 + 5), T0 + 120)


def test_a_car_not_seen_online_always_gets_a_state_check() -> None:
    for phase in (CarPhase.UNKNOWN, CarPhase.ASLEEP):
        assert not CarSchedule(phase=phase).online
        assert state_check_needed(CarSchedule(phase=phase), T0)


def test_a_site_reads_live_status_every_poll_and_settings_hourly_or_after_a_command() -> None:
    schedule = site.SiteSchedule()
    assert site.poll_interval(PREFERRED) == DEFAULTS.site_live
    assert site.site_info_due(schedule, PREFERRED, T0)
    schedule = site.after_site_info(schedule, T0)
    assert not site.site_info_due(schedule, PREFERRED, T0 + DEFAULTS.site_info - 1)
    assert site.site_info_due(schedule, PREFERRED, T0 + DEFAULTS.site_info)
    schedule = site.command_sent(schedule)
    assert site.site_info_due(schedule, PREFERRED, T0 + 30)


def test_a_spent_budget_never_slows_a_site() -> None:
    spent = _plan(budget_usd=10.0, spent_usd=10.0)
    assert site.poll_interval(spent) == DEFAULTS.site_live
    assert site.site_info_due(
        site.SiteSchedule(info_read_at=T0, info_wanted=False), spent, T0 + 3600
    )
