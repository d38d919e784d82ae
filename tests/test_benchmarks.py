"""Smoke test of the benchmark: half an hour of a charging car, ours and the baseline."""

from __future__ import annotations

import itertools

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from benchmarks import metrics
from benchmarks.harness import run_job
from benchmarks.jobs import START, Job
from benchmarks.report import pair_results, table
from benchmarks.scenarios import BenchScenario, car, command_round_trip, solar_home, vin
from custom_components.tesla_fleet_direct.api.accounting import REQUESTS_PER_USD

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
