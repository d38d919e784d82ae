"""One side of one scenario: the emulator on virtual time, driven by ours or the baseline."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
import tempfile
import time
from typing import Any, Protocol

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.api.accounting import signal_cost_usd
from custom_components.tesla_fleet_direct.schedule.budget import PollingIntervals
from fleet_emulator import Emulator
from fleet_emulator.clock import Clock
from fleet_emulator.ledger import LedgerEntry
from fleet_emulator.scenario import parse_scenario
from fleet_emulator.world import World
from tests.common import setup_integration

from . import metrics
from .baseline import BaselinePoller
from .jobs import START, Job
from .memory import PeakRss
from .scenarios import DAY, Press
from .streaming import (
    AFTER_STOP_S,
    Mqtt,
    StreamingSide,
    StreamRig,
    field_plan,
    housekeeping,
    setup_streaming_entry,
    start_mqtt,
    start_rig,
    stop_mqtt,
)


def _timer_due(hass: HomeAssistant) -> bool:
    """Whether any of Home Assistant's timers is due (within the harness's 0.5 s jitter)."""
    horizon = hass.loop.time() + 1.0
    return any(
        isinstance(handle, asyncio.TimerHandle)
        and not handle.cancelled()
        and handle.when() <= horizon
        and not housekeeping(handle)
        for handle in get_scheduled_timer_handles(hass.loop)
    )


@dataclass
class Samples:
    """The truth, sampled once a step: when each car charged or drove, and how long it slept;
    and how long each dashboard press took to show on the entity."""

    charging: dict[str, list[float]]
    driving: dict[str, list[float]]
    site_times: list[float]
    asleep_s: float = 0.0
    asleep_without_s: float = 0.0
    round_trips: list[float] = field(default_factory=list)
    # Stream stopped: what the first car showed at each sample after the stop.
    after_stop: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SideRun:
    """One side's figures and the ledger they were computed from."""

    figures: dict[str, Any]
    ledger: list[LedgerEntry]


class Side(Protocol):
    """What the driver needs of ours or the baseline."""

    async def step(self, now: float) -> None:
        """Do whatever is due at `now` (virtual time)."""

    async def press(self, vin: str, lock: bool) -> None:
        """Lock or unlock the car's doors from the dashboard."""

    def shows(self, vin: str, lock: bool) -> bool:
        """Whether the dashboard shows the doors locked (`lock`) or unlocked."""

    async def settle(self) -> None:
        """Finish whatever the press set off (a confirming poll)."""


class Ours:
    """The integration in Home Assistant: timers fire when due; the lock entity is pressed."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Drive the integration set up as `entry`."""
        self.hass = hass
        self.entry = entry

    async def step(self, now: float) -> None:
        """Fire Home Assistant's timers when one is due."""
        if not _timer_due(self.hass):
            return  # nothing scheduled yet: firing would change nothing, only cost
        async_fire_time_changed(self.hass)
        # Background too: a refresh still in flight at the next tick would see its client
        # timeout fire on virtual time.
        await self.hass.async_block_till_done(wait_background_tasks=True)

    def _lock_entity(self, vin: str) -> str:
        registry = er.async_get(self.hass)
        for entity in er.async_entries_for_config_entry(registry, self.entry.entry_id):
            if entity.domain == "lock" and entity.unique_id.endswith(f"-{vin}-doors"):
                return entity.entity_id
        raise LookupError(f"no door lock for {vin}")

    async def press(self, vin: str, lock: bool) -> None:
        """The lock entity's action, as a dashboard button calls it."""
        await self.hass.services.async_call(
            "lock",
            "lock" if lock else "unlock",
            {"entity_id": self._lock_entity(vin)},
            blocking=True,
        )

    def shows(self, vin: str, lock: bool) -> bool:
        """The lock entity's state."""
        state = self.hass.states.get(self._lock_entity(vin))
        return state is not None and state.state == ("locked" if lock else "unlocked")

    async def settle(self) -> None:
        """Wait for the confirming poll the command started."""
        await self.hass.async_block_till_done(wait_background_tasks=True)


