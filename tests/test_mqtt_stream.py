"""Home Assistant's own mqtt integration reads what the emulator's cars stream (real Mosquitto).

Only the transport: mapping the messages onto this integration's entities is streaming part 2's
data-layer work. This checks the broker fixture and HA's mqtt client against it.
"""

from __future__ import annotations

import asyncio

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
import pytest

from fleet_emulator import Emulator
from fleet_emulator.telemetry import AppConfig
from tests.mqtt_helpers import Broker, until_subscribed

M3 = "5YJ3E7EB0KF000001"
HOST = "telemetry.example.com"


@pytest.mark.usefixtures("ha_mqtt")
async def test_home_assistant_mqtt_receives_the_cars_fields(
    hass: HomeAssistant, emulator: Emulator, mqtt_broker: Broker
) -> None:
    received: dict[str, str] = {}
    arrived = asyncio.Event()

    @callback
    def on_message(message: mqtt.ReceiveMessage) -> None:
        received[message.topic] = str(message.payload)
        if f"telemetry/{M3}/v/Locked" in received:
            arrived.set()

    unsubscribe = await mqtt.async_subscribe(hass, f"telemetry/{M3}/#", on_message)
    try:
        await until_subscribed(mqtt_broker, f"telemetry/{M3}/probe", lambda: bool(received))
        emulator.stream.add_server(HOST, 443, mqtt_broker.address, topic_base="telemetry")
        now = emulator.clock.now()
        claims = {"hostname": HOST, "port": 443, "fields": {"Locked": {"interval_seconds": 1}}}
        emulator.telemetry.car(M3).configs["tfd-client"] = AppConfig(
            claims, now, accepted=True, trusted=True, synced=True
        )
        emulator.advance(0)
        async with asyncio.timeout(10):
            await arrived.wait()
        assert received[f"telemetry/{M3}/v/Locked"] == "true"
        assert '"Status":"CONNECTED"' in received[f"telemetry/{M3}/connectivity"]
    finally:
        unsubscribe()
