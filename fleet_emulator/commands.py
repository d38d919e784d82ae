"""Vehicle commands: parameter validation (400) and their effect on the simulated car.

`apply_command` is the single entry point; the plain REST route and the signed-command path
(`signing.py`) both run commands through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .vehicle import CHARGE_CURRENT_MAX, CLIMATE_KEEPER_MODES, COP_TEMPS, SEAT_HEATERS, Vehicle

REMOTE_START_S = 120.0
STEERING_WHEEL_LEVELS = (0, 1, 2)
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

# Commands a `vehicle_charging_cmds` token may send (besides `vehicle_cmds`).
CHARGING_COMMANDS = frozenset(
    {
        "charge_start",
        "charge_stop",
        "charge_standard",
        "charge_max_range",
        "set_charge_limit",
        "set_charging_amps",
        "set_scheduled_charging",
        "add_charge_schedule",
        "remove_charge_schedule",
        "charge_port_door_open",
        "charge_port_door_close",
    }
)

type Outcome = tuple[bool, str]


class InvalidCommandError(ValueError):
    """Bad parameters or an unknown command: the route answers 400 with Tesla's shape."""

    def __init__(self, error: str, description: str) -> None:
        """`error` is Tesla's short code, `description` says what was wrong."""
        super().__init__(description)
        self.error = error
        self.description = description


def _field(params: Mapping[str, Any], name: str) -> Any:
    if name not in params:
        raise InvalidCommandError("invalid_field", f"{name} is required")
    return params[name]


def _bool(params: Mapping[str, Any], name: str) -> bool:
    value = _field(params, name)
    if not isinstance(value, bool):
        raise InvalidCommandError("invalid_field", f"{name} must be true or false")
    return value


