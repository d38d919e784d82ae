"""Energy sites of every kind: capability flags, connectors naming the car, history totals, midnight."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from fleet_emulator.energy import FLOWS
from fleet_emulator.history import TOTALS

from .energy_kinds import (
    BATTERY_ONLY,
    BATTERY_SOLAR,
    CHARGING_CAR,
    FULL_CAR,
    SCENARIO,
    SITES,
    SOLAR_ONLY,
    START,
    WALL_CONNECTOR_ONLY,
    ZONE,
    emulator_at,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

DAY = "calendar_history?kind=energy&period=day"


async def test_each_kind_reports_its_own_components_and_capabilities() -> None:
    async with emulator_at(START) as client:
        infos = {kind: await client.site(site, "site_info") for kind, site in SITES.items()}
        products = {kind: await client.product(site) for kind, site in SITES.items()}
    flags = {
        kind: {
            name: info["components"].get(name)
            for name in ("battery", "solar", "storm_mode_capable", "load_meter")
        }
        for kind, info in infos.items()
    }
    assert flags == {
        "battery_solar": {
            "battery": True,
            "solar": True,
            "storm_mode_capable": True,
            "load_meter": True,
        },
        "battery": {
            "battery": True,
            "solar": False,
            "storm_mode_capable": True,
            "load_meter": True,
        },
        "solar": {"battery": False, "solar": True, "storm_mode_capable": False, "load_meter": True},
        "wall_connector": {
            "battery": False,
            "solar": False,
            "storm_mode_capable": False,
            "load_meter": False,
        },
    }
    powerwalls = infos["battery_solar"]["components"]
    assert powerwalls["off_grid_vehicle_charging_reserve_supported"] is True
    assert powerwalls["grid_services_enabled"] is False
    assert [gw["part_name"] for gw in powerwalls["gateways"]] == ["Tesla Backup Gateway 2"]
    assert [b["nameplate_energy"] for b in powerwalls["batteries"]] == [13500, 13500]
    assert len(infos["battery"]["components"]["batteries"]) == 1
    assert "batteries" not in infos["solar"]["components"]
    assert "backup_reserve_percent" not in infos["solar"]
    garage = infos["wall_connector"]["components"]["wall_connectors"]
    assert [wc["din"] for wc in garage] == ["1457768-02-G--PGT21000104"]
    assert {kind: product["resource_type"] for kind, product in products.items()} == {
        "battery_solar": "battery",
        "battery": "battery",
        "solar": "solar",
        "wall_connector": "wall_connector",
    }


async def test_capability_flags_come_from_the_scenario() -> None:
    site = {
        **SCENARIO["sites"][0],
        "off_grid_vehicle_charging_reserve_supported": False,
        "storm_mode_capable": False,
        "grid_services_enabled": True,
    }
    scenario = {**SCENARIO, "sites": [site, *SCENARIO["sites"][1:]]}
    async with emulator_at(START, scenario) as client:
        info = await client.site(BATTERY_SOLAR, "site_info")
    components = info["components"]
    assert components["off_grid_vehicle_charging_reserve_supported"] is False
    assert components["storm_mode_capable"] is False
    assert components["grid_services_enabled"] is True
    # Without the capability Tesla has no reserve to report.
    assert "off_grid_vehicle_charging_reserve_percent" not in info


def connector(live: dict[str, Any]) -> dict[str, Any]:
    """The site's only wall connector in `live_status`."""
    (wc,) = live["wall_connectors"]
    return dict(wc)


async def test_wall_connectors_name_the_plugged_in_car() -> None:
    async with emulator_at(START) as client:
        charging = connector(await client.site(BATTERY_SOLAR, "live_status"))
        full = connector(await client.site(WALL_CONNECTOR_ONLY, "live_status"))
        empty = connector(await client.site(BATTERY_ONLY, "live_status"))
        client.emu.vehicle(CHARGING_CAR).unplug()
        client.emu.vehicle(FULL_CAR).unplug()
        unplugged = connector(await client.site(BATTERY_SOLAR, "live_status"))
        unplugged_full = connector(await client.site(WALL_CONNECTOR_ONLY, "live_status"))
    # Real codes: 1 delivering power, 4 car connected, 2 nothing plugged in.
    assert (charging["vin"], charging["wall_connector_state"]) == (CHARGING_CAR, 1)
    assert charging["wall_connector_power"] > 0
    assert (full["vin"], full["wall_connector_state"], full["wall_connector_power"]) == (
        FULL_CAR,
        4,
        0,
    )
    for idle in (empty, unplugged, unplugged_full):
        assert "vin" not in idle
        assert (idle["wall_connector_state"], idle["wall_connector_power"]) == (2, 0)


async def test_history_entries_carry_the_totals_tesla_adds() -> None:
    async with emulator_at(START) as client:
        histories = {
            kind: (await client.site(site, DAY))["time_series"]
            for kind, site in SITES.items()
            if kind != "wall_connector"
        }
    for series in histories.values():
        for entry in series:
            for total, parts in TOTALS.items():
                value = sum(entry[part] for part in parts)
                # Tesla leaves a total out when it is zero.
                assert entry.get(total) == (value or None), (entry["timestamp"], total)
            assert entry["raw_timestamp"] == entry["timestamp"]
    seen = {
        kind: {key for e in series for key in e if key in TOTALS}
        for kind, series in histories.items()
    }
    assert seen == {
        "battery_solar": set(TOTALS),
        "battery": {"total_home_usage", "total_battery_charge", "total_battery_discharge"},
        "solar": {"total_home_usage", "total_solar_generation", "total_grid_energy_exported"},
    }


async def test_wall_connector_only_site_has_no_metered_history() -> None:
    async with emulator_at(START) as client:
        history = await client.site(WALL_CONNECTOR_ONLY, DAY)
        live = await client.site(WALL_CONNECTOR_ONLY, "live_status")
    assert history["time_series"] == []
    assert (live["load_power"], live["grid_power"], live["solar_power"]) == (0, 0, 0)


async def test_a_read_at_local_midnight_answers_the_new_day() -> None:
    midnight = datetime(2025, 7, 1, tzinfo=ZONE).timestamp()
    async with emulator_at(midnight - 120) as client:
        before = (await client.site(SOLAR_ONLY, DAY))["time_series"]
        client.emu.clock.set(midnight)
        day = (await client.site(SOLAR_ONLY, DAY))["time_series"]
        month = await client.site(SOLAR_ONLY, "calendar_history?kind=energy&period=month")
        week = await client.site(SOLAR_ONLY, "calendar_history?kind=energy&period=week")
        query = urlencode(
            {"kind": "energy", "period": "day", "end_date": "2025-07-01T00:00:00-07:00"}
        )
        asked = (await client.site(SOLAR_ONLY, f"calendar_history?{query}"))["time_series"]
    assert [e["timestamp"] for e in before][::23] == [
        "2025-06-30T00:00:00-07:00",
        "2025-06-30T23:00:00-07:00",
    ]
    # The day that has just begun, not the one that ended and not nothing.
    assert [e["timestamp"] for e in day] == ["2025-07-01T00:00:00-07:00"]
    assert all(day[0][flow] == 0 for flow in FLOWS)
    assert not set(TOTALS) & set(day[0])
    assert asked == day
    assert [e["timestamp"] for e in month["time_series"]] == ["2025-07-01T00:00:00-07:00"]
    assert [e["timestamp"][:10] for e in week["time_series"]] == ["2025-06-30", "2025-07-01"]
