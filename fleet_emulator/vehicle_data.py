"""Renders a simulated car as Tesla's `vehicle_data` JSON, section by section.

Each section is computed in full from the simulation, then cut to the keys the car's model sends
(`vehicle_profiles.py`, written from real captures); keys the simulation does not move take the
model's fixed value. A few keys come and go with the situation, as on a real car: the location
fields need `location_data`, the route fields a destination, `scheduled_charging_start_time_minutes`
a start time, `a2dp_source_name` a phone playing audio, `scheduled_time_ms` a scheduled update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .vehicle import CHARGE_CURRENT_MAX, SEAT_HEATERS, Vehicle
from .vehicle_profiles import CLOSURES, NAVIGATION, WHEELS, VehicleProfile

SECTIONS = (
    "charge_state",
    "climate_state",
    "closures_state",
    "drive_state",
    "gui_settings",
    "location_data",
    "vehicle_config",
    "vehicle_state",
    "charge_schedule_data",
    "preconditioning_schedule_data",
)
# What Tesla sends when the request names no endpoints (location is never implied).
DEFAULT_SECTIONS = (
    "charge_state",
    "climate_state",
    "drive_state",
    "gui_settings",
    "vehicle_config",
    "vehicle_state",
)
TPMS_SEEN_AGO_S = 600


def _ms(vehicle: Vehicle) -> int:
    return int(vehicle.now * 1000)


def _shape(v: Vehicle, section: str, keys: Iterable[str], live: dict[str, Any]) -> dict[str, Any]:
    """The model's keys, sorted like Tesla's answers: live values, else the model's fixed ones."""
    profile = v.profile
    return {key: live[key] if key in live else profile.static(section, key) for key in sorted(keys)}


def charge_state(v: Vehicle) -> dict[str, Any]:
    """`charge_state`."""
    level = v.battery_level
    power = v.charger_power_kw
    hours_to_full = 0.0
    if power > 0:
        hours_to_full = (v.charge_limit_soc - level) / 100 * v.spec.battery_kwh / power
    rate_mph = power / v.spec.battery_kwh * v.spec.range_miles_full if power else 0.0
    plugged = v.plugged_in
    start_minutes = v.scheduled_charging_time if v.scheduled_charging_enabled else 0
    next_start = v.next_scheduled_start()
    departure = v.scheduled_departure.get("departure_time", 0)
    live: dict[str, Any] = {
        "battery_level": round(level),
        "usable_battery_level": round(level),
        "battery_range": round(level * v.miles_per_percent, 2),
        "est_battery_range": round(level * v.miles_per_percent * 0.9, 2),
        "ideal_battery_range": round(level * v.miles_per_percent, 2),
        "charge_limit_soc": v.charge_limit_soc,
        "charge_to_max_range": v.charge_limit_soc >= 100,
        "charging_state": v.charging_state,
        "charge_enable_request": v.charging or not plugged,
        "charge_port_door_open": v.charge_port_door_open,
        "charge_port_latch": "Engaged" if plugged else "Disengaged",
        "charge_port_color": ("FlashingGreen" if power else "Off") if plugged else "<invalid>",
        "conn_charge_cable": "SAE" if plugged else "<invalid>",
        "fast_charger_present": False,
        "fast_charger_type": "ACSingleWireCAN" if plugged else "<invalid>",
        "charger_actual_current": v.charge_amps,
        "charger_pilot_current": CHARGE_CURRENT_MAX if plugged else 0,
        "charger_phases": 1 if power else None,
        "charger_power": round(power),
        "charger_voltage": v.charger_voltage,
        "charge_amps": v.charge_current_request,
        "charge_current_request": v.charge_current_request,
        "charge_current_request_max": CHARGE_CURRENT_MAX,
        "charge_energy_added": round(v.charge_energy_added, 2),
        "charge_miles_added_rated": round(v.charge_miles_added, 1),
        "charge_miles_added_ideal": round(v.charge_miles_added, 1),
        "charge_rate": round(rate_mph, 1),
        "time_to_full_charge": round(hours_to_full, 2),
        "minutes_to_full_charge": round(hours_to_full * 60),
        "scheduled_charging_mode": "StartAt" if v.scheduled_charging_enabled else "Off",
        "scheduled_charging_pending": next_start is not None,
        "scheduled_charging_start_time": None if next_start is None else int(next_start),
        "scheduled_charging_start_time_app": start_minutes,
        "scheduled_departure_time": int(v.next_local_time(departure)),
        "scheduled_departure_time_minutes": departure,
        "preconditioning_enabled": bool(v.scheduled_departure.get("preconditioning_enabled")),
        "off_peak_charging_enabled": bool(v.scheduled_departure.get("off_peak_charging_enabled")),
        "timestamp": _ms(v),
    }
    keys = set(v.profile.charge_state)
    if v.scheduled_charging_enabled:
        live["scheduled_charging_start_time_minutes"] = start_minutes
        keys.add("scheduled_charging_start_time_minutes")
    return _shape(v, "charge_state", keys, live)


