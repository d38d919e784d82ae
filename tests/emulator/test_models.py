"""Per-model behaviour copied from real cars: commands Tesla accepts, charging states, equipment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import ClientSession
import pytest

from fleet_emulator import Emulator
from fleet_emulator.scenario import DEFAULT_SCENARIO, ScenarioError, parse_scenario

from .conftest import Api

CARS = {
    "model3": "5YJ3E7EB0KF100001",
    "modely": "7SAYGDEE0PA100002",
    "models_2015": "5YJSA7H4XFF100003",
    "modelx_2022": "7SAXCBE60NF100004",
}
HOME = {"lat": 37.4925, "lon": -121.9447}


def _scenario(**extra: Any) -> dict[str, Any]:
    """One car per model; `extra` overrides fields of every car."""
    return {
        **DEFAULT_SCENARIO,
        "accounts": [{"account_id": "owner", "vehicles": list(CARS.values()), "sites": []}],
        "vehicles": [
            {
                "vin": vin,
                "id": 1492931337160000 + i,
                "vehicle_id": 1234570000 + i,
                "display_name": model,
                "model": model,
                **extra,
            }
            for i, (model, vin) in enumerate(CARS.items())
        ],
        "sites": [],
    }


@pytest.fixture
async def fleet(socket_enabled: None) -> AsyncIterator[Emulator]:
    """One car of every emulated model, all taking plain REST commands."""
    emulator = Emulator(parse_scenario(_scenario(), start=0))
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def owner(fleet: Emulator, http: ClientSession) -> Api:
    """The owner with every scope."""
    return Api(fleet, http, fleet.mint_tokens("owner")["access_token"])


async def _data(api: Api, model: str, endpoints: str) -> dict[str, Any]:
    status, body = await api.get(f"/vehicles/{CARS[model]}/vehicle_data?endpoints={endpoints}")
    assert status == 200
    data: dict[str, Any] = body["response"]
    return data


@pytest.mark.parametrize("model", ["model3", "modely"])
@pytest.mark.parametrize("position", [{}, {"lat": None, "lon": None}])
async def test_m3_platform_closes_windows_without_a_position(
    owner: Api, fleet: Emulator, model: str, position: dict[str, Any]
) -> None:
    # Tesla's reference: lat/lon are needed to close "unless this is an M3 platform vehicle".
    fleet.vehicle(CARS[model]).windows_vented = True
    status, body = await owner.command(CARS[model], "window_control", command="close", **position)
    assert (status, body["response"]["result"]) == (200, True)
    assert fleet.vehicle(CARS[model]).windows_vented is False


@pytest.mark.parametrize("model", ["models_2015", "modelx_2022"])
async def test_s_and_x_want_the_phone_position_to_close_windows(
    owner: Api, fleet: Emulator, model: str
) -> None:
    status, body = await owner.command(CARS[model], "window_control", command="close")
    assert (status, body["error"]) == (400, "invalid_field")
    status, _ = await owner.command(CARS[model], "window_control", command="close", **HOME)
    assert status == 200
    # Venting never needs it.
    assert (await owner.command(CARS[model], "window_control", command="vent"))[0] == 200


async def test_seat_heater_takes_seat_position_not_the_old_heater_name(owner: Api) -> None:
    car = CARS["model3"]
    status, body = await owner.command(car, "remote_seat_heater_request", heater=0, level=3)
    assert (status, body["error"]) == (400, "invalid_field")
    assert (await owner.command(car, "remote_seat_heater_request", seat_position=0, level=3))[
        0
    ] == 200
    climate = (await _data(owner, "model3", "climate_state"))["climate_state"]
    assert climate["seat_heater_left"] == 3


@pytest.mark.parametrize(("level", "heater"), [(0, False), (1, True), (2, True)])
async def test_steering_wheel_heat_has_three_levels(owner: Api, level: int, heater: bool) -> None:
    car = CARS["modely"]
    status, _ = await owner.command(car, "remote_steering_wheel_heat_level_request", level=level)
    assert status == 200
    climate = (await _data(owner, "modely", "climate_state"))["climate_state"]
    assert (climate["steering_wheel_heat_level"], climate["steering_wheel_heater"]) == (
        level,
        heater,
    )


async def test_steering_wheel_heat_level_three_is_refused(owner: Api) -> None:
    status, body = await owner.command(
        CARS["model3"], "remote_steering_wheel_heat_level_request", level=3
    )
    assert (status, body["error"]) == (400, "invalid_field")


async def test_only_the_old_model_s_has_a_sunroof(owner: Api, fleet: Emulator) -> None:
    status, body = await owner.command(CARS["models_2015"], "sun_roof_control", state="vent")
    assert (status, body["response"]["result"]) == (200, True)
    state = (await _data(owner, "models_2015", "vehicle_state"))["vehicle_state"]
    assert (state["sun_roof_state"], state["sun_roof_percent_open"]) == ("vent", 15)
    _, body = await owner.command(CARS["model3"], "sun_roof_control", state="vent")
    assert body["response"] == {"result": False, "reason": "sun roof not installed"}
    state = (await _data(owner, "model3", "vehicle_state"))["vehicle_state"]
    assert "sun_roof_state" not in state


async def test_model_3_sends_only_what_a_model_3_has(owner: Api) -> None:
    data = await _data(owner, "model3", "climate_state;vehicle_state")
    absent = {
        "seat_heater_rear_left_back",
        "seat_heater_rear_right_back",
        "seat_heater_third_row_left",
        "seat_heater_third_row_right",
        "bioweapon_mode",
        "seat_fan_front_left",
        "seat_fan_front_right",
    }
    assert absent.isdisjoint(data["climate_state"])
    assert {"guest_mode_enabled", "pin_to_drive_enabled"}.isdisjoint(data["vehicle_state"])
    assert {
        "tpms_soft_warning_fl",
        "tpms_hard_warning_rr",
        "tpms_last_seen_pressure_time_fl",
        "sentry_mode",
    } <= set(data["vehicle_state"])


async def test_old_model_s_has_no_sentry_mode_and_no_tyre_readings(owner: Api) -> None:
    data = await _data(owner, "models_2015", "climate_state;vehicle_state")
    state = data["vehicle_state"]
    assert "sentry_mode" not in state
    assert "sentry_mode_available" not in state
    assert state["dashcam_state"] == "<invalid>"
    assert state["tpms_pressure_fl"] is None
    assert data["climate_state"]["allow_cabin_overheat_protection"] is False


async def test_model_x_has_third_row_heaters_and_no_rear_centre(owner: Api) -> None:
    climate = (await _data(owner, "modelx_2022", "climate_state"))["climate_state"]
    assert {"seat_heater_third_row_left", "seat_heater_third_row_right"} <= set(climate)
    assert "seat_heater_rear_center" not in climate
    assert climate["bioweapon_mode"] is False


async def test_charging_starts_then_charges(owner: Api, fleet: Emulator) -> None:
    fleet.vehicle(CARS["model3"]).plug_in()
    charge = (await _data(owner, "model3", "charge_state"))["charge_state"]
    assert (charge["charging_state"], charge["charger_power"], charge["charger_phases"]) == (
        "Starting",
        0,
        None,
    )
    fleet.advance(10)
    charge = (await _data(owner, "model3", "charge_state"))["charge_state"]
    assert (charge["charging_state"], charge["charger_phases"]) == ("Charging", 1)
    assert charge["charger_power"] > 0


async def test_a_charger_without_power_reports_no_power(owner: Api, fleet: Emulator) -> None:
    car = fleet.vehicle(CARS["modely"])
    car.plug_in()
    fleet.advance(60)
    fleet.vehicle(CARS["modely"]).set_charger_power(False)
    level = fleet.vehicle(CARS["modely"]).battery_level
    fleet.advance(600)
    charge = (await _data(owner, "modely", "charge_state"))["charge_state"]
    assert (charge["charging_state"], charge["charger_power"], charge["charger_voltage"]) == (
        "NoPower",
        0,
        0,
    )
    assert fleet.vehicle(CARS["modely"]).battery_level == level
    fleet.vehicle(CARS["modely"]).set_charger_power(True)
    assert fleet.vehicle(CARS["modely"]).charging_state == "Starting"
    fleet.advance(10)
    assert fleet.vehicle(CARS["modely"]).charging_state == "Charging"


async def test_navigation_adds_the_route_while_a_destination_is_set(owner: Api) -> None:
    car = CARS["model3"]
    before = (await _data(owner, "model3", "drive_state;location_data"))["drive_state"]
    assert "active_route_destination" not in before
    status, _ = await owner.command(car, "navigation_gps_request", lat=37.77, lon=-122.42, order=0)
    assert status == 200
    drive = (await _data(owner, "model3", "drive_state;location_data"))["drive_state"]
    assert drive["active_route_destination"] == "Pin"
    assert (drive["active_route_latitude"], drive["active_route_longitude"]) == (37.77, -122.42)
    # From Fremont to San Francisco, about 33 miles as the crow flies.
    assert drive["active_route_miles_to_arrival"] == pytest.approx(33, abs=2)
    assert drive["active_route_minutes_to_arrival"] > 0
    # Without location_data the route stays private.
    plain = (await _data(owner, "model3", "drive_state"))["drive_state"]
    assert "active_route_destination" not in plain


def test_scenario_picks_any_emulated_model_and_refuses_others() -> None:
    scenario = parse_scenario(_scenario(), start=0)
    assert [v.model for v in scenario.vehicles] == list(CARS)
    with pytest.raises(ScenarioError, match="model must be one of"):
        parse_scenario(_scenario(model="roadster"), start=0)


async def test_a_power_cut_without_powerwall_leaves_the_plugged_car_without_power(
    socket_enabled: None,
) -> None:
    vin = CARS["model3"]
    data = _scenario()
    data["accounts"][0]["sites"] = [2252180000000009]
    data["sites"] = [
        {
            "energy_site_id": 2252180000000009,
            "id": "STE20240101-00009",
            "has_battery": False,
            "has_solar": False,
            "wall_connectors": [
                {"din": "1457768-02-G--PGT21000009", "serial_number": "PGT21000009", "vin": vin}
            ],
        }
    ]
    data["events"] = [
        {"kind": "plug_in", "vin": vin, "at": "+60"},
        {"kind": "grid_outage", "site": 2252180000000009, "at": "+600"},
        {"kind": "grid_restored", "site": 2252180000000009, "at": "+1200"},
    ]
    start = 1_767_225_600.0  # a fixed moment, so the events' "+seconds" are known
    emulator = Emulator(parse_scenario(data, start=start), start=start)
    await emulator.start()
    try:
        emulator.clock.set(start + 300)
        assert emulator.vehicle(vin).charging_state == "Charging"
        emulator.clock.set(start + 900)
        assert emulator.vehicle(vin).charging_state == "NoPower"
        emulator.clock.set(start + 1500)
        assert emulator.vehicle(vin).charging_state == "Charging"
    finally:
        await emulator.stop()
