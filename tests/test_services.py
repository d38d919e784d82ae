"""Actions for automations: each changes the emulated car; bad input is refused unsent."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
import pytest

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.services import SCHEMAS
from fleet_emulator import Emulator

from .common import setup_integration
from .vehicle_helpers import M3


@pytest.fixture(autouse=True)
async def loaded(hass: HomeAssistant, emulator: Emulator) -> None:
    await setup_integration(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)


def car_device(hass: HomeAssistant, vin: str = M3) -> str:
    (device,) = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, vin)})
    return device.id


async def act(hass: HomeAssistant, service: str, **data: Any) -> None:
    await hass.services.async_call(
        DOMAIN, service, {"device_id": car_device(hass), **data}, blocking=True
    )


def requests(emulator: Emulator) -> int:
    return len(emulator.ledger.entries)


async def test_send_destination_by_coordinates_and_by_address(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await act(hass, "send_destination", gps={"latitude": 37.39, "longitude": -122.08})
    assert emulator.vehicle(M3).destination["latitude"] == 37.39
    await act(hass, "send_destination", address="1 Tesla Road, Austin, TX")
    assert emulator.vehicle(M3).destination["name"] == "1 Tesla Road, Austin, TX"


async def test_destination_needs_exactly_one_of_gps_or_address(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    before = requests(emulator)
    with pytest.raises(ServiceValidationError):
        await act(hass, "send_destination")
    assert requests(emulator) == before


async def test_charge_schedule_added_and_removed(hass: HomeAssistant, emulator: Emulator) -> None:
    await act(
        hass,
        "add_charge_schedule",
        days_of_week=["monday", "friday"],
        enabled=True,
        start_time="23:30:00",
        end_time="06:00:00",
    )
    (schedule,) = emulator.vehicle(M3).charge_schedules
    assert schedule["days_of_week"] == "Monday,Friday"
    assert (schedule["start_time"], schedule["end_time"]) == (23 * 60 + 30, 6 * 60)
    # Where the car is, since no location was given.
    assert schedule["latitude"] == pytest.approx(37.4925, abs=1e-3)
    await act(hass, "remove_charge_schedule", id=schedule["id"])
    assert emulator.vehicle(M3).charge_schedules == []


async def test_precondition_schedule_added_and_removed(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await act(
        hass,
        "add_precondition_schedule",
        days_of_week=["tuesday"],
        enabled=True,
        precondition_time="07:15:00",
        location={"latitude": 37.0, "longitude": -122.0},
    )
    (schedule,) = emulator.vehicle(M3).precondition_schedules
    assert (schedule["precondition_time"], schedule["latitude"]) == (435, 37.0)
    await act(hass, "remove_precondition_schedule", id=schedule["id"])
    assert emulator.vehicle(M3).precondition_schedules == []


async def test_removing_an_unknown_schedule_shows_teslas_reason(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "remove_charge_schedule", id=99)
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["reason"] == "schedule not found"


async def test_legacy_scheduled_charging_and_departure(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await act(hass, "set_scheduled_charging", enable=True, time="01:30:00")
    car = emulator.vehicle(M3)
    assert (car.scheduled_charging_enabled, car.scheduled_charging_time) == (True, 90)
    await act(
        hass,
        "set_scheduled_departure",
        enable=True,
        departure_time="07:45:00",
        preconditioning_enabled=True,
    )
    assert emulator.vehicle(M3).scheduled_departure["departure_time"] == 465
    assert emulator.vehicle(M3).scheduled_departure["preconditioning_enabled"] is True


async def test_scheduled_charging_without_a_time_is_refused_unsent(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    before = requests(emulator)
    with pytest.raises(ServiceValidationError):
        await act(hass, "set_scheduled_charging", enable=True)
    assert requests(emulator) == before


async def test_speed_limit_pin_and_limit(hass: HomeAssistant, emulator: Emulator) -> None:
    await act(hass, "set_speed_limit", enable=True, pin="4321", limit_mph=65)
    car = emulator.vehicle(M3)
    assert (car.speed_limit_active, car.speed_limit_mph, car.speed_limit_pin) == (True, 65, "4321")
    await act(hass, "set_speed_limit", enable=False, pin="4321")
    assert emulator.vehicle(M3).speed_limit_active is False


@pytest.mark.parametrize(
    "data", [{"pin": "12a4"}, {"pin": "123"}, {"pin": "1234", "limit_mph": 140}]
)
async def test_speed_limit_bad_input_is_refused_unsent(
    hass: HomeAssistant, emulator: Emulator, data: dict[str, Any]
) -> None:
    before = requests(emulator)
    with pytest.raises(ServiceValidationError):
        await act(hass, "set_speed_limit", enable=True, **data)
    assert requests(emulator) == before


async def test_valet_mode_on_and_off_with_the_pin(hass: HomeAssistant, emulator: Emulator) -> None:
    await act(hass, "set_valet_mode", enable=True, pin="1111")
    assert emulator.vehicle(M3).valet_mode is True
    await act(hass, "set_valet_mode", enable=False, pin="1111")
    assert emulator.vehicle(M3).valet_mode is False


async def test_wake_up_on_an_awake_car_sends_no_wake(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await act(hass, "wake_up")
    assert not [e for e in emulator.ledger.entries if e.path.endswith("/wake_up")]


async def test_a_device_that_is_not_a_car_is_refused(hass: HomeAssistant) -> None:
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN, "wake_up", {"device_id": "not-a-device"}, blocking=True
        )


async def test_every_action_is_described_for_the_ui(hass: HomeAssistant) -> None:
    """services.yaml parses and names the fields each action accepts."""
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    assert set(descriptions) == set(SCHEMAS)
    assert set(descriptions["set_speed_limit"]["fields"]) == {
        "device_id",
        "enable",
        "pin",
        "limit_mph",
    }
    assert descriptions["send_destination"]["fields"]["gps"]["selector"] == {
        "location": {"radius": False}
    }
