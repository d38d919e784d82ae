"""Energy sites: live power flows on the day curve, settings, history, validation."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from fleet_emulator import Emulator

from .conftest import M3, MY, SITE, Api

ZONE = ZoneInfo("America/Los_Angeles")


def go_to_local(api: Api, hour: int) -> None:
    """Move the clock forward to the next `hour`:00 at the site; a fresh token for the api."""
    emulator = api.emu
    now = datetime.fromtimestamp(emulator.clock.now(), ZONE)
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target.timestamp() <= now.timestamp():
        target = datetime.fromtimestamp(target.timestamp() + 86400, ZONE).replace(hour=hour)
    emulator.clock.set(target.timestamp())
    api.token = emulator.mint_tokens("owner")["access_token"]


async def live(api: Api) -> dict[str, Any]:
    status, body = await api.get(f"/energy_sites/{SITE}/live_status")
    assert status == 200
    return dict(body["response"])


async def test_solar_follows_the_day_and_the_grid_balances(api: Api, emulator: Emulator) -> None:
    emulator.vehicle(MY).unplug()
    go_to_local(api, 13)
    noon = await live(api)
    assert noon["solar_power"] > 5000
    go_to_local(api, 23)
    night = await live(api)
    assert night["solar_power"] == 0
    for status in (noon, night):
        balance = status["solar_power"] + status["battery_power"] + status["grid_power"]
        assert balance == pytest.approx(status["load_power"], abs=2)


async def test_battery_charges_from_surplus_and_stops_at_reserve(
    api: Api, emulator: Emulator
) -> None:
    emulator.vehicle(MY).unplug()
    go_to_local(api, 12)
    site = emulator.site(SITE)
    site.percentage_charged = 50
    before = (await live(api))["percentage_charged"]
    assert (await live(api))["battery_power"] < 0
    emulator.clock.advance(3600)
    assert (await live(api))["percentage_charged"] > before
    go_to_local(api, 22)
    emulator.site(SITE).percentage_charged = 20.5
    emulator.clock.advance(2 * 3600)
    night = await live(api)
    assert night["percentage_charged"] == pytest.approx(20, abs=0.5)
    assert night["battery_power"] == 0
    assert night["grid_power"] > 0


async def test_wall_connector_shows_the_charging_car(api: Api, emulator: Emulator) -> None:
    assert emulator.vehicle(MY).charging
    status = await live(api)
    assert status["wall_connectors"][0]["wall_connector_power"] == 7680
    emulator.vehicle(MY).unplug()
    assert (await live(api))["wall_connectors"][0]["wall_connector_power"] == 0
    assert emulator.vehicle(M3).charger_power_kw == 0


async def test_settings_round_trip_through_site_info(api: Api) -> None:
    base = f"/energy_sites/{SITE}"
    ok = {"response": {"code": 201, "message": "Updated"}}
    assert await api.post(f"{base}/backup", {"backup_reserve_percent": 35}) == (200, ok)
    assert await api.post(f"{base}/operation", {"default_real_mode": "autonomous"}) == (200, ok)
    assert await api.post(f"{base}/storm_mode", {"enabled": True}) == (200, ok)
    assert (
        await api.post(
            f"{base}/grid_import_export",
            {
                "customer_preferred_export_rule": "battery_ok",
                "disallow_charge_from_grid_with_solar_installed": True,
            },
        )
    ) == (200, ok)
    assert (
        await api.post(
            f"{base}/off_grid_vehicle_charging_reserve",
            {"off_grid_vehicle_charging_reserve_percent": 40},
        )
    ) == (200, ok)
    _, body = await api.get(f"{base}/site_info")
    info = body["response"]
    assert info["backup_reserve_percent"] == 35
    assert info["default_real_mode"] == "autonomous"
    assert info["user_settings"]["storm_mode_enabled"] is True
    assert info["components"]["customer_preferred_export_rule"] == "battery_ok"
    assert info["components"]["disallow_charge_from_grid_with_solar_installed"] is True
    assert info["off_grid_vehicle_charging_reserve_percent"] == 40


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("backup", {"backup_reserve_percent": 101}),
        ("operation", {"default_real_mode": "chaos"}),
        ("storm_mode", {"enabled": "yes"}),
        ("grid_import_export", {"customer_preferred_export_rule": "always"}),
        ("off_grid_vehicle_charging_reserve", {}),
    ],
)
async def test_bad_settings_answer_400(api: Api, path: str, body: dict[str, Any]) -> None:
    status, answer = await api.post(f"/energy_sites/{SITE}/{path}", body)
    assert (status, answer["error"]) == (400, "invalid_field")


async def test_calendar_history_sums_the_simulated_flows(api: Api, emulator: Emulator) -> None:
    go_to_local(api, 18)
    status, body = await api.get(f"/energy_sites/{SITE}/calendar_history?kind=energy&period=day")
    assert status == 200
    series = body["response"]["time_series"]
    hours = [datetime.fromisoformat(item["timestamp"]).hour for item in series]
    # Every hour so far, and the one just begun (nothing in it yet).
    assert hours == list(range(19))
    assert series[-1]["solar_energy_exported"] == 0
    solar = sum(item["solar_energy_exported"] for item in series)
    # A 7 kW sin^2 bell over 14 h makes about 49 kWh; by 18:00 most of it is in.
    assert 35_000 < solar < 50_000
    consumed = sum(
        item["consumer_energy_imported_from_grid"]
        + item["consumer_energy_imported_from_solar"]
        + item["consumer_energy_imported_from_battery"]
        for item in series
    )
    assert consumed > 0
    _, week = await api.get(f"/energy_sites/{SITE}/calendar_history?kind=energy&period=week")
    days = week["response"]["time_series"]
    assert 1 <= len(days) <= 7
    assert days[-1]["solar_energy_exported"] == pytest.approx(solar, abs=len(series))


async def test_calendar_history_rejects_unknown_periods(api: Api) -> None:
    status, body = await api.get(f"/energy_sites/{SITE}/calendar_history?period=decade")
    assert (status, body["error"]) == (400, "invalid_field")


async def test_grid_outage_islands_the_site(api: Api, emulator: Emulator) -> None:
    emulator.site(SITE).set_grid(up=False)
    status = await live(api)
    assert (status["island_status"], status["grid_power"]) == ("off_grid", 0)
    emulator.clock.advance(600)
    emulator.site(SITE).set_grid(up=True)
    _, body = await api.get(f"/energy_sites/{SITE}/calendar_history?kind=backup")
    assert body["response"]["events"][0]["duration"] == pytest.approx(600_000, abs=1000)


async def test_unknown_site_is_404(api: Api) -> None:
    status, body = await api.get("/energy_sites/123/live_status")
    assert (status, body["error"]) == (404, "not_found")


async def test_backup_mode_keeps_the_battery_and_tou_settings_stick(
    api: Api, emulator: Emulator
) -> None:
    go_to_local(api, 22)
    base = f"/energy_sites/{SITE}"
    assert (await live(api))["battery_power"] > 0
    await api.post(f"{base}/operation", {"default_real_mode": "backup"})
    assert (await live(api))["battery_power"] == 0
    tou = {"optimization_strategy": "balanced", "schedule": [{"target": "peak"}]}
    assert (await api.post(f"{base}/time_of_use_settings", {"tou_settings": tou}))[0] == 200
    _, info = await api.get(f"{base}/site_info")
    assert info["response"]["tou_settings"] == tou


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("kind=charge", "kind"),
        ("period=day&time_zone=Mars/Olympus", "time_zone"),
        ("period=day&end_date=yesterday", "end_date"),
    ],
)
async def test_calendar_history_validates_its_query(api: Api, query: str, error: str) -> None:
    status, body = await api.get(f"/energy_sites/{SITE}/calendar_history?{query}")
    assert (status, body["error"]) == (400, "invalid_field")
    assert error in body["error_description"]


async def test_calendar_history_for_a_past_day_in_utc_and_the_year(
    api: Api, emulator: Emulator
) -> None:
    yesterday = datetime.fromtimestamp(emulator.clock.now() - 86400, ZoneInfo("UTC"))
    end = yesterday.replace(hour=23, minute=59).isoformat()
    query = urlencode({"period": "day", "end_date": end, "time_zone": "UTC"})
    status, body = await api.get(f"/energy_sites/{SITE}/calendar_history?{query}")
    assert status == 200
    series = body["response"]["time_series"]
    assert len(series) == 24
    assert all(item["timestamp"].endswith("+00:00") for item in series)
    _, year = await api.get(f"/energy_sites/{SITE}/calendar_history?period=year")
    months = year["response"]["time_series"]
    assert 1 <= len(months) <= 2
    assert sum(m["solar_energy_exported"] for m in months) > sum(
        h["solar_energy_exported"] for h in series
    )
