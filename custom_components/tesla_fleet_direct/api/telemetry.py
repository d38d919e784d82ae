"""Fleet Telemetry configuration through the Fleet API: send it signed, read it back, delete it.

The car streams to the user's own server once it holds a configuration signed with the app key
(`telemetry_jws.py`). Answers are parsed once, here, into frozen dataclasses; keys Tesla adds
later are ignored (each keeps `raw`). Shapes: Tesla's Fleet API reference (vehicle endpoints
`fleet_telemetry_config` create/get/delete, `fleet_telemetry_errors`; partner endpoint
`fleet_telemetry_errors`), and what users report in teslamotors/fleet-telemetry issues: #294
(a car at its app limit: create counts the car as updated, get answers `synced: true,
config: null`, delete updates 0), #303/#406 (error records with `error_name`, `created_at`,
`txID`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from cryptography.hazmat.primitives.asymmetric import ec

from ._parse import as_mapping, opt_bool, opt_float, opt_int, opt_str
from .errors import InvalidArgumentError, ResponseFormatError
from .telemetry_jws import sign_telemetry_config
from .transport import Transport
from .validation import check_int, check_number, check_text

CONFIG_JWS_PATH: Final = "/api/1/vehicles/fleet_telemetry_config_jws"
PARTNER_ERRORS_PATH: Final = "/api/1/partner_accounts/fleet_telemetry_errors"
# Why Tesla skips a car (`skipped_vehicles` keys). `max_configs`: the car holds configs for
# too many apps; Tesla's example answer lists it, while users at the limit reported the car
# counted as updated instead (fleet-telemetry#294). Unknown reasons are kept as Tesla sent them.
SKIP_REASONS: Final = ("missing_key", "unsupported_hardware", "unsupported_firmware", "max_configs")
# A week of seconds, the upper end of a field interval worth asking for.
MAX_INTERVAL_S: Final = 7 * 24 * 3600
PEM_CERTIFICATE: Final = "-----BEGIN CERTIFICATE-----"
MAX_CA_LENGTH: Final = 65536

type ConfigState = Literal["active", "pending", "absent"]


@dataclass(frozen=True, slots=True)
class FieldConfig:
    """How one telemetry field streams: at most every `interval_seconds` when it changed."""

    interval_seconds: int
    # Newer firmware: skip changes smaller than this; resend unchanged values this often.
    minimum_delta: float | None = None
    resend_interval_seconds: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The field's entry in the configuration."""
        entry: dict[str, Any] = {"interval_seconds": self.interval_seconds}
        if self.minimum_delta is not None:
            entry["minimum_delta"] = self.minimum_delta
        if self.resend_interval_seconds is not None:
            entry["resend_interval_seconds"] = self.resend_interval_seconds
        return entry

    @classmethod
    def parse(cls, data: Any) -> FieldConfig | None:
        """A field entry; None when it has no usable interval."""
        obj = as_mapping(data)
        interval = opt_int(obj, "interval_seconds")
        if interval is None:
            return None
        return cls(
            interval, opt_float(obj, "minimum_delta"), opt_int(obj, "resend_interval_seconds")
        )


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    """A configuration as the car holds it (the signed claims, `iss`/`aud` included in `raw`)."""

    hostname: str | None
    port: int | None
    ca: str | None
    fields: Mapping[str, FieldConfig]
    alert_types: tuple[str, ...]
    exp: int | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, data: Any) -> TelemetryConfig:
        """Tolerant: a missing or mistyped part becomes None / empty."""
        obj = as_mapping(data)
        fields: dict[str, FieldConfig] = {}
        for name, entry in as_mapping(obj.get("fields")).items():
            parsed = FieldConfig.parse(entry)
            if parsed is not None:
                fields[name] = parsed
        alerts = obj.get("alert_types")
        return cls(
            hostname=opt_str(obj, "hostname"),
            port=opt_int(obj, "port"),
            ca=opt_str(obj, "ca"),
            fields=fields,
            alert_types=tuple(a for a in alerts if isinstance(a, str))
            if isinstance(alerts, list)
            else (),
            exp=opt_int(obj, "exp"),
            raw=obj,
        )


