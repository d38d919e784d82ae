"""Actions for automations: each changes the emulated car; bad input is refused unsent."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, selector
from homeassistant.helpers.service import async_get_all_descriptions
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.live_data import MODEL_NAMES
from custom_components.tesla_fleet_direct.services import SCHEMAS
from fleet_emulator import Emulator

from .common import setup_integration
from .vehicle_helpers import M3

MY = "7SAYGDEE0PA000002"


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


SITE_ID = "2252180000000001"


def _device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry:
    (device,) = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, identifier)})
    return device


async def _refusal(hass: HomeAssistant, device_id: str) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(DOMAIN, "wake_up", {"device_id": device_id}, blocking=True)
    return refused.value


async def test_an_energy_site_is_refused_by_its_name(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    site = _device(hass, SITE_ID)
    before = requests(emulator)
    refused = await _refusal(hass, site.id)
    assert refused.translation_key == "not_a_vehicle"
    assert site.name
    assert site.name in str(refused)
    assert site.id not in str(refused)
    assert requests(emulator) == before


async def test_a_device_of_another_integration_is_refused_by_its_name(
    hass: HomeAssistant,
) -> None:
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "lamp")}, name="Hall lamp"
    )
    refused = await _refusal(hass, device.id)
    assert refused.translation_key == "not_a_vehicle"
    assert "Hall lamp" in str(refused)


async def test_a_car_of_an_unloaded_account_is_named(hass: HomeAssistant) -> None:
    car = _device(hass, M3)
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    await hass.config_entries.async_unload(entry.entry_id)
    refused = await _refusal(hass, car.id)
    assert refused.translation_key == "vehicle_not_loaded"
    assert car.name
    assert car.name in str(refused)


async def test_an_unknown_device_id_is_refused(hass: HomeAssistant) -> None:
    refused = await _refusal(hass, "not-a-device")
    assert refused.translation_key == "device_not_found"
    assert "not-a-device" in str(refused)


async def test_actions_log_no_deprecation_warning(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """Finding the car reads the device's one config entry, not deprecated `config_entries`."""
    caplog.set_level(logging.WARNING)
    await act(hass, "wake_up")
    await _refusal(hass, _device(hass, SITE_ID).id)
    deprecations = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert not deprecations


def _matches(hass: HomeAssistant, device: dr.DeviceEntry, rule: Mapping[str, Any]) -> bool:
    """Home Assistant's device selector filter: every given property must match."""
    entry = hass.config_entries.async_get_entry(device.config_entry_id)
    checks = {
        "integration": entry.domain if entry is not None else None,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "model_id": device.model_id,
    }
    return all(checks[key] == value for key, value in rule.items())


async def test_the_device_picker_offers_cars_only(hass: HomeAssistant) -> None:
    """Every action's device field lists the account's cars, not its site or wall connector."""
    actions = (await async_get_all_descriptions(hass))[DOMAIN]
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), hass.config_entries.async_entries(DOMAIN)[0].entry_id
    )
    cars = {device.id for device in devices if (DOMAIN, M3) in device.identifiers} | {
        device.id for device in devices if (DOMAIN, MY) in device.identifiers
    }
    assert len(cars) == 2
    assert len(devices) > len(cars), "the account has a site and a wall connector too"
    for action, spec in actions.items():
        field = spec["fields"]["device_id"]["selector"]
        selector.validate_selector(field)  # the frontend gets a valid device selector
        rules = field["device"]["filter"]
        offered = {d.id for d in devices if any(_matches(hass, d, rule) for rule in rules)}
        assert offered == cars, action
        # A car of a model the emulator does not have is offered too.
        models = {rule.get("model") for rule in rules}
        assert {*MODEL_NAMES.values(), "Tesla"} <= models, action
