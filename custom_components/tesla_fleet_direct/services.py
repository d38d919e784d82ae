"""Actions (services) for automations: destinations, schedules, speed limit, valet, wake.

Every field is checked by the action's schema, so nothing is sent (not even a state check)
for bad input: numbers finite, whole where Tesla wants whole ones, and within the limits the
selectors in services.yaml show; text trimmed, bounded and free of control characters; PINs
four ASCII digits. A refusal is a translated ServiceValidationError naming the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import time
import math
import time as time_mod
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID, CONF_LATITUDE, CONF_LONGITUDE
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .api.validation import has_control_characters, is_pin
from .api.vehicle_commands import (
    DESTINATION_MAX,
    NAVIGATION_ORDER_MAX,
    SCHEDULE_ID_MAX,
    SPEED_LIMIT_MAX_MPH,
    SPEED_LIMIT_MIN_MPH,
)
from .command_registry import async_commander_for_device
from .command_runner import VehicleCommander
from .const import DOMAIN

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The limits the selectors in services.yaml show (tests/test_services.py holds them together).
ORDER_RANGE = (0, NAVIGATION_ORDER_MAX)
SCHEDULE_ID_RANGE = (0, SCHEDULE_ID_MAX)
SPEED_LIMIT_MPH = (int(SPEED_LIMIT_MIN_MPH), int(SPEED_LIMIT_MAX_MPH))
LATITUDE_RANGE = (-90.0, 90.0)
LONGITUDE_RANGE = (-180.0, 180.0)
# Text fields have no length in their selector; these bound them.
ADDRESS_MAX = DESTINATION_MAX
DEVICE_ID_MAX = 255  # Home Assistant's device ids are 32 hex digits
# A refused value is quoted in the message up to this many characters.
SHOWN_MAX = 40


class FieldInvalidError(vol.Invalid):
    """One field refused, with the translation the user sees (the schema adds which field)."""

    def __init__(self, *, translation_key: str, translation_placeholders: dict[str, str]) -> None:
        """The key under `exceptions` in en.json and its placeholders except `field`."""
        super().__init__(translation_key)
        self.action_key = translation_key
        self.action_placeholders = translation_placeholders


def _refuse(key: str, **placeholders: str) -> FieldInvalidError:
    return FieldInvalidError(translation_key=key, translation_placeholders=placeholders)


def _shown(value: Any) -> str:
    """A refused value as the message quotes it: printable and short."""
    if isinstance(value, float) and math.isfinite(value):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    else:
        text = str(value)
    text = "".join(char if char.isprintable() else "?" for char in text[: SHOWN_MAX + 1])
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _limit(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _as_number(value: Any) -> int | float | None:
    """An int or a finite float from a number or numeric text; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def _in_range(value: Any, number: float, low: float, high: float) -> None:
    if not low <= number <= high:
        raise _refuse("value_out_of_range", value=_shown(value), min=_limit(low), max=_limit(high))


def whole_number(low: int, high: int) -> Callable[[Any], int]:
    """A whole number from `low` to `high` (10.0 and "10" pass; 10.5, NaN and 1e30 do not)."""

    def validate(value: Any) -> int:
        number = _as_number(value)
        if number is None or (isinstance(number, float) and not number.is_integer()):
            raise _refuse("whole_number_required", min=_limit(low), max=_limit(high))
        _in_range(value, number, low, high)
        return int(number)

    return validate


def finite_number(low: float, high: float) -> Callable[[Any], float]:
    """A finite number from `low` to `high`."""

    def validate(value: Any) -> float:
        number = _as_number(value)
        if number is None:
            raise _refuse("number_required", min=_limit(low), max=_limit(high))
        _in_range(value, number, low, high)
        return float(number)

    return validate


