"""Fleet API command names and parameters as Vehicle Command Protocol payloads, and back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tesla_protocol.command import (
    car_server_pb2 as cs,
    errors_pb2,
    universal_message_pb2 as um,
    vcsec_pb2 as vcsec,
)

from .errors import DecodeError

VCSEC = um.DOMAIN_VEHICLE_SECURITY
INFOTAINMENT = um.DOMAIN_INFOTAINMENT

type Params = Mapping[str, Any]


class UnsupportedCommandError(ValueError):
    """No signed equivalent is known for this REST command."""


@dataclass(frozen=True, slots=True)
class EncodedCommand:
    """Which domain runs the command and the serialised application payload."""

    domain: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """The car's application-layer answer: did it run, and if not, why."""

    result: bool
    reason: str


def _rke(action: int) -> EncodedCommand:
    message = vcsec.UnsignedMessage()
    message.RKEAction = action  # type: ignore[assignment]
    return EncodedCommand(VCSEC, message.SerializeToString())


def _trunk(params: Params) -> EncodedCommand:
    message = vcsec.UnsignedMessage()
    which = params.get("which_trunk")
    if which == "front":
        message.closureMoveRequest.frontTrunk = vcsec.CLOSURE_MOVE_TYPE_MOVE
    elif which == "rear":
        message.closureMoveRequest.rearTrunk = vcsec.CLOSURE_MOVE_TYPE_MOVE
    else:
        raise UnsupportedCommandError(f"which_trunk={which!r}")
    return EncodedCommand(VCSEC, message.SerializeToString())


def _action(fill: Callable[[cs.VehicleAction], object]) -> EncodedCommand:
    action = cs.Action()
    fill(action.vehicleAction)
    return EncodedCommand(INFOTAINMENT, action.SerializeToString())


def _mark(field: str) -> Callable[[Params], EncodedCommand]:
    """A command whose protobuf message has no parameters: presence is the command."""

    def encode(_params: Params) -> EncodedCommand:
        return _action(lambda va: getattr(va, field).SetInParent())

    return encode


def _charging(choice: str) -> Callable[[Params], EncodedCommand]:
    return lambda _p: _action(lambda va: getattr(va.chargingStartStopAction, choice).SetInParent())


def _hvac(on: bool) -> Callable[[Params], EncodedCommand]:
    def fill(va: cs.VehicleAction) -> None:
        va.hvacAutoAction.power_on = on

    return lambda _p: _action(fill)


