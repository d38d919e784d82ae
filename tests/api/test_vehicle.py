"""Vehicles against the emulator: listing, state, data sections, waking, commands."""

from __future__ import annotations

import asyncio
from functools import partial
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api import (
    CommandResult,
    InvalidArgumentError,
    InvalidRequestError,
    NotFoundError,
    Section,
    SigningRequiredError,
    VehicleUnavailableError,
    WakeTimeoutError,
)
from custom_components.tesla_fleet_direct.api.signing import SignedCommands
from fleet_emulator import Emulator

from .conftest import M3, MY, SITE, Rig, make_rig


async def test_products_split_into_vehicles_and_energy_sites(rig: Rig) -> None:
    products = await rig.client.products()
    assert {(v.vin, v.command_signing) for v in products.vehicles} == {
        (M3, "off"),
        (MY, "required"),
    }
    assert [s.energy_site_id for s in products.energy_sites] == [SITE]
    site = products.energy_sites[0]
    assert (site.components.battery, site.components.solar, site.components.grid) == (
        True,
        True,
        True,
    )
    assert site.components.wall_connectors == 1
    assert products.vehicles[0].raw["vin"] == products.vehicles[0].vin


async def test_vehicle_list_and_state_report_sleep_without_waking(rig: Rig) -> None:
    rig.emulator.vehicle(M3).power_state = "asleep"
    listed = {v.vin: v.state for v in await rig.client.vehicles()}
    assert listed == {M3: "asleep", MY: "online"}
    state = await rig.client.vehicle(M3).state()
    assert (state.state, state.online, state.signing_required) == ("asleep", False, False)
    assert rig.emulator.vehicle(M3).power_state == "asleep"
    assert {r.category for r in rig.records} == {"free"}


async def test_unknown_vin_is_not_found(rig: Rig) -> None:
    with pytest.raises(NotFoundError):
        await rig.client.vehicle("5YJ3E7EB0KF999999").state()


async def test_vehicle_data_asks_only_for_the_chosen_sections(rig: Rig) -> None:
    car = rig.emulator.vehicle(M3)
    data = await rig.client.vehicle(M3).vehicle_data([Section.CHARGE_STATE, "location_data"])
    assert data.vin == M3
    assert data.charge_state is not None
    assert data.charge_state.battery_level == round(car.battery_level)
    assert data.charge_state.charge_limit_soc == car.charge_limit_soc
    assert data.location is not None
    assert data.location.coordinates == pytest.approx((car.latitude, car.longitude), abs=1e-5)
    assert data.climate_state is None
    assert data.vehicle_state is None


async def test_vehicle_data_default_sections_have_no_location(rig: Rig) -> None:
    data = await rig.client.vehicle(M3).vehicle_data()
    assert data.climate_state is not None
    assert data.climate_state.inside_temp is not None
    assert data.vehicle_state is not None
    assert data.vehicle_state.locked is True
    assert data.vehicle_config is not None
    assert data.vehicle_config.car_type == "model3"
    assert data.gui_settings is not None
    assert data.gui_settings.gui_temperature_units == "F"
    assert data.drive_state is not None
    assert data.location is None
    # Fields the typed view does not name stay reachable.
    assert data.charge_state is not None
    # A Model 3's standard limit is 80 % (tests/fixtures/real/model3_*.json).
    assert data.charge_state.get("charge_limit_soc_std") == 80
    assert data.vehicle_state.software_update.status == "available"


async def test_location_needs_the_scope(emulator: Emulator) -> None:
    scopes = ("openid", "offline_access", "vehicle_device_data")
    async for rig in make_rig(emulator, scopes):
        data = await rig.client.vehicle(M3).vehicle_data([Section.LOCATION_DATA])
        assert data.location is None


async def test_unknown_section_is_refused_before_sending(rig: Rig) -> None:
    with pytest.raises(InvalidArgumentError, match="not_a_section"):
        await rig.client.vehicle(M3).vehicle_data(["not_a_section"])
    assert rig.records == []


