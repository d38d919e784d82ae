"""A streamed field's value, as Tesla's MQTT dispatcher publishes it, read as `vehicle_data` values.

Tesla's reference server publishes each field as Go's `json.Marshal` of the value it received
(teslamotors/fleet-telemetry `datastore/mqtt/mqtt_payload.go`, `getDatumValue`): numbers,
strings and booleans as they are, a location as `{"latitude": .., "longitude": ..}`, the doors as
an object of six booleans, an invalid value as `null` and every enum by its proto name
(`ShiftStateD`, `DetailedChargeStateCharging`). The kind a car uses has changed between
firmware versions (its `datastore/mqtt/README.md`: "12.3" as a number in one, a string in
another), so each reader accepts every plausible form and raises `MalformedValueError` for the rest.

A reader returns one value per `vehicle_data` key the field feeds (`StreamField.feeds`), in the
form a `vehicle_data` answer has it (e.g. `charging_state` "Charging", `shift_state` "D",
`conn_charge_cable` "<invalid>" when unplugged); `SKIP` leaves that key as it is, and an empty
tuple (`ignored`) takes nothing from the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import math
from typing import Any, Final


class MalformedValueError(ValueError):
    """The value is of no form this field has ever had."""


class _Skip:
    """Leave the fed key as it is."""

    def __repr__(self) -> str:
        return "SKIP"


SKIP: Final = _Skip()

type Reader = Callable[[Any], tuple[Any, ...]]


def _number(raw: Any) -> float | None:
    """A finite number from a JSON number or a numeric string; None for null."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise MalformedValueError("a boolean where a number belongs")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError as err:
            raise MalformedValueError("not a number") from err
    else:
        raise MalformedValueError("not a number")
    if not math.isfinite(value):
        raise MalformedValueError("not a finite number")
    return value


def number(raw: Any) -> tuple[Any, ...]:
    """A measurement (double, float, int or its string form)."""
    return (_number(raw),)


def integer(raw: Any) -> tuple[Any, ...]:
    """A whole number (`vehicle_data` has it as an int: battery level 79.6 -> 80)."""
    value = _number(raw)
    return (None if value is None else round(value),)


def positive_or_skip(raw: Any) -> tuple[Any, ...]:
    """A measurement that shares its key with another field: only a reading above 0 counts.

    `DCChargingPower` and `ACChargingPower` both feed `charger_power`; the idle one of the two
    reads 0 and must not hide the other's value.
    """
    value = _number(raw)
    return (value if value is not None and value > 0 else SKIP,)


def boolean(raw: Any) -> tuple[Any, ...]:
    """A boolean (also `0`/`1` and `"true"`/`"false"`)."""
    if raw is None or isinstance(raw, bool):
        return (raw,)
    if isinstance(raw, int | float) and raw in (0, 1):
        return (bool(raw),)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return (raw.strip().lower() == "true",)
    raise MalformedValueError("not a boolean")


def text(raw: Any) -> tuple[Any, ...]:
    """A string (a number sent for it is written out)."""
    if raw is None or isinstance(raw, str):
        return (raw,)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return (str(raw),)
    raise MalformedValueError("not a string")


