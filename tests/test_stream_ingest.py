"""The cars' stream through a real Mosquitto and Home Assistant's own MQTT client into the entities.

The emulator publishes as Tesla's reference server's MQTT dispatcher does (teslamotors/
fleet-telemetry `datastore/mqtt/mqtt_payload.go`: `<base>/<VIN>/v/<Field>` with the bare JSON
value, `<base>/<VIN>/connectivity` with `{"ConnectionId","CreatedAt","Status"}`); the
malformed, foreign and out-of-order messages below are published by hand in the same shapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
import json
import socket
import ssl
import time
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_fleet_direct import stream_ingest, vehicle_coordinator
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.diagnostics import async_get_config_entry_diagnostics
from custom_components.tesla_fleet_direct.models import TeslaFleetDirectConfigEntry
from custom_components.tesla_fleet_direct.stream_ingest import StreamIngest
from custom_components.tesla_fleet_direct.stream_issues import stream_issue_id
from custom_components.tesla_fleet_direct.streaming_upkeep import (
    CONF_STREAMING,
    DATA_PROBE,
    ServerProbe,
    StreamingSettings,
    StreamingUpkeep,
)
from custom_components.tesla_fleet_direct.telemetry_fields import DEFAULT_GROUPS, plan
from custom_components.tesla_fleet_direct.vehicle_coordinator import TeslaVehicleCoordinator
from fleet_emulator import Emulator
from fleet_emulator.telemetry import AppConfig
from tests.common import async_setup_domain, create_entry
from tests.entity_helpers import entity_id_for, only_platforms, state_of
from tests.mqtt_helpers import Broker, Subscriber, until_subscribed

M3 = "5YJ3E7EB0KF000001"
MY = "7SAYGDEE0PA000002"
HOST = "telemetry.example.com"
BASE = "telemetry"
CLIENT_ID = "tfd-client"
# Wall-clock guard for loopback MQTT round trips.
WAIT_S = 10.0


def _intervals() -> dict[str, int]:
    found = plan(DEFAULT_GROUPS, 1.0)
    assert found is not None
    return dict(found.intervals)


def stream_cars(emulator: Emulator, broker: Broker, vins: tuple[str, ...] = (M3,)) -> None:
    """The emulator's cars stream the default fields to a server publishing to `broker`."""
    emulator.stream.add_server(HOST, 443, broker.address, topic_base=BASE)
    fields = {name: {"interval_seconds": n} for name, n in _intervals().items()}
    claims = {"hostname": HOST, "port": 443, "fields": fields}
    now = emulator.clock.now()
    for vin in vins:
        emulator.telemetry.car(vin).configs[CLIENT_ID] = AppConfig(
            claims, now, accepted=True, trusted=True, synced=True
        )


def streaming_data(vins: tuple[str, ...] = (M3,)) -> dict[str, Any]:
    """The entry's streaming settings as the set-up flow saves them after a send."""
    return StreamingSettings(
        hostname=HOST,
        port=443,
        ca="",
        ca_from_host=True,
        topic_base=BASE,
        groups=tuple(DEFAULT_GROUPS),
        budget=1.0,
        fields=_intervals(),
        # Sent just now: the upkeep has nothing to re-send or check for a day.
        exp=int(time.time() + 30 * 86400),
        sent_at=time.time(),
        checked_at=time.time(),
        cars=dict.fromkeys(vins, "streaming"),
    ).to_data()


async def pump(hass: HomeAssistant, emulator: Emulator, seconds: float = 0) -> None:
    """Let the emulator's cars publish, then let the messages reach Home Assistant and flush."""
    stream = ingest_of(hass)
    emulator.advance(seconds)
    published = sum(server.published for server in emulator.stream.servers.values())
    await until(lambda: stream.counts.accepted >= published)
    await flush(hass)


async def flush(hass: HomeAssistant) -> None:
    """Run the ingest's hand-over timer (1 s) without moving the clock of the test."""
    async_fire_time_changed(hass, fire_all=True)
    await hass.async_block_till_done(wait_background_tasks=True)


