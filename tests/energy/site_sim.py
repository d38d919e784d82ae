"""A simulated Powerwall site (battery, solar, grid, wall connectors) and its Fleet API answers.

The simulation is lazy like the rest of the emulator: every read brings the site up to the
clock's `now()` in five-minute steps, so tests move virtual time and nothing runs in the
background. Energy flows are booked into hourly buckets as they are simulated, which is what
`calendar_history` answers from; history therefore always agrees with the live values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import math
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

type Clock = Callable[[], float]

STEP_SECONDS = 300
HOUR = 3600
# Sites come with this much simulated past, so a first set-up has history to backfill.
HISTORY_SECONDS = 35 * 86400

HISTORY_FIELDS = (
    "solar_energy_exported",
    "grid_energy_imported",
    "grid_energy_exported_from_solar",
    "grid_energy_exported_from_battery",
    "battery_energy_exported",
    "battery_energy_imported_from_grid",
    "battery_energy_imported_from_solar",
    "consumer_energy_imported_from_grid",
    "consumer_energy_imported_from_solar",
    "consumer_energy_imported_from_battery",
)


@dataclass
class SimulatedWallConnector:
    """One wall connector; tests set `charging_power` to plug a car in."""

    din: str
    charging_power: float = 0.0
    fault_state: int = 2
    vin: str | None = None

    @property
    def state(self) -> int:
        # Codes as seen from real sites: 2 idle/unplugged, 4 plugged in, 11 charging.
        if self.charging_power > 0:
            return 11
        return 4 if self.vin else 2


@dataclass
class SimulatedEnergySite:
    """A home with a Powerwall: deterministic solar and load curves, a battery that follows them."""

    site_id: int
    clock: Clock
    site_name: str = "My Home"
    time_zone: str = "UTC"
    has_battery: bool = True
    has_solar: bool = True
    has_grid: bool = True
    wall_connectors: list[SimulatedWallConnector] = field(
        default_factory=lambda: [SimulatedWallConnector("0000000-00-A--PGT00000000001")]
    )
    solar_peak_watts: float = 6000.0
    base_load_watts: float = 500.0
    pack_energy_wh: float = 13500.0
    max_battery_watts: float = 5000.0
    backup_reserve_percent: int = 20
    operation_mode: str = "self_consumption"
    storm_mode_enabled: bool = False
    storm_watch: bool = False
    grid_outage: bool = False
    grid_services_active: bool = False
    energy_left_wh: float = 6750.0
    history: dict[int, dict[str, float]] = field(default_factory=dict)
    _simulated_to: float | None = None
    _powers: dict[str, float] = field(default_factory=dict)

    # -- simulation -----------------------------------------------------------------------

    def _advance(self) -> None:
        now = self.clock()
        if self._simulated_to is None:
            start = now - HISTORY_SECONDS
            self._simulated_to = start - start % STEP_SECONDS
        while self._simulated_to + STEP_SECONDS <= now:
            self._step(self._simulated_to, STEP_SECONDS)
            self._simulated_to += STEP_SECONDS
        self._powers = self._power_at(now)

    def _local_hour(self, when: float) -> float:
        local = datetime.fromtimestamp(when, ZoneInfo(self.time_zone))
        return local.hour + local.minute / 60 + local.second / 3600

    def _power_at(self, when: float) -> dict[str, float]:
        """Instantaneous flows in W; battery positive = discharging, grid positive = importing."""
        hour = self._local_hour(when)
        solar = 0.0
        if self.has_solar and 6 <= hour <= 18:
            solar = self.solar_peak_watts * math.sin(math.pi * (hour - 6) / 12)
        load = self.base_load_watts + (1500.0 if 17 <= hour < 21 else 0.0)
        load += sum(wc.charging_power for wc in self.wall_connectors)
        battery = 0.0
        if self.has_battery:
            reserve_wh = self.pack_energy_wh * self.backup_reserve_percent / 100
            wanted = load - solar
            if wanted > 0 and self.operation_mode != "backup" and not self.storm_watch:
                if self.energy_left_wh > reserve_wh:
                    battery = min(wanted, self.max_battery_watts)
            elif wanted < 0 and self.energy_left_wh < self.pack_energy_wh:
                battery = max(wanted, -self.max_battery_watts)
        grid = 0.0 if self.grid_outage else load - solar - battery
        if self.grid_outage and load - solar - battery > 0:
            # Off grid the house gets what the battery can give, nothing more.
            load = solar + battery
        return {"solar": solar, "load": load, "battery": battery, "grid": grid}

    def _step(self, start: float, seconds: int) -> None:
        powers = self._power_at(start)
        hours = seconds / HOUR
        solar_wh = powers["solar"] * hours
        battery_wh = powers["battery"] * hours
        grid_wh = powers["grid"] * hours
        load_wh = powers["load"] * hours
        self.energy_left_wh = min(self.pack_energy_wh, max(0.0, self.energy_left_wh - battery_wh))
        bucket = self.history.setdefault(
            int(start - start % HOUR), dict.fromkeys(HISTORY_FIELDS, 0.0)
        )
        bucket["solar_energy_exported"] += solar_wh
        battery_out = max(battery_wh, 0.0)
        battery_in = max(-battery_wh, 0.0)
        grid_in = max(grid_wh, 0.0)
        grid_out = max(-grid_wh, 0.0)
        bucket["battery_energy_exported"] += battery_out
        # Surplus solar fills the battery first, then goes to the grid.
        bucket["battery_energy_imported_from_solar"] += min(battery_in, solar_wh)
        bucket["battery_energy_imported_from_grid"] += max(0.0, battery_in - solar_wh)
        bucket["grid_energy_imported"] += grid_in
        bucket["grid_energy_exported_from_solar"] += grid_out
        from_solar = min(load_wh, solar_wh)
        from_battery = min(load_wh - from_solar, battery_out)
        bucket["consumer_energy_imported_from_solar"] += from_solar
        bucket["consumer_energy_imported_from_battery"] += from_battery
        bucket["consumer_energy_imported_from_grid"] += max(
            0.0, load_wh - from_solar - from_battery
        )

    # -- Fleet API answers (the `response` member) ---------------------------------------------

    def live_status(self) -> dict[str, Any]:
        """`GET /api/1/energy_sites/{id}/live_status`."""
        self._advance()
        powers = self._powers
        answer: dict[str, Any] = {
            "solar_power": round(powers["solar"]),
            "load_power": round(powers["load"]),
            "grid_power": round(powers["grid"]),
            "grid_services_power": 0,
            "generator_power": 0,
            "island_status": "off_grid_unintentional" if self.grid_outage else "on_grid",
            "grid_status": "Inactive" if self.grid_outage else "Active",
            "storm_mode_active": self.storm_mode_enabled and self.storm_watch,
            "grid_services_active": self.grid_services_active,
            "timestamp": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            "wall_connectors": [
                {
                    "din": wc.din,
                    "vin": wc.vin,
                    "wall_connector_state": wc.state,
                    "wall_connector_fault_state": wc.fault_state,
                    "wall_connector_power": wc.charging_power,
                }
                for wc in self.wall_connectors
            ],
        }
        if self.has_battery:
            answer |= {
                "battery_power": round(powers["battery"]),
                "percentage_charged": round(100 * self.energy_left_wh / self.pack_energy_wh, 2),
                "energy_left": round(self.energy_left_wh, 1),
                "total_pack_energy": round(self.pack_energy_wh),
                "backup_capable": True,
            }
        return answer

    def site_info(self) -> dict[str, Any]:
        """`GET /api/1/energy_sites/{id}/site_info`."""
        return {
            "id": f"STE-{self.site_id}",
            "site_name": self.site_name,
            "backup_reserve_percent": self.backup_reserve_percent,
            "default_real_mode": self.operation_mode,
            "installation_date": "2023-05-01T10:00:00+00:00",
            "installation_time_zone": self.time_zone,
            "version": "25.10.1",
            "battery_count": 1 if self.has_battery else 0,
            "nameplate_power": 5000 if self.has_battery else 0,
            "nameplate_energy": round(self.pack_energy_wh),
            "user_settings": {"storm_mode_enabled": self.storm_mode_enabled},
            "components": {
                "battery": self.has_battery,
                "solar": self.has_solar,
                "grid": self.has_grid,
                "wall_connectors": [{"din": wc.din} for wc in self.wall_connectors],
            },
        }

    def calendar_history(
        self, *, kind: str, period: str, end_date: str, time_zone: str | None = None
    ) -> dict[str, Any]:
        """`GET /api/1/energy_sites/{id}/calendar_history?kind=energy&period=day&end_date=...`.

        Answers the hourly buckets of the local day that contains `end_date`, up to `end_date`
        and never past the simulated present (the current hour is left out until it is over).
        """
        if kind != "energy" or period != "day":
            raise ValueError("only kind=energy, period=day is simulated")
        self._advance()
        zone = ZoneInfo(time_zone or self.time_zone)
        end = datetime.fromisoformat(end_date).astimezone(zone)
        day_start = end.replace(hour=0, minute=0, second=0, microsecond=0)
        limit = min(end.timestamp(), self.clock())
        series = []
        # Step in absolute seconds: wall-clock arithmetic on aware datetimes breaks at DST.
        hour_ts = int(day_start.timestamp())
        while hour_ts + HOUR <= limit:
            bucket = self.history.get(hour_ts)
            if bucket is not None:
                stamp = datetime.fromtimestamp(hour_ts, zone).isoformat()
                series.append({"timestamp": stamp} | {k: round(v, 3) for k, v in bucket.items()})
            hour_ts += HOUR
        return {"serial_number": f"STE-{self.site_id}", "period": period, "time_series": series}

    # -- energy commands ----------------------------------------------------------------------

    def set_backup_reserve(self, percent: int) -> None:
        """`POST /backup`."""
        self._advance()
        self.backup_reserve_percent = percent

    def set_operation_mode(self, mode: str) -> None:
        """`POST /operation`."""
        self._advance()
        self.operation_mode = mode

    def set_storm_mode(self, enabled: bool) -> None:
        """`POST /storm_mode`."""
        self._advance()
        self.storm_mode_enabled = enabled


# -- HTTP (mounted by the emulator's router after its token checks, or alone in tests) ----------

type SiteLookup = Callable[[int], SimulatedEnergySite | None]

_COMMANDS: dict[str, Callable[[SimulatedEnergySite, dict[str, Any]], None]] = {
    "backup": lambda s, b: s.set_backup_reserve(int(b["backup_reserve_percent"])),
    "operation": lambda s, b: s.set_operation_mode(str(b["default_real_mode"])),
    "storm_mode": lambda s, b: s.set_storm_mode(bool(b["enabled"])),
}


def add_energy_routes(router: web.UrlDispatcher, lookup: SiteLookup) -> None:
    """Mount the energy-site endpoints under `/api/1/energy_sites/{site_id}/`."""

    def site_of(request: web.Request) -> SimulatedEnergySite:
        try:
            site = lookup(int(request.match_info["site_id"]))
        except ValueError:
            site = None
        if site is None:
            raise web.HTTPNotFound(
                text='{"response":null,"error":"not_found"}', content_type="application/json"
            )
        return site

    async def live_status(request: web.Request) -> web.Response:
        return web.json_response({"response": site_of(request).live_status()})

    async def site_info(request: web.Request) -> web.Response:
        return web.json_response({"response": site_of(request).site_info()})

    async def calendar_history(request: web.Request) -> web.Response:
        site = site_of(request)
        query = request.query
        try:
            answer = site.calendar_history(
                kind=query.get("kind", ""),
                period=query.get("period", ""),
                end_date=query["end_date"],
                time_zone=query.get("time_zone"),
            )
        except (KeyError, ValueError) as err:
            return web.json_response({"response": None, "error": str(err)}, status=400)
        return web.json_response({"response": answer})

    async def command(request: web.Request) -> web.Response:
        site = site_of(request)
        try:
            _COMMANDS[request.match_info["command"]](site, await request.json())
        except (KeyError, ValueError, TypeError) as err:
            return web.json_response({"response": None, "error": str(err)}, status=400)
        return web.json_response({"response": {"code": 201, "message": "Updated"}})

    base = "/api/1/energy_sites/{site_id}"
    router.add_get(f"{base}/live_status", live_status)
    router.add_get(f"{base}/site_info", site_info)
    router.add_get(f"{base}/calendar_history", calendar_history)
    router.add_post(f"{base}/{{command:backup|operation|storm_mode}}", command)
