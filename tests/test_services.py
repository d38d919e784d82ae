"""Actions for automations: each changes the emulated car; bad input is refused unsent."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, selector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.live_data import MODEL_NAMES
from custom_components.tesla_fleet_direct.services import ADDRESS_MAX, SCHEMAS
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
    destination = emulator.vehicle(M3).destination
    assert destination is not None
    assert destination["latitude"] == 37.39
    await act(hass, "send_destination", address="1 Tesla Road, Austin, TX")
    destination = emulator.vehicle(M3).destination
    assert destination is not None
    assert destination["name"] == "1 Tesla Road, Austin, TX"


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


# --- bad input: refused by the action's schema, nothing sent ---------------------------------

GPS = {"latitude": 37.39, "longitude": -122.08}
DAY = {"days_of_week": ["monday"]}
CHARGE = {**DAY, "start_time": "23:00:00"}
PRECONDITION = {**DAY, "precondition_time": "07:00:00"}
SPEED = {"enable": True, "pin": "1234"}
VALET = {"enable": True}
FULL_WIDTH = "\uff11\uff12\uff13\uff14"  # 1234 in full-width digits
ARABIC_INDIC = "\u0661\u0662\u0663\u0664"  # 1234 in Arabic-Indic digits

# (action, data besides the car, the refused field, the translation key of the refusal)
REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    # Navigation order: Tesla's RemoteNavTripOrder is 0-3.
    ("send_destination", {"gps": GPS, "order": -5}, "order", "value_out_of_range"),
    ("send_destination", {"gps": GPS, "order": 1e12}, "order", "value_out_of_range"),
    ("send_destination", {"gps": GPS, "order": 4}, "order", "value_out_of_range"),
    ("send_destination", {"gps": GPS, "order": 1.5}, "order", "whole_number_required"),
    ("send_destination", {"gps": GPS, "order": float("nan")}, "order", "whole_number_required"),
    ("send_destination", {"gps": GPS, "order": "first"}, "order", "whole_number_required"),
    ("send_destination", {"gps": GPS, "order": True}, "order", "whole_number_required"),
    # Addresses: trimmed, 1-1000 characters, one line.
    ("send_destination", {"address": ""}, "address", "text_empty"),
    ("send_destination", {"address": " \t "}, "address", "text_empty"),
    ("send_destination", {"address": "x" * 100_000}, "address", "text_too_long"),
    ("send_destination", {"address": "1 Tesla Road\nAustin"}, "address", "text_control_characters"),
    ("send_destination", {"address": "1 Tesla Road\x00"}, "address", "text_control_characters"),
    ("send_destination", {"address": "\x1b[31mAustin"}, "address", "text_control_characters"),
    ("send_destination", {"address": ["Austin"]}, "address", "text_required"),
    ("send_destination", {"gps": {**GPS, "latitude": 91}}, "gps.latitude", "value_out_of_range"),
    (
        "send_destination",
        {"gps": {**GPS, "longitude": float("inf")}},
        "gps.longitude",
        "number_required",
    ),
    ("send_destination", {"gps": "37.39,-122.08"}, "gps", "invalid_location"),
    ("send_destination", {"gps": {"latitude": 37.39}}, "gps.longitude", "field_required"),
    # Checked by the handler, still before anything is sent.
    ("send_destination", {"gps": GPS, "address": "Austin"}, "", "destination_required"),
    # Schedule ids: Unix seconds, 0 to 2**32 - 1.
    ("add_charge_schedule", {**CHARGE, "id": 2**40}, "id", "value_out_of_range"),
    ("add_charge_schedule", {**CHARGE, "id": 1e30}, "id", "value_out_of_range"),
    ("add_charge_schedule", {**CHARGE, "id": -1}, "id", "value_out_of_range"),
    ("add_charge_schedule", {**CHARGE, "id": 1.5}, "id", "whole_number_required"),
    ("remove_charge_schedule", {"id": 2**40}, "id", "value_out_of_range"),
    ("remove_charge_schedule", {"id": 1e30}, "id", "value_out_of_range"),
    ("remove_charge_schedule", {"id": "1e30"}, "id", "value_out_of_range"),
    ("remove_charge_schedule", {"id": float("nan")}, "id", "whole_number_required"),
    ("add_precondition_schedule", {**PRECONDITION, "id": 2**32}, "id", "value_out_of_range"),
    ("remove_precondition_schedule", {"id": 2**40}, "id", "value_out_of_range"),
    ("remove_precondition_schedule", {"id": 1e30}, "id", "value_out_of_range"),
    # Days, times, flags, places.
    ("add_charge_schedule", {**CHARGE, "days_of_week": ["funday"]}, "days_of_week", "invalid_day"),
    ("add_charge_schedule", {**CHARGE, "days_of_week": []}, "days_of_week", "days_required"),
    ("add_charge_schedule", {"start_time": "23:00:00"}, "days_of_week", "field_required"),
    ("add_charge_schedule", {**DAY, "start_time": "25:00"}, "start_time", "invalid_time"),
    ("add_charge_schedule", {**CHARGE, "enabled": "maybe"}, "enabled", "invalid_boolean"),
    ("add_charge_schedule", {**CHARGE, "colour": "red"}, "colour", "field_unknown"),
    ("add_charge_schedule", DAY, "", "schedule_time_required"),
    (
        "add_precondition_schedule",
        {**PRECONDITION, "location": {"latitude": 0, "longitude": 181}},
        "location.longitude",
        "value_out_of_range",
    ),
    ("set_scheduled_charging", {"enable": True}, "", "schedule_time_required"),
    (
        "set_scheduled_departure",
        {"enable": True, "departure_time": "7"},
        "departure_time",
        "invalid_time",
    ),
    # PINs: four ASCII digits (str.isdigit would take these full-width and Arabic-Indic ones).
    ("set_speed_limit", {**SPEED, "pin": FULL_WIDTH}, "pin", "invalid_pin"),
    ("set_speed_limit", {**SPEED, "pin": ARABIC_INDIC}, "pin", "invalid_pin"),
    ("set_speed_limit", {**SPEED, "pin": "12a4"}, "pin", "invalid_pin"),
    ("set_speed_limit", {**SPEED, "pin": "123"}, "pin", "invalid_pin"),
    ("set_speed_limit", {**SPEED, "pin": "12345"}, "pin", "invalid_pin"),
    ("set_speed_limit", {**SPEED, "pin": ""}, "pin", "invalid_pin"),
    ("set_valet_mode", {**VALET, "pin": FULL_WIDTH}, "pin", "invalid_pin"),
    ("set_valet_mode", {**VALET, "pin": ARABIC_INDIC}, "pin", "invalid_pin"),
    ("set_valet_mode", {**VALET, "pin": "12 34"}, "pin", "invalid_pin"),
    ("set_valet_mode", {**VALET, "pin": 12345}, "pin", "invalid_pin"),
    # Speed limit: 50-120 mph, finite.
    ("set_speed_limit", {**SPEED, "limit_mph": 49}, "limit_mph", "value_out_of_range"),
    ("set_speed_limit", {**SPEED, "limit_mph": 140}, "limit_mph", "value_out_of_range"),
    ("set_speed_limit", {**SPEED, "limit_mph": 65.5}, "limit_mph", "whole_number_required"),
    (
        "set_speed_limit",
        {**SPEED, "limit_mph": float("nan")},
        "limit_mph",
        "whole_number_required",
    ),
    ("set_speed_limit", {**SPEED, "limit_mph": "inf"}, "limit_mph", "whole_number_required"),
]


@pytest.mark.parametrize(
    "case", REFUSED, ids=[f"{case[0]}-{case[3]}-{n}" for n, case in enumerate(REFUSED)]
)
async def test_bad_input_is_refused_with_nothing_sent(
    hass: HomeAssistant, emulator: Emulator, case: tuple[str, dict[str, Any], str, str]
) -> None:
    """Not a command, not even the state check that would come before one."""
    action, data, field, key = case
    emulator.ledger.clear()
    with pytest.raises(ServiceValidationError) as refused:
        await act(hass, action, **data)
    assert refused.value.translation_domain == DOMAIN
    assert refused.value.translation_key == key
    if field:
        assert (refused.value.translation_placeholders or {})["field"] == field
    assert emulator.ledger.entries == []


async def test_a_refusal_names_the_field_and_says_nothing_was_sent(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})
    # (Home Assistant drops the message's final full stop.)
    with pytest.raises(ServiceValidationError) as refused:
        await act(hass, "send_destination", gps=GPS, order=1e12)
    assert str(refused.value) == (
        "1000000000000 is outside the allowed range for order (0 to 3); nothing was sent"
    )
    with pytest.raises(ServiceValidationError) as refused:
        await act(hass, "send_destination", address="x" * 100_000)
    assert str(refused.value) == "address is longer than 1000 characters; nothing was sent"
    with pytest.raises(ServiceValidationError) as refused:
        await act(hass, "set_valet_mode", enable=True, pin=ARABIC_INDIC)
    assert str(refused.value) == "pin must be exactly 4 digits (0-9); nothing was sent"


async def test_an_address_is_sent_trimmed(hass: HomeAssistant, emulator: Emulator) -> None:
    await act(hass, "send_destination", address="  1 Tesla Road, Austin, TX \t")
    destination = emulator.vehicle(M3).destination
    assert destination is not None
    assert destination["name"] == "1 Tesla Road, Austin, TX"


async def test_a_pin_given_as_a_number_in_yaml_is_its_digits(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await act(hass, "set_valet_mode", enable=True, pin=4321)
    assert emulator.vehicle(M3).valet_mode is True


async def test_the_highest_schedule_id_is_sent(hass: HomeAssistant, emulator: Emulator) -> None:
    """Tesla's answer (here: no such schedule), not a local refusal."""
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, "remove_precondition_schedule", id=1_700_000_000)
    assert not isinstance(err.value, ServiceValidationError)
    assert any(e.path.endswith("/remove_precondition_schedule") for e in emulator.ledger.entries)