async def until(done: Callable[[], bool]) -> None:
    """Yield to the event loop (real I/O with the broker) until `done`.

    Without timers (`sleep(0)`): the tests' freezer stops the loop's clock. The guard counts
    CPU time, which no freezer moves.
    """
    deadline = time.process_time() + WAIT_S
    while not done():
        assert time.process_time() < deadline, "the broker did not deliver in time"
        await asyncio.sleep(0)


def entry_of(hass: HomeAssistant) -> TeslaFleetDirectConfigEntry:
    entry: TeslaFleetDirectConfigEntry = hass.config_entries.async_entries(DOMAIN)[0]
    return entry


def ingest_of(hass: HomeAssistant) -> StreamIngest:
    stream = entry_of(hass).runtime_data.stream
    assert stream is not None
    return stream


def coordinator_of(hass: HomeAssistant, vin: str = M3) -> TeslaVehicleCoordinator:
    return entry_of(hass).runtime_data.vehicles.coordinators[vin]


def requests(emulator: Emulator, since: int = 0) -> dict[str, int]:
    """The Model 3's state checks (its own or the account's list), data reads and wakes."""
    counts = {"state": 0, "data": 0, "wake": 0}
    for entry in emulator.ledger.entries[since:]:
        path = entry.path.split("?")[0]
        if path.endswith((f"/vehicles/{M3}", "/vehicles")):
            counts["state"] += 1
        elif path.endswith(f"/{M3}/vehicle_data"):
            counts["data"] += 1
        elif path.endswith(f"/{M3}/wake_up"):
            counts["wake"] += 1
    return counts


async def no_such_host(host: str, port: int) -> Sequence[Any]:
    """The upkeep's daily server check finds nothing (tests resolve no names)."""
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


async def set_up_streaming(
    hass: HomeAssistant, emulator: Emulator, broker: Broker, *platforms: Platform
) -> MockConfigEntry:
    """The owner account with its Model 3 streaming through `broker`, subscribed and reading."""
    stream_cars(emulator, broker)
    hass.data[DATA_PROBE] = ServerProbe(trust=ssl.create_default_context(), resolve=no_such_host)
    await async_setup_domain(hass, emulator)
    entry = create_entry(hass, emulator)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_STREAMING: streaming_data()}
    )
    with only_platforms(*platforms):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    # Home Assistant subscribes in the background: probe until its subscription reads.
    await until_subscribed(
        broker, f"{BASE}/PROBE/v/Nothing", lambda: ingest_of(hass).counts.received > 0
    )
    return entry


@pytest.fixture
async def streaming_entry(
    hass: HomeAssistant, emulator: Emulator, mqtt_broker: Broker, ha_mqtt: Any
) -> AsyncIterator[MockConfigEntry]:
    """The owner account with its Model 3 streaming through the broker, the car awake."""
    emulator.vehicle(M3).power_state = "online"
    entry = await set_up_streaming(
        hass,
        emulator,
        mqtt_broker,
        Platform.SENSOR,
        Platform.BINARY_SENSOR,
        Platform.DEVICE_TRACKER,
    )
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_streamed_battery_level_shows_without_polling_the_car(
    hass: HomeAssistant, emulator: Emulator, streaming_entry: MockConfigEntry
) -> None:
    car = emulator.vehicle(M3)
    await pump(hass, emulator)
    coordinator = coordinator_of(hass)
    assert coordinator.streaming
    start = len(emulator.ledger.entries)
    battery = entity_id_for(hass, "sensor", "battery_level")

    car.battery_level = 42.4
    await pump(hass, emulator, 61)
    assert state_of(hass, battery).state == "42"
    assert coordinator.data is not None
    assert coordinator.data.car.source("charge_state", "battery_level") == "stream"
    # The stream told it: no state check, no data read, no wake since.
    assert requests(emulator, start) == {"state": 0, "data": 0, "wake": 0}
    assert state_of(hass, entity_id_for(hass, "binary_sensor", "streaming")).state == "on"
    assert ingest_of(hass).counts.signals[M3] > 0


