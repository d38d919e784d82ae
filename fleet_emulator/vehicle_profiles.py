"""What each emulated model sends in `vehicle_data`: its keys per section and the values it keeps.

Every table is written from real answers kept in `tests/fixtures/real/` (its README names the
repository, path and commit of each capture); a key is listed for a model only where a capture
of that model shows it. Values the simulation computes (battery, charging, climate, position,
closures, ...) are filled in by `vehicle_data.py`; the values here are the ones that do not move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

WHEELS = ("fl", "fr", "rl", "rr")

# --- keys every captured car sends ----------------------------------------------------------

CHARGE_COMMON = frozenset(
    {
        "battery_heater_on",
        "battery_level",
        "battery_range",
        "charge_amps",
        "charge_current_request",
        "charge_current_request_max",
        "charge_enable_request",
        "charge_energy_added",
        "charge_limit_soc",
        "charge_limit_soc_max",
        "charge_limit_soc_min",
        "charge_limit_soc_std",
        "charge_miles_added_ideal",
        "charge_miles_added_rated",
        "charge_port_cold_weather_mode",
        "charge_port_color",
        "charge_port_door_open",
        "charge_port_latch",
        "charge_rate",
        "charger_actual_current",
        "charger_phases",
        "charger_pilot_current",
        "charger_power",
        "charger_voltage",
        "charging_state",
        "conn_charge_cable",
        "est_battery_range",
        "fast_charger_brand",
        "fast_charger_present",
        "fast_charger_type",
        "ideal_battery_range",
        "max_range_charge_counter",
        "minutes_to_full_charge",
        "not_enough_power_to_heat",
        "off_peak_charging_enabled",
        "off_peak_charging_times",
        "off_peak_hours_end_time",
        "preconditioning_enabled",
        "preconditioning_times",
        "scheduled_charging_mode",
        "scheduled_charging_pending",
        "scheduled_charging_start_time",
        "scheduled_departure_time",
        "scheduled_departure_time_minutes",
        "supercharger_session_trip_planner",
        "time_to_full_charge",
        "timestamp",
        "trip_charging",
        "usable_battery_level",
        "user_charge_enable_request",
    }
)
MANAGED_CHARGING = frozenset(
    {"managed_charging_active", "managed_charging_start_time", "managed_charging_user_canceled"}
)
CLIMATE_COMMON = frozenset(
    {
        "allow_cabin_overheat_protection",
        "battery_heater",
        "battery_heater_no_power",
        "cabin_overheat_protection",
        "climate_keeper_mode",
        "defrost_mode",
        "driver_temp_setting",
        "fan_status",
        "hvac_auto_request",
        "inside_temp",
        "is_auto_conditioning_on",
        "is_climate_on",
        "is_front_defroster_on",
        "is_preconditioning",
        "is_rear_defroster_on",
        "left_temp_direction",
        "max_avail_temp",
        "min_avail_temp",
        "outside_temp",
        "passenger_temp_setting",
        "remote_heater_control_enabled",
        "right_temp_direction",
        "seat_heater_left",
        "seat_heater_rear_left",
        "seat_heater_rear_right",
        "seat_heater_right",
        "side_mirror_heaters",
        "steering_wheel_heater",
        "supports_fan_only_cabin_overheat_protection",
        "timestamp",
        "wiper_blade_heater",
    }
)
# Model 3 and Model Y (2019+ platform): automatic seat and wheel heat, heat levels, COP cooling.
CLIMATE_M3_PLATFORM = frozenset(
    {
        "auto_seat_climate_left",
        "auto_seat_climate_right",
        "auto_steering_wheel_heat",
        "cabin_overheat_protection_actively_cooling",
        "cop_activation_temperature",
        "seat_heater_rear_center",
        "steering_wheel_heat_level",
    }
)
# drive_state without `location_data` (model3_teslatte_2023-11-11.json was read that way).
DRIVE_BASE = frozenset({"power", "shift_state", "speed", "timestamp"})
# Added by `location_data`.
LOCATION = frozenset(
    {
        "gps_as_of",
        "heading",
        "latitude",
        "longitude",
        "native_latitude",
        "native_location_supported",
        "native_longitude",
        "native_type",
    }
)
# Newer firmware reports the route fields even with no route (the car's own position then,
# modely_tesla_fleet_api_docs.json); the traffic delay comes without location_data too.
ROUTE_IDLE = frozenset({"active_route_latitude", "active_route_longitude"})
ROUTE_DELAY = frozenset({"active_route_traffic_minutes_delay"})
# Only while navigating, and only with location_data (model3_ha_teslemetry.json).
NAVIGATION = frozenset(
    {
        "active_route_destination",
        "active_route_latitude",
        "active_route_longitude",
        "active_route_miles_to_arrival",
        "active_route_minutes_to_arrival",
        "active_route_traffic_minutes_delay",
    }
)
GUI_COMMON = frozenset(
    {
        "gui_24_hour_time",
        "gui_charge_rate_units",
        "gui_distance_units",
        "gui_range_display",
        "gui_temperature_units",
        "show_range_units",
        "timestamp",
    }
)
VEHICLE_STATE_COMMON = frozenset(
    {
        "api_version",
        "autopark_style",
        "calendar_supported",
        "car_version",
        "center_display_state",
        "dashcam_clip_save_available",
        "dashcam_state",
        "df",
        "dr",
        "fd_window",
        "feature_bitmask",
        "fp_window",
        "ft",
        "is_user_present",
        "last_autopark_error",
        "locked",
        "media_state",
        "notifications_supported",
        "odometer",
        "parsed_calendar_supported",
        "pf",
        "pr",
        "rd_window",
        "remote_start",
        "remote_start_enabled",
        "remote_start_supported",
        "rp_window",
        "rt",
        "santa_mode",
        "smart_summon_available",
        "software_update",
        "speed_limit_mode",
        "summon_standby_mode_enabled",
        "timestamp",
        "tpms_pressure_fl",
        "tpms_pressure_fr",
        "tpms_pressure_rl",
        "tpms_pressure_rr",
        "valet_mode",
        "valet_pin_needed",
        "vehicle_name",
    }
)
# Cars with cameras and tyre sensors that report (every capture made since 2022 but the 2015 S).
VEHICLE_STATE_MODERN = frozenset(
    {
        "media_info",
        "sentry_mode",
        "sentry_mode_available",
        "service_mode",
        "service_mode_plus",
        "webcam_available",
        *(
            f"tpms_{kind}_{wheel}"
            for kind in ("hard_warning", "soft_warning", "last_seen_pressure_time")
            for wheel in WHEELS
        ),
        "tpms_rcp_front_value",
        "tpms_rcp_rear_value",
    }
)
HOMELINK = frozenset({"homelink_device_count", "homelink_nearby"})
SELF_TEST = frozenset({"vehicle_self_test_progress", "vehicle_self_test_requested"})
SUN_ROOF = frozenset({"sun_roof_percent_open", "sun_roof_state"})
MEDIA_INFO = frozenset(
    {
        "audio_volume",
        "audio_volume_increment",
        "audio_volume_max",
        "media_playback_status",
        "now_playing_album",
        "now_playing_artist",
        "now_playing_duration",
        "now_playing_elapsed",
        "now_playing_source",
        "now_playing_station",
        "now_playing_title",
    }
)
# Closure fields inside vehicle_state (what `closures_state` asks for).
CLOSURES = frozenset(
    {
        "locked",
        "df",
        "dr",
        "pf",
        "pr",
        "fd_window",
        "fp_window",
        "rd_window",
        "rp_window",
        "ft",
        "rt",
        "sun_roof_percent_open",
        "sun_roof_state",
        "timestamp",
    }
)
# The car's entry in /products (products_teslatte_*.json): cars since 2021 also carry their
# vehicle_config and release_notes_supported; the 2015 S has neither.
PRODUCT_COMMON = frozenset(
    {
        "access_type",
        "api_version",
        "backseat_token",
        "backseat_token_updated_at",
        "ble_autopair_enrolled",
        "cached_data",
        "calendar_enabled",
        "color",
        "command_signing",
        "display_name",
        "granular_access",
        "id",
        "id_s",
        "in_service",
        "option_codes",
        "state",
        "tokens",
        "user_id",
        "vehicle_id",
        "vin",
    }
)
PRODUCT_MODERN = PRODUCT_COMMON | {"release_notes_supported", "vehicle_config"}

# --- values that do not move (the simulation fills in the rest) -----------------------------

STATIC: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "charge_state": {
            "battery_heater_on": False,
            "charge_limit_soc_max": 100,
            "charge_limit_soc_min": 50,
            "charge_limit_soc_std": 90,
            "charge_port_cold_weather_mode": False,
            "fast_charger_brand": "<invalid>",
            "managed_charging_active": False,
            "managed_charging_start_time": None,
            "managed_charging_user_canceled": False,
            "max_range_charge_counter": 0,
            "not_enough_power_to_heat": None,
            "off_peak_charging_times": "all_week",
            "off_peak_hours_end_time": 360,
            "preconditioning_times": "all_week",
            "supercharger_session_trip_planner": False,
            "trip_charging": False,
            "user_charge_enable_request": None,
        },
        "climate_state": {
            "allow_cabin_overheat_protection": True,
            "battery_heater": False,
            "battery_heater_no_power": None,
            "bioweapon_mode": False,
            "cabin_overheat_protection_actively_cooling": False,
            "hvac_auto_request": "On",
            "max_avail_temp": 28.0,
            "min_avail_temp": 15.0,
            "side_mirror_heaters": False,
            "supports_fan_only_cabin_overheat_protection": True,
            "wiper_blade_heater": False,
        },
        "vehicle_state": {
            "allow_authorized_mobile_devices_only": False,
            "autopark_state_v2": "unavailable",
            "autopark_state_v3": "ready",
            "autopark_style": "dead_man",
            "calendar_supported": True,
            "dashcam_clip_save_available": True,
            "homelink_device_count": 1,
            "homelink_nearby": True,
            "last_autopark_error": "no_error",
            "media_state": {"remote_control_enabled": True},
            "notifications_supported": True,
            "parsed_calendar_supported": True,
            "remote_start_enabled": True,
            "remote_start_supported": True,
            "santa_mode": 0,
            "sentry_mode_available": True,
            "service_mode": False,
            "service_mode_plus": False,
            "smart_summon_available": True,
            "summon_standby_mode_enabled": False,
            **{
                f"tpms_{kind}_{w}": False
                for kind in ("hard_warning", "soft_warning")
                for w in WHEELS
            },
            **{f"tpms_pressure_{w}": 2.9 for w in WHEELS},
            "tpms_rcp_front_value": 2.9,
            "tpms_rcp_rear_value": 2.9,
            "vehicle_self_test_progress": 0,
            "vehicle_self_test_requested": False,
            "webcam_available": True,
        },
    }
)


@dataclass(frozen=True)
class VehicleProfile:
    """One model's answer shape: which keys each section has and what never changes."""

    name: str
    api_version: int
    feature_bitmask: str
    vehicle_config: Mapping[str, Any]
    charge_state: frozenset[str]
    climate_state: frozenset[str]
    drive_state: frozenset[str]
    location: frozenset[str]
    gui_settings: frozenset[str]
    vehicle_state: frozenset[str]
    media_info: frozenset[str]
    product: frozenset[str]
    # Per-section values that differ from STATIC for this model.
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # speed_limit_mode.max_limit_mph (90 on the 2015 S, 120 on the others).
    speed_limit_max_mph: int = 120
    # Tesla: closing windows needs the phone's position "unless this is an M3 platform vehicle"
    # (developer.tesla.com window_control, cached in gak/teslatte tesla_api_coverage/cached/fleet.html).
    window_close_needs_location: bool = True

    @property
    def car_type(self) -> str:
        """vehicle_config.car_type."""
        return str(self.vehicle_config["car_type"])

    @property
    def has_sentry(self) -> bool:
        """Sentry mode (and the dashcam behind it)."""
        return "sentry_mode" in self.vehicle_state

    @property
    def has_sun_roof(self) -> bool:
        """A sunroof that `sun_roof_control` moves."""
        return "sun_roof_state" in self.vehicle_state

    def static(self, section: str, key: str) -> Any:
        """The fixed value of a key for this model."""
        own = self.values.get(section, {})
        if key in own:
            return own[key]
        return STATIC.get(section, {}).get(key)


