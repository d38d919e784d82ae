"""One side of one scenario: the emulator on virtual time, driven by ours or the baseline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import time
import tracemalloc
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import async_fire_time_changed  # type: ignore[import-untyped]

from fleet_emulator import Emulator
from fleet_emulator.clock import Clock
from fleet_emulator.ledger import LedgerEntry
from fleet_emulator.scenario import parse_scenario
from fleet_emulator.world import World
from tests.common import setup_integration

from . import metrics
from .baseline import BaselinePoller
from .jobs import START, Job
from .scenarios import DAY


def _timer_due(hass: HomeAssistant) -> bool:
    """Whether any of Home Assistant's timers is due (within the harness's 0.5 s jitter)."""
    horizon = hass.loop.time() + 1.0
    return any(
        isinstance(handle, asyncio.TimerHandle)
        and not handle.cancelled()
        and handle.when() <= horizon
        for handle in get_scheduled_timer_handles(hass.loop)
    )


@dataclass
class Samples:
    """The truth, sampled once a step: when each car charged or drove, and how long it slept."""

    charging: dict[str, list[float]]
    driving: dict[str, list[float]]
    site_times: list[float]
    asleep_s: float = 0.0
    asleep_without_s: float = 0.0


@dataclass(frozen=True)
class SideRun:
    """One side's figures and the ledger they were computed from."""

    figures: dict[str, Any]
    ledger: list[LedgerEntry]


async def run_job(hass: HomeAssistant, freezer: FrozenDateTimeFactory, job: Job) -> SideRun:
    """Run one side over the scenario and return its figures (see `metrics`)."""
    freezer.move_to(START)
    start = time.time()
    scenario = parse_scenario(job.scenario.document(job.sleep_model), start=start)
    emu = Emulator(scenario)
    # The same day with no integration at all: a bare simulation nobody asks anything.
    untouched = World(scenario, Clock())
    await emu.start("127.0.0.1", 0)
    session: aiohttp.ClientSession | None = None
    cpu = 0.0
    if job.measure_memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        began = time.process_time()
        if job.side == "ours":
            entry = await setup_integration(hass, emu)
            # Set-up may leave requests in flight as background tasks; finish them before
            # virtual time moves, or their client timeouts would fire.
            await hass.async_block_till_done(wait_background_tasks=True)

            async def tick(now: float) -> None:
                if not _timer_due(hass):
                    return  # nothing scheduled yet: firing would change nothing, only cost
                async_fire_time_changed(hass)
                # Background too: a refresh still in flight at the next tick would see its
                # client timeout fire on virtual time.
                await hass.async_block_till_done(wait_background_tasks=True)

            step: Callable[[float], Awaitable[None]] = tick
        else:
            session = aiohttp.ClientSession()
            poller = BaselinePoller(session, emu, job.scenario.vins, job.scenario.site_ids)
            step = poller.tick
            await step(start)
        cpu += time.process_time() - began
        samples, step_cpu = await _drive(
            freezer=freezer, job=job, emu=emu, untouched=untouched, step=step, start=start
        )
        cpu += step_cpu
        peak = tracemalloc.get_traced_memory()[1] if job.measure_memory else 0
        if job.side == "ours":
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    finally:
        if job.measure_memory:
            tracemalloc.stop()
        if session is not None:
            await session.close()
        await emu.stop()
    return SideRun(
        figures(job, emu, samples, start=start, cpu=cpu, peak=peak), list(emu.ledger.entries)
    )


async def _drive(
    *,
    freezer: FrozenDateTimeFactory,
    job: Job,
    emu: Emulator,
    untouched: World,
    step: Callable[[float], Awaitable[None]],
    start: float,
) -> tuple[Samples, float]:
    """Move virtual time step by step; only the side's own work counts as CPU."""
    vins = job.scenario.vins
    samples = Samples({v: [] for v in vins}, {v: [] for v in vins}, [])
    actions = sorted(job.scenario.actions, key=lambda a: a.at)
    cpu = 0.0
    steps = int(job.duration_s // job.step_s)
    for _ in range(steps):
        freezer.tick(job.step_s)
        now = time.time()
        while actions and start + actions[0].at <= now:
            action = actions.pop(0)
            for world in (emu.world, untouched):
                world.advance()
                setattr(world.vehicles[action.vin], action.attribute, action.value)
        began = time.process_time()
        await step(now)
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
    return samples, cpu


def _age_stats(name: str, values: list[float]) -> dict[str, float | None]:
    return {
        f"{name}_mean_s": _round(metrics.mean(values)),
        f"{name}_p50_s": _round(metrics.percentile(values, 0.5)),
        f"{name}_p95_s": _round(metrics.percentile(values, 0.95)),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def figures(
    job: Job, emu: Emulator, samples: Samples, *, start: float, cpu: float, peak: int
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
        "side": job.side,
        "sleep_model": job.sleep_model,
        "days": round(days, 4),
        "vehicles": len(job.scenario.vins),
        "sites": len(job.scenario.site_ids),
        "billed_requests": free,
        "billed_requests_state_billed": billed,
        "billed_requests_per_vehicle_day": per_day,
        "cost_usd_per_month": round(metrics.monthly_cost(entries, days, state_billed=False), 4),
        "cost_usd_per_month_state_billed": round(
            metrics.monthly_cost(entries, days, state_billed=True), 4
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
        "cpu_seconds": round(cpu, 3),
        "peak_memory_mb": round(peak / 1e6, 2),
    }
