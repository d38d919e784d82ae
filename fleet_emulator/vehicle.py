"""A simulated car: its state, the lazy physics that move it forward, and its sleep model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any
from zoneinfo import ZoneInfo

from .scenario import VehicleSpec
from .vehicle_profiles import PROFILES, VehicleProfile

STEP_S = 60.0
CHARGER_VOLTAGE = 240
# What Tesla reports for a cable that is in but carries no current (model3_teslatte_2023-11-11.json).
IDLE_CHARGER_VOLTAGE = 2
CHARGE_CURRENT_MAX = 32
CLIMATE_DRAW_KW = 1.5
DRIVE_KWH_PER_MILE = 0.25
CLIMATE_TAU_ON_S = 300.0
CLIMATE_TAU_OFF_S = 3600.0
EARTH_RADIUS_MILES = 3958.8
# Tesla's user id for the account (the same on every car of it).
ACCOUNT_USER_ID = 800001
# Average speed the emulated navigation assumes for its arrival estimate.
ROUTE_MPH = 35.0
# Seat positions of remote_seat_heater_request -> climate_state field.
SEAT_HEATERS = {
    0: "seat_heater_left",
    1: "seat_heater_right",
    2: "seat_heater_rear_left",
    3: "seat_heater_rear_left_back",
    4: "seat_heater_rear_center",
    5: "seat_heater_rear_right",
    6: "seat_heater_rear_right_back",
    7: "seat_heater_third_row_left",
    8: "seat_heater_third_row_right",
}
CLIMATE_KEEPER_MODES = ("off", "keep", "dog", "camp")
COP_TEMPS = ("Low", "Medium", "High")


def miles_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in miles."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def bearing(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Compass heading from a to b, degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return int((math.degrees(math.atan2(y, x)) + 360) % 360)


@dataclass
class Drive:
    """A trip in progress: straight line from origin to destination at constant speed."""

    start: float
    end: float
    origin: tuple[float, float]
    destination: tuple[float, float]

    @property
    def miles(self) -> float:
        """Trip length."""
        return miles_between(self.origin, self.destination)

    def position(self, t: float) -> tuple[float, float]:
        """Where the car is at time t."""
        share = min(1.0, max(0.0, (t - self.start) / max(1.0, self.end - self.start)))
        return (
            self.origin[0] + (self.destination[0] - self.origin[0]) * share,
            self.origin[1] + (self.destination[1] - self.origin[1]) * share,
        )


@dataclass
class Vehicle:
    """One car. Attributes are the simulation's truth; `vehicle_data()` renders Tesla's JSON."""

    spec: VehicleSpec
    now: float
    # Sleep model
    power_state: str = "online"
    last_activity: float = 0.0
    waking_until: float | None = None
    connectivity: bool = True
    sleep_model: str = "strict"
    idle_sleep_s: float = 900.0
    wake_delay_s: float = 15.0
    # Identity
    display_name: str = ""
    # Charging
    battery_level: float = 50.0
    charge_limit_soc: int = 80
    plugged_in: bool = False
    charging: bool = False
    charge_port_door_open: bool = False
    charge_current_request: int = CHARGE_CURRENT_MAX
    # When the current charge session began (Tesla reports "Starting" for a few seconds first).
    charge_started_at: float = -math.inf
    # False while the charger the car is plugged into has no power (Tesla: "NoPower").
    charger_powered: bool = True
    charge_energy_added: float = 0.0
    charge_miles_added: float = 0.0
    scheduled_charging_enabled: bool = False
    scheduled_charging_time: int = 0
    scheduled_fired: float = 0.0
    scheduled_departure: dict[str, Any] = field(default_factory=dict)
    charge_schedules: list[dict[str, Any]] = field(default_factory=list)
    precondition_schedules: list[dict[str, Any]] = field(default_factory=list)
    # Climate
    inside_temp: float = 21.0
    outside_temp: float = 15.0
    driver_temp_setting: float = 21.0
    passenger_temp_setting: float = 21.0
    climate_on: bool = False
    defrost_max: bool = False
    climate_keeper_mode: str = "off"
    bioweapon_mode: bool = False
    cabin_overheat_protection: str = "On"
    cop_temp: str = "High"
    seat_heaters: dict[int, int] = field(default_factory=dict)
    seat_coolers: dict[int, int] = field(default_factory=dict)
    auto_seat_climate: dict[int, bool] = field(default_factory=dict)
    steering_wheel_heater: bool = False
    steering_wheel_heat_level: int = 0
    auto_steering_wheel_heat: bool = False
    # Closures
    locked: bool = True
    windows_vented: bool = False
    frunk_open: bool = False
    trunk_open: bool = False
    sun_roof_state: str = "closed"
    # Driving and location
    latitude: float = 0.0
    longitude: float = 0.0
    heading: int = 0
    odometer: float = 0.0
    drive: Drive | None = None
    destination: dict[str, Any] | None = None
    # Vehicle state
    sentry_mode: bool = False
    valet_mode: bool = False
    valet_pin: str | None = None
    user_present_until: float = 0.0
    remote_start_until: float = 0.0
    speed_limit_active: bool = False
    speed_limit_mph: float = 85.0
    speed_limit_pin: str | None = None
    pin_to_drive: bool = False
    guest_mode: bool = False
    media_volume: float = 3.0
    media_playing: bool = False
    media_track: int = 0
    media_favorite: int = 0
    software_update_status: str = "available"
    software_update_at: float | None = None
    # Things with no lasting state, counted so tests can see they happened.
    horn_honks: int = 0
    light_flashes: int = 0
    boombox_plays: int = 0
    homelink_triggers: int = 0

    @classmethod
    def from_spec(cls, spec: VehicleSpec, now: float) -> Vehicle:
        """A car as the scenario describes it, its idle timer starting now."""
        return cls(
            spec=spec,
            now=now,
            power_state="asleep" if spec.asleep_at_start else "online",
            last_activity=now,
            connectivity=spec.connectivity,
            sleep_model=spec.sleep_model,
            idle_sleep_s=spec.idle_sleep_s,
            wake_delay_s=spec.wake_delay_s,
            display_name=spec.display_name,
            battery_level=spec.battery_level,
            charge_limit_soc=spec.charge_limit_soc,
            plugged_in=spec.plugged_in,
            charging=spec.plugged_in and spec.battery_level < spec.charge_limit_soc,
            charge_port_door_open=spec.plugged_in,
            inside_temp=spec.inside_temp,
            outside_temp=spec.outside_temp,
            latitude=spec.latitude,
            longitude=spec.longitude,
            odometer=spec.odometer,
        )

    # --- derived values ------------------------------------------------------------------

    @property
    def vin(self) -> str:
        """The car's VIN."""
        return self.spec.vin

    @property
    def state(self) -> str:
        """What `GET /vehicles/{vin}` reports: online, asleep or offline."""
        if not self.connectivity:
            return "offline"
        if self.power_state == "asleep" and self.spec.asleep_reads_offline:
            return "offline"
        return self.power_state

    @property
    def online(self) -> bool:
        """Whether the car answers data requests and commands."""
        return self.state == "online"

    @property
    def profile(self) -> VehicleProfile:
        """The model's answer shape (keys per section, fixed values, what it is fitted with)."""
        return PROFILES[self.spec.model]

    @property
    def charge_starting(self) -> bool:
        """The session has begun but the charger has not yet delivered current."""
        return (
            self.charging
            and self.charger_powered
            and self.now < self.charge_started_at + self.spec.charge_start_delay_s
        )

    @property
    def delivering(self) -> bool:
        """Current flows into the battery."""
        return self.charging and self.charger_powered and not self.charge_starting

    @property
    def charger_power_kw(self) -> float:
        """Power drawn from the charger right now."""
        if not self.delivering:
            return 0.0
        return self.charge_amps * CHARGER_VOLTAGE / 1000

    @property
    def charge_amps(self) -> int:
        """Current the car draws while charging."""
        return min(self.charge_current_request, CHARGE_CURRENT_MAX) if self.delivering else 0

    @property
    def charger_voltage(self) -> int:
        """Voltage the car sees on the cable."""
        if not self.plugged_in or not self.charger_powered:
            return 0
        return CHARGER_VOLTAGE if self.delivering else IDLE_CHARGER_VOLTAGE

    @property
    def charging_state(self) -> str:
        """Tesla's charging_state text.

        Tesla's values (HA core homeassistant/components/tesla_fleet/sensor.py CHARGE_STATES):
        Disconnected, NoPower (the charger gives nothing), Starting (session negotiating),
        Charging, Complete, Stopped.
        """
        if not self.plugged_in:
            return "Disconnected"
        if self.charging and not self.charger_powered:
            return "NoPower"
        if self.charge_starting:
            return "Starting"
        if self.charging:
            return "Charging"
        if self.battery_level >= self.charge_limit_soc:
            return "Complete"
        return "Stopped"

    @property
    def miles_per_percent(self) -> float:
        """Rated range per percent of battery."""
        return self.spec.range_miles_full / 100

    @property
    def user_present(self) -> bool:
        """Someone is in the car."""
        return self.user_present_until > self.now

    @property
    def busy(self) -> bool:
        """Anything that keeps a car awake regardless of requests."""
        return (
            self.drive is not None
            or (self.charging and self.charger_powered)
            or self.user_present
            or self.sentry_mode
            or self.climate_on
            or self.remote_start_until > self.now
        )

    # --- activity and sleep --------------------------------------------------------------

    def touch(self) -> None:
        """Something kept the car busy now (a command, a strict-model data request)."""
        self.last_activity = self.now

    def note_data_request(self) -> None:
        """The strict sleep model counts data requests as activity; the modern one does not."""
        if self.sleep_model == "strict":
            self.touch()

    def wake_up(self) -> None:
        """`wake_up`: an asleep car comes online after its wake delay; offline cars stay."""
        if not self.connectivity:
            return
        if self.power_state == "online":
            self.touch()
        elif self.waking_until is None:
            self.waking_until = self.now + self.wake_delay_s

    def wake_now(self) -> None:
        """The car woke itself (someone got in, plugged in, drove off)."""
        self.power_state = "online"
        self.waking_until = None
        self.touch()

    def set_connectivity(self, connected: bool) -> None:
        """Lose or regain the car's mobile connection."""
        self.connectivity = connected
        if connected:
            self.wake_now()

    # --- simulation ----------------------------------------------------------------------

    def advance(self, until: float) -> None:
        """Run the physics from `self.now` to `until` in small steps."""
        while self.now < until:
            scheduled = self.next_scheduled_start()
            if scheduled is not None and scheduled <= self.now:
                # The car wakes itself to start a scheduled charge, once per day.
                self.scheduled_fired = scheduled
                self.wake_now()
                self.begin_charging()
                continue
            if self.power_state != "online":
                if scheduled is not None and scheduled <= until:
                    self._cool_down(scheduled - self.now)
                    self.now = scheduled
                    continue
                if self.waking_until is not None and self.waking_until <= until:
                    self.now = max(self.now, self.waking_until)
                    self.power_state = "online"
                    self.waking_until = None
                    self.touch()
                    continue
                # Asleep and nothing happening: nothing changes, jump.
                self._cool_down(until - self.now)
                self.now = until
                return
            step_end = min(until, self.now + STEP_S)
            if self.drive is not None:
                step_end = min(step_end, self.drive.end)
            if not self.busy:
                step_end = min(step_end, self.last_activity + self.idle_sleep_s)
            if scheduled is not None:
                step_end = min(step_end, scheduled)
            if self.charge_starting:
                step_end = min(step_end, self.charge_started_at + self.spec.charge_start_delay_s)
            step_end = max(step_end, self.now)
            self._step(step_end - self.now, step_end)
            self.now = step_end
            if self.busy:
                self.touch()
            elif self.now - self.last_activity >= self.idle_sleep_s:
                self.power_state = "asleep"

    def next_scheduled_start(self) -> float | None:
        """When `set_scheduled_charging` starts charging next (only while it would)."""
        if not (
            self.scheduled_charging_enabled
            and self.plugged_in
            and not self.charging
            and self.battery_level < self.charge_limit_soc
        ):
            return None
        start = self.next_local_time(self.scheduled_charging_time, allow_now=True)
        if start <= self.scheduled_fired:
            start = self.next_local_time(self.scheduled_charging_time, after=start)
        return start

    def next_local_time(
        self, minutes: int, *, allow_now: bool = False, after: float | None = None
    ) -> float:
        """Epoch of the next `minutes` after local midnight (now counts when `allow_now`)."""
        after = self.now if after is None else after
        local = datetime.fromtimestamp(after, ZoneInfo(self.spec.time_zone))
        moment = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            minutes=minutes
        )
        if moment.timestamp() < after or (moment.timestamp() == after and not allow_now):
            moment += timedelta(days=1)
        return moment.timestamp()

    def _step(self, dt: float, t_end: float) -> None:
        if dt <= 0:
            if self.drive is not None and t_end >= self.drive.end:
                self._finish_drive()
            return
        if self.delivering:
            energy = self.charger_power_kw * dt / 3600
            room = (self.charge_limit_soc - self.battery_level) / 100 * self.spec.battery_kwh
            energy = min(energy, max(0.0, room))
            self.battery_level += energy / self.spec.battery_kwh * 100
            self.charge_energy_added += energy
            self.charge_miles_added += energy / self.spec.battery_kwh * self.spec.range_miles_full
            if self.battery_level >= self.charge_limit_soc - 1e-9:
                self.battery_level = float(self.charge_limit_soc)
                self.charging = False
        if self.climate_on and not self.delivering:
            self._drain(CLIMATE_DRAW_KW * dt / 3600)
        if self.drive is not None:
            before = (self.latitude, self.longitude)
            self.latitude, self.longitude = self.drive.position(t_end)
            miles = miles_between(before, (self.latitude, self.longitude))
            self.odometer += miles
            self._drain(miles * DRIVE_KWH_PER_MILE)
            if t_end >= self.drive.end:
                self._finish_drive()
        target = self.outside_temp
        tau = CLIMATE_TAU_OFF_S
        if self.climate_on:
            target = 28.0 if self.defrost_max else self.driver_temp_setting
            tau = CLIMATE_TAU_ON_S
        self.inside_temp += (target - self.inside_temp) * (1 - math.exp(-dt / tau))

    def _cool_down(self, dt: float) -> None:
        self.inside_temp += (self.outside_temp - self.inside_temp) * (
            1 - math.exp(-dt / CLIMATE_TAU_OFF_S)
        )

    def _drain(self, kwh: float) -> None:
        self.battery_level = max(0.0, self.battery_level - kwh / self.spec.battery_kwh * 100)

    def _finish_drive(self) -> None:
        if self.drive is not None:
            self.latitude, self.longitude = self.drive.destination
            self.drive = None
            self.destination = None

    # --- scheduled events ----------------------------------------------------------------

    def start_drive(self, destination: tuple[float, float], until: float) -> None:
        """Leave for `destination`, arriving at `until` (unplugs first, like a driver would)."""
        self.wake_now()
        self.unplug()
        origin = (self.latitude, self.longitude)
        self.heading = bearing(origin, destination)
        self.drive = Drive(self.now, until, origin, destination)
        self.destination = {"latitude": destination[0], "longitude": destination[1]}

    def plug_in(self) -> None:
        """Cable in: charging starts unless full or a charging schedule holds it."""
        self.wake_now()
        self.plugged_in = True
        self.charge_port_door_open = True
        self.charge_energy_added = 0.0
        self.charge_miles_added = 0.0
        self.charging = False
        if not self.scheduled_charging_enabled and self.battery_level < self.charge_limit_soc:
            self.begin_charging()

    def begin_charging(self) -> None:
        """A charge session starts now (Tesla shows "Starting" until current flows)."""
        self.charging = True
        self.charge_started_at = self.now
        self.charge_energy_added = 0.0
        self.charge_miles_added = 0.0

    def set_charger_power(self, powered: bool) -> None:
        """The charger loses or regains its supply (a wall connector in a power cut)."""
        if powered and not self.charger_powered and self.charging:
            self.charge_started_at = self.now
        self.charger_powered = powered
        if powered and self.plugged_in:
            self.wake_now()

    def unplug(self) -> None:
        """Cable out: charging ends, the port door closes behind it."""
        self.plugged_in = False
        self.charging = False
        self.charge_port_door_open = False

    def user_enters(self, until: float) -> None:
        """Someone sits in the car until `until`."""
        self.wake_now()
        self.user_present_until = until
        self.locked = False

    # --- Tesla's JSON --------------------------------------------------------------------

    def route(self) -> dict[str, Any] | None:
        """The `active_route_*` fields while a destination is set, else None."""
        if self.destination is None:
            return None
        target = (self.destination["latitude"], self.destination["longitude"])
        miles = miles_between((self.latitude, self.longitude), target)
        return {
            "active_route_destination": self.destination.get("name", "Destination"),
            "active_route_latitude": target[0],
            "active_route_longitude": target[1],
            "active_route_miles_to_arrival": round(miles, 6),
            "active_route_minutes_to_arrival": round(miles / ROUTE_MPH * 60, 6),
            "active_route_traffic_minutes_delay": 0.0,
        }

    def _identity(self) -> dict[str, Any]:
        return {
            "id": self.spec.id,
            "vehicle_id": self.spec.vehicle_id,
            "vin": self.vin,
            "color": None,
            "access_type": "OWNER",
            "granular_access": {"hide_private": False},
            "tokens": [],
            "state": self.state,
            "in_service": False,
            "id_s": str(self.spec.id),
            "calendar_enabled": True,
            "api_version": self.profile.api_version,
            "backseat_token": None,
            "backseat_token_updated_at": None,
        }

    def summary(self) -> dict[str, Any]:
        """The vehicle object of `/vehicles`, `/vehicles/{vin}` and `wake_up`.

        Keys as Tesla's Fleet API reference shows them (vehicles_tesla_fleet_api_docs.json), plus
        `command_signing`, which real `/products` answers carry (products_teslatte_*.json).
        """
        return {
            **self._identity(),
            "display_name": self.display_name,
            "option_codes": None,
            "command_signing": self.spec.command_signing,
        }

    def product(self) -> dict[str, Any]:
        """The car's entry in `/products` (keys as in products_teslatte_*.json)."""
        entry: dict[str, Any] = {
            **self._identity(),
            "user_id": ACCOUNT_USER_ID,
            "display_name": self.display_name,
            "option_codes": None,
            "cached_data": "",
            "ble_autopair_enrolled": False,
            "command_signing": self.spec.command_signing,
            "release_notes_supported": True,
            "vehicle_config": dict(self.profile.vehicle_config),
        }
        return {key: value for key, value in entry.items() if key in self.profile.product}

    def data_envelope(self) -> dict[str, Any]:
        """The top of a `vehicle_data` answer (since 2023 without display_name or option_codes)."""
        return {**self._identity(), "user_id": ACCOUNT_USER_ID, "ble_autopair_enrolled": False}
