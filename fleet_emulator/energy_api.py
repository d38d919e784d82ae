"""Fleet API endpoints for energy sites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import errors
from .energy import Site
from .history import HistoryError, calendar_history
from .http import Call, Endpoint

ENERGY_READ = frozenset({"energy_device_data"})
ENERGY_CMDS = frozenset({"energy_cmds"})
EXPORT_RULES = ("battery_ok", "pv_only", "never")
UPDATED = {"code": 201, "message": "Updated"}


def find_site(call: Call) -> Site | None:
    """The account's site named by `{site_id}`."""
    assert call.account is not None
    try:
        site_id = int(call.request.match_info["site_id"])
    except ValueError:
        return None
    return call.emu.world.sites.get(site_id) if site_id in call.account.sites else None


def _with_site(
    action: Callable[[Call, Site], Awaitable[web.StreamResponse]],
) -> Callable[[Call], Awaitable[web.StreamResponse]]:
    async def handler(call: Call) -> web.StreamResponse:
        site = find_site(call)
        if site is None:
            return errors.fleet_error(404, "not_found")
        return await action(call, site)

    return handler


def _invalid(description: str) -> web.Response:
    return errors.fleet_error(400, "invalid_field", description)


def _percent(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        return None
    return int(value)


async def live_status(call: Call, site: Site) -> web.StreamResponse:
    """`GET /live_status`."""
    return errors.ok(site.live_status())


async def site_info(call: Call, site: Site) -> web.StreamResponse:
    """`GET /site_info`."""
    return errors.ok(site.site_info())


async def history(call: Call, site: Site) -> web.StreamResponse:
    """`GET /calendar_history`."""
    try:
        return errors.ok(calendar_history(site, dict(call.request.query)))
    except HistoryError as err:
        return _invalid(str(err))


async def telemetry_history(call: Call, site: Site) -> web.StreamResponse:
    """`GET /telemetry_history?kind=charge`: wall connector sessions (none are kept)."""
    if call.request.query.get("kind") != "charge":
        return _invalid("kind must be charge")
    return errors.ok({"charge_history": []})


async def backup(call: Call, site: Site) -> web.StreamResponse:
    """`POST /backup` `backup_reserve_percent` 0-100."""
    percent = _percent(await call.json(), "backup_reserve_percent")
    if percent is None:
        return _invalid("backup_reserve_percent must be 0-100")
    site.backup_reserve_percent = percent
    return errors.ok(UPDATED)


async def operation(call: Call, site: Site) -> web.StreamResponse:
    """`POST /operation` `default_real_mode` self_consumption|autonomous (backup accepted)."""
    mode = (await call.json()).get("default_real_mode")
    if mode not in ("self_consumption", "autonomous", "backup"):
        return _invalid("default_real_mode must be self_consumption or autonomous")
    site.default_real_mode = str(mode)
    return errors.ok(UPDATED)


async def storm_mode(call: Call, site: Site) -> web.StreamResponse:
    """`POST /storm_mode` `enabled`."""
    enabled = (await call.json()).get("enabled")
    if not isinstance(enabled, bool):
        return _invalid("enabled must be true or false")
    site.storm_mode_enabled = enabled
    if not enabled:
        site.storm_mode_active = False
    return errors.ok(UPDATED)


async def grid_import_export(call: Call, site: Site) -> web.StreamResponse:
    """`POST /grid_import_export`: either field or both."""
    body = await call.json()
    disallow = body.get("disallow_charge_from_grid_with_solar_installed")
    rule = body.get("customer_preferred_export_rule")
    if disallow is None and rule is None:
        return _invalid("nothing to change")
    if disallow is not None and not isinstance(disallow, bool):
        return _invalid("disallow_charge_from_grid_with_solar_installed must be true or false")
    if rule is not None and rule not in EXPORT_RULES:
        return _invalid(f"customer_preferred_export_rule must be one of {list(EXPORT_RULES)}")
    if disallow is not None:
        site.disallow_charge_from_grid_with_solar_installed = disallow
    if rule is not None:
        site.customer_preferred_export_rule = str(rule)
    return errors.ok(UPDATED)


async def off_grid_reserve(call: Call, site: Site) -> web.StreamResponse:
    """`POST /off_grid_vehicle_charging_reserve`."""
    percent = _percent(await call.json(), "off_grid_vehicle_charging_reserve_percent")
    if percent is None:
        return _invalid("off_grid_vehicle_charging_reserve_percent must be 0-100")
    site.off_grid_vehicle_charging_reserve_percent = percent
    return errors.ok(UPDATED)


async def time_of_use(call: Call, site: Site) -> web.StreamResponse:
    """`POST /time_of_use_settings`: accepted and kept as sent."""
    body = await call.json()
    settings = body.get("tou_settings")
    if not isinstance(settings, dict):
        return _invalid("tou_settings must be an object")
    site.tou_settings = settings
    return errors.ok(UPDATED)


_SITE = "/energy_sites/{site_id}"
ENDPOINTS = (
    Endpoint(
        "GET", f"{_SITE}/live_status", "live_status", "data", ENERGY_READ, _with_site(live_status)
    ),
    Endpoint("GET", f"{_SITE}/site_info", "site_info", "data", ENERGY_READ, _with_site(site_info)),
    Endpoint(
        "GET",
        f"{_SITE}/calendar_history",
        "calendar_history",
        "data",
        ENERGY_READ,
        _with_site(history),
    ),
    Endpoint(
        "GET",
        f"{_SITE}/telemetry_history",
        "telemetry_history",
        "data",
        ENERGY_READ,
        _with_site(telemetry_history),
    ),
    Endpoint("POST", f"{_SITE}/backup", "backup", "command", ENERGY_CMDS, _with_site(backup)),
    Endpoint(
        "POST", f"{_SITE}/operation", "operation", "command", ENERGY_CMDS, _with_site(operation)
    ),
    Endpoint(
        "POST", f"{_SITE}/storm_mode", "storm_mode", "command", ENERGY_CMDS, _with_site(storm_mode)
    ),
    Endpoint(
        "POST",
        f"{_SITE}/grid_import_export",
        "grid_import_export",
        "command",
        ENERGY_CMDS,
        _with_site(grid_import_export),
    ),
    Endpoint(
        "POST",
        f"{_SITE}/off_grid_vehicle_charging_reserve",
        "off_grid_vehicle_charging_reserve",
        "command",
        ENERGY_CMDS,
        _with_site(off_grid_reserve),
    ),
    Endpoint(
        "POST",
        f"{_SITE}/time_of_use_settings",
        "time_of_use_settings",
        "command",
        ENERGY_CMDS,
        _with_site(time_of_use),
    ),
)
