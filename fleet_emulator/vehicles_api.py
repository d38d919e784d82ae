"""Fleet API endpoints for users, products and vehicles."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiohttp import web

from . import errors
from .commands import CHARGING_COMMANDS, InvalidCommandError, apply_command
from .http import Call, Endpoint, Handler
from .signing import public_key_bytes, signed_command_response
from .vehicle import Vehicle
from .vehicle_data import parse_sections, vehicle_data

VEHICLE_READ = frozenset({"vehicle_device_data"})
VEHICLE_CMDS = frozenset({"vehicle_cmds"})
CHARGING_OR_CMDS = frozenset({"vehicle_cmds", "vehicle_charging_cmds"})
USER_DATA = frozenset({"user_data"})
ANY_TOKEN: frozenset[str] = frozenset()
# Products lists what the token may see: vehicles need a vehicle scope, sites an energy one.
VEHICLE_SCOPES = frozenset({"vehicle_device_data", "vehicle_cmds", "vehicle_charging_cmds"})
ENERGY_SCOPES = frozenset({"energy_device_data", "energy_cmds"})


def _command_scopes(request: web.Request) -> frozenset[str]:
    name = request.match_info.get("command", "")
    return CHARGING_OR_CMDS if name in CHARGING_COMMANDS else VEHICLE_CMDS


def find_vehicle(call: Call) -> Vehicle | None:
    """The account's car named by `{vin}` (a VIN or Tesla's numeric id)."""
    key = call.request.match_info["vin"]
    assert call.account is not None
    for vin in call.account.vehicles:
        vehicle = call.emu.world.vehicles[vin]
        if key in (vin, str(vehicle.spec.id)):
            return vehicle
    return None


def not_found() -> web.Response:
    """404 in Tesla's envelope."""
    return errors.fleet_error(404, "not_found")


def run_command(vehicle: Vehicle, name: str, params: dict[str, Any]) -> tuple[bool, str]:
    """The command function the signed path calls: bad input becomes a failed result."""
    if name == "wake_up":
        vehicle.wake_up()
        return True, ""
    if name == "window_control" and "lat" not in params:
        # REST wants the phone's position to close windows; a signed message carries none
        # (the authenticated key is the proof), so the car's own position stands in.
        params = {**params, "lat": vehicle.latitude, "lon": vehicle.longitude}
    if name == "set_valet_mode" and params.get("on") is False and "password" not in params:
        # Signed, valet mode goes off without the PIN (vehicle-command security.go:39-42).
        params = {**params, "password": vehicle.valet_pin or ""}
    try:
        return apply_command(vehicle, name, params)
    except InvalidCommandError as err:
        return False, err.description


# --- users and products ------------------------------------------------------------------


async def users_me(call: Call) -> web.StreamResponse:
    """`GET /users/me`."""
    assert call.account is not None
    account = call.account
    return errors.ok(
        {
            "email": account.email,
            "full_name": account.full_name,
            "profile_image_url": None,
            "vault_uuid": account.sub,
        }
    )


async def users_region(call: Call) -> web.StreamResponse:
    """`GET /users/region`: where the account lives (answered from any region)."""
    assert call.account is not None
    region = call.account.region
    return errors.ok({"region": region, "fleet_api_base_url": call.emu.base_url(region)})


async def users_orders(call: Call) -> web.StreamResponse:
    """`GET /users/orders`: nothing on order."""
    return web.json_response({"response": [], "count": 0})


async def users_feature_config(call: Call) -> web.StreamResponse:
    """`GET /users/feature_config`."""
    return errors.ok({"signaling": {"enabled": True, "subscribe_connectivity": False}})


async def products(call: Call) -> web.StreamResponse:
    """`GET /products`: the account's cars and sites the token's scopes allow."""
    assert call.account is not None
    items: list[dict[str, Any]] = []
    if call.claims.scopes & VEHICLE_SCOPES:
        items.extend(
            _seen_by(call, vin, call.emu.world.vehicles[vin].product())
            for vin in call.account.vehicles
        )
    if call.claims.scopes & ENERGY_SCOPES:
        items.extend(call.emu.world.sites[site].summary() for site in call.account.sites)
    return web.json_response({"response": items, "count": len(items)})


def _seen_by(call: Call, vin: str, item: dict[str, Any]) -> dict[str, Any]:
    """A car's answer as the calling account sees it: owner or driver."""
    if call.account is not None and "access_type" in item:
        item["access_type"] = call.account.access_type(vin)
    return item


