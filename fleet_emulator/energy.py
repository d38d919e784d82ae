"""A simulated energy site: solar on a day curve, a house load, a battery and the grid.

The JSON it answers has the shape of real Tesla answers (the samples, and where each comes
from, are in tests/fixtures/real/energy/README.md). The keys depend on the site's kind:
Powerwall with solar, Powerwall alone, solar alone, or wall connectors alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
import math
from typing import Any
import uuid
from zoneinfo import ZoneInfo

from .scenario import SiteSpec, WallConnectorSpec

STEP_S = 300.0
HOUR_S = 3600
SUNRISE_H = 6.0
SUNSET_H = 20.0
# Off-peak hours (local): a Powerwall without solar fills up from the grid then.
OFF_PEAK_S = (0, 6 * 3600)
DEFAULT_TOU_SCHEDULE = (
    {"target": "off_peak", "start_seconds": OFF_PEAK_S[0], "end_seconds": OFF_PEAK_S[1]},
    {"target": "peak", "start_seconds": 16 * 3600, "end_seconds": 21 * 3600},
)
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
# Site kinds.
BATTERY_SOLAR = "battery_solar"
BATTERY_ONLY = "battery"
SOLAR_ONLY = "solar"
WALL_CONNECTOR_ONLY = "wall_connector"
# `wall_connector_state` codes seen in real answers (teslatte's captures: 2 with no car,
# 4 with a car plugged in; teslajsonpy issue 342 and hass-teslemetry issue 18: 1 while it
# delivers power). Home Assistant's tessie const.py names them the same way.
WC_CHARGING = 1
WC_DISCONNECTED = 2
WC_CONNECTED = 4
WC_NO_FAULT = 2
# Part facts from Home Assistant's tesla_fleet site_info fixture (a Powerwall 2 site).
GATEWAY_PART = ("1152100-14-J", 10, "Tesla Backup Gateway 2")
BATTERY_PART = ("3012170-10-B", 2, "Powerwall 2")
WALL_CONNECTOR_PART_NAME = "Gen 3 Wall Connector"
FIRMWARE = "24.44.1 2c6ebc76"


@dataclass(frozen=True)
class Powers:
    """Instantaneous flows in W; Tesla's signs: battery + discharging, grid + importing."""

    solar: float
    load: float
    battery: float
    grid: float
    wall_connector: float


