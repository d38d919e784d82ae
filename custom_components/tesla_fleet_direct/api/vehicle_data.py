"""`vehicle_data` parsed once into typed sections; every field optional, the raw JSON kept.

Sections are frozen dataclasses whose fields are read by their annotated type, so adding a
field Tesla sends is one line; a missing or mistyped field reads as None instead of crashing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar, Self

from ._parse import as_mapping, opt_bool, opt_float, opt_int, opt_str
from .errors import ResponseFormatError
from .models import VehicleState, vehicle_state


class Section(StrEnum):
    """The `endpoints` Tesla's `vehicle_data` accepts."""

    CHARGE_STATE = "charge_state"
    CLIMATE_STATE = "climate_state"
    CLOSURES_STATE = "closures_state"
    DRIVE_STATE = "drive_state"
    GUI_SETTINGS = "gui_settings"
    LOCATION_DATA = "location_data"
    VEHICLE_CONFIG = "vehicle_config"
    VEHICLE_STATE = "vehicle_state"
    CHARGE_SCHEDULE_DATA = "charge_schedule_data"
    PRECONDITIONING_SCHEDULE_DATA = "preconditioning_schedule_data"


class ChargingState(StrEnum):
    """`charge_state.charging_state`: every value Tesla sends (HA core tesla_fleet/sensor.py
    CHARGE_STATES; tests/fixtures/real/README.md)."""

    DISCONNECTED = "Disconnected"
    NO_POWER = "NoPower"  # plugged in, but the charger gives nothing (power cut, tripped)
    STARTING = "Starting"
    CHARGING = "Charging"
    COMPLETE = "Complete"
    STOPPED = "Stopped"


def charging_state(value: object) -> ChargingState | None:
    """Tesla's text as a `ChargingState`; None when missing or a value Tesla may add later."""
    try:
        return ChargingState(value) if isinstance(value, str) else None
    except ValueError:
        return None


_READERS = {
    "float | None": opt_float,
    "int | None": opt_int,
    "bool | None": opt_bool,
    "str | None": opt_str,
}


@dataclass(frozen=True, slots=True)
class _SectionData:
    """Base of a section: typed fields plus the raw object."""

    raw: Mapping[str, Any] = field(repr=False)
    timestamp: int | None = None  # milliseconds since the epoch, as Tesla sends it
    # Fields where Tesla sends 0 for "no reading" (a value that cannot be real), read as None.
    ZERO_IS_NO_READING: ClassVar[frozenset[str]] = frozenset()

    def get(self, key: str, default: Any = None) -> Any:
        """Any field by Tesla's name, typed or not."""
        return self.raw.get(key, default)

    @classmethod
    def parse(cls, data: Any) -> Self:
        """Read every typed field by its annotation; unknown fields stay in `raw`."""
        obj = as_mapping(data)
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name == "raw":
                continue
            reader = _READERS.get(str(item.type))
            if reader is None:  # pragma: no cover - guarded by a test over all sections
                raise TypeError(f"{cls.__name__}.{item.name}: unsupported type {item.type}")
            value = reader(obj, item.name)
            if value == 0 and item.name in cls.ZERO_IS_NO_READING:
                value = None
            values[item.name] = value
        return cls(raw=obj, **values)


@dataclass(frozen=True, slots=True)
class ChargeState(_SectionData):
    """`charge_state`."""

    battery_level: int | None = None
    usable_battery_level: int | None = None
    battery_range: float | None = None
    est_battery_range: float | None = None
    ideal_battery_range: float | None = None
    charge_limit_soc: int | None = None
    charge_limit_soc_min: int | None = None
    charge_limit_soc_max: int | None = None
    charging_state: str | None = None
    charge_port_door_open: bool | None = None
    charge_port_latch: str | None = None
    conn_charge_cable: str | None = None
    fast_charger_present: bool | None = None
    fast_charger_type: str | None = None
    charger_actual_current: int | None = None
    charger_pilot_current: int | None = None
    charger_phases: int | None = None
    charger_power: float | None = None
    charger_voltage: int | None = None
    charge_amps: int | None = None
    charge_current_request: int | None = None
    charge_current_request_max: int | None = None
    charge_energy_added: float | None = None
    charge_miles_added_rated: float | None = None
    charge_rate: float | None = None
    time_to_full_charge: float | None = None
    minutes_to_full_charge: int | None = None
    scheduled_charging_mode: str | None = None
    scheduled_charging_pending: bool | None = None
    scheduled_charging_start_time_minutes: int | None = None
    scheduled_departure_time_minutes: int | None = None
    preconditioning_enabled: bool | None = None
    off_peak_charging_enabled: bool | None = None
    trip_charging: bool | None = None
    battery_heater_on: bool | None = None

    @property
    def state(self) -> ChargingState | None:
        """`charging_state` as a `ChargingState` (None when missing or not one we know)."""
        return charging_state(self.charging_state)

    @property
    def max_charging_amps(self) -> int | None:
        """The most current the car accepts now (bounds `set_charging_amps`)."""
        return self.charge_current_request_max


