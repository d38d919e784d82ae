"""Actions (services) for automations: destinations, schedules, speed limit, valet, wake."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import time
import time as time_mod
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID, CONF_LATITUDE, CONF_LONGITUDE
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .commands import VehicleCommander, async_commander_for_device, require_range
from .const import DOMAIN

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SPEED_LIMIT_MPH = (50, 120)

_VEHICLE: dict[Any, Any] = {vol.Required(ATTR_DEVICE_ID): cv.string}
_GPS = vol.Schema(
    {vol.Required(CONF_LATITUDE): cv.latitude, vol.Required(CONF_LONGITUDE): cv.longitude},
    extra=vol.ALLOW_EXTRA,
)
_SCHEDULE_ID = vol.All(vol.Coerce(int), vol.Range(min=0))
_DAYS = vol.All(cv.ensure_list, [vol.In(DAYS)], vol.Length(min=1))

SCHEMAS: dict[str, vol.Schema] = {
    "wake_up": vol.Schema(_VEHICLE),
    "send_destination": vol.Schema(
        {
            **_VEHICLE,
            vol.Optional("gps"): _GPS,
            vol.Optional("address"): cv.string,
            vol.Optional("order", default=0): vol.Coerce(int),
        }
    ),
    "add_charge_schedule": vol.Schema(
        {
            **_VEHICLE,
            vol.Required("days_of_week"): _DAYS,
            vol.Required("enabled", default=True): cv.boolean,
            vol.Optional("start_time"): cv.time,
            vol.Optional("end_time"): cv.time,
            vol.Optional("one_time", default=False): cv.boolean,
            vol.Optional("location"): _GPS,
            vol.Optional("id"): _SCHEDULE_ID,
        }
    ),
    "remove_charge_schedule": vol.Schema({**_VEHICLE, vol.Required("id"): _SCHEDULE_ID}),
    "add_precondition_schedule": vol.Schema(
        {
            **_VEHICLE,
            vol.Required("days_of_week"): _DAYS,
            vol.Required("enabled", default=True): cv.boolean,
            vol.Required("precondition_time"): cv.time,
            vol.Optional("one_time", default=False): cv.boolean,
            vol.Optional("location"): _GPS,
            vol.Optional("id"): _SCHEDULE_ID,
        }
    ),
    "remove_precondition_schedule": vol.Schema({**_VEHICLE, vol.Required("id"): _SCHEDULE_ID}),
    "set_scheduled_charging": vol.Schema(
        {**_VEHICLE, vol.Required("enable"): cv.boolean, vol.Optional("time"): cv.time}
    ),
    "set_scheduled_departure": vol.Schema(
        {
            **_VEHICLE,
            vol.Required("enable"): cv.boolean,
            vol.Optional("departure_time"): cv.time,
            vol.Optional("preconditioning_enabled", default=False): cv.boolean,
            vol.Optional("preconditioning_weekdays_only", default=False): cv.boolean,
            vol.Optional("off_peak_charging_enabled", default=False): cv.boolean,
            vol.Optional("off_peak_charging_weekdays_only", default=False): cv.boolean,
            vol.Optional("end_off_peak_time"): cv.time,
        }
    ),
    "set_speed_limit": vol.Schema(
        {
            **_VEHICLE,
            vol.Required("enable"): cv.boolean,
            vol.Required("pin"): cv.string,
            vol.Optional("limit_mph"): vol.Coerce(float),
        }
    ),
    "set_valet_mode": vol.Schema(
        {**_VEHICLE, vol.Required("enable"): cv.boolean, vol.Required("pin"): cv.string}
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


def _pin(value: str) -> str:
    if len(value) != 4 or not value.isdigit():
        raise _invalid("invalid_pin")
    return value


def _location(data: Mapping[str, Any], commander: VehicleCommander) -> dict[str, float]:
    """The schedule's place: the one given, else where the car is now (Tesla requires one)."""
    if (place := data.get("location")) is not None:
        return {"lat": place[CONF_LATITUDE], "lon": place[CONF_LONGITUDE]}
    if (here := commander.location()) is None:
        raise _invalid("location_required")
    return {"lat": here[0], "lon": here[1]}


