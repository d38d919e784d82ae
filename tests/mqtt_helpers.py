"""A real Mosquitto for the tests, and a plain MQTT subscriber to read what reaches it.

`scripts/setup` installs Debian's `mosquitto`; without it the tests that need a broker skip.
The broker listens on a free 127.0.0.1 port with a configuration written into the test's
temporary folder (loopback only, anonymous, nothing kept on disk) and can be stopped and
started again on the same port, as a broker that goes away for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import os
from pathlib import Path
import pwd
import shutil
import socket
import subprocess
import time
import uuid

from homeassistant.components.mqtt import DOMAIN as MQTT_DOMAIN
from homeassistant.core import HomeAssistant
from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Wall-clock guards only: a broker on loopback starts and answers in milliseconds.
START_TIMEOUT_S = 10.0
WAIT_TIMEOUT_S = 10.0


def mosquitto_binary() -> Path:
    """The broker program, or skip the test saying how to get it."""
    found = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()),
        None,
    )
    if found is None:
        pytest.skip(
            "Mosquitto is not installed (scripts/setup installs Debian's mosquitto with apt "
            "where it can; see .cache/mosquitto-install.log)"
        )
    return Path(found)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Broker:
    """One Mosquitto process on 127.0.0.1:`port`."""

    def __init__(self, binary: Path, directory: Path) -> None:
        """Write the configuration (nothing runs until `start`)."""
        self.binary = binary
        self.port = free_port()
        self.host = "127.0.0.1"
        self.config = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence false",
            f"log_dest file {self.log}",
            # Run as whoever runs the tests (as root, Mosquitto would switch to its own user,
            # which cannot write into the test's folder).
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
            # The offline-buffer test replays 5,000 messages at once.
            "max_queued_messages 20000",
        ]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """host:port, as the fleet-telemetry server's `broker` setting takes it."""
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        """Run the broker and wait until it accepts connections."""
        self._process = subprocess.Popen(
            [str(self.binary), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                log = self.log.read_text() if self.log.exists() else ""
                raise RuntimeError(f"mosquitto exited with {self._process.returncode}: {log}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port)):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not open its port")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the broker (its connections close)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


class Subscriber:
    """A plain MQTT client subscribed to `topic`, read on the test's own thread (no paho thread)."""

    def __init__(self, broker: Broker, topic: str = "#") -> None:
        """Connect and subscribe (waits for the broker's answers)."""
        self.messages: list[tuple[str, bytes]] = []
        self._subscribed = False
        client = Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.connect(broker.host, broker.port)
        self._client = client
        self._until(client.is_connected)
        client.subscribe(topic, qos=1)
        self._until(lambda: self._subscribed)

    def _on_message(self, client: Client, userdata: object, message: MQTTMessage) -> None:
        self.messages.append((message.topic, message.payload))

    def _on_subscribe(self, *args: object) -> None:
        self._subscribed = True

    def _until(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("the broker did not answer")
            if self._client.loop(timeout=0.02) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                raise ConnectionError("the subscriber lost the broker")

    def wait_for(self, count: int) -> list[tuple[str, bytes]]:
        """Read until at least `count` messages arrived in all; all of them, in order."""
        self._until(lambda: len(self.messages) >= count)
        return list(self.messages)

    def wait_for_topic(self, topic: str) -> bytes:
        """Read until a message on `topic` arrives after those already taken; its payload."""
        start = len(self.messages)
        self._until(lambda: any(t == topic for t, _ in self.messages[start:]))
        return next(p for t, p in self.messages[start:] if t == topic)

    def take(self) -> dict[str, bytes]:
        """The messages so far as topic -> last payload, and forget them."""
        taken = dict(self.messages)
        self.messages.clear()
        return taken

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish one message (written before this returns)."""
        info = self._client.publish(topic, payload)
        self._until(info.is_published)

    def close(self) -> None:
        """Disconnect."""
        with contextlib.suppress(OSError):
            self._client.disconnect()


async def setup_mqtt(hass: HomeAssistant, broker: Broker) -> MockConfigEntry:
    """Home Assistant's own mqtt integration, connected to `broker`.

    The entry data are what its config flow stores (homeassistant/components/mqtt/
    config_flow.py, const.py: `broker`, `port`; entry version 2.1). It reads configuration.yaml
    for MQTT items, so the test needs the harness's `mock_hass_config`. Unload it before the
    test ends (`unload_mqtt`): its client holds a socket and timers.
    """
    entry = MockConfigEntry(
        domain=MQTT_DOMAIN,
        title="Mosquitto",
        data={"broker": broker.host, "port": broker.port},
        version=2,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def until_subscribed(broker: Broker, topic: str, seen: Callable[[], bool]) -> None:
    """Publish to `topic` until Home Assistant's subscription shows it has it (`seen`).

    Home Assistant connects and subscribes in the background (subscriptions are batched), so a
    message sent before that would be lost.
    """
    probe = Subscriber(broker, topic="tesla-fleet-direct/none")
    try:
        async with asyncio.timeout(WAIT_TIMEOUT_S):
            while not seen():
                probe.publish(topic, b"probe")
                await asyncio.sleep(0.05)
    finally:
        probe.close()


async def unload_mqtt(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Undo `setup_mqtt`."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