@dataclass(frozen=True, slots=True)
class ClimateState(_SectionData):
    """`climate_state`."""

    inside_temp: float | None = None
    outside_temp: float | None = None
    driver_temp_setting: float | None = None
    passenger_temp_setting: float | None = None
    min_avail_temp: float | None = None
    max_avail_temp: float | None = None
    is_climate_on: bool | None = None
    is_auto_conditioning_on: bool | None = None
    is_preconditioning: bool | None = None
    is_front_defroster_on: bool | None = None
    is_rear_defroster_on: bool | None = None
    defrost_mode: int | None = None
    fan_status: int | None = None
    climate_keeper_mode: str | None = None
    allow_cabin_overheat_protection: bool | None = None
    supports_fan_only_cabin_overheat_protection: bool | None = None
    cabin_overheat_protection: str | None = None
    cabin_overheat_protection_actively_cooling: bool | None = None
    cop_activation_temperature: str | None = None
    steering_wheel_heater: bool | None = None
    steering_wheel_heat_level: int | None = None
    auto_steering_wheel_heat: bool | None = None
    auto_seat_climate_left: bool | None = None
    auto_seat_climate_right: bool | None = None
    seat_heater_left: int | None = None
    seat_heater_right: int | None = None
    seat_heater_rear_left: int | None = None
    seat_heater_rear_center: int | None = None
    seat_heater_rear_right: int | None = None
    seat_heater_third_row_left: int | None = None
    seat_heater_third_row_right: int | None = None
    seat_fan_front_left: int | None = None
    seat_fan_front_right: int | None = None
    battery_heater: bool | None = None
    side_mirror_heaters: bool | None = None
    wiper_blade_heater: bool | None = None


@dataclass(frozen=True, slots=True)
class DriveState(_SectionData):
    """`drive_state` without location (see `Location`)."""

    shift_state: str | None = None
    speed: float | None = None
    power: float | None = None


@dataclass(frozen=True, slots=True)
class Location(_SectionData):
    """The location fields Tesla puts in `drive_state` (only with `location_data` + scope)."""

    latitude: float | None = None
    longitude: float | None = None
    heading: int | None = None
    native_latitude: float | None = None
    native_longitude: float | None = None
    gps_as_of: int | None = None
    active_route_latitude: float | None = None
    active_route_longitude: float | None = None
    active_route_destination: str | None = None
    active_route_miles_to_arrival: float | None = None
    active_route_minutes_to_arrival: float | None = None
    active_route_energy_at_arrival: float | None = None
    active_route_traffic_minutes_delay: float | None = None

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """(latitude, longitude), or None when the car did not report a position."""
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude


