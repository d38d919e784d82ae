"""A flood of Fleet Telemetry messages into Home Assistant, on the wall clock.

One entry with `cars` streaming cars (an emulator account holding them, awake and parked), Home
Assistant's `mqtt` integration against a real Mosquitto, and a separate process
(`flood_publisher`) publishing field messages at `per_minute` for `minutes`. Measured each
minute: Home Assistant's process time (this process: Home Assistant, the in-process emulator
answering its polls, and the probes below; the publisher is not in it), messages taken from the
broker, the longest stall of the event loop (a probe task asking to wake every 10 ms: how late
it woke) and the longest single callback the loop ran (every `asyncio.Handle` run timed). The
same figures over `idle_s` before the flood are the reference. Time is not frozen here: Home
Assistant's timers run as in production.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
from pathlib import Path
import subprocess
import sys
import time
from typing import Any, Final

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant

from custom_components.tesla_fleet_direct.streaming_upkeep import (
    CONF_STREAMING,
    DATA_PROBE,
    EXPIRY,
    ServerProbe,
)
from fleet_emulator import Emulator
from fleet_emulator.scenario import parse_scenario
from tests.common import async_setup_domain, create_entry
from tests.mqtt_helpers import Broker, Subscriber, mosquitto_binary

from .jobs import FloodJob
from .scenarios import BenchScenario, car
from .streaming import (
    BIRTH_TASK,
    CA_PEM,
    PROBE_VIN,
    TOPIC_BASE,
    _no_server_check,
    ingest_of,
    setup_mqtt_entry,
    streaming_settings,
)

PROBE_PERIOD_S: Final = 0.01
READY_GUARD_S: Final = 60.0
DRAIN_GUARD_S: Final = 60.0


@dataclass
class Window:
    """One measured stretch of the wall clock."""

    label: str
    began: float
    cpu_began: float
    received_began: int
    requests_began: int
    longest_stall_s: float = 0.0
    longest_callback_s: float = 0.0
    longest_callback: str = ""

    def close(self, cpu: float, received: int, requests: int, now: float) -> dict[str, Any]:
        """The window's figures."""
        seconds = now - self.began
        return {
            "window": self.label,
            "seconds": round(seconds, 1),
            "cpu_s": round(cpu - self.cpu_began, 2),
            "cpu_share": round((cpu - self.cpu_began) / seconds, 3) if seconds else None,
            "messages": received - self.received_began,
            "api_requests": requests - self.requests_began,
            "longest_stall_ms": round(self.longest_stall_s * 1000, 1),
            "longest_callback_ms": round(self.longest_callback_s * 1000, 1),
            "longest_callback": self.longest_callback,
        }


@dataclass
class LoopWatch:
    """The stall probe and the timing of every callback, into the current window."""

    window: Window | None = None
    running: bool = True
    windows: list[dict[str, Any]] = field(default_factory=list)

    async def probe(self) -> None:
        """Ask to wake every 10 ms; note how late each wake-up came."""
        loop = asyncio.get_running_loop()
        while self.running:
            asked = loop.time()
            await asyncio.sleep(PROBE_PERIOD_S)
            late = loop.time() - asked - PROBE_PERIOD_S
            if self.window is not None and late > self.window.longest_stall_s:
                self.window.longest_stall_s = late

    def timed(self, run: Any) -> Any:
        """`asyncio.Handle._run`, timed."""
        watch = self

        def _run(handle: asyncio.Handle) -> None:
            began = time.perf_counter()
            run(handle)
            took = time.perf_counter() - began
            window = watch.window
            if window is not None and took > window.longest_callback_s:
                window.longest_callback_s = took
                window.longest_callback = repr(handle)[:200]

        return _run


def _document(job: FloodJob) -> dict[str, Any]:
    scenario = BenchScenario(
        "flood",
        1,
        tuple(car(n, asleep_at_start=False) for n in range(1, job.cars + 1)),
    )
    return scenario.document("modern")


async def _wait(condition: Any, guard_s: float, what: str) -> None:
    deadline = time.monotonic() + guard_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"flood: {what} did not happen within {guard_s:.0f} s")
        await asyncio.sleep(0.05)


