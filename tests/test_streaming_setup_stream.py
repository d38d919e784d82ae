"""The streaming set-up ends with the entry reading the stream, not at Home Assistant's next start.

The entry subscribes with the streaming settings it was set up with (stream_ingest.py), so the
set-up flow reloads it when it ends: after the cars' summary, also when the summary is closed
without submitting, and after turning streaming off (the entry stops reading). Real parts: the
emulator, a TLS server with the test's CA, Mosquitto and Home Assistant's own MQTT client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
import time
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tesla_fleet_direct.stream_ingest import FLUSH_DELAY_S, StreamIngest
from fleet_emulator import Emulator
from tests.entity_helpers import entity_id_for, only_platforms, state_of
from tests.mqtt_helpers import Broker, Subscriber
from tests.streaming_helpers import (
    HOST,
    MY,
    Pki,
    TlsServer,
    open_streaming,
    server_input,
    streaming_account,
    submit,
    trust_only,
)

# Wall-clock guard for loopback MQTT round trips (counted in CPU time: see `until`).
WAIT_S = 10.0


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """A fresh config directory, so the test makes its own app key."""
    hass.config.config_dir = str(tmp_path / "config")


@pytest.fixture
async def server(tmp_path: Path, socket_enabled: None) -> AsyncIterator[tuple[TlsServer, Pki]]:
    """The owner's telemetry server, with a certificate from the test's CA."""
    pki = Pki()
    tls = TlsServer(tmp_path)
    tls.serve(pki.server(), pki.intermediate)
    await tls.start()
    yield tls, pki
    await tls.stop()


@pytest.fixture
async def account(
    hass: HomeAssistant,
    emulator: Emulator,
    mqtt_broker: Broker,
    ha_mqtt: MockConfigEntry,
    server: tuple[TlsServer, Pki],
) -> AsyncIterator[MockConfigEntry]:
    """Signed commands set up, the Model Y's key paired; the emulator's server at the TLS one."""
    tls, pki = server
    trust_only(hass, pki)
    emulator.stream.add_server(HOST, tls.port, mqtt_broker.address, topic_base="telemetry")
    with only_platforms(Platform.SENSOR):
        entry, _key = await streaming_account(hass, emulator)
        yield entry
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def until(done: Callable[[], bool]) -> None:
    """Yield to the event loop (real I/O with the broker) until `done`.

    Without timers: the harness's frozen time would stop them. The guard counts CPU time.
    """
    deadline = time.process_time() + WAIT_S
    while not done():
        assert time.process_time() < deadline, "nothing arrived in time"
        await asyncio.sleep(0)


def stream_of(entry: MockConfigEntry) -> StreamIngest | None:
    stream: StreamIngest | None = entry.runtime_data.stream
    return stream


async def subscribed(broker: Broker, stream: StreamIngest) -> None:
    """Publish to a car of no entry until the ingest reads it: its subscription is in place."""
    probe = Subscriber(broker, topic="tesla-fleet-direct/none")
    try:

        def seen() -> bool:
            if stream.received:
                return True
            probe.publish("telemetry/XP7YGCEL0NB000009/v/BatteryLevel", b"1")
            return False

        await until(seen)
    finally:
        probe.close()


async def set_up_streaming(hass: HomeAssistant, entry: MockConfigEntry, port: int) -> Any:
    """Reconfigure > streaming: the server, the default fields; the cars' summary comes back."""
    result = await open_streaming(hass, entry)
    result = await submit(hass, result, server_input(port))
    assert result["step_id"] == "streaming_fields", result.get("errors")
    result = await submit(hass, result, {})
    assert result["step_id"] == "streaming_cars"
    return result


async def test_the_entry_reads_the_stream_once_the_set_up_ends(
    hass: HomeAssistant,
    emulator: Emulator,
    mqtt_broker: Broker,
    account: MockConfigEntry,
    server: tuple[TlsServer, Pki],
) -> None:
    entry = account
    assert stream_of(entry) is None
    result = await set_up_streaming(hass, entry, server[0].port)
    # The summary still reads the entry as it was set up.
    assert stream_of(entry) is None

    result = await submit(hass, result, {})
    assert result["type"] is FlowResultType.ABORT
    await hass.async_block_till_done()
    stream = stream_of(entry)
    assert stream is not None
    await subscribed(mqtt_broker, stream)

    # The car connects and sends every field: its battery level is on the sensor.
    car = emulator.vehicle(MY)
    car.battery_level = 71.0
    (emulator_server,) = emulator.stream.servers.values()
    emulator.advance(0)
    # Every message of the car's (the probes are another car's, counted apart).
    assert emulator_server.published > 0
    await until(lambda: stream.counts.accepted >= emulator_server.published)
    # The ingest's one-second hand-over.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=FLUSH_DELAY_S + 0.1))
    await hass.async_block_till_done()
    assert state_of(hass, entity_id_for(hass, "sensor", "battery_level", MY)).state == "71"


async def test_closing_the_summary_reads_the_stream_too_and_turning_off_stops_it(
    hass: HomeAssistant, account: MockConfigEntry, server: tuple[TlsServer, Pki]
) -> None:
    entry = account
    result = await set_up_streaming(hass, entry, server[0].port)
    # The person closes the dialog on the cars' summary: the cars hold the configuration.
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    assert stream_of(entry) is not None

    result = await open_streaming(hass, entry)
    assert result["type"] is FlowResultType.MENU
    result = await submit(hass, result, {"next_step_id": "streaming_off"})
    result = await submit(hass, result, {})
    assert result["reason"] == "streaming_off_done"
    await hass.async_block_till_done()
    assert stream_of(entry) is None
