"""One coordinator per car: the reads `schedule.car` asks for, never a wake-up.

Each poll asks the car's schedule whether to check the car's state, whether to read
`vehicle_data` (only for the endpoints enabled entities need) and when to poll next; this module
sends those requests, keeps what Tesla answered and maps failures. `wake_up` is never called
from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
import time
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api.car_state import SOURCE_COMMAND, SOURCE_POLL, SOURCE_STREAM, CarState
from .api.errors import NotFoundError, TeslaFleetError, VehicleUnavailableError
from .api.vehicle import VehicleApi
from .api.vehicle_data import ChargingState
from .const import DOMAIN, LOGGER
from .polling import AccountPolling
from .schedule import car as schedule
from .schedule.car import Activity, CarSchedule
from .schedule.stream import RESIDUAL_EVERY_S, StreamWatch
from .stream_issues import async_update_stream_issue
from .update_failures import VEHICLE_FAILURES, PollFailures, TeslaPollingCoordinator
from .vehicle_states import AccountVehicleStates

ONLINE = "online"
OFFLINE = "offline"
# The endpoints every poll of an online car includes: they decide the activity (and so the
# interval), whatever entities are enabled.
ACTIVITY_ENDPOINTS = frozenset({"charge_state", "drive_state"})
LOCATION_ENDPOINT = "location_data"
SCOPE_LOCATION = "vehicle_location"
SCOPE_DATA = "vehicle_device_data"
DRIVING_SHIFT_STATES = frozenset({"D", "R", "N"})
# Entities stay available through this many missed polls (or at least this long).
STALE_AFTER_INTERVALS = 3
STALE_AFTER_MIN_S = 15 * 60.0
# While the stream stands in for polling, the coordinator only looks at it (no request) this
# often: soon enough to notice a silent stream of a busy car within its polling interval.
STREAM_LOOK_BUSY_S = 15.0
STREAM_LOOK_S = 60.0
BUSY_ACTIVITIES = frozenset({Activity.DRIVING, Activity.CHARGING})


class VehicleReader(Protocol):
    """The reads of one car; methods raise the client's `TeslaFleetError` subclasses."""

    async def state(self) -> str:
        """`online`, `asleep` or `offline` from the free single-vehicle endpoint."""

    async def vehicle_data(self, endpoints: Collection[str]) -> Mapping[str, Any]:
        """The `vehicle_data` response (sections by name) for the given endpoints."""


class ClientVehicleReader:
    """`VehicleReader` over the client's `VehicleApi` (never its wake-up or commands)."""

    def __init__(self, api: VehicleApi, states: AccountVehicleStates | None = None) -> None:
        """Read the car `api` addresses; its state from the account's shared list if given."""
        self._api = api
        self._states = states

    async def state(self) -> str:
        """The state check; never wakes the car. From the vehicle list the account's cars
        share, or the car's own endpoint when the list does not name it."""
        if self._states is not None and (known := await self._states.state_of(self._api.vin)):
            return known
        return (await self._api.state()).state

    async def vehicle_data(self, endpoints: Collection[str]) -> Mapping[str, Any]:
        """One billed data request for exactly `endpoints`."""
        return (await self._api.vehicle_data(endpoints)).raw


@dataclass(frozen=True, slots=True)
class VehicleSnapshot:
    """What the entities read: the car's online state and what is known of its fields."""

    state: str
    activity: Activity
    # Every field Tesla sent (or a command is expected to have set), kept while the car sleeps.
    car: CarState = field(default_factory=CarState)
    # When `vehicle_data` last answered.
    data_time: float | None = None

    @property
    def online(self) -> bool:
        """Whether Tesla reports the car online."""
        return self.state == ONLINE

    @property
    def data(self) -> dict[str, dict[str, Any]]:
        """The held fields by section, as Tesla sends them (diagnostics and tests)."""
        return self.car.sections()


def activity_of(car: CarState) -> Activity:
    """Driving, charging or idle, from an online car's charge and drive state."""
    drive = car.drive
    if drive.shift_state in DRIVING_SHIFT_STATES or (drive.speed or 0) > 0:
        return Activity.DRIVING
    if car.charge.state in (ChargingState.CHARGING, ChargingState.STARTING):
        return Activity.CHARGING
    return Activity.IDLE