# --- vehicles ------------------------------------------------------------------------------


async def vehicles(call: Call) -> web.StreamResponse:
    """`GET /vehicles`: never wakes a car."""
    assert call.account is not None
    cars = [
        _seen_by(call, vin, call.emu.world.vehicles[vin].summary()) for vin in call.account.vehicles
    ]
    return web.json_response(
        {
            "response": cars,
            "pagination": {
                "previous": None,
                "next": None,
                "current": 1,
                "per_page": 2,
                "count": len(cars),
                "pages": 1,
            },
            "count": len(cars),
        }
    )


async def vehicle(call: Call) -> web.StreamResponse:
    """`GET /vehicles/{vin}`: the state, never wakes the car."""
    car = find_vehicle(call)
    return not_found() if car is None else errors.ok(_seen_by(call, car.vin, car.summary()))


async def data(call: Call) -> web.StreamResponse:
    """`GET /vehicle_data?endpoints=...`: only the named sections; 408 unless online."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    sections = parse_sections(call.request.query.get("endpoints"))
    if sections is None:
        return errors.fleet_error(400, "invalid_field", "unknown endpoints value")
    if not car.online:
        return errors.unavailable()
    car.note_data_request()
    location_allowed = "vehicle_location" in call.claims.scopes
    answer = vehicle_data(car, sections, location_allowed=location_allowed)
    return errors.ok(_seen_by(call, car.vin, answer))


async def wake_up(call: Call) -> web.StreamResponse:
    """`POST /wake_up`: starts waking; the answer shows the state at this moment."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    car.wake_up()
    return errors.ok(car.summary())


async def command(call: Call) -> web.StreamResponse:
    """`POST /command/{name}`: plain REST commands (refused where signing is required)."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    if car.spec.command_signing == "required":
        return errors.fleet_error(403, errors.SIGNING_REQUIRED)
    params = await call.json()
    name = call.request.match_info["command"]
    if not car.online:
        return errors.unavailable()
    try:
        result, reason = apply_command(car, name, params)
    except InvalidCommandError as err:
        return errors.fleet_error(400, err.error, err.description)
    return errors.ok({"result": result, "reason": reason})


async def signed_command(call: Call) -> web.StreamResponse:
    """`POST /signed_command`: the car's protocol side decodes and runs the command."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    security = call.emu.world.security.get(car.vin)
    if security is None:
        return errors.fleet_error(400, "invalid_command", "this vehicle takes plain commands")
    body = await call.json()
    if not car.online:
        return errors.unavailable()
    return signed_command_response(
        security, body, lambda name, params: run_command(car, name, params)
    )


async def fleet_status(call: Call) -> web.StreamResponse:
    """`POST /vehicles/fleet_status`: which cars have a key paired and need signing."""
    assert call.account is not None
    body = await call.json()
    vins = body.get("vins")
    if not isinstance(vins, list):
        return errors.fleet_error(400, "invalid_field", "vins must be a list")
    paired: list[str] = []
    unpaired: list[str] = []
    info: dict[str, Any] = {}
    for vin in vins:
        if vin not in call.account.vehicles:
            continue
        car = call.emu.world.vehicles[vin]
        security = call.emu.world.security.get(vin)
        (paired if security is not None and security.paired else unpaired).append(vin)
        info[vin] = {
            "firmware_version": car.spec.car_version.split(" ")[0],
            "vehicle_command_protocol_required": car.spec.command_signing == "required",
            "discounted_device_data": False,
            "fleet_telemetry_version": "1.0.0",
            "total_number_of_keys": len(security.paired) if security else 0,
            # Firmware as the telemetry settings see it; Intel Atom S/X: the streaming toggle.
            **call.emu.telemetry.fleet_status_info(vin),
        }
    return errors.ok({"key_paired_vins": paired, "unpaired_vins": unpaired, "vehicle_info": info})


def _online_stub(payload: dict[str, Any]) -> Handler:
    """A read the car answers itself with fixed content (nothing behind it is simulated)."""

    async def handler(call: Call) -> web.StreamResponse:
        car = find_vehicle(call)
        if car is None:
            return not_found()
        if not car.online:
            return errors.unavailable()
        car.note_data_request()
        return errors.ok(payload)

    return handler


async def mobile_enabled(call: Call) -> web.StreamResponse:
    """`GET /mobile_enabled`: answered by the car, so it must be online."""
    car = find_vehicle(call)
    if car is None:
        return not_found()
    if not car.online:
        return errors.unavailable()
    car.note_data_request()
    return errors.ok(True)


