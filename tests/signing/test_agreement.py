"""The client's encoder and the emulator's decoder are separate code; they must agree."""

from __future__ import annotations

from typing import Any

import pytest
from tesla_protocol.command import universal_message_pb2 as um

from custom_components.tesla_fleet_direct.api.signing import UnsupportedCommandError, encode_command
from custom_components.tesla_fleet_direct.api.signing.commands import ENCODERS, decode_outcome
from fleet_emulator.signing import decode_action, decode_vcsec

CASES: list[tuple[str, dict[str, Any]]] = [
    ("door_lock", {}),
    ("door_unlock", {}),
    ("remote_start_drive", {}),
    ("actuate_trunk", {"which_trunk": "front"}),
    ("actuate_trunk", {"which_trunk": "rear"}),
    ("auto_conditioning_start", {}),
    ("auto_conditioning_stop", {}),
    ("set_temps", {"driver_temp": 21.5, "passenger_temp": 20.0}),
    ("charge_start", {}),
    ("charge_stop", {}),
    ("charge_standard", {}),
    ("charge_max_range", {}),
    ("set_charge_limit", {"percent": 77}),
    ("set_charging_amps", {"charging_amps": 16}),
    ("charge_port_door_open", {}),
    ("charge_port_door_close", {}),
    ("flash_lights", {}),
    ("honk_horn", {}),
    ("set_sentry_mode", {"on": True}),
    ("window_control", {"command": "vent"}),
    ("window_control", {"command": "close"}),
    ("remote_seat_heater_request", {"seat_position": 5, "level": 2}),
    ("remote_steering_wheel_heater_request", {"on": True}),
    ("set_preconditioning_max", {"on": True, "manual_override": False}),
    ("set_bioweapon_mode", {"on": True, "manual_override": False}),
    ("set_climate_keeper_mode", {"climate_keeper_mode": 2}),
    ("set_cabin_overheat_protection", {"on": True, "fan_only": True}),
    ("media_toggle_playback", {}),
    ("media_next_track", {}),
    ("media_prev_track", {}),
    ("adjust_volume", {"volume": 5.5}),
    ("speed_limit_activate", {"pin": "1234"}),
    ("speed_limit_deactivate", {"pin": "1234"}),
    ("set_valet_mode", {"on": True, "password": "4321"}),
    ("trigger_homelink", {"lat": 52.5, "lon": 13.25}),
    ("schedule_software_update", {"offset_sec": 60}),
    ("cancel_software_update", {}),
    ("set_scheduled_charging", {"enable": True, "time": 120}),
    (
        "set_scheduled_departure",
        {
            "enable": True,
            "departure_time": 450,
            "preconditioning_enabled": True,
            "preconditioning_weekdays_only": True,
            "off_peak_charging_enabled": True,
            "off_peak_charging_weekdays_only": False,
            "end_off_peak_time": 360,
        },
    ),
    (
        "add_charge_schedule",
        {
            "days_of_week": 0b0000110,
            "enabled": True,
            "start_enabled": True,
            "end_enabled": True,
            "start_time": 60,
            "end_time": 300,
            "one_time": False,
            "lat": 52.5,
            "lon": 13.25,
            "id": 3,
        },
    ),
    ("remove_charge_schedule", {"id": 3}),
    (
        "add_precondition_schedule",
        {
            "days_of_week": 127,
            "enabled": True,
            "precondition_time": 420,
            "one_time": True,
            "lat": -33.75,
            "lon": 151.125,
        },
    ),
    ("remove_precondition_schedule", {"id": 9}),
    ("speed_limit_set_limit", {"limit_mph": 65.0}),
    ("speed_limit_clear_pin", {"pin": "1234"}),
    ("set_pin_to_drive", {"on": True, "password": "2468"}),
    ("guest_mode", {"enable": True}),
    ("sun_roof_control", {"state": "vent"}),
    ("remote_boombox", {"sound": 2000}),
    ("set_vehicle_name", {"vehicle_name": "Red Arrow"}),
    ("remote_seat_cooler_request", {"seat_position": 2, "seat_cooler_level": 3}),
    ("remote_steering_wheel_heat_level_request", {"level": 3}),
    ("remote_auto_seat_climate_request", {"auto_seat_position": 1, "auto_climate_on": True}),
    ("remote_auto_steering_wheel_heat_climate_request", {"on": False}),
    ("set_cop_temp", {"cop_temp": 0}),
    (
        "navigation_request",
        {"type": "share_ext_content_raw", "value": {"android.intent.extra.TEXT": "Hbf Berlin"}},
    ),
    ("navigation_gps_request", {"lat": 48.125, "lon": 11.5, "order": 1}),
    ("navigation_sc_request", {"id": 4711}),
]