def text(max_length: int) -> Callable[[Any], str]:
    """Text, trimmed, of 1 to `max_length` characters, without control characters."""

    def validate(value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _refuse("text_required")
        trimmed = value.strip()
        if not trimmed:
            raise _refuse("text_empty")
        if len(trimmed) > max_length:
            raise _refuse("text_too_long", max=str(max_length))
        if has_control_characters(trimmed):
            raise _refuse("text_control_characters")
        return trimmed

    return validate


def pin(value: Any) -> str:
    """Four ASCII digits (a whole number such as YAML's `pin: 1234` is taken as its digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        value = value.strip()
    if not is_pin(value):
        raise _refuse("invalid_pin")
    return str(value)


def flag(value: Any) -> bool:
    """True or false (also on/off, yes/no, 1/0, as Home Assistant reads booleans)."""
    try:
        return bool(cv.boolean(value))
    except vol.Invalid:
        raise _refuse("invalid_boolean") from None


def time_of_day(value: Any) -> time:
    """A time of day such as 07:30 or 07:30:00."""
    try:
        return cv.time(value)
    except vol.Invalid:
        raise _refuse("invalid_time", value=_shown(value)) from None


def days(value: Any) -> list[str]:
    """One or more day names (monday ... sunday), each once."""
    chosen: list[str] = []
    for item in cv.ensure_list(value):
        day = item.strip().lower() if isinstance(item, str) else item
        if day not in DAYS:
            raise _refuse("invalid_day", value=_shown(item))
        if day not in chosen:
            chosen.append(day)
    if not chosen:
        raise _refuse("days_required")
    return chosen


_COORDINATES = vol.Schema(
    {
        vol.Required(CONF_LATITUDE): finite_number(*LATITUDE_RANGE),
        vol.Required(CONF_LONGITUDE): finite_number(*LONGITUDE_RANGE),
    },
    # The location selector may add a radius; it is not used.
    extra=vol.ALLOW_EXTRA,
)


def place(value: Any) -> dict[str, Any]:
    """A location: latitude and longitude."""
    if not isinstance(value, Mapping):
        raise _refuse("invalid_location")
    return dict(_COORDINATES(dict(value)))


class ActionSchema(vol.Schema):
    """An action's schema whose refusals are translated ServiceValidationErrors.

    Home Assistant runs the schema before the handler, so a refused call never reaches the
    car's commander: nothing is sent, not even a state check.
    """

    def __call__(self, data: Any, **options: Any) -> Any:
        """Validate the call's data, or raise the translated error for its first bad field."""
        try:
            return super().__call__(data, **options)
        except vol.Invalid as err:
            raise self._translated(err) from None

    def _translated(self, err: vol.Invalid) -> ServiceValidationError:
        errors = err.errors if isinstance(err, vol.MultipleInvalid) and err.errors else [err]
        first = errors[0]
        field = ".".join(str(part) for part in first.path) or "data"
        if isinstance(first, FieldInvalidError):
            return _invalid(first.action_key, field=field, **first.action_placeholders)
        known = {str(key) for key in self.schema}
        if first.path and str(first.path[0]) not in known:
            return _invalid("field_unknown", field=field)
        if isinstance(first, vol.RequiredFieldInvalid):
            return _invalid("field_required", field=field)
        return _invalid("invalid_field", field=field, error=first.error_message)


_VEHICLE: dict[Any, Any] = {vol.Required(ATTR_DEVICE_ID): text(DEVICE_ID_MAX)}
_SCHEDULE_ID = whole_number(*SCHEDULE_ID_RANGE)

SCHEMAS: dict[str, vol.Schema] = {
    "wake_up": ActionSchema(_VEHICLE),
    "send_destination": ActionSchema(
        {
            **_VEHICLE,
            vol.Optional("gps"): place,
            vol.Optional("address"): text(ADDRESS_MAX),
            vol.Optional("order", default=0): whole_number(*ORDER_RANGE),
        }
    ),
    "add_charge_schedule": ActionSchema(
        {
            **_VEHICLE,
            vol.Required("days_of_week"): days,
            vol.Required("enabled", default=True): flag,
            vol.Optional("start_time"): time_of_day,
            vol.Optional("end_time"): time_of_day,
            vol.Optional("one_time", default=False): flag,
            vol.Optional("location"): place,
            vol.Optional("id"): _SCHEDULE_ID,
        }
    ),
    "remove_charge_schedule": ActionSchema({**_VEHICLE, vol.Required("id"): _SCHEDULE_ID}),
    "add_precondition_schedule": ActionSchema(
        {
            **_VEHICLE,
            vol.Required("days_of_week"): days,
            vol.Required("enabled", default=True): flag,
            vol.Required("precondition_time"): time_of_day,
            vol.Optional("one_time", default=False): flag,
            vol.Optional("location"): place,
            vol.Optional("id"): _SCHEDULE_ID,
        }
    ),
    "remove_precondition_schedule": ActionSchema({**_VEHICLE, vol.Required("id"): _SCHEDULE_ID}),
    "set_scheduled_charging": ActionSchema(
        {**_VEHICLE, vol.Required("enable"): flag, vol.Optional("time"): time_of_day}
    ),
    "set_scheduled_departure": ActionSchema(
        {
            **_VEHICLE,
            vol.Required("enable"): flag,
            vol.Optional("departure_time"): time_of_day,
            vol.Optional("preconditioning_enabled", default=False): flag,
            vol.Optional("preconditioning_weekdays_only", default=False): flag,
            vol.Optional("off_peak_charging_enabled", default=False): flag,
            vol.Optional("off_peak_charging_weekdays_only", default=False): flag,
            vol.Optional("end_off_peak_time"): time_of_day,
        }
    ),
    "set_speed_limit": ActionSchema(
        {
            **_VEHICLE,
            vol.Required("enable"): flag,
            vol.Required("pin"): pin,
            # Whole mph, as the selector steps (and the car's own setting).
            vol.Optional("limit_mph"): whole_number(*SPEED_LIMIT_MPH),
        }
    ),
    "set_valet_mode": ActionSchema(
        {**_VEHICLE, vol.Required("enable"): flag, vol.Required("pin"): pin}
    ),
}


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _minutes(value: time) -> int:
    """Tesla's schedules count minutes after midnight."""
    return value.hour * 60 + value.minute


def _days(days: list[str]) -> str:
    """Tesla's `days_of_week`: comma-separated English day names."""
    return ",".join(day.capitalize() for day in DAYS if day in days)


def _location(data: Mapping[str, Any], commander: VehicleCommander) -> tuple[float, float]:
    """The schedule's place: the one given, else where the car is now (Tesla requires one)."""
    if (place := data.get("location")) is not None:
        return place[CONF_LATITUDE], place[CONF_LONGITUDE]
    if (here := commander.location()) is None:
        raise _invalid("location_required")
    return here


def _minutes_or_none(value: time | None) -> int | None:
    return None if value is None else _minutes(value)


type Handler = Callable[[VehicleCommander, Mapping[str, Any]], Awaitable[None]]


async def _wake_up(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    await commander.async_wake_up()


async def _send_destination(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    gps, address = data.get("gps"), data.get("address")
    if (gps is None) == (address is None):
        raise _invalid("destination_required")
    if gps is not None:
        lat, lon, order = gps[CONF_LATITUDE], gps[CONF_LONGITUDE], data["order"]
        await commander.async_send(lambda car: car.navigation_gps_request(lat, lon, order))
        return
    # The address goes the way the phone app shares it: as text for the car to look up.
    text: str = data["address"]
    sent_ms = int(time_mod.time() * 1000)
    await commander.async_send(
        lambda car: car.navigation_request(text, locale="en-US", timestamp_ms=sent_ms)
    )


async def _add_charge_schedule(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    start, end = data.get("start_time"), data.get("end_time")
    if start is None and end is None:
        raise _invalid("schedule_time_required")
    lat, lon = _location(data, commander)
    await commander.async_send(
        lambda car: car.add_charge_schedule(
            days_of_week=_days(data["days_of_week"]),
            enabled=data["enabled"],
            lat=lat,
            lon=lon,
            start_time=_minutes_or_none(start),
            end_time=_minutes_or_none(end),
            one_time=data["one_time"],
            schedule_id=data.get("id"),
        )
    )


async def _remove_charge_schedule(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    await commander.async_send(lambda car: car.remove_charge_schedule(data["id"]))


async def _add_precondition_schedule(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    lat, lon = _location(data, commander)
    await commander.async_send(
        lambda car: car.add_precondition_schedule(
            days_of_week=_days(data["days_of_week"]),
            enabled=data["enabled"],
            precondition_time=_minutes(data["precondition_time"]),
            lat=lat,
            lon=lon,
            one_time=data["one_time"],
            schedule_id=data.get("id"),
        )
    )


async def _remove_precondition_schedule(
    commander: VehicleCommander, data: Mapping[str, Any]
) -> None:
    await commander.async_send(lambda car: car.remove_precondition_schedule(data["id"]))


async def _set_scheduled_charging(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    when = data.get("time")
    if data["enable"] and when is None:
        raise _invalid("schedule_time_required")
    minutes = _minutes_or_none(when) or 0
    await commander.async_send(lambda car: car.set_scheduled_charging(data["enable"], minutes))


async def _set_scheduled_departure(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    departure = data.get("departure_time")
    end_off_peak = data.get("end_off_peak_time")
    if data["preconditioning_enabled"] and departure is None:
        raise _invalid("schedule_time_required")
    if data["off_peak_charging_enabled"] and end_off_peak is None:
        raise _invalid("schedule_time_required")
    await commander.async_send(
        lambda car: car.set_scheduled_departure(
            data["enable"],
            _minutes_or_none(departure) or 0,
            preconditioning_enabled=data["preconditioning_enabled"],
            preconditioning_weekdays_only=data["preconditioning_weekdays_only"],
            off_peak_charging_enabled=data["off_peak_charging_enabled"],
            off_peak_charging_weekdays_only=data["off_peak_charging_weekdays_only"],
            end_off_peak_time=_minutes_or_none(end_off_peak) or 0,
        )
    )


async def _set_speed_limit(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    code = data["pin"]
    if (limit := data.get("limit_mph")) is not None:
        await commander.async_send(lambda car: car.speed_limit_set_limit(limit))
    if data["enable"]:
        await commander.async_send(lambda car: car.speed_limit_activate(code))
    else:
        await commander.async_send(lambda car: car.speed_limit_deactivate(code))


async def _set_valet_mode(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    await commander.async_send(lambda car: car.set_valet_mode(data["enable"], data["pin"]))


HANDLERS: dict[str, Handler] = {
    "wake_up": _wake_up,
    "send_destination": _send_destination,
    "add_charge_schedule": _add_charge_schedule,
    "remove_charge_schedule": _remove_charge_schedule,
    "add_precondition_schedule": _add_precondition_schedule,
    "remove_precondition_schedule": _remove_precondition_schedule,
    "set_scheduled_charging": _set_scheduled_charging,
    "set_scheduled_departure": _set_scheduled_departure,
    "set_speed_limit": _set_speed_limit,
    "set_valet_mode": _set_valet_mode,
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once, whatever the number of accounts."""

    def make(handler: Handler) -> Callable[[ServiceCall], Coroutine[Any, Any, None]]:
        async def handle(call: ServiceCall) -> None:
            commander = async_commander_for_device(hass, call.data[ATTR_DEVICE_ID])
            await handler(commander, call.data)

        return handle

    for service, handler in HANDLERS.items():
        hass.services.async_register(DOMAIN, service, make(handler), schema=SCHEMAS[service])