def software_version(value: Any) -> str | None:
    """The car's software version without the build hash ("2025.20.6 1a2b3c4d5e" -> "2025.20.6")."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.split()[0]


class TeslaVehicleCoordinator(TeslaPollingCoordinator[VehicleSnapshot]):
    """Polls one car as the account's budget and the car's activity allow."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: ConfigEntry,
        reader: VehicleReader,
        *,
        vin: str,
        account_id: str,
        device_info: DeviceInfo,
        scopes: Collection[str],
        polling: AccountPolling,
        initial_state: str = "unknown",
    ) -> None:
        """Set up the polling of one car (no request is sent here)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            # Home Assistant's "Fetching ... data recovered" line names the car.
            name=f"{DOMAIN} {device_info.get('name') or 'vehicle'}",
            update_interval=timedelta(seconds=polling.intervals.asleep),
        )
        self.failures = PollFailures(
            hass,
            config_entry,
            VEHICLE_FAILURES,
            holder=f"vehicle_{vin}",
            product=lambda: self._display_name,
        )
        self.reader = reader
        self.vin = vin
        self.account_id = account_id
        self.device_info = device_info
        self.scopes = frozenset(scopes)
        self.polling = polling
        self._wanted: Counter[str] = Counter()
        # When the car is read next, and why (`schedule.car`).
        self.schedule = CarSchedule(interval=polling.intervals.asleep)
        self.last_success_at: float | None = None
        # What the products list said; all that is known without the data scope.
        self._initial_state = initial_state
        # Called on a 404 (the car is not on this account any more?); set by the fleet.
        self.on_gone: Callable[[], None] | None = None
        # The version last written to the device registry (written only when it changes).
        self._sw_version: str | None = None
        # The car's telemetry stream (set by the entry's `StreamIngest`), and whether the last
        # poll left the car to it.
        self.stream: StreamWatch | None = None
        self._stream_polled = False

    @property
    def data_allowed(self) -> bool:
        """Whether the user granted live vehicle data (without it only the state is known)."""
        return SCOPE_DATA in self.scopes

    @property
    def location_allowed(self) -> bool:
        """Whether the user granted the location scope."""
        return SCOPE_LOCATION in self.scopes

    @callback
    def async_want_endpoints(self, endpoints: Collection[str]) -> Callable[[], None]:
        """Register endpoints an enabled entity needs; returns the function that drops them."""
        wanted = [e for e in endpoints if e != LOCATION_ENDPOINT or self.location_allowed]
        self._wanted.update(wanted)

        @callback
        def _drop() -> None:
            self._wanted.subtract(wanted)

        return _drop

    @property
    def endpoints(self) -> frozenset[str]:
        """What the next `vehicle_data` request asks for."""
        return ACTIVITY_ENDPOINTS | {name for name, count in self._wanted.items() if count > 0}

    @property
    def streaming(self) -> bool:
        """Whether the car's stream stands in for polling now."""
        return self.stream is not None and self.stream.live(time.time(), busy=self._busy())

    def _busy(self) -> bool:
        snapshot: VehicleSnapshot | None = self.data
        return snapshot is not None and snapshot.activity in BUSY_ACTIVITIES

    @property
    def has_fresh_data(self) -> bool:
        """Whether the car was reached recently enough for its entities to be shown."""
        if self.streaming:
            # The stream tells every change (and whether the car is online) as it happens.
            return True
        if self.last_success_at is None:
            # Nothing yet this run: restored values stand in until the first answer.
            return self.data is None or self.last_update_success
        return time.time() - self.last_success_at <= self._stale_after()

    def _stale_after(self) -> float:
        interval = self.update_interval.total_seconds() if self.update_interval else 0.0
        return max(STALE_AFTER_INTERVALS * interval, STALE_AFTER_MIN_S)

    async def async_command_sent(
        self, updates: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        """After a command: show its expected effect at once, then confirm with a prompt poll.

        `updates` are vehicle data fields by section, e.g. `{"vehicle_state": {"locked": True}}`.
        The command woke the car (or it was awake), so a new activity window starts.
        """
        self.schedule = schedule.command_sent(self.schedule, time.time())
        if updates:
            self.async_observe(updates, observed_at=time.time(), source=SOURCE_COMMAND)
        await self.async_request_refresh()

    @callback
    def async_observe(
        self, sections: Mapping[str, Mapping[str, Any]], *, observed_at: float, source: str
    ) -> None:
        """Take fields from any source besides the poll (a command, a stream); entities follow.

        A field keeps its value when the one held was observed later.
        """
        snapshot: VehicleSnapshot | None = self.data
        if snapshot is None:
            return
        car = snapshot.car.updated(sections, observed_at=observed_at, source=source)
        if source == SOURCE_STREAM and observed_at > 0:
            # Fields only stream from a connected (so online) car.
            snapshot = replace(snapshot, state=ONLINE, activity=activity_of(car))
            self.last_success_at = max(self.last_success_at or 0.0, observed_at)
        self.async_set_updated_data(replace(snapshot, car=car))

    @callback
    def async_stream_changed(self) -> None:
        """The stream connected, went away or stopped: show it, or let polling take over."""
        snapshot: VehicleSnapshot | None = self.data
        if snapshot is None or self.stream is None:
            return
        if not self.streaming:
            if self._stream_polled:
                # Polling takes over at once.
                self.config_entry.async_create_background_task(
                    self.hass, self.async_request_refresh(), f"{DOMAIN} stream stopped"
                )
            return
        connected = bool(self.stream.connected)
        state = ONLINE if connected else "asleep"
        activity = activity_of(snapshot.car) if connected else Activity.ASLEEP
        self.last_success_at = time.time()
        self.async_set_updated_data(replace(snapshot, state=state, activity=activity))
        if connected and self.stream.residual_due(snapshot.data_time, time.time()):
            # Just woke: the fields the stream does not carry are read once now.
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{DOMAIN} stream connected"
            )

    async def _async_update_data(self) -> VehicleSnapshot:
        try:
            snapshot = await self._async_poll()
        except UpdateFailed, ConfigEntryAuthFailed:
            # What the car did meanwhile is unknown: the first poll that reaches it reads it.
            self.schedule = schedule.after_failed_poll(self.schedule)
            self.async_failed()
            raise
        self.async_succeeded()
        if self.data_allowed:
            # Only an answer from Tesla says anything about the account (the token, refusals).
            self.failures.succeeded()
        return snapshot

    def seconds_until_stale(self) -> float | None:
        """How long the entities may still show what the car last said."""
        if self.data is None or self.last_success_at is None:
            return None
        return self._stale_after() - (time.time() - self.last_success_at)

    async def _async_poll(self) -> VehicleSnapshot:
        if not self.data_allowed:
            # Tesla refuses even the state check without vehicle_device_data: nothing to poll.
            self.update_interval = None
            return self._keep(self.data, self._initial_state, Activity.ASLEEP)
        previous: VehicleSnapshot | None = self.data
        stream = self.stream
        known_state: str | None = None
        if stream is not None:
            now = time.time()
            if stream.live(now, busy=self._busy()):
                streamed = await self._async_stream_poll(previous, stream, now)
                if isinstance(streamed, VehicleSnapshot):
                    return streamed
                # A check found the car otherwise than the stream said: polling takes over.
                known_state = streamed
            async_update_stream_issue(
                self.hass, self.config_entry, self.vin, self._display_name, stream=stream, now=now
            )
            if self._stream_polled:
                # Polling takes over: the car's schedule starts afresh, so an online car is read.
                self._stream_polled = False
                self.schedule = CarSchedule(interval=self.schedule.interval)
        check = known_state is None and schedule.state_check_needed(self.schedule, time.time())
        if known_state is not None:
            state = known_state
        elif check:
            try:
                state = await self.reader.state()
            except TeslaFleetError as err:
                raise self._failed(err) from err
            if stream is not None and stream.adopt(state == ONLINE, time.time()):
                # Nothing streamed since start-up: the stream stands in from the next poll.
                self._stream_polled = True
        else:
            # Driving or charging at the last look: the car is awake. `vehicle_data` answers
            # 408 if it fell asleep after all.
            state = ONLINE
        now = time.time()
        if check or known_state is not None:
            self.last_success_at = now
        plan = self.polling.plan()

        self._log_reachability(previous, state)
        step = schedule.after_state_check(self.schedule, online=state == ONLINE, plan=plan, now=now)
        self.schedule = step.schedule
        if not step.read:
            self._follow_schedule()
            activity = Activity.IDLE if state == ONLINE else Activity.ASLEEP
            return self._keep(previous, state, activity)

        try:
            fresh = await self.reader.vehicle_data(sorted(self.endpoints))
        except VehicleUnavailableError:
            # The car fell asleep between the state check (or the last busy poll) and now.
            self.last_success_at = now
            self.schedule = schedule.after_fell_asleep(self.schedule, plan=plan, now=now)
            self._follow_schedule()
            return self._keep(previous, "asleep", Activity.ASLEEP)
        except TeslaFleetError as err:
            raise self._failed(err) from err
        self.last_success_at = now
        held = previous.car if previous else CarState()
        car = held.updated(fresh, observed_at=now, source=SOURCE_POLL)
        activity = activity_of(car)
        self.schedule = schedule.after_read(self.schedule, activity, plan=plan, now=now)
        self._follow_schedule()
        snapshot = VehicleSnapshot(state=state, activity=activity, car=car, data_time=now)
        self._note_software_version(snapshot)
        return snapshot

    async def _async_stream_poll(
        self, previous: VehicleSnapshot | None, stream: StreamWatch, now: float
    ) -> VehicleSnapshot | str:
        """A poll while the stream stands in: only what the stream cannot tell.

        A state (`online`, `asleep`) instead of a snapshot: a check found the car otherwise
        than the stream said, and polling takes over from what it found.
        """
        self._stream_polled = True
        async_update_stream_issue(
            self.hass, self.config_entry, self.vin, self._display_name, stream=stream, now=now
        )
        connected = bool(stream.connected)
        held = previous.car if previous is not None else CarState()
        data_time = previous.data_time if previous is not None else None
        plan = self.polling.plan()
        residual = connected and not plan.paused and stream.residual_due(data_time, now)
        if stream.check_due(now) and not residual:
            try:
                checked = await self.reader.state()
            except TeslaFleetError as err:
                raise self._failed(err) from err
            stream.checked(checked == ONLINE, now)
            if stream.stopped is not None:
                return checked
        if residual:
            try:
                fresh = await self.reader.vehicle_data(sorted(self.endpoints))
            except VehicleUnavailableError:
                # Asleep after all: the stream missed the car going away.
                stream.checked(False, now)
                return "asleep"
            except TeslaFleetError as err:
                raise self._failed(err) from err
            polled = activity_of(CarState().updated(fresh, observed_at=now, source=SOURCE_POLL))
            if stream.missed_activity(
                polled in BUSY_ACTIVITIES, activity_of(held) in BUSY_ACTIVITIES, now
            ):
                # Driving or charging, and the stream said nothing of it: it stopped.
                return ONLINE
            stream.checked(True, now)
            held = held.updated(
                _not_streamed(fresh, held, stream.keys, now), observed_at=now, source=SOURCE_POLL
            )
            data_time = now
            self._note_software_version_of(held)
        self.last_success_at = now
        activity = activity_of(held) if connected else Activity.ASLEEP
        look = STREAM_LOOK_BUSY_S if activity in BUSY_ACTIVITIES else STREAM_LOOK_S
        self.update_interval = timedelta(seconds=look)
        return VehicleSnapshot(
            state=ONLINE if connected else "asleep",
            activity=activity,
            car=held,
            data_time=data_time,
        )

    def _note_software_version_of(self, car: CarState) -> None:
        self._note_software_version(VehicleSnapshot(state=ONLINE, activity=Activity.IDLE, car=car))

    def _note_software_version(self, snapshot: VehicleSnapshot) -> None:
        """Keep the device's software version (shown on its device page) in step with the car."""
        version = software_version(snapshot.car.vehicle.car_version)
        if version is None or version == self._sw_version:
            return
        self._sw_version = version
        registry = dr.async_get(self.hass)
        device = registry.async_get_device_by_identifier(
            (DOMAIN, self.vin), self.config_entry.entry_id
        )
        if device is not None:
            registry.async_update_device(device.id, sw_version=version)

    def _log_reachability(self, previous: VehicleSnapshot | None, state: str) -> None:
        """Once when the car loses its connection, once when it is back (sleep is normal)."""
        was_offline = previous is not None and previous.state == OFFLINE
        if state == OFFLINE and not was_offline:
            LOGGER.info("%s is offline (no connection to Tesla)", self._display_name)
        elif was_offline and state != OFFLINE:
            LOGGER.info("%s is reachable again", self._display_name)

    @property
    def _display_name(self) -> str:
        return str(self.device_info.get("name") or "A car")

    def _follow_schedule(self) -> None:
        """Poll next when the car's schedule says."""
        interval = self.schedule.interval
        self.update_interval = timedelta(seconds=interval) if interval is not None else None

    @staticmethod
    def _keep(previous: VehicleSnapshot | None, state: str, activity: Activity) -> VehicleSnapshot:
        if previous is None:
            return VehicleSnapshot(state=state, activity=activity)
        return replace(previous, state=state, activity=activity)

    def _failed(self, err: TeslaFleetError) -> UpdateFailed | ConfigEntryAuthFailed:
        if isinstance(err, NotFoundError) and self.on_gone is not None:
            # The car may have left the account: let the products list decide (stale device).
            self.on_gone()
        return self.failures.failed(err)


def _not_streamed(
    fresh: Mapping[str, Any],
    held: CarState,
    streamed: frozenset[tuple[str, str]],
    now: float,
) -> dict[str, Any]:
    """A `vehicle_data` answer without the fields the stream told within the last hour.

    The stream pays for those; the read is for the others (and for a streamed field silent
    for an hour, which the read then confirms).
    """
    out: dict[str, Any] = {}
    for section, values in fresh.items():
        if not isinstance(values, Mapping):
            continue
        out[section] = {
            key: value
            for key, value in values.items()
            if (section, key) not in streamed
            or held.source(section, key) != SOURCE_STREAM
            or now - (held.observed_at(section, key) or 0.0) > RESIDUAL_EVERY_S
        }
    return out
