"""The client's encoder and the emulator's decoder are separate code; they must agree."""

from __future__ import annotations

from typing import Any

import pytest
from tesla_protocol.command import universal_message_pb2 as um, vcsec_pb2 as vcsec

from custom_components.tesla_fleet_direct.api.signing import (
    CommandOutcome,
    UnsupportedCommandError,
    VehicleBusyError,
    encode_command,
)
from custom_components.tesla_fleet_direct.api.signing.commands import decode_outcome
from fleet_emulator.signing import decode_action, decode_vcsec

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
            "id": 7,
        },
        {
            "days_of_week": 0b0100010,
            "enabled": True,
            "precondition_time": 420,
            "one_time": False,
            "lat": 1.5,
            "lon": 2.5,
            "id": 7,
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
]


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
        ("remote_seat_heater_request", {"seat_position": 9, "level": 1}),
        ("remote_seat_heater_request", {"seat_position": 7, "level": 4}),
        ("set_valet_mode", {"on": True}),
        ("set_valet_mode", {"on": True, "password": "12a4"}),
        ("set_climate_keeper_mode", {"climate_keeper_mode": 4}),
        ("set_scheduled_departure", {"enable": True, "departure_time": 1441}),
        ("add_charge_schedule", {"days_of_week": "Someday", "enabled": True}),
        ("sun_roof_control", {"state": "stop"}),
        ("remote_seat_cooler_request", {"seat_position": 3, "seat_cooler_level": 1}),
        ("remote_steering_wheel_heat_level_request", {"level": 4}),
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


def test_vcsec_status_answers_are_never_success() -> None:
    """VCSEC's WAIT asks for a retry and its ERROR is a failure (vehicle-command vcsec.go:47-59)."""
    wait = vcsec.FromVCSECMessage()
    wait.commandStatus.operationStatus = vcsec.OPERATIONSTATUS_WAIT
    with pytest.raises(VehicleBusyError):
        decode_outcome(um.DOMAIN_VEHICLE_SECURITY, wait.SerializeToString())
    error = vcsec.FromVCSECMessage()
    error.commandStatus.operationStatus = vcsec.OPERATIONSTATUS_ERROR
    assert decode_outcome(um.DOMAIN_VEHICLE_SECURITY, error.SerializeToString()) == (
        CommandOutcome(False, "unknown")
    )
