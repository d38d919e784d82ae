"""The emulator's state file: what a restart keeps, so a client signed in before still works.

Kept: the token service (signing key, generation, refresh grants with their rotation and
revocation), hosted keys and registered partner domains, each signing car's paired keys and
session state, every car's and site's simulated state, the virtual clock's offset and when the
world began (the scenario's relative times stay anchored there). On load the simulation runs
from the saved moment to now, scenario events included, as if the emulator had kept running.
Not kept: authorization codes, the ledger, faults, rate-limit counters and admin settings.

JSON with a version number, written atomically (temporary file, fsync, rename) with mode 0600:
it holds live tokens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import dataclasses
import json
import logging
import os
from pathlib import Path
import tempfile
import types
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin, get_type_hints

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .energy import Site
from .scenario import EventSpec, Scenario
from .telemetry import SETTABLE, AppConfig, CarTelemetry
from .vehicle import Vehicle

if TYPE_CHECKING:
    from .emulator import Emulator

_LOGGER = logging.getLogger(__name__)
STATE_VERSION = 1
# Saved this often while serving (besides after every changing request and on stop), so a
# killed emulator loses at most this much of the simulation.
SAVE_INTERVAL_S = 60.0
# Fields that come from the scenario or the world's wiring, not from the simulation.
_NOT_STATE = frozenset({"spec", "wall_connector_power", "wall_connector_car"})


class StateFileError(Exception):
    """A state file that cannot be used (unreadable, not JSON, another version)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SavedState:
    """A state file's content, read before the emulator builds its world."""

    data: Mapping[str, Any]

    @property
    def clock_offset(self) -> float:
        """The virtual clock's offset from real time when saved."""
        return float(self.data["clock_offset"])

    @property
    def created_at(self) -> float:
        """When the saved world began (emulator time); relative scenario times count from it."""
        return float(self.data["created_at"])