async def test_vehicle_data_of_a_sleeping_car_is_unavailable_and_does_not_wake_it(
    rig: Rig,
) -> None:
    rig.emulator.vehicle(M3).power_state = "asleep"
    with pytest.raises(VehicleUnavailableError):
        await rig.client.vehicle(M3).vehicle_data()
    assert rig.emulator.vehicle(M3).power_state == "asleep"


async def test_wait_until_online_wakes_and_polls_the_free_state(rig: Rig) -> None:
    car = rig.emulator.vehicle(M3)
    car.power_state = "asleep"
    car.wake_delay_s = 15.0
    state = await rig.client.vehicle(M3).wait_until_online()
    assert state.online
    assert rig.emulator.vehicle(M3).state == "online"
    categories = [r.category for r in rig.records]
    assert categories.count("wake") == 1
    assert set(categories) == {"free", "wake"}
    # Backoff: 2, 4, 8, ... and no longer than needed.
    assert rig.slept[:3] == [2.0, 4.0, 8.0]
    assert 15.0 <= sum(rig.slept) < 30.0


async def test_wait_until_online_skips_the_wake_for_an_online_car(rig: Rig) -> None:
    assert (await rig.client.vehicle(M3).wait_until_online()).online
    assert [r.category for r in rig.records] == ["free"]


async def test_wait_until_online_gives_up_after_the_bound(rig: Rig) -> None:
    rig.emulator.vehicle(M3).set_connectivity(False)
    with pytest.raises(WakeTimeoutError) as caught:
        await rig.client.vehicle(M3).wait_until_online(max_wait=30.0)
    assert isinstance(caught.value, VehicleUnavailableError)
    assert sum(rig.slept) == pytest.approx(30.0)
    assert [r.category for r in rig.records].count("wake") == 1


async def test_concurrent_waiters_share_one_wake(rig: Rig) -> None:
    rig.emulator.vehicle(M3).power_state = "asleep"
    vehicle = rig.client.vehicle(M3)
    assert rig.client.vehicle(M3) is vehicle
    results = await asyncio.gather(*(vehicle.wait_until_online() for _ in range(3)))
    assert all(state.online for state in results)
    assert [r.category for r in rig.records].count("wake") == 1


async def test_commands_change_the_car(rig: Rig) -> None:
    vehicle = rig.client.vehicle(M3)
    assert await vehicle.door_unlock() == CommandResult(True, "")
    assert await vehicle.set_charge_limit(65) == CommandResult(True, "")
    assert (await vehicle.set_temps(20.5)).result
    assert (await vehicle.remote_seat_heater_request(1, 3)).result
    assert (await vehicle.set_sentry_mode(True)).result
    assert (await vehicle.actuate_trunk("rear")).result
    assert (await vehicle.adjust_volume(5)).result
    assert (await vehicle.navigation_gps_request(37.49, -121.94)).result
    car = rig.emulator.vehicle(M3)
    assert (car.locked, car.charge_limit_soc, car.driver_temp_setting) == (False, 65, 20.5)
    assert (car.passenger_temp_setting, car.seat_heaters[1], car.sentry_mode) == (20.5, 3, True)
    assert (car.trunk_open, car.media_volume) == (True, 5.0)
    assert car.destination is not None
    assert {r.category for r in rig.records} == {"command"}


async def test_benign_refusal_is_returned_as_ok_not_raised(rig: Rig) -> None:
    rig.emulator.vehicle(M3).charging = False
    result = await rig.client.vehicle(M3).charge_stop()
    assert (result.result, result.reason, result.benign, result.ok) == (
        False,
        "not_charging",
        True,
        True,
    )
    result.raise_for_result("charge_stop")  # benign: no error


