"""Fleet Telemetry configuration, Tesla's side: the signed config, each car's answer, errors.

`POST /vehicles/fleet_telemetry_config_jws` takes `{"vins": [...], "token": JWS}`. The token must
be a Tesla.SS256 JWS (Schnorr over P-256 with SHA-256, teslamotors/vehicle-command
`internal/schnorr`) whose signature holds for the key in its `iss` claim, with `aud`
`com.tesla.fleet.TelemetryClient` and no `exp` in the past; anything else is 400. The app must
be registered in the region (`partner_domains`, 412 otherwise): its registered key is the one
the cars check. A car is skipped for `unsupported_hardware` (Model S before the Intel Atom
computer), `unsupported_firmware` (before 2024.26; 2025.20 for Intel Atom Model S/X) or
`missing_key` (the app's key is not paired; Intel Atom Model S/X need the in-car "Allow
Third-Party App Data Streaming" toggle instead). A car that already holds configurations for
`app_limit` other apps counts as updated but keeps nothing: GET then answers `synced: true,
config: null, limit_reached: true`, DELETE updates 0, and a freed slot does not bring it back
(teslamotors/fleet-telemetry#294); `limit_mode: "skip"` lists it under `max_configs` instead,
as Tesla's example answer does. A token signed by a key that is valid but not the app's is
accepted; the car then reports `error loading config file: InvalidSignature: unknown issuer`
(fleet-telemetry#303). A configuration is `synced` once a request finds the car online, and
dropped at its `exp`.

The Schnorr verification here is the emulator's own (it imports nothing from the integration),
so the two sides check each other.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, Final, NamedTuple
import uuid

from aiohttp import web

from . import errors
from .admin import PREFIX, _body, _loopback_only
from .http import Call, Endpoint
from .signing import public_key_bytes
from .vehicle import Vehicle
from .vehicles_api import VEHICLE_READ, find_vehicle, not_found

if TYPE_CHECKING:
    from .emulator import Emulator

AUDIENCE: Final = "com.tesla.fleet.TelemetryClient"
ALGORITHM: Final = "Tesla.SS256"
MIN_FIRMWARE: Final = (2024, 26)
INTEL_ATOM_SX_MIN_FIRMWARE: Final = (2025, 20)
# "About 3-4 applications" (fleet-telemetry#294); the exact number is unpublished.
DEFAULT_APP_LIMIT: Final = 3
COMPUTERS: Final = ("modern", "intel_atom_sx", "mcu1")
LIMIT_MODES: Final = ("silent", "skip")
# The 2015 Model S profile is an MCU1 car; everything else streams with a key.
DEFAULT_COMPUTER: Final = {"models_2015": "mcu1"}
SETUP_HELP: Final = (
    "Refer to https://developer.tesla.com/docs/fleet-api/fleet-telemetry for instructions "
    "setting up fleet-telemetry."
)
UNKNOWN_ISSUER: Final = "error loading config file: InvalidSignature: unknown issuer"
SKIP_REASONS: Final = ("missing_key", "unsupported_hardware", "unsupported_firmware", "max_configs")
SETTABLE: Final = frozenset(
    {"computer", "streaming_toggle", "other_apps", "app_limit", "limit_mode", "firmware"}
)
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


class InvalidTokenError(ValueError):
    """The JWS is malformed, mis-signed, for another audience or expired."""


# --- Tesla.SS256 verification ---------------------------------------------------------------


class _Curve:
    """NIST P-256: y^2 = x^3 - 3x + b (mod p), generator G of prime order n."""

    p = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    b = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


class _Pt(NamedTuple):
    """An affine point; `x is None` is the neutral element."""

    x: int | None
    y: int | None

    @classmethod
    def decode(cls, data: bytes) -> _Pt | None:
        """A 65-byte uncompressed point that lies on the curve."""
        if len(data) != 65 or data[0] != 4:
            return None
        x, y = int.from_bytes(data[1:33]), int.from_bytes(data[33:])
        p = _Curve.p
        if max(x, y) >= p or (pow(y, 2, p) - pow(x, 3, p) + 3 * x - _Curve.b) % p:
            return None
        return cls(x, y)

    def encode(self) -> bytes:
        """0x04 || x || y."""
        if self.x is None or self.y is None:
            raise ValueError("the neutral element has no encoding")
        return b"\x04" + self.x.to_bytes(32) + self.y.to_bytes(32)

    def plus(self, other: _Pt) -> _Pt:
        """The group law."""
        if self.x is None or self.y is None:
            return other
        if other.x is None or other.y is None:
            return self
        p = _Curve.p
        if self.x == other.x:
            if (self.y + other.y) % p == 0:
                return _INFINITY
            lam = (3 * self.x * self.x - 3) * pow(2 * self.y, -1, p)
        else:
            lam = (other.y - self.y) * pow(other.x - self.x, -1, p)
        x3 = (lam * lam - self.x - other.x) % p
        return _Pt(x3, (lam * (self.x - x3) - self.y) % p)

    def times(self, k: int) -> _Pt:
        """k times this point (right-to-left binary method)."""
        total, doubling = _INFINITY, self
        for bit in reversed(f"{k % _Curve.n:b}"):
            if bit == "1":
                total = total.plus(doubling)
            doubling = doubling.plus(doubling)
        return total


_INFINITY: Final = _Pt(None, None)
_GENERATOR: Final = _Pt(
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def schnorr_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Tesla's `schnorr.Verify`: `V == c*A + r*G` for the signature `V.x || V.y || r`."""
    signer = _Pt.decode(public_key)
    if signer is None or len(signature) != 96:
        return False
    nonce = b"\x04" + signature[:64]
    r = int.from_bytes(signature[64:])
    digest = hashlib.sha256()
    for part in (_GENERATOR.encode(), nonce, public_key, message):
        digest.update(len(part).to_bytes(4) + part)
    c = int.from_bytes(digest.digest())
    combined = signer.times(c).plus(_GENERATOR.times(r))
    return combined.x is not None and combined.encode() == nonce


