"""Energy sites against the emulator: reads, settings commands, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
from typing import Any

import pytest

from custom_components.tesla_fleet_direct.api import InvalidArgumentError, MissingScopeError
from fleet_emulator import Emulator
from fleet_emulator.energy import FLOWS

from .conftest import SITE, Rig, make_rig


async def test_live_status_is_typed(rig: Rig) -> None:
    status = await rig.client.energy_site(SITE).live_status()
    site = rig.emulator.site(SITE)
    assert status.percentage_charged == pytest.approx(site.percentage_charged, abs=0.01)
    assert status.solar_power is not None
    assert status.load_power is not None
    assert status.grid_status == "Active"
    assert status.island_status == "on_grid"
    assert len(status.wall_connectors) == 1
    assert status.wall_connectors[0].din
    assert status.raw["total_pack_energy"] == status.total_pack_energy


async def test_site_info_reads_settings_from_their_nested_places(rig: Rig) -> None:
    info = await rig.client.energy_site(str(SITE)).site_info()
    site = rig.emulator.site(SITE)
    assert info.site_name == site.spec.site_name
    assert info.backup_reserve_percent == site.backup_reserve_percent
    assert info.default_real_mode == site.default_real_mode
    assert info.storm_mode_enabled == site.storm_mode_enabled
    assert info.customer_preferred_export_rule == site.customer_preferred_export_rule
    assert info.components["battery"] is True


async def test_settings_commands_change_the_site(rig: Rig) -> None:
    api = rig.client.energy_site(SITE)
    results = [
        await api.backup(35),
        await api.operation("autonomous"),
        await api.storm_mode(False),
        await api.grid_import_export(
            disallow_charge_from_grid_with_solar_installed=True,
            customer_preferred_export_rule="pv_only",
        ),
        await api.off_grid_vehicle_charging_reserve(20),
    ]
    assert all(result.ok for result in results)
    assert results[0].reason == "Updated"
    site = rig.emulator.site(SITE)
    assert (site.backup_reserve_percent, site.default_real_mode) == (35, "autonomous")
    assert site.storm_mode_enabled is False
    assert site.disallow_charge_from_grid_with_solar_installed is True
    assert site.customer_preferred_export_rule == "pv_only"
    assert site.off_grid_vehicle_charging_reserve_percent == 20
    # Energy settings are energy requests: counted, not billed.
    assert {r.category for r in rig.records} == {"energy"}
    assert not any(r.billed for r in rig.records)


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        ("backup", {"backup_reserve_percent": 101}),
        ("backup", {"backup_reserve_percent": -1}),
        ("operation", {"default_real_mode": "eco"}),
        ("storm_mode", {"enabled": "yes"}),
        ("grid_import_export", {}),
        ("grid_import_export", {"customer_preferred_export_rule": "always"}),
        ("off_grid_vehicle_charging_reserve", {"percent": 150}),
        ("calendar_history", {"period": "decade"}),
        ("calendar_history", {"end_date": datetime(2026, 1, 1)}),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    rig: Rig, call: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgumentError):
        await getattr(rig.client.energy_site(SITE), call)(**kwargs)
    assert rig.records == []


async def test_calendar_history_has_hourly_buckets_of_the_day(rig: Rig) -> None:
    rig.emulator.advance(3 * 3600)
    now = datetime.fromtimestamp(rig.emulator.clock.now(), UTC)
    history = await rig.client.energy_site(SITE).calendar_history(end_date=now, time_zone="UTC")
    assert history.entries
    stamps = [entry.timestamp for entry in history.entries]
    assert stamps == sorted(stamps)
    assert all(b - a >= timedelta(hours=1) for a, b in itertools.pairwise(stamps))
    # Every flow Tesla names arrives as a number; the house used energy in three hours.
    assert set(FLOWS) <= set(history.entries[0].values)
    assert (
        sum(entry.get("consumer_energy_imported_from_grid") for entry in history.entries)
        + sum(entry.get("consumer_energy_imported_from_battery") for entry in history.entries)
        + sum(entry.get("consumer_energy_imported_from_solar") for entry in history.entries)
        > 0
    )
    assert history.entries[0].get("no_such_flow") == 0.0


async def test_backup_history_lists_events(rig: Rig) -> None:
    history = await rig.client.energy_site(SITE).calendar_history(kind="backup")
    assert history.entries == ()
    assert history.events == ()
    assert history.raw["total_events"] == 0


async def test_energy_reads_need_the_energy_scope(emulator: Emulator) -> None:
    async for rig in make_rig(emulator, ("openid", "offline_access", "vehicle_device_data")):
        with pytest.raises(MissingScopeError):
            await rig.client.energy_site(SITE).live_status()
