"""`./scripts/develop` (scripts/dev_instance.py): stopped and started again, still signed in.

With its broker: Home Assistant's MQTT integration set up on the dev instance's Mosquitto, kept
across a restart (also when the broker's port changes), made anew by `--fresh`; and the
emulator's telemetry server publishing there, behind a TLS server the integration's checks trust.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import json
from pathlib import Path
import signal
import socket
import ssl
import sys
import time
from typing import Any
import uuid

from aiohttp import ClientSession
from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion
import pytest

from custom_components.tesla_fleet_direct.telemetry_server import check_server
from scripts import dev_instance
from tests.mqtt_helpers import mosquitto_binary

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "dev_instance.py"
READY_TIMEOUT_S = 90.0
# Wall-clock guard for Home Assistant's MQTT client to reach the broker (milliseconds here).
MQTT_TIMEOUT_S = 30.0
DOMAIN = "tesla_fleet_direct"
SCOPES = [
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: Home Assistant runs as a separate process here."""


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_emulator_keeps_its_state_in_the_config_dir(tmp_path: Path) -> None:
    args = dev_instance.parse_args(["--config", str(tmp_path), "--emulator-port", "9999"])
    command = dev_instance.emulator_command(args, tmp_path)
    assert command[command.index("--state") + 1] == str(tmp_path / ".emulator_state.json")
    assert "--fresh" not in command
    fresh = dev_instance.parse_args(["--config", str(tmp_path), "--fresh"])
    assert "--fresh" in dev_instance.emulator_command(fresh, tmp_path)


def test_fresh_disables_only_the_integrations_entries(tmp_path: Path) -> None:
    entries = [
        {"entry_id": "ours", "domain": DOMAIN, "disabled_by": None},
        {"entry_id": "other", "domain": "sun", "disabled_by": None},
    ]
    store = {"version": 1, "minor_version": 5, "key": "core.config_entries"}
    (tmp_path / "core.config_entries").write_text(
        json.dumps({**store, "data": {"entries": entries}}), encoding="utf-8"
    )
    assert dev_instance.disable_integration_entries(tmp_path) == ["ours"]
    saved = json.loads((tmp_path / "core.config_entries").read_text(encoding="utf-8"))
    assert [e["disabled_by"] for e in saved["data"]["entries"]] == ["user", None]
    assert dev_instance.disable_integration_entries(tmp_path / "missing") == []


class Instance:
    """A running dev instance: Home Assistant's URL, an owner token, the emulator's URL."""

    def __init__(self, http: ClientSession, ready: dict[str, Any], token: str) -> None:
        self.http = http
        self.url: str = ready["url"]
        self.ready = ready
        self.token = token
        # The OAuth redirect URI is built from the frontend's base URL, as the browser sends it.
        self.headers = {"Authorization": f"Bearer {token}", "HA-Frontend-Base": self.url}

    async def flows_in_progress(self) -> list[dict[str, Any]]:
        async with self.http.ws_connect(f"{self.url}/api/websocket") as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            await ws.send_json({"id": 1, "type": "config_entries/flow/progress"})
            flows: list[dict[str, Any]] = (await ws.receive_json())["result"]
            return flows

    async def get(self, path: str) -> Any:
        async with self.http.get(f"{self.url}{path}", headers=self.headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.url}{path}", headers=self.headers, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def entries(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        return [
            e for e in await self.get("/api/config/config_entries/entry") if e["domain"] == domain
        ]

    async def mqtt_entry_id(self) -> str:
        """The MQTT integration's one entry, loaded, and its client on the dev broker."""
        entries = await self.entries("mqtt")
        assert [e["state"] for e in entries] == ["loaded"], entries
        await self.mqtt_reaches_broker()
        entry_id: str = entries[0]["entry_id"]
        return entry_id

    async def mqtt_reaches_broker(self) -> None:
        """A message Home Assistant publishes arrives at the dev instance's broker."""
        topic = f"tfd-dev-check/{uuid.uuid4().hex}"
        received: list[bytes] = []

        def on_message(_client: Client, _userdata: object, message: MQTTMessage) -> None:
            received.append(message.payload)

        client = Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        client.on_message = on_message
        client.connect("127.0.0.1", self.ready["mqtt_port"])
        client.subscribe(topic)
        try:
            deadline = time.monotonic() + MQTT_TIMEOUT_S
            answer = ""
            while not received:
                assert time.monotonic() < deadline, f"nothing from Home Assistant: {answer}"
                # Retained, so it arrives whenever the subscription is in place; sent again
                # until Home Assistant's client has connected (until then it answers 500).
                async with self.http.post(
                    f"{self.url}/api/services/mqtt/publish",
                    headers=self.headers,
                    json={"topic": topic, "payload": "up", "retain": True},
                ) as response:
                    answer = f"{response.status} {await response.text()}"
                for _ in range(10):
                    client.loop(timeout=0.05)
            assert received[0] == b"up"
        finally:
            client.publish(topic, b"", retain=True)  # clears the retained message
            client.loop(timeout=0.05)
            client.disconnect()

    async def telemetry_server_ready(self, config_dir: Path) -> None:
        """The emulator publishes to the broker for the telemetry server, whose TLS checks pass."""
        ready = self.ready
        async with self.http.get(f"{ready['emulator_url']}/_emulator/telemetry_servers") as resp:
            servers = (await resp.json())["servers"]
        assert [(s["hostname"], s["port"], s["broker"], s["topic_base"]) for s in servers] == [
            ("127.0.0.1", ready["telemetry_port"], f"127.0.0.1:{ready['mqtt_port']}", "telemetry")
        ]
        # The integration's own checks, trusting the dev CA as configuration.yaml tells it to.
        trust = ssl.create_default_context(cafile=config_dir / ".telemetry" / "ca.pem")
        chain = await check_server(ready["telemetry_host"], ready["telemetry_port"], trust)
        assert "BEGIN CERTIFICATE" in chain.ca

    async def sign_in(self) -> None:
        """The integration's set-up, the consent page approved at once."""
        step = await self.post("/api/config/config_entries/flow", {"handler": DOMAIN})
        flow = f"/api/config/config_entries/flow/{step['flow_id']}"
        step = await self.post(flow, {"scopes": SCOPES})
        assert step["type"] == "external", step
        async with self.http.get(
            f"{step['url']}&emulator_auto_approve=1", allow_redirects=False
        ) as response:
            callback = response.headers["Location"]
        async with self.http.get(callback) as response:
            assert response.status == 200
        result = await self.post(flow, {})
        assert result["type"] == "create_entry", result

    async def wait_for_loaded_entry_with_data(self) -> None:
        """The entry is loaded and a car's battery level came from the emulator."""
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
        while True:
            entries = await self.entries()
            states = await self.get("/api/states")
            levels = [
                s["state"]
                for s in states
                if s["entity_id"].endswith("_battery_level")
                and s["state"] not in ("unavailable", "unknown")
            ]
            if [e["state"] for e in entries] == ["loaded"] and levels:
                return
            assert asyncio.get_running_loop().time() < deadline, (entries, levels)
            # A real Home Assistant process polls on its own schedule.
            await asyncio.sleep(0.5)


