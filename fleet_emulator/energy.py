"""A simulated energy site: solar on a day curve, a house load, a battery and the grid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
import math
from typing import Any
from zoneinfo import ZoneInfo

from .scenario import SiteSpec

STEP_S = 300.0
SUNRISE_H = 6.0
SUNSET_H = 20.0
# Flow names of calendar_history's energy kind, in Wh per bucket.
FLOWS = (
    "solar_energy_exported",
    "generator_energy_exported",
    "grid_energy_imported",
    "grid_services_energy_imported",
    "grid_services_energy_exported",
    "grid_energy_exported_from_solar",
    "grid_energy_exported_from_generator",
    "grid_energy_exported_from_battery",
    "battery_energy_exported",
    "battery_energy_imported_from_grid",
    "battery_energy_imported_from_solar",
    "battery_energy_imported_from_generator",
    "consumer_energy_imported_from_grid",
    "consumer_energy_imported_from_solar",
    "consumer_energy_imported_from_battery",
    "consumer_energy_imported_from_generator",
)


@dataclass(frozen=True)
class Powers:
    """Instantaneous flows in W; Tesla's signs: battery + discharging, grid + importing."""

    solar: float
    load: float
    battery: float
    grid: float
    wall_connector: float


@dataclass
class Site:
    """One energy site; `wall_connector_power` reads the linked car's charger."""

    spec: SiteSpec
    now: float
    wall_connector_power: Callable[[str | None], float]
    percentage_charged: float = 50.0
    backup_reserve_percent: int = 20
    default_real_mode: str = "self_consumption"
    storm_mode_enabled: bool = False
    storm_mode_active: bool = False
    disallow_charge_from_grid_with_solar_installed: bool = False
    customer_preferred_export_rule: str = "pv_only"
    off_grid_vehicle_charging_reserve_percent: int = 0
    grid_up: bool = True
    tou_settings: dict[str, Any] = field(
        default_factory=lambda: {"optimization_strategy": "economics", "schedule": []}
    )
    outages: list[dict[str, Any]] = field(default_factory=list)
    # Hour start (epoch) -> flow name -> Wh.
    history: dict[int, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls, spec: SiteSpec, now: float, wall_connector_power: Callable[[str | None], float]
    ) -> Site:
        """A site as the scenario describes it."""
        return cls(
            spec=spec,
            now=now,
            wall_connector_power=wall_connector_power,
            percentage_charged=spec.percentage_charged,
            backup_reserve_percent=spec.backup_reserve_percent,
        )

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone (solar and history buckets follow local time)."""
        return ZoneInfo(self.spec.time_zone)

    @property
    def capacity_wh(self) -> float:
        """Total battery energy when full."""
        return (
            self.spec.battery_count * self.spec.battery_kwh_each * 1000 if self.has_battery else 0
        )

    @property
    def has_battery(self) -> bool:
        """Whether the site has Powerwalls."""
        return self.spec.has_battery and self.spec.battery_count > 0

    def solar_w(self, t: float) -> float:
        """A clear-sky bell between sunrise and sunset, local time."""
        if not self.spec.has_solar:
            return 0.0
        local = datetime.fromtimestamp(t, self.zone)
        hour = local.hour + local.minute / 60 + local.second / 3600
        if not SUNRISE_H < hour < SUNSET_H:
            return 0.0
        share = (hour - SUNRISE_H) / (SUNSET_H - SUNRISE_H)
        return self.spec.solar_peak_w * math.sin(math.pi * share) ** 2

    def load_w(self, t: float) -> float:
        """Base load plus a morning and an evening bump."""
        local = datetime.fromtimestamp(t, self.zone)
        hour = local.hour + local.minute / 60
        bump = 1200 * math.exp(-((hour - 19) ** 2) / 4) + 600 * math.exp(-((hour - 7.5) ** 2) / 2)
        return self.spec.base_load_w + bump

    @property
    def discharge_allowed(self) -> bool:
        """Backup-only mode keeps the battery for outages; off grid it always covers the load."""
        return self.default_real_mode != "backup" or not self.grid_up

    def powers(self, t: float) -> Powers:
        """The flows at time t given the battery's charge and the settings."""
        solar = self.solar_w(t)
        wall = sum(self.wall_connector_power(wc.vin) for wc in self.spec.wall_connectors)
        load = self.load_w(t) + wall
        battery = 0.0
        if self.has_battery:
            max_w = self.spec.battery_count * self.spec.battery_max_kw_each * 1000
            surplus = solar - load
            reserve = 0.0 if not self.grid_up else self.backup_reserve_percent
            if self.storm_mode_active and self.grid_up:
                # Storm watch charges to full and holds.
                battery = -max_w if self.percentage_charged < 100 else 0.0
            elif surplus > 0 and self.percentage_charged < 100:
                battery = -min(surplus, max_w)
            elif surplus < 0 and self.percentage_charged > reserve and self.discharge_allowed:
                battery = min(-surplus, max_w)
        grid = load - solar - battery
        if not self.grid_up:
            # Islanded: solar is curtailed or load shed to whatever the battery can balance.
            grid = 0.0
        return Powers(solar, load, battery, grid, wall)

    def advance(self, until: float) -> None:
        """Integrate flows into the battery and the hourly history up to `until`."""
        while self.now < until:
            step_end = min(until, self.now + STEP_S)
            dt = step_end - self.now
            p = self.powers(self.now)
            if self.capacity_wh:
                change = -p.battery * dt / 3600 / self.capacity_wh * 100
                self.percentage_charged = min(100.0, max(0.0, self.percentage_charged + change))
            self._record(p, dt)
            self.now = step_end

    def _record(self, p: Powers, dt: float) -> None:
        hours = dt / 3600
        bucket = self.history.setdefault(int(self.now // 3600 * 3600), dict.fromkeys(FLOWS, 0.0))
        solar_to_load = min(p.solar, p.load)
        battery_out = max(p.battery, 0.0)
        battery_in = max(-p.battery, 0.0)
        solar_to_battery = min(max(p.solar - solar_to_load, 0.0), battery_in)
        solar_to_grid = max(p.solar - solar_to_load - solar_to_battery, 0.0)
        battery_to_load = min(battery_out, max(p.load - solar_to_load, 0.0))
        grid_to_load = max(p.load - solar_to_load - battery_to_load, 0.0)
        flows = {
            "solar_energy_exported": p.solar,
            "grid_energy_imported": max(p.grid, 0.0),
            "grid_energy_exported_from_solar": solar_to_grid if p.grid < 0 else 0.0,
            "grid_energy_exported_from_battery": max(battery_out - battery_to_load, 0.0),
            "battery_energy_exported": battery_out,
            "battery_energy_imported_from_grid": max(battery_in - solar_to_battery, 0.0),
            "battery_energy_imported_from_solar": solar_to_battery,
            "consumer_energy_imported_from_grid": grid_to_load,
            "consumer_energy_imported_from_solar": solar_to_load,
            "consumer_energy_imported_from_battery": battery_to_load,
        }
        for name, watts in flows.items():
            bucket[name] += watts * hours

    def set_grid(self, up: bool) -> None:
        """A grid outage starts or ends (recorded for `calendar_history?kind=backup`)."""
        if up == self.grid_up:
            return
        self.grid_up = up
        if not up:
            self.outages.append({"timestamp": self._iso(self.now), "duration": 0})
        elif self.outages:
            start = datetime.fromisoformat(self.outages[-1]["timestamp"]).timestamp()
            self.outages[-1]["duration"] = int((self.now - start) * 1000)

    def _iso(self, t: float) -> str:
        return datetime.fromtimestamp(t, self.zone).isoformat()

    # --- Tesla's JSON --------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The energy site object in `/products`."""
        return {
            "energy_site_id": self.spec.energy_site_id,
            "resource_type": "battery",
            "site_name": self.spec.site_name,
            "id": self.spec.id,
            "gateway_id": f"{self.spec.id}-GW",
            "asset_site_id": f"asset-{self.spec.energy_site_id}",
            "warp_site_number": self.spec.id,
            "energy_left": round(self.percentage_charged / 100 * self.capacity_wh, 1),
            "total_pack_energy": round(self.capacity_wh),
            "percentage_charged": round(self.percentage_charged, 2),
            "battery_type": "ac_powerwall",
            "backup_capable": self.has_battery,
            "battery_power": round(self.powers(self.now).battery),
            "go_off_grid_test_banner_enabled": None,
            "storm_mode_enabled": self.storm_mode_enabled,
            "powerwall_onboarding_settings_set": True,
            "powerwall_tesla_electric_interested_in": None,
            "vpp_tour_enabled": None,
            "sync_grid_alert_enabled": True,
            "breaker_alert_enabled": False,
            "components": self.components(),
        }

    def components(self) -> dict[str, Any]:
        """What the site has."""
        return {
            "battery": self.has_battery,
            "battery_type": "ac_powerwall" if self.has_battery else None,
            "solar": self.spec.has_solar,
            "solar_type": "pv_panel" if self.spec.has_solar else None,
            "grid": True,
            "load_meter": True,
            "market_type": "residential",
            "wall_connectors": [
                {"device_id": wc.serial_number, "din": wc.din, "is_active": True}
                for wc in self.spec.wall_connectors
            ],
        }

    def live_status(self) -> dict[str, Any]:
        """`live_status`."""
        p = self.powers(self.now)
        return {
            "solar_power": round(p.solar),
            "energy_left": round(self.percentage_charged / 100 * self.capacity_wh, 1),
            "total_pack_energy": round(self.capacity_wh),
            "percentage_charged": round(self.percentage_charged, 2),
            "backup_capable": self.has_battery,
            "battery_power": round(p.battery),
            "load_power": round(p.load),
            "grid_status": "Active" if self.grid_up else "Inactive",
            "grid_services_active": False,
            "grid_power": round(p.grid),
            "grid_services_power": 0,
            "generator_power": 0,
            "island_status": "on_grid" if self.grid_up else "off_grid",
            "storm_mode_active": self.storm_mode_active,
            "timestamp": self._iso(self.now),
            "wall_connectors": [
                {
                    "din": wc.din,
                    "wall_connector_state": 3 if self.wall_connector_power(wc.vin) else 2,
                    "wall_connector_fault_state": 2,
                    "wall_connector_power": round(self.wall_connector_power(wc.vin)),
                    "ocpp_status": 1,
                    "powershare_session_state": 1,
                }
                for wc in self.spec.wall_connectors
            ],
        }

    def site_info(self) -> dict[str, Any]:
        """`site_info`."""
        return {
            "id": self.spec.id,
            "site_name": self.spec.site_name,
            "backup_reserve_percent": self.backup_reserve_percent,
            "default_real_mode": self.default_real_mode,
            "installation_date": self.spec.installation_date,
            "user_settings": {
                "storm_mode_enabled": self.storm_mode_enabled,
                "off_grid_vehicle_charging_enabled": (
                    self.off_grid_vehicle_charging_reserve_percent > 0
                ),
            },
            "components": {
                **self.components(),
                "customer_preferred_export_rule": self.customer_preferred_export_rule,
                "disallow_charge_from_grid_with_solar_installed": (
                    self.disallow_charge_from_grid_with_solar_installed
                ),
            },
            "version": "24.44.1 2c6ebc76",
            "battery_count": self.spec.battery_count if self.has_battery else 0,
            "nameplate_power": round(
                self.spec.battery_count * self.spec.battery_max_kw_each * 1000
            ),
            "nameplate_energy": round(self.capacity_wh),
            "installation_time_zone": self.spec.time_zone,
            "max_site_meter_power_ac": 1000000000,
            "min_site_meter_power_ac": -1000000000,
            "off_grid_vehicle_charging_reserve_percent": (
                self.off_grid_vehicle_charging_reserve_percent
            ),
            "vpp_backup_reserve_percent": 0,
            "utility": "Emulated Power & Light",
            "tou_settings": self.tou_settings,
        }