def _enum_name(raw: Any, prefix: str) -> str | None:
    """The enum's name without its type prefix ("ShiftStateD" -> "D"); None for null."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        raise MalformedValueError("not an enum name")
    return raw.removeprefix(prefix)


def enum(
    prefix: str,
    values: Mapping[str, Any] | None = None,
    *,
    invalid: Any = None,
) -> Reader:
    """An enum by its proto name: its name without `prefix`, or `values[name]` when given.

    `invalid` stands for null and the proto's Invalid/Unknown member. With `values`, a name not
    in it is malformed (a new member this version does not know).
    """

    def read(raw: Any) -> tuple[Any, ...]:
        name = _enum_name(raw, prefix)
        if name is None or name in ("Invalid", "Unknown"):
            return (invalid,)
        if values is None:
            return (name,)
        if name not in values:
            raise MalformedValueError(f"unknown member {name}")
        return (values[name],)

    return read


def location(raw: Any) -> tuple[Any, ...]:
    """`{"latitude": .., "longitude": ..}` -> (latitude, longitude)."""
    if raw is None:
        return (None, None)
    if not isinstance(raw, Mapping):
        raise MalformedValueError("not a location")
    latitude, longitude = _number(raw.get("latitude")), _number(raw.get("longitude"))
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        raise MalformedValueError("not a location")
    return (latitude, longitude)


# The six closures of `protos.Doors` in the order of `vehicle_state` df, dr, pf, pr, ft, rt.
_DOORS: Final = (
    "DriverFront",
    "DriverRear",
    "PassengerFront",
    "PassengerRear",
    "TrunkFront",
    "TrunkRear",
)


def doors(raw: Any) -> tuple[Any, ...]:
    """The doors object -> `vehicle_state` df, dr, pf, pr, ft, rt (0 closed, 1 open)."""
    if raw is None:
        return (None,) * len(_DOORS)
    if not isinstance(raw, Mapping):
        raise MalformedValueError("not a doors object")
    values = []
    for name in _DOORS:
        value = raw.get(name, False)
        if not isinstance(value, bool):
            raise MalformedValueError("not a doors object")
        values.append(int(value))
    return tuple(values)


def minutes_to_seconds(raw: Any) -> tuple[Any, ...]:
    """Minutes streamed, seconds in `vehicle_data` (`expected_duration_sec`)."""
    value = _number(raw)
    return (None if value is None else round(value * 60),)


def ignored(raw: Any) -> tuple[Any, ...]:
    """A field whose value form is not known from any source: nothing is taken from it."""
    return ()


# `WindowState` (closed, partially open, opened) -> `vehicle_data`'s 0 closed, else open.
window = enum(
    "WindowState",
    {"Closed": 0, "PartiallyOpen": 1, "Opened": 2},
)
# `HvacPowerState` -> (is_climate_on, is_preconditioning): the cabin is conditioned while On or
# preconditioning; overheat protection (fans only) is not "climate on" in `vehicle_data`.
_HVAC: Final = {
    "Off": (False, False),
    "On": (True, False),
    "Precondition": (True, True),
    "OverheatProtect": (False, False),
}


def hvac_power(raw: Any) -> tuple[Any, ...]:
    """`HvacPower` -> `is_climate_on`, `is_preconditioning`."""
    name = _enum_name(raw, "HvacPowerState")
    if name is None or name in ("Invalid", "Unknown"):
        return (None, None)
    if name not in _HVAC:
        raise MalformedValueError(f"unknown member {name}")
    return _HVAC[name]


# `DefrostModeState` -> (is_front_defroster_on, defrost_mode): `vehicle_data`'s defrost_mode is
# 0 off, 1 normal, 2 max (HA core teslemetry `climate.py` reads 2 as max defrost).
_DEFROST: Final = {"Off": (False, 0), "Normal": (True, 1), "Max": (True, 2)}


def defrost(raw: Any) -> tuple[Any, ...]:
    """`DefrostMode` -> `is_front_defroster_on`, `defrost_mode`."""
    name = _enum_name(raw, "DefrostModeState")
    if name is None or name in ("Invalid", "Unknown"):
        return (None, None)
    if name not in _DEFROST:
        raise MalformedValueError(f"unknown member {name}")
    return _DEFROST[name]


# `ChargePortLatchValue`: vehicle_data says "Engaged", "Disengaged", "Blocking"; SNA is no reading.
charge_port_latch = enum(
    "ChargePortLatch",
    {"SNA": None, "Disengaged": "Disengaged", "Engaged": "Engaged", "Blocking": "Blocking"},
)
# `ScheduledChargingModeValue` -> vehicle_data's "Off", "StartAt", "DepartBy".
scheduled_charging_mode = enum(
    "ScheduledChargingMode", {"Off": "Off", "StartAt": "StartAt", "DepartBy": "DepartBy"}
)
# `vehicle_data`'s climate_keeper_mode names (the proto calls camp mode "Party").
climate_keeper = enum(
    "ClimateKeeperModeState",
    {"Off": "off", "On": "on", "Dog": "dog", "Party": "camp"},
)
cabin_overheat = enum(
    "CabinOverheatProtectionModeState",
    {"Off": "Off", "On": "On", "FanOnly": "FanOnly"},
)
# Sentry is on in every state but Off (Idle, Armed, Aware, Panic, Quiet).
sentry = enum(
    "SentryModeState",
    {"Off": False, "Idle": True, "Armed": True, "Aware": True, "Panic": True, "Quiet": True},
)
# `vehicle_data` says "<invalid>" for the cable and the charger type while nothing is plugged in.
cable_type = enum("CableType", invalid="<invalid>")
fast_charger = enum("FastCharger", invalid="<invalid>")
shift_state = enum("ShiftState")
charging_state = enum("DetailedChargeState")
media_status = enum("MediaStatus")
media_source = enum("MediaSource")


def detailed_charge_state(raw: Any) -> tuple[Any, ...]:
    """`charging_state`, and a charger power of 0 once the car is not charging.

    When a DC session ends, `ACChargingPower` (0 all along) has nothing new to send and
    `DCChargingPower`'s 0 is skipped (`positive_or_skip`): the end of the session says it.
    """
    (state,) = charging_state(raw)
    power = SKIP if state in ("Charging", "Starting") or state is None else 0.0
    return (state, power)