def _config(**values: Any) -> Mapping[str, Any]:
    return MappingProxyType(values)


# Model 3, 2023 (model3_teslatte_2023-11-11.json, an Australian car, and model3_ha_teslemetry.json).
# The market-dependent values (charge port, EU/RHD flags, park lamps, UTC offset) are the North
# American ones of the US Model Y capture, as the emulated cars live in California.
MODEL3 = VehicleProfile(
    name="model3",
    api_version=71,
    feature_bitmask="fbdffbff,187f",
    vehicle_config=_config(
        aux_park_lamps="NaPremium",
        badge_version=1,
        can_accept_navigation_requests=True,
        can_actuate_trunks=True,
        car_special_type="base",
        car_type="model3",
        charge_port_type="US",
        cop_user_set_temp_supported=True,
        dashcam_clip_save_supported=True,
        default_charge_to_max=False,
        driver_assist="TeslaAP3",
        ece_restrictions=False,
        efficiency_package="M32021",
        eu_vehicle=False,
        exterior_color="DeepBlue",
        exterior_trim="Black",
        exterior_trim_override="",
        has_air_suspension=False,
        has_ludicrous_mode=False,
        has_seat_cooling=False,
        headlamp_type="Global",
        interior_trim_type="White2",
        key_version=2,
        motorized_charge_port=True,
        paint_color_override="0,9,25,0.7,0.04",
        performance_package="Base",
        plg=True,
        pws=True,
        rear_drive_unit="PM216MOSFET",
        rear_seat_heaters=1,
        rear_seat_type=0,
        rhd=False,
        roof_color="RoofColorGlass",
        seat_type=None,
        spoiler_type="None",
        sun_roof_installed=None,
        supports_qr_pairing=False,
        third_row_seats="None",
        trim_badging="74d",
        use_range_badging=True,
        utc_offset=-25200,
        webcam_selfie_supported=True,
        webcam_supported=True,
        wheel_type="Pinwheel18CapKit",
    ),
    charge_state=CHARGE_COMMON | {"scheduled_charging_start_time_app"},
    climate_state=CLIMATE_COMMON | CLIMATE_M3_PLATFORM,
    drive_state=DRIVE_BASE | ROUTE_DELAY,
    location=LOCATION | ROUTE_IDLE,
    gui_settings=GUI_COMMON | {"gui_tirepressure_units"},
    vehicle_state=(VEHICLE_STATE_COMMON | VEHICLE_STATE_MODERN | SELF_TEST | {"autopark_state_v2"}),
    media_info=MEDIA_INFO,
    product=PRODUCT_MODERN,
    values={"charge_state": {"charge_limit_soc_std": 80}},
    window_close_needs_location=False,
)

