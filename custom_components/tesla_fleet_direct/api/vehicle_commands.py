"""Every vehicle command as a typed method whose arguments are checked before sending.

Ranges are Tesla's documented ones; a value outside them raises InvalidArgumentError and no
request is made (so no request is billed for a typo).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import IntEnum
from typing import Any, Literal

from .errors import InvalidArgumentError
from .models import CommandResult
from .validation import (
    check_bool,
    check_choice,
    check_coordinates,
    check_int,
    check_minutes,
    check_number,
    check_pin,
    check_text,
)

CHARGE_LIMIT_MIN = 50
CHARGE_LIMIT_MAX = 100
CHARGING_AMPS_MAX = 48  # when the car's own maximum is not known yet
TEMP_MIN_C = 15.0
TEMP_MAX_C = 28.0
SEAT_HEATER_POSITIONS = range(9)  # 0 driver ... 8 third row right
HEAT_LEVEL_MAX = 3
VOLUME_MAX = 11.0
SPEED_LIMIT_MIN_MPH = 50.0
SPEED_LIMIT_MAX_MPH = 120.0
VEHICLE_NAME_MAX = 30
# Navigation text (an address or place shared with the car) after trimming.
DESTINATION_MAX = 1000
# Schedule ids are "datetime in epoch time" (uint64 `id` of ChargeSchedule and
# PreconditionSchedule in teslamotors/vehicle-command pkg/protocol/protobuf/common.proto, and of
# Remove*ScheduleAction in car_server.proto); Tesla's own proxy fills in `time.Now().Unix()`
# when none is given (pkg/proxy/command.go, add_charge_schedule). Unix seconds fit in 32 bits
# until 2106, so anything larger is a mistake, not a schedule.
SCHEDULE_ID_MAX = 2**32 - 1
# Where a navigation destination joins the trip: RemoteNavTripOrder in Tesla's car_server.proto
# (NavigationGpsRequest and NavigationSuperchargerRequest, as extracted in
# Teslemetry/tesla-protocol proto/command/car_server.proto): 0 unknown (the car decides),
# 1 replace, 2 prepend, 3 append.
NAVIGATION_ORDER_MAX = 3
SOFTWARE_UPDATE_MAX_DELAY_S = 7 * 24 * 3600
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class ClimateKeeperMode(IntEnum):
    """`set_climate_keeper_mode` values."""

    OFF = 0
    KEEP = 1
    DOG = 2
    CAMP = 3


class CabinOverheatTemp(IntEnum):
    """`set_cop_temp` values."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2


class SeatCooler(IntEnum):
    """`remote_seat_cooler_request` / `remote_auto_seat_climate_request` positions."""

    FRONT_LEFT = 1
    FRONT_RIGHT = 2


def _days(value: str | int) -> str | int:
    """`days_of_week`: All, Weekdays, comma-separated day names, or a 7-bit mask."""
    if isinstance(value, int) and not isinstance(value, bool):
        return check_int("days_of_week", value, 0, 127)
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",")]
        if value in ("All", "Weekdays") or (names and all(name in WEEKDAYS for name in names)):
            return value
    return check_choice("days_of_week", value, ("All", "Weekdays", *WEEKDAYS))


