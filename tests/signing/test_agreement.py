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
]


def test_every_encoder_has_a_case() -> None:
    """A command added to the client without an agreement case fails here."""
    assert {name for name, _ in CASES} == set(ENCODERS)


@pytest.mark.parametrize(("command", "params"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_emulator_decodes_what_client_encodes(command: str, params: dict[str, Any]) -> None:
    """Encoding on the client and decoding on the car gives back the REST command."""
    encoded = encode_command(command, params)
    if encoded.domain == um.DOMAIN_VEHICLE_SECURITY:
        decoded = decode_vcsec(encoded.payload)
    else:
        assert encoded.domain == um.DOMAIN_INFOTAINMENT
        decoded = decode_action(encoded.payload)
    assert decoded == (command, params)


@pytest.mark.parametrize(
    ("command", "params"),
    [
        ("no_such_command", {}),
        ("actuate_trunk", {"which_trunk": "side"}),
        ("window_control", {"command": "shatter"}),
        ("set_charge_limit", {}),
        ("remote_seat_heater_request", {"seat_position": 3, "level": 1}),
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
