"""Every endpoint checks the token's scopes as fleet-api.md's scope table says."""

from __future__ import annotations

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator

from .conftest import M3, OWNER, SITE, Api

MISSING = {"response": None, "error": "Unauthorized missing scopes", "error_description": ""}
BASE = ["openid", "offline_access"]

# (method, path, body, the scope that opens it)
CASES = [
    ("GET", "/users/me", None, "user_data"),
    ("GET", "/users/orders", None, "user_data"),
    ("GET", "/users/feature_config", None, "user_data"),
    ("GET", "/vehicles", None, "vehicle_device_data"),
    ("GET", f"/vehicles/{M3}", None, "vehicle_device_data"),
    ("GET", f"/vehicles/{M3}/vehicle_data", None, "vehicle_device_data"),
    ("POST", f"/vehicles/{M3}/wake_up", {}, "vehicle_device_data"),
    ("POST", "/vehicles/fleet_status", {"vins": [M3]}, "vehicle_device_data"),
    ("GET", f"/vehicles/{M3}/mobile_enabled", None, "vehicle_device_data"),
    ("GET", f"/vehicles/{M3}/nearby_charging_sites", None, "vehicle_location"),
    ("GET", f"/vehicles/{M3}/recent_alerts", None, "vehicle_device_data"),
    ("POST", f"/vehicles/{M3}/command/door_lock", {}, "vehicle_cmds"),
    ("POST", f"/vehicles/{M3}/command/charge_port_door_open", {}, "vehicle_charging_cmds"),
    ("POST", f"/vehicles/{M3}/command/set_charge_limit", {"percent": 70}, "vehicle_charging_cmds"),
    ("GET", f"/energy_sites/{SITE}/live_status", None, "energy_device_data"),
    ("GET", f"/energy_sites/{SITE}/site_info", None, "energy_device_data"),
    ("GET", f"/energy_sites/{SITE}/calendar_history?kind=energy", None, "energy_device_data"),
    ("POST", f"/energy_sites/{SITE}/backup", {"backup_reserve_percent": 30}, "energy_cmds"),
    ("POST", f"/energy_sites/{SITE}/operation", {"default_real_mode": "autonomous"}, "energy_cmds"),
    ("POST", f"/energy_sites/{SITE}/storm_mode", {"enabled": True}, "energy_cmds"),
    (
        "POST",
        f"/energy_sites/{SITE}/grid_import_export",
        {"customer_preferred_export_rule": "never"},
        "energy_cmds",
    ),
    (
        "POST",
        f"/energy_sites/{SITE}/off_grid_vehicle_charging_reserve",
        {"off_grid_vehicle_charging_reserve_percent": 40},
        "energy_cmds",
    ),
]


def api_with(emulator: Emulator, http: ClientSession, scopes: list[str]) -> Api:
    return Api(emulator, http, emulator.mint_tokens(OWNER, BASE + scopes)["access_token"])


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
async def test_endpoint_needs_its_scope(
    emulator: Emulator, http: ClientSession, case: tuple[str, str, dict[str, object] | None, str]
) -> None:
    method, path, body, scope = case
    others = [
        s
        for s in (
            "user_data",
            "vehicle_device_data",
            "vehicle_location",
            "vehicle_cmds",
            "vehicle_charging_cmds",
            "energy_device_data",
            "energy_cmds",
        )
        if s != scope
    ]
    # vehicle_cmds also opens the charging commands, so leave it out of "the others" there.
    if scope == "vehicle_charging_cmds":
        others.remove("vehicle_cmds")
    denied = api_with(emulator, http, others)
    status, answer, _ = await denied.call(method, path, json=body)
    assert (status, answer) == (403, MISSING)
    allowed = api_with(emulator, http, [scope])
    status, answer, _ = await allowed.call(method, path, json=body)
    assert status == 200, answer


async def test_charging_scope_does_not_open_other_commands(
    emulator: Emulator, http: ClientSession
) -> None:
    api = api_with(emulator, http, ["vehicle_charging_cmds"])
    assert await api.command(M3, "door_unlock") == (403, MISSING)
    assert (await api.command(M3, "charge_port_door_open"))[0] == 200


async def test_location_needs_location_data_and_the_scope(
    emulator: Emulator, http: ClientSession
) -> None:
    path = f"/vehicles/{M3}/vehicle_data?endpoints=drive_state;location_data"
    without = api_with(emulator, http, ["vehicle_device_data"])
    status, body = await without.get(path)
    assert status == 200
    assert "latitude" not in body["response"]["drive_state"]
    with_scope = api_with(emulator, http, ["vehicle_device_data", "vehicle_location"])
    _, body = await with_scope.get(path)
    assert body["response"]["drive_state"]["latitude"] == pytest.approx(37.4925)
    _, body = await with_scope.get(f"/vehicles/{M3}/vehicle_data?endpoints=drive_state")
    assert "latitude" not in body["response"]["drive_state"]


async def test_products_shows_what_the_scopes_allow(
    emulator: Emulator, http: ClientSession
) -> None:
    _, body = await api_with(emulator, http, ["energy_device_data"]).get("/products")
    assert [item.get("energy_site_id") for item in body["response"]] == [SITE]
    _, body = await api_with(emulator, http, ["vehicle_device_data"]).get("/products")
    assert all("vin" in item for item in body["response"])
    assert body["count"] == 2


async def test_region_needs_no_extra_scope(emulator: Emulator, http: ClientSession) -> None:
    status, body = await api_with(emulator, http, []).get("/users/region")
    assert status == 200
    assert body["response"] == {"region": "na", "fleet_api_base_url": emulator.base_url("na")}