@dataclass(frozen=True, slots=True)
class VehicleStateSection(_SectionData):
    """`vehicle_state` (closures merged in, as Tesla reports them there)."""

    car_version: str | None = None
    odometer: float | None = None
    locked: bool | None = None
    sentry_mode: bool | None = None
    sentry_mode_available: bool | None = None
    valet_mode: bool | None = None
    is_user_present: bool | None = None
    remote_start: bool | None = None
    pin_to_drive_enabled: bool | None = None
    guest_mode_enabled: bool | None = None
    vehicle_name: str | None = None
    dashcam_state: str | None = None
    center_display_state: int | None = None
    homelink_nearby: bool | None = None
    homelink_device_count: int | None = None
    remote_start_supported: bool | None = None
    df: int | None = None
    dr: int | None = None
    pf: int | None = None
    pr: int | None = None
    ft: int | None = None
    rt: int | None = None
    fd_window: int | None = None
    fp_window: int | None = None
    rd_window: int | None = None
    rp_window: int | None = None
    sun_roof_state: str | None = None
    sun_roof_percent_open: int | None = None
    tpms_pressure_fl: float | None = None
    tpms_pressure_fr: float | None = None
    tpms_pressure_rl: float | None = None
    tpms_pressure_rr: float | None = None
    tpms_soft_warning_fl: bool | None = None
    tpms_soft_warning_fr: bool | None = None
    tpms_soft_warning_rl: bool | None = None
    tpms_soft_warning_rr: bool | None = None

    # A wheel whose sensor has not reported reads 0.0 (no tyre is at 0 bar while the car reads
    # the others); older cars send null instead (models_2015_teslatte_*.json).
    ZERO_IS_NO_READING = frozenset(
        {"tpms_pressure_fl", "tpms_pressure_fr", "tpms_pressure_rl", "tpms_pressure_rr"}
    )

    def tpms_pressure(self, wheel: str) -> float | None:
        """One wheel's pressure in bar (`fl`, `fr`, `rl`, `rr`); None without a reading."""
        return {
            "fl": self.tpms_pressure_fl,
            "fr": self.tpms_pressure_fr,
            "rl": self.tpms_pressure_rl,
            "rr": self.tpms_pressure_rr,
        }.get(wheel)

    @property
    def media_info(self) -> MediaInfo:
        """The nested `media_info` object (every field None when absent)."""
        return MediaInfo.parse(self.raw.get("media_info"))

    @property
    def software_update(self) -> SoftwareUpdate:
        """The nested `software_update` object (every field None when absent)."""
        return SoftwareUpdate.parse(self.raw.get("software_update"))

    @property
    def speed_limit_mode(self) -> SpeedLimitMode:
        """The nested `speed_limit_mode` object (every field None when absent)."""
        return SpeedLimitMode.parse(self.raw.get("speed_limit_mode"))


@dataclass(frozen=True, slots=True)
class MediaInfo(_SectionData):
    """`vehicle_state.media_info`: what the car plays and how loud."""

    audio_volume: float | None = None
    audio_volume_increment: float | None = None
    audio_volume_max: float | None = None
    media_playback_status: str | None = None
    now_playing_title: str | None = None
    now_playing_artist: str | None = None
    now_playing_album: str | None = None
    now_playing_source: str | None = None
    now_playing_duration: int | None = None  # milliseconds
    now_playing_elapsed: int | None = None  # milliseconds


@dataclass(frozen=True, slots=True)
class SoftwareUpdate(_SectionData):
    """`vehicle_state.software_update`: a waiting update and its progress."""

    status: str | None = None
    version: str | None = None
    install_perc: int | None = None
    expected_duration_sec: int | None = None


@dataclass(frozen=True, slots=True)
class SpeedLimitMode(_SectionData):
    """`vehicle_state.speed_limit_mode`: the speed limit and the car's bounds for it."""

    active: bool | None = None
    current_limit_mph: float | None = None
    min_limit_mph: float | None = None
    max_limit_mph: float | None = None
    pin_code_set: bool | None = None


@dataclass(frozen=True, slots=True)
class VehicleConfig(_SectionData):
    """`vehicle_config`."""

    car_type: str | None = None
    trim_badging: str | None = None
    exterior_color: str | None = None
    wheel_type: str | None = None
    charge_port_type: str | None = None
    can_actuate_trunks: bool | None = None
    can_accept_navigation_requests: bool | None = None
    cop_user_set_temp_supported: bool | None = None
    has_seat_cooling: bool | None = None
    motorized_charge_port: bool | None = None
    plg: bool | None = None
    rhd: bool | None = None
    rear_seat_heaters: int | None = None
    sun_roof_installed: int | None = None
    third_row_seats: str | None = None
    eu_vehicle: bool | None = None

    @property
    def has_sun_roof(self) -> bool:
        """Whether a sunroof is fitted.

        Tesla sends `sun_roof_installed` as null or 0 (none), 1 or 2 (the kind of roof), and
        some answers `true` (tests/fixtures/real: models_2015_teslatte_*, models_2020_timdorr,
        modelx_2022_timdorr, model3_ha_teslemetry).
        """
        value = self.raw.get("sun_roof_installed")
        if isinstance(value, bool):
            return value
        return isinstance(value, int | float) and value > 0

    @property
    def has_third_row(self) -> bool:
        """Whether a third seat row is fitted (Tesla sends the string "None" when not)."""
        return self.third_row_seats not in (None, "", "None", "<invalid>")


