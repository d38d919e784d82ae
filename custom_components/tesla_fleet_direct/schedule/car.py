"""When a car is read: pure functions of the car's schedule state, the budget plan and the time.

A poll of a car is two or three steps, each answered here, with the I/O between them done by the
coordinator (`vehicle_coordinator.py`), which keeps the returned `CarSchedule` and sets its timer
to `CarSchedule.interval`:

1. `state_check_needed`: the free state check comes first, except while the car was driving or
   charging at a recent read (it is awake; `vehicle_data` answers 408 if it fell asleep after all).
2. `after_state_check`: what the check found decides whether `vehicle_data` is read now.
   - Asleep or offline: no read; the next check on the account's common marks
     (`seconds_to_mark`), so one vehicle-list read answers for every sleeping car.
   - Online: a read while the car is busy or inside the idle window (`Plan.idle_timeout`) that
     opens when it drove, charged, came online or was sent a command, and at the window's
     closing look. Past the window the car is left quiet so it can fall asleep; a car still
     online then is looked at once an idle timeout after the last read, then every two idle
     timeouts (it may have slept and woken between two state checks unseen).
   - Budget spent (`Plan.paused`): no read until the month rolls over.
3. `after_read` (or `after_fell_asleep` on a 408): the activity found sets the next interval:
   driving or charging at the plan's interval for it, parked at the idle interval, shortened to
   land on the window's close (a drive that began since the last read is caught then, not much
   later), quiet once the closing look found the car parked.

`command_sent` opens a new window (a command woke the car or found it awake); `after_failed_poll`
has the next poll that reaches an online car read it. Nothing here
imports Home Assistant or reads a clock: `now` is epoch seconds, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from .budget import Plan


class Activity(StrEnum):
    """What a car is doing, as far as polling is concerned."""

    DRIVING = "driving"
    CHARGING = "charging"
    IDLE = "idle"  # online, parked, not charging: nothing changes
    ASLEEP = "asleep"  # asleep or offline: only the free state check


class CarPhase(StrEnum):
    """Where a car stands in its schedule, as of its last poll."""

    UNKNOWN = "unknown"  # not seen yet since Home Assistant started
    ASLEEP = "asleep"  # asleep or offline: only state checks, on the account's marks
    DRIVING = "driving"  # read at the driving interval, without state checks
    CHARGING = "charging"  # read at the charging interval, without state checks
    IDLE_WINDOW = "idle_window"  # online and parked inside the idle window: read at idle pace
    CLOSING_LOOK = "closing_look"  # parked; one more read is due as the idle window closes
    PARKED_AWAKE = "parked_awake"  # online and parked past the window: quiet, so it can sleep


ONLINE_PHASES: Final = frozenset(
    {
        CarPhase.DRIVING,
        CarPhase.CHARGING,
        CarPhase.IDLE_WINDOW,
        CarPhase.CLOSING_LOOK,
        CarPhase.PARKED_AWAKE,
    }
)
_BUSY: Final = {Activity.DRIVING: CarPhase.DRIVING, Activity.CHARGING: CarPhase.CHARGING}


@dataclass(frozen=True, slots=True)
class CarSchedule:
    """One car's schedule state: everything the next decision depends on besides plan and time."""

    phase: CarPhase = CarPhase.UNKNOWN
    # Seconds from the last poll to the next; None while the car is not polled at all.
    interval: float | None = None
    # Start of the current activity window: the last time the car drove, charged, came online
    # or was sent a command. Reads stop `Plan.idle_timeout` after it.
    window_start: float | None = None
    # When `vehicle_data` last answered.
    last_read: float | None = None
    # The first look at a car still online after its window comes an idle timeout after the
    # closing look; later ones two idle timeouts apart.
    first_quiet_look: bool = False

    @property
    def online(self) -> bool:
        """Whether the last poll found the car online."""
        return self.phase in ONLINE_PHASES


@dataclass(frozen=True, slots=True)
class CarStep:
    """The answer to a state check: read `vehicle_data` now or not, and the schedule after it.

    With `read` the interval is left as it was: `after_read` or `after_fell_asleep` sets it once
    the read answered (a failed read keeps the timer unchanged).
    """

    read: bool
    schedule: CarSchedule


def seconds_to_mark(period: float, now: float) -> float:
    """Seconds until the next multiple of `period` (epoch time), between half and one and a
    half periods, so every sleeping car of an account is checked at the same moments."""
    wait = period - (now % period)
    return wait + period if wait < period / 2 else wait


def state_check_needed(schedule: CarSchedule, now: float) -> bool:
    """Whether this poll starts with a state check.

    Not while the last read found the car driving or charging within two intervals: it is
    awake, so the check would only repeat that (and is billed under one reading).
    """
    if schedule.phase not in _BUSY.values() or schedule.last_read is None:
        return True
    return now - schedule.last_read > 2 * (schedule.interval or 0.0)


