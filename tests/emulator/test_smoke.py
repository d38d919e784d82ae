"""First slice: the emulator answers the calls every other part builds on."""

from __future__ import annotations

from fleet_emulator import Emulator

from .conftest import M3, MY, SITE, Api


async def test_products_list_both_cars_and_the_site(api: Api) -> None:
    status, body = await api.get("/products")
    assert status == 200
    vins = [item["vin"] for item in body["response"] if "vin" in item]
    sites = [item["energy_site_id"] for item in body["response"] if "energy_site_id" in item]
    assert vins == [M3, MY]
    assert sites == [SITE]
    signing = {item["vin"]: item["command_signing"] for item in body["response"] if "vin" in item}
    assert signing == {M3: "off", MY: "required"}


async def test_lock_command_changes_vehicle_data(api: Api, emulator: Emulator) -> None:
    status, body = await api.command(M3, "door_unlock")
    assert (status, body["response"]) == (200, {"result": True, "reason": ""})
    status, body = await api.get(f"/vehicles/{M3}/vehicle_data?endpoints=closures_state")
    assert status == 200
    assert body["response"]["vehicle_state"]["locked"] is False
    assert emulator.vehicle(M3).locked is False
