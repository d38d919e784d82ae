"""The cars' telemetry stream, read from Home Assistant's MQTT integration into the cars' state.

Tesla's reference server (teslamotors/fleet-telemetry, `datastore/mqtt/mqtt.go` and
`mqtt_payload.go`) publishes, under the `topic_base` its configuration names:

- `<base>/<VIN>/v/<Field>`: one message per field of a vehicle-data record, the value as Go's
  `json.Marshal` writes it (no record time: the MQTT dispatcher drops `created_at`);
- `<base>/<VIN>/connectivity`: `{"ConnectionId", "Status": "CONNECTED"|"DISCONNECTED",
  "CreatedAt": RFC 3339}` when the car connects or goes away;
- `<base>/<VIN>/alerts/<name>/current` and `/history`: `{"StartedAt", "EndedAt", "Audiences"}`;
- `<base>/<VIN>/errors/<name>`: `{"Body", "Tags", "CreatedAt"}`.

One subscription (`<base>/#`) through Home Assistant's own MQTT client takes them all. Only this
entry's cars are read; each field goes through its row of `telemetry_fields.FIELDS` (its
`read` turns the value into the `vehicle_data` values it feeds) into the car's state with
source `stream`, so every entity a field can feed follows it. A field's observed time is when
it arrived (the dispatcher sends no record time); a retained message, which may be of any age,
only fills a field nothing else has told. Values that fit no known form, undecodable payloads
and topics of no known shape are counted and dropped; a field this version does not know is
ignored with one debug line. Messages are gathered per car and handed over once a second
(`FLUSH_DELAY_S`; the car itself collects its data in 500 ms buckets), with the streamed
signals counted for the cost meter. Each car's batch is handed over by a timer of its own,
so fifty cars streaming at once are fifty short callbacks, not one long one. Alerts are fired
as `tesla_fleet_direct_vehicle_alert` events; errors are kept for diagnostics.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import time
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later
from homeassistant.util.json import json_loads

from .api.accounting import PRICE_PER_SIGNAL
from .api.car_state import SOURCE_STREAM
from .const import DOMAIN, LOGGER
from .devices import VehicleFleet
from .models import TeslaFleetDirectConfigEntry
from .schedule.stream import MIN_BUSY_SILENCE_S, StreamWatch
from .streaming_upkeep import PENDING, STREAMING, StreamingSettings
from .telemetry_fields import BY_NAME, EVERY, estimate
from .telemetry_values import SKIP, MalformedValueError
from .vehicle_coordinator import TeslaVehicleCoordinator

FLUSH_DELAY_S: Final = 1.0
EVENT_VEHICLE_ALERT: Final = f"{DOMAIN}_vehicle_alert"
# The last errors the cars reported, kept per car for diagnostics.
ERRORS_KEPT: Final = 10
_CONNECTED: Final = "CONNECTED"
_DISCONNECTED: Final = "DISCONNECTED"

type Updates = dict[str, dict[str, Any]]
type SignalCounter = Callable[[str, int], None]


def busy_silence(intervals: Mapping[str, int]) -> float:
    """How long a driving or charging car may stay silent before its stream counts as stopped.

    Twice the longest configured interval among the fields that change all the time while the
    car drives or charges (its position, battery, powers): each of them is due at least that
    often, so the silence means the stream stopped.
    """
    busy = [
        interval
        for name, interval in intervals.items()
        if (row := BY_NAME.get(name)) is not None and EVERY in (row.driving, row.charging)
    ]
    return max(MIN_BUSY_SILENCE_S, 2.0 * max(busy, default=0))


def _timestamp(value: Any) -> float | None:
    """RFC 3339 (Go's `time.RFC3339`) -> epoch seconds; None when it is no such time."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


@dataclass
class StreamCounts:
    """What arrived, per car and in all (diagnostics, the benchmark)."""

    received: int = 0
    # Messages of this entry's cars (what a server publishing only for them sent).
    accepted: int = 0
    signals: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    foreign: int = 0
    unknown_fields: set[str] = field(default_factory=set)


@dataclass
class _Batch:
    """One car's field values waiting for the next hand-over."""

    first_at: float
    fresh: Updates = field(default_factory=dict)
    retained: Updates = field(default_factory=dict)
    signals: int = 0
    # Each car's batch has its own timer: cars are handed over one callback each, so a fleet
    # never holds the event loop for all of its cars at once.
    timer: CALLBACK_TYPE | None = None


class StreamIngest:
    """One entry's subscription to its cars' stream."""

    def __init__(
        self,
        hass: HomeAssistant,
        settings: StreamingSettings,
        fleet: VehicleFleet,
        count_signals: SignalCounter | None = None,
    ) -> None:
        """Read the stream of the `fleet`'s cars under `settings.topic_base`."""
        self.hass = hass
        self.topic_base = settings.topic_base.strip("/")
        self.fleet = fleet
        self._count_signals = count_signals
        self._busy_silence = busy_silence(settings.fields)
        self._keys = streamed_keys(settings.fields)
        # Each car's state as the last send or daily check found it (`streaming`, `pending`...).
        self._configured = dict(settings.cars)
        self.counts = StreamCounts()
        self.watches: dict[str, StreamWatch] = {}
        self.errors: dict[str, deque[dict[str, Any]]] = {}
        self._batches: dict[str, _Batch] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []

    @property
    def received(self) -> int:
        """Every message taken from the broker under the topic base."""
        return self.counts.received

    def watch(self, vin: str) -> StreamWatch:
        """The car's stream watch (created on first use, handed to its coordinator)."""
        found = self.watches.get(vin)
        if found is None:
            found = self.watches[vin] = StreamWatch(
                busy_silence_s=self._busy_silence, keys=self._keys
            )
            found.broker_up = mqtt.is_connected(self.hass)
        coordinator = self.fleet.coordinators.get(vin)
        if coordinator is not None and coordinator.stream is not found:
            coordinator.stream = found
        return found

    async def async_start(self) -> bool:
        """Subscribe once Home Assistant's MQTT client is ready; False if there is none."""
        if not await mqtt.async_wait_for_mqtt_client(self.hass):
            LOGGER.warning(
                "Streaming is set up but Home Assistant's MQTT integration is not: "
                "the cars keep being polled"
            )
            return False
        try:
            unsubscribe = await mqtt.async_subscribe(
                self.hass, f"{self.topic_base}/#", self._on_message, qos=0, encoding=None
            )
        except HomeAssistantError as err:
            LOGGER.warning("Could not subscribe to the cars' stream: %s", err)
            return False
        self._unsubscribe.append(unsubscribe)
        self._unsubscribe.append(mqtt.async_subscribe_connection_status(self.hass, self._on_broker))
        now = time.time()
        for vin, coordinator in self.fleet.coordinators.items():
            if self._configured.get(vin) not in (STREAMING, PENDING):
                continue
            watch = self.watch(vin)
            snapshot = coordinator.data
            if snapshot is not None and coordinator.last_success_at is not None:
                # The first poll already looked at the car: the stream takes it from there.
                watch.adopt(snapshot.online, now)
        LOGGER.debug("Reading the cars' stream under %s/", self.topic_base)
        return True

    @callback
    def async_stop(self) -> None:
        """Unsubscribe and hand over what is waiting (the entry unloads)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._flush()

    # --- messages -------------------------------------------------------------------------

    @callback
    def _on_broker(self, connected: bool) -> None:
        now = time.time()
        for watch in self.watches.values():
            watch.broker(connected, now)
        for vin in self.watches:
            if (coordinator := self.fleet.coordinators.get(vin)) is not None:
                coordinator.async_stream_changed()

    @callback
    def _on_message(self, message: mqtt.ReceiveMessage) -> None:
        self.counts.received += 1
        parts = self._topic_parts(message.topic)
        if parts is None:
            self.counts.malformed += 1
            return
        vin, kind, rest = parts
        if vin not in self.fleet.coordinators:
            # Another account's car on the same broker: never ours to show.
            self.counts.foreign += 1
            return
        self.counts.accepted += 1
        if kind == "v" and len(rest) == 1:
            self._on_field(vin, rest[0], message)
        elif kind == "connectivity" and not rest:
            self._on_connectivity(vin, message.payload)
        elif kind == "alerts" and len(rest) == 2:
            if rest[1] == "current":
                self._on_alert(vin, rest[0], message.payload)
        elif kind == "errors" and len(rest) == 1:
            self._on_error(vin, rest[0], message.payload)
        else:
            self.counts.malformed += 1

    def _topic_parts(self, topic: str) -> tuple[str, str, list[str]] | None:
        prefix = f"{self.topic_base}/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix) :].split("/")
        if len(parts) < 2 or not parts[0]:
            return None
        return parts[0], parts[1], parts[2:]

    def _decode(self, payload: Any) -> tuple[bool, Any]:
        """(True, the JSON value) or (False, None) for a payload that is no JSON."""
        try:
            if isinstance(payload, bytes | bytearray):
                payload = payload.decode()
            return True, json_loads(payload)
        except ValueError, TypeError:
            self.counts.malformed += 1
            return False, None

    def _on_field(self, vin: str, name: str, message: mqtt.ReceiveMessage) -> None:
        now = time.time()
        batch = self._batches.get(vin)
        if batch is None:
            batch = self._batches[vin] = _Batch(first_at=now)
        # Tesla bills every signal it sends, known to this version or not.
        batch.signals += 1
        self.counts.signals[vin] += 1
        row = BY_NAME.get(name)
        if row is None:
            if name not in self.counts.unknown_fields:
                self.counts.unknown_fields.add(name)
                LOGGER.debug("Ignoring streamed field %s (not one this version reads)", name)
            self._schedule_flush(vin, batch)
            return
        ok, raw = self._decode(message.payload)
        values: tuple[Any, ...] = ()
        if ok:
            try:
                values = row.read(raw)
            except MalformedValueError as err:
                self.counts.malformed += 1
                LOGGER.debug("Dropping streamed %s: %s", name, err)
                ok = False
        if ok and len(values) == len(row.feeds):
            target = batch.retained if message.retain else batch.fresh
            for path, value in zip(row.feeds, values, strict=True):
                if value is not SKIP:
                    _put(target, path, value)
        self._schedule_flush(vin, batch)

    def _on_connectivity(self, vin: str, payload: Any) -> None:
        ok, record = self._decode(payload)
        status = record.get("Status") if ok and isinstance(record, Mapping) else None
        if status not in (_CONNECTED, _DISCONNECTED):
            if ok:
                self.counts.malformed += 1
            return
        now = time.time()
        created_at = _timestamp(record.get("CreatedAt"))
        # Hand over the fields first: they were sent before this record arrived.
        self._flush_car(vin)
        watch = self.watch(vin)
        if watch.heard_connectivity(status == _CONNECTED, created_at or now, now):
            if (coordinator := self.fleet.coordinators.get(vin)) is not None:
                coordinator.async_stream_changed()

    def _on_alert(self, vin: str, name: str, payload: Any) -> None:
        ok, alert = self._decode(payload)
        if not ok or not isinstance(alert, Mapping):
            if ok:
                self.counts.malformed += 1
            return
        audiences = alert.get("Audiences")
        self.hass.bus.async_fire(
            EVENT_VEHICLE_ALERT,
            {
                "device_id": self._device_id(vin),
                "name": name,
                "started_at": alert.get("StartedAt"),
                "ended_at": alert.get("EndedAt"),
                "audiences": list(audiences) if isinstance(audiences, list) else [],
            },
        )

    def _on_error(self, vin: str, name: str, payload: Any) -> None:
        ok, error = self._decode(payload)
        if not ok or not isinstance(error, Mapping):
            if ok:
                self.counts.malformed += 1
            return
        kept = self.errors.setdefault(vin, deque(maxlen=ERRORS_KEPT))
        kept.append({"name": name, "body": error.get("Body"), "created_at": error.get("CreatedAt")})
        LOGGER.debug("A car's stream reported error %s", name)

    def _device_id(self, vin: str) -> str | None:
        device = dr.async_get(self.hass).async_get_device(identifiers={(DOMAIN, vin)})
        return device.id if device is not None else None

    # --- hand-over ------------------------------------------------------------------------

    def _schedule_flush(self, vin: str, batch: _Batch) -> None:
        if batch.timer is None:

            @callback
            def _due(_now: Any) -> None:
                batch.timer = None
                self._flush_car(vin)

            batch.timer = async_call_later(self.hass, FLUSH_DELAY_S, _due)

    def _flush(self) -> None:
        for vin in list(self._batches):
            self._flush_car(vin)

    def _flush_car(self, vin: str) -> None:
        batch = self._batches.pop(vin, None)
        if batch is None:
            return
        if batch.timer is not None:
            batch.timer()
            batch.timer = None
        if self._count_signals is not None and batch.signals:
            self._count_signals(vin, batch.signals)
        coordinator = self.fleet.coordinators.get(vin)
        if coordinator is None:
            return
        watch = self.watch(vin)
        if batch.fresh or batch.signals:
            watch.heard_fields(batch.first_at)
        if batch.retained:
            # Of unknown age: fills only what nothing else has told.
            coordinator.async_observe(
                _merged(coordinator, batch.retained), observed_at=0.0, source=SOURCE_STREAM
            )
        if batch.fresh:
            coordinator.async_observe(
                _merged(coordinator, batch.fresh), observed_at=batch.first_at, source=SOURCE_STREAM
            )
        else:
            coordinator.async_stream_changed()

    def diagnostics(self) -> dict[str, Any]:
        """Counts and each car's stream state (VINs are redacted by the caller)."""
        return {
            "topic_base": self.topic_base,
            "received": self.counts.received,
            "accepted": self.counts.accepted,
            "signals": dict(self.counts.signals),
            "malformed": self.counts.malformed,
            "foreign": self.counts.foreign,
            "unknown_fields": sorted(self.counts.unknown_fields),
            "cars": {
                vin: {
                    "connected": watch.connected,
                    "last_heard": watch.last_heard,
                    "stopped": watch.stopped,
                    "broker_up": watch.broker_up,
                    "errors": list(self.errors.get(vin, ())),
                }
                for vin, watch in self.watches.items()
            },
        }


def _put(target: Updates, path: str, value: Any) -> None:
    """Set `section.key` (or `section.key.subkey`) in `target`."""
    section, _, key = path.partition(".")
    target.setdefault(section, {})[key] = value


def _merged(coordinator: TeslaVehicleCoordinator, updates: Updates) -> Updates:
    """Nested keys (`media_info.now_playing_title`) merged into the object the car holds."""
    out: Updates = {}
    car = coordinator.data.car if coordinator.data is not None else None
    for section, values in updates.items():
        flat: dict[str, Any] = {}
        for key, value in values.items():
            outer, dot, inner = key.partition(".")
            if not dot:
                flat[key] = value
                continue
            if outer not in flat:
                held = car.value(section, outer) if car is not None else None
                flat[outer] = dict(held) if isinstance(held, Mapping) else {}
            flat[outer][inner] = value
        out[section] = flat
    return out


def streamed_keys(fields: Iterable[str]) -> frozenset[tuple[str, str]]:
    """The `(section, key)`s the configured fields feed (nested keys by their outer key)."""
    keys: set[tuple[str, str]] = set()
    for name in fields:
        row = BY_NAME.get(name)
        if row is None:
            continue
        for path in row.feeds:
            section, _, key = path.partition(".")
            keys.add((section, key.partition(".")[0]))
    return frozenset(keys)


@callback
def async_start_stream(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
    """Read the cars' stream when streaming is set up (in the background: set-up never waits)."""
    settings = StreamingSettings.from_entry(entry)
    if settings is None or not settings.topic_base.strip("/"):
        return
    data = entry.runtime_data
    ingest = StreamIngest(hass, settings, data.vehicles, data.meter.record_signals)
    streaming_cars = sum(1 for state in settings.cars.values() if state in (STREAMING, PENDING))
    month = estimate(settings.fields) * PRICE_PER_SIGNAL * streaming_cars
    # The budget keeps a typical month of signals back before planning the residual polling.
    data.polling.streaming_month_usd = lambda: month
    data.stream = ingest
    entry.async_on_unload(ingest.async_stop)
    entry.async_create_background_task(hass, ingest.async_start(), f"{DOMAIN} stream")