type Handler = Callable[[VehicleCommander, Mapping[str, Any]], Awaitable[None]]


async def _wake_up(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    await commander.async_wake_up()


async def _send_destination(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    gps, address = data.get("gps"), data.get("address")
    if (gps is None) == (address is None):
        raise _invalid("destination_required")
    if gps is not None:
        await commander.async_send(
            "navigation_gps_request",
            {"lat": gps[CONF_LATITUDE], "lon": gps[CONF_LONGITUDE], "order": data["order"]},
        )
        return
    # The address goes the way the phone app shares it: as text for the car to look up.
    await commander.async_send(
        "navigation_request",
        {
            "type": "share_ext_content_raw",
            "value": {"android.intent.extra.TEXT": address},
            "locale": "en-US",
            "timestamp_ms": str(int(time_mod.time() * 1000)),
        },
    )


async def _add_charge_schedule(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    start, end = data.get("start_time"), data.get("end_time")
    if start is None and end is None:
        raise _invalid("schedule_time_required")
    params: dict[str, Any] = {
        "days_of_week": _days(data["days_of_week"]),
        "enabled": data["enabled"],
        "start_enabled": start is not None,
        "end_enabled": end is not None,
        "one_time": data["one_time"],
        **_location(data, commander),
    }
    if start is not None:
        params["start_time"] = _minutes(start)
    if end is not None:
        params["end_time"] = _minutes(end)
    if "id" in data:
        params["id"] = data["id"]
    await commander.async_send("add_charge_schedule", params)


async def _remove_charge_schedule(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    await commander.async_send("remove_charge_schedule", {"id": data["id"]})


async def _add_precondition_schedule(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    params: dict[str, Any] = {
        "days_of_week": _days(data["days_of_week"]),
        "enabled": data["enabled"],
        "precondition_time": _minutes(data["precondition_time"]),
        "one_time": data["one_time"],
        **_location(data, commander),
    }
    if "id" in data:
        params["id"] = data["id"]
    await commander.async_send("add_precondition_schedule", params)


async def _remove_precondition_schedule(
    commander: VehicleCommander, data: Mapping[str, Any]
) -> None:
    await commander.async_send("remove_precondition_schedule", {"id": data["id"]})


async def _set_scheduled_charging(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    when = data.get("time")
    if data["enable"] and when is None:
        raise _invalid("schedule_time_required")
    await commander.async_send(
        "set_scheduled_charging",
        {"enable": data["enable"], "time": _minutes(when) if when is not None else 0},
    )


async def _set_scheduled_departure(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    departure = data.get("departure_time")
    end_off_peak = data.get("end_off_peak_time")
    if data["preconditioning_enabled"] and departure is None:
        raise _invalid("schedule_time_required")
    if data["off_peak_charging_enabled"] and end_off_peak is None:
        raise _invalid("schedule_time_required")
    await commander.async_send(
        "set_scheduled_departure",
        {
            "enable": data["enable"],
            "departure_time": _minutes(departure) if departure is not None else 0,
            "preconditioning_enabled": data["preconditioning_enabled"],
            "preconditioning_weekdays_only": data["preconditioning_weekdays_only"],
            "off_peak_charging_enabled": data["off_peak_charging_enabled"],
            "off_peak_charging_weekdays_only": data["off_peak_charging_weekdays_only"],
            "end_off_peak_time": _minutes(end_off_peak) if end_off_peak is not None else 0,
        },
    )


async def _set_speed_limit(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    pin = _pin(data["pin"])
    limit = data.get("limit_mph")
    if limit is not None:
        require_range(limit, *SPEED_LIMIT_MPH, field="limit_mph")
        await commander.async_send("speed_limit_set_limit", {"limit_mph": limit})
    name = "speed_limit_activate" if data["enable"] else "speed_limit_deactivate"
    await commander.async_send(name, {"pin": pin})


async def _set_valet_mode(commander: VehicleCommander, data: Mapping[str, Any]) -> None:
    pin = _pin(data["pin"])
    await commander.async_send("set_valet_mode", {"on": data["enable"], "password": pin})


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