# REST spellings the car decodes to an equivalent but different form.
EQUIVALENT: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "add_precondition_schedule",
        {
            "days_of_week": "Monday,Friday",
            "enabled": True,
            "precondition_time": 420,
            "one_time": False,
            "lat": 1.5,
            "lon": 2.5,
        },
        {
            "days_of_week": 0b0100010,
            "enabled": True,
            "precondition_time": 420,
            "one_time": False,
            "lat": 1.5,
            "lon": 2.5,
        },
    ),
    (
        "navigation_request",
        {
            "type": "share_ext_content_raw",
            "value": {"android.intent.extra.TEXT": "Somewhere"},
            "locale": "en-US",
            "timestamp_ms": "1",
        },
        {"type": "share_ext_content_raw", "value": {"android.intent.extra.TEXT": "Somewhere"}},
    ),
    (
        "set_scheduled_departure",
        {"enable": False, "departure_time": 0},
        {
            "enable": False,
            "departure_time": 0,
            "preconditioning_enabled": False,
            "preconditioning_weekdays_only": False,
            "off_peak_charging_enabled": False,
            "off_peak_charging_weekdays_only": False,
            "end_off_peak_time": 0,
        },
    ),
]


def test_every_encoder_has_a_case() -> None:
    """A command added to the client without an agreement case fails here."""
    assert {name for name, _ in CASES} == set(ENCODERS)


@pytest.mark.parametrize(("command", "params"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_emulator_decodes_what_client_encodes(command: str, params: dict[str, Any]) -> None:
    """Encoding on the client and decoding on the car gives back the REST command."""
    assert _roundtrip(command, params) == (command, params)


@pytest.mark.parametrize(("command", "params", "expected"), EQUIVALENT)
def test_equivalent_spellings(
    command: str, params: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Day names become the protocol's bitmask; REST-only fields are not carried."""
    assert _roundtrip(command, params) == (command, expected)


def _roundtrip(command: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    encoded = encode_command(command, params)
    if encoded.domain == um.DOMAIN_VEHICLE_SECURITY:
        return decode_vcsec(encoded.payload)
    assert encoded.domain == um.DOMAIN_INFOTAINMENT
    return decode_action(encoded.payload)


@pytest.mark.parametrize(
    ("command", "params"),
    [
        ("no_such_command", {}),
        ("actuate_trunk", {"which_trunk": "side"}),
        ("window_control", {"command": "shatter"}),
        ("set_charge_limit", {}),
        ("remote_seat_heater_request", {"seat_position": 3, "level": 1}),
        ("add_charge_schedule", {"days_of_week": "Someday", "enabled": True}),
        ("sun_roof_control", {"state": "stop"}),
        ("remote_seat_cooler_request", {"seat_position": 3, "seat_cooler_level": 1}),
        ("remote_steering_wheel_heat_level_request", {"level": 2}),
        ("remote_auto_seat_climate_request", {"auto_seat_position": 3, "auto_climate_on": True}),
        ("set_cop_temp", {"cop_temp": 5}),
        ("navigation_request", {"type": "share_ext_content_raw", "value": {}}),
    ],
)
def test_unknown_commands_and_bad_parameters_are_refused(
    command: str, params: dict[str, Any]
) -> None:
    """The client refuses rather than sending the car something it would misread."""
    with pytest.raises(UnsupportedCommandError):
        encode_command(command, params)


def test_outcome_decoding_of_malformed_payloads() -> None:
    """Garbage from the car is a failed command, never a success."""
    outcome = decode_outcome(um.DOMAIN_INFOTAINMENT, b"\xff\xff")
    assert not outcome.result
    assert not decode_outcome(um.DOMAIN_VEHICLE_SECURITY, b"\xff\xff").result