async def test_real_refusal_raises_only_when_asked(rig: Rig) -> None:
    rig.emulator.vehicle(M3).plugged_in = True
    result = await rig.client.vehicle(M3).charge_port_door_close()
    assert (result.result, result.reason, result.ok) == (False, "cable connected", False)
    from custom_components.tesla_fleet_direct.api import CommandFailedError

    with pytest.raises(CommandFailedError, match="cable connected") as caught:
        result.raise_for_result("charge_port_door_close")
    assert caught.value.reason == "cable connected"


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("set_charge_limit", (49,)),
        ("set_charge_limit", (101,)),
        ("set_charging_amps", (49,)),
        ("set_charging_amps", (-1,)),
        ("set_temps", (14.5,)),
        ("set_temps", (21.0, 29.0)),
        ("remote_seat_heater_request", (9, 1)),
        ("remote_seat_heater_request", (0, 4)),
        ("remote_seat_cooler_request", (3, 1)),
        ("remote_steering_wheel_heat_level_request", (3,)),
        ("set_climate_keeper_mode", (4,)),
        ("set_cop_temp", (3,)),
        ("adjust_volume", (11.5,)),
        ("speed_limit_set_limit", (49,)),
        ("speed_limit_activate", ("12a4",)),
        ("actuate_trunk", ("side",)),
        ("window_control", ("vent", 91.0, 0.0)),
        ("sun_roof_control", ("open",)),
        ("remote_boombox", (1,)),
        ("set_vehicle_name", ("",)),
        ("set_sentry_mode", (1,)),
        ("schedule_software_update", (-5,)),
        ("set_scheduled_charging", (True, 1440)),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    rig: Rig, call: str, args: tuple[Any, ...]
) -> None:
    with pytest.raises(InvalidArgumentError):
        await getattr(rig.client.vehicle(M3), call)(*args)
    assert rig.records == []


async def test_charge_schedule_needs_a_start_or_an_end(rig: Rig) -> None:
    vehicle = rig.client.vehicle(M3)
    with pytest.raises(InvalidArgumentError):
        await vehicle.add_charge_schedule(days_of_week="All", enabled=True, lat=1, lon=2)
    with pytest.raises(InvalidArgumentError):
        await vehicle.add_charge_schedule(
            days_of_week="Funday", enabled=True, lat=1, lon=2, start_time=60
        )
    assert rig.records == []
    result = await vehicle.add_charge_schedule(
        days_of_week="Monday,Friday", enabled=True, lat=37.4, lon=-121.9, start_time=120
    )
    assert result.result
    schedules = rig.emulator.vehicle(M3).charge_schedules
    assert [(s["days_of_week"], s["start_time"], s["end_enabled"]) for s in schedules] == [
        ("Monday,Friday", 120, False)
    ]
    data = await vehicle.vehicle_data([Section.CHARGE_SCHEDULE_DATA])
    assert [s["id"] for s in data.charge_schedules] == [schedules[0]["id"]]
    assert (await vehicle.remove_charge_schedule(schedules[0]["id"])).result
    assert rig.emulator.vehicle(M3).charge_schedules == []


async def test_amps_are_bounded_by_the_cars_own_maximum_once_known(rig: Rig) -> None:
    vehicle = rig.client.vehicle(M3)
    assert (await vehicle.set_charging_amps(40)).result  # 48 A bound before the car says
    data = await vehicle.vehicle_data([Section.CHARGE_STATE])
    assert data.charge_state is not None
    assert data.charge_state.charge_current_request_max == 32
    with pytest.raises(InvalidArgumentError, match="0 to 32"):
        await vehicle.set_charging_amps(40)
    assert (await vehicle.set_charging_amps(16)).result
    assert rig.emulator.vehicle(M3).charge_current_request == 16


async def test_tesla_refusing_a_field_is_an_invalid_request(rig: Rig) -> None:
    with pytest.raises(InvalidRequestError):
        await rig.client.vehicle(M3).command("set_charge_limit", {"percent": "high"})


