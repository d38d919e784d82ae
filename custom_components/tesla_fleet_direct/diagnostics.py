"""Diagnostics for an entry, one car or one energy site, with every secret and personal datum gone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any, Final

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import DOMAIN
from .energy_coordinator import TeslaEnergySiteCoordinator, components, wall_connector_dins
from .energy_sites import SITE_REDACT, energy_site_diagnostics
from .models import TeslaFleetDirectConfigEntry, TeslaFleetDirectData
from .vehicle_coordinator import TeslaVehicleCoordinator

# Keys whose values are redacted wherever they appear (tokens, identities, places).
TO_REDACT: Final = {
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    "code_verifier",
    "vin",
    "id",
    "id_s",
    "vehicle_id",
    "user_id",
    "energy_site_id",
    "asset_site_id",
    "gateway_id",
    "din",
    "serial_number",
    "display_name",
    "vehicle_name",
    "site_name",
    "full_name",
    "email",
    "unique_id",
    "title",
    "latitude",
    "longitude",
    "native_latitude",
    "native_longitude",
    "corrected_latitude",
    "corrected_longitude",
    "active_route_latitude",
    "active_route_longitude",
    "active_route_destination",
    "heading",
    "homelink_nearby",
    "tpms_last_seen_pressure_time_fl",
    "base_url",
    "audience",
    "sub",
}
# A site in the products list carries the same identifying fields as its site info.
PRODUCT_SITE_REDACT: Final = TO_REDACT | SITE_REDACT
# Site-info fields whose values identify the home wherever they turn up again (e.g. in a path).
_SITE_ID_FIELDS: Final = ("id", "site_name", "gateway_id", "asset_site_id", "warp_site_number")


def _scrub(value: Any, secrets: Iterable[str]) -> Any:
    """Replace any secret that survived key-based redaction inside strings (e.g. in a path)."""
    secrets = [s for s in secrets if s]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {_scrub(str(k), secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scrub(v, secrets) for v in value]
    return value


def _secrets(entry: TeslaFleetDirectConfigEntry) -> list[str]:
    data: TeslaFleetDirectData = entry.runtime_data
    token = entry.data.get("token")
    found = [entry.unique_id or "", entry.title]
    if isinstance(token, Mapping):
        found += [str(token.get(k) or "") for k in ("access_token", "refresh_token", "id_token")]
    found += [v.vin for v in data.products.vehicles]
    found += [str(v.display_name or "") for v in data.products.vehicles]
    found += [str(s.energy_site_id) for s in data.products.energy_sites]
    for site in _sites(data):
        found += _site_secrets(site)
    # Longest first, so a secret containing another is replaced whole.
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def _sites(data: TeslaFleetDirectData) -> list[TeslaEnergySiteCoordinator]:
    return list(data.energy_sites.coordinators.values()) if data.energy_sites else []


def _site_secrets(coordinator: TeslaEnergySiteCoordinator) -> list[str]:
    info = coordinator.data.info if coordinator.data else None
    found = [str(coordinator.site_id), coordinator.site_name or ""]
    if info is not None:
        found += [str(info.raw.get(key) or "") for key in _SITE_ID_FIELDS]
        found += wall_connector_dins(info)
        connectors = components(info).get("wall_connectors")
        for connector in connectors if isinstance(connectors, list) else ():
            if isinstance(connector, Mapping):
                found += [
                    str(connector.get(k) or "") for k in ("device_id", "serial_number", "vin")
                ]
    return found


def _vehicle(coordinator: TeslaVehicleCoordinator) -> dict[str, Any]:
    snapshot = coordinator.data
    return {
        "state": snapshot.state if snapshot else None,
        "activity": snapshot.activity if snapshot else None,
        "update_interval_s": (
            coordinator.update_interval.total_seconds() if coordinator.update_interval else None
        ),
        "last_update_success": coordinator.last_update_success,
        "has_fresh_data": coordinator.has_fresh_data,
        "streaming": coordinator.streaming,
        "last_exception": repr(coordinator.last_exception) if coordinator.last_exception else None,
        "requested_endpoints": sorted(coordinator.endpoints),
        "scopes": sorted(coordinator.scopes),
        "data": async_redact_data(dict(snapshot.data), TO_REDACT) if snapshot else None,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry
) -> dict[str, Any]:
    """Everything about one Tesla account that helps with a bug report."""
    data: TeslaFleetDirectData = entry.runtime_data
    plan = data.polling.plan()
    result = {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "scopes": sorted(data.scopes),
        "region": data.region,
        "products": {
            "vehicles": [async_redact_data(dict(v.raw), TO_REDACT) for v in data.products.vehicles],
            "energy_sites": [
                async_redact_data(dict(s.raw), PRODUCT_SITE_REDACT)
                for s in data.products.energy_sites
            ],
        },
        "budget": {
            "monthly_budget_usd": data.polling.budget_usd,
            "spent_this_month_usd": round(data.meter.month_cost_usd(), 4),
            "spent_if_state_checks_billed_usd": round(data.meter.month_cost_usd_if_billed(), 4),
            "plan": asdict(plan),
            "rate_limited_for_s": round(data.polling.gate.remaining(), 1),
        },
        "requests_this_month": {
            category: data.meter.month(category) for category in ("data", "command", "wake")
        },
        "vehicles": [_vehicle(c) for c in data.vehicles.coordinators.values()],
        "energy_sites": [energy_site_diagnostics(c) for c in _sites(data)],
        # The cars' telemetry stream: counts and each car's stream state (VINs scrubbed below).
        "stream": data.stream.diagnostics() if data.stream is not None else None,
    }
    scrubbed: dict[str, Any] = _scrub(result, _secrets(entry))
    return scrubbed


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """One car's, or one energy site's (also from a wall connector), polling state and data."""
    data: TeslaFleetDirectData = entry.runtime_data
    dump: dict[str, Any] = {}
    for vin, coordinator in data.vehicles.coordinators.items():
        if (DOMAIN, vin) in device.identifiers:
            dump = _vehicle(coordinator)
    for site in _sites(data):
        info = site.data.info if site.data else None
        identifiers = {str(site.site_id), *wall_connector_dins(info)}
        if any((DOMAIN, identifier) in device.identifiers for identifier in identifiers):
            dump = energy_site_diagnostics(site)
    scrubbed: dict[str, Any] = _scrub(dump, _secrets(entry))
    return scrubbed