def _set_temps(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.hvacTemperatureAdjustmentAction.driver_temp_celsius = float(params["driver_temp"])
        va.hvacTemperatureAdjustmentAction.passenger_temp_celsius = float(
            params.get("passenger_temp", params["driver_temp"])
        )

    return _action(fill)


def _charge_limit(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.chargingSetLimitAction.percent = int(params["percent"])

    return _action(fill)


def _charging_amps(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.setChargingAmpsAction.charging_amps = int(params["charging_amps"])

    return _action(fill)


def _sentry(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.vehicleControlSetSentryModeAction.on = bool(params["on"])

    return _action(fill)


def _windows(params: Params) -> EncodedCommand:
    command = params.get("command")
    if command not in {"vent", "close"}:
        raise UnsupportedCommandError(f"window command={command!r}")
    return _action(lambda va: getattr(va.vehicleControlWindowAction, command).SetInParent())


def _steering_heater(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.hvacSteeringWheelHeaterAction.power_on = bool(params["on"])

    return _action(fill)


def _preconditioning_max(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.hvacSetPreconditioningMaxAction.on = bool(params["on"])
        va.hvacSetPreconditioningMaxAction.manual_override = bool(
            params.get("manual_override", False)
        )

    return _action(fill)


def _bioweapon(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.hvacBioweaponModeAction.on = bool(params["on"])
        va.hvacBioweaponModeAction.manual_override = bool(params.get("manual_override", False))

    return _action(fill)


def _climate_keeper(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.hvacClimateKeeperAction.ClimateKeeperAction = int(params["climate_keeper_mode"])  # type: ignore[assignment]
        va.hvacClimateKeeperAction.manual_override = True

    return _action(fill)


def _overheat(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.setCabinOverheatProtectionAction.on = bool(params["on"])
        va.setCabinOverheatProtectionAction.fan_only = bool(params.get("fan_only", False))

    return _action(fill)


# Fleet API seat_position -> the protocol's seat marker field.
SEAT_FIELDS: Mapping[int, str] = {
    0: "CAR_SEAT_FRONT_LEFT",
    1: "CAR_SEAT_FRONT_RIGHT",
    2: "CAR_SEAT_REAR_LEFT",
    4: "CAR_SEAT_REAR_CENTER",
    5: "CAR_SEAT_REAR_RIGHT",
    6: "CAR_SEAT_THIRD_ROW_LEFT",
    7: "CAR_SEAT_THIRD_ROW_RIGHT",
}
SEAT_LEVEL_FIELDS: Mapping[int, str] = {
    0: "SEAT_HEATER_OFF",
    1: "SEAT_HEATER_LOW",
    2: "SEAT_HEATER_MED",
    3: "SEAT_HEATER_HIGH",
}


def _seat_heater(params: Params) -> EncodedCommand:
    seat = SEAT_FIELDS.get(int(params["seat_position"]))
    level = SEAT_LEVEL_FIELDS.get(int(params["level"]))
    if seat is None or level is None:
        raise UnsupportedCommandError(f"seat heater {params!r}")

    def fill(va: cs.VehicleAction) -> None:
        heater = va.hvacSeatHeaterActions.hvacSeatHeaterAction.add()
        getattr(heater, seat).SetInParent()
        getattr(heater, level).SetInParent()

    return _action(fill)


def _volume(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.mediaUpdateVolume.volume_absolute_float = float(params["volume"])

    return _action(fill)


def _speed_limit(activate: bool) -> Callable[[Params], EncodedCommand]:
    def encode(params: Params) -> EncodedCommand:
        def fill(va: cs.VehicleAction) -> None:
            va.drivingSpeedLimitAction.activate = activate
            va.drivingSpeedLimitAction.pin = str(params.get("pin", ""))

        return _action(fill)

    return encode


def _valet(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.vehicleControlSetValetModeAction.on = bool(params["on"])
        if params.get("password"):
            va.vehicleControlSetValetModeAction.password = str(params["password"])

    return _action(fill)


def _homelink(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.vehicleControlTriggerHomelinkAction.location.latitude = float(params.get("lat", 0))
        va.vehicleControlTriggerHomelinkAction.location.longitude = float(params.get("lon", 0))

    return _action(fill)


def _software_update(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.vehicleControlScheduleSoftwareUpdateAction.offset_sec = int(params["offset_sec"])

    return _action(fill)


def _scheduled_charging(params: Params) -> EncodedCommand:
    def fill(va: cs.VehicleAction) -> None:
        va.scheduledChargingAction.enabled = bool(params["enable"])
        va.scheduledChargingAction.charging_time = int(params.get("time", 0))

    return _action(fill)


ENCODERS: Mapping[str, Callable[[Params], EncodedCommand]] = {
    "door_lock": lambda _p: _rke(vcsec.RKE_ACTION_LOCK),
    "door_unlock": lambda _p: _rke(vcsec.RKE_ACTION_UNLOCK),
    "remote_start_drive": lambda _p: _rke(vcsec.RKE_ACTION_REMOTE_DRIVE),
    "actuate_trunk": _trunk,
    "auto_conditioning_start": _hvac(True),
    "auto_conditioning_stop": _hvac(False),
    "set_temps": _set_temps,
    "charge_start": _charging("start"),
    "charge_stop": _charging("stop"),
    "charge_standard": _charging("start_standard"),
    "charge_max_range": _charging("start_max_range"),
    "set_charge_limit": _charge_limit,
    "set_charging_amps": _charging_amps,
    "charge_port_door_open": _mark("chargePortDoorOpen"),
    "charge_port_door_close": _mark("chargePortDoorClose"),
    "flash_lights": _mark("vehicleControlFlashLightsAction"),
    "honk_horn": _mark("vehicleControlHonkHornAction"),
    "set_sentry_mode": _sentry,
    "window_control": _windows,
    "remote_seat_heater_request": _seat_heater,
    "remote_steering_wheel_heater_request": _steering_heater,
    "set_preconditioning_max": _preconditioning_max,
    "set_bioweapon_mode": _bioweapon,
    "set_climate_keeper_mode": _climate_keeper,
    "set_cabin_overheat_protection": _overheat,
    "media_toggle_playback": _mark("mediaPlayAction"),
    "media_next_track": _mark("mediaNextTrack"),
    "media_prev_track": _mark("mediaPreviousTrack"),
    "adjust_volume": _volume,
    "speed_limit_activate": _speed_limit(True),
    "speed_limit_deactivate": _speed_limit(False),
    "set_valet_mode": _valet,
    "trigger_homelink": _homelink,
    "schedule_software_update": _software_update,
    "cancel_software_update": _mark("vehicleControlCancelSoftwareUpdateAction"),
    "set_scheduled_charging": _scheduled_charging,
}


def encode_command(command: str, params: Params | None = None) -> EncodedCommand:
    """Translate a REST command (as in `/command/<name>`) into its signed payload."""
    encoder = ENCODERS.get(command)
    if encoder is None:
        raise UnsupportedCommandError(command)
    try:
        return encoder(params or {})
    except (KeyError, TypeError, ValueError) as err:
        raise UnsupportedCommandError(f"{command}: bad parameters") from err


def decode_outcome(domain: int, payload: bytes) -> CommandOutcome:
    """Read the application-layer result the same way the REST path reports it."""
    try:
        if domain == VCSEC:
            return _vcsec_outcome(payload)
        response = cs.Response()
        response.ParseFromString(payload)
    except DecodeError:
        return CommandOutcome(False, "undecodable response")
    status = response.actionStatus
    if status.result == cs.OPERATIONSTATUS_OK:
        return CommandOutcome(True, "")
    return CommandOutcome(False, status.result_reason.plain_text or "failed")


def _vcsec_outcome(payload: bytes) -> CommandOutcome:
    message = vcsec.FromVCSECMessage()
    message.ParseFromString(payload)
    # For non-whitelist operations VCSEC signals success with an empty message.
    if message.HasField("nominalError"):
        error = message.nominalError.genericError
        name = errors_pb2.GenericError_E.Name(error)
        return CommandOutcome(False, name.removeprefix("GENERICERROR_").lower())
    if message.commandStatus.operationStatus == vcsec.OPERATIONSTATUS_WAIT:
        return CommandOutcome(False, "busy")
    return CommandOutcome(True, "")