# Model Y, 2023: the sample answer on Tesla's Fleet API reference (developer.tesla.com, cached in
# gak/teslatte tesla_api_coverage/cached/fleet.html; 2023.7.20, US car).
MODELY = VehicleProfile(
    name="modely",
    api_version=54,
    feature_bitmask="15dffbff,0",
    vehicle_config=_config(
        aux_park_lamps="NaPremium",
        badge_version=0,
        can_accept_navigation_requests=True,
        can_actuate_trunks=True,
        car_special_type="base",
        car_type="modely",
        charge_port_type="US",
        cop_user_set_temp_supported=True,
        dashcam_clip_save_supported=True,
        default_charge_to_max=False,
        driver_assist="TeslaAP3",
        ece_restrictions=False,
        efficiency_package="MY2021",
        eu_vehicle=False,
        exterior_color="MidnightSilver",
        exterior_trim="Black",
        exterior_trim_override="",
        has_air_suspension=False,
        has_ludicrous_mode=False,
        has_seat_cooling=False,
        headlamp_type="Premium",
        interior_trim_type="Black2",
        key_version=2,
        motorized_charge_port=True,
        paint_color_override="19,20,22,0.8,0.04",
        performance_package="Base",
        plg=True,
        pws=True,
        rear_drive_unit="PM216MOSFET",
        rear_seat_heaters=1,
        rear_seat_type=0,
        rhd=False,
        roof_color="RoofColorGlass",
        seat_type=None,
        spoiler_type="None",
        sun_roof_installed=None,
        supports_qr_pairing=False,
        third_row_seats="None",
        trim_badging="74d",
        use_range_badging=True,
        utc_offset=-25200,
        webcam_selfie_supported=True,
        webcam_supported=True,
        wheel_type="Apollo19",
    ),
    charge_state=CHARGE_COMMON | MANAGED_CHARGING,
    climate_state=CLIMATE_COMMON | CLIMATE_M3_PLATFORM | {"bioweapon_mode"},
    drive_state=DRIVE_BASE | ROUTE_DELAY,
    location=LOCATION | ROUTE_IDLE,
    gui_settings=GUI_COMMON | {"gui_tirepressure_units"},
    vehicle_state=(
        VEHICLE_STATE_COMMON | VEHICLE_STATE_MODERN | SELF_TEST | HOMELINK | {"autopark_state_v3"}
    ),
    media_info=MEDIA_INFO,
    product=PRODUCT_MODERN,
    values={"vehicle_state": {"dashcam_clip_save_available": False, "homelink_device_count": 3}},
    window_close_needs_location=False,
)

