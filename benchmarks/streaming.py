"""The streaming side: the integration reads its cars' Fleet Telemetry stream through a real
Mosquitto and Home Assistant's own `mqtt` integration, on the benchmark's virtual time.

Each job starts a broker, sets Home Assistant's `mqtt` integration up against it, gives the
emulator a telemetry server that publishes to it (`emu.stream.add_server`) and each car a synced
configuration with the set-up's default fields (every group, $1 a car a month:
`telemetry_fields.plan`), and puts the same settings into the entry's data before the entry is
set up, as the streaming set-up flow leaves them.

Virtual time: the emulator publishes only when pumped, so while a car is awake time moves in
one-second steps (the car's own sampling is 500 ms; `telemetry_stream.AWAKE_STEP_S`), and in
the benchmark's step while every car sleeps. After each pump the harness waits, on the wall
clock, until Home Assistant has taken every published message from the broker
(`StreamIngest.received` against `Server.published`), so a field arrives at the virtual second
the car sent it, then runs Home Assistant's timers that are due (the ingest hands a car's batch
over a second after its first message).

Home Assistant's MQTT client and its paho keepalive run on the frozen clock (asyncio's loop time
and paho's `time_func` are freezegun's): with the default 60 s keepalive a virtual jump could
let paho give up on a PINGRESP it has not read yet, and the broker drops a client that stays
silent for 1.5 keepalives of real time. The client here asks for the longest keepalive MQTT
allows (`MQTT_KEEPALIVE_S`), and its once-a-second housekeeping timer is not a reason to run
Home Assistant's timers (`housekeeping`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
import math
from pathlib import Path
import time
from typing import Any, Final, Protocol

from freezegun import api as freezegun_api
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.components.mqtt import DOMAIN as MQTT_DOMAIN
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_fleet_direct.api.telemetry import telemetry_config
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.stream_ingest import StreamIngest
from custom_components.tesla_fleet_direct.streaming_upkeep import (
    CONF_STREAMING,
    DATA_PROBE,
    EXPIRY,
    STREAMING,
    ServerProbe,
    StreamingSettings,
)
from custom_components.tesla_fleet_direct.telemetry_fields import DEFAULT_GROUPS, plan
from fleet_emulator import Emulator
from fleet_emulator.telemetry import AppConfig
from fleet_emulator.telemetry_stream import Server
from tests.common import CLIENT_ID, async_setup_domain, create_entry
from tests.mqtt_helpers import Broker, mosquitto_binary
from tests.streaming_helpers import Pki

# Where the cars stream: the emulator's stand-in for the owner's fleet-telemetry server.
HOST: Final = "telemetry.bench.invalid"
PORT: Final = 443
TOPIC_BASE: Final = "telemetry"
# The set-up's default monthly budget per car for the streamed fields.
STREAM_BUDGET_USD: Final = 1.0
# MQTT's largest keepalive (a 16-bit field): no ping is due within a run's real time.
MQTT_KEEPALIVE_S: Final = 65535
# Virtual seconds per step while a streaming car is awake (its fields go out at most once a
# second at the shortest interval).
AWAKE_STEP_S: Final = 1.0
# Wall-clock guards: loopback delivers in well under a millisecond.
DELIVERY_GUARD_S: Final = 10.0
SUBSCRIBE_GUARD_S: Final = 20.0
# Home Assistant's MQTT client's task that waits out its first cool-down (mqtt/client.py).
BIRTH_TASK: Final = "mqtt re-subscribe and birth"
# Busy polls of the event loop before a wait sleeps on the wall clock between looks (each
# loop pass costs freezegun's clock look-ups: few while delivering).
SPINS: Final = 20
DELIVERY_SPINS: Final = 2
DELIVERY_PAUSE_S: Final = 0.0002
# How long after a stream stop the first car's picture is sampled.
AFTER_STOP_S: Final = 2 * 3600.0
# The chain the cars are sent (the emulator does not check it). Made once, when this module is
# imported: cryptography refuses freezegun's datetimes left behind by a frozen test.
CA_PEM: Final = Pki().ca_pem
# A car no entry holds: its probe messages are counted by the ingest as foreign.
PROBE_VIN: Final = "PROBE000000000000"


def real_now() -> float:
    """The machine's monotonic clock, whatever freezegun has frozen."""
    return float(freezegun_api.real_monotonic())