def _number(params: Mapping[str, Any], name: str, low: float, high: float) -> float:
    value = _field(params, name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidCommandError("invalid_field", f"{name} must be a number from {low} to {high}")
    return float(value)


def _int(params: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = _field(params, name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidCommandError(
            "invalid_field", f"{name} must be an integer from {low} to {high}"
        )
    return value


def _choice(params: Mapping[str, Any], name: str, choices: tuple[Any, ...]) -> Any:
    value = _field(params, name)
    if value not in choices or isinstance(value, bool):
        raise InvalidCommandError("invalid_field", f"{name} must be one of {list(choices)}")
    return value


def _pin(params: Mapping[str, Any], name: str = "pin") -> str:
    value = str(_field(params, name))
    if len(value) != 4 or not value.isdigit():
        raise InvalidCommandError("invalid_field", f"{name} must be 4 digits")
    return value


def _lat_lon(params: Mapping[str, Any], *, required: bool) -> tuple[float, float] | None:
    if not required and "lat" not in params and "lon" not in params:
        return None
    return _number(params, "lat", -90, 90), _number(params, "lon", -180, 180)


def _days(params: Mapping[str, Any]) -> str | int:
    value = _field(params, "days_of_week")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 127:
        return value
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",")]
        if value in ("All", "Weekdays") or all(name in DAYS for name in names):
            return value
    raise InvalidCommandError(
        "invalid_field", "days_of_week must be All, Weekdays, day names or a 0-127 bitmask"
    )


# --- the commands ----------------------------------------------------------------------------


def _door_lock(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.locked = True
    return True, ""


def _door_unlock(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.locked = False
    return True, ""


def _honk_horn(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.horn_honks += 1
    return True, ""


def _flash_lights(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.light_flashes += 1
    return True, ""


def _remote_start_drive(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.remote_start_until = v.now + REMOTE_START_S
    return True, ""


def _actuate_trunk(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    which = _choice(p, "which_trunk", ("front", "rear"))
    if which == "front":
        # Most cars' frunks open remotely but must be closed by hand.
        if v.frunk_open:
            return False, "frunk already open"
        v.frunk_open = True
    else:
        v.trunk_open = not v.trunk_open
    return True, ""


def _charge_port_door_open(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.charge_port_door_open = True
    return True, ""


def _charge_port_door_close(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if v.plugged_in:
        return False, "cable connected"
    v.charge_port_door_open = False
    return True, ""


def _charge_start(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if not v.plugged_in:
        return False, "disconnected"
    if v.charging:
        return False, "is_charging"
    if v.battery_level >= v.charge_limit_soc:
        return False, "complete"
    v.begin_charging()
    return True, ""


def _charge_stop(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if not v.charging:
        return False, "not_charging"
    v.charging = False
    return True, ""


def _set_limit(v: Vehicle, percent: int) -> Outcome:
    if percent == v.charge_limit_soc:
        return False, "already_set"
    v.charge_limit_soc = percent
    if v.charging and v.battery_level >= percent:
        v.charging = False
    return True, ""


def _charge_standard(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    return _set_limit(v, 90)


def _charge_max_range(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    return _set_limit(v, 100)


def _set_charge_limit(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    return _set_limit(v, _int(p, "percent", 50, 100))


def _set_charging_amps(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.charge_current_request = min(_int(p, "charging_amps", 0, 48), CHARGE_CURRENT_MAX)
    return True, ""


def _set_scheduled_charging(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    enable = _bool(p, "enable")
    minutes = _int(p, "time", 0, 1439) if enable else int(p.get("time", 0) or 0)
    v.scheduled_charging_enabled = enable
    v.scheduled_charging_time = minutes
    return True, ""


def _set_scheduled_departure(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    enable = _bool(p, "enable")
    departure = _int(p, "departure_time", 0, 1439) if enable else 0
    v.scheduled_departure = {
        "enable": enable,
        "departure_time": departure,
        "preconditioning_enabled": bool(p.get("preconditioning_enabled", False)),
        "off_peak_charging_enabled": bool(p.get("off_peak_charging_enabled", False)),
    }
    return True, ""


def _upsert(items: list[dict[str, Any]], entry: dict[str, Any], p: Mapping[str, Any]) -> None:
    if "id" in p:
        entry["id"] = _int(p, "id", 0, 2**31)
        for index, item in enumerate(items):
            if item["id"] == entry["id"]:
                items[index] = entry
                return
    else:
        entry["id"] = max((item["id"] for item in items), default=0) + 1
    if len(items) >= 10:
        raise InvalidCommandError("invalid_field", "at most 10 schedules")
    items.append(entry)


def _add_charge_schedule(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    start_enabled = _bool(p, "start_enabled")
    end_enabled = _bool(p, "end_enabled")
    if not (start_enabled or end_enabled):
        raise InvalidCommandError("invalid_field", "start_enabled or end_enabled must be true")
    location = _lat_lon(p, required=True)
    assert location is not None
    entry = {
        "days_of_week": _days(p),
        "enabled": _bool(p, "enabled"),
        "start_enabled": start_enabled,
        "end_enabled": end_enabled,
        "start_time": _int(p, "start_time", 0, 1439) if start_enabled else 0,
        "end_time": _int(p, "end_time", 0, 1439) if end_enabled else 0,
        "one_time": bool(p.get("one_time", False)),
        "latitude": location[0],
        "longitude": location[1],
        "name": str(p.get("name", "")),
    }
    _upsert(v.charge_schedules, entry, p)
    return True, ""


def _add_precondition_schedule(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    location = _lat_lon(p, required=True)
    assert location is not None
    entry = {
        "days_of_week": _days(p),
        "enabled": _bool(p, "enabled"),
        "precondition_time": _int(p, "precondition_time", 0, 1439),
        "one_time": bool(p.get("one_time", False)),
        "latitude": location[0],
        "longitude": location[1],
        "name": str(p.get("name", "")),
    }
    _upsert(v.precondition_schedules, entry, p)
    return True, ""


def _remove(items: list[dict[str, Any]], p: Mapping[str, Any]) -> Outcome:
    wanted = _int(p, "id", 0, 2**31)
    for item in items:
        if item["id"] == wanted:
            items.remove(item)
            return True, ""
    return False, "schedule not found"


def _remove_charge_schedule(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    return _remove(v.charge_schedules, p)


def _remove_precondition_schedule(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    return _remove(v.precondition_schedules, p)


def _auto_conditioning_start(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.climate_on = True
    return True, ""


def _auto_conditioning_stop(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.climate_on = False
    v.defrost_max = False
    v.climate_keeper_mode = "off"
    return True, ""


def _set_temps(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    driver = _number(p, "driver_temp", 15.0, 28.0)
    passenger = _number(p, "passenger_temp", 15.0, 28.0) if "passenger_temp" in p else driver
    v.driver_temp_setting = driver
    v.passenger_temp_setting = passenger
    return True, ""


def _set_preconditioning_max(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    on = _bool(p, "on")
    v.defrost_max = on
    if on:
        v.climate_on = True
    return True, ""


def _set_bioweapon_mode(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.bioweapon_mode = _bool(p, "on")
    return True, ""


def _set_climate_keeper_mode(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    mode = CLIMATE_KEEPER_MODES[_int(p, "climate_keeper_mode", 0, 3)]
    v.climate_keeper_mode = mode
    if mode != "off":
        v.climate_on = True
    return True, ""


def _set_cabin_overheat_protection(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    on = _bool(p, "on")
    fan_only = bool(p.get("fan_only", False))
    v.cabin_overheat_protection = ("FanOnly" if fan_only else "On") if on else "Off"
    return True, ""


def _set_cop_temp(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.cop_temp = COP_TEMPS[_int(p, "cop_temp", 0, 2)]
    return True, ""


def _remote_seat_heater_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    position = _int(p, "seat_position", 0, max(SEAT_HEATERS))
    v.seat_heaters[position] = _int(p, "level", 0, 3)
    return True, ""


def _remote_seat_cooler_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    position = _choice(p, "seat_position", (1, 2))
    v.seat_coolers[position] = _int(p, "seat_cooler_level", 0, 3)
    return True, ""


def _remote_steering_wheel_heater_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.steering_wheel_heater = _bool(p, "on")
    v.steering_wheel_heat_level = 3 if v.steering_wheel_heater else 0
    return True, ""


def _remote_steering_wheel_heat_level_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    # Tesla's three wheel heat levels (vehicle-command common.proto StwHeatLevel Off, Low, High)
    # are 0, 1, 2 in REST (HA core tesla_fleet/select.py; tesla-fleet-api StwHeatLevels).
    level = _choice(p, "level", STEERING_WHEEL_LEVELS)
    v.steering_wheel_heat_level = level
    v.steering_wheel_heater = level > 0
    return True, ""


def _remote_auto_seat_climate_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    position = _choice(p, "auto_seat_position", (1, 2))
    v.auto_seat_climate[position] = _bool(p, "auto_climate_on")
    return True, ""


def _remote_auto_steering_wheel_heat_climate_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.auto_steering_wheel_heat = _bool(p, "on")
    return True, ""


def _set_sentry_mode(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.sentry_mode = _bool(p, "on")
    return True, ""


def _set_valet_mode(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    on = _bool(p, "on")
    if on:
        v.valet_pin = _pin(p, "password") if "password" in p else v.valet_pin
    elif v.valet_pin is not None and str(p.get("password", "")) != v.valet_pin:
        return False, "incorrect pin"
    v.valet_mode = on
    return True, ""


def _speed_limit_activate(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    pin = _pin(p)
    if v.speed_limit_pin is not None and pin != v.speed_limit_pin:
        return False, "incorrect pin"
    v.speed_limit_pin = pin
    v.speed_limit_active = True
    return True, ""


def _speed_limit_deactivate(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if _pin(p) != v.speed_limit_pin:
        return False, "incorrect pin"
    v.speed_limit_active = False
    return True, ""


def _speed_limit_clear_pin(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if _pin(p) != v.speed_limit_pin:
        return False, "incorrect pin"
    v.speed_limit_pin = None
    v.speed_limit_active = False
    return True, ""


def _speed_limit_set_limit(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.speed_limit_mph = _number(p, "limit_mph", 50, 120)
    return True, ""


def _set_pin_to_drive(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    on = _bool(p, "on")
    if on:
        _pin(p, "password")
    v.pin_to_drive = on
    return True, ""


def _guest_mode(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.guest_mode = _bool(p, "enable")
    return True, ""


def _window_control(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    command = _choice(p, "command", ("vent", "close"))
    # Tesla: "When closing, specify lat and lon of user to ensure they are within range of
    # vehicle (unless this is an M3 platform vehicle)"; clients send null for "not given".
    given = {key: p[key] for key in ("lat", "lon") if p.get(key) is not None}
    _lat_lon(given, required=command == "close" and v.profile.window_close_needs_location)
    v.windows_vented = command == "vent"
    return True, ""


def _sun_roof_control(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    state = _choice(p, "state", ("stop", "close", "vent"))
    if not v.profile.has_sun_roof:
        return False, "sun roof not installed"
    if state != "stop":
        v.sun_roof_state = "closed" if state == "close" else "vent"
    return True, ""


def _trigger_homelink(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    _lat_lon(p, required=True)
    v.homelink_triggers += 1
    return True, ""


def _remote_boombox(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    _choice(p, "sound", (0, 2000))
    v.boombox_plays += 1
    return True, ""


def _media_toggle_playback(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_playing = not v.media_playing
    return True, ""


def _media_next_track(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_track += 1
    return True, ""


def _media_prev_track(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_track = max(0, v.media_track - 1)
    return True, ""


def _media_next_fav(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_favorite += 1
    return True, ""


def _media_prev_fav(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_favorite = max(0, v.media_favorite - 1)
    return True, ""


def _media_volume_up(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_volume = min(11.0, v.media_volume + 1)
    return True, ""


def _media_volume_down(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_volume = max(0.0, v.media_volume - 1)
    return True, ""


def _adjust_volume(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    v.media_volume = _number(p, "volume", 0, 11)
    return True, ""


def _navigation_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if _field(p, "type") != "share_ext_content_raw":
        raise InvalidCommandError("invalid_field", "type must be share_ext_content_raw")
    value = _field(p, "value")
    text = value.get("android.intent.extra.TEXT") if isinstance(value, dict) else value
    if not isinstance(text, str) or not text:
        raise InvalidCommandError("invalid_field", "value must carry the destination text")
    v.destination = {"latitude": v.latitude, "longitude": v.longitude, "name": text}
    return True, ""


def _navigation_gps_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    location = _lat_lon(p, required=True)
    assert location is not None
    v.destination = {"latitude": location[0], "longitude": location[1], "name": "Pin"}
    return True, ""


def _navigation_sc_request(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    _int(p, "id", 0, 2**31)
    v.destination = {"latitude": v.latitude, "longitude": v.longitude, "name": "Supercharger"}
    return True, ""


def _schedule_software_update(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if v.software_update_status == "":
        return False, "no update available"
    v.software_update_at = v.now + _int(p, "offset_sec", 0, 7 * 24 * 3600)
    v.software_update_status = "scheduled"
    return True, ""


def _cancel_software_update(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    if v.software_update_status != "scheduled":
        return False, "no update scheduled"
    v.software_update_at = None
    v.software_update_status = "available"
    return True, ""


def _set_vehicle_name(v: Vehicle, p: Mapping[str, Any]) -> Outcome:
    name = _field(p, "vehicle_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 30:
        raise InvalidCommandError("invalid_field", "vehicle_name must be 1-30 characters")
    v.display_name = name
    return True, ""


COMMANDS: dict[str, Callable[[Vehicle, Mapping[str, Any]], Outcome]] = {
    "door_lock": _door_lock,
    "door_unlock": _door_unlock,
    "honk_horn": _honk_horn,
    "flash_lights": _flash_lights,
    "remote_start_drive": _remote_start_drive,
    "actuate_trunk": _actuate_trunk,
    "charge_port_door_open": _charge_port_door_open,
    "charge_port_door_close": _charge_port_door_close,
    "charge_start": _charge_start,
    "charge_stop": _charge_stop,
    "charge_standard": _charge_standard,
    "charge_max_range": _charge_max_range,
    "set_charge_limit": _set_charge_limit,
    "set_charging_amps": _set_charging_amps,
    "set_scheduled_charging": _set_scheduled_charging,
    "set_scheduled_departure": _set_scheduled_departure,
    "add_charge_schedule": _add_charge_schedule,
    "remove_charge_schedule": _remove_charge_schedule,
    "add_precondition_schedule": _add_precondition_schedule,
    "remove_precondition_schedule": _remove_precondition_schedule,
    "auto_conditioning_start": _auto_conditioning_start,
    "auto_conditioning_stop": _auto_conditioning_stop,
    "set_temps": _set_temps,
    "set_preconditioning_max": _set_preconditioning_max,
    "set_bioweapon_mode": _set_bioweapon_mode,
    "set_climate_keeper_mode": _set_climate_keeper_mode,
    "set_cabin_overheat_protection": _set_cabin_overheat_protection,
    "set_cop_temp": _set_cop_temp,
    "remote_seat_heater_request": _remote_seat_heater_request,
    "remote_seat_cooler_request": _remote_seat_cooler_request,
    "remote_steering_wheel_heater_request": _remote_steering_wheel_heater_request,
    "remote_steering_wheel_heat_level_request": _remote_steering_wheel_heat_level_request,
    "remote_auto_seat_climate_request": _remote_auto_seat_climate_request,
    "remote_auto_steering_wheel_heat_climate_request": (
        _remote_auto_steering_wheel_heat_climate_request
    ),
    "set_sentry_mode": _set_sentry_mode,
    "set_valet_mode": _set_valet_mode,
    "speed_limit_activate": _speed_limit_activate,
    "speed_limit_deactivate": _speed_limit_deactivate,
    "speed_limit_clear_pin": _speed_limit_clear_pin,
    "speed_limit_set_limit": _speed_limit_set_limit,
    "set_pin_to_drive": _set_pin_to_drive,
    "guest_mode": _guest_mode,
    "window_control": _window_control,
    "sun_roof_control": _sun_roof_control,
    "trigger_homelink": _trigger_homelink,
    "remote_boombox": _remote_boombox,
    "media_toggle_playback": _media_toggle_playback,
    "media_next_track": _media_next_track,
    "media_prev_track": _media_prev_track,
    "media_next_fav": _media_next_fav,
    "media_prev_fav": _media_prev_fav,
    "media_volume_up": _media_volume_up,
    "media_volume_down": _media_volume_down,
    "adjust_volume": _adjust_volume,
    "navigation_request": _navigation_request,
    "navigation_gps_request": _navigation_gps_request,
    "navigation_sc_request": _navigation_sc_request,
    "schedule_software_update": _schedule_software_update,
    "cancel_software_update": _cancel_software_update,
    "set_vehicle_name": _set_vehicle_name,
}


def apply_command(vehicle: Vehicle, name: str, params: Mapping[str, Any]) -> Outcome:
    """Validate and run one command on an online car; returns (result, reason).

    Raises InvalidCommandError for an unknown command or bad parameters (Tesla answers 400).
    A command is activity: it restarts the car's idle timer.
    """
    handler = COMMANDS.get(name)
    if handler is None:
        raise InvalidCommandError("invalid_command", f"unknown command {name}")
    if not isinstance(params, Mapping):
        raise InvalidCommandError("invalid_field", "the body must be a JSON object")
    vehicle.touch()
    return handler(vehicle, params)