# Model S P85D, 2015 (VIN 5YJSA7H4XFF088491; Autopilot 1 "MonoCam", firmware 2022.8.10.16):
# models_2015_teslatte_HTLC_*.json. No sentry mode, no dashcam, no tyre-pressure readings
# (tpms_pressure_* null), cabin overheat protection not allowed, a sunroof, air suspension.
MODELS_2015 = VehicleProfile(
    name="models_2015",
    api_version=36,
    feature_bitmask="5,0",
    vehicle_config=_config(
        can_accept_navigation_requests=True,
        can_actuate_trunks=True,
        car_special_type="base",
        car_type="models",
        charge_port_type="US",
        dashcam_clip_save_supported=False,
        default_charge_to_max=False,
        driver_assist="MonoCam",
        ece_restrictions=False,
        efficiency_package="Default",
        eu_vehicle=False,
        exterior_color="MetallicBlack",
        front_drive_unit="NoneOrSmall",
        has_air_suspension=True,
        has_ludicrous_mode=False,
        has_seat_cooling=False,
        headlamp_type="Hid",
        interior_trim_type="AllBlack",
        motorized_charge_port=True,
        plg=True,
        pws=False,
        rear_drive_unit="Large",
        rear_seat_heaters=1,
        rear_seat_type=0,
        rhd=False,
        roof_color="None",
        seat_type=1,
        spoiler_type="Passive",
        sun_roof_installed=1,
        third_row_seats="None",
        trim_badging="p85d",
        use_range_badging=False,
        utc_offset=-25200,
        wheel_type="Charcoal21",
    ),
    charge_state=(
        CHARGE_COMMON
        | MANAGED_CHARGING
        | {"charge_to_max_range", "scheduled_charging_start_time_app"}
    ),
    climate_state=CLIMATE_COMMON | {"seat_heater_rear_center"},
    drive_state=DRIVE_BASE,
    location=LOCATION,
    gui_settings=GUI_COMMON,
    vehicle_state=VEHICLE_STATE_COMMON | HOMELINK | SUN_ROOF | {"autopark_state_v2"},
    media_info=frozenset(),
    product=PRODUCT_COMMON,
    speed_limit_max_mph=90,
    values={
        "charge_state": {"charge_port_cold_weather_mode": None},
        "climate_state": {
            "allow_cabin_overheat_protection": False,
            "supports_fan_only_cabin_overheat_protection": False,
        },
        "vehicle_state": {
            "autopark_state_v2": "ready",
            "dashcam_clip_save_available": False,
            "homelink_device_count": 0,
            "homelink_nearby": False,
            "smart_summon_available": False,
            **{f"tpms_pressure_{w}": None for w in WHEELS},
        },
    },
)

