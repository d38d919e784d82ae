"""One energy site: live status, site info, history, and its settings commands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from ._parse import as_mapping, opt_int, opt_str
from .energy_data import CalendarHistory, LiveStatus, SiteInfo
from .errors import InvalidArgumentError
from .models import CommandResult
from .transport import Transport
from .validation import check_bool, check_choice, check_number

type OperationMode = Literal["self_consumption", "autonomous", "backup"]
type ExportRule = Literal["battery_ok", "pv_only", "never"]
type HistoryKind = Literal["energy", "backup"]
type HistoryPeriod = Literal["day", "week", "month", "year"]

OPERATION_MODES: tuple[OperationMode, ...] = ("self_consumption", "autonomous", "backup")
EXPORT_RULES: tuple[ExportRule, ...] = ("battery_ok", "pv_only", "never")


class EnergySiteApi:
    """Endpoints of one energy site (sites never sleep: no waking here)."""

    def __init__(self, transport: Transport, site_id: int) -> None:
        """Bind to one `energy_site_id`."""
        self._transport = transport
        self.site_id = site_id
        self._path = f"/api/1/energy_sites/{site_id}"

    async def live_status(self) -> LiveStatus:
        """Power flows, battery level and grid state now."""
        path = f"{self._path}/live_status"
        return LiveStatus.parse(await self._transport.request("GET", path), path=path)

    async def site_info(self) -> SiteInfo:
        """Settings (reserve, mode, storm mode, export rule) and installation."""
        path = f"{self._path}/site_info"
        return SiteInfo.parse(await self._transport.request("GET", path), path=path)

    async def calendar_history(
        self,
        *,
        kind: HistoryKind = "energy",
        period: HistoryPeriod = "day",
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        time_zone: str | None = None,
    ) -> CalendarHistory:
        """Energy buckets for the period containing `end_date`, or backup events."""
        params = {
            "kind": check_choice("kind", kind, ("energy", "backup")),
            "period": check_choice("period", period, ("day", "week", "month", "year")),
        }
        for name, value in (("start_date", start_date), ("end_date", end_date)):
            if value is not None:
                if value.tzinfo is None:
                    raise InvalidArgumentError(f"{name} needs a time zone offset")
                params[name] = value.isoformat()
        if time_zone is not None:
            params["time_zone"] = time_zone
        path = f"{self._path}/calendar_history"
        response = await self._transport.request("GET", path, params=params)
        return CalendarHistory.parse(response, path=path)

    async def backup(self, backup_reserve_percent: float) -> CommandResult:
        """Backup reserve, 0-100 %."""
        percent = check_number("backup_reserve_percent", backup_reserve_percent, 0, 100)
        return await self._command("backup", {"backup_reserve_percent": round(percent)})

    async def operation(self, default_real_mode: OperationMode) -> CommandResult:
        """Operation mode: self-consumption or time-based control (autonomous)."""
        mode = check_choice("default_real_mode", default_real_mode, OPERATION_MODES)
        return await self._command("operation", {"default_real_mode": mode})

    async def storm_mode(self, enabled: bool) -> CommandResult:
        """Storm watch on/off."""
        return await self._command("storm_mode", {"enabled": check_bool("enabled", enabled)})

    async def grid_import_export(
        self,
        *,
        disallow_charge_from_grid_with_solar_installed: bool | None = None,
        customer_preferred_export_rule: ExportRule | None = None,
    ) -> CommandResult:
        """Grid charging and export rule; at least one must be given."""
        body: dict[str, Any] = {}
        if disallow_charge_from_grid_with_solar_installed is not None:
            body["disallow_charge_from_grid_with_solar_installed"] = check_bool(
                "disallow_charge_from_grid_with_solar_installed",
                disallow_charge_from_grid_with_solar_installed,
            )
        if customer_preferred_export_rule is not None:
            body["customer_preferred_export_rule"] = check_choice(
                "customer_preferred_export_rule", customer_preferred_export_rule, EXPORT_RULES
            )
        if not body:
            raise InvalidArgumentError("grid_import_export needs at least one setting")
        return await self._command("grid_import_export", body)

    async def off_grid_vehicle_charging_reserve(self, percent: float) -> CommandResult:
        """Battery share kept back from vehicle charging during an outage, 0-100 %."""
        value = check_number("off_grid_vehicle_charging_reserve_percent", percent, 0, 100)
        return await self._command(
            "off_grid_vehicle_charging_reserve",
            {"off_grid_vehicle_charging_reserve_percent": round(value)},
        )

    async def _command(self, name: str, body: Mapping[str, Any]) -> CommandResult:
        """Energy commands answer `{"code": 201, "message": "Updated"}`, not result/reason."""
        path = f"{self._path}/{name}"
        response = as_mapping(await self._transport.request("POST", path, json_body=body))
        if isinstance(response.get("result"), bool):
            return CommandResult.parse(response, path=path, command=name)
        code = opt_int(response, "code")
        return CommandResult(
            code is None or 200 <= code < 300, opt_str(response, "message") or "", name
        )
