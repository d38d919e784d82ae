"""Smoke test of the benchmark: half an hour of a charging car, ours and the baseline."""

from __future__ import annotations

from dataclasses import replace
import itertools
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from benchmarks import metrics
from benchmarks.flood import run_flood
from benchmarks.harness import run_job
from benchmarks.jobs import START, FloodJob, Job
from benchmarks.report import pair_results, stream_targets, table
from benchmarks.scenarios import BenchScenario, car, command_round_trip, solar_home, vin
from benchmarks.streaming import field_plan
from custom_components.tesla_fleet_direct.api.accounting import REQUESTS_PER_USD, SIGNALS_PER_USD
from custom_components.tesla_fleet_direct.schedule.budget import PollingIntervals
from tests.mqtt_helpers import mosquitto_binary

# Awake and charging from the start: both sides have data to fetch at once.
SLICE = BenchScenario(
    "charging slice",
    1,
    (car(1, asleep_at_start=False, plugged_in=True, battery_level=40.0, charge_limit_soc=90),),
)
SLICE_S = 1800.0
REQUIRED = (
    "billed_requests",
    "cost_usd_per_month",
    "polling_wakes",
    "sleep_minutes_lost",
    "battery_age_charging_p50_s",
    "battery_age_charging_p95_s",
    "location_age_driving_p50_s",
    "cpu_seconds",
    "peak_memory_mb",
)


