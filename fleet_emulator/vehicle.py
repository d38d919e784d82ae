"""A simulated car: its state, the lazy physics that move it forward, and its sleep model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any
from zoneinfo import ZoneInfo

from .scenario import VehicleSpec

STEP_S = 60.0
CHARGER_VOLTAGE = 240
CHARGE_CURRENT_MAX = 32
CLIMATE_DRAW_KW = 1.5
DRIVE_KWH_PER_MILE = 0.25
CLIMATE_TAU_ON_S = 300.0
CLIMATE_TAU_OFF_S = 3600.0
EARTH_RADIUS_MILES = 3958.8
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
    def charger_power_kw(self) -> float:
        """Power drawn from the charger right now."""
        if not self.charging:
            return 0.0
        return self.charge_amps * CHARGER_VOLTAGE / 1000

    @property
    def charge_amps(self) -> int:
        """Current the car draws while charging."""
        return min(self.charge_current_request, CHARGE_CURRENT_MAX) if self.charging else 0

    @property
    def charging_state(self) -> str:
        """Tesla's charging_state text."""
        if not self.plugged_in:
            return "Disconnected"
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
            or self.charging
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
            scheduled = self._next_scheduled_start()
            if scheduled is not None and scheduled <= self.now:
                # The car wakes itself to start a scheduled charge, once per day.
                self.scheduled_fired = scheduled
                self.wake_now()
                self.charging = True
                self.charge_energy_added = self.charge_miles_added = 0.0
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
            step_end = max(step_end, self.now)
            self._step(step_end - self.now, step_end)
            self.now = step_end
            if self.busy:
                self.touch()
            elif self.now - self.last_activity >= self.idle_sleep_s:
                self.power_state = "asleep"

    def _next_scheduled_start(self) -> float | None:
        """When `set_scheduled_charging` starts charging next (only while it would)."""
        if not (
            self.scheduled_charging_enabled
            and self.plugged_in
            and not self.charging
            and self.battery_level < self.charge_limit_soc
        ):
            return None
        local = datetime.fromtimestamp(self.now, ZoneInfo(self.spec.time_zone))
        start = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            minutes=self.scheduled_charging_time
        )
        if start.timestamp() < self.now or start.timestamp() <= self.scheduled_fired:
            start += timedelta(days=1)
        return start.timestamp()

    def _step(self, dt: float, t_end: float) -> None:
        if dt <= 0:
            if self.drive is not None and t_end >= self.drive.end:
                self._finish_drive()
            return
        if self.charging:
            energy = self.charger_power_kw * dt / 3600
            room = (self.charge_limit_soc - self.battery_level) / 100 * self.spec.battery_kwh
            energy = min(energy, max(0.0, room))
            self.battery_level += energy / self.spec.battery_kwh * 100
            self.charge_energy_added += energy
            self.charge_miles_added += energy / self.spec.battery_kwh * self.spec.range_miles_full
            if self.battery_level >= self.charge_limit_soc - 1e-9:
                self.battery_level = float(self.charge_limit_soc)
                self.charging = False
        if self.climate_on and not self.charging:
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
        self.charging = (
            not self.scheduled_charging_enabled and self.battery_level < self.charge_limit_soc
        )

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

    def summary(self) -> dict[str, Any]:
        """The vehicle object of `/products`, `/vehicles` and `/vehicles/{vin}`."""
        return {
            "id": self.spec.id,
            "vehicle_id": self.spec.vehicle_id,
            "vin": self.vin,
            "color": None,
            "access_type": "OWNER",
            "display_name": self.display_name,
            "option_codes": None,
            "granular_access": {"hide_private": False},
            "tokens": [],
            "state": self.state,
            "in_service": False,
            "id_s": str(self.spec.id),
            "calendar_enabled": True,
            "api_version": 81,
            "backseat_token": None,
            "backseat_token_updated_at": None,
            "command_signing": self.spec.command_signing,
        }