def read_state(path: Path) -> SavedState | None:
    """The saved state, None if there is no file; raises StateFileError if it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise StateFileError(f"cannot read {path}: {err}") from err
    try:
        data = json.loads(text)
    except ValueError as err:
        raise StateFileError(f"{path} is not JSON: {err}") from err
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise StateFileError(f"{path} has state version {version!r}, expected {STATE_VERSION}")
    return SavedState(data)


def load(path: Path | None, *, fresh: bool) -> SavedState | None:
    """The state to start from: None without a file, when `fresh`, or when it is unusable.

    An unusable file is moved aside (`<name>.unreadable`) with a warning rather than stopping
    the emulator; the next save writes a new one.
    """
    if path is None or fresh:
        return None
    try:
        return read_state(path)
    except StateFileError as err:
        aside = path.with_name(f"{path.name}.unreadable")
        with contextlib.suppress(OSError):
            path.replace(aside)
        _LOGGER.warning("%s; starting from the scenario (old file moved to %s)", err, aside)
        return None


def write_state(path: Path, data: Mapping[str, Any]) -> None:
    """Replace the file atomically: a reader sees the old state or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def save_after_changes(emu: Emulator) -> Middleware:
    """Middleware: every request that may change something (not GET/HEAD) saves the state.

    It saves before the answer leaves, so a rotated refresh token is on disk before the
    client holds it.
    """

    @web.middleware
    async def save(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                _save_logged(emu)

    return save


async def save_periodically(emu: Emulator) -> None:
    """Save every `SAVE_INTERVAL_S` (the simulation moves on between requests)."""
    while True:
        # A real-time interval: the task only bounds what a killed emulator loses.
        await asyncio.sleep(SAVE_INTERVAL_S)
        _save_logged(emu)


def _save_logged(emu: Emulator) -> None:
    try:
        emu.save_state()
    except OSError as err:
        _LOGGER.warning("Cannot write the state file %s: %s", emu.state_file, err)


def snapshot(emu: Emulator) -> dict[str, Any]:
    """Everything a restart keeps, brought up to now, as JSON-ready data."""
    now = emu.world.advance()
    return {
        "version": STATE_VERSION,
        "saved_at": now,
        "clock_offset": emu.clock.offset,
        "created_at": emu.created_at,
        "tokens": emu.tokens.export_state(),
        "hosted_keys": dict(emu.hosted_keys),
        "partner_domains": [
            [client_id, region, domain, key]
            for (client_id, region), (domain, key) in emu.partner_domains.items()
        ],
        "security": {vin: car.export_state() for vin, car in emu.world.security.items()},
        "vehicles": {vin: _encode(car) for vin, car in emu.world.vehicles.items()},
        "sites": {str(site_id): _encode(site) for site_id, site in emu.world.sites.items()},
        # The cars' telemetry settings and the configurations they hold (streaming survives).
        "telemetry": {vin: _telemetry_state(car) for vin, car in emu.telemetry.cars.items()},
    }


def _telemetry_state(car: CarTelemetry) -> dict[str, Any]:
    return {
        **{name: getattr(car, name) for name in sorted(SETTABLE)},
        "configs": {
            client_id: {
                "claims": cfg.claims,
                "sent_at": cfg.sent_at,
                "accepted": cfg.accepted,
                "trusted": cfg.trusted,
                "synced": cfg.synced,
            }
            for client_id, cfg in car.configs.items()
        },
    }


def _restore_telemetry(emu: Emulator, saved: Mapping[str, Any]) -> None:
    for vin, state in saved.items():
        if vin not in emu.world.vehicles or not isinstance(state, Mapping):
            continue
        car = emu.telemetry.car(vin)
        for name in SETTABLE:
            if name in state:
                setattr(car, name, state[name])
        for client_id, cfg in dict(state.get("configs", {})).items():
            car.configs[str(client_id)] = AppConfig(
                dict(cfg["claims"]),
                float(cfg["sent_at"]),
                accepted=bool(cfg["accepted"]),
                trusted=bool(cfg["trusted"]),
                synced=bool(cfg.get("synced", False)),
            )


def restore(emu: Emulator, saved: SavedState) -> None:
    """Put a saved state into a freshly built emulator (same scenario, clock already set).

    Cars, sites and accounts the scenario no longer has are dropped; new ones start fresh.
    """
    data = saved.data
    emu.tokens.restore_state(data["tokens"], emu.world.accounts)
    emu.hosted_keys.update(data.get("hosted_keys", {}))
    for client_id, region, domain, key in data.get("partner_domains", []):
        emu.partner_domains[(client_id, region)] = (domain, key)
    for vin, security_state in data.get("security", {}).items():
        if vin in emu.world.security:
            emu.world.security[vin].restore_state(security_state)
    for vin, fields in data.get("vehicles", {}).items():
        if vin in emu.world.vehicles:
            _apply(emu.world.vehicles[vin], Vehicle, fields)
    for site_id, fields in data.get("sites", {}).items():
        if int(site_id) in emu.world.sites:
            _apply(emu.world.sites[int(site_id)], Site, fields)
    _restore_telemetry(emu, data.get("telemetry", {}))
    # Restored objects stand at the saved moment: run them, and every event since, up to now.
    emu.world.pending = _events_since(emu.scenario, float(data["saved_at"]))
    emu.world.advance()


def _events_since(scenario: Scenario, moment: float) -> list[EventSpec]:
    """The scenario's event occurrences at or after `moment`, in order."""
    pending: list[EventSpec] = []
    for event in scenario.events:
        while event.at < moment and event.repeat_s is not None:
            event = event.next() or event
        if event.at >= moment:
            pending.append(event)
    return sorted(pending, key=lambda e: e.at)


# --- simulated objects: dataclass fields <-> JSON, guided by the fields' type hints ---------


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _encode(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _NOT_STATE
        }
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    return value


def _apply(target: Vehicle | Site, cls: type[Vehicle | Site], fields: Mapping[str, Any]) -> None:
    """Set the saved fields the class still has (renamed or dropped ones are skipped)."""
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)} - _NOT_STATE
    for name, value in fields.items():
        if name not in known:
            continue
        try:
            setattr(target, name, _decode(hints[name], value))
        except (TypeError, ValueError, KeyError) as err:
            _LOGGER.warning("State file: %s.%s not restored (%s)", cls.__name__, name, err)


def _decode(hint: Any, value: Any) -> Any:
    """JSON value -> the hinted type (int dict keys, tuples and nested dataclasses back)."""
    origin = get_origin(hint)
    args = get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        options = [arg for arg in args if arg is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        inner = get_type_hints(hint)
        return hint(**{name: _decode(inner[name], item) for name, item in value.items()})
    if origin is dict:
        key_type, item_type = args
        return {_decode(key_type, key): _decode(item_type, item) for key, item in value.items()}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in value)
        return tuple(_decode(arg, item) for arg, item in zip(args, value, strict=True))
    if origin is list:
        return [_decode(args[0], item) for item in value]
    if hint in (int, float):
        return hint(value)
    return value