async def test_malformed_foreign_and_unknown_messages_are_dropped(
    hass: HomeAssistant, emulator: Emulator, mqtt_broker: Broker, streaming_entry: MockConfigEntry
) -> None:
    await pump(hass, emulator)
    battery = entity_id_for(hass, "sensor", "battery_level")
    before = state_of(hass, battery).state
    stream = ingest_of(hass)
    malformed, foreign = stream.counts.malformed, stream.counts.foreign
    publisher = Subscriber(mqtt_broker, topic="tesla-fleet-direct/none")
    try:
        # A number as a string (fleet-telemetry datastore/mqtt/README.md: "12.3" vs 12.3).
        publisher.publish(f"{BASE}/{M3}/v/BatteryLevel", b'"55.6"')
        publisher.publish(f"{BASE}/{M3}/v/BatteryLevel", b"{not json")
        publisher.publish(f"{BASE}/{M3}/v/Location", b'{"latitude":"north"}')
        publisher.publish(f"{BASE}/{M3}/v/Gear", b"[1,2]")
        publisher.publish(f"{BASE}/{M3}/v/SomeFutureField", b"1")
        publisher.publish(f"{BASE}/5YJ3E7EB0KF999999/v/BatteryLevel", b"10")
        publisher.publish(f"{BASE}/{M3}/connectivity", b'{"Status":"SOMETHING"}')
        publisher.publish(f"{BASE}/{M3}", b"1")
    finally:
        publisher.close()
    await until(
        lambda: stream.counts.foreign > foreign and stream.counts.malformed >= malformed + 5
    )
    await flush(hass)
    assert stream.counts.malformed == malformed + 5
    assert stream.counts.foreign == foreign + 1
    assert "SomeFutureField" in stream.counts.unknown_fields
    # The last good value stands; the car's state is untouched by the bad ones.
    assert state_of(hass, battery).state == "56" != before
    assert coordinator_of(hass).streaming


