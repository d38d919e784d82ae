"""Typed answers of the account-level endpoints: products, users, region, command results.

Each keeps the raw JSON object (`raw`), so fields Tesla adds later stay reachable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._parse import as_mapping, opt_bool, opt_id, opt_int, opt_str
from .errors import CommandFailedError, ResponseFormatError

type VehicleState = Literal["online", "asleep", "offline", "unknown"]
_STATES = ("online", "asleep", "offline")

# Reasons Tesla gives with `result: false` that mean "the car already is as asked".
BENIGN_REASONS: frozenset[str] = frozenset(
    {"already_set", "not_charging", "requested", "is_charging", "complete", "already on"}
)


def is_benign_reason(reason: str | None) -> bool:
    """Whether a `result: false` reason means the wanted state already holds."""
    return bool(reason) and str(reason).strip().lower() in BENIGN_REASONS


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Tesla's answer to a command (plain or signed): `{"result": bool, "reason": str}`."""

    result: bool
    reason: str = ""
    # Which command this answers (its REST name), for messages; not part of the answer's value.
    command: str = field(default="", compare=False)

    @property
    def benign(self) -> bool:
        """Refused only because nothing needed doing."""
        return not self.result and is_benign_reason(self.reason)

    @property
    def ok(self) -> bool:
        """Done, or already as asked: what the integration treats as success."""
        return self.result or self.benign

    def raise_for_result(self, command: str, *, path: str | None = None) -> CommandResult:
        """Raise CommandFailedError unless `ok`; returns self for chaining."""
        if not self.ok:
            raise CommandFailedError(self.reason, command=command, path=path)
        return self

    @classmethod
    def parse(cls, response: Any, *, path: str, command: str = "") -> CommandResult:
        """Read `{"result": ..., "reason": ...}`; anything else is a format error."""
        data = as_mapping(response)
        result = data.get("result")
        if not isinstance(result, bool):
            raise ResponseFormatError("command answer has no boolean `result`", path=path)
        return cls(result, opt_str(data, "reason") or "", command)

    @classmethod
    def from_outcome(cls, outcome: Any, *, command: str = "") -> CommandResult:
        """Adopt any object with `result`/`reason` (e.g. the signed path's CommandOutcome)."""
        return cls(bool(outcome.result), str(getattr(outcome, "reason", "") or ""), command)


def vehicle_state(value: Any) -> VehicleState:
    """Tesla's `state` text as one of the known states."""
    if isinstance(value, str) and value in _STATES:
        return value  # type: ignore[return-value]
    return "unknown"


@dataclass(frozen=True, slots=True)
class VehicleSummary:
    """A vehicle as `/products`, `/vehicles` and `/vehicles/{vin}` describe it (never wakes it)."""

    vin: str
    id: int | None
    vehicle_id: int | None
    display_name: str | None
    state: VehicleState
    command_signing: str | None  # off | allowed | required
    access_type: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def online(self) -> bool:
        """The car answers data requests and commands now."""
        return self.state == "online"

    @property
    def signing_required(self) -> bool:
        """The car rejects unsigned REST commands."""
        return self.command_signing == "required"

    @classmethod
    def parse(cls, data: Any, *, path: str) -> VehicleSummary:
        """Parse one vehicle object; a vehicle without a VIN cannot be addressed."""
        obj = as_mapping(data)
        vin = opt_str(obj, "vin")
        if not vin:
            raise ResponseFormatError("vehicle without a VIN", path=path)
        return cls(
            vin=vin,
            id=opt_id(obj, "id"),
            vehicle_id=opt_id(obj, "vehicle_id"),
            display_name=opt_str(obj, "display_name"),
            state=vehicle_state(obj.get("state")),
            command_signing=opt_str(obj, "command_signing"),
            access_type=opt_str(obj, "access_type"),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class SiteComponents:
    """What an energy site has installed."""

    battery: bool
    solar: bool
    grid: bool
    wall_connectors: int
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, data: Any) -> SiteComponents:
        """Parse `components`; absent parts read as not installed."""
        obj = as_mapping(data)
        connectors = obj.get("wall_connectors")
        return cls(
            battery=bool(opt_bool(obj, "battery")),
            solar=bool(opt_bool(obj, "solar")),
            grid=bool(opt_bool(obj, "grid")),
            wall_connectors=len(connectors) if isinstance(connectors, list) else 0,
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class EnergySiteSummary:
    """An energy site as `/products` lists it."""

    energy_site_id: int
    site_name: str | None
    resource_type: str | None
    components: SiteComponents
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, data: Any, *, path: str) -> EnergySiteSummary:
        """Parse one site object; a site without an id cannot be addressed."""
        obj = as_mapping(data)
        site_id = opt_id(obj, "energy_site_id")
        if site_id is None:
            raise ResponseFormatError("energy site without an id", path=path)
        return cls(
            energy_site_id=site_id,
            site_name=opt_str(obj, "site_name"),
            resource_type=opt_str(obj, "resource_type"),
            components=SiteComponents.parse(obj.get("components")),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class Products:
    """`/products`, split into vehicles and energy sites (other products are ignored)."""

    vehicles: Sequence[VehicleSummary]
    energy_sites: Sequence[EnergySiteSummary]

    @classmethod
    def parse(cls, response: Any, *, path: str) -> Products:
        """Split the product list by what each entry identifies itself with."""
        if not isinstance(response, list):
            raise ResponseFormatError("products answer is not a list", path=path)
        vehicles: list[VehicleSummary] = []
        sites: list[EnergySiteSummary] = []
        for item in response:
            obj = as_mapping(item)
            if "vin" in obj:
                vehicles.append(VehicleSummary.parse(obj, path=path))
            elif "energy_site_id" in obj:
                sites.append(EnergySiteSummary.parse(obj, path=path))
        return cls(tuple(vehicles), tuple(sites))


@dataclass(frozen=True, slots=True)
class UserProfile:
    """`/users/me`."""

    email: str | None
    full_name: str | None
    profile_image_url: str | None
    vault_uuid: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, response: Any) -> UserProfile:
        """Parse the profile; every field is optional."""
        obj = as_mapping(response)
        return cls(
            email=opt_str(obj, "email"),
            full_name=opt_str(obj, "full_name"),
            profile_image_url=opt_str(obj, "profile_image_url"),
            vault_uuid=opt_str(obj, "vault_uuid"),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class RegionInfo:
    """`/users/region`: the account's region and its base URL."""

    region: str
    fleet_api_base_url: str
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, response: Any, *, path: str) -> RegionInfo:
        """Both fields are required: the answer is useless without them."""
        obj = as_mapping(response)
        region = opt_str(obj, "region")
        url = opt_str(obj, "fleet_api_base_url")
        if not region or not url:
            raise ResponseFormatError("region answer lacks region or base URL", path=path)
        return cls(region.lower(), url.rstrip("/"), obj)


