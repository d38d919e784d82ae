"""Hourly energy statistics from calendar_history: backfill, resume, no duplicates, removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.tesla_fleet_direct.api.energy import EnergySiteApi
from custom_components.tesla_fleet_direct.api.energy_data import HistoryEntry
from custom_components.tesla_fleet_direct.energy_statistics import (
    BACKFILL_DAYS,
    EnergyStatisticsImporter,
    async_clear_energy_statistics,
    hourly_kwh,
    statistic_id,
)
from fleet_emulator import Emulator
from tests.common import setup_integration

from .conftest import SITE_ID, calls

HISTORY = "/api/1/energy_sites/*/calendar_history"
GRID_IMPORT = statistic_id(SITE_ID, "grid_import")
SOLAR = statistic_id(SITE_ID, "solar")


async def _hours(hass: HomeAssistant, stat_id: str) -> list[dict[str, Any]]:
    start = dt_util.utcnow() - timedelta(days=BACKFILL_DAYS + 5)
    rows = await hass.async_add_executor_job(
        partial(
            statistics_during_period, hass, start, None, {stat_id}, "hour", None, {"sum", "state"}
        )
    )
    return [dict(row) for row in rows.get(stat_id, [])]


def _expected_kwh(emulator: Emulator, field: str, starts: list[float]) -> list[float]:
    history = emulator.site(SITE_ID).history
    return [history[int(start)][field] / 1000 for start in starts]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder must start before `hass` is set up, so it comes first here."""


@pytest.fixture
def importer(hass: HomeAssistant, api: EnergySiteApi) -> EnergyStatisticsImporter:
    """The importer for the emulator's site (its days are Pacific days)."""
    return EnergyStatisticsImporter(hass, api, site_name="Home", time_zone="America/Los_Angeles")


async def test_backfill_then_only_new_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    importer: EnergyStatisticsImporter,
    emulator: Emulator,
) -> None:
    """First run backfills; later runs add only the hours since, the sum running on."""
    imported = await importer.async_import()
    await async_wait_recording_done(hass)
    rows = await _hours(hass, GRID_IMPORT)
    assert imported == len(rows)
    # The emulator's site has two days of past: every complete hour of it, none in progress.
    history = sorted(emulator.site(SITE_ID).history)
    newest = (dt_util.utcnow() - timedelta(minutes=15)).timestamp() // 3600 * 3600 - 3600
    assert [row["start"] for row in rows] == [float(h) for h in history if h <= newest]
    # One request per local day of the backfill window, not one per hour.
    assert len(calls(emulator, "calendar_history")) <= BACKFILL_DAYS + 2

    # Each hour's change is the site's grid import in that hour; the sum is cumulative.
    starts = [row["start"] for row in rows]
    changes = [rows[0]["sum"]] + [b["sum"] - a["sum"] for a, b in itertools.pairwise(rows)]
    assert changes == pytest.approx(
        _expected_kwh(emulator, "grid_energy_imported", starts), abs=2e-3
    )
    solar = await _hours(hass, SOLAR)
    assert solar[-1]["sum"] > 0

    # Nothing new yet: a second run imports nothing (no duplicates).
    assert await importer.async_import() == 0

    freezer.tick(timedelta(hours=5))
    imported = await importer.async_import()
    await async_wait_recording_done(hass)
    after = await _hours(hass, GRID_IMPORT)
    assert imported == 5
    assert len(after) == len(rows) + 5
    assert after[len(rows)]["start"] - rows[-1]["start"] == 3600
    new_changes = [b["sum"] - a["sum"] for a, b in zip(after[-6:], after[-5:], strict=False)]
    assert new_changes == pytest.approx(
        _expected_kwh(emulator, "grid_energy_imported", [r["start"] for r in after[-5:]]),
        abs=2e-3,
    )


async def test_failure_mid_run_resumes_without_gaps(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    importer: EnergyStatisticsImporter,
    emulator: Emulator,
) -> None:
    """A failed day stops the run; the next run starts there, so no hour is skipped."""
    await importer.async_import()
    await async_wait_recording_done(hass)
    before = await _hours(hass, GRID_IMPORT)

    freezer.tick(timedelta(days=2))
    emulator.faults.inject(HISTORY, 500)
    assert await importer.async_import() == 0
    emulator.faults.inject(HISTORY, 429, retry_after=30)
    assert await importer.async_import() == 0
    assert await importer.async_import() == 0  # still inside Tesla's wait: nothing asked
    asked = len(calls(emulator, "calendar_history"))

    freezer.tick(timedelta(seconds=31))
    imported = await importer.async_import()
    await async_wait_recording_done(hass)
    assert len(calls(emulator, "calendar_history")) > asked
    after = await _hours(hass, GRID_IMPORT)
    assert imported == len(after) - len(before) >= 47
    starts = [row["start"] for row in after]
    assert all(b - a == 3600 for a, b in itertools.pairwise(starts))


async def test_removed_with_the_entry(
    hass: HomeAssistant, importer: EnergyStatisticsImporter
) -> None:
    """Removing the entry removes the imported statistics."""
    await importer.async_import()
    await async_wait_recording_done(hass)
    assert await _hours(hass, GRID_IMPORT)
    async_clear_energy_statistics(hass, [SITE_ID])
    await async_wait_recording_done(hass)
    assert await _hours(hass, GRID_IMPORT) == []
    assert await _hours(hass, SOLAR) == []


async def test_set_up_imports_and_removal_clears(hass: HomeAssistant, emulator: Emulator) -> None:
    """Through the integration: set-up starts the import; removing the entry removes it."""
    entry = await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    assert await _hours(hass, GRID_IMPORT)
    assert await _hours(hass, SOLAR)

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    assert await _hours(hass, GRID_IMPORT) == []
    assert await _hours(hass, SOLAR) == []


def test_finer_buckets_sum_into_utc_hours() -> None:
    """Quarter-hour entries (as some gateways send) add up per UTC hour, whatever the offset."""
    entries = [
        HistoryEntry(
            datetime.fromisoformat(f"2026-11-01T01:{minute:02d}:00-07:00"),
            {"grid_energy_imported": 250.0, "solar_energy_exported": 0.0},
        )
        for minute in (0, 15, 30, 45)
    ] + [
        # After the clocks went back, 01:00 local again is a different UTC hour.
        HistoryEntry(
            datetime.fromisoformat("2026-11-01T01:00:00-08:00"),
            {"grid_energy_imported": 400.0, "battery_energy_imported_from_solar": 100.0},
        )
    ]
    hours = hourly_kwh(entries)
    first = datetime(2026, 11, 1, 8, tzinfo=UTC)
    second = datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert set(hours) == {first, second}
    assert hours[first]["grid_import"] == pytest.approx(1.0)
    assert hours[second]["grid_import"] == pytest.approx(0.4)
    assert hours[second]["battery_charge"] == pytest.approx(0.1)
    assert hours[first]["home_use"] == 0.0