async def test_a_retained_old_value_never_overwrites_a_newer_one(
    hass: HomeAssistant, emulator: Emulator, mqtt_broker: Broker, streaming_entry: MockConfigEntry
) -> None:
    await pump(hass, emulator)
    battery = entity_id_for(hass, "sensor", "battery_level")
    shown = state_of(hass, battery).state
    stream = ingest_of(hass)
    received = stream.received
    publisher = Subscriber(mqtt_broker, topic="tesla-fleet-direct/none")
    try:
        info = publisher._client.publish(f"{BASE}/{M3}/v/BatteryLevel", b"3", retain=True)
        publisher._until(info.is_published)
    finally:
        publisher.close()
    # A retained message reaches only a new subscription: subscribe Home Assistant again.
    await hass.config_entries.async_reload(streaming_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    stream = ingest_of(hass)
    await until(lambda: stream.received > 0)
    await flush(hass)
    assert received > 0
    assert state_of(hass, battery).state == shown


async def test_connectivity_says_asleep_without_a_state_check(
    hass: HomeAssistant, emulator: Emulator, streaming_entry: MockConfigEntry
) -> None:
    await pump(hass, emulator)
    coordinator = coordinator_of(hass)
    start = len(emulator.ledger.entries)
    emulator.vehicle(M3).power_state = "asleep"
    await pump(hass, emulator, 1)
    assert coordinator.data is not None
    assert coordinator.data.state == "asleep"
    assert coordinator.streaming
    assert requests(emulator, start) == {"state": 0, "data": 0, "wake": 0}


class ShiftedClock:
    """`time.time()` moved forward by `offset` for the integration's modules (no freezer).

    The tests' freezer also stops the event loop's clock, which Home Assistant's MQTT client
    needs to talk to the real broker; so here the integration's clock is shifted instead, and
    the polls run by hand.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


async def test_polling_takes_over_when_the_server_stops_and_a_repair_says_why(
    hass: HomeAssistant,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    streaming_entry: MockConfigEntry,
) -> None:
    clock = ShiftedClock()
    monkeypatch.setattr(vehicle_coordinator, "time", clock)
    monkeypatch.setattr(stream_ingest, "time", clock)

    async def later(seconds: float) -> None:
        clock.offset += seconds
        emulator.clock.advance(seconds)
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)

    car = emulator.vehicle(M3)
    await pump(hass, emulator)
    coordinator = coordinator_of(hass)
    # Charging: the battery changes all the time, so silence means the stream stopped.
    car.battery_level = 50.0
    car.charge_limit_soc = 90
    car.plug_in()
    await pump(hass, emulator, 15)
    assert coordinator.data is not None
    assert coordinator.data.activity == "charging"
    await later(30)
    assert coordinator.streaming
    start = len(emulator.ledger.entries)
    server = emulator.stream.servers[(HOST, 443)]
    server.up = False
    server.close()
    stream = coordinator.stream
    assert stream is not None
    # Within the silence limit the stream still stands in; one look after it, polling reads.
    await later(stream.busy_silence_s - 40)
    assert requests(emulator, start)["data"] == 0
    await later(15)
    assert not coordinator.streaming
    assert requests(emulator, start)["data"] == 1
    issue_id = stream_issue_id(streaming_entry.entry_id, M3)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Still silent ten minutes on: the repair says why; the entities stay fresh by polling.
    await later(600)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "streaming_stopped_silent"
    assert coordinator.has_fresh_data
    assert state_of(hass, entity_id_for(hass, "binary_sensor", "streaming")).state == "off"
    # The server comes back: the stream stands in again and the issue goes.
    server.up = True
    await pump(hass, emulator, 31)
    assert coordinator.streaming
    await later(1)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_diagnostics_show_the_stream_without_a_vin(
    hass: HomeAssistant, emulator: Emulator, streaming_entry: MockConfigEntry
) -> None:
    await pump(hass, emulator)
    dump = await async_get_config_entry_diagnostics(hass, entry_of(hass))
    assert dump["stream"]["accepted"] > 0
    assert dump["vehicles"][0]["streaming"] or dump["vehicles"][1]["streaming"]
    assert M3 not in json.dumps(dump)


async def test_a_car_asleep_at_start_up_is_left_to_the_stream(
    hass: HomeAssistant,
    emulator: Emulator,
    mqtt_broker: Broker,
    ha_mqtt: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One state check at start-up, then none while the car sleeps: the stream will say."""
    clock = ShiftedClock()
    monkeypatch.setattr(vehicle_coordinator, "time", clock)
    emulator.vehicle(M3).power_state = "asleep"
    entry = await set_up_streaming(hass, emulator, mqtt_broker, Platform.BINARY_SENSOR)
    coordinator = coordinator_of(hass)
    await until(lambda: coordinator.stream is not None)
    start = len(emulator.ledger.entries)
    for _ in range(12):  # two hours in ten-minute polls
        clock.offset += 600
        emulator.clock.advance(600)
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.streaming
    assert requests(emulator, start) == {"state": 0, "data": 0, "wake": 0}
    assert state_of(hass, entity_id_for(hass, "binary_sensor", "state")).state == "off"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_the_daily_check_asks_tesla_nothing_the_stream_told(
    hass: HomeAssistant, emulator: Emulator, streaming_entry: MockConfigEntry
) -> None:
    """A car heard on the stream since the last check holds its configuration: no reads."""
    await pump(hass, emulator)
    data = dict(streaming_entry.data[CONF_STREAMING])
    data["checked_at"] = time.time() - 2 * 86400
    hass.config_entries.async_update_entry(
        streaming_entry, data={**streaming_entry.data, CONF_STREAMING: data}
    )
    start = len(emulator.ledger.entries)
    await StreamingUpkeep(hass, entry_of(hass)).async_tick()
    asked = [e.path for e in emulator.ledger.entries[start:] if "telemetry" in e.path]
    assert asked == []
    settings = StreamingSettings.from_entry(entry_of(hass))
    assert settings is not None
    assert settings.cars[M3] == "streaming"
    assert settings.checked_at > data["checked_at"]
