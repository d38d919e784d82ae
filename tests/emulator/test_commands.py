"""Commands: every one in fleet-api.md exists, validates its input and changes the car."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fleet_emulator import Emulator
from fleet_emulator.commands import COMMANDS

from .conftest import M3, MY, Api

HOME = {"lat": 37.4925, "lon": -121.9447}
SIGNING_REQUIRED = (
    "Tesla Vehicle Command Protocol required, please refer to the documentation here: "
    "https://developer.tesla.com/docs/fleet-api/endpoints/vehicle-commands"
)

# One valid call per command named in fleet-api.md.
VALID: dict[str, dict[str, Any]] = {
    "door_lock": {},
    "door_unlock": {},
    "honk_horn": {},
    "flash_lights": {},
    "remote_start_drive": {},
    "actuate_trunk": {"which_trunk": "rear"},
    "charge_port_door_open": {},
    "charge_port_door_close": {},
    "charge_start": {},
    "charge_stop": {},
    "charge_standard": {},
    "charge_max_range": {},
    "set_charge_limit": {"percent": 75},
    "set_charging_amps": {"charging_amps": 16},
    "set_scheduled_charging": {"enable": True, "time": 120},
    "set_scheduled_departure": {"enable": True, "departure_time": 450},
    "add_charge_schedule": {
        "days_of_week": "All",
        "enabled": True,
        "start_enabled": True,
        "end_enabled": False,
        "start_time": 60,
        **HOME,
    },
    "remove_charge_schedule": {"id": 1},
    "add_precondition_schedule": {
        "days_of_week": "Weekdays",
        "enabled": True,
        "precondition_time": 420,
        **HOME,
    },
    "remove_precondition_schedule": {"id": 1},
    "auto_conditioning_start": {},
    "auto_conditioning_stop": {},
    "set_temps": {"driver_temp": 22.5, "passenger_temp": 21},
    "set_preconditioning_max": {"on": True},
    "set_climate_keeper_mode": {"climate_keeper_mode": 2},
    "set_cabin_overheat_protection": {"on": True, "fan_only": True},
    "set_cop_temp": {"cop_temp": 1},
    "remote_seat_heater_request": {"seat_position": 0, "level": 3},
    "remote_seat_cooler_request": {"seat_position": 1, "seat_cooler_level": 2},
    "remote_steering_wheel_heater_request": {"on": True},
    "remote_steering_wheel_heat_level_request": {"level": 1},
    "remote_auto_seat_climate_request": {"auto_seat_position": 1, "auto_climate_on": True},
    "remote_auto_steering_wheel_heat_climate_request": {"on": True},
    "set_sentry_mode": {"on": True},
    "set_valet_mode": {"on": True, "password": "1234"},
    "speed_limit_activate": {"pin": "4321"},
    "speed_limit_deactivate": {"pin": "4321"},
    "speed_limit_clear_pin": {"pin": "4321"},
    "speed_limit_set_limit": {"limit_mph": 65},
    "set_pin_to_drive": {"on": True, "password": "1111"},
    "guest_mode": {"enable": True},
    "window_control": {"command": "close", **HOME},
    "sun_roof_control": {"state": "vent"},
    "trigger_homelink": {**HOME, "token": "t"},
    "remote_boombox": {"sound": 2000},
    "media_toggle_playback": {},
    "media_next_track": {},
    "media_prev_track": {},
    "adjust_volume": {"volume": 5.5},
    "navigation_request": {
        "type": "share_ext_content_raw",
        "value": {"android.intent.extra.TEXT": "1 Main St"},
        "locale": "en-US",
        "timestamp_ms": 1700000000000,
    },
    "navigation_gps_request": {"lat": 37.77, "lon": -122.42, "order": 0},
    "navigation_sc_request": {"id": 42, "order": 0},
    "schedule_software_update": {"offset_sec": 3600},
    "cancel_software_update": {},
    "set_vehicle_name": {"vehicle_name": "Rosso"},
}

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("set_charge_limit", {"percent": 49}, "percent"),
    ("set_charge_limit", {}, "percent"),
    ("set_charging_amps", {"charging_amps": "16"}, "charging_amps"),
    ("actuate_trunk", {"which_trunk": "side"}, "which_trunk"),
    ("adjust_volume", {"volume": 12}, "volume"),
    ("remote_seat_heater_request", {"seat_position": 9, "level": 1}, "seat_position"),
    ("remote_seat_heater_request", {"seat_position": 0, "level": 4}, "level"),
    ("remote_seat_cooler_request", {"seat_position": 0, "seat_cooler_level": 1}, "seat_position"),
    ("remote_steering_wheel_heat_level_request", {"level": 3}, "level"),
    ("remote_boombox", {"sound": 1}, "sound"),
    ("set_cop_temp", {"cop_temp": 3}, "cop_temp"),
    ("set_climate_keeper_mode", {"climate_keeper_mode": 4}, "climate_keeper_mode"),
    ("set_temps", {"driver_temp": 35}, "driver_temp"),
    ("set_sentry_mode", {"on": "yes"}, "on"),
    ("sun_roof_control", {"state": "open"}, "state"),
    ("speed_limit_activate", {"pin": "12"}, "pin"),
    ("speed_limit_set_limit", {"limit_mph": 20}, "limit_mph"),
    ("set_scheduled_charging", {"enable": True, "time": 1440}, "time"),
    (
        "add_charge_schedule",
        {**VALID["add_charge_schedule"], "days_of_week": "Funday"},
        "days_of_week",
    ),
    ("schedule_software_update", {"offset_sec": -1}, "offset_sec"),
    ("set_vehicle_name", {"vehicle_name": ""}, "vehicle_name"),
]


def test_every_documented_command_is_implemented() -> None:
    assert set(VALID) <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(VALID))
async def test_valid_call_answers_a_result(api: Api, name: str) -> None:
    status, body = await api.command(M3, name, **VALID[name])
    assert status == 200
    assert set(body["response"]) == {"result", "reason"}


@pytest.mark.parametrize(("name", "params", "field"), INVALID)
async def test_bad_parameters_answer_400(
    api: Api, emulator: Emulator, name: str, params: dict[str, Any], field: str
) -> None:
    status, body = await api.command(M3, name, **params)
    assert status == 400
    assert body["response"] is None
    assert body["error"] == "invalid_field"
    assert field in body["error_description"]


async def test_unknown_command_answers_400(api: Api) -> None:
    status, body = await api.command(M3, "launch_rocket")
    assert (status, body["error"]) == (400, "invalid_command")


async def test_signing_car_refuses_plain_commands(api: Api, emulator: Emulator) -> None:
    status, body = await api.command(MY, "door_unlock")
    assert (status, body) == (
        403,
        {"response": None, "error": SIGNING_REQUIRED, "error_description": ""},
    )
    assert emulator.vehicle(MY).locked is True


async def vehicle_data(api: Api, vin: str, sections: str) -> dict[str, Any]:
    status, body = await api.get(f"/vehicles/{vin}/vehicle_data?endpoints={sections}")
    assert status == 200
    return dict(body["response"])


async def test_charging_session_evolves_and_stops_at_the_limit(
    api: Api, emulator: Emulator
) -> None:
    assert await api.command(M3, "charge_start") == (
        200,
        {"response": {"result": False, "reason": "disconnected"}},
    )
    emulator.vehicle(M3).plug_in()
    await api.command(M3, "charge_stop")
    assert (await api.command(M3, "set_charge_limit", percent=70))[0] == 200
    assert (await api.command(M3, "charge_start"))[1]["response"]["result"] is True
    # Tesla reports "Starting" until the charger delivers current.
    starting = (await vehicle_data(api, M3, "charge_state"))["charge_state"]
    assert (starting["charging_state"], starting["charger_power"]) == ("Starting", 0)
    emulator.clock.advance(10)
    start = (await vehicle_data(api, M3, "charge_state"))["charge_state"]
    assert start["charging_state"] == "Charging"
    assert start["charger_power"] == 8
    assert start["time_to_full_charge"] > 0
    emulator.clock.advance(30 * 60)
    later = (await vehicle_data(api, M3, "charge_state"))["charge_state"]
    assert later["battery_level"] > start["battery_level"]
    assert later["charge_energy_added"] == pytest.approx(7.68 * 0.5, abs=0.05)
    assert later["time_to_full_charge"] < start["time_to_full_charge"]
    # 8 % of 75 kWh at 7.68 kW is done in about 47 minutes.
    emulator.clock.advance(20 * 60)
    done = (await vehicle_data(api, M3, "charge_state"))["charge_state"]
    assert (done["battery_level"], done["charging_state"]) == (70, "Complete")
    assert (done["charger_power"], done["time_to_full_charge"]) == (0, 0)


async def test_lowering_the_limit_below_the_level_stops_charging(
    api: Api, emulator: Emulator
) -> None:
    # The Model Y charges from 48 %; use the non-signing Model 3 for the plain command.
    car = emulator.vehicle(M3)
    car.plug_in()
    assert car.charging
    assert (await api.command(M3, "set_charge_limit", percent=60))[0] == 200
    assert emulator.vehicle(M3).charging_state == "Complete"


async def test_climate_warms_the_cabin(api: Api, emulator: Emulator) -> None:
    car = emulator.vehicle(M3)
    car.inside_temp = car.outside_temp = 5.0
    await api.command(M3, "set_temps", driver_temp=22)
    await api.command(M3, "auto_conditioning_start")
    emulator.clock.advance(10 * 60)
    climate = (await vehicle_data(api, M3, "climate_state"))["climate_state"]
    assert climate["is_climate_on"] is True
    assert climate["inside_temp"] > 15
    await api.command(M3, "auto_conditioning_stop")
    emulator.clock.advance(60 * 60)
    assert emulator.vehicle(M3).inside_temp < 12


async def test_closures_open_and_close(api: Api) -> None:
    await api.command(M3, "actuate_trunk", which_trunk="front")
    await api.command(M3, "actuate_trunk", which_trunk="rear")
    await api.command(M3, "window_control", command="vent", **HOME)
    await api.command(M3, "charge_port_door_open")
    data = await vehicle_data(api, M3, "closures_state;charge_state")
    state = data["vehicle_state"]
    assert (state["ft"], state["rt"], state["fd_window"]) == (1, 1, 1)
    assert data["charge_state"]["charge_port_door_open"] is True
    assert (await api.command(M3, "actuate_trunk", which_trunk="front"))[1]["response"] == {
        "result": False,
        "reason": "frunk already open",
    }
    await api.command(M3, "actuate_trunk", which_trunk="rear")
    await api.command(M3, "window_control", command="close", **HOME)
    await api.command(M3, "charge_port_door_close")
    data = await vehicle_data(api, M3, "closures_state;charge_state")
    assert (data["vehicle_state"]["rt"], data["vehicle_state"]["fd_window"]) == (0, 0)
    assert data["charge_state"]["charge_port_door_open"] is False


async def test_comfort_and_security_settings_show_in_vehicle_data(api: Api) -> None:
    await api.command(M3, "set_sentry_mode", on=True)
    await api.command(M3, "remote_seat_heater_request", seat_position=1, level=2)
    await api.command(M3, "remote_steering_wheel_heat_level_request", level=2)
    await api.command(M3, "set_climate_keeper_mode", climate_keeper_mode=2)
    await api.command(M3, "speed_limit_activate", pin="1234")
    await api.command(M3, "set_vehicle_name", vehicle_name="Rosso")
    data = await vehicle_data(api, M3, "climate_state;vehicle_state")
    assert data["vehicle_state"]["sentry_mode"] is True
    assert data["vehicle_state"]["speed_limit_mode"]["active"] is True
    assert data["vehicle_state"]["vehicle_name"] == "Rosso"
    assert data["climate_state"]["seat_heater_right"] == 2
    assert data["climate_state"]["steering_wheel_heat_level"] == 2
    assert data["climate_state"]["climate_keeper_mode"] == "dog"
    assert data["climate_state"]["is_climate_on"] is True
    assert (await api.command(M3, "speed_limit_deactivate", pin="9999"))[1]["response"] == {
        "result": False,
        "reason": "incorrect pin",
    }


async def test_schedules_are_added_and_removed(api: Api) -> None:
    await api.command(M3, "add_charge_schedule", **VALID["add_charge_schedule"])
    data = await vehicle_data(api, M3, "charge_schedule_data")
    schedules = data["charge_schedule_data"]["charge_schedules"]
    assert [(s["id"], s["start_time"]) for s in schedules] == [(1, 60)]
    await api.command(M3, "remove_charge_schedule", id=1)
    data = await vehicle_data(api, M3, "charge_schedule_data")
    assert data["charge_schedule_data"]["charge_schedules"] == []


async def test_only_requested_sections_are_returned(api: Api) -> None:
    data = await vehicle_data(api, M3, "charge_state;gui_settings")
    sections = {key for key, value in data.items() if isinstance(value, dict)}
    assert sections == {"charge_state", "gui_settings", "granular_access"}
    status, _ = await api.get(f"/vehicles/{M3}/vehicle_data?endpoints=charge_state;bogus")
    assert status == 400


async def test_scheduled_charging_waits_for_its_time(api: Api, emulator: Emulator) -> None:
    zone = ZoneInfo("America/Los_Angeles")
    now = datetime.fromtimestamp(emulator.clock.now(), zone)
    start = (now + timedelta(hours=3)).replace(second=0, microsecond=0)
    minutes = start.hour * 60 + start.minute
    await api.command(M3, "set_scheduled_charging", enable=True, time=minutes)
    emulator.vehicle(M3).plug_in()
    data = await vehicle_data(api, M3, "charge_state")
    assert data["charge_state"]["charging_state"] == "Stopped"
    assert data["charge_state"]["scheduled_charging_pending"] is True
    emulator.clock.set(start.timestamp() - 60)
    assert emulator.vehicle(M3).state == "asleep"
    emulator.clock.set(start.timestamp() + 60)
    car = emulator.vehicle(M3)
    assert (car.state, car.charging_state) == ("online", "Charging")
    await api.command(M3, "charge_stop")
    emulator.clock.advance(60)
    assert emulator.vehicle(M3).charging_state == "Stopped"


async def test_cars_are_found_by_vin_or_id_and_only_the_accounts(api: Api) -> None:
    status, body = await api.get("/vehicles/1492931337151001")
    assert (status, body["response"]["vin"]) == (200, M3)
    status, body = await api.get("/vehicles/5YJ3E7EB0KF999999/vehicle_data")
    assert (status, body["error"]) == (404, "not_found")
    assert (await api.command("5YJ3E7EB0KF999999", "door_lock"))[0] == 404
