"""The Fleet Telemetry fields we stream, what each feeds, and what a month of them costs.

One table: each row names a field of Tesla's `Field` enum (teslamotors/fleet-telemetry
`protos/vehicle_data.proto`, with the firmware each needs as its comments say), the
`vehicle_data` values it stands in for (`section.key`, nested keys dotted: the values our
entities read, so streaming part 2 maps each MQTT message onto the same entities), the
interval asked for, and how often the value typically changes. The pairing of fields and
`vehicle_data` keys follows Home Assistant's `teslemetry` integration (home-assistant/core
`homeassistant/components/teslemetry/sensor.py`, `binary_sensor.py`, `device_tracker.py`:
e.g. `ChargeAmps` -> `charger_actual_current`, `DetailedChargeState` -> `charging_state`).
Units and value types differ from `vehicle_data` (and change between firmware versions): each
row's `read` (telemetry_values.py) turns the streamed value into the `vehicle_data` values it
feeds, and `stream_ingest.py` puts them into the same per-field state polling fills.

Price (Tesla's, /work/shared/docs/fleet-telemetry.md): $1 per 150,000 signals
(`api.accounting.PRICE_PER_SIGNAL`, with the request prices). The car sends a
field only when it changed, and at most once per its interval, so a month's signals are, per
field and activity, `hours x min(changes per hour, 3600 / interval)`. The hours are a typical
month's (`MONTH`): a car asleep sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
import math
from typing import Final

from .api.accounting import PRICE_PER_SIGNAL
from .telemetry_values import (
    Reader,
    boolean,
    cabin_overheat,
    cable_type,
    charge_port_latch,
    climate_keeper,
    defrost,
    detailed_charge_state,
    doors,
    fast_charger,
    hvac_power,
    ignored,
    integer,
    location,
    media_source,
    media_status,
    minutes_to_seconds,
    number,
    positive_or_skip,
    scheduled_charging_mode,
    sentry,
    shift_state,
    text,
    window,
)

# Every interval changes continuously (a position, a speed, a charging power).
EVERY: Final = math.inf
# The longest interval a budget may stretch a field to: beyond this the data is no fresher
# than polling, which is what streaming is for.
MAX_INTERVAL_S: Final = 3600
# How far a small budget may stretch the intervals (1 = as listed).
STRETCH_STEPS: Final = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0, 15.0, 30.0, 60.0)
# Firmware that first streams with a signed configuration (fleet-telemetry.md).
BASE_FIRMWARE: Final = "2024.26"


class Activity(StrEnum):
    """What the car is doing while it is awake."""

    DRIVING = "driving"
    CHARGING = "charging"
    PARKED = "parked"


# Awake hours of a typical month: an hour's driving a day, ten charging sessions of four hours,
# two hours a day parked but awake (sentry, climate, someone in the car). Assumptions, stated
# in the README next to the estimate they produce.
MONTH: Final[Mapping[Activity, float]] = {
    Activity.DRIVING: 30.0,
    Activity.CHARGING: 40.0,
    Activity.PARKED: 60.0,
}


class FieldGroup(StrEnum):
    """How the set-up form offers the fields (one tick per group)."""

    BATTERY = "battery"
    CHARGING = "charging"
    DRIVING = "driving"
    ROUTE = "route"
    CLIMATE = "climate"
    SECURITY = "security"
    TYRES = "tyres"
    SOFTWARE = "software"
    MEDIA = "media"


@dataclass(frozen=True, slots=True)
class StreamField:
    """One telemetry field: what it feeds, how often we ask for it, how often it changes."""

    name: str
    group: FieldGroup
    feeds: tuple[str, ...]
    interval_s: int
    # Typical changes per hour while driving, charging and parked awake (EVERY: continuous).
    driving: float = 0.0
    charging: float = 0.0
    parked: float = 0.0
    firmware: str = BASE_FIRMWARE
    # The streamed value -> one `vehicle_data` value per key in `feeds` (telemetry_values.py).
    read: Reader = number

    def changes(self, activity: Activity) -> float:
        """Changes per hour during `activity`."""
        return {
            Activity.DRIVING: self.driving,
            Activity.CHARGING: self.charging,
            Activity.PARKED: self.parked,
        }[activity]

    def monthly_signals(self, interval_s: int | None = None) -> float:
        """Signals a typical month sends at `interval_s` (default: the listed interval)."""
        per_hour_cap = 3600 / (interval_s or self.interval_s)
        return sum(
            hours * min(self.changes(activity), per_hour_cap) for activity, hours in MONTH.items()
        )


def _f(
    name: str,
    group: FieldGroup,
    feeds: str | tuple[str, ...],
    interval_s: int,
    *,
    drive: float = 0.0,
    charge: float = 0.0,
    parked: float = 0.0,
    firmware: str = BASE_FIRMWARE,
    read: Reader = number,
) -> StreamField:
    return StreamField(
        name,
        group,
        (feeds,) if isinstance(feeds, str) else feeds,
        interval_s,
        drive,
        charge,
        parked,
        firmware,
        read,
    )


_B, _C, _D, _R = FieldGroup.BATTERY, FieldGroup.CHARGING, FieldGroup.DRIVING, FieldGroup.ROUTE
_CL, _S, _T = FieldGroup.CLIMATE, FieldGroup.SECURITY, FieldGroup.TYRES
_SW, _M = FieldGroup.SOFTWARE, FieldGroup.MEDIA
# Firmware of the later field blocks (comments in vehicle_data.proto).
_FW_179: Final = "2024.38"
_FW_180: Final = "2024.44.25"
_FW_184: Final = "2024.44.32"
_FW_239: Final = "2025.2.6"
# A setting or state someone changes now and then.
_RARE: Final = 0.2

FIELDS: Final[tuple[StreamField, ...]] = (
    # Battery: fractional percentages and ranges move all the time while driving or charging.
    _f(
        "BatteryLevel",
        _B,
        "charge_state.battery_level",
        60,
        drive=EVERY,
        charge=EVERY,
        parked=0.5,
        read=integer,
    ),
    _f(
        "Soc",
        _B,
        "charge_state.usable_battery_level",
        60,
        drive=EVERY,
        charge=EVERY,
        parked=0.5,
        read=integer,
    ),
    _f("RatedRange", _B, "charge_state.battery_range", 60, drive=EVERY, charge=EVERY, parked=0.5),
    _f(
        "EstBatteryRange",
        _B,
        "charge_state.est_battery_range",
        60,
        drive=EVERY,
        charge=EVERY,
        parked=0.5,
    ),
    _f(
        "IdealBatteryRange",
        _B,
        "charge_state.ideal_battery_range",
        60,
        drive=EVERY,
        charge=EVERY,
        parked=0.5,
    ),
    _f(
        "BatteryHeaterOn",
        _B,
        "charge_state.battery_heater_on",
        60,
        drive=0.5,
        charge=1,
        parked=0.2,
        read=boolean,
    ),
    # Charging: powers, current and voltage fluctuate every interval while charging. AC and DC
    # fields change only with their kind of charger (DC taken as a tenth of the sessions).
    _f(
        "DetailedChargeState",
        _C,
        # Also the charger power once a session ends (`detailed_charge_state`).
        ("charge_state.charging_state", "charge_state.charger_power"),
        10,
        drive=0.1,
        charge=1,
        parked=0.5,
        firmware=_FW_179,
        read=detailed_charge_state,
    ),
    _f("ACChargingPower", _C, "charge_state.charger_power", 30, charge=EVERY),
    _f("DCChargingPower", _C, "charge_state.charger_power", 30, charge=12, read=positive_or_skip),
    _f("ChargeAmps", _C, "charge_state.charger_actual_current", 60, charge=EVERY, read=integer),
    _f(
        "ChargerVoltage",
        _C,
        "charge_state.charger_voltage",
        60,
        charge=EVERY,
        firmware=_FW_184,
        read=integer,
    ),
    _f("ACChargingEnergyIn", _C, "charge_state.charge_energy_added", 60, charge=EVERY),
    _f(
        "DCChargingEnergyIn",
        _C,
        "charge_state.charge_energy_added",
        60,
        charge=6,
        read=positive_or_skip,
    ),
    _f("TimeToFullCharge", _C, "charge_state.time_to_full_charge", 60, charge=EVERY),
    _f(
        "ChargeRateMilePerHour",
        _C,
        "charge_state.charge_rate",
        60,
        charge=EVERY,
        firmware=_FW_239,
    ),
    _f(
        "ChargeLimitSoc",
        _C,
        "charge_state.charge_limit_soc",
        10,
        charge=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "ChargeCurrentRequest",
        _C,
        "charge_state.charge_current_request",
        10,
        charge=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "ChargeCurrentRequestMax",
        _C,
        "charge_state.charge_current_request_max",
        60,
        charge=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "ChargerPhases", _C, "charge_state.charger_phases", 60, charge=1, parked=_RARE, read=integer
    ),
    _f(
        "ChargePortDoorOpen",
        _C,
        "charge_state.charge_port_door_open",
        5,
        charge=0.5,
        parked=0.5,
        firmware=_FW_180,
        read=boolean,
    ),
    _f(
        "ChargingCableType",
        _C,
        "charge_state.conn_charge_cable",
        60,
        charge=0.5,
        parked=0.5,
        firmware=_FW_180,
        read=cable_type,
    ),
    _f(
        "FastChargerType",
        _C,
        "charge_state.fast_charger_type",
        60,
        charge=0.5,
        parked=0.5,
        firmware=_FW_180,
        read=fast_charger,
    ),
    _f(
        "ChargePortLatch",
        _C,
        "charge_state.charge_port_latch",
        5,
        charge=0.5,
        parked=0.5,
        read=charge_port_latch,
    ),
    _f(
        "ScheduledChargingMode",
        _C,
        "charge_state.scheduled_charging_mode",
        60,
        charge=_RARE,
        parked=_RARE,
        read=scheduled_charging_mode,
    ),
    _f(
        "ScheduledChargingPending",
        _C,
        "charge_state.scheduled_charging_pending",
        60,
        charge=_RARE,
        parked=_RARE,
        read=boolean,
    ),
    _f(
        "PreconditioningEnabled",
        _C,
        "charge_state.preconditioning_enabled",
        60,
        charge=_RARE,
        parked=_RARE,
        read=boolean,
    ),
    # Driving: position and speed every interval on the road.
    _f(
        "Location",
        _D,
        ("drive_state.latitude", "drive_state.longitude"),
        10,
        drive=EVERY,
        read=location,
    ),
    _f("VehicleSpeed", _D, "drive_state.speed", 10, drive=EVERY),
    _f("GpsHeading", _D, "drive_state.heading", 10, drive=EVERY),
    _f("Gear", _D, "drive_state.shift_state", 1, drive=4, parked=1, read=shift_state),
    _f("Odometer", _D, "vehicle_state.odometer", 60, drive=EVERY),
    # Navigation: only while a route is active (about half the driving).
    _f("DestinationName", _R, "drive_state.active_route_destination", 60, drive=0.5, read=text),
    _f(
        "DestinationLocation",
        _R,
        ("drive_state.active_route_latitude", "drive_state.active_route_longitude"),
        60,
        drive=0.5,
        read=location,
    ),
    _f("MilesToArrival", _R, "drive_state.active_route_miles_to_arrival", 60, drive=30),
    _f("MinutesToArrival", _R, "drive_state.active_route_minutes_to_arrival", 60, drive=30),
    _f(
        "ExpectedEnergyPercentAtTripArrival",
        _R,
        "drive_state.active_route_energy_at_arrival",
        60,
        drive=10,
        firmware=_FW_180,
    ),
    _f(
        "RouteTrafficMinutesDelay",
        _R,
        "drive_state.active_route_traffic_minutes_delay",
        60,
        drive=4,
        firmware=_FW_180,
    ),
    # Climate: temperatures drift; settings change when someone touches them.
    _f("InsideTemp", _CL, "climate_state.inside_temp", 60, drive=12, charge=6, parked=6),
    _f("OutsideTemp", _CL, "climate_state.outside_temp", 60, drive=6, charge=3, parked=3),
    _f(
        "HvacPower",
        _CL,
        ("climate_state.is_climate_on", "climate_state.is_preconditioning"),
        5,
        drive=0.2,
        charge=0.2,
        parked=1,
        firmware=_FW_180,
        read=hvac_power,
    ),
    _f(
        "HvacLeftTemperatureRequest",
        _CL,
        "climate_state.driver_temp_setting",
        10,
        drive=_RARE,
        parked=_RARE,
        firmware=_FW_180,
    ),
    _f(
        "HvacRightTemperatureRequest",
        _CL,
        "climate_state.passenger_temp_setting",
        10,
        drive=_RARE,
        parked=_RARE,
        firmware=_FW_180,
    ),
    _f(
        "DefrostMode",
        _CL,
        ("climate_state.is_front_defroster_on", "climate_state.defrost_mode"),
        10,
        drive=_RARE,
        parked=_RARE,
        firmware=_FW_180,
        read=defrost,
    ),
    _f(
        "ClimateKeeperMode",
        _CL,
        "climate_state.climate_keeper_mode",
        10,
        parked=_RARE,
        firmware=_FW_180,
        read=climate_keeper,
    ),
    _f(
        "CabinOverheatProtectionMode",
        _CL,
        "climate_state.cabin_overheat_protection",
        60,
        parked=_RARE,
        firmware=_FW_180,
        read=cabin_overheat,
    ),
    _f(
        "SeatHeaterLeft",
        _CL,
        "climate_state.seat_heater_left",
        10,
        drive=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "SeatHeaterRight",
        _CL,
        "climate_state.seat_heater_right",
        10,
        drive=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "SeatHeaterRearLeft",
        _CL,
        "climate_state.seat_heater_rear_left",
        10,
        drive=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "SeatHeaterRearCenter",
        _CL,
        "climate_state.seat_heater_rear_center",
        10,
        drive=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "SeatHeaterRearRight",
        _CL,
        "climate_state.seat_heater_rear_right",
        10,
        drive=_RARE,
        parked=_RARE,
        read=integer,
    ),
    _f(
        "AutoSeatClimateLeft",
        _CL,
        "climate_state.auto_seat_climate_left",
        60,
        drive=_RARE,
        parked=_RARE,
        read=boolean,
    ),
    _f(
        "AutoSeatClimateRight",
        _CL,
        "climate_state.auto_seat_climate_right",
        60,
        drive=_RARE,
        parked=_RARE,
        read=boolean,
    ),
    _f(
        "HvacSteeringWheelHeatLevel",
        _CL,
        "climate_state.steering_wheel_heat_level",
        10,
        drive=_RARE,
        parked=_RARE,
        firmware=_FW_180,
        read=integer,
    ),
    _f(
        "HvacSteeringWheelHeatAuto",
        _CL,
        "climate_state.auto_steering_wheel_heat",
        60,
        drive=_RARE,
        parked=_RARE,
        firmware=_FW_180,
        read=boolean,
    ),
    # Locks, doors, windows, sentry: a few times an awake hour, at once when they change.
    _f(
        "HomelinkNearby",
        _S,
        "vehicle_state.homelink_nearby",
        10,
        drive=2,
        parked=_RARE,
        read=boolean,
    ),
    _f(
        "SpeedLimitMode",
        _S,
        "vehicle_state.speed_limit_mode.active",
        60,
        parked=_RARE,
        read=boolean,
    ),
    _f("Locked", _S, "vehicle_state.locked", 1, drive=0.5, parked=1, read=boolean),
    _f(
        "DoorState",
        _S,
        tuple(f"vehicle_state.{door}" for door in ("df", "dr", "pf", "pr", "ft", "rt")),
        1,
        drive=0.5,
        parked=2,
        read=doors,
    ),
    _f("FdWindow", _S, "vehicle_state.fd_window", 5, drive=_RARE, parked=_RARE, read=window),
    _f("FpWindow", _S, "vehicle_state.fp_window", 5, drive=_RARE, parked=_RARE, read=window),
    _f("RdWindow", _S, "vehicle_state.rd_window", 5, drive=_RARE, parked=_RARE, read=window),
    _f("RpWindow", _S, "vehicle_state.rp_window", 5, drive=_RARE, parked=_RARE, read=window),
    _f("SentryMode", _S, "vehicle_state.sentry_mode", 5, drive=0.1, parked=0.5, read=sentry),
    _f(
        "ValetModeEnabled",
        _S,
        "vehicle_state.valet_mode",
        60,
        drive=_RARE,
        parked=_RARE,
        firmware=_FW_180,
        read=boolean,
    ),
    _f(
        "CurrentLimitMph",
        _S,
        "vehicle_state.speed_limit_mode.current_limit_mph",
        60,
        parked=_RARE,
    ),
    # Tyres: pressures settle as the tyres warm up on the road.
    *(
        _f(f"TpmsPressure{c.title()}", _T, f"vehicle_state.tpms_pressure_{c}", 600, drive=6)
        for c in ("fl", "fr", "rl", "rr")
    ),
    _f(
        "TpmsSoftWarnings",
        _T,
        tuple(f"vehicle_state.tpms_soft_warning_{c}" for c in ("fl", "fr", "rl", "rr")),
        600,
        drive=_RARE,
        parked=_RARE,
        firmware=_FW_180,
        read=ignored,
    ),
    # Software: the installed version, and an update's progress while one runs.
    _f("VehicleName", _SW, "vehicle_state.vehicle_name", 3600, parked=0.01, read=text),
    _f("Version", _SW, "vehicle_state.car_version", 3600, parked=0.01, read=text),
    *(
        _f(
            name,
            _SW,
            f"vehicle_state.software_update.{key}",
            60,
            parked=rate,
            firmware=_FW_180,
            read=read,
        )
        for name, key, rate, read in (
            ("SoftwareUpdateVersion", "version", 0.01, text),
            ("SoftwareUpdateDownloadPercentComplete", "download_perc", 0.5, integer),
            ("SoftwareUpdateInstallationPercentComplete", "install_perc", 0.2, integer),
            (
                "SoftwareUpdateExpectedDurationMinutes",
                "expected_duration_sec",
                0.01,
                minutes_to_seconds,
            ),
            ("SoftwareUpdateScheduledStartTime", "scheduled_time_ms", 0.01, integer),
        )
    ),
    # Media: the track changes every few minutes while driving; elapsed time every interval.
    *(
        _f(
            name,
            _M,
            f"vehicle_state.media_info.{key}",
            interval,
            drive=drive,
            parked=parked,
            firmware=_FW_239,
            read=read,
        )
        for name, key, interval, drive, parked, read in (
            ("MediaPlaybackStatus", "media_playback_status", 5, 2.0, 0.5, media_status),
            ("MediaPlaybackSource", "now_playing_source", 10, 1.0, 0.2, media_source),
            ("MediaAudioVolume", "audio_volume", 5, 2.0, 0.2, number),
            ("MediaNowPlayingTitle", "now_playing_title", 10, 15.0, 1.0, text),
            ("MediaNowPlayingArtist", "now_playing_artist", 10, 15.0, 1.0, text),
            ("MediaNowPlayingAlbum", "now_playing_album", 10, 15.0, 1.0, text),
            ("MediaNowPlayingStation", "now_playing_station", 10, 1.0, 0.2, text),
            # Milliseconds, as in `vehicle_data` (Tesla's field documentation).
            ("MediaNowPlayingDuration", "now_playing_duration", 10, 15.0, 1.0, integer),
            ("MediaNowPlayingElapsed", "now_playing_elapsed", 60, EVERY, 5.0, integer),
        )
    ),
)
BY_NAME: Final[Mapping[str, StreamField]] = {f.name: f for f in FIELDS}
# Every group, ticked by default: the default set feeds every entity streaming can feed.
DEFAULT_GROUPS: Final = tuple(FieldGroup)


def fields_of(groups: Iterable[str]) -> tuple[StreamField, ...]:
    """The table's fields in the chosen groups, in table order."""
    wanted = {FieldGroup(g) for g in groups}
    return tuple(f for f in FIELDS if f.group in wanted)


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """Intervals for the chosen fields and what a typical month of them costs per car."""

    intervals: Mapping[str, int]
    stretch: float
    signals: float

    @property
    def cost(self) -> float:
        """Dollars a typical month per car."""
        return self.signals * PRICE_PER_SIGNAL