async def run_job(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    job: Job,
    directory: Path | None = None,
) -> SideRun:
    """Run one side over the scenario and return its figures (see `metrics`); the streaming
    side keeps its broker's files in `directory` (a temporary folder when None)."""
    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        mqtt = await start_mqtt(hass, freezer, directory) if job.side == "streaming" else None
        try:
            return await _run_job(hass, freezer, job, mqtt)
        finally:
            if mqtt is not None:
                await stop_mqtt(hass, mqtt, None)


async def _run_job(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, job: Job, mqtt: Mqtt | None
) -> SideRun:
    freezer.move_to(START)
    start = time.time()
    scenario = parse_scenario(job.scenario.document(job.sleep_model), start=start)
    # The scenario's clock is the harness's: an emulator start time from the environment
    # (FLEET_EMULATOR_START) must not move it.
    emu = Emulator(scenario, start=time.time())
    # The same day with no integration at all: a bare simulation nobody asks anything.
    untouched = World(scenario, Clock())
    await emu.start("127.0.0.1", 0)
    session: aiohttp.ClientSession | None = None
    rig: StreamRig | None = None
    memory = PeakRss() if job.measure_memory else None
    try:
        began = time.process_time()
        side: Side
        entry: ConfigEntry | None = None
        if job.side == "ours":
            entry = await setup_integration(hass, emu, options=job.scenario.options)
            # Set-up may leave requests in flight as background tasks; finish them before
            # virtual time moves, or their client timeouts would fire.
            await hass.async_block_till_done(wait_background_tasks=True)
            side = Ours(hass, entry)
        elif mqtt is not None:
            rig = start_rig(hass, emu, job.scenario.vins, mqtt)
            entry = await setup_streaming_entry(
                hass,
                emu,
                rig,
                options=job.scenario.options,
                start=start,
                duration_s=job.duration_s,
            )
            side = StreamingSide(
                Ours(hass, entry),
                entry,
                rig,
                stream_down_at=_at(start, job.scenario.stream_down_at),
                stream_up_at=_at(start, job.scenario.stream_up_at),
            )
        else:
            session = aiohttp.ClientSession()
            side = BaselinePoller(session, emu, job.scenario.vins, job.scenario.site_ids)
            await side.step(start)
        cpu = time.process_time() - began
        samples, step_cpu = await _drive(
            freezer=freezer, job=job, emu=emu, untouched=untouched, side=side, start=start
        )
        cpu += step_cpu
        peak = (memory.peak_mb(), memory.growth_mb()) if memory else (0.0, 0.0)
        stream = (
            stream_figures(job, emu, side, samples, start=start)
            if isinstance(side, StreamingSide)
            else {}
        )
        if entry is not None:
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    finally:
        if session is not None:
            await session.close()
        if rig is not None:
            rig.server.close()
        await emu.stop()
    result = figures(job, emu, samples, start=start, cpu=cpu, peak=peak)
    result.update(stream)
    return SideRun(result, list(emu.ledger.entries))


def _at(start: float, offset: float | None) -> float | None:
    return None if offset is None else start + offset


