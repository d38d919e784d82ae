"""Renders a simulated car as Tesla's `vehicle_data` JSON, section by section."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .vehicle import CHARGE_CURRENT_MAX, CHARGER_VOLTAGE, SEAT_HEATERS, Vehicle

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


def _ms(vehicle: Vehicle) -> int:
    return int(vehicle.now * 1000)


def charge_state(v: Vehicle) -> dict[str, Any]:
    """`charge_state`."""
    level = v.battery_level
    power = v.charger_power_kw
    hours_to_full = 0.0
    if v.charging and power > 0:
        hours_to_full = (v.charge_limit_soc - level) / 100 * v.spec.battery_kwh / power
    rate_mph = power / v.spec.battery_kwh * v.spec.range_miles_full if power else 0.0
    return {
        "battery_level": round(level),
        "usable_battery_level": round(level),
        "battery_range": round(level * v.miles_per_percent, 2),
        "est_battery_range": round(level * v.miles_per_percent * 0.9, 2),
        "ideal_battery_range": round(level * v.miles_per_percent, 2),
        "charge_limit_soc": v.charge_limit_soc,
        "charge_limit_soc_std": 90,
        "charge_limit_soc_min": 50,
        "charge_limit_soc_max": 100,
        "charging_state": v.charging_state,
        "charge_port_door_open": v.charge_port_door_open,
        "charge_port_latch": "Engaged" if v.plugged_in else "Disengaged",
        "charge_port_cold_weather_mode": False,
        "conn_charge_cable": "SAE" if v.plugged_in else "<invalid>",
        "fast_charger_present": False,
        "fast_charger_type": "<invalid>",
        "charger_actual_current": v.charge_amps,
        "charger_pilot_current": CHARGE_CURRENT_MAX if v.plugged_in else 0,
        "charger_phases": 1 if v.charging else None,
        "charger_power": round(power),
        "charger_voltage": CHARGER_VOLTAGE if v.plugged_in else 0,
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
        "scheduled_charging_pending": v.scheduled_charging_enabled and v.plugged_in,
        "scheduled_charging_start_time_minutes": v.scheduled_charging_time,
        "scheduled_departure_time_minutes": v.scheduled_departure.get("departure_time", 0),
        "preconditioning_enabled": bool(v.scheduled_departure.get("preconditioning_enabled")),
        "off_peak_charging_enabled": bool(v.scheduled_departure.get("off_peak_charging_enabled")),
        "battery_heater_on": False,
        "not_enough_power_to_heat": None,
        "timestamp": _ms(v),
    }


def climate_state(v: Vehicle) -> dict[str, Any]:
    """`climate_state`."""
    section: dict[str, Any] = {
        "inside_temp": round(v.inside_temp, 1),
        "outside_temp": round(v.outside_temp, 1),
        "driver_temp_setting": v.driver_temp_setting,
        "passenger_temp_setting": v.passenger_temp_setting,
        "is_climate_on": v.climate_on,
        "is_auto_conditioning_on": v.climate_on,
        "is_preconditioning": v.climate_on and not v.user_present,
        "is_front_defroster_on": v.defrost_max,
        "is_rear_defroster_on": v.defrost_max,
        "defrost_mode": 2 if v.defrost_max else 0,
        "fan_status": 4 if v.climate_on else 0,
        "climate_keeper_mode": v.climate_keeper_mode,
        "cabin_overheat_protection": v.cabin_overheat_protection,
        "cabin_overheat_protection_actively_cooling": False,
        "cop_activation_temperature": v.cop_temp,
        "allow_cabin_overheat_protection": True,
        "supports_fan_only_cabin_overheat_protection": True,
        "steering_wheel_heater": v.steering_wheel_heater,
        "steering_wheel_heat_level": v.steering_wheel_heat_level,
        "auto_steering_wheel_heat": v.auto_steering_wheel_heat,
        "auto_seat_climate_left": v.auto_seat_climate.get(1, False),
        "auto_seat_climate_right": v.auto_seat_climate.get(2, False),
        "seat_fan_front_left": v.seat_coolers.get(1, 0),
        "seat_fan_front_right": v.seat_coolers.get(2, 0),
        "min_avail_temp": 15.0,
        "max_avail_temp": 28.0,
        "hvac_auto_request": "On",
        "remote_heater_control_enabled": v.climate_on,
        "battery_heater": False,
        "bioweapon_mode": v.bioweapon_mode,
        "side_mirror_heaters": False,
        "wiper_blade_heater": False,
        "timestamp": _ms(v),
    }
    for position, name in SEAT_HEATERS.items():
        section[name] = v.seat_heaters.get(position, 0)
    return section


def closures(v: Vehicle) -> dict[str, Any]:
    """Door, window and trunk fields (Tesla reports them inside `vehicle_state`)."""
    window = 1 if v.windows_vented else 0
    return {
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


def drive_state(v: Vehicle) -> dict[str, Any]:
    """`drive_state` without location."""
    driving = v.drive is not None
    speed = None
    if v.drive is not None:
        speed = round(v.drive.miles / max(1.0, v.drive.end - v.drive.start) * 3600)
    return {
        "shift_state": "D" if driving else None,
        "speed": speed,
        "power": 15 if driving else (-round(v.charger_power_kw) if v.charging else 0),
        "timestamp": _ms(v),
    }


def location(v: Vehicle) -> dict[str, Any]:
    """The location fields of `drive_state` (only with `location_data` and the scope)."""
    fields: dict[str, Any] = {
        "latitude": round(v.latitude, 6),
        "longitude": round(v.longitude, 6),
        "heading": v.heading,
        "native_latitude": round(v.latitude, 6),
        "native_longitude": round(v.longitude, 6),
        "native_location_supported": 1,
        "native_type": "wgs",
        "gps_as_of": int(v.now),
    }
    if v.destination is not None:
        fields["active_route_latitude"] = v.destination["latitude"]
        fields["active_route_longitude"] = v.destination["longitude"]
        fields["active_route_destination"] = v.destination.get("name", "Destination")
    return fields


def gui_settings(v: Vehicle) -> dict[str, Any]:
    """`gui_settings` (US units, as Tesla's US cars report)."""
    return {
        "gui_24_hour_time": False,
        "gui_charge_rate_units": "mi/hr",
        "gui_distance_units": "mi/hr",
        "gui_range_display": "Rated",
        "gui_temperature_units": "F",
        "gui_tirepressure_units": "Psi",
        "show_range_units": False,
        "timestamp": _ms(v),
    }


def vehicle_config(v: Vehicle) -> dict[str, Any]:
    """`vehicle_config`."""
    return {
        "car_type": v.spec.model,
        "trim_badging": "74d",
        "exterior_color": "RedMulticoat" if v.spec.model == "model3" else "MidnightSilver",
        "wheel_type": "Pinwheel18CapKit",
        "can_accept_navigation_requests": True,
        "can_actuate_trunks": True,
        "charge_port_type": "US",
        "eu_vehicle": False,
        "has_air_suspension": False,
        "has_seat_cooling": False,
        "motorized_charge_port": True,
        "plg": True,
        "pws": True,
        "rear_seat_heaters": 1,
        "rhd": False,
        "sun_roof_installed": None,
        "third_row_seats": "None",
        "timestamp": _ms(v),
    }


def vehicle_state(v: Vehicle) -> dict[str, Any]:
    """`vehicle_state` (closures are merged in by the caller)."""
    update: dict[str, Any] = {
        "download_perc": 100 if v.software_update_status != "" else 0,
        "expected_duration_sec": 2700,
        "install_perc": 1,
        "status": v.software_update_status,
        "version": "2025.32.1" if v.software_update_status else " ",
    }
    if v.software_update_at is not None:
        update["scheduled_time_ms"] = int(v.software_update_at * 1000)
    return {
        "api_version": 81,
        "car_version": v.spec.car_version,
        "calendar_supported": True,
        "center_display_state": 2 if v.user_present else 0,
        "dashcam_state": "Recording" if v.sentry_mode or v.user_present else "Unavailable",
        "guest_mode_enabled": v.guest_mode,
        "homelink_device_count": 1,
        "homelink_nearby": True,
        "is_user_present": v.user_present,
        "media_info": {
            "audio_volume": v.media_volume,
            "audio_volume_increment": 0.333333,
            "audio_volume_max": 11.0,
            "media_playback_status": "Playing" if v.media_playing else "Stopped",
            "now_playing_source": "Spotify",
            "now_playing_title": f"Track {v.media_track}" if v.media_playing else "",
        },
        "media_state": {"remote_control_enabled": True},
        "odometer": round(v.odometer, 1),
        "pin_to_drive_enabled": v.pin_to_drive,
        "remote_start": v.remote_start_until > v.now,
        "remote_start_enabled": True,
        "remote_start_supported": True,
        "sentry_mode": v.sentry_mode,
        "sentry_mode_available": True,
        "software_update": update,
        "speed_limit_mode": {
            "active": v.speed_limit_active,
            "current_limit_mph": v.speed_limit_mph,
            "max_limit_mph": 120,
            "min_limit_mph": 50,
            "pin_code_set": v.speed_limit_pin is not None,
        },
        "tpms_pressure_fl": 2.9,
        "tpms_pressure_fr": 2.9,
        "tpms_pressure_rl": 2.9,
        "tpms_pressure_rr": 2.9,
        "valet_mode": v.valet_mode,
        "valet_pin_needed": v.valet_pin is not None,
        "vehicle_name": v.display_name,
        "timestamp": _ms(v),
    }


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
    """The full answer: vehicle summary plus only the requested sections."""
    wanted = set(sections)
    data = v.summary()
    data["user_id"] = 800001
    for name, render in _RENDER.items():
        if name in wanted:
            data[name] = render(v)
    if "drive_state" in wanted or ("location_data" in wanted and location_allowed):
        drive = drive_state(v) if "drive_state" in wanted else {"timestamp": _ms(v)}
        if "location_data" in wanted and location_allowed:
            drive.update(location(v))
        data["drive_state"] = drive
    if "vehicle_state" in wanted or "closures_state" in wanted:
        state = vehicle_state(v) if "vehicle_state" in wanted else {}
        state.update(closures(v))
        data["vehicle_state"] = state
    return data