def climate_state(v: Vehicle) -> dict[str, Any]:
    """`climate_state`."""
    live: dict[str, Any] = {
        "inside_temp": round(v.inside_temp, 1),
        "outside_temp": round(v.outside_temp, 1),
        "driver_temp_setting": v.driver_temp_setting,
        "passenger_temp_setting": v.passenger_temp_setting,
        "left_temp_direction": round((v.driver_temp_setting - v.inside_temp) * 20),
        "right_temp_direction": round((v.passenger_temp_setting - v.inside_temp) * 20),
        "is_climate_on": v.climate_on,
        "is_auto_conditioning_on": v.climate_on,
        "is_preconditioning": v.climate_on and not v.user_present,
        "is_front_defroster_on": v.defrost_max,
        "is_rear_defroster_on": v.defrost_max,
        "defrost_mode": 2 if v.defrost_max else 0,
        "fan_status": 4 if v.climate_on else 0,
        "climate_keeper_mode": v.climate_keeper_mode,
        "bioweapon_mode": v.bioweapon_mode,
        "cabin_overheat_protection": v.cabin_overheat_protection,
        "cop_activation_temperature": v.cop_temp,
        "steering_wheel_heater": v.steering_wheel_heater,
        "steering_wheel_heat_level": v.steering_wheel_heat_level,
        "auto_steering_wheel_heat": v.auto_steering_wheel_heat,
        "auto_seat_climate_left": v.auto_seat_climate.get(1, False),
        "auto_seat_climate_right": v.auto_seat_climate.get(2, False),
        "seat_fan_front_left": v.seat_coolers.get(1, 0),
        "seat_fan_front_right": v.seat_coolers.get(2, 0),
        "remote_heater_control_enabled": v.climate_on,
        "timestamp": _ms(v),
    }
    for position, name in SEAT_HEATERS.items():
        live[name] = v.seat_heaters.get(position, 0)
    return _shape(v, "climate_state", v.profile.climate_state, live)


def closures(v: Vehicle) -> dict[str, Any]:
    """Door, window and trunk fields (Tesla reports them inside `vehicle_state`)."""
    window = 1 if v.windows_vented else 0
    live = {
        "locked": v.locked,
        "df": 0,
        "dr": 0,
        "pf": 0,
        "pr": 0,
        "fd_window": window,
        "fp_window": window,
        "rd_window": window,
        "rp_window": window,
        "ft": 1 if v.frunk_open else 0,
        "rt": 1 if v.trunk_open else 0,
        "sun_roof_state": v.sun_roof_state,
        "sun_roof_percent_open": 15 if v.sun_roof_state == "vent" else 0,
        "timestamp": _ms(v),
    }
    return _shape(v, "vehicle_state", CLOSURES & v.profile.vehicle_state, live)


def drive_state(v: Vehicle, *, location: bool) -> dict[str, Any]:
    """`drive_state`; the position and the route only with `location_data`."""
    speed = None
    if v.drive is not None:
        speed = round(v.drive.miles / max(1.0, v.drive.end - v.drive.start) * 3600)
    live: dict[str, Any] = {
        "shift_state": "D" if v.drive is not None else None,
        "speed": speed,
        "power": 15 if v.drive is not None else -round(v.charger_power_kw),
        "active_route_traffic_minutes_delay": 0.0,
        "timestamp": _ms(v),
    }
    profile: VehicleProfile = v.profile
    keys = set(profile.drive_state)
    if location:
        keys |= profile.location
        live.update(
            {
                "latitude": round(v.latitude, 6),
                "longitude": round(v.longitude, 6),
                "heading": v.heading,
                "native_latitude": round(v.latitude, 6),
                "native_longitude": round(v.longitude, 6),
                "native_location_supported": 1,
                "native_type": "wgs",
                "gps_as_of": int(v.now),
                # With no route, newer firmware names the car's own position.
                "active_route_latitude": round(v.latitude, 6),
                "active_route_longitude": round(v.longitude, 6),
            }
        )
        route = v.route()
        if route is not None:
            keys |= NAVIGATION
            live.update(route)
    return _shape(v, "drive_state", keys, live)


def gui_settings(v: Vehicle) -> dict[str, Any]:
    """`gui_settings` (US units, as Tesla's US cars report)."""
    live = {
        "gui_24_hour_time": False,
        "gui_charge_rate_units": "mi/hr",
        "gui_distance_units": "mi/hr",
        "gui_range_display": "Rated",
        "gui_temperature_units": "F",
        "gui_tirepressure_units": "Psi",
        "show_range_units": False,
        "timestamp": _ms(v),
    }
    return _shape(v, "gui_settings", v.profile.gui_settings, live)


def vehicle_config(v: Vehicle) -> dict[str, Any]:
    """`vehicle_config`: fixed per model."""
    return dict(sorted({**v.profile.vehicle_config, "timestamp": _ms(v)}.items()))


