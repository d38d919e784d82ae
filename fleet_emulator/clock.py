"""The emulator's virtual clock: real time plus an offset that tests move."""

from __future__ import annotations

from datetime import datetime, timedelta
import os
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# `FLEET_EMULATOR_START` (or `python -m fleet_emulator --start`) makes the emulator begin at
# another moment than now: the suite and the dev instance can then be run "at" any hour.
START_ENV = "FLEET_EMULATOR_START"
# A bare "HH:MM" is read in the default scenario's zone (the cars and the site are in California).
DEFAULT_START_ZONE = "America/Los_Angeles"
_HALF_DAY_S = 12 * 3600


class StartTimeError(ValueError):
    """A start time the emulator cannot read."""


def parse_start(value: str, now: float) -> float:
    """Epoch seconds for `value`: epoch seconds, ISO 8601 with offset, or `HH:MM [Area/City]`.

    A time of day is the occurrence of that local time nearest to `now` (at most 12 hours
    away), so the emulator's clock stays close to the host's.
    """
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    clock_part, _, zone_name = text.partition(" ")
    if ":" in clock_part and clock_part.replace(":", "").isdigit():
        try:
            zone = ZoneInfo(zone_name.strip() or DEFAULT_START_ZONE)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise StartTimeError(f"unknown time zone in start time {value!r}") from err
        hour, _, minute = clock_part.partition(":")
        if not (0 <= int(hour) <= 23 and 0 <= int(minute or 0) <= 59):
            raise StartTimeError(f"start time {value!r} is not a time of day")
        local = datetime.fromtimestamp(now, zone)
        moment = local.replace(hour=int(hour), minute=int(minute or 0), second=0, microsecond=0)
        # Pick the occurrence within half a day of now (yesterday's, today's or tomorrow's).
        if moment.timestamp() - now > _HALF_DAY_S:
            moment -= timedelta(days=1)
        elif now - moment.timestamp() > _HALF_DAY_S:
            moment += timedelta(days=1)
        return moment.timestamp()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise StartTimeError(
            f"start time {value!r}: use epoch seconds, ISO 8601 or 'HH:MM [Area/City]'"
        ) from err
    if parsed.tzinfo is None:
        raise StartTimeError(f"start time {value!r} needs a UTC offset or a zone")
    return parsed.timestamp()


class Clock:
    """Epoch seconds that follow `time.time()` (so freezegun moves them) plus an offset."""

    def __init__(self, start: float | None = None) -> None:
        """Start at `start` (epoch seconds), else at `FLEET_EMULATOR_START`, else in step."""
        self.offset = 0.0
        if start is None:
            configured = os.environ.get(START_ENV, "").strip()
            if configured:
                start = parse_start(configured, time.time())
        if start is not None:
            self.offset = start - time.time()

    def now(self) -> float:
        """The emulator's current time, epoch seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back: the simulation only runs forwards)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        """Jump to an absolute time (forward only)."""
        return self.advance(max(0.0, epoch - self.now()))

    def __call__(self) -> float:
        """Let the clock be passed where a `() -> float` time source is expected."""
        return self.now()