def telemetry_config(
    *,
    hostname: str,
    port: int,
    ca: str,
    fields: Mapping[str, FieldConfig | int],
    exp: int,
    alert_types: Iterable[str] = (),
) -> dict[str, Any]:
    """The claims to sign, checked before anything is sent (`InvalidArgumentError`).

    `ca` is the server's full certificate chain in PEM; `exp` the epoch second the car drops
    the configuration; a field given as an int is its `interval_seconds`.
    """
    host = check_text("hostname", hostname, max_length=253).strip()
    if any(c in host for c in "/: ") or "." not in host:
        raise InvalidArgumentError("hostname must be a DNS name without scheme or port")
    # Not check_text: a PEM chain is multi-line text.
    if not isinstance(ca, str) or len(ca) > MAX_CA_LENGTH or PEM_CERTIFICATE not in ca:
        raise InvalidArgumentError("ca must be the server's certificate chain in PEM")
    if not fields:
        raise InvalidArgumentError("fields must name at least one field")
    entries: dict[str, Any] = {}
    for name, spec in fields.items():
        check_text("field name", name, max_length=100)
        setting = spec if isinstance(spec, FieldConfig) else FieldConfig(spec)
        check_int(f"{name} interval_seconds", setting.interval_seconds, 1, MAX_INTERVAL_S)
        if setting.minimum_delta is not None:
            check_number(f"{name} minimum_delta", setting.minimum_delta, 0, 1e9)
        if setting.resend_interval_seconds is not None:
            check_int(
                f"{name} resend_interval_seconds",
                setting.resend_interval_seconds,
                1,
                MAX_INTERVAL_S,
            )
        entries[name] = setting.to_json()
    claims: dict[str, Any] = {
        "hostname": host,
        "port": check_int("port", port, 1, 65535),
        "ca": ca,
        "fields": entries,
        "exp": check_int("exp", exp, 1, 2**40),
    }
    alerts = [check_text("alert type", a, max_length=50) for a in alert_types]
    if alerts:
        claims["alert_types"] = alerts
    return claims


@dataclass(frozen=True, slots=True)
class ConfigureResult:
    """`fleet_telemetry_config_jws`: how many cars took it, and why the others did not."""

    updated_vehicles: int
    # Reason (see SKIP_REASONS) -> VINs; reasons with no car are left out.
    skipped: Mapping[str, tuple[str, ...]]
    raw: Mapping[str, Any] = field(repr=False)

    def reason(self, vin: str) -> str | None:
        """Why Tesla skipped `vin` (None: not skipped)."""
        return next((reason for reason, vins in self.skipped.items() if vin in vins), None)

    @property
    def skipped_vins(self) -> tuple[str, ...]:
        """Every skipped car."""
        return tuple(vin for vins in self.skipped.values() for vin in vins)

    @classmethod
    def parse(cls, response: Any, *, path: str) -> ConfigureResult:
        """`{"updated_vehicles": n, "skipped_vehicles": {reason: [vin, ...]}}`.

        Older answers carry no `skipped_vehicles` at all; a list of `{vin, reason}` objects is
        read too (seen in third-party typings, unverified).
        """
        obj = as_mapping(response)
        updated = opt_int(obj, "updated_vehicles")
        if updated is None:
            raise ResponseFormatError("telemetry answer has no updated_vehicles", path=path)
        skipped: dict[str, list[str]] = {}
        raw_skipped = obj.get("skipped_vehicles")
        if isinstance(raw_skipped, Mapping):
            for reason, vins in raw_skipped.items():
                if isinstance(vins, list):
                    skipped.setdefault(reason, []).extend(v for v in vins if isinstance(v, str))
        elif isinstance(raw_skipped, list):
            for item in raw_skipped:
                entry = as_mapping(item)
                vin, reason = opt_str(entry, "vin"), opt_str(entry, "reason")
                if vin and reason:
                    skipped.setdefault(reason, []).append(vin)
        return cls(updated, {r: tuple(v) for r, v in skipped.items() if v}, obj)