def media_info(v: Vehicle) -> dict[str, Any]:
    """`vehicle_state.media_info`; the phone's name only while it plays through the car."""
    playing = v.media_playing
    live: dict[str, Any] = {
        "audio_volume": v.media_volume,
        "audio_volume_increment": 0.333333,
        "audio_volume_max": 10.333333,
        "media_playback_status": "Playing" if playing else "Stopped",
        "now_playing_album": "Emulated Album" if playing else "",
        "now_playing_artist": "Emulated Artist" if playing else "",
        "now_playing_duration": 180000 if playing else 0,
        "now_playing_elapsed": 30000 if playing else 0,
        "now_playing_source": "Spotify",
        "now_playing_station": "",
        "now_playing_title": f"Track {v.media_track}" if playing else "",
    }
    keys = set(v.profile.media_info)
    if playing:
        live["a2dp_source_name"] = "Emulated Phone"
        keys.add("a2dp_source_name")
    return {key: live[key] for key in sorted(keys)}


def vehicle_state(v: Vehicle) -> dict[str, Any]:
    """`vehicle_state` with the closure fields."""
    update: dict[str, Any] = {
        "download_perc": 100 if v.software_update_status != "" else 0,
        "expected_duration_sec": 2700,
        "install_perc": 1,
        "status": v.software_update_status,
        "version": "2025.32.1" if v.software_update_status else " ",
    }
    if v.software_update_at is not None:
        update["scheduled_time_ms"] = int(v.software_update_at * 1000)
    seen = int(v.now) - TPMS_SEEN_AGO_S
    profile = v.profile
    live: dict[str, Any] = {
        "api_version": profile.api_version,
        "car_version": v.spec.car_version,
        "feature_bitmask": profile.feature_bitmask,
        "center_display_state": 2 if v.user_present else 0,
        "dashcam_state": (
            ("Recording" if v.sentry_mode or v.user_present else "Unavailable")
            if profile.has_sentry
            else "<invalid>"
        ),
        "is_user_present": v.user_present,
        "media_info": media_info(v),
        "odometer": round(v.odometer, 6),
        "remote_start": v.remote_start_until > v.now,
        "sentry_mode": v.sentry_mode,
        "software_update": update,
        "speed_limit_mode": {
            "active": v.speed_limit_active,
            "current_limit_mph": v.speed_limit_mph,
            "max_limit_mph": profile.speed_limit_max_mph,
            "min_limit_mph": 50,
            "pin_code_set": v.speed_limit_pin is not None,
        },
        **{f"tpms_last_seen_pressure_time_{w}": seen for w in WHEELS},
        "valet_mode": v.valet_mode,
        "valet_pin_needed": v.valet_pin is not None,
        "vehicle_name": v.display_name,
        **closures(v),
    }
    return _shape(v, "vehicle_state", profile.vehicle_state, live)


def charge_schedule_data(v: Vehicle) -> dict[str, Any]:
    """`charge_schedule_data`."""
    return {
        "charge_schedules": [dict(item) for item in v.charge_schedules],
        "charge_schedule_window": None,
        "charge_buffer": 0,
        "max_num_charge_schedules": 10,
        "next_schedule": bool(v.charge_schedules),
    }


def preconditioning_schedule_data(v: Vehicle) -> dict[str, Any]:
    """`preconditioning_schedule_data`."""
    return {
        "precondition_schedules": [dict(item) for item in v.precondition_schedules],
        "max_num_precondition_schedules": 10,
    }


_RENDER: dict[str, Callable[[Vehicle], dict[str, Any]]] = {
    "charge_state": charge_state,
    "climate_state": climate_state,
    "gui_settings": gui_settings,
    "vehicle_config": vehicle_config,
    "charge_schedule_data": charge_schedule_data,
    "preconditioning_schedule_data": preconditioning_schedule_data,
}


def parse_sections(endpoints: str | None) -> tuple[str, ...] | None:
    """`endpoints=a;b` -> sections; None if a name is unknown. Missing -> the default set."""
    if endpoints is None or not endpoints.strip():
        return DEFAULT_SECTIONS
    names = tuple(part.strip() for part in endpoints.replace(",", ";").split(";") if part.strip())
    if any(name not in SECTIONS for name in names):
        return None
    return names


def vehicle_data(v: Vehicle, sections: Iterable[str], *, location_allowed: bool) -> dict[str, Any]:
    """The full answer: the car's envelope fields plus only the requested sections."""
    wanted = set(sections)
    data = v.data_envelope()
    for name, render in _RENDER.items():
        if name in wanted:
            data[name] = render(v)
    location = "location_data" in wanted and location_allowed
    if "drive_state" in wanted:
        data["drive_state"] = drive_state(v, location=location)
    elif location:
        # location_data alone: the position fields without the rest of drive_state.
        full = drive_state(v, location=True)
        plain = drive_state(v, location=False)
        data["drive_state"] = {
            key: value for key, value in full.items() if key not in plain or key == "timestamp"
        }
    if "vehicle_state" in wanted:
        data["vehicle_state"] = vehicle_state(v)
    elif "closures_state" in wanted:
        data["vehicle_state"] = closures(v)
    return data
