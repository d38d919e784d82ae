"""The admin API under `/_emulator/` (loopback only): the Python handle over HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import ipaddress
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .ratelimit import REPORTED_LIMITS, RateLimiter
from .scenario import EVENT_KINDS, EventSpec
from .signing import pairing_response, public_key_pem, signing_faults_response

if TYPE_CHECKING:
    from .emulator import Emulator

PREFIX = "/_emulator"
# Vehicle attributes the admin API may set (simple values only).
SETTABLE_VEHICLE = frozenset(
    {
        "battery_level",
        "charge_limit_soc",
        "inside_temp",
        "outside_temp",
        "locked",
        "sentry_mode",
        "sleep_model",
        "idle_sleep_s",
        "wake_delay_s",
        "latitude",
        "longitude",
        "odometer",
        "power_state",
        "climate_on",
        "software_update_status",
        "display_name",
    }
)
SETTABLE_SITE = frozenset(
    {
        "percentage_charged",
        "backup_reserve_percent",
        "default_real_mode",
        "storm_mode_enabled",
        "storm_mode_active",
        "grid_up",
    }
)

type AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _loopback_only(handler: AdminHandler) -> AdminHandler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        remote = request.remote or ""
        try:
            allowed = ipaddress.ip_address(remote).is_loopback
        except ValueError:
            allowed = False
        if not allowed:
            return web.json_response({"error": "admin API is loopback only"}, status=403)
        return await handler(request)

    return guarded


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as err:
        raise web.HTTPBadRequest(text="body must be JSON") from err
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


def _vehicle_view(emu: Emulator, vin: str) -> dict[str, Any]:
    car = emu.vehicle(vin)
    return {
        "vin": vin,
        "state": car.state,
        "charging_state": car.charging_state,
        "waking_until": car.waking_until,
        "last_activity": car.last_activity,
        "horn_honks": car.horn_honks,
        "light_flashes": car.light_flashes,
        **{name: getattr(car, name) for name in sorted(SETTABLE_VEHICLE)},
    }


def setup(app: web.Application, emu: Emulator) -> None:
    """Mount the admin routes."""

    async def state(request: web.Request) -> web.StreamResponse:
        emu.world.advance()
        return web.json_response(
            {
                "now": emu.clock.now(),
                "vehicles": [_vehicle_view(emu, vin) for vin in emu.world.vehicles],
                "sites": [
                    {"energy_site_id": site_id, **emu.site(site_id).live_status()}
                    for site_id in emu.world.sites
                ],
                "auto_approve": emu.auto_approve,
                "free_endpoints": sorted(emu.free_endpoints),
            }
        )

    async def ledger(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            emu.ledger.clear()
        return web.json_response({"entries": emu.ledger.as_json(), **emu.ledger.summary()})

    async def faults(request: web.Request) -> web.StreamResponse:
        if request.method == "DELETE":
            emu.faults.clear()
        elif request.method == "POST":
            body = await _body(request)
            if not isinstance(body.get("path"), str):
                return web.json_response({"error": "path (a glob) is required"}, status=400)
            emu.faults.inject(
                body["path"],
                body.get("status"),
                int(body.get("count", 1)),
                retry_after=body.get("retry_after"),
                body=body.get("body"),
                malformed=bool(body.get("malformed", False)),
                drop=bool(body.get("drop", False)),
                latency=float(body.get("latency", 0.0)),
            )
        rules = [
            {"path": f.path_glob, "status": f.status, "remaining": f.remaining}
            for f in emu.faults.rules
        ]
        return web.json_response({"faults": rules})

    async def clock(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            body = await _body(request)
            try:
                if "advance" in body:
                    emu.advance(float(body["advance"]))
                elif "set" in body:
                    emu.advance(max(0.0, float(body["set"]) - emu.clock.now()))
            except ValueError as err:
                return web.json_response({"error": str(err)}, status=400)
        return web.json_response({"now": emu.world.advance()})

    async def revoke(request: web.Request) -> web.StreamResponse:
        account_id = request.match_info["account_id"]
        if account_id not in emu.world.accounts:
            return web.json_response({"error": "unknown account"}, status=404)
        return web.json_response({"revoked": emu.revoke_refresh_tokens(account_id)})

    async def revoke_one(request: web.Request) -> web.StreamResponse:
        token = (await _body(request)).get("refresh_token")
        if not isinstance(token, str):
            return web.json_response({"error": "refresh_token required"}, status=400)
        return web.json_response({"revoked": emu.revoke_refresh_token(token)})

    async def expire(request: web.Request) -> web.StreamResponse:
        emu.expire_access_tokens()
        return web.json_response({"expired": True})

    async def tokens(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        account_id = str(body.get("account_id", "owner"))
        if account_id not in emu.world.accounts:
            return web.json_response({"error": "unknown account"}, status=404)
        return web.json_response(emu.mint_tokens(account_id, body.get("scopes")))

    async def settings(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if "auto_approve" in body:
            emu.auto_approve = bool(body["auto_approve"])
        if "free_endpoints" in body:
            emu.free_endpoints = set(body["free_endpoints"])
        if "rate_limits" in body:
            limits = body["rate_limits"]
            if limits == "reported":
                limits = dict(REPORTED_LIMITS)
            emu.rate_limiter = RateLimiter(dict(limits)) if limits else None
        return web.json_response(
            {
                "auto_approve": emu.auto_approve,
                "free_endpoints": sorted(emu.free_endpoints),
                "rate_limits": emu.rate_limiter.limits if emu.rate_limiter else None,
            }
        )

    async def vehicle(request: web.Request) -> web.StreamResponse:
        vin = request.match_info["vin"]
        if vin not in emu.world.vehicles:
            return web.json_response({"error": "unknown vehicle"}, status=404)
        if request.method == "PATCH":
            body = await _body(request)
            unknown = set(body) - SETTABLE_VEHICLE
            if unknown:
                return web.json_response({"error": f"not settable: {sorted(unknown)}"}, status=400)
            car = emu.vehicle(vin)
            state = body.pop("power_state", None)
            for name, value in body.items():
                setattr(car, name, value)
            if state == "online":
                car.wake_now()
            elif state == "asleep":
                car.power_state, car.waking_until = "asleep", None
        return web.json_response(_vehicle_view(emu, vin))

    async def event(request: web.Request) -> web.StreamResponse:
        target = request.match_info["target"]
        body = await _body(request)
        kind = body.get("kind")
        if kind not in EVENT_KINDS:
            return web.json_response({"error": f"kind must be one of {EVENT_KINDS}"}, status=400)
        known = target in emu.world.vehicles or (
            target.isdigit() and int(target) in emu.world.sites
        )
        if not known:
            return web.json_response({"error": "unknown vehicle or site"}, status=404)
        now = emu.world.advance()
        until = body.get("until")
        emu.world.apply_event(
            EventSpec(
                kind=str(kind),
                at=now,
                target=target,
                until=None if until is None else now + float(until),
                params=dict(body.get("params", {})),
            )
        )
        return web.json_response({"applied": kind, "at": now})

    async def site(request: web.Request) -> web.StreamResponse:
        site_id = int(request.match_info["site_id"])
        if site_id not in emu.world.sites:
            return web.json_response({"error": "unknown site"}, status=404)
        target = emu.site(site_id)
        if request.method == "PATCH":
            body = await _body(request)
            unknown = set(body) - SETTABLE_SITE
            if unknown:
                return web.json_response({"error": f"not settable: {sorted(unknown)}"}, status=400)
            for name, value in body.items():
                setattr(target, name, value)
        return web.json_response({name: getattr(target, name) for name in sorted(SETTABLE_SITE)})

    async def keys(request: web.Request) -> web.StreamResponse:
        security = emu.world.security.get(request.match_info["vin"])
        if security is None:
            return web.json_response({"error": "vehicle does not take signed commands"}, status=404)
        return pairing_response(security, await _body(request), add=request.method == "POST")

    async def signing_faults(request: web.Request) -> web.StreamResponse:
        security = emu.world.security.get(request.match_info["vin"])
        if security is None:
            return web.json_response({"error": "vehicle does not take signed commands"}, status=404)
        body = await _body(request) if request.method == "POST" else {}
        return signing_faults_response(security, request.method, body)

    async def hosted_key(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        domain, key = body.get("domain"), body.get("public_key")
        if not isinstance(domain, str) or not isinstance(key, str):
            return web.json_response({"error": "domain and public_key required"}, status=400)
        emu.hosted_keys[domain.lower()] = key
        return web.json_response({"domain": domain.lower(), "hosted": True})

    routes: list[tuple[str, str, AdminHandler]] = [
        ("GET", "/state", state),
        ("GET", "/ledger", ledger),
        ("DELETE", "/ledger", ledger),
        ("GET", "/faults", faults),
        ("POST", "/faults", faults),
        ("DELETE", "/faults", faults),
        ("GET", "/clock", clock),
        ("POST", "/clock", clock),
        ("POST", "/accounts/{account_id}/revoke", revoke),
        ("POST", "/revoke_refresh_token", revoke_one),
        ("POST", "/expire_access_tokens", expire),
        ("POST", "/tokens", tokens),
        ("POST", "/settings", settings),
        ("GET", "/vehicles/{vin}", vehicle),
        ("PATCH", "/vehicles/{vin}", vehicle),
        ("POST", "/events/{target}", event),
        ("GET", "/sites/{site_id:\\d+}", site),
        ("PATCH", "/sites/{site_id:\\d+}", site),
        ("POST", "/vehicles/{vin}/keys", keys),
        ("DELETE", "/vehicles/{vin}/keys", keys),
        ("GET", "/vehicles/{vin}/signing_faults", signing_faults),
        ("POST", "/vehicles/{vin}/signing_faults", signing_faults),
        ("DELETE", "/vehicles/{vin}/signing_faults", signing_faults),
        ("POST", "/hosted_keys", hosted_key),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _loopback_only(handler))

    async def hosted_pem(request: web.Request) -> web.StreamResponse:
        # Stands in for `https://<domain>/.well-known/...`: what the app's web host serves.
        key = emu.hosted_keys.get(request.match_info["domain"].lower())
        if key is None:
            return web.Response(status=404, text="not found")
        try:
            pem = public_key_pem(key)
        except ValueError:
            pem = key  # served as given, so a broken hosting can be simulated too
        return web.Response(text=pem, content_type="application/x-pem-file")

    app.router.add_get(
        "/hosted/{domain}/.well-known/appspecific/com.tesla.3p.public-key.pem",
        _loopback_only(hosted_pem),
    )