def _device_id(*parts: object) -> str:
    """A stable UUID for a simulated device (Tesla's device ids are UUIDs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "fleet-emulator:" + ":".join(map(str, parts))))


@dataclass
class Site:
    """One energy site; `wall_connector_power` reads the linked car's charger.

    `wall_connector_car(vin)` tells whether that car is plugged in (a connector names the car
    then); without it a car counts as plugged in while it draws power.
    """

    spec: SiteSpec
    now: float
    wall_connector_power: Callable[[str | None], float]
    wall_connector_car: Callable[[str | None], bool] | None = None
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
        default_factory=lambda: {
            "optimization_strategy": "economics",
            "schedule": [
                {**period, "week_days": [1, 2, 3, 4, 5, 6, 0]} for period in DEFAULT_TOU_SCHEDULE
            ],
        }
    )
    outages: list[dict[str, Any]] = field(default_factory=list)
    # Hour start (epoch) -> flow name -> Wh.
    history: dict[int, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: SiteSpec,
        now: float,
        wall_connector_power: Callable[[str | None], float],
        wall_connector_car: Callable[[str | None], bool] | None = None,
    ) -> Site:
        """A site as the scenario describes it."""
        return cls(
            spec=spec,
            now=now,
            wall_connector_power=wall_connector_power,
            wall_connector_car=wall_connector_car,
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

    @property
    def kind(self) -> str:
        """battery_solar, battery, solar or wall_connector."""
        if self.has_battery:
            return BATTERY_SOLAR if self.spec.has_solar else BATTERY_ONLY
        return SOLAR_ONLY if self.spec.has_solar else WALL_CONNECTOR_ONLY

    @property
    def metered(self) -> bool:
        """A gateway or solar meter measures the house; wall connectors alone measure nothing."""
        return self.kind != WALL_CONNECTOR_ONLY

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
        wall = sum(self.wall_connector_power(wc.vin) for wc in self.spec.wall_connectors)
        if not self.metered:
            return Powers(0.0, 0.0, 0.0, 0.0, wall)
        solar = self.solar_w(t)
        load = self.load_w(t) + wall
        if not self.grid_up and not self.has_battery:
            # Without a battery an outage darkens the house and the inverter shuts down.
            return Powers(0.0, 0.0, 0.0, 0.0, 0.0)
        battery = 0.0
        if self.has_battery:
            max_w = self.spec.battery_count * self.spec.battery_max_kw_each * 1000
            surplus = solar - load
            reserve = 0.0 if not self.grid_up else self.backup_reserve_percent
            if self.storm_mode_active and self.grid_up:
                # Storm watch charges to full and holds.
                battery = -max_w if self.percentage_charged < 100 else 0.0
            elif self._grid_charging(t):
                battery = -max_w / 2
            elif surplus > 0 and self.percentage_charged < 100:
                battery = -min(surplus, max_w)
            elif surplus < 0 and self.percentage_charged > reserve and self.discharge_allowed:
                battery = min(-surplus, max_w)
        grid = load - solar - battery
        if not self.grid_up:
            # Islanded: solar is curtailed or load shed to whatever the battery can balance.
            grid = 0.0
        return Powers(solar, load, battery, grid, wall)

    def _grid_charging(self, t: float) -> bool:
        """A Powerwall without solar charges from the grid off-peak (time-based control)."""
        if self.spec.has_solar or not self.grid_up or self.percentage_charged >= 100:
            return False
        local = datetime.fromtimestamp(t, self.zone)
        second = local.hour * 3600 + local.minute * 60 + local.second
        return OFF_PEAK_S[0] <= second < OFF_PEAK_S[1]

    def advance(self, until: float) -> None:
        """Integrate flows into the battery and the hourly history up to `until`.

        Steps end on the hour, so every hour's bucket holds exactly that hour's energy.
        """
        while self.now < until:
            next_hour = (self.now // HOUR_S + 1) * HOUR_S
            step_end = min(until, self.now + STEP_S, next_hour)
            dt = step_end - self.now
            p = self.powers(self.now)
            if self.capacity_wh:
                change = -p.battery * dt / 3600 / self.capacity_wh * 100
                self.percentage_charged = min(100.0, max(0.0, self.percentage_charged + change))
            if self.metered:
                self._record(p, dt)
            self.now = step_end

    def _record(self, p: Powers, dt: float) -> None:
        hours = dt / 3600
        bucket = self.history.setdefault(
            int(self.now // HOUR_S * HOUR_S), dict.fromkeys(FLOWS, 0.0)
        )
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
            self.outages.append({"timestamp": self.iso(self.now), "duration": 0})
        elif self.outages:
            start = datetime.fromisoformat(self.outages[-1]["timestamp"]).timestamp()
            self.outages[-1]["duration"] = int((self.now - start) * 1000)

    def iso(self, t: float, zone: ZoneInfo | None = None) -> str:
        """Tesla's time format: local time with its offset, whole seconds."""
        return datetime.fromtimestamp(t, zone or self.zone).isoformat(timespec="seconds")

    # --- wall connectors -------------------------------------------------------------------

    def _car_plugged(self, wc: WallConnectorSpec) -> bool:
        if wc.vin is None:
            return False
        if self.wall_connector_car is not None:
            return self.wall_connector_car(wc.vin)
        return self.wall_connector_power(wc.vin) > 0

    def _wall_connector_live(self, wc: WallConnectorSpec) -> dict[str, Any]:
        """One connector in `live_status`: the car's VIN only while one is plugged in."""
        power = self.wall_connector_power(wc.vin)
        plugged = self._car_plugged(wc)
        entry: dict[str, Any] = {"din": wc.din}
        if plugged:
            entry["vin"] = wc.vin
        if power > 0:
            state = WC_CHARGING
        else:
            state = WC_CONNECTED if plugged else WC_DISCONNECTED
        entry["wall_connector_state"] = state
        entry["wall_connector_fault_state"] = WC_NO_FAULT
        entry["wall_connector_power"] = round(power)
        return entry

    def _wall_connector_component(self, wc: WallConnectorSpec) -> dict[str, Any]:
        """One connector in `site_info.components.wall_connectors`."""
        return {
            "device_id": _device_id("wall_connector", wc.din),
            "din": wc.din,
            "part_name": WALL_CONNECTOR_PART_NAME,
            "is_active": True,
        }

    def _wall_connector_product(self, wc: WallConnectorSpec) -> dict[str, Any]:
        """One connector in the `/products` entry."""
        return {
            "device_id": _device_id("wall_connector", wc.din),
            "din": wc.din,
            "is_active": True,
        }

    # --- Tesla's JSON --------------------------------------------------------------------

    @property
    def _gateway_serial(self) -> str:
        return f"GF{self.spec.energy_site_id % 10**10:010d}"

    def _battery_level(self) -> dict[str, Any]:
        return {
            "energy_left": round(self.percentage_charged / 100 * self.capacity_wh, 1),
            "total_pack_energy": round(self.capacity_wh),
            "percentage_charged": round(self.percentage_charged, 2),
        }

    def summary(self) -> dict[str, Any]:
        """The energy site object in `/products` (the samples' keys for the site's kind)."""
        kind = self.kind
        if kind == SOLAR_ONLY:
            return self._solar_summary()
        if kind == WALL_CONNECTOR_ONLY:
            return {
                "energy_site_id": self.spec.energy_site_id,
                "resource_type": "wall_connector",
                "site_name": self.spec.site_name,
                "id": self.spec.id,
                "asset_site_id": self._asset_site_id,
                "components": self._product_components(),
            }
        p = self.powers(self.now)
        return {
            "energy_site_id": self.spec.energy_site_id,
            "resource_type": "battery",
            "site_name": self.spec.site_name,
            "id": self.spec.id,
            "gateway_id": f"{GATEWAY_PART[0]}--{self._gateway_serial}",
            "asset_site_id": self._asset_site_id,
            "warp_site_number": self.spec.id,
            **self._battery_level(),
            "battery_type": "ac_powerwall",
            "backup_capable": True,
            "battery_power": round(p.battery),
            "go_off_grid_test_banner_enabled": None,
            "storm_mode_enabled": self.storm_mode_enabled,
            "powerwall_onboarding_settings_set": True,
            "powerwall_tesla_electric_interested_in": None,
            "vpp_tour_enabled": None,
            "sync_grid_alert_enabled": True,
            "breaker_alert_enabled": False,
            "components": self._product_components(),
            "features": {"rate_plan_manager_no_pricing_constraint": True},
        }

    def _solar_summary(self) -> dict[str, Any]:
        """A solar-only site in `/products` (alandtse/tesla's ENERGYSITE_SOLAR keys)."""
        return {
            "energy_site_id": self.spec.energy_site_id,
            "resource_type": "solar",
            "id": self.spec.id,
            "asset_site_id": self._asset_site_id,
            "solar_power": round(self.powers(self.now).solar),
            "solar_type": "pv_panel",
            "storm_mode_enabled": None,
            "powerwall_onboarding_settings_set": None,
            "sync_grid_alert_enabled": False,
            "breaker_alert_enabled": False,
            "components": self._product_components(),
        }

    @property
    def _asset_site_id(self) -> str:
        return _device_id("asset_site", self.spec.energy_site_id)

    def _product_components(self) -> dict[str, Any]:
        components: dict[str, Any] = {"battery": self.has_battery}
        if self.has_battery:
            components["battery_type"] = "ac_powerwall"
        components["solar"] = self.spec.has_solar
        if self.spec.has_solar:
            components["solar_type"] = "pv_panel"
        components["grid"] = self.metered
        components["load_meter"] = self.metered
        components["market_type"] = "residential"
        if self.spec.wall_connectors:
            components["wall_connectors"] = [
                self._wall_connector_product(wc) for wc in self.spec.wall_connectors
            ]
        return components

    def live_status(self) -> dict[str, Any]:
        """`live_status`."""
        if not self.has_battery:
            return self._live_status_without_battery()
        p = self.powers(self.now)
        return {
            "solar_power": round(p.solar),
            **self._battery_level(),
            "backup_capable": True,
            "battery_power": round(p.battery),
            "load_power": round(p.load),
            "grid_status": "Active" if self.grid_up else "Inactive",
            "grid_services_active": False,
            "grid_power": round(p.grid),
            "grid_services_power": 0,
            "generator_power": 0,
            "island_status": "on_grid" if self.grid_up else "off_grid",
            "storm_mode_active": self.storm_mode_active,
            "timestamp": self.iso(self.now),
            "wall_connectors": [self._wall_connector_live(wc) for wc in self.spec.wall_connectors],
        }

    def _live_status_without_battery(self) -> dict[str, Any]:
        """No gateway: Tesla reports an empty pack and an unknown grid (timdorr's solar sample)."""
        p = self.powers(self.now)
        return {
            "solar_power": round(p.solar),
            "energy_left": 0,
            "total_pack_energy": 1,
            "percentage_charged": 0,
            "battery_power": 0,
            "load_power": round(p.load),
            "grid_status": "Unknown",
            "grid_services_active": False,
            "grid_power": round(p.grid),
            "grid_services_power": 0,
            "generator_power": 0,
            "island_status": "island_status_unknown",
            "storm_mode_active": False,
            "timestamp": self.iso(self.now),
            "wall_connectors": [self._wall_connector_live(wc) for wc in self.spec.wall_connectors]
            if self.spec.wall_connectors
            else None,
        }

    def site_info(self) -> dict[str, Any]:
        """`site_info`."""
        if not self.has_battery:
            return self._site_info_without_battery()
        info: dict[str, Any] = {
            "id": self.spec.id,
            "site_name": self.spec.site_name,
            "backup_reserve_percent": self.backup_reserve_percent,
            "default_real_mode": self.default_real_mode,
            "installation_date": self.spec.installation_date,
            "user_settings": {
                "go_off_grid_test_banner_enabled": False,
                "storm_mode_enabled": self.storm_mode_enabled,
                "powerwall_onboarding_settings_set": True,
                "powerwall_tesla_electric_interested_in": False,
                "vpp_tour_enabled": True,
                "sync_grid_alert_enabled": True,
                "breaker_alert_enabled": False,
            },
            "components": self._battery_components(),
            "version": FIRMWARE,
            "battery_count": self.spec.battery_count,
            "tou_settings": self.tou_settings,
            "nameplate_power": round(
                self.spec.battery_count * self.spec.battery_max_kw_each * 1000
            ),
            "nameplate_energy": round(self.capacity_wh),
            "installation_time_zone": self.spec.time_zone,
        }
        if self.spec.off_grid_vehicle_charging_reserve_supported:
            # Reported with the capability (timdorr/tesla-api's Powerwall site_info sample).
            info["off_grid_vehicle_charging_reserve_percent"] = (
                self.off_grid_vehicle_charging_reserve_percent
            )
        info["max_site_meter_power_ac"] = 1000000000
        info["min_site_meter_power_ac"] = -1000000000
        info["vpp_backup_reserve_percent"] = 0
        return info

    def _battery_components(self) -> dict[str, Any]:
        """A Powerwall site's components and capability flags (HA's tesla_fleet fixture)."""
        solar = self.spec.has_solar
        components: dict[str, Any] = {"solar": solar}
        if solar:
            components["solar_type"] = "pv_panel"
        components.update(
            {
                "battery": True,
                "grid": True,
                "backup": True,
                "gateway": "teg",
                "load_meter": True,
                "tou_capable": True,
                "storm_mode_capable": self.spec.storm_mode_capable,
                "flex_energy_request_capable": False,
                "car_charging_data_supported": False,
                "off_grid_vehicle_charging_reserve_supported": (
                    self.spec.off_grid_vehicle_charging_reserve_supported
                ),
                "vehicle_charging_performance_view_enabled": False,
                "vehicle_charging_solar_offset_view_enabled": False,
                "battery_solar_offset_view_enabled": solar,
                "solar_value_enabled": solar,
                "energy_value_header": "Energy Value",
                "energy_value_subheader": "Estimated Value",
                "energy_service_self_scheduling_enabled": True,
                "show_grid_import_battery_source_cards": True,
                "set_islanding_mode_enabled": True,
                "wifi_commissioning_enabled": True,
                "backup_time_remaining_enabled": True,
                "battery_type": "ac_powerwall",
                "configurable": True,
                "grid_services_enabled": self.spec.grid_services_enabled,
                "gateways": [self._gateway()],
                "batteries": [self._battery(i) for i in range(self.spec.battery_count)],
            }
        )
        if self.spec.wall_connectors:
            components["wall_connectors"] = [
                self._wall_connector_component(wc) for wc in self.spec.wall_connectors
            ]
        components["disallow_charge_from_grid_with_solar_installed"] = (
            self.disallow_charge_from_grid_with_solar_installed
        )
        components["customer_preferred_export_rule"] = self.customer_preferred_export_rule
        components["net_meter_mode"] = "battery_ok"
        components["system_alerts_enabled"] = True
        return components

    def _gateway(self) -> dict[str, Any]:
        part_number, part_type, part_name = GATEWAY_PART
        return {
            "device_id": _device_id("gateway", self.spec.energy_site_id),
            "din": f"{part_number}--{self._gateway_serial}",
            "serial_number": self._gateway_serial,
            "part_number": part_number,
            "part_type": part_type,
            "part_name": part_name,
            "is_active": True,
            "site_id": self._asset_site_id,
            "firmware_version": FIRMWARE,
            "updated_datetime": "2024-05-14T00:00:00.000Z",
        }

    def _battery(self, index: int) -> dict[str, Any]:
        part_number, part_type, part_name = BATTERY_PART
        serial = f"TG{self.spec.energy_site_id % 10**8:08d}{index + 1:02d}"
        max_w = round(self.spec.battery_max_kw_each * 1000)
        return {
            "device_id": _device_id("battery", self.spec.energy_site_id, index),
            "din": f"{part_number}--{serial}",
            "serial_number": serial,
            "part_number": part_number,
            "part_type": part_type,
            "part_name": part_name,
            "nameplate_max_charge_power": max_w,
            "nameplate_max_discharge_power": max_w,
            "nameplate_energy": round(self.spec.battery_kwh_each * 1000),
        }

    def _site_info_without_battery(self) -> dict[str, Any]:
        """A site without a gateway: timdorr/tesla-api's solar-only `site_info` shape.

        That capture (owner API, 2022) also had `geolocation` and `address`; Teslemetry's
        Fleet API schema has neither, so they are left out. A wall-connector-only site has
        no captured sample at all: it follows the same shape, with solar false.
        """
        solar = self.spec.has_solar
        offset = datetime.fromtimestamp(self.now, self.zone).utcoffset()
        components: dict[str, Any] = {"solar": solar}
        if solar:
            components["solar_type"] = "pv_panel"
        components.update(
            {
                "battery": False,
                "grid": self.metered,
                "backup": False,
                "gateway": "gateway_type_none",
                "load_meter": self.metered,
                "tou_capable": False,
                "storm_mode_capable": False,
                "flex_energy_request_capable": False,
                "car_charging_data_supported": False,
                "off_grid_vehicle_charging_reserve_supported": False,
                "vehicle_charging_performance_view_enabled": False,
                "vehicle_charging_solar_offset_view_enabled": False,
                "battery_solar_offset_view_enabled": False,
                "energy_service_self_scheduling_enabled": solar,
                "rate_plan_manager_supported": solar,
                "configurable": False,
                "grid_services_enabled": False,
            }
        )
        if self.spec.wall_connectors:
            components["wall_connectors"] = [
                self._wall_connector_component(wc) for wc in self.spec.wall_connectors
            ]
        return {
            "id": self.spec.id,
            "site_name": self.spec.site_name,
            "site_number": str(self.spec.energy_site_id),
            "installation_date": self.spec.installation_date,
            "user_settings": {
                "storm_mode_enabled": None,
                "powerwall_onboarding_settings_set": None,
                "sync_grid_alert_enabled": False,
                "breaker_alert_enabled": False,
            },
            "components": components,
            "installation_time_zone": self.spec.time_zone,
            "time_zone_offset": int(offset.total_seconds() // 60) if offset else 0,
        }
