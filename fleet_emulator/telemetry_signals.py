"""What a car streams: each telemetry field's value from the simulation, as Tesla's server writes it.

The MQTT dispatcher of Tesla's reference server (teslamotors/fleet-telemetry
`datastore/mqtt/mqtt_payload.go`) publishes each `Datum` of a `V` record as `json.Marshal` of
its value (`getDatumValue`): strings, numbers and booleans as they are, a location as
`{"latitude": .., "longitude": ..}`, the doors as an object of six booleans, an `invalid`
value as `null` and every enum as its proto name (`ShiftStateD`, `DetailedChargeStateCharging`,
`HvacPowerStateOn`, ...). `go_json` renders values the way Go's `encoding/json` does: keys of
an object sorted, no spaces, `<`, `>` and `&` escaped, floats in their shortest form (`80`,
not `80.0`; a `float` value at 32-bit precision).

Which oneof kind a car uses for a field is not published per field and has changed between
firmware versions (fleet-telemetry `datastore/mqtt/README.md`); the kinds below follow the
Python types Teslemetry's stream library gives each signal (Teslemetry/python-teslemetry-stream
`teslemetry_stream/vehicle.py`) and the enum types of `protos/vehicle_data.proto`. Unverified
against a car: treat them as one plausible firmware's choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
import math
import struct
from typing import Final

from .vehicle import Vehicle

type Json = bool | int | float | str | Float32 | list[Json] | dict[str, Json] | None


@dataclass(frozen=True, slots=True)
class Float32:
    """A proto `float` (Go marshals it at 32-bit precision)."""

    value: float


@dataclass(frozen=True, slots=True)
class Location:
    """A proto `LocationValue`."""

    latitude: float
    longitude: float


# --- Go's encoding/json -----------------------------------------------------------------------

_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    # json.Marshal escapes HTML-special characters and the JS line separators.
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _go_string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _shortest32(value: float) -> str:
    """The shortest decimal that reads back as the same 32-bit float."""
    target = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{target:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == target:
            return text
    return repr(target)


def _go_float(value: float, bits: int) -> str:
    """strconv.AppendFloat(f, 'f' or 'e', -1, bits) as encoding/json's floatEncoder uses it."""
    if not math.isfinite(value):
        raise ValueError("json: unsupported value (NaN or Inf)")
    digits = _shortest32(value) if bits == 32 else repr(value)
    magnitude = abs(float(digits))
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, _, exponent = f"{Decimal(digits):e}".partition("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        sign, number = exponent[0], exponent[1:].lstrip("0") or "0"
        # Go writes at least two exponent digits, then json trims "e-07" to "e-7".
        number = number if sign == "-" or len(number) >= 2 else "0" + number
        return f"{mantissa}e{sign}{number}"
    return format(Decimal(digits).normalize(), "f")


def go_json(value: Json) -> bytes:
    """`json.Marshal(value)` as Go writes it."""
    return _go(value).encode()


def _go(value: Json) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "true" if value else "false"
        case int():
            return str(value)
        case float():
            return _go_float(value, 64)
        case Float32():
            return _go_float(value.value, 32)
        case str():
            return _go_string(value)
        case list():
            return "[" + ",".join(_go(item) for item in value) + "]"
        case dict():
            items = sorted(value.items())
            return "{" + ",".join(f"{_go_string(k)}:{_go(v)}" for k, v in items) + "}"
    raise TypeError(f"cannot marshal {type(value).__name__}")


# --- the fields the emulator simulates ------------------------------------------------------


def _doors(v: Vehicle) -> Json:
    # protos.Doors: the dispatcher builds a map of these six names (Go sorts them).
    return {
        "DriverFront": False,
        "DriverRear": False,
        "PassengerFront": False,
        "PassengerRear": False,
        "TrunkFront": v.frunk_open,
        "TrunkRear": v.trunk_open,
    }


def _location(latitude: float, longitude: float) -> Json:
    return {"latitude": round(latitude, 6), "longitude": round(longitude, 6)}


def _speed(v: Vehicle) -> float:
    if v.drive is None:
        return 0.0
    return round(v.drive.miles / max(1.0, v.drive.end - v.drive.start) * 3600, 1)


def _route(key: str) -> Callable[[Vehicle], Json]:
    def value(v: Vehicle) -> Json:
        route = v.route()
        if route is None:
            return None
        return round(float(route[key]), 2)

    return value


def _destination(v: Vehicle) -> Json:
    route = v.route()
    if route is None:
        return None
    return _location(route["active_route_latitude"], route["active_route_longitude"])


def _destination_name(v: Vehicle) -> Json:
    route = v.route()
    return None if route is None else str(route["active_route_destination"])


def _hours_to_full(v: Vehicle) -> float:
    power = v.charger_power_kw
    if power <= 0:
        return 0.0
    return round((v.charge_limit_soc - v.battery_level) / 100 * v.spec.battery_kwh / power, 2)


def _seat(position: int) -> Callable[[Vehicle], Json]:
    return lambda v: v.seat_heaters.get(position, 0)


def _window(v: Vehicle) -> Json:
    return "WindowStatePartiallyOpen" if v.windows_vented else "WindowStateClosed"


_KEEPER: Final = {
    "off": "ClimateKeeperModeStateOff",
    "keep": "ClimateKeeperModeStateOn",
    "dog": "ClimateKeeperModeStateDog",
    "camp": "ClimateKeeperModeStateParty",
}
_COP: Final = {
    "Off": "CabinOverheatProtectionModeStateOff",
    "On": "CabinOverheatProtectionModeStateOn",
    "FanOnly": "CabinOverheatProtectionModeStateFanOnly",
}

# Field name (protos/vehicle_data.proto `Field`) -> the value the car would send now. A value of
# None is sent as the proto's `invalid` (JSON null): the car has nothing for it (no route, no
# charger). Fields not listed here are configured but never sent by the emulator.
SIGNALS: Final[Mapping[str, Callable[[Vehicle], Json]]] = {
    # Battery (double percentages and miles)
    "BatteryLevel": lambda v: round(v.battery_level, 2),
    "Soc": lambda v: round(v.battery_level, 2),
    "RatedRange": lambda v: round(v.battery_level * v.miles_per_percent, 2),
    "IdealBatteryRange": lambda v: round(v.battery_level * v.miles_per_percent, 2),
    "EstBatteryRange": lambda v: round(v.battery_level * v.miles_per_percent * 0.9, 2),
    # Charging
    "DetailedChargeState": lambda v: f"DetailedChargeState{v.charging_state}",
    "ACChargingPower": lambda v: round(v.charger_power_kw, 2),
    "DCChargingPower": lambda v: 0.0,
    "ChargeAmps": lambda v: float(v.charge_amps),
    "ChargerVoltage": lambda v: float(v.charger_voltage),
    "ACChargingEnergyIn": lambda v: round(v.charge_energy_added, 3),
    "TimeToFullCharge": _hours_to_full,
    "ChargeLimitSoc": lambda v: v.charge_limit_soc,
    "ChargeCurrentRequest": lambda v: v.charge_current_request,
    "ChargeCurrentRequestMax": lambda v: 32,
    "ChargerPhases": lambda v: 1 if v.delivering else None,
    "ChargePortDoorOpen": lambda v: v.charge_port_door_open,
    "ChargePortLatch": lambda v: (
        "ChargePortLatchEngaged" if v.plugged_in else "ChargePortLatchDisengaged"
    ),
    "ChargingCableType": lambda v: "CableTypeSAE" if v.plugged_in else None,
    "FastChargerType": lambda v: "FastChargerACSingleWireCAN" if v.plugged_in else None,
    "ScheduledChargingPending": lambda v: v.next_scheduled_start() is not None,
    "PreconditioningEnabled": lambda v: bool(v.scheduled_departure.get("preconditioning_enabled")),
    # Driving and the route
    "Location": lambda v: _location(v.latitude, v.longitude),
    "GpsHeading": lambda v: float(v.heading),
    "VehicleSpeed": _speed,
    "Gear": lambda v: "ShiftStateD" if v.drive is not None else "ShiftStateP",
    "Odometer": lambda v: round(v.odometer, 3),
    "DestinationName": _destination_name,
    "DestinationLocation": _destination,
    "MilesToArrival": _route("active_route_miles_to_arrival"),
    "MinutesToArrival": _route("active_route_minutes_to_arrival"),
    # Climate
    "InsideTemp": lambda v: round(v.inside_temp, 1),
    "OutsideTemp": lambda v: round(v.outside_temp, 1),
    "HvacPower": lambda v: "HvacPowerStateOn" if v.climate_on else "HvacPowerStateOff",
    "HvacLeftTemperatureRequest": lambda v: float(v.driver_temp_setting),
    "HvacRightTemperatureRequest": lambda v: float(v.passenger_temp_setting),
    "DefrostMode": lambda v: "DefrostModeStateMax" if v.defrost_max else "DefrostModeStateOff",
    "ClimateKeeperMode": lambda v: _KEEPER.get(v.climate_keeper_mode, "ClimateKeeperModeStateOff"),
    "CabinOverheatProtectionMode": lambda v: _COP.get(
        v.cabin_overheat_protection, "CabinOverheatProtectionModeStateUnknown"
    ),
    "SeatHeaterLeft": _seat(0),
    "SeatHeaterRight": _seat(1),
    "SeatHeaterRearLeft": _seat(2),
    "SeatHeaterRearCenter": _seat(4),
    "SeatHeaterRearRight": _seat(5),
    "HvacSteeringWheelHeatLevel": lambda v: v.steering_wheel_heat_level,
    "HvacSteeringWheelHeatAuto": lambda v: v.auto_steering_wheel_heat,
    # Security and closures
    "Locked": lambda v: v.locked,
    "SentryMode": lambda v: "SentryModeStateArmed" if v.sentry_mode else "SentryModeStateOff",
    "DoorState": _doors,
    "FdWindow": _window,
    "FpWindow": _window,
    "RdWindow": _window,
    "RpWindow": _window,
    # Identity and software
    "VehicleName": lambda v: v.display_name,
    "Version": lambda v: v.spec.car_version.split(" ")[0],
}


def read(vehicle: Vehicle, name: str) -> Json:
    """The value the car would send for `name` now (KeyError: not simulated)."""
    return SIGNALS[name](vehicle)
