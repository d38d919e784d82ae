"""Every typed command reaches the emulated car with the names and fields Tesla uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custom_components.tesla_fleet_direct.api import (
    CabinOverheatTemp,
    ClimateKeeperMode,
    SeatCooler,
)
from custom_components.tesla_fleet_direct.api.errors import InvalidArgumentError
from fleet_emulator.vehicle import Vehicle

from .conftest import M3, Rig

HOME = (37.4924, -121.9446)

# (method, args, kwargs, what the car shows afterwards)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], Callable[[Vehicle], bool]]] = [
    ("door_lock", (), {}, lambda c: c.locked),
    ("honk_horn", (), {}, lambda c: c.horn_honks == 1),
    ("flash_lights", (), {}, lambda c: c.light_flashes == 1),
    ("remote_start_drive", (), {}, lambda c: c.remote_start_until > c.now),
    ("actuate_trunk", ("front",), {}, lambda c: c.frunk_open),
    ("window_control", ("vent", *HOME), {}, lambda c: c.windows_vented),
    ("trigger_homelink", HOME, {"token": "t"}, lambda c: c.homelink_triggers == 1),
    ("charge_port_door_open", (), {}, lambda c: c.charge_port_door_open),
    ("charge_max_range", (), {}, lambda c: c.charge_limit_soc == 100),
    ("charge_standard", (), {}, lambda c: c.charge_limit_soc == 90),
    (
        "set_scheduled_charging",
        (True, 120),
        {},
        lambda c: c.scheduled_charging_enabled and c.scheduled_charging_time == 120,
    ),
    (
        "set_scheduled_departure",
        (True, 450),
        {"preconditioning_enabled": True},
        lambda c: (
            c.scheduled_departure["departure_time"] == 450
            and c.scheduled_departure["preconditioning_enabled"]
        ),
    ),
    (
        "add_precondition_schedule",
        (),
        {
            "days_of_week": "Weekdays",
            "enabled": True,
            "precondition_time": 420,
            "lat": HOME[0],
            "lon": HOME[1],
            "name": "Work",
        },
        lambda c: [s["precondition_time"] for s in c.precondition_schedules] == [420],
    ),
    ("auto_conditioning_start", (), {}, lambda c: c.climate_on),
    ("set_preconditioning_max", (True,), {}, lambda c: c.defrost_max),
    (
        "set_climate_keeper_mode",
        (ClimateKeeperMode.DOG,),
        {},
        lambda c: c.climate_keeper_mode == "dog",
    ),
    (
        "set_cabin_overheat_protection",
        (True,),
        {"fan_only": True},
        lambda c: c.cabin_overheat_protection == "FanOnly",
    ),
    ("set_cop_temp", (CabinOverheatTemp.LOW,), {}, lambda c: c.cop_temp == "Low"),
    (
        "remote_seat_cooler_request",
        (SeatCooler.FRONT_LEFT, 2),
        {},
        lambda c: c.seat_coolers[1] == 2,
    ),
    ("remote_auto_seat_climate_request", (2, True), {}, lambda c: c.auto_seat_climate[2]),
    ("remote_steering_wheel_heater_request", (True,), {}, lambda c: c.steering_wheel_heater),
    (
        "remote_steering_wheel_heat_level_request",
        (1,),
        {},
        lambda c: c.steering_wheel_heat_level == 1,
    ),
    # High is 2: Tesla's wheel has three levels (vehicle-command common.proto StwHeatLevel),
    # sent 0/1/2 by HA core's tesla_fleet select and python-tesla-fleet-api.
    (
        "remote_steering_wheel_heat_level_request",
        (2,),
        {},
        lambda c: c.steering_wheel_heat_level == 2,
    ),
    (
        "remote_auto_steering_wheel_heat_climate_request",
        (True,),
        {},
        lambda c: c.auto_steering_wheel_heat,
    ),
    ("set_valet_mode", (True, "1234"), {}, lambda c: c.valet_mode),
    ("set_pin_to_drive", (True, "1234"), {}, lambda c: c.pin_to_drive),
    ("speed_limit_activate", ("1234",), {}, lambda c: c.speed_limit_active),
    ("speed_limit_set_limit", (65,), {}, lambda c: c.speed_limit_mph == 65),
    ("guest_mode", (True,), {}, lambda c: c.guest_mode),
    ("remote_boombox", (0,), {}, lambda c: c.boombox_plays == 1),
    ("media_toggle_playback", (), {}, lambda c: c.media_playing),
    ("media_next_track", (), {}, lambda c: c.media_track == 1),
    (
        "navigation_request",
        ("1 Tesla Road, Austin",),
        {"timestamp_ms": 1_700_000_000_000},
        lambda c: c.destination is not None and c.destination["name"] == "1 Tesla Road, Austin",
    ),
    ("navigation_sc_request", (1234,), {}, lambda c: c.destination is not None),
    ("schedule_software_update", (3600,), {}, lambda c: c.software_update_status == "scheduled"),
    ("set_vehicle_name", ("Blue",), {}, lambda c: c.display_name == "Blue"),
]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "shows"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
async def test_command_runs_on_the_car(
    rig: Rig,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    shows: Callable[[Vehicle], bool],
) -> None:
    result = await getattr(rig.client.vehicle(M3), method)(*args, **kwargs)
    assert result.result, result.reason
    assert shows(rig.emulator.vehicle(M3))
    assert [(r.path, r.category) for r in rig.records] == [
        (f"/api/1/vehicles/{M3}/command/{method}", "command")
    ]


async def test_undo_commands_reverse_the_state(rig: Rig) -> None:
    vehicle = rig.client.vehicle(M3)
    car = rig.emulator.vehicle(M3)
    car.plugged_in, car.charging, car.battery_level = True, False, 40.0
    assert (await vehicle.charge_start()).result
    assert rig.emulator.vehicle(M3).charging
    assert (await vehicle.charge_stop()).result
    await vehicle.speed_limit_activate("1234")
    assert (await vehicle.speed_limit_deactivate("1234")).result
    assert (await vehicle.speed_limit_clear_pin("1234")).result
    await vehicle.schedule_software_update(60)
    assert (await vehicle.cancel_software_update()).result
    await vehicle.media_next_track()
    assert (await vehicle.media_prev_track()).result
    await vehicle.auto_conditioning_start()
    assert (await vehicle.auto_conditioning_stop()).result
    car = rig.emulator.vehicle(M3)
    assert not car.charging
    assert (car.speed_limit_active, car.speed_limit_pin) == (False, None)
    assert (car.software_update_status, car.media_track, car.climate_on) == ("available", 0, False)
    car.plugged_in = False
    assert (await vehicle.charge_port_door_close()).result
    assert rig.emulator.vehicle(M3).charge_port_door_open is False


async def test_refusals_come_back_with_teslas_reason(rig: Rig) -> None:
    vehicle = rig.client.vehicle(M3)
    roof = await vehicle.sun_roof_control("vent")
    assert (roof.result, roof.reason) == (False, "sun roof not installed")
    missing = await vehicle.remove_precondition_schedule(99)
    assert (missing.result, missing.reason) == (False, "schedule not found")


FULL_WIDTH_PIN = "\uff11\uff12\uff13\uff14"  # 1234 in full-width digits
ARABIC_INDIC_PIN = "\u0661\u0662\u0663\u0664"  # 1234 in Arabic-Indic digits

# (method, args, kwargs): each refused before anything is sent.
REFUSED: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("speed_limit_activate", (FULL_WIDTH_PIN,), {}),
    ("speed_limit_deactivate", (ARABIC_INDIC_PIN,), {}),
    ("speed_limit_clear_pin", ("12345",), {}),
    ("set_valet_mode", (True, FULL_WIDTH_PIN), {}),
    ("set_pin_to_drive", (True, ARABIC_INDIC_PIN), {}),
    ("set_pin_to_drive", (True, 1234), {}),
    ("remove_charge_schedule", (2**32,), {}),
    ("remove_precondition_schedule", (2**40,), {}),
    ("navigation_gps_request", (*HOME,), {"order": 4}),
    ("navigation_sc_request", (1234,), {"order": -1}),
    ("navigation_request", ("   ",), {}),
    ("navigation_request", ("1 Tesla Road\nAustin",), {}),
    ("navigation_request", ("x" * 1001,), {}),
    ("set_vehicle_name", ("Blue\x1b",), {}),
]


@pytest.mark.parametrize(("method", "args", "kwargs"), REFUSED)
async def test_bad_arguments_are_refused_unsent(
    rig: Rig, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgumentError):
        await getattr(rig.client.vehicle(M3), method)(*args, **kwargs)
    assert rig.records == []


async def test_navigation_text_is_sent_trimmed(rig: Rig) -> None:
    await rig.client.vehicle(M3).navigation_request("  1 Tesla Road, Austin \t")
    destination = rig.emulator.vehicle(M3).destination
    assert destination is not None
    assert destination["name"] == "1 Tesla Road, Austin"