@dataclass(frozen=True, slots=True)
class TelemetryConfigStatus:
    """`GET fleet_telemetry_config`: what the car holds for this app."""

    synced: bool
    config: TelemetryConfig | None
    key_paired: bool | None
    limit_reached: bool | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def state(self) -> ConfigState:
        """Whether the car runs our configuration.

        `active`: it does. `pending`: it takes it when it next connects. `absent`: it holds
        none for us although in sync: never sent, deleted, expired, or refused because the
        car already holds too many apps' configurations (`limit_reached` says so when Tesla
        reports it).
        """
        if not self.synced:
            return "pending"
        return "active" if self.config is not None else "absent"

    @classmethod
    def parse(cls, response: Any, *, path: str) -> TelemetryConfigStatus:
        """`{"synced": bool, "config": {...} | null, "key_paired": bool, "limit_reached": bool}`."""
        obj = as_mapping(response)
        synced = opt_bool(obj, "synced")
        if synced is None:
            raise ResponseFormatError("telemetry config answer has no synced", path=path)
        raw_config = obj.get("config")
        config = TelemetryConfig.parse(raw_config) if isinstance(raw_config, Mapping) else None
        return cls(synced, config, opt_bool(obj, "key_paired"), opt_bool(obj, "limit_reached"), obj)


@dataclass(frozen=True, slots=True)
class TelemetryError:
    """An error a car reported after receiving a configuration (bad certificate, ...)."""

    vin: str | None
    name: str | None  # the app's client id
    error: str
    error_name: str | None  # e.g. "config_manager_error"
    created_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, data: Any) -> TelemetryError | None:
        """One record; None without an `error` text."""
        obj = as_mapping(data)
        error = opt_str(obj, "error")
        if error is None:
            return None
        created = opt_str(obj, "created_at")
        try:
            created_at = datetime.fromisoformat(created) if created else None
        except ValueError:
            created_at = None
        return cls(
            vin=opt_str(obj, "vin"),
            name=opt_str(obj, "name"),
            error=error,
            error_name=opt_str(obj, "error_name"),
            created_at=created_at,
            raw=obj,
        )


def parse_telemetry_errors(response: Any) -> tuple[TelemetryError, ...]:
    """`{"fleet_telemetry_errors": [...]}` (a bare list is taken too)."""
    items = (
        response
        if isinstance(response, list)
        else as_mapping(response).get("fleet_telemetry_errors")
    )
    if not isinstance(items, list):
        return ()
    return tuple(e for e in (TelemetryError.parse(item) for item in items) if e is not None)


class TelemetryApi:
    """The account's Fleet Telemetry configuration endpoints (user token)."""

    def __init__(self, transport: Transport) -> None:
        """Share the client's transport (region, token, accounting)."""
        self._transport = transport

    async def configure(self, vins: Iterable[str], token: str) -> ConfigureResult:
        """Send an already signed configuration (`token`, a Tesla.SS256 JWS) to `vins`."""
        body = {"vins": _vins(vins), "token": check_text("token", token, max_length=1 << 20)}
        response = await self._transport.request("POST", CONFIG_JWS_PATH, json_body=body)
        return ConfigureResult.parse(response, path=CONFIG_JWS_PATH)

    async def configure_signed(
        self,
        vins: Iterable[str],
        private_key: ec.EllipticCurvePrivateKey,
        config: Mapping[str, Any],
    ) -> ConfigureResult:
        """Sign `config` (see `telemetry_config`) with the app key and send it to `vins`."""
        wanted = _vins(vins)
        return await self.configure(wanted, sign_telemetry_config(private_key, config))

    async def config(self, vin: str) -> TelemetryConfigStatus:
        """What `vin` holds for this app, and whether it has taken it yet."""
        path = f"{_vehicle_path(vin)}/fleet_telemetry_config"
        response = await self._transport.request("GET", path)
        return TelemetryConfigStatus.parse(response, path=path)

    async def delete(self, vin: str) -> int:
        """Remove this app's configuration from `vin`; how many cars changed (0 or 1)."""
        path = f"{_vehicle_path(vin)}/fleet_telemetry_config"
        response = await self._transport.request("DELETE", path)
        updated = opt_int(as_mapping(response), "updated_vehicles")
        if updated is None:
            raise ResponseFormatError("telemetry answer has no updated_vehicles", path=path)
        return updated

    async def errors(self, vin: str) -> tuple[TelemetryError, ...]:
        """Recent errors `vin` reported for this app's configuration."""
        path = f"{_vehicle_path(vin)}/fleet_telemetry_errors"
        return parse_telemetry_errors(await self._transport.request("GET", path))


def _vins(vins: Iterable[str]) -> list[str]:
    wanted = [check_text("vin", vin, max_length=17) for vin in vins]
    if not wanted:
        raise InvalidArgumentError("vins must name at least one car")
    return wanted


def _vehicle_path(vin: str) -> str:
    return f"/api/1/vehicles/{check_text('vin', vin, max_length=17)}"