async def test_command_to_a_sleeping_car_is_unavailable(rig: Rig) -> None:
    rig.emulator.vehicle(M3).power_state = "asleep"
    with pytest.raises(VehicleUnavailableError):
        await rig.client.vehicle(M3).honk_horn()


async def test_plain_command_to_a_signing_car_says_signing_required(rig: Rig) -> None:
    with pytest.raises(SigningRequiredError):
        await rig.client.vehicle(MY).door_unlock()


def _paired_signer(rig: Rig) -> SignedCommands:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    rig.emulator.world.security[MY].pair(pem, "owner")
    return SignedCommands(
        key, lambda vin: rig.client.vehicle(vin).signed_command, clock=rig.emulator.clock
    )


async def test_signed_path_returns_the_same_result_type(rig: Rig) -> None:
    signed = _paired_signer(rig)
    vehicle = rig.client.vehicle(MY)
    vehicle.use_signed_commands(partial(signed.execute, MY))
    assert vehicle.signs_commands
    assert await vehicle.door_unlock() == CommandResult(True, "")
    assert rig.emulator.vehicle(MY).locked is False
    assert {r.path for r in rig.records} == {f"/api/1/vehicles/{MY}/signed_command"}
    assert {r.category for r in rig.records} == {"command"}


async def test_client_signs_for_cars_whose_products_say_so(rig: Rig) -> None:
    rig.client.set_command_signer(_paired_signer(rig))
    await rig.client.products()
    assert rig.client.vehicle(MY).signs_commands
    assert not rig.client.vehicle(M3).signs_commands
    rig.records.clear()
    assert (await rig.client.vehicle(MY).auto_conditioning_start()).result
    assert (await rig.client.vehicle(M3).auto_conditioning_start()).result
    assert rig.emulator.vehicle(MY).climate_on
    assert rig.emulator.vehicle(M3).climate_on
    assert f"/api/1/vehicles/{MY}/command/auto_conditioning_start" not in rig.paths()
    assert f"/api/1/vehicles/{M3}/command/auto_conditioning_start" in rig.paths()


async def test_signing_refusal_is_retried_signed_once_and_remembered(rig: Rig) -> None:
    rig.client.set_command_signer(_paired_signer(rig))
    vehicle = rig.client.vehicle(MY)  # signing mode not known yet
    assert (await vehicle.door_unlock()).result
    assert rig.emulator.vehicle(MY).locked is False
    plain = f"/api/1/vehicles/{MY}/command/door_unlock"
    assert [r.status for r in rig.records if r.path == plain] == [403]
    assert vehicle.signs_commands
    assert (await vehicle.door_lock()).result
    assert f"/api/1/vehicles/{MY}/command/door_lock" not in rig.paths()


async def test_commands_to_one_car_run_one_at_a_time(rig: Rig) -> None:
    # Each command to M3 takes 0.1 s at the server; run together they must not overlap.
    rig.emulator.faults.inject(f"/api/1/vehicles/{M3}/command/*", latency=0.1, count=2)
    vehicle = rig.client.vehicle(M3)
    order: list[str] = []

    async def run(name: str) -> None:
        await vehicle.command(name)
        order.append(name)

    async def other_car() -> None:
        await rig.client.vehicle(MY).state()
        order.append("other car")

    started = time.monotonic()
    await asyncio.gather(run("flash_lights"), run("honk_horn"), other_car())
    elapsed = time.monotonic() - started
    assert elapsed >= 0.2  # serialised: 0.1 s + 0.1 s, not 0.1 s side by side
    # Another car is not held up by this car's queue.
    assert order == ["other car", "flash_lights", "honk_horn"]
    assert rig.emulator.vehicle(M3).horn_honks == 1


async def test_fleet_status_names_paired_and_unpaired_cars(rig: Rig) -> None:
    status = await rig.client.fleet_status([M3, MY])
    assert set(status.unpaired_vins) == {M3, MY}
    assert status.protocol_required(MY) is True
    assert status.protocol_required(M3) is False
    assert status.firmware_version(M3)