@dataclass(frozen=True, slots=True)
class GuiSettings(_SectionData):
    """`gui_settings`: the units the owner chose."""

    gui_24_hour_time: bool | None = None
    gui_charge_rate_units: str | None = None
    gui_distance_units: str | None = None
    gui_range_display: str | None = None
    gui_temperature_units: str | None = None
    gui_tirepressure_units: str | None = None


SECTION_TYPES: tuple[type[_SectionData], ...] = (
    ChargeState,
    ClimateState,
    DriveState,
    Location,
    VehicleStateSection,
    VehicleConfig,
    GuiSettings,
    MediaInfo,
    SoftwareUpdate,
    SpeedLimitMode,
)


@dataclass(frozen=True, slots=True)
class VehicleData:
    """One `vehicle_data` answer; a section the request did not ask for is None."""

    vin: str
    state: VehicleState
    display_name: str | None
    charge_state: ChargeState | None
    climate_state: ClimateState | None
    drive_state: DriveState | None
    location: Location | None
    vehicle_state: VehicleStateSection | None
    vehicle_config: VehicleConfig | None
    gui_settings: GuiSettings | None
    raw: Mapping[str, Any] = field(repr=False)

    LOCATION_KEYS: ClassVar[frozenset[str]] = frozenset({"latitude", "longitude"})

    def section(self, name: str) -> Mapping[str, Any] | None:
        """Any section's raw object by name (schedules and sections added later)."""
        value = self.raw.get(name)
        return value if isinstance(value, Mapping) else None

    @property
    def charge_schedules(self) -> list[Mapping[str, Any]]:
        """`charge_schedule_data.charge_schedules` (empty when not requested)."""
        return _list(self.section(Section.CHARGE_SCHEDULE_DATA), "charge_schedules")

    @property
    def precondition_schedules(self) -> list[Mapping[str, Any]]:
        """`preconditioning_schedule_data.precondition_schedules` (empty when not requested)."""
        return _list(self.section(Section.PRECONDITIONING_SCHEDULE_DATA), "precondition_schedules")

    @classmethod
    def parse(cls, response: Any, *, path: str) -> VehicleData:
        """Parse the answer; only the VIN is required."""
        if not isinstance(response, Mapping):
            raise ResponseFormatError("vehicle_data answer is not an object", path=path)
        vin = opt_str(response, "vin")
        if not vin:
            raise ResponseFormatError("vehicle_data answer has no VIN", path=path)
        drive = response.get("drive_state")
        has_location = isinstance(drive, Mapping) and any(k in drive for k in cls.LOCATION_KEYS)
        return cls(
            vin=vin,
            state=vehicle_state(response.get("state")),
            display_name=opt_str(response, "display_name"),
            charge_state=_section(ChargeState, response, "charge_state"),
            climate_state=_section(ClimateState, response, "climate_state"),
            drive_state=_section(DriveState, response, "drive_state"),
            location=Location.parse(drive) if has_location else None,
            vehicle_state=_section(VehicleStateSection, response, "vehicle_state"),
            vehicle_config=_section(VehicleConfig, response, "vehicle_config"),
            gui_settings=_section(GuiSettings, response, "gui_settings"),
            raw=response,
        )


def _section[T: _SectionData](kind: type[T], response: Mapping[str, Any], key: str) -> T | None:
    value = response.get(key)
    return kind.parse(value) if isinstance(value, Mapping) else None


def _list(section: Mapping[str, Any] | None, key: str) -> list[Mapping[str, Any]]:
    if section is None:
        return []
    value = section.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