@pytest.mark.usefixtures("socket_enabled")
async def test_slice_figures_come_from_the_ledger(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Both sides report every required figure, and the costs are the ledger's requests priced."""
    results = []
    for side in ("ours", "baseline"):
        job = Job(SLICE, "modern", side, seconds=SLICE_S, measure_memory=side == "ours")
        run = await run_job(hass, freezer, job)
        figures = run.figures
        assert all(key in figures for key in REQUIRED)
        counts = {"data": 0, "command": 0, "wake": 0, "energy": 0, "free": 0}
        for entry in run.ledger:
            if 0 < entry.status < 500:
                counts[entry.category] += 1
        assert figures["billed_requests"] == counts
        priced = sum(counts[kind] / per for kind, per in REQUESTS_PER_USD.items())
        assert figures["cost_usd_per_month"] == pytest.approx(
            priced * 30 * 86400 / SLICE_S, abs=1e-3
        )
        data_times = metrics.fetch_times(run.ledger, "vehicle_data", vin(1))
        assert data_times, f"{side} never read the charging car"
        # The car charged the whole time, so every sample's age is at most the longest
        # gap between reads (counting from the start).
        gaps = [b - a for a, b in itertools.pairwise([START.timestamp(), *data_times])]
        assert figures["battery_age_charging_p95_s"] <= max(gaps)
        assert figures["polling_wakes"] == 0
        assert figures["cpu_seconds"] > 0
        results.append(figures)
    baseline = results[1]
    # The fixed policy: a state check and a vehicle_data every 10 minutes (0, 10, 20, 30 min).
    assert baseline["billed_requests"] == {
        "data": 4,
        "command": 0,
        "wake": 0,
        "energy": 0,
        "free": 4,
    }
    assert results[0]["peak_memory_mb"] > 0
    records = pair_results(results)
    assert [r["scenario"] for r in records] == ["charging slice"]
    assert set(records[0]) >= {"ours", "baseline"}
    assert "battery age charging p50 s" in table(records)


@pytest.mark.usefixtures("socket_enabled")
async def test_command_round_trip_is_timed_from_press_to_entity(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Half an hour of the command scenario (presses at 5 and 18 minutes): ours shows the new
    lock state once Tesla answers (at least one 100 ms request, well under a second); the
    baseline only with its next 10-minute poll."""
    scenario = command_round_trip()
    figures = {}
    for side in ("ours", "baseline"):
        job = Job(scenario, "modern", side, seconds=1800, measure_memory=False)
        run = await run_job(hass, freezer, job)
        figures[side] = run.figures
        commands = [e for e in run.ledger if "/command/door_" in e.path]
        assert len(commands) == 2
    ours, baseline = figures["ours"], figures["baseline"]
    assert ours["command_presses_shown"] == baseline["command_presses_shown"] == 2
    assert scenario.latency_s <= ours["command_round_trip_mean_s"] < 1.0
    # Pressed at 5 min (shown with the 10-min poll) and at 18 min (shown at 20 min).
    assert baseline["command_round_trip_mean_s"] == pytest.approx((300 + 120) / 2, abs=2)


@pytest.mark.usefixtures("socket_enabled")
async def test_solar_home_site_power_stays_fresh_on_the_default_budget(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """An hour of "solar home" on the default $10 budget: the site's power is never more than
    a minute old at the 95th percentile (energy requests are not billed, so the budget does not
    stretch them), and they are counted but add nothing to the cost."""
    job = Job(solar_home(), "modern", "ours", seconds=3600, measure_memory=False)
    run = await run_job(hass, freezer, job)
    figures = run.figures
    assert figures["site_power_age_p95_s"] <= 60
    live = metrics.fetch_times(run.ledger, "live_status", str(solar_home().site_ids[0]))
    assert len(live) >= 100  # every 30 s
    counts = figures["billed_requests"]
    assert counts["energy"] >= len(live)
    assert figures["energy_requests_per_day"] == pytest.approx(counts["energy"] * 24, rel=0.01)
    priced = sum(counts[kind] / per for kind, per in REQUESTS_PER_USD.items())
    assert figures["cost_usd_per_month"] == pytest.approx(priced * 30 * 24, abs=1e-3)
    assert metrics.cost_usd({**counts, "energy": 0}) == metrics.cost_usd(counts)


@pytest.mark.usefixtures("socket_enabled", "mock_hass_config")
async def test_streaming_side_delivers_every_message_and_prices_the_signals(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """Half an hour of the charging car on the streaming side (real Mosquitto, Home Assistant's
    mqtt integration), its telemetry server down from minute 20: every message the emulator
    published reached the integration, the signals it billed are what the integration
    counted, the cost is the ledger's requests plus the signals at $1 per 150,000, the
    battery level Home Assistant held while the stream ran was never older than the field's
    interval, and after the stop polling took over."""
    mosquitto_binary()  # skips without Mosquitto
    scenario = replace(SLICE, stream_down_at=1200.0, streaming_only=True)
    job = Job(scenario, "modern", "streaming", seconds=SLICE_S, measure_memory=False)
    run = await run_job(hass, freezer, job, tmp_path)
    figures = run.figures
    assert figures["stream_messages_published"] > 0
    assert figures["stream_messages_lost"] == figures["stream_delivery_timeouts"] == 0
    assert figures["signals"] > 0
    assert figures["signals_counted_by_integration"] == figures["signals"]
    month = 30 * 86400 / SLICE_S
    requests = sum(
        per_kind / REQUESTS_PER_USD[kind]
        for kind, per_kind in figures["billed_requests"].items()
        if kind in REQUESTS_PER_USD
    )
    assert figures["cost_usd_per_month"] == pytest.approx(
        (requests + figures["signals"] / SIGNALS_PER_USD) * month, abs=1e-3
    )
    assert figures["battery_level_interval_s"] == field_plan()["BatteryLevel"]
    assert figures["battery_age_charging_p50_s"] <= figures["battery_level_interval_s"]
    # Stopped while charging: the report says when the first request after the stop went out
    # (the ledger's), and what the car showed meanwhile.
    stop = START.timestamp() + 1200.0
    assert figures["stream_stopped_activity"] == "charging"
    assert figures["polling_interval_s"] == PollingIntervals().charging
    first = min(
        e.time
        for e in run.ledger
        if e.time >= stop and e.endpoint in ("vehicle_data", "vehicle", "vehicles")
    )
    assert figures["polling_resumed_after_s"] == pytest.approx(first - stop, abs=0.1)
    samples = figures["after_stop"]
    assert [s["after_s"] for s in samples[:3]] == [0.0, 30.0, 60.0]
    assert all(s["charging"] for s in samples)
    records = pair_results([figures])
    assert "streaming" in records[0]
    assert "stream stopped at" in table(records)


def test_stream_targets_are_checked_against_the_intervals_and_default_polling() -> None:
    """The Done-when lines: pass when streaming costs at most a fifth of default polling, the
    ages stay within the interval + 5 s, and nothing polls or wakes while the stream is up."""
    ours = {"cost_usd_per_month": 7.2, "cost_usd_per_month_state_billed": 14.64}
    good = {
        "cost_usd_per_month": 1.0,
        "cost_usd_per_month_state_billed": 2.9,
        "battery_age_charging_p95_s": 64.0,
        "location_age_driving_p95_s": 12.0,
        "battery_level_interval_s": 60,
        "location_interval_s": 10,
        "polling_wakes": 0,
        "state_checks_stream_up": 0,
        "state_checks_stream_down": 4,
    }
    bad = {**good, "cost_usd_per_month_state_billed": 3.0, "location_age_driving_p95_s": 16.0}
    lines = stream_targets(
        [
            {"scenario": "commuter", "sleep_model": "strict", "ours": ours, "streaming": good},
            {"scenario": "two cars", "sleep_model": "strict", "ours": ours, "streaming": bad},
        ]
    )
    commuter = [line for line in lines if "commuter" in line]
    assert len(commuter) == 6
    assert all(line.startswith("PASS") for line in commuter)
    failed = [line for line in lines if line.startswith("FAIL")]
    assert len(failed) == 2
    assert any("state checks billed" in line for line in failed)
    assert any("location age driving p95 16 s (target <= 15 s)" in line for line in failed)


@pytest.mark.usefixtures("socket_enabled", "mock_hass_config")
async def test_flood_takes_every_message_and_times_the_loop(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A few seconds of a small flood on the wall clock (the publisher a separate process):
    every message published is taken by the integration, and each window reports the CPU,
    the messages, the longest stall and the longest callback of the event loop."""
    mosquitto_binary()
    flood = FloodJob(cars=3, per_minute=600, minutes=0.05, idle_s=1.0, settle_s=0.5)
    figures = await run_flood(hass, flood, tmp_path)
    assert figures["published"] == 3 + 30  # each car's connection, then 600 a minute for 3 s
    assert figures["received"] == figures["published"]
    assert figures["signals"] == 30
    assert figures["malformed"] == 0
    windows = figures["windows"]
    assert [w["window"] for w in windows] == ["idle", "minute 1"]
    assert windows[0]["messages"] == 0
    assert windows[1]["messages"] == figures["published"]
    assert windows[1]["cpu_s"] > 0
    assert 0 <= figures["longest_stall_ms"] < 5000
    assert figures["longest_callback"]