async def _no_server_check(_hostname: str, _port: int) -> Sequence[Any]:
    """The upkeep's certificate check every six hours: there is no TLS server behind the
    emulator's stand-in, and the check costs no API request, so it fails at once."""
    raise OSError("the benchmark's telemetry server is not checked")


def field_plan() -> dict[str, int]:
    """The default fields and intervals (every group on the default budget)."""
    chosen = plan(DEFAULT_GROUPS, STREAM_BUDGET_USD)
    if chosen is None:
        raise RuntimeError("the default fields do not fit the default budget")
    return dict(chosen.intervals)


def streaming_settings(vins: Sequence[str], ca: str, *, now: float, exp: int) -> dict[str, Any]:
    """The entry's `streaming` data as the set-up flow leaves it after a successful send."""
    return StreamingSettings(
        hostname=HOST,
        port=PORT,
        ca=ca,
        ca_from_host=True,
        topic_base=TOPIC_BASE,
        groups=tuple(str(g) for g in DEFAULT_GROUPS),
        budget=STREAM_BUDGET_USD,
        fields=field_plan(),
        exp=exp,
        sent_at=now,
        checked_at=now,
        cars=dict.fromkeys(vins, STREAMING),
    ).to_data()


def configure_cars(emu: Emulator, vins: Sequence[str], ca: str, *, now: float, exp: int) -> None:
    """Each car holds our app's synced configuration (the claims the integration signs)."""
    claims = telemetry_config(hostname=HOST, port=PORT, ca=ca, fields=field_plan(), exp=exp)
    for vin in vins:
        emu.telemetry.car(vin).configs[CLIENT_ID] = AppConfig(
            claims, now, accepted=True, trusted=True, synced=True
        )