def _segment(text: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidTokenError("token: not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as err:
        raise InvalidTokenError("token: not base64url") from err
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:
        raise InvalidTokenError("token: not base64url")
    return data


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as err:
        raise InvalidTokenError("token: not JSON") from err
    if not isinstance(value, dict):
        raise InvalidTokenError("token: not a JSON object")
    return value


def read_token(token: str, now: float) -> tuple[dict[str, Any], bytes]:
    """The claims of a valid telemetry JWS and the issuer's key; `InvalidTokenError` if not."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidTokenError("token: not a JWS")
    header = _json_object(_segment(parts[0]))
    claims = _json_object(_segment(parts[1]))
    signature = _segment(parts[2])
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(f"token: alg must be {ALGORITHM}")
    iss = claims.get("iss")
    try:
        issuer = base64.b64decode(iss, validate=True) if isinstance(iss, str) else b""
    except binascii.Error:
        issuer = b""
    if _Pt.decode(issuer) is None:
        raise InvalidTokenError("token: iss is not a P-256 public key")
    if not schnorr_valid(issuer, f"{parts[0]}.{parts[1]}".encode(), signature):
        raise InvalidTokenError("token: signature does not verify")
    if claims.get("aud") != AUDIENCE:
        raise InvalidTokenError(f"token: aud must be {AUDIENCE}")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or isinstance(exp, bool)):
        raise InvalidTokenError("token: exp must be a number")
    if exp is not None and exp <= now:
        raise InvalidTokenError("token: expired")
    return claims, issuer


# --- each car's side ------------------------------------------------------------------------


@dataclass
class AppConfig:
    """What one app sent one car."""

    claims: dict[str, Any]
    sent_at: float
    # False: refused because the car holds too many apps' configs (it keeps nothing).
    accepted: bool
    # False: signed by a key that is not the app's (the car reports it once synced).
    trusted: bool
    synced: bool = False

    @property
    def exp(self) -> float | None:
        """When the car drops it."""
        exp = self.claims.get("exp")
        return float(exp) if isinstance(exp, int | float) else None


@dataclass
class CarTelemetry:
    """One car's telemetry settings (admin-settable) and the configs it holds by client id."""

    computer: str = "modern"
    # Intel Atom Model S/X: "Allow Third-Party App Data Streaming" in the Safety screen.
    streaming_toggle: bool = False
    other_apps: int = 0
    app_limit: int = DEFAULT_APP_LIMIT
    limit_mode: str = "silent"
    # Overrides the scenario's `car_version` here and in fleet_status (not in vehicle_data).
    firmware: str | None = None
    configs: dict[str, AppConfig] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """The admin API's picture."""
        return {
            **{name: getattr(self, name) for name in sorted(SETTABLE)},
            "configs": {
                client: {
                    "accepted": cfg.accepted,
                    "trusted": cfg.trusted,
                    "synced": cfg.synced,
                    "sent_at": cfg.sent_at,
                    "config": cfg.claims,
                }
                for client, cfg in self.configs.items()
            },
        }


def firmware_tuple(version: str) -> tuple[int, int]:
    """(year, release) of "2024.26.3 abc"; (0, 0) when unreadable."""
    parts = version.split(" ", maxsplit=1)[0].split(".")
    try:
        return int(parts[0]), int(parts[1])
    except IndexError, ValueError:
        return 0, 0


class TelemetryService:
    """Every car's telemetry state and the errors cars reported (`emu.telemetry`)."""

    def __init__(self, emu: Emulator) -> None:
        """Bound to the emulator (its world may be rebuilt, so it is looked up each time)."""
        self._emu = emu
        self.cars: dict[str, CarTelemetry] = {}
        self.errors: list[dict[str, Any]] = []

    def car(self, vin: str) -> CarTelemetry:
        """The car's settings (created with its model's defaults)."""
        if vin not in self.cars:
            model = self._emu.world.vehicles[vin].spec.model
            self.cars[vin] = CarTelemetry(computer=DEFAULT_COMPUTER.get(model, "modern"))
        return self.cars[vin]

    def firmware(self, vin: str) -> str:
        """The firmware version the car reports (no build hash)."""
        override = self.car(vin).firmware
        return override or self._emu.world.vehicles[vin].spec.car_version.split(" ")[0]

    def key_paired(self, vin: str, app_key: bytes | None) -> bool:
        """Whether the app's key is on the car (cars without the protocol take none)."""
        security = self._emu.world.security.get(vin)
        return app_key is not None and security is not None and app_key in security.paired

    def skip_reason(self, vin: str, app_key: bytes | None) -> str | None:
        """Why the car cannot take a configuration at all, if it cannot."""
        state = self.car(vin)
        if state.computer == "mcu1":
            return "unsupported_hardware"
        intel_atom = state.computer == "intel_atom_sx"
        needed = INTEL_ATOM_SX_MIN_FIRMWARE if intel_atom else MIN_FIRMWARE
        if firmware_tuple(self.firmware(vin)) < needed:
            return "unsupported_firmware"
        if intel_atom:
            return None if state.streaming_toggle else "missing_key"
        return None if self.key_paired(vin, app_key) else "missing_key"

    def configure(
        self,
        client_id: str,
        vins: list[str],
        claims: dict[str, Any],
        *,
        app_key: bytes | None,
        trusted: bool,
    ) -> dict[str, Any]:
        """Send `claims` to the cars; Tesla's answer."""
        now = self._emu.clock.now()
        updated = 0
        skipped: dict[str, list[str]] = {reason: [] for reason in SKIP_REASONS}
        for vin in vins:
            state = self.car(vin)
            reason = self.skip_reason(vin, app_key)
            holds_slot = client_id in state.configs and state.configs[client_id].accepted
            full = not holds_slot and state.other_apps >= state.app_limit
            if reason is None and full and state.limit_mode == "skip":
                reason = "max_configs"
            if reason is not None:
                skipped[reason].append(vin)
                continue
            state.configs[client_id] = AppConfig(
                dict(claims), now, accepted=not full, trusted=trusted
            )
            updated += 1
            self._sync(vin, client_id)
        return {"updated_vehicles": updated, "skipped_vehicles": skipped}

    def status(self, client_id: str, vin: str, app_key: bytes | None) -> dict[str, Any]:
        """`GET fleet_telemetry_config` for this app."""
        state = self.car(vin)
        self._expire(vin)
        self._sync(vin, client_id)
        cfg = state.configs.get(client_id)
        return {
            "synced": True if cfg is None else cfg.synced,
            "config": cfg.claims if cfg is not None and cfg.accepted else None,
            "limit_reached": cfg is not None and not cfg.accepted,
            "key_paired": self.key_paired(vin, app_key),
        }

    def delete(self, client_id: str, vin: str) -> int:
        """Remove the app's configuration: 1 if the car held one (0 for a refused one)."""
        self._expire(vin)
        cfg = self.car(vin).configs.pop(client_id, None)
        return 1 if cfg is not None and cfg.accepted else 0

    def _expire(self, vin: str) -> None:
        now = self._emu.clock.now()
        configs = self.car(vin).configs
        for client, cfg in list(configs.items()):
            if cfg.exp is not None and cfg.exp <= now:
                del configs[client]

    def _sync(self, vin: str, client_id: str) -> None:
        """The car takes a pending configuration when it is online."""
        cfg = self.car(vin).configs.get(client_id)
        car: Vehicle = self._emu.world.vehicles[vin]
        if cfg is None or cfg.synced or not car.online:
            return
        cfg.synced = True
        if cfg.accepted and not cfg.trusted:
            self.add_error(vin, client_id, UNKNOWN_ISSUER, "config_manager_error")

    def add_error(
        self, vin: str, client_id: str, error: str, error_name: str = "config_manager_error"
    ) -> dict[str, Any]:
        """Record an error the car reported (as `fleet_telemetry_errors` lists it)."""
        moment = self._emu.clock.now()
        record = {
            "created_at": _iso(moment),
            "error": error,
            "error_name": error_name,
            "name": client_id,
            "txID": str(uuid.uuid4()),
            "vin": vin,
        }
        self.errors.append(record)
        return record

    def errors_for(self, client_id: str, vin: str | None = None) -> list[dict[str, Any]]:
        """The app's error records (one car's, or all)."""
        return [
            e for e in self.errors if e["name"] == client_id and (vin is None or e["vin"] == vin)
        ]

    def fleet_status_info(self, vin: str) -> dict[str, Any]:
        """What `fleet_status` adds per car: firmware and, on Intel Atom S/X, the toggle."""
        info: dict[str, Any] = {"firmware_version": self.firmware(vin)}
        state = self.car(vin)
        if state.computer == "intel_atom_sx":
            info["safety_screen_streaming_toggle_enabled"] = state.streaming_toggle
        return info


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


# --- Fleet API endpoints --------------------------------------------------------------------


def _app_key(call: Call) -> bytes | None:
    """The app's registered public key in this region (None: not registered)."""
    registered = call.emu.partner_domains.get((call.claims.client_id, call.region))
    if registered is None:
        return None
    try:
        return public_key_bytes(registered[1])
    except ValueError:
        return None


async def configure_jws(call: Call) -> web.StreamResponse:
    """`POST /vehicles/fleet_telemetry_config_jws` `{"vins": [...], "token": JWS}`."""
    assert call.account is not None
    body = await call.json()
    vins, token = body.get("vins"), body.get("token")
    if not isinstance(vins, list) or not vins or not all(isinstance(v, str) for v in vins):
        return errors.fleet_error(400, "invalid_field", "vins must be a list of VINs")
    if not isinstance(token, str):
        return errors.fleet_error(400, "invalid_field", "token is required")
    try:
        claims, issuer = read_token(token, call.emu.clock.now())
    except InvalidTokenError as err:
        return errors.fleet_error(400, "invalid_field", str(err))
    app_key = _app_key(call)
    if app_key is None:
        return errors.fleet_error(412, SETUP_HELP)
    mine = [vin for vin in vins if vin in call.account.vehicles]
    answer = call.emu.telemetry.configure(
        call.claims.client_id, mine, claims, app_key=app_key, trusted=issuer == app_key
    )
    return errors.ok(answer)


async def legacy_configure(call: Call) -> web.StreamResponse:
    """`POST /vehicles/fleet_telemetry_config`: only with a Tesla-issued certificate (none here)."""
    return errors.fleet_error(412, SETUP_HELP)


async def get_config(call: Call) -> web.StreamResponse:
    """`GET /vehicles/{vin}/fleet_telemetry_config`."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    return errors.ok(call.emu.telemetry.status(call.claims.client_id, car.vin, _app_key(call)))


async def delete_config(call: Call) -> web.StreamResponse:
    """`DELETE /vehicles/{vin}/fleet_telemetry_config`."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    return errors.ok(
        {"updated_vehicles": call.emu.telemetry.delete(call.claims.client_id, car.vin)}
    )


async def vehicle_errors(call: Call) -> web.StreamResponse:
    """`GET /vehicles/{vin}/fleet_telemetry_errors`: this app's errors from one car."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    found = call.emu.telemetry.errors_for(call.claims.client_id, car.vin)
    return errors.ok({"fleet_telemetry_errors": found})


async def partner_errors(call: Call) -> web.StreamResponse:
    """`GET /partner_accounts/fleet_telemetry_errors` (partner token): the app's errors."""
    return errors.ok(
        {"fleet_telemetry_errors": call.emu.telemetry.errors_for(call.claims.client_id)}
    )


ENDPOINTS = (
    Endpoint(
        "POST",
        "/vehicles/fleet_telemetry_config_jws",
        "fleet_telemetry_config_jws",
        "data",
        VEHICLE_READ,
        configure_jws,
    ),
    Endpoint(
        "POST",
        "/vehicles/fleet_telemetry_config",
        "fleet_telemetry_config_create",
        "data",
        VEHICLE_READ,
        legacy_configure,
    ),
    Endpoint(
        "GET",
        "/vehicles/{vin}/fleet_telemetry_config",
        "fleet_telemetry_config_get",
        "data",
        VEHICLE_READ,
        get_config,
    ),
    Endpoint(
        "DELETE",
        "/vehicles/{vin}/fleet_telemetry_config",
        "fleet_telemetry_config_delete",
        "data",
        VEHICLE_READ,
        delete_config,
    ),
    Endpoint(
        "GET",
        "/vehicles/{vin}/fleet_telemetry_errors",
        "fleet_telemetry_errors_vehicle",
        "data",
        VEHICLE_READ,
        vehicle_errors,
    ),
    Endpoint(
        "GET",
        "/partner_accounts/fleet_telemetry_errors",
        "fleet_telemetry_errors",
        "data",
        frozenset(),
        partner_errors,
        partner=True,
    ),
)


# --- admin API ------------------------------------------------------------------------------


def setup_admin(app: web.Application, emu: Emulator) -> None:
    """`/_emulator/vehicles/{vin}/telemetry` (GET/PATCH settings, configs) and its errors."""

    async def car_settings(request: web.Request) -> web.StreamResponse:
        vin = request.match_info["vin"]
        if vin not in emu.world.vehicles:
            return web.json_response({"error": "unknown vehicle"}, status=404)
        state = emu.telemetry.car(vin)
        if request.method == "PATCH":
            body = await _body(request)
            problem = _check_settings(body)
            if problem:
                return web.json_response({"error": problem}, status=400)
            for name, value in body.items():
                setattr(state, name, value)
        return web.json_response({"vin": vin, **state.view()})

    async def car_errors(request: web.Request) -> web.StreamResponse:
        vin = request.match_info["vin"]
        if vin not in emu.world.vehicles:
            return web.json_response({"error": "unknown vehicle"}, status=404)
        body = await _body(request)
        error = body.get("error")
        if not isinstance(error, str) or not error:
            return web.json_response({"error": "error (text) is required"}, status=400)
        record = emu.telemetry.add_error(
            vin,
            str(body.get("client_id", "tfd-client")),
            error,
            str(body.get("error_name", "config_manager_error")),
        )
        return web.json_response(record)

    async def all_errors(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            emu.telemetry.errors.clear()
        return web.json_response({"fleet_telemetry_errors": emu.telemetry.errors})

    routes = (
        ("GET", "/vehicles/{vin}/telemetry", car_settings),
        ("PATCH", "/vehicles/{vin}/telemetry", car_settings),
        ("POST", "/vehicles/{vin}/telemetry_errors", car_errors),
        ("GET", "/telemetry_errors", all_errors),
        ("DELETE", "/telemetry_errors", all_errors),
    )
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _loopback_only(handler))


def _check_settings(body: dict[str, Any]) -> str | None:
    """Why an admin PATCH is refused, if it is."""
    unknown = set(body) - SETTABLE
    if unknown:
        return f"not settable: {sorted(unknown)}"
    checks = {
        "computer": lambda v: v in COMPUTERS,
        "limit_mode": lambda v: v in LIMIT_MODES,
        "streaming_toggle": lambda v: isinstance(v, bool),
        "other_apps": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "app_limit": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "firmware": lambda v: v is None or isinstance(v, str),
    }
    bad = sorted(name for name, value in body.items() if not checks[name](value))
    return f"invalid value for {bad}" if bad else None
