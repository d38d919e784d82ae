"""Whether a car's stream can be trusted right now, and which requests polling still owes it.

While a car streams, its online state comes from the stream's connectivity records and its
fields from the stream; polling steps back to three things:

- a `vehicle_data` read for the fields the stream does not carry (`residual_due`): once per
  connection (the car just woke; not if it was read in the last `WOKE_READ_AFTER_S`) and at
  most every `RESIDUAL_EVERY_S` while it stays online;
- a state check to confirm the stream's picture after a long quiet (`check_due`): an hour after
  the last record of a connected car (a car that sleeps says so with a DISCONNECTED record). A
  car found otherwise than the stream says means the stream missed it (`StreamStop.MISSED`).
  A sleeping car is never checked: if it wakes and cannot reach the server, Tesla reports the
  car's connection error (the upkeep's daily `fleet_telemetry_errors` read and its repair).
  The hourly read of a connected car also checks the stream: a car found driving or charging
  while the stream, silent, said it was parked means the stream stopped (`missed_activity`);
- nothing else: no state checks, no reads of streamed fields, never a wake-up.

At start-up nothing has been heard yet: the first poll's state check is taken as the stream's
word (`adopt`) for a car whose configuration the upkeep found active, so a sleeping car is
left to the stream from the first poll on instead of waiting for it to wake.

The stream counts as stopped (`StreamStop`) when Home Assistant loses its MQTT broker, when a
driving or charging car, whose position or battery changes all the time, has sent nothing for
`busy_silence_s` (twice the longest interval of those fields), or when a check finds the car
other than the stream says; polling then takes over at once, and the first record from the car
makes the stream live again. Pure: no Home Assistant, the time (`now`, epoch seconds) passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

RESIDUAL_EVERY_S: Final = 3600.0
# A car that connects again (it woke) is read once, unless it was read this recently.
WOKE_READ_AFTER_S: Final = 600.0
QUIET_CONNECTED_CHECK_S: Final = 3600.0
# A stopped stream is told to the user (a repair issue) once it stayed stopped this long: a car
# waiting at a long red light sends nothing new for a while, and the next record clears it.
REPAIR_AFTER_S: Final = 10 * 60.0
# Below this, a busy car's silence is normal whatever the intervals.
MIN_BUSY_SILENCE_S: Final = 60.0


class StreamStop(StrEnum):
    """Why a car's stream is not trusted now (the repair issue's translation key suffix)."""

    BROKER = "broker"  # Home Assistant lost its MQTT broker
    SILENT = "silent"  # driving or charging, yet nothing streamed for too long
    MISSED = "missed"  # a state check found the car other than the stream said


@dataclass
class StreamWatch:
    """What one car's stream said and when. The ingest writes it, the car's coordinator reads it."""

    busy_silence_s: float = MIN_BUSY_SILENCE_S
    # The `vehicle_data` (section, key)s the configured fields feed.
    keys: frozenset[tuple[str, str]] = frozenset()
    # The last connectivity record (None: none since Home Assistant started).
    connected: bool | None = None
    # When the current connection began (a field record implies one).
    connected_at: float | None = None
    # The connectivity record's own time, to put late records in order.
    connectivity_at: float | None = None
    # Any record of this car (fields or connectivity) or an adopted check, by its time.
    last_heard: float | None = None
    # The last record the stream itself sent (not an adopted check).
    last_record: float | None = None
    # A state check agreed with the stream.
    checked_at: float | None = None
    broker_up: bool = True
    stopped: StreamStop | None = None
    stopped_at: float | None = None

    def heard_fields(self, now: float) -> None:
        """Field values arrived: the car is connected and the stream flows."""
        self.last_heard = self.last_record = now
        if self.connected is not True:
            self.connected, self.connected_at = True, now
        self._resume()

    def heard_connectivity(self, connected: bool, created_at: float, now: float) -> bool:
        """A connectivity record; False when it is older than the one already taken."""
        if self.connectivity_at is not None and created_at < self.connectivity_at:
            return False
        self.connectivity_at = created_at
        self.last_heard = self.last_record = now
        if connected and self.connected is not True:
            self.connected_at = now
        self.connected = connected
        self._resume()
        return True

    def broker(self, up: bool, now: float) -> None:
        """Home Assistant's MQTT client connected to or lost its broker."""
        self.broker_up = up
        if not up:
            self._stop(StreamStop.BROKER, now)
        elif self.stopped is StreamStop.BROKER:
            # What the broker missed meanwhile is unknown: the next record (or the adopted
            # check) tells; until then the stream is not trusted.
            self.stopped, self.stopped_at = None, None
            self.last_heard = None

    def live(self, now: float, *, busy: bool) -> bool:
        """Whether the stream stands in for polling now (marks a silent busy car stopped)."""
        if not self.broker_up:
            self._stop(StreamStop.BROKER, now)
        if self.stopped is not None or self.last_heard is None:
            return False
        if self.connected and busy and now - self.last_heard > self.busy_silence_s:
            self._stop(StreamStop.SILENT, now)
            return False
        return True

    def adopt(self, online: bool, now: float) -> bool:
        """Take a state check as the stream's first word (nothing heard since start-up).

        False when the stream has spoken already, has stopped, or the broker is away.
        """
        if self.last_heard is not None or self.stopped is not None or not self.broker_up:
            return False
        self.connected = online
        self.connected_at = now if online else None
        self.last_heard = self.checked_at = now
        return True

    def check_due(self, now: float) -> bool:
        """Whether a state check should confirm a live stream's picture of a connected car."""
        if not self.connected:
            return False
        heard = self.last_heard if self.last_heard is not None else now
        since = max(heard, self.checked_at or 0.0)
        return now - since >= QUIET_CONNECTED_CHECK_S

    def checked(self, online: bool, now: float) -> None:
        """What the state check found: agreeing confirms the stream, else it missed the car."""
        if online == bool(self.connected):
            self.checked_at = now
        else:
            self._stop(StreamStop.MISSED, now)

    def missed_activity(self, polled_busy: bool, streamed_busy: bool, now: float) -> bool:
        """A read found the car driving or charging while the stream, silent, said it was not.

        Such a car changes all the time: silence beyond `busy_silence_s` means the stream
        stopped (it went down while the car was parked, so its silence looked normal).
        """
        silent = self.last_heard is None or now - self.last_heard > self.busy_silence_s
        if polled_busy and not streamed_busy and silent:
            self._stop(StreamStop.MISSED, now)
            return True
        return False

    def residual_due(self, last_read: float | None, now: float) -> bool:
        """Whether the fields the stream does not carry are to be read now (car online)."""
        if not self.connected:
            return False
        if last_read is None:
            return True
        woke = self.connected_at is not None and last_read < self.connected_at
        return now - last_read >= (WOKE_READ_AFTER_S if woke else RESIDUAL_EVERY_S)

    def repair_due(self, now: float) -> bool:
        """Whether the stop has lasted long enough to tell the user."""
        return self.stopped_at is not None and now - self.stopped_at >= REPAIR_AFTER_S

    def _stop(self, reason: StreamStop, now: float) -> None:
        if self.stopped is None:
            self.stopped, self.stopped_at = reason, now

    def _resume(self) -> None:
        if self.broker_up:
            self.stopped, self.stopped_at = None, None