@asynccontextmanager
async def running(
    http: ClientSession, config_dir: Path, ports: tuple[int, int, int, int], *extra: str
) -> AsyncIterator[Instance]:
    """Start scripts/dev_instance.py; stop it with Ctrl-C (SIGINT) on exit, as a user would."""
    ready_file = config_dir.parent / "ready.json"
    ready_file.unlink(missing_ok=True)
    log_dir = config_dir.parent / "logs"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--config",
        str(config_dir),
        "--port",
        str(ports[0]),
        "--emulator-port",
        str(ports[1]),
        "--mqtt-port",
        str(ports[2]),
        "--telemetry-port",
        str(ports[3]),
        "--log-dir",
        str(log_dir),
        "--ready-file",
        str(ready_file),
        *extra,
        cwd=REPO_ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
        while not ready_file.exists():
            assert process.returncode is None, f"the dev instance exited; see {log_dir}"
            assert asyncio.get_running_loop().time() < deadline, f"no start; see {log_dir}"
            # Waiting for real child processes to come up.
            await asyncio.sleep(0.2)
        ready = json.loads(ready_file.read_text(encoding="utf-8"))
        owner = dev_instance.Owner(ready["username"], ready["username"], ready["password"])
        token = await dev_instance.owner_token(http, ready["url"], owner)
        yield Instance(http, ready, token)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 60)


async def test_restart_keeps_the_entry_signed_in_and_fresh_starts_over(
    tmp_path: Path, socket_enabled: None
) -> None:
    mosquitto_binary()  # skips, saying why, where Mosquitto cannot be installed
    config_dir = tmp_path / "config"
    ports = (free_port(), free_port(), free_port(), free_port())
    async with ClientSession() as http:
        async with running(http, config_dir, ports) as instance:
            mqtt_entry = await instance.mqtt_entry_id()
            await instance.telemetry_server_ready(config_dir)
            await instance.sign_in()
            await instance.wait_for_loaded_entry_with_data()
            signed_in = await instance.entries()

        # The broker moves to another port: the kept MQTT entry follows it.
        ports = (*ports[:2], free_port(), ports[3])
        async with running(http, config_dir, ports) as instance:
            await instance.wait_for_loaded_entry_with_data()
            assert [e["entry_id"] for e in await instance.entries()] == [
                e["entry_id"] for e in signed_in
            ]
            # No new sign-in was asked for: no reauthentication flow, no consent page shown.
            assert await instance.flows_in_progress() == []
            assert await instance.mqtt_entry_id() == mqtt_entry
            await instance.telemetry_server_ready(config_dir)

        async with running(http, config_dir, ports, "--fresh") as instance:
            assert await instance.entries() == []
            assert await instance.mqtt_entry_id() != mqtt_entry
            await instance.sign_in()
            await instance.wait_for_loaded_entry_with_data()