async def _drive(
    *,
    freezer: FrozenDateTimeFactory,
    job: Job,
    emu: Emulator,
    untouched: World,
    side: Side,
    start: float,
) -> tuple[Samples, float]:
    """Move virtual time step by step; only the side's own work counts as CPU."""
    vins = job.scenario.vins
    samples = Samples({v: [] for v in vins}, {v: [] for v in vins}, [])
    actions = sorted(job.scenario.actions, key=lambda a: a.at)
    presses = sorted(job.scenario.presses, key=lambda p: p.at)
    # A press that had not shown when its request finished: (press, virtual time pressed).
    pending: tuple[Press, float] | None = None
    cpu = 0.0
    steps = int(job.duration_s // job.step_s)

    def act(now: float) -> None:
        while actions and start + actions[0].at <= now:
            action = actions.pop(0)
            for world in (emu.world, untouched):
                world.advance()
                setattr(world.vehicles[action.vin], action.attribute, action.value)

    for _ in range(steps):
        if isinstance(side, StreamingSide):
            # Finer steps while a car streams; Home Assistant's share of them is its CPU.
            cpu += await side.advance(freezer, job.step_s, act)
        else:
            freezer.tick(job.step_s)
        now = time.time()
        act(now)
        began = time.process_time()
        if pending is None and presses and start + presses[0].at <= now:
            press = presses.pop(0)
            shown = await _press(freezer, emu, side, press, job.scenario.latency_s)
            if shown is None:
                pending = (press, now)
            else:
                samples.round_trips.append(shown)
        else:
            await side.step(now)
            if pending is not None and side.shows(pending[0].vin, pending[0].lock):
                # Shown by a later poll: the wait is virtual time.
                samples.round_trips.append(now - pending[1])
                pending = None
        cpu += time.process_time() - began
        emu.world.advance()
        untouched.advance()
        for v in vins:
            car = emu.world.vehicles[v]
            if car.charging:
                samples.charging[v].append(now)
            if car.drive is not None:
                samples.driving[v].append(now)
            if car.power_state == "asleep":
                samples.asleep_s += job.step_s
            if untouched.vehicles[v].power_state == "asleep":
                samples.asleep_without_s += job.step_s
        samples.site_times.append(now)
        if isinstance(side, StreamingSide):
            _sample_stop(side, emu=emu, vins=vins, samples=samples, now=now, start=start)
    return samples, cpu


def _sample_stop(
    side: StreamingSide,
    *,
    emu: Emulator,
    vins: list[str],
    samples: Samples,
    now: float,
    start: float,
) -> None:
    """After a stream stop, what the first car's battery and position looked like."""
    if side.stopped_at is None:
        return
    v = vins[0]
    car = emu.world.vehicles[v]
    battery = side.observed_at(v, "charge_state", "battery_level")
    location = side.observed_at(v, "drive_state", "latitude")
    samples.after_stop.append(
        {
            "after_s": round(now - side.stopped_at, 1),
            "charging": car.charging,
            "driving": car.drive is not None,
            "online": car.power_state == "online",
            "battery_age_s": round(now - (battery or start), 1),
            "location_age_s": round(now - (location or start), 1),
            "battery_shown": side.entity_available(v, "battery_level"),
            "repair_issue": side.stream_issue(v),
        }
    )


async def _press(
    freezer: FrozenDateTimeFactory, emu: Emulator, side: Side, press: Press, latency_s: float
) -> float | None:
    """Press, with every request taking `latency_s` of virtual time; the seconds until the
    entity showed the new state, or None if it had not when the request was done.

    The emulator's latency is an `asyncio.sleep`, and the harness's clock is frozen, so time is
    moved on in 10 ms steps while the press is in flight (and the entity looked at each step).
    """
    fault = emu.faults.inject("*", None, count=10**9, latency=latency_s) if latency_s else None
    pressed = time.time()

    async def press_and_settle() -> None:
        await side.press(press.vin, press.lock)
        await side.settle()

    task = asyncio.ensure_future(press_and_settle())
    shown: float | None = None
    try:
        while not task.done():
            for _ in range(50):
                await asyncio.sleep(0)
            if shown is None and side.shows(press.vin, press.lock):
                shown = time.time() - pressed
            if not task.done():
                freezer.tick(0.01)
        await task
    finally:
        if fault is not None:
            emu.faults.rules.remove(fault)
    if shown is None and side.shows(press.vin, press.lock):
        shown = time.time() - pressed
    return shown


def _age_stats(name: str, values: list[float]) -> dict[str, float | None]:
    return {
        f"{name}_mean_s": _round(metrics.mean(values)),
        f"{name}_p50_s": _round(metrics.percentile(values, 0.5)),
        f"{name}_p95_s": _round(metrics.percentile(values, 0.95)),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def figures(
    job: Job,
    emu: Emulator,
    samples: Samples,
    *,
    start: float,
    cpu: float,
    peak: tuple[float, float],
) -> dict[str, Any]:
    """Everything the report shows for one side, computed from the ledger and the samples."""
    entries = list(emu.ledger.entries)
    days = job.duration_s / DAY
    cars = max(1, len(job.scenario.vins))
    free = metrics.billed_counts(entries, state_billed=False)
    billed = metrics.billed_counts(entries, state_billed=True)
    battery: list[float] = []
    location: list[float] = []
    for v in job.scenario.vins:
        fetched = metrics.fetch_times(entries, "vehicle_data", v)
        battery += metrics.ages(samples.charging[v], fetched, start)
        location += metrics.ages(samples.driving[v], fetched, start)
    site: list[float] = []
    for site_id in job.scenario.site_ids:
        site += metrics.ages(
            samples.site_times, metrics.fetch_times(entries, "live_status", str(site_id)), start
        )
    per_day = {k: round(n / (cars * days), 2) for k, n in free.items()}
    return {
        "scenario": job.scenario.name,
        "scale": job.scenario.scale,
        "costed": job.scenario.costed,
        "side": job.side,
        "sleep_model": job.sleep_model,
        "days": round(days, 4),
        "vehicles": len(job.scenario.vins),
        "sites": len(job.scenario.site_ids),
        "billed_requests": free,
        "billed_requests_state_billed": billed,
        "billed_requests_per_vehicle_day": per_day,
        # Energy site requests (live status, site info, history): counted, not billed.
        "energy_requests_per_day": round(free["energy"] / days, 1),
        "cost_usd_per_month": round(metrics.monthly_cost(entries, days, state_billed=False), 4),
        "cost_usd_per_month_state_billed": round(
            metrics.monthly_cost(entries, days, state_billed=True), 4
        ),
        # The requests alone (the streaming side adds its signals to the two costs above).
        "request_cost_usd_per_month": round(
            metrics.monthly_cost(entries, days, state_billed=False), 4
        ),
        "signals": 0,
        "signals_per_vehicle_day": 0.0,
        "signal_cost_usd_per_month": 0.0,
        "vehicle_data_requests": metrics.endpoint_count(entries, "vehicle_data"),
        "vehicle_data_per_vehicle_day": round(
            metrics.endpoint_count(entries, "vehicle_data") / (cars * days), 2
        ),
        "state_checks": sum(
            metrics.endpoint_count(entries, name) for name in metrics.STATE_ENDPOINTS
        ),
        "polling_wakes": metrics.wakes(entries),
        "sleep_minutes_lost": round(
            (samples.asleep_without_s - samples.asleep_s) / 60 / (cars * days), 1
        ),
        "sleep_minutes_without_integration": round(
            samples.asleep_without_s / 60 / (cars * days), 1
        ),
        **_age_stats("battery_age_charging", battery),
        **_age_stats("location_age_driving", location),
        **_age_stats("site_power_age", site),
        **_age_stats("command_round_trip", samples.round_trips),
        "command_presses_shown": len(samples.round_trips),
        "command_presses": len(job.scenario.presses),
        "cpu_seconds": round(cpu, 3),
        # The process's peak resident size during the job, and how far it rose above the start.
        "peak_memory_mb": round(peak[0], 1),
        "memory_growth_mb": round(peak[1], 1),
    }


def stream_figures(
    job: Job, emu: Emulator, side: StreamingSide, samples: Samples, *, start: float
) -> dict[str, Any]:
    """The streaming side's own figures (they replace or add to `figures`).

    Cost: the ledger's requests plus every field message the emulator's server published
    (one signal each, what Tesla bills) at $1 per 150,000. Freshness: how old the battery
    level (charging) and position (driving) Home Assistant holds were at each sample, whichever
    source told them last.
    """
    entries = list(emu.ledger.entries)
    days = job.duration_s / DAY
    cars = max(1, len(job.scenario.vins))
    rig = side.rig
    keys = {v["vin"]: v["vin"] for v in job.scenario.vehicles}
    keys.update({str(v["id"]): v["vin"] for v in job.scenario.vehicles if "id" in v})
    intervals = field_plan()
    signals = sum(rig.signals(v) for v in job.scenario.vins)
    signal_month = signal_cost_usd(signals) * metrics.DAYS_PER_MONTH / days
    up, down = metrics.state_checks(entries, keys, rig.connected)
    ingest = rig.ingest
    connected_s = sum(
        min(span.end, start + job.duration_s) - span.start
        for spans in rig.spans.values()
        for span in spans
    )
    out: dict[str, Any] = {
        "signals": signals,
        "signals_per_vehicle_day": round(signals / (cars * days), 1),
        "signal_cost_usd_per_month": round(signal_month, 4),
        "cost_usd_per_month": round(
            metrics.monthly_cost(entries, days, state_billed=False) + signal_month, 4
        ),
        "cost_usd_per_month_state_billed": round(
            metrics.monthly_cost(entries, days, state_billed=True) + signal_month, 4
        ),
        "battery_level_interval_s": intervals.get("BatteryLevel"),
        "location_interval_s": intervals.get("Location"),
        # Every counted request by endpoint per car-day: what polling still asks for.
        "requests_per_vehicle_day_by_endpoint": {
            name: round(n / (cars * days), 2)
            for name, n in sorted(metrics.endpoint_counts(entries).items())
        },
        "state_checks_stream_up": up,
        "state_checks_stream_down": down,
        "stream_connected_hours_per_vehicle_day": round(connected_s / 3600 / (cars * days), 2),
        "stream_messages_published": rig.server.published,
        "stream_messages_lost": rig.lost(),
        "stream_delivery_timeouts": rig.delivery_timeouts,
        # What the integration counted for the cost meter: should equal `signals`.
        "signals_counted_by_integration": (
            sum(ingest.counts.signals.values()) if ingest is not None else None
        ),
        # Sampled every (sub-)step, so every second while a car is awake.
        **_age_stats("battery_age_charging", side.battery_held),
        **_age_stats("location_age_driving", side.location_held),
    }
    if side.stopped_at is not None:
        out.update(_stop_figures(job, side=side, samples=samples, entries=entries, keys=keys))
    return out


def _stop_figures(
    job: Job,
    *,
    side: StreamingSide,
    samples: Samples,
    entries: list[LedgerEntry],
    keys: dict[str, str],
) -> dict[str, Any]:
    """Stream stopped: how soon polling took over and what the first car showed meanwhile."""
    assert side.stopped_at is not None
    vin = job.scenario.vins[0]
    first = samples.after_stop[0] if samples.after_stop else {}
    intervals = PollingIntervals()
    if first.get("driving"):
        activity, interval = "driving", intervals.active
    elif first.get("charging"):
        activity, interval = "charging", intervals.charging
    elif first.get("online"):
        activity, interval = "parked online", intervals.idle
    else:
        activity, interval = "asleep", intervals.asleep
    polled = metrics.first_request_after(
        entries, side.stopped_at, ("vehicle_data", *metrics.STATE_ENDPOINTS), vin, keys
    )
    data = metrics.first_request_after(entries, side.stopped_at, ("vehicle_data",), vin, keys)
    # Older than polling would ever show it: the activity's interval and one sampling step.
    driving_limit = intervals.active + job.step_s
    charging_limit = intervals.charging + job.step_s

    def stale(sample: dict[str, Any]) -> bool:
        if sample["driving"]:
            return bool(sample["location_age_s"] > driving_limit)
        if sample["charging"]:
            return bool(sample["battery_age_s"] > charging_limit)
        return False

    unmarked = [
        s
        for s in samples.after_stop
        if stale(s) and s["battery_shown"] is not False and not s["repair_issue"]
    ]
    issue_at = next((s["after_s"] for s in samples.after_stop if s["repair_issue"]), None)
    after = sorted(
        (e.time - side.stopped_at, e.endpoint)
        for e in entries
        if e.counted and e.time >= side.stopped_at
    )
    return {
        "stream_stopped_at_s": round(side.stopped_at - START.timestamp(), 1),
        "stream_stopped_activity": activity,
        "stream_restarted_at_s": (
            None if side.restarted_at is None else round(side.restarted_at - START.timestamp(), 1)
        ),
        "polling_interval_s": interval,
        "polling_resumed_after_s": None if polled is None else round(polled - side.stopped_at, 1),
        "vehicle_data_after_stop_s": None if data is None else round(data - side.stopped_at, 1),
        "repair_issue_after_s": issue_at,
        "stale_threshold_s": {"driving": driving_limit, "charging": charging_limit},
        "unmarked_stale_samples": len(unmarked),
        "first_unmarked_stale_after_s": unmarked[0]["after_s"] if unmarked else None,
        "oldest_unmarked_stale_s": max(
            (max(s["battery_age_s"], s["location_age_s"]) for s in unmarked), default=None
        ),
        "requests_after_stop": [[round(t, 1), name] for t, name in after[:12]],
        # Once the server is back: does polling step back again?
        "vehicle_data_after_restart": (
            None
            if side.restarted_at is None
            else sum(
                1
                for e in entries
                if e.counted and e.endpoint == "vehicle_data" and e.time >= side.restarted_at
            )
        ),
        # Every sample to the end is counted above; the first two hours are listed.
        "after_stop": [s for s in samples.after_stop if s["after_s"] <= AFTER_STOP_S],
    }