async def run_flood(hass: HomeAssistant, job: FloodJob, directory: Path) -> dict[str, Any]:
    """Set up, measure the quiet reference, flood, and return the figures."""
    emu = Emulator(parse_scenario(_document(job), start=time.time()), start=time.time())
    await emu.start("127.0.0.1", 0)
    broker = Broker(mosquitto_binary(), directory)
    broker.start()
    watch = LoopWatch()
    original = asyncio.events.Handle._run
    probe: asyncio.Task[None] | None = None
    try:
        mqtt_entry = await setup_mqtt_entry(hass, broker)
        await _wait(lambda: mqtt.is_connected(hass), READY_GUARD_S, "MQTT connect")
        vins = [str(v["vin"]) for v in _document(job)["vehicles"]]
        now = time.time()
        hass.data[DATA_PROBE] = ServerProbe(resolve=_no_server_check)
        await async_setup_domain(hass, emu)
        entry = create_entry(hass, emu)
        settings = streaming_settings(vins, CA_PEM, now=now, exp=int(now + EXPIRY.total_seconds()))
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_STREAMING: settings})
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await _wait(
            lambda: not any(t.get_name() == BIRTH_TASK for t in asyncio.all_tasks()),
            READY_GUARD_S,
            "MQTT birth",
        )
        sub = Subscriber(broker, topic="tesla-fleet-direct/none")
        try:
            deadline = time.monotonic() + READY_GUARD_S
            while (ingest := ingest_of(entry)) is None or ingest.received == 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("flood: the ingest never subscribed")
                sub.publish(f"{TOPIC_BASE}/{PROBE_VIN}/connectivity", b"{}")
                await asyncio.sleep(0.1)
        finally:
            sub.close()
        await asyncio.sleep(job.settle_s)
        asyncio.events.Handle._run = watch.timed(original)  # type: ignore[method-assign]
        probe = asyncio.create_task(watch.probe())

        def open_window(label: str) -> Window:
            window = Window(
                label,
                time.monotonic(),
                time.process_time(),
                int(ingest.received),
                len(emu.ledger.entries),
            )
            watch.window = window
            return window

        def close(window: Window) -> None:
            watch.windows.append(
                window.close(
                    time.process_time(),
                    int(ingest.received),
                    len(emu.ledger.entries),
                    time.monotonic(),
                )
            )

        window = open_window("idle")
        await asyncio.sleep(job.idle_s)
        close(window)
        received_before = int(ingest.received)
        publisher = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.flood_publisher",
            "--port",
            str(broker.port),
            "--topic-base",
            TOPIC_BASE,
            "--vins",
            ",".join(vins),
            "--per-minute",
            str(job.per_minute),
            "--seconds",
            str(job.minutes * 60),
            stdout=subprocess.PIPE,
        )
        minute = 0
        while True:
            minute += 1
            window = open_window(f"minute {minute}")
            try:
                await asyncio.wait_for(asyncio.shield(publisher.wait()), 60.0)
            except TimeoutError:
                close(window)
                continue
            close(window)
            break
        out = await publisher.stdout.read() if publisher.stdout is not None else b""
        published = int(json.loads(out.decode().strip().splitlines()[-1])["published"])
        await _wait(
            lambda: ingest.received - received_before >= published, DRAIN_GUARD_S, "delivery"
        )
        counts = ingest.counts
        figures = {
            "scenario": job.name,
            "side": "flood",
            "sleep_model": "-",
            "scale": True,
            "cars": job.cars,
            "per_minute": job.per_minute,
            "minutes": job.minutes,
            "published": published,
            "received": int(ingest.received) - received_before,
            "malformed": counts.malformed,
            "foreign": counts.foreign,
            "signals": sum(counts.signals.values()),
            "windows": watch.windows,
            "flood_cpu_s_per_minute": _per_minute(watch.windows, "cpu_s"),
            "idle_cpu_s_per_minute": round(
                watch.windows[0]["cpu_s"] * 60 / max(watch.windows[0]["seconds"], 1e-9), 2
            ),
            "longest_stall_ms": max(w["longest_stall_ms"] for w in watch.windows[1:]),
            "longest_callback_ms": max(w["longest_callback_ms"] for w in watch.windows[1:]),
            "longest_callback": max(watch.windows[1:], key=lambda w: w["longest_callback_ms"])[
                "longest_callback"
            ],
            "api_requests_during_flood": sum(w["api_requests"] for w in watch.windows[1:]),
        }
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.config_entries.async_unload(mqtt_entry.entry_id)
        await hass.async_block_till_done()
    finally:
        watch.running = False
        asyncio.events.Handle._run = original  # type: ignore[method-assign]
        if probe is not None:
            await probe
        broker.stop()
        await emu.stop()
    return figures


def _per_minute(windows: list[dict[str, Any]], key: str) -> float:
    """Over the flood's windows: `key` per minute of wall clock."""
    flood = windows[1:]
    seconds = sum(w["seconds"] for w in flood)
    return round(sum(w[key] for w in flood) * 60 / seconds, 2) if seconds else 0.0