def after_state_check(schedule: CarSchedule, *, online: bool, plan: Plan, now: float) -> CarStep:
    """What to do after the state check (or, for a busy car, in its place with `online`)."""
    if not online:
        asleep = replace(
            schedule,
            phase=CarPhase.ASLEEP,
            window_start=None,
            interval=seconds_to_mark(plan.asleep, now),
        )
        return CarStep(read=False, schedule=asleep)
    if not schedule.online:
        # Just came online (or Home Assistant just started): one prompt look at the car.
        schedule = replace(schedule, window_start=now)
    due, schedule = _read_due(schedule, plan.idle_timeout, now)
    if due and not plan.paused:
        return CarStep(read=True, schedule=schedule)
    # Parked past the idle window (or the budget is spent): quiet, so the car can fall asleep.
    phase = CarPhase.IDLE_WINDOW if _in_window(schedule, plan, now) else CarPhase.PARKED_AWAKE
    quiet = replace(schedule, phase=phase, interval=seconds_to_mark(plan.asleep, now))
    return CarStep(read=False, schedule=quiet)


def after_read(schedule: CarSchedule, activity: Activity, *, plan: Plan, now: float) -> CarSchedule:
    """The schedule after `vehicle_data` answered and showed `activity`."""
    schedule = replace(schedule, last_read=now)
    if (busy := _BUSY.get(activity)) is not None:
        interval = plan.active if activity is Activity.DRIVING else plan.charging
        return replace(schedule, phase=busy, window_start=now, interval=interval)
    if schedule.window_start is None:
        return replace(schedule, phase=CarPhase.PARKED_AWAKE, interval=plan.idle)
    window_left = schedule.window_start + plan.idle_timeout - now
    if window_left <= 0:
        # The closing look found the car parked: quiet now, so it can sleep.
        return replace(
            schedule,
            phase=CarPhase.PARKED_AWAKE,
            window_start=None,
            first_quiet_look=True,
            interval=seconds_to_mark(plan.asleep, now),
        )
    if window_left <= plan.idle:
        # One last look as the window closes: a drive that began since this read (the car was
        # woken to be driven) is caught then, not much later.
        return replace(schedule, phase=CarPhase.CLOSING_LOOK, interval=window_left)
    return replace(schedule, phase=CarPhase.IDLE_WINDOW, interval=plan.idle)


def after_fell_asleep(schedule: CarSchedule, *, plan: Plan, now: float) -> CarSchedule:
    """The schedule after `vehicle_data` answered 408: the car fell asleep since it was seen."""
    return replace(
        schedule,
        phase=CarPhase.ASLEEP,
        window_start=None,
        interval=seconds_to_mark(plan.asleep, now),
    )


def after_failed_poll(schedule: CarSchedule) -> CarSchedule:
    """The schedule after a poll failed (the timer stays as it was).

    What an online car did meanwhile is unknown (a charge or a drive may have started or
    ended): the first poll that reaches it again reads it once, whatever window it was in.
    """
    if not schedule.online:
        return schedule
    return replace(schedule, phase=CarPhase.CLOSING_LOOK)


def command_sent(schedule: CarSchedule, now: float) -> CarSchedule:
    """A command woke the car or found it awake: a new activity window starts."""
    phase = CarPhase.IDLE_WINDOW if schedule.phase is CarPhase.PARKED_AWAKE else schedule.phase
    return replace(schedule, phase=phase, window_start=now)


def _in_window(schedule: CarSchedule, plan: Plan, now: float) -> bool:
    start = schedule.window_start
    return start is not None and now - start < plan.idle_timeout


def _read_due(schedule: CarSchedule, idle_timeout: float, now: float) -> tuple[bool, CarSchedule]:
    """Whether an online car's data is worth a request now, and the schedule once it is asked."""
    if schedule.phase is CarPhase.CLOSING_LOOK:
        return True, replace(schedule, phase=CarPhase.IDLE_WINDOW)
    start = schedule.window_start
    if start is not None and now - start < idle_timeout:
        return True, schedule
    # A car still online a full idle timeout after the last read should be asleep by now unless
    # something keeps it awake (plugged in and charging, Sentry, someone in it), and it may have
    # slept and woken between two state checks unseen: look once then, and every two idle
    # timeouts after, rarely enough that a parked car still gets a full idle timeout of quiet to
    # fall asleep.
    quiet = idle_timeout if schedule.first_quiet_look else 2 * idle_timeout
    if schedule.last_read is None or now - schedule.last_read >= quiet:
        return True, replace(schedule, first_quiet_look=False)
    return False, schedule
