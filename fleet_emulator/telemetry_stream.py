"""Fleet Telemetry streaming: the cars send, a stand-in for Tesla's server publishes to MQTT.

A car with a synced, trusted configuration streams to the `hostname:port` it names. Tests and
the dev instance tell the emulator what runs there (`add_server`, or the admin API
`/_emulator/telemetry_servers`): an MQTT broker and the settings of the reference server's MQTT
dispatcher (teslamotors/fleet-telemetry `datastore/mqtt/`: `topic_base`, `qos`, `retained`,
`client_id`, `username`, `password`). The emulator then publishes what that server would:

- `<topic_base>/<VIN>/v/<Field>`: one message per field of a `V` record, the value as Go's
  `json.Marshal` writes it (`telemetry_signals.py`);
- `<topic_base>/<VIN>/connectivity`: `{"ConnectionId", "CreatedAt", "Status"}` when the car's
  connection opens (`CONNECTED`) or closes (`DISCONNECTED`, when it sleeps or loses its
  network), with the connection's UUID and the time in RFC 3339 seconds (fleet-telemetry
  `server/streaming/server.go` `dispatchConnectivityEvent`, `mqtt_payload.go`).

The car (fleet-telemetry.md): a field goes out only when its value changed since it was last
sent (by at least `minimum_delta`, when set, for numbers), at most once per `interval_seconds`,
and again unchanged after `resend_interval_seconds` when set. An awake car keeps sampling while
it cannot reach the server (no network, server down, broker down) and buffers up to 5,000
records, dropping the oldest; on the next connection it resends them in order before anything
new. MQTT carries nothing of `is_resend` or `created_at`: a resent value looks like any other.
Reconnecting backs off 1, 2, 4 ... up to 30 s. Connectivity records are the server's, so none
are buffered. Not simulated: alerts, errors, TLS and the `ca` chain (the car trusts any server).

The emulator is lazy, so something must drive the stream: `Emulator.advance` steps virtual time
through `advance` here, and the emulator's command line runs `run` (a one-second tick on the
real clock). MQTT is spoken with paho-mqtt without its network thread: every call here is
synchronous and short on loopback.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import logging
import math
import time
from typing import TYPE_CHECKING, Any, Final
import uuid

from aiohttp import web
from paho.mqtt.client import Client, MQTTMessageInfo
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from .admin import PREFIX, _body, _loopback_only
from .telemetry_signals import SIGNALS, Json, go_json

if TYPE_CHECKING:
    from .emulator import Emulator
    from .telemetry import AppConfig
    from .vehicle import Vehicle

_LOGGER = logging.getLogger(__name__)

BUFFER_RECORDS: Final = 5000
MAX_BACKOFF_S: Final = 30.0
# Virtual-time resolution while a streaming car is awake (the car samples every 500 ms; a
# second keeps long test advances cheap), and while every one sleeps.
AWAKE_STEP_S: Final = 1.0
ASLEEP_STEP_S: Final = 30.0
# Wall-clock bounds for one broker exchange (loopback answers in milliseconds).
CONNECT_WAIT_S: Final = 5.0
FLUSH_WAIT_S: Final = 10.0
SERVER_KEYS: Final = frozenset(
    {"broker", "topic_base", "qos", "retained", "client_id", "username", "password", "up"}
)


@dataclass
class Record:
    """One `V` record the car made: field -> value, and when."""

    created_at: float
    data: dict[str, Json]


@dataclass
class _FieldState:
    value: Json = None
    sent_at: float = -math.inf
    sent: bool = False


@dataclass
class CarStream:
    """One car's stream to one app's server: what it last sent, its buffer, its connection."""

    vin: str
    client_id: str
    fields: dict[str, _FieldState] = field(default_factory=dict)
    buffer: deque[Record] = field(default_factory=lambda: deque(maxlen=BUFFER_RECORDS))
    dropped: int = 0
    connection_id: str | None = None
    records: int = 0
    # Field values delivered to the server (one MQTT message each): what Tesla bills as signals.
    signals: int = 0


@dataclass
class Server:
    """What runs at a `hostname:port` the cars are configured for: the MQTT dispatcher."""

    hostname: str
    port: int
    broker_host: str
    broker_port: int
    topic_base: str = "telemetry"
    qos: int = 0
    retained: bool = False
    client_id: str = "fleet-telemetry"
    username: str | None = None
    password: str | None = None
    # False: the server itself is down (cars cannot connect, whatever the broker does).
    up: bool = True
    published: int = 0
    _client: Client | None = None
    _retry_at: float = -math.inf
    _backoff: float = 0.0

    def view(self) -> dict[str, Any]:
        """The admin API's picture."""
        return {
            "hostname": self.hostname,
            "port": self.port,
            "broker": f"{self.broker_host}:{self.broker_port}",
            "topic_base": self.topic_base,
            "qos": self.qos,
            "retained": self.retained,
            "client_id": self.client_id,
            "up": self.up,
            "connected": self.connected,
            "published": self.published,
        }

    @property
    def connected(self) -> bool:
        """Whether the dispatcher holds a live broker connection."""
        return self._client is not None and self._client.is_connected()

    def poll(self) -> None:
        """Read what the broker sent (acks, or the end of the connection)."""
        if self._client is not None:
            self._client.loop(timeout=0)

    def reachable(self, now: float) -> bool:
        """Whether a car can deliver now: server up and broker connected (reconnects on time)."""
        if not self.up:
            return False
        self.poll()
        if self.connected:
            return True
        if now < self._retry_at:
            return False
        if self._connect():
            self._backoff = 0.0
            return True
        self._backoff = min(MAX_BACKOFF_S, max(1.0, self._backoff * 2))
        self._retry_at = now + self._backoff
        return False

    def _connect(self) -> bool:
        self.close()
        client = Client(CallbackAPIVersion.VERSION2, client_id=self.client_id)
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        try:
            client.connect(self.broker_host, self.broker_port, keepalive=30)
        except OSError as err:
            _LOGGER.debug("broker %s:%s unreachable: %s", self.broker_host, self.broker_port, err)
            return False
        self._client = client
        deadline = time.monotonic() + CONNECT_WAIT_S
        while not client.is_connected() and time.monotonic() < deadline:
            if client.loop(timeout=0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break
        if not client.is_connected():
            self.close()
            return False
        return True

    def publish(self, messages: list[tuple[str, bytes]]) -> bool:
        """Publish in order and wait until written (QoS 0) or acknowledged; False on failure."""
        client = self._client
        if client is None or not client.is_connected():
            return False
        infos: list[MQTTMessageInfo] = []
        for topic, payload in messages:
            info = client.publish(topic, payload, qos=self.qos, retain=self.retained)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return False
            infos.append(info)
        deadline = time.monotonic() + FLUSH_WAIT_S
        while not all(info.is_published() for info in infos):
            if time.monotonic() > deadline or not client.is_connected():
                return False
            client.loop(timeout=0.01)
        self.published += len(infos)
        return True

    def close(self) -> None:
        """Drop the broker connection."""
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.disconnect()
            self._client = None


def _iso_seconds(epoch: float) -> str:
    """Go's time.RFC3339 in UTC: whole seconds, `Z`."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _changed(old: Json, new: Json, minimum_delta: float | None) -> bool:
    if old == new and type(old) is type(new):
        return False
    numbers = (int, float)
    if (
        minimum_delta is not None
        and isinstance(old, numbers)
        and isinstance(new, numbers)
        and not isinstance(old, bool)
        and not isinstance(new, bool)
    ):
        return abs(new - old) >= minimum_delta
    return True


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


class TelemetryStream:
    """Every car's stream and the servers they stream to (`emu.stream`)."""

    def __init__(self, emu: Emulator) -> None:
        """Bound to the emulator (its world and telemetry configs are read at each pump)."""
        self._emu = emu
        self.servers: dict[tuple[str, int], Server] = {}
        self.cars: dict[tuple[str, str], CarStream] = {}

    # --- set-up ---------------------------------------------------------------------------

    def add_server(self, hostname: str, port: int, broker: str, **settings: Any) -> Server:
        """Say what runs at `hostname:port`: an MQTT dispatcher to `broker` ("host:port")."""
        host, _, broker_port = broker.rpartition(":")
        if not host or not broker_port.isdigit():
            raise ValueError("broker must be host:port")
        unknown = set(settings) - SERVER_KEYS
        if unknown:
            raise ValueError(f"unknown server settings {sorted(unknown)}")
        old = self.servers.pop((hostname, port), None)
        if old is not None:
            old.close()
        server = Server(hostname, port, host.strip("[]"), int(broker_port), **settings)
        self.servers[(hostname, port)] = server
        return server

    def remove_servers(self) -> None:
        """Forget every server (their connections close)."""
        for server in self.servers.values():
            server.close()
        self.servers.clear()

    def close(self) -> None:
        """Close every broker connection (the emulator stops)."""
        for server in self.servers.values():
            server.close()

    # --- the cars -------------------------------------------------------------------------

    def _streaming(self) -> Iterator[tuple[Vehicle, AppConfig, CarStream]]:
        """Every car and app configuration that streams now (accepted, trusted, synced, live)."""
        now = self._emu.clock.now()
        for vin, state in self._emu.telemetry.cars.items():
            vehicle = self._emu.world.vehicles.get(vin)
            if vehicle is None:
                continue
            for client_id, cfg in state.configs.items():
                if not (cfg.accepted and cfg.trusted and cfg.synced):
                    continue
                if cfg.exp is not None and cfg.exp <= now:
                    continue
                key = (vin, client_id)
                if key not in self.cars:
                    self.cars[key] = CarStream(vin, client_id)
                yield vehicle, cfg, self.cars[key]

    @property
    def active(self) -> bool:
        """Whether any car streams to a server the emulator knows (else pumping does nothing)."""
        return bool(self.servers) and any(True for _ in self._streaming())

    def _server_for(self, cfg: AppConfig) -> Server | None:
        hostname, port = cfg.claims.get("hostname"), cfg.claims.get("port")
        if not isinstance(hostname, str):
            return None
        try:
            return self.servers.get((hostname, int(port if port is not None else 443)))
        except TypeError, ValueError:
            return None

    def pump(self, now: float | None = None) -> None:
        """Sample every streaming car at `now` (the world must be there) and deliver."""
        now = self._emu.clock.now() if now is None else now
        for known in self.servers.values():
            known.poll()
        for vehicle, cfg, car in list(self._streaming()):
            awake = vehicle.power_state == "online"
            if awake:
                record = self._sample(vehicle, cfg, car, now)
                if record is not None:
                    if len(car.buffer) == car.buffer.maxlen:
                        car.dropped += 1
                    car.buffer.append(record)
            server = self._server_for(cfg)
            can_connect = awake and vehicle.connectivity
            if server is not None and can_connect and server.reachable(now):
                self._deliver(server, car, now)
            elif car.connection_id is not None:
                self._disconnect(server, car, now)

    def _sample(
        self, vehicle: Vehicle, cfg: AppConfig, car: CarStream, now: float
    ) -> Record | None:
        configured = cfg.claims.get("fields")
        if not isinstance(configured, dict):
            return None
        data: dict[str, Json] = {}
        for name, options in configured.items():
            if name not in SIGNALS or not isinstance(options, dict):
                continue
            interval = _number(options.get("interval_seconds"))
            if interval is None:
                continue
            state = car.fields.setdefault(name, _FieldState())
            if now - state.sent_at < interval:
                continue
            value = SIGNALS[name](vehicle)
            resend = _number(options.get("resend_interval_seconds"))
            due = not state.sent or _changed(
                state.value, value, _number(options.get("minimum_delta"))
            )
            if resend is not None and now - state.sent_at >= resend:
                due = True
            if due:
                data[name] = value
                state.value, state.sent_at, state.sent = value, now, True
        if not data:
            return None
        car.records += 1
        return Record(now, data)

    def _deliver(self, server: Server, car: CarStream, now: float) -> None:
        if car.connection_id is None:
            car.connection_id = str(uuid.uuid4())
            self._connectivity(server, car, "CONNECTED", now)
        while car.buffer:
            record = car.buffer[0]
            topics = [
                (f"{server.topic_base}/{car.vin}/v/{name}", go_json(value))
                for name, value in record.data.items()
            ]
            if not server.publish(topics):
                return
            car.signals += len(topics)
            car.buffer.popleft()

    def _disconnect(self, server: Server | None, car: CarStream, now: float) -> None:
        if server is not None and server.up and server.connected:
            self._connectivity(server, car, "DISCONNECTED", now)
        car.connection_id = None

    def _connectivity(self, server: Server, car: CarStream, status: str, now: float) -> None:
        payload: Json = {
            "ConnectionId": car.connection_id,
            "CreatedAt": _iso_seconds(now),
            "Status": status,
        }
        server.publish([(f"{server.topic_base}/{car.vin}/connectivity", go_json(payload))])

    # --- driving it -----------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock by `seconds`, sampling on the way (virtual time)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        clock, world = self._emu.clock, self._emu.world
        end = clock.offset + seconds
        while True:
            self.pump(world.advance())
            if clock.offset >= end:
                return
            awake = any(v.power_state == "online" for v, _, _ in self._streaming())
            step = AWAKE_STEP_S if awake else ASLEEP_STEP_S
            clock.advance(min(step, end - clock.offset))

    async def run(self, period: float = 1.0) -> None:
        """Pump on the real clock until cancelled (the emulator's command line)."""
        while True:
            await asyncio.sleep(period)
            if self.active:
                try:
                    self.pump(self._emu.world.advance())
                except Exception:
                    _LOGGER.exception("telemetry stream pump failed")

    def view(self) -> dict[str, Any]:
        """The admin API's picture: servers and each car's stream."""
        return {
            "servers": [server.view() for server in self.servers.values()],
            "cars": [
                {
                    "vin": car.vin,
                    "client_id": car.client_id,
                    "connected": car.connection_id is not None,
                    "connection_id": car.connection_id,
                    "records": car.records,
                    "signals": car.signals,
                    "buffered": len(car.buffer),
                    "dropped": car.dropped,
                }
                for car in self.cars.values()
            ],
        }


# --- admin API ------------------------------------------------------------------------------


def setup_admin(app: web.Application, emu: Emulator) -> None:
    """`/_emulator/telemetry_servers`: GET the picture, POST a server, DELETE them all;
    `PATCH /_emulator/telemetry_servers/{hostname}/{port}` `{"up": false}` takes one down."""

    async def servers(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            emu.stream.remove_servers()
        elif request.method == "POST":
            body = await _body(request)
            hostname, port = body.pop("hostname", None), body.pop("port", 443)
            broker = body.pop("broker", None)
            if not isinstance(hostname, str) or not isinstance(broker, str):
                return web.json_response(
                    {"error": "hostname and broker (host:port) are required"}, status=400
                )
            try:
                emu.stream.add_server(hostname, int(port), broker, **body)
            except (TypeError, ValueError) as err:
                return web.json_response({"error": str(err)}, status=400)
        return web.json_response(emu.stream.view())

    async def server(request: web.Request) -> web.StreamResponse:
        try:
            key = (request.match_info["hostname"], int(request.match_info["port"]))
        except ValueError:
            key = ("", 0)
        found = emu.stream.servers.get(key)
        if found is None:
            return web.json_response({"error": "unknown server"}, status=404)
        up = (await _body(request)).get("up")
        if not isinstance(up, bool):
            return web.json_response({"error": "up (true/false) is required"}, status=400)
        found.up = up
        if not up:
            found.close()
        return web.json_response(found.view())

    routes = (
        ("GET", "/telemetry_servers", servers),
        ("POST", "/telemetry_servers", servers),
        ("DELETE", "/telemetry_servers", servers),
        ("PATCH", "/telemetry_servers/{hostname}/{port}", server),
    )
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _loopback_only(handler))