# Model X Plaid, 2022 (VIN 7SA…, firmware 2022.36.2): the `legacy` answer in timdorr/tesla-api
# docs/vehicle/state/data.md (modelx_2022_timdorr.json). Six seats (no rear centre heater),
# third-row heaters, HEPA filter (bioweapon mode), no automatic seat climate keys.
MODELX_2022 = VehicleProfile(
    name="modelx_2022",
    api_version=48,
    feature_bitmask="ff9ff,0",
    vehicle_config=_config(
        can_accept_navigation_requests=True,
        can_actuate_trunks=True,
        car_special_type="base",
        car_type="modelx",
        charge_port_type="US",
        cop_user_set_temp_supported=False,
        dashcam_clip_save_supported=True,
        default_charge_to_max=False,
        driver_assist="ParkerPascal2_5",
        ece_restrictions=False,
        efficiency_package="Default",
        eu_vehicle=False,
        exterior_color="MetallicBlack",
        exterior_trim_override="Chrome",
        front_drive_unit="NoneOrSmall",
        has_air_suspension=True,
        has_ludicrous_mode=False,
        has_seat_cooling=False,
        headlamp_type="Led",
        interior_trim_type="AllBlack",
        motorized_charge_port=True,
        paint_color_override="14,14,14,0.9,0.01",
        plg=True,
        pws=False,
        rear_drive_unit="Small",
        rear_seat_heaters=3,
        rear_seat_type=3,
        rhd=False,
        roof_color="None",
        seat_type=0,
        spoiler_type="Passive",
        sun_roof_installed=0,
        supports_qr_pairing=False,
        third_row_seats="FuturisFoldFlat",
        trim_badging="plaid",
        use_range_badging=False,
        utc_offset=-25200,
        webcam_supported=False,
        wheel_type="Turbine22",
    ),
    charge_state=CHARGE_COMMON | MANAGED_CHARGING,
    climate_state=(
        CLIMATE_COMMON
        | {
            "bioweapon_mode",
            "cop_activation_temperature",
            "seat_heater_third_row_left",
            "seat_heater_third_row_right",
        }
    ),
    drive_state=DRIVE_BASE | ROUTE_DELAY,
    location=LOCATION | ROUTE_IDLE,
    gui_settings=GUI_COMMON | {"gui_tirepressure_units"},
    vehicle_state=(
        VEHICLE_STATE_COMMON
        | VEHICLE_STATE_MODERN
        | HOMELINK
        | {"allow_authorized_mobile_devices_only", "autopark_state_v2"}
    ),
    media_info=MEDIA_INFO,
    product=PRODUCT_MODERN,
    values={
        "charge_state": {"charge_port_cold_weather_mode": None},
        "climate_state": {
            "allow_cabin_overheat_protection": False,
            "supports_fan_only_cabin_overheat_protection": False,
        },
        "vehicle_state": {"autopark_state_v2": "ready", "webcam_available": False},
    },
)

PROFILES: Mapping[str, VehicleProfile] = MappingProxyType(
    {p.name: p for p in (MODEL3, MODELY, MODELS_2015, MODELX_2022)}
)