def estimate(intervals: Mapping[str, int]) -> float:
    """Signals a typical month per car for these fields and intervals (unknown fields: 0)."""
    return sum(
        BY_NAME[name].monthly_signals(interval)
        for name, interval in intervals.items()
        if name in BY_NAME
    )


def stretched(fields: Iterable[StreamField], stretch: float) -> dict[str, int]:
    """Each field's interval times `stretch`, at most MAX_INTERVAL_S (never below its own)."""
    return {
        f.name: max(f.interval_s, min(MAX_INTERVAL_S, round(f.interval_s * stretch)))
        for f in fields
    }


def plan(groups: Iterable[str], budget: float) -> FieldPlan | None:
    """The shortest intervals whose typical month per car stays within `budget` dollars.

    Intervals grow together (`STRETCH_STEPS`), so the fields keep their relative freshness.
    None: even the longest intervals cost more than the budget (see `cheapest`).
    """
    chosen = fields_of(groups)
    for stretch in STRETCH_STEPS:
        intervals = stretched(chosen, stretch)
        signals = estimate(intervals)
        if signals * PRICE_PER_SIGNAL <= budget + 1e-9:
            return FieldPlan(intervals, stretch, signals)
    return None


def cheapest(groups: Iterable[str]) -> FieldPlan:
    """The chosen fields at the longest intervals a budget may stretch them to."""
    chosen = fields_of(groups)
    intervals = stretched(chosen, STRETCH_STEPS[-1])
    return FieldPlan(intervals, STRETCH_STEPS[-1], estimate(intervals))