# Fields each action needs besides the one under test (the car's device id is any text here:
# the schema alone is called).
BASE: dict[str, dict[str, Any]] = {
    "wake_up": {},
    "send_destination": {"gps": GPS},
    "add_charge_schedule": CHARGE,
    "remove_charge_schedule": {"id": 1},
    "add_precondition_schedule": PRECONDITION,
    "remove_precondition_schedule": {"id": 1},
    "set_scheduled_charging": {"enable": True},
    "set_scheduled_departure": {"enable": True},
    "set_speed_limit": SPEED,
    "set_valet_mode": {**VALET, "pin": "1234"},
}


def _schema_takes(action: str, field: str, value: Any) -> bool:
    try:
        SCHEMAS[action]({"device_id": "car", **BASE[action], field: value})
    except ServiceValidationError:
        return False
    return True


async def test_schemas_enforce_the_limits_the_selectors_show(hass: HomeAssistant) -> None:
    """One set of limits: what the action editor offers is exactly what the schema accepts."""
    actions = (await async_get_all_descriptions(hass))[DOMAIN]
    numbers = 0
    for action, spec in actions.items():
        for field, description in spec["fields"].items():
            config = description["selector"].get("number")
            if config is None:
                continue
            numbers += 1
            low, high = config["min"], config["max"]
            where = f"{action}.{field}"
            assert _schema_takes(action, field, low), where
            assert _schema_takes(action, field, high), where
            assert not _schema_takes(action, field, low - 1), where
            assert not _schema_takes(action, field, high + 1), where
            assert not _schema_takes(action, field, float("nan")), where
            assert not _schema_takes(action, field, float("inf")), where
            if config.get("step") == 1:
                assert not _schema_takes(action, field, low + 0.5), where
    assert numbers == 6  # order, three schedule ids (two of them shared), limit_mph
    assert BASE.keys() == actions.keys()


async def test_text_fields_are_bounded(hass: HomeAssistant) -> None:
    actions = (await async_get_all_descriptions(hass))[DOMAIN]
    texts = [
        (action, field)
        for action, spec in actions.items()
        for field, description in spec["fields"].items()
        if "text" in description["selector"]
    ]
    assert set(texts) == {
        ("send_destination", "address"),
        ("set_speed_limit", "pin"),
        ("set_valet_mode", "pin"),
    }
    assert _schema_takes("send_destination", "address", "a" * ADDRESS_MAX)
    assert not _schema_takes("send_destination", "address", "a" * (ADDRESS_MAX + 1))
    for action in ("set_speed_limit", "set_valet_mode"):
        assert _schema_takes(action, "pin", "0000")
        assert not _schema_takes(action, "pin", "00000")