class VehicleCommands(ABC):
    """The typed command surface; subclasses provide `command` (plain or signed)."""

    @abstractmethod
    async def command(self, name: str, params: Mapping[str, Any] | None = None) -> CommandResult:
        """Send one command by its REST name."""

    def charging_amps_limit(self) -> int:
        """The most amps `set_charging_amps` accepts (the car's maximum once known)."""
        return CHARGING_AMPS_MAX

    # --- doors, lights, horn ----------------------------------------------------------------

    async def door_lock(self) -> CommandResult:
        """Lock the car."""
        return await self.command("door_lock")

    async def door_unlock(self) -> CommandResult:
        """Unlock the car."""
        return await self.command("door_unlock")

    async def honk_horn(self) -> CommandResult:
        """Honk once."""
        return await self.command("honk_horn")

    async def flash_lights(self) -> CommandResult:
        """Flash the headlights."""
        return await self.command("flash_lights")

    async def remote_start_drive(self) -> CommandResult:
        """Allow keyless driving for two minutes."""
        return await self.command("remote_start_drive")

    async def actuate_trunk(self, which_trunk: Literal["front", "rear"]) -> CommandResult:
        """Open the frunk, or open/close the rear trunk."""
        which = check_choice("which_trunk", which_trunk, ("front", "rear"))
        return await self.command("actuate_trunk", {"which_trunk": which})

    async def window_control(
        self, command: Literal["vent", "close"], lat: float | None = None, lon: float | None = None
    ) -> CommandResult:
        """Vent or close all windows; closing needs a position near the car.

        Tesla checks the position only when closing ("lat and lon ... must be near the current
        location of the car for close operation to succeed", Fleet API docs, window_control).
        """
        action = check_choice("command", command, ("vent", "close"))
        params: dict[str, Any] = {"command": action}
        if lat is not None or lon is not None or action == "close":
            params["lat"], params["lon"] = check_coordinates(lat, lon)
        return await self.command("window_control", params)

    async def sun_roof_control(self, state: Literal["stop", "close", "vent"]) -> CommandResult:
        """Move the sunroof."""
        return await self.command(
            "sun_roof_control", {"state": check_choice("state", state, ("stop", "close", "vent"))}
        )

    async def trigger_homelink(
        self, lat: float, lon: float, token: str | None = None
    ) -> CommandResult:
        """Open the garage door HomeLink knows near this position."""
        latitude, longitude = check_coordinates(lat, lon)
        params: dict[str, Any] = {"lat": latitude, "lon": longitude}
        if token is not None:
            params["token"] = token
        return await self.command("trigger_homelink", params)

    # --- charging ---------------------------------------------------------------------------

    async def charge_port_door_open(self) -> CommandResult:
        """Open (and unlatch) the charge port."""
        return await self.command("charge_port_door_open")

    async def charge_port_door_close(self) -> CommandResult:
        """Close the charge port."""
        return await self.command("charge_port_door_close")

    async def charge_start(self) -> CommandResult:
        """Start charging."""
        return await self.command("charge_start")

    async def charge_stop(self) -> CommandResult:
        """Stop charging."""
        return await self.command("charge_stop")

    async def charge_standard(self) -> CommandResult:
        """Charge limit to standard (90 %)."""
        return await self.command("charge_standard")

    async def charge_max_range(self) -> CommandResult:
        """Charge limit to maximum range (100 %)."""
        return await self.command("charge_max_range")

    async def set_charge_limit(self, percent: int) -> CommandResult:
        """Charge limit, 50-100 %."""
        value = check_int("percent", percent, CHARGE_LIMIT_MIN, CHARGE_LIMIT_MAX)
        return await self.command("set_charge_limit", {"percent": value})

    async def set_charging_amps(self, charging_amps: int) -> CommandResult:
        """Charging current, 0 to the car's maximum (48 A until the car has said)."""
        value = check_int("charging_amps", charging_amps, 0, self.charging_amps_limit())
        return await self.command("set_charging_amps", {"charging_amps": value})

    async def set_scheduled_charging(self, enable: bool, time: int = 0) -> CommandResult:
        """Legacy: start charging at `time` minutes after midnight (before firmware 2024.26)."""
        params: dict[str, Any] = {"enable": check_bool("enable", enable)}
        params["time"] = check_minutes("time", time) if enable else 0
        return await self.command("set_scheduled_charging", params)

    async def set_scheduled_departure(
        self,
        enable: bool,
        departure_time: int = 0,
        *,
        preconditioning_enabled: bool = False,
        preconditioning_weekdays_only: bool = False,
        off_peak_charging_enabled: bool = False,
        off_peak_charging_weekdays_only: bool = False,
        end_off_peak_time: int = 0,
    ) -> CommandResult:
        """Legacy: departure time with preconditioning / off-peak charging."""
        return await self.command(
            "set_scheduled_departure",
            {
                "enable": check_bool("enable", enable),
                "departure_time": check_minutes("departure_time", departure_time),
                "preconditioning_enabled": check_bool(
                    "preconditioning_enabled", preconditioning_enabled
                ),
                "preconditioning_weekdays_only": check_bool(
                    "preconditioning_weekdays_only", preconditioning_weekdays_only
                ),
                "off_peak_charging_enabled": check_bool(
                    "off_peak_charging_enabled", off_peak_charging_enabled
                ),
                "off_peak_charging_weekdays_only": check_bool(
                    "off_peak_charging_weekdays_only", off_peak_charging_weekdays_only
                ),
                "end_off_peak_time": check_minutes("end_off_peak_time", end_off_peak_time),
            },
        )

    async def add_charge_schedule(
        self,
        *,
        days_of_week: str | int,
        enabled: bool,
        lat: float,
        lon: float,
        start_time: int | None = None,
        end_time: int | None = None,
        one_time: bool = False,
        schedule_id: int | None = None,
        name: str | None = None,
    ) -> CommandResult:
        """Add (or, with `schedule_id`, replace) a charge schedule; needs a start or an end."""
        if start_time is None and end_time is None:
            raise InvalidArgumentError("a charge schedule needs a start_time or an end_time")
        latitude, longitude = check_coordinates(lat, lon)
        params: dict[str, Any] = {
            "days_of_week": _days(days_of_week),
            "enabled": check_bool("enabled", enabled),
            "start_enabled": start_time is not None,
            "end_enabled": end_time is not None,
            "start_time": 0 if start_time is None else check_minutes("start_time", start_time),
            "end_time": 0 if end_time is None else check_minutes("end_time", end_time),
            "one_time": check_bool("one_time", one_time),
            "lat": latitude,
            "lon": longitude,
        }
        if schedule_id is not None:
            params["id"] = check_int("id", schedule_id, 0, SCHEDULE_ID_MAX)
        if name is not None:
            params["name"] = name
        return await self.command("add_charge_schedule", params)

    async def remove_charge_schedule(self, schedule_id: int) -> CommandResult:
        """Remove a charge schedule by id."""
        return await self.command(
            "remove_charge_schedule", {"id": check_int("id", schedule_id, 0, SCHEDULE_ID_MAX)}
        )

    async def add_precondition_schedule(
        self,
        *,
        days_of_week: str | int,
        enabled: bool,
        precondition_time: int,
        lat: float,
        lon: float,
        one_time: bool = False,
        schedule_id: int | None = None,
        name: str | None = None,
    ) -> CommandResult:
        """Add (or replace) a preconditioning schedule."""
        latitude, longitude = check_coordinates(lat, lon)
        params: dict[str, Any] = {
            "days_of_week": _days(days_of_week),
            "enabled": check_bool("enabled", enabled),
            "precondition_time": check_minutes("precondition_time", precondition_time),
            "one_time": check_bool("one_time", one_time),
            "lat": latitude,
            "lon": longitude,
        }
        if schedule_id is not None:
            params["id"] = check_int("id", schedule_id, 0, SCHEDULE_ID_MAX)
        if name is not None:
            params["name"] = name
        return await self.command("add_precondition_schedule", params)

    async def remove_precondition_schedule(self, schedule_id: int) -> CommandResult:
        """Remove a preconditioning schedule by id."""
        return await self.command(
            "remove_precondition_schedule", {"id": check_int("id", schedule_id, 0, SCHEDULE_ID_MAX)}
        )

    # --- climate ----------------------------------------------------------------------------

    async def auto_conditioning_start(self) -> CommandResult:
        """Start climate control."""
        return await self.command("auto_conditioning_start")

    async def auto_conditioning_stop(self) -> CommandResult:
        """Stop climate control."""
        return await self.command("auto_conditioning_stop")

    async def set_temps(
        self, driver_temp: float, passenger_temp: float | None = None
    ) -> CommandResult:
        """Cabin temperatures in °C (15-28); the passenger side follows the driver if omitted."""
        driver = check_number("driver_temp", driver_temp, TEMP_MIN_C, TEMP_MAX_C)
        passenger = (
            driver
            if passenger_temp is None
            else check_number("passenger_temp", passenger_temp, TEMP_MIN_C, TEMP_MAX_C)
        )
        return await self.command("set_temps", {"driver_temp": driver, "passenger_temp": passenger})

    async def set_preconditioning_max(self, on: bool) -> CommandResult:
        """Defrost (maximum preconditioning)."""
        return await self.command("set_preconditioning_max", {"on": check_bool("on", on)})

    async def set_climate_keeper_mode(self, mode: ClimateKeeperMode | int) -> CommandResult:
        """Off, keep, dog or camp mode."""
        value = check_int("climate_keeper_mode", int(mode), 0, len(ClimateKeeperMode) - 1)
        return await self.command("set_climate_keeper_mode", {"climate_keeper_mode": value})

    async def set_cabin_overheat_protection(
        self, on: bool, *, fan_only: bool = False
    ) -> CommandResult:
        """Cabin overheat protection on (optionally fan only) or off."""
        return await self.command(
            "set_cabin_overheat_protection",
            {"on": check_bool("on", on), "fan_only": check_bool("fan_only", fan_only)},
        )

    async def set_cop_temp(self, cop_temp: CabinOverheatTemp | int) -> CommandResult:
        """Temperature at which cabin overheat protection starts (low, medium, high)."""
        value = check_int("cop_temp", int(cop_temp), 0, len(CabinOverheatTemp) - 1)
        return await self.command("set_cop_temp", {"cop_temp": value})

    async def remote_seat_heater_request(self, seat_position: int, level: int) -> CommandResult:
        """Seat heater (positions 0-8) to level 0-3."""
        position = check_int(
            "seat_position",
            seat_position,
            SEAT_HEATER_POSITIONS.start,
            SEAT_HEATER_POSITIONS.stop - 1,
        )
        value = check_int("level", level, 0, HEAT_LEVEL_MAX)
        return await self.command(
            "remote_seat_heater_request", {"seat_position": position, "level": value}
        )

    async def remote_seat_cooler_request(
        self, seat_position: SeatCooler | int, seat_cooler_level: int
    ) -> CommandResult:
        """Front seat ventilation (1 left, 2 right) to level 0-3."""
        position = check_choice("seat_position", int(seat_position), (1, 2))
        value = check_int("seat_cooler_level", seat_cooler_level, 0, HEAT_LEVEL_MAX)
        return await self.command(
            "remote_seat_cooler_request",
            {"seat_position": position, "seat_cooler_level": value},
        )

    async def remote_auto_seat_climate_request(
        self, auto_seat_position: SeatCooler | int, auto_climate_on: bool
    ) -> CommandResult:
        """Automatic seat climate for a front seat."""
        position = check_choice("auto_seat_position", int(auto_seat_position), (1, 2))
        return await self.command(
            "remote_auto_seat_climate_request",
            {
                "auto_seat_position": position,
                "auto_climate_on": check_bool("auto_climate_on", auto_climate_on),
            },
        )

    async def remote_steering_wheel_heater_request(self, on: bool) -> CommandResult:
        """Steering wheel heater on/off."""
        return await self.command(
            "remote_steering_wheel_heater_request", {"on": check_bool("on", on)}
        )

    async def remote_steering_wheel_heat_level_request(self, level: int) -> CommandResult:
        """Steering wheel heat level: 0 off, 1 low, 2 high.

        Tesla's three levels (vehicle-command common.proto StwHeatLevel), numbered as HA core's
        tesla_fleet select and python-tesla-fleet-api send them.
        """
        return await self.command(
            "remote_steering_wheel_heat_level_request",
            {"level": check_choice("level", level, (0, 1, 2))},
        )

    async def remote_auto_steering_wheel_heat_climate_request(self, on: bool) -> CommandResult:
        """Automatic steering wheel heat."""
        return await self.command(
            "remote_auto_steering_wheel_heat_climate_request", {"on": check_bool("on", on)}
        )

    # --- security and modes -----------------------------------------------------------------

    async def set_sentry_mode(self, on: bool) -> CommandResult:
        """Sentry mode on/off."""
        return await self.command("set_sentry_mode", {"on": check_bool("on", on)})

    async def set_valet_mode(self, on: bool, password: str | None = None) -> CommandResult:
        """Valet mode, optionally protected by a four-digit PIN."""
        params: dict[str, Any] = {"on": check_bool("on", on)}
        if password is not None:
            params["password"] = check_pin("password", password)
        return await self.command("set_valet_mode", params)

    async def set_pin_to_drive(self, on: bool, password: str | None = None) -> CommandResult:
        """PIN to drive; turning it on needs the four-digit PIN."""
        params: dict[str, Any] = {"on": check_bool("on", on)}
        if on or password is not None:
            params["password"] = check_pin("password", password)
        return await self.command("set_pin_to_drive", params)

    async def speed_limit_activate(self, pin: str) -> CommandResult:
        """Turn speed limit mode on."""
        return await self.command("speed_limit_activate", {"pin": check_pin("pin", pin)})

    async def speed_limit_deactivate(self, pin: str) -> CommandResult:
        """Turn speed limit mode off."""
        return await self.command("speed_limit_deactivate", {"pin": check_pin("pin", pin)})

    async def speed_limit_clear_pin(self, pin: str) -> CommandResult:
        """Forget the speed limit PIN."""
        return await self.command("speed_limit_clear_pin", {"pin": check_pin("pin", pin)})

    async def speed_limit_set_limit(self, limit_mph: float) -> CommandResult:
        """Speed limit, 50-120 mph."""
        value = check_number("limit_mph", limit_mph, SPEED_LIMIT_MIN_MPH, SPEED_LIMIT_MAX_MPH)
        return await self.command("speed_limit_set_limit", {"limit_mph": value})

    async def guest_mode(self, enable: bool) -> CommandResult:
        """Guest mode on/off."""
        return await self.command("guest_mode", {"enable": check_bool("enable", enable)})

    # --- media ------------------------------------------------------------------------------

    async def remote_boombox(self, sound: Literal[0, 2000] = 2000) -> CommandResult:
        """Play a sound through the external speaker (0 fart, 2000 locate ping)."""
        return await self.command(
            "remote_boombox", {"sound": check_choice("sound", sound, (0, 2000))}
        )

    async def media_toggle_playback(self) -> CommandResult:
        """Play/pause."""
        return await self.command("media_toggle_playback")

    async def media_next_track(self) -> CommandResult:
        """Next track."""
        return await self.command("media_next_track")

    async def media_prev_track(self) -> CommandResult:
        """Previous track."""
        return await self.command("media_prev_track")

    async def media_next_fav(self) -> CommandResult:
        """Next saved favourite."""
        return await self.command("media_next_fav")

    async def media_prev_fav(self) -> CommandResult:
        """Previous saved favourite."""
        return await self.command("media_prev_fav")

    async def adjust_volume(self, volume: float) -> CommandResult:
        """Media volume, 0-11."""
        return await self.command(
            "adjust_volume", {"volume": check_number("volume", volume, 0.0, VOLUME_MAX)}
        )

    # --- navigation -------------------------------------------------------------------------

    async def navigation_request(
        self, destination: str, *, locale: str = "en-US", timestamp_ms: int | None = None
    ) -> CommandResult:
        """Send an address or place text to the car's navigation."""
        text = check_text("destination", destination, max_length=DESTINATION_MAX)
        params: dict[str, Any] = {
            "type": "share_ext_content_raw",
            "value": {"android.intent.extra.TEXT": text},
            "locale": locale,
        }
        if timestamp_ms is not None:
            params["timestamp_ms"] = str(check_int("timestamp_ms", timestamp_ms, 0, 2**63))
        return await self.command("navigation_request", params)

    async def navigation_gps_request(self, lat: float, lon: float, order: int = 0) -> CommandResult:
        """Navigate to a position."""
        latitude, longitude = check_coordinates(lat, lon)
        return await self.command(
            "navigation_gps_request",
            {
                "lat": latitude,
                "lon": longitude,
                "order": check_int("order", order, 0, NAVIGATION_ORDER_MAX),
            },
        )

    async def navigation_sc_request(self, supercharger_id: int, order: int = 0) -> CommandResult:
        """Navigate to a Supercharger by its id."""
        return await self.command(
            "navigation_sc_request",
            {
                "id": check_int("id", supercharger_id, 0, 2**31),
                "order": check_int("order", order, 0, NAVIGATION_ORDER_MAX),
            },
        )

    # --- software and identity --------------------------------------------------------------

    async def schedule_software_update(self, offset_sec: int) -> CommandResult:
        """Install the waiting update after `offset_sec` seconds (at most a week)."""
        value = check_int("offset_sec", offset_sec, 0, SOFTWARE_UPDATE_MAX_DELAY_S)
        return await self.command("schedule_software_update", {"offset_sec": value})

    async def cancel_software_update(self) -> CommandResult:
        """Cancel a scheduled update."""
        return await self.command("cancel_software_update")

    async def set_vehicle_name(self, vehicle_name: str) -> CommandResult:
        """Rename the car (1-30 characters)."""
        name = check_text("vehicle_name", vehicle_name, max_length=VEHICLE_NAME_MAX)
        return await self.command("set_vehicle_name", {"vehicle_name": name})