async def setup_mqtt_entry(hass: HomeAssistant, broker: Broker) -> MockConfigEntry:
    """Home Assistant's mqtt integration against `broker` (as tests/mqtt_helpers.setup_mqtt,
    with the longest keepalive)."""
    entry = MockConfigEntry(
        domain=MQTT_DOMAIN,
        title="Mosquitto",
        data={"broker": broker.host, "port": broker.port, "keepalive": MQTT_KEEPALIVE_S},
        version=2,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def ingest_of(entry: ConfigEntry) -> StreamIngest | None:
    """The entry's `StreamIngest` (None before set-up finished or without streaming)."""
    # Home Assistant deletes runtime_data when the entry unloads.
    stream = getattr(getattr(entry, "runtime_data", None), "stream", None)
    return stream if isinstance(stream, StreamIngest) else None


@dataclass
class Span:
    """A time a car's stream connection was open (end: inf while it still is)."""

    start: float
    end: float = math.inf

    def holds(self, t: float) -> bool:
        """Whether `t` falls in the span."""
        return self.start <= t <= self.end


@dataclass
class StreamRig:
    """The broker, Home Assistant's mqtt entry and the emulator's server for one job."""

    hass: HomeAssistant
    emu: Emulator
    broker: Broker
    server: Server
    vins: list[str]
    mqtt_entry: MockConfigEntry | None = None
    entry: ConfigEntry | None = None
    # received - published once Home Assistant's subscription was confirmed (probes).
    offset: int = 0
    first_offset: int = 0
    delivery_timeouts: int = 0
    spans: dict[str, list[Span]] = field(default_factory=dict)

    @property
    def ingest(self) -> StreamIngest | None:
        """The entry's ingest."""
        return ingest_of(self.entry) if self.entry is not None else None

    def pump(self) -> float:
        """Move the emulator's world to now, let the cars send, note who is connected."""
        now = self.emu.world.advance()
        self.emu.stream.pump(now)
        for vin in self.vins:
            car = self.emu.stream.cars.get((vin, CLIENT_ID))
            up = car is not None and car.connection_id is not None
            spans = self.spans.setdefault(vin, [])
            is_open = bool(spans) and spans[-1].end == math.inf
            if up and not is_open:
                spans.append(Span(now))
            elif not up and is_open:
                spans[-1].end = now
        return now

    def awake(self) -> bool:
        """Whether a car is awake or still holds its stream connection."""
        for vin in self.vins:
            if self.emu.world.vehicles[vin].power_state == "online":
                return True
            spans = self.spans.get(vin)
            if spans and spans[-1].end == math.inf:
                return True
        return False

    def connected(self, vin: str, t: float) -> bool:
        """Whether the car's stream connection was open at `t`."""
        return any(span.holds(t) for span in self.spans.get(vin, ()))

    def signals(self, vin: str) -> int:
        """Field messages the car's stream delivered (what Tesla bills)."""
        car = self.emu.stream.cars.get((vin, CLIENT_ID))
        return car.signals if car is not None else 0

    async def deliver(self) -> None:
        """Wait (wall clock) until Home Assistant took every message published so far."""
        ingest = self.ingest
        if ingest is None:
            return
        target = self.server.published + self.offset
        if ingest.received >= target:
            return
        deadline = real_now() + DELIVERY_GUARD_S
        spins = 0
        loop = asyncio.get_running_loop()
        while ingest.received < target:
            if real_now() > deadline:
                self.delivery_timeouts += 1
                # One message lost must not make every later wait time out too.
                self.offset = ingest.received - self.server.published
                return
            spins += 1
            if spins <= DELIVERY_SPINS:
                await asyncio.sleep(0)
            else:
                # time.sleep is not frozen: the loop's reader runs when the wait ends.
                await loop.run_in_executor(None, time.sleep, DELIVERY_PAUSE_S)

    async def until_subscribed(self) -> None:
        """Publish probes until Home Assistant's subscription takes them (it subscribes in the
        background after a cool-down on the frozen clock, moved on here one second a time)."""
        deadline = real_now() + SUBSCRIBE_GUARD_S
        probe = f"{TOPIC_BASE}/{PROBE_VIN}/connectivity"
        while True:
            ingest = self.ingest
            if ingest is not None and ingest.received > 0:
                break
            if real_now() > deadline:
                raise RuntimeError("Home Assistant did not subscribe to the cars' stream")
            # The subscription waits on a cool-down timer of the frozen clock.
            async_fire_time_changed(self.hass, dt_util.utcnow() + timedelta(seconds=1))
            if ingest is not None and self.server.reachable(time.time()):
                self.server.publish([(probe, b"{}")])
            await _pause(0.02)
        # Probes still on their way count too.
        await _pause(0.05)
        self.offset = self.first_offset = ingest.received - self.server.published

    def lost(self) -> int:
        """Messages published that Home Assistant never took."""
        ingest = self.ingest
        if ingest is None:
            return self.server.published
        return max(0, self.server.published + self.first_offset - ingest.received)


@dataclass
class Mqtt:
    """A running broker and Home Assistant's mqtt entry connected to it."""

    broker: Broker
    entry: MockConfigEntry


async def start_mqtt(hass: HomeAssistant, freezer: FrozenDateTimeFactory, directory: Path) -> Mqtt:
    """Start a broker and set Home Assistant's mqtt integration up against it.

    Its client waits out a discovery cool-down (`DISCOVERY_COOLDOWN`, 5 s on the frozen clock)
    before it takes subscriptions at the short cool-down: the clock is moved past it here, so
    call this before the job moves the clock to the scenario's start.
    """
    broker = Broker(mosquitto_binary(), directory)
    broker.start()
    try:
        entry = await setup_mqtt_entry(hass, broker)
        await _until_mqtt_ready(hass, freezer)
    except BaseException:
        broker.stop()
        raise
    return Mqtt(broker, entry)


async def _until_mqtt_ready(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Connected (paho's CONNACK arrives on the wall clock), then the birth task created on
    connecting has waited out its cool-down on the frozen clock."""
    deadline = real_now() + SUBSCRIBE_GUARD_S
    while not mqtt.is_connected(hass) or _birth_pending():
        if real_now() > deadline:
            raise RuntimeError("Home Assistant's MQTT client did not get ready")
        if mqtt.is_connected(hass):
            freezer.tick(1)
            async_fire_time_changed(hass)
        await _pause()


def _birth_pending() -> bool:
    """Whether Home Assistant's MQTT client is still in its first (re)subscribe cool-down."""
    return any(task.get_name() == BIRTH_TASK and not task.done() for task in asyncio.all_tasks())


async def _pause(seconds: float = 0.002) -> None:
    """Let the loop run, then wait a moment on the wall clock (sockets, executor jobs)."""
    for _ in range(SPINS):
        await asyncio.sleep(0)
    await asyncio.get_running_loop().run_in_executor(None, time.sleep, seconds)


def start_rig(hass: HomeAssistant, emu: Emulator, vins: Sequence[str], mqtt: Mqtt) -> StreamRig:
    """The emulator's telemetry server, publishing to the broker."""
    server = emu.stream.add_server(HOST, PORT, mqtt.broker.address, topic_base=TOPIC_BASE)
    return StreamRig(hass, emu, mqtt.broker, server, list(vins), mqtt_entry=mqtt.entry)


async def setup_streaming_entry(
    hass: HomeAssistant,
    emu: Emulator,
    rig: StreamRig,
    *,
    options: dict[str, Any],
    start: float,
    duration_s: float,
) -> ConfigEntry:
    """The integration's entry with streaming set up for every car, then the subscription."""
    ca = CA_PEM
    # Sent just before the run: the upkeep's re-send (one data request about every 23 days)
    # falls after it, so the emulator's cars keep their configuration throughout.
    exp = int(start + duration_s + EXPIRY.total_seconds())
    configure_cars(emu, rig.vins, ca, now=start, exp=exp)
    hass.data[DATA_PROBE] = ServerProbe(resolve=_no_server_check)
    await async_setup_domain(hass, emu)
    entry = create_entry(hass, emu, options=options)
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_STREAMING: streaming_settings(rig.vins, ca, now=start, exp=exp),
        },
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    rig.entry = entry
    await rig.until_subscribed()
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def stop_mqtt(hass: HomeAssistant, mqtt: Mqtt, rig: StreamRig | None) -> None:
    """Close the emulator's server, unload Home Assistant's mqtt entry, stop the broker."""
    try:
        if rig is not None:
            rig.server.close()
        await hass.config_entries.async_unload(mqtt.entry.entry_id)
        await hass.async_block_till_done()
    finally:
        mqtt.broker.stop()


def housekeeping(handle: asyncio.TimerHandle) -> bool:
    """Home Assistant's MQTT client's once-a-second paho housekeeping (`loop_misc`): always
    due, never a reason to run the timers (the loop runs it whenever it runs)."""
    callback = getattr(handle, "_callback", None)
    return str(getattr(callback, "__qualname__", "")).endswith("._async_misc")


def due_now(hass: HomeAssistant) -> bool:
    """Whether a timer of Home Assistant's is due on the frozen clock (housekeeping aside)."""
    now = hass.loop.time()
    return any(
        isinstance(handle, asyncio.TimerHandle)
        and not handle.cancelled()
        and handle.when() <= now
        and not housekeeping(handle)
        for handle in get_scheduled_timer_handles(hass.loop)
    )


class PollingSide(Protocol):
    """What the streaming side delegates to the harness's `Ours` (timers, the lock entity)."""

    async def step(self, now: float) -> None:
        """Fire Home Assistant's timers when one is due."""

    async def press(self, vin: str, lock: bool) -> None:
        """The lock entity's action."""

    def shows(self, vin: str, lock: bool) -> bool:
        """The lock entity's state."""

    async def settle(self) -> None:
        """Wait for what a press set off."""


class StreamingSide:
    """The integration with its cars streaming: timers as for polling, time moved in
    one-second steps while a car is awake, every published message delivered before going on."""

    def __init__(
        self,
        ours: PollingSide,
        entry: ConfigEntry,
        rig: StreamRig,
        *,
        stream_down_at: float | None = None,
        stream_up_at: float | None = None,
    ) -> None:
        """Drive the entry with its rig; the server goes down/up at those epoch times."""
        self.hass = rig.hass
        self.entry = entry
        self.rig = rig
        self._ours = ours
        self.stream_down_at = stream_down_at
        self.stream_up_at = stream_up_at
        self.stopped_at: float | None = None
        self.restarted_at: float | None = None
        # At every (sub-)step where the emulator says a car charges / drives: how old the
        # battery level / position Home Assistant holds is.
        self.battery_held: list[float] = []
        self.location_held: list[float] = []
        self._start = time.time()

    async def step(self, now: float) -> None:
        """Fire Home Assistant's timers when one is due (as ours)."""
        await self._ours.step(now)

    async def press(self, vin: str, lock: bool) -> None:
        """The lock entity's action."""
        await self._ours.press(vin, lock)

    def shows(self, vin: str, lock: bool) -> bool:
        """The lock entity's state."""
        return self._ours.shows(vin, lock)

    async def settle(self) -> None:
        """Wait for what the press set off."""
        await self._ours.settle()

    def _server_switch(self, now: float) -> None:
        server = self.rig.server
        if self.stream_down_at is not None and self.stopped_at is None:
            if now >= self.stream_down_at:
                # As PATCH /_emulator/telemetry_servers/{host}/{port} {"up": false} does.
                server.up = False
                server.close()
                self.stopped_at = now
        if (
            self.stream_up_at is not None
            and self.stopped_at is not None
            and self.restarted_at is None
            and now >= self.stream_up_at
        ):
            server.up = True
            self.restarted_at = now

    async def advance(
        self, freezer: FrozenDateTimeFactory, seconds: float, on_tick: Callable[[float], None]
    ) -> float:
        """Move virtual time by `seconds`; the process time Home Assistant's part took."""
        cpu = 0.0
        left = seconds
        while left > 1e-9:
            dt = min(left, AWAKE_STEP_S) if self.rig.awake() else left
            freezer.tick(dt)
            left -= dt
            now = time.time()
            on_tick(now)
            self._server_switch(now)
            before = self.rig.server.published
            self.rig.pump()
            began = time.process_time()
            if self.rig.server.published != before:
                await self.rig.deliver()
            if due_now(self.hass):
                # The loop runs the due timers itself: its clock is the frozen one. (The
                # harness's async_fire_time_changed would run them up to 0.5 s early, and its
                # mock patches per timer cost more than the timers at one-second steps.)
                await asyncio.sleep(0)
                await self.hass.async_block_till_done(wait_background_tasks=True)
            cpu += time.process_time() - began
            self._sample(now)
        return cpu

    def _sample(self, now: float) -> None:
        for vin in self.rig.vins:
            car = self.rig.emu.world.vehicles[vin]
            if car.charging:
                held = self.observed_at(vin, "charge_state", "battery_level")
                self.battery_held.append(now - (held or self._start))
            if car.drive is not None:
                held = self.observed_at(vin, "drive_state", "latitude")
                self.location_held.append(now - (held or self._start))

    def coordinator(self, vin: str) -> Any:
        """The car's coordinator (None when the entry has none for it)."""
        data = getattr(self.entry, "runtime_data", None)
        vehicles = getattr(data, "vehicles", None)
        return getattr(vehicles, "coordinators", {}).get(vin)

    def observed_at(self, vin: str, section: str, key: str) -> float | None:
        """When the value Home Assistant holds for the field was observed (None: never)."""
        coordinator = self.coordinator(vin)
        snapshot = getattr(coordinator, "data", None)
        car = getattr(snapshot, "car", None)
        return car.observed_at(section, key) if car is not None else None

    def entity_available(self, vin: str, key: str) -> bool | None:
        """Whether the car's sensor `key` (e.g. battery_level) is shown (None: no entity)."""
        registry = er.async_get(self.hass)
        for entity in er.async_entries_for_config_entry(registry, self.entry.entry_id):
            if entity.domain == "sensor" and entity.unique_id.endswith(f"-{vin}-{key}"):
                state = self.hass.states.get(entity.entity_id)
                return state is not None and state.state != "unavailable"
        return None

    def stream_issue(self, vin: str) -> bool:
        """Whether a repair issue says the car's stream stopped."""
        registry = ir.async_get(self.hass)
        return any(
            domain == DOMAIN and issue_id.startswith("streaming_stopped") and vin in issue_id
            for (domain, issue_id) in registry.issues
        )