@dataclass(frozen=True, slots=True)
class FleetVehicleInfo:
    """One car's `vehicle_info` in `fleet_status` (None: Tesla did not say)."""

    firmware_version: str | None
    vehicle_command_protocol_required: bool | None
    fleet_telemetry_version: str | None
    total_number_of_keys: int | None
    discounted_device_data: bool | None
    # Model S/X with the Intel Atom computer stream only with "Allow Third-Party App Data
    # Streaming" on in the car's Safety screen; other cars leave the key out.
    safety_screen_streaming_toggle_enabled: bool | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, data: Any) -> FleetVehicleInfo:
        """Tolerant: missing or mistyped keys become None."""
        obj = as_mapping(data)
        return cls(
            firmware_version=opt_str(obj, "firmware_version"),
            vehicle_command_protocol_required=opt_bool(obj, "vehicle_command_protocol_required"),
            fleet_telemetry_version=opt_str(obj, "fleet_telemetry_version"),
            total_number_of_keys=opt_int(obj, "total_number_of_keys"),
            discounted_device_data=opt_bool(obj, "discounted_device_data"),
            safety_screen_streaming_toggle_enabled=opt_bool(
                obj, "safety_screen_streaming_toggle_enabled"
            ),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class FleetStatus:
    """`/vehicles/fleet_status`: which cars have our key and which need signed commands."""

    key_paired_vins: Sequence[str]
    unpaired_vins: Sequence[str]
    vehicle_info: Mapping[str, FleetVehicleInfo]
    raw: Mapping[str, Any] = field(repr=False)

    def key_paired(self, vin: str) -> bool | None:
        """Whether our key is on `vin` (None when Tesla listed it in neither list)."""
        if vin in self.key_paired_vins:
            return True
        return False if vin in self.unpaired_vins else None

    def protocol_required(self, vin: str) -> bool | None:
        """Whether `vin` needs the Vehicle Command Protocol (None when Tesla did not say)."""
        info = self.vehicle_info.get(vin)
        return None if info is None else info.vehicle_command_protocol_required

    def firmware_version(self, vin: str) -> str | None:
        """The car's firmware as fleet_status reports it."""
        info = self.vehicle_info.get(vin)
        return None if info is None else info.firmware_version

    @classmethod
    def parse(cls, response: Any) -> FleetStatus:
        """Lists default to empty."""
        obj = as_mapping(response)

        def vins(key: str) -> tuple[str, ...]:
            value = obj.get(key)
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        info = {
            vin: FleetVehicleInfo.parse(data)
            for vin, data in as_mapping(obj.get("vehicle_info")).items()
            if isinstance(vin, str) and isinstance(data, Mapping)
        }
        return cls(vins("key_paired_vins"), vins("unpaired_vins"), info, obj)