# --- partner endpoints (client-credentials token) ------------------------------------------


async def register_partner(call: Call) -> web.StreamResponse:
    """`POST /partner_accounts`: register the app's domain in this region."""
    body = await call.json()
    domain = body.get("domain")
    if not isinstance(domain, str) or not domain:
        return errors.fleet_error(400, "invalid_field", "domain is required")
    key = call.emu.hosted_keys.get(domain.lower())
    if key is not None:
        # Tesla answers with the hex of the uncompressed point it fetched, whether the domain
        # hosts a PEM or the point; anything unparseable is echoed so tests can stage junk.
        with suppress(ValueError):
            key = public_key_bytes(key).hex()
    if key is None:
        return errors.fleet_error(
            412,
            "Public key not found",
            f"no key at https://{domain}/.well-known/appspecific/com.tesla.3p.public-key.pem",
        )
    call.emu.partner_domains[(call.claims.client_id, call.region)] = (domain.lower(), key)
    return errors.ok(
        {
            "client_id": call.claims.client_id,
            "domain": domain.lower(),
            "public_key": key,
            "region": call.region,
        }
    )


async def partner_public_key(call: Call) -> web.StreamResponse:
    """`GET /partner_accounts/public_key?domain=`: what Tesla holds for a domain."""
    domain = call.request.query.get("domain", "").lower()
    for registered, key in call.emu.partner_domains.values():
        if registered == domain:
            return errors.ok({"public_key": key})
    return not_found()


ENDPOINTS = (
    Endpoint("GET", "/users/me", "users_me", "data", USER_DATA, users_me),
    Endpoint(
        "GET", "/users/region", "users_region", "data", ANY_TOKEN, users_region, any_region=True
    ),
    Endpoint("GET", "/users/orders", "users_orders", "data", USER_DATA, users_orders),
    Endpoint(
        "GET",
        "/users/feature_config",
        "users_feature_config",
        "data",
        USER_DATA,
        users_feature_config,
    ),
    Endpoint("GET", "/products", "products", "data", ANY_TOKEN, products),
    Endpoint("GET", "/vehicles", "vehicles", "data", VEHICLE_READ, vehicles),
    Endpoint("POST", "/vehicles/fleet_status", "fleet_status", "data", VEHICLE_READ, fleet_status),
    Endpoint("GET", "/vehicles/{vin}", "vehicle", "data", VEHICLE_READ, vehicle),
    Endpoint("GET", "/vehicles/{vin}/vehicle_data", "vehicle_data", "data", VEHICLE_READ, data),
    Endpoint("POST", "/vehicles/{vin}/wake_up", "wake_up", "wake", VEHICLE_READ, wake_up),
    Endpoint(
        "POST", "/vehicles/{vin}/command/{command}", "command", "command", _command_scopes, command
    ),
    Endpoint(
        "POST",
        "/vehicles/{vin}/signed_command",
        "signed_command",
        "command",
        CHARGING_OR_CMDS,
        signed_command,
    ),
    Endpoint(
        "GET",
        "/vehicles/{vin}/mobile_enabled",
        "mobile_enabled",
        "data",
        VEHICLE_READ,
        mobile_enabled,
    ),
    Endpoint(
        "GET",
        "/vehicles/{vin}/nearby_charging_sites",
        "nearby_charging_sites",
        "data",
        frozenset({"vehicle_location"}),
        _online_stub(
            {"congestion_sync_time_utc_secs": 0, "destination_charging": [], "superchargers": []}
        ),
    ),
    Endpoint(
        "GET",
        "/vehicles/{vin}/release_notes",
        "release_notes",
        "data",
        VEHICLE_READ,
        _online_stub({"release_notes": []}),
    ),
    Endpoint(
        "GET",
        "/vehicles/{vin}/service_data",
        "service_data",
        "data",
        VEHICLE_READ,
        _online_stub({"service_status": "not_in_service"}),
    ),
    Endpoint(
        "GET",
        "/vehicles/{vin}/recent_alerts",
        "recent_alerts",
        "data",
        VEHICLE_READ,
        _online_stub({"recent_alerts": []}),
    ),
    Endpoint(
        "POST",
        "/partner_accounts",
        "partner_accounts",
        "data",
        ANY_TOKEN,
        register_partner,
        partner=True,
    ),
    Endpoint(
        "GET",
        "/partner_accounts/public_key",
        "partner_public_key",
        "data",
        ANY_TOKEN,
        partner_public_key,
        partner=True,
    ),
)
