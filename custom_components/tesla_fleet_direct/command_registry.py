"""One commander per car and account, shared by the car's controls and found by actions."""

from __future__ import annotations

from collections.abc import Iterable
import re

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util.hass_dict import HassKey

from .api.models import VehicleSummary
from .command_errors import CarIdentity
from .command_runner import ONLINE_TRUST_S, VehicleCommander
from .const import DOMAIN
from .devices import TeslaFleetDirectConfigEntry
from .vehicle_coordinator import TeslaVehicleCoordinator

# Keyed by (entry id, VIN): a car shared by an owner and a driver account has one device per
# entry, each with its own commander.
COMMANDERS: HassKey[dict[tuple[str, str], VehicleCommander]] = HassKey(f"{DOMAIN}_commanders")
# 17 capital letters and digits, never I, O or Q (ISO 3779), at least one letter.
VIN_PATTERN = re.compile(r"(?=.*[A-Z])[A-HJ-NPR-Z0-9]{17}")


@callback
def async_vehicle_commander(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, coordinator: TeslaVehicleCoordinator
) -> VehicleCommander:
    """The car's one commander (created with the first control that needs it)."""
    commanders = hass.data.setdefault(COMMANDERS, {})
    key = (entry.entry_id, coordinator.vin)
    if (existing := commanders.get(key)) is not None:
        return existing
    name = str(coordinator.device_info.get("name") or coordinator.vin)

    def location() -> tuple[float, float] | None:
        return coordinator.data.car.location.coordinates if coordinator.data else None

    def online_until() -> float | None:
        # The coordinator's latest look (state check or data read) vouches for an online car
        # until its next look is due, with a minute's grace for a late timer.
        snapshot, seen = coordinator.data, coordinator.last_success_at
        if snapshot is None or not snapshot.online or seen is None:
            return None
        interval = coordinator.update_interval
        return seen + (interval.total_seconds() if interval else 0.0) + ONLINE_TRUST_S

    runtime = entry.runtime_data
    commander = VehicleCommander(
        hass,
        runtime.client.vehicle(coordinator.vin),
        CarIdentity(
            vin=coordinator.vin,
            name=name,
            app_domain=runtime.app_domain,
            is_owner=_is_owner(runtime.products.vehicles, coordinator.vin),
        ),
        on_success=coordinator.async_command_sent,
        location=location,
        online_until=online_until,
    )
    commanders[key] = commander

    @callback
    def _forget() -> None:
        if commanders.get(key) is commander:
            del commanders[key]

    entry.async_on_unload(_forget)
    return commander


def _is_owner(vehicles: Iterable[VehicleSummary], vin: str) -> bool:
    """Whether the account owns the car: Tesla's answers say `access_type` DRIVER for a
    driver, who cannot pair a key (the owner must); a car not listed counts as owned."""
    summary = next((car for car in vehicles if car.vin == vin), None)
    return summary is None or summary.access_type != "DRIVER"


@callback
def async_commander_for_device(hass: HomeAssistant, device_id: str) -> VehicleCommander:
    """The commander of the car an action targets (a device of this integration).

    Any other device is refused by its name: an energy site, a wall connector, a device of
    another integration, or a car whose account is not loaded.
    """
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise _not_a_car("device_not_found", device_id=device_id)
    commanders = hass.data.get(COMMANDERS, {})
    ours = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
    for entry_id in _device_entry_ids(device):
        for identifier in ours:
            if (commander := commanders.get((entry_id, identifier))) is not None:
                return commander
    name = device.name_by_user or device.name or device_id
    if any(VIN_PATTERN.fullmatch(identifier) for identifier in ours):
        raise _not_a_car("vehicle_not_loaded", name=name)
    raise _not_a_car("not_a_vehicle", name=name)


def _device_entry_ids(device: dr.BaseDeviceEntry) -> set[str]:
    """The config entries of a device: one, or several for a pre-split composite device id.

    A device belongs to one config entry (`config_entry_id`); only the read-only composite that
    an id from before Home Assistant split shared devices resolves to still names them all,
    and reading `config_entries` of any other device is deprecated (logged as a warning).
    """
    if device.is_composite_device:
        return set(device.config_entries)
    return {device.config_entry_id}


def _not_a_car(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
