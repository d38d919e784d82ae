"""The Fleet API's request pipeline: faults, clock, token, region, scopes, ledger."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors
from .ledger import Category, LedgerEntry, billing_category
from .scenario import REGIONS, AccountSpec
from .tokens import AccessClaims, TokenError

if TYPE_CHECKING:
    from .emulator import Emulator

_LOGGER = logging.getLogger(__name__)
REGION_PATTERN = "{region:" + "|".join(REGIONS) + "}"
MALFORMED_BODY = '{"response": {"state": "online", '


@dataclass(frozen=True)
class Call:
    """One authorised Fleet API request, as handlers see it."""

    request: web.Request
    emu: Emulator
    claims: AccessClaims
    account: AccountSpec | None
    region: str

    async def json(self) -> dict[str, Any]:
        """The request body as a JSON object (`{}` when empty); 400 when it is not one."""
        if not self.request.can_read_body:
            return {}
        try:
            body = await self.request.json()
        except json.JSONDecodeError as err:
            raise web.HTTPBadRequest(
                text=json.dumps(
                    {"response": None, "error": "invalid_json", "error_description": ""}
                ),
                content_type="application/json",
            ) from err
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(
                text=json.dumps(
                    {
                        "response": None,
                        "error": "invalid_json",
                        "error_description": "object expected",
                    }
                ),
                content_type="application/json",
            )
        return body


type Handler = Callable[[Call], Awaitable[web.StreamResponse]]
# The scopes of which the token needs at least one; empty: any valid token.
type ScopeRule = frozenset[str] | Callable[[web.Request], frozenset[str]]


@dataclass(frozen=True)
class Endpoint:
    """A Fleet API route and its billing and scope rules."""

    method: str
    path: str
    name: str
    category: Category
    scopes: ScopeRule
    handler: Handler
    partner: bool = False
    # Answered in every region (how clients find their region), so never 421.
    any_region: bool = False

    def required_scopes(self, request: web.Request) -> frozenset[str]:
        """Scopes (any one suffices) this request needs."""
        return self.scopes(request) if callable(self.scopes) else self.scopes


async def apply_fault(request: web.Request, emu: Emulator) -> web.StreamResponse | None:
    """Serve an injected fault for this request, if one matches."""
    path = request.path
    regionless = path
    first = path.split("/", 2)
    if len(first) > 2 and first[1] in REGIONS:
        regionless = "/" + first[2]
    fault = emu.faults.take(path, regionless)
    if fault is None:
        return None
    _LOGGER.debug("Injected fault on %s: %s", path, fault)
    if fault.latency:
        # Real time on purpose: latency exists to exercise the client's timeouts.
        await asyncio.sleep(fault.latency)
    if fault.drop:
        if request.transport is not None:
            # abort(), not close(): close() would still flush the answer written afterwards.
            request.transport.abort()
        # Nothing reaches the client; aiohttp drops the write to the closed transport.
        return web.Response(status=200)
    if fault.status is None and not fault.malformed:
        return None
    status = fault.status or 200
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(int(fault.retry_after))
    if fault.malformed:
        return web.Response(
            status=status, text=MALFORMED_BODY, content_type="application/json", headers=headers
        )
    body = fault.body
    if body is None:
        if status == 421:
            region = request.match_info.get("region", "na")
            return errors.out_of_region(emu.base_url(region))
        body = {
            "response": None,
            "error": errors.default_fault_error(status),
            "error_description": "",
        }
    if isinstance(body, str):
        return web.Response(status=status, text=body, headers=headers)
    return web.json_response(body, status=status, headers=headers)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def add_endpoints(app: web.Application, emu: Emulator, endpoints: Iterable[Endpoint]) -> None:
    """Mount endpoints under every regional prefix."""
    for endpoint in endpoints:
        app.router.add_route(
            endpoint.method,
            f"/{REGION_PATTERN}/api/1{endpoint.path}",
            _pipeline(emu, endpoint),
        )


def _pipeline(
    emu: Emulator, endpoint: Endpoint
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        account_id: str | None = None
        status = 0
        try:
            response = await apply_fault(request, emu)
            if response is None:
                emu.world.advance()
                response, account_id = await _authorised(request, emu, endpoint)
            dropped = request.transport is None or request.transport.is_closing()
            status = 0 if dropped else response.status
            return response
        except web.HTTPException as err:
            status = err.status
            raise
        finally:
            _record(emu, request, endpoint, status, account_id)

    return handle


async def _authorised(
    request: web.Request, emu: Emulator, endpoint: Endpoint
) -> tuple[web.StreamResponse, str | None]:
    token = _bearer(request)
    if token is None:
        return errors.fleet_error(401, errors.INVALID_TOKEN), None
    try:
        claims = emu.tokens.verify(token)
    except TokenError as err:
        return errors.fleet_error(401, err.error), None
    region = request.match_info["region"]
    if endpoint.partner != claims.partner:
        kind = "a partner" if endpoint.partner else "a user"
        return errors.fleet_error(
            401, errors.INVALID_TOKEN, f"this endpoint needs {kind} token"
        ), None
    account = emu.world.account_for(claims.account_id)
    if not claims.partner:
        if account is None:
            return errors.fleet_error(401, "unknown user"), None
        if account.region != region and not endpoint.any_region:
            return errors.out_of_region(emu.base_url(account.region)), account.account_id
    needed = endpoint.required_scopes(request)
    if needed and not needed & claims.scopes:
        return errors.fleet_error(403, errors.MISSING_SCOPES), claims.account_id
    call = Call(request, emu, claims, account, region)
    verdict = None
    if emu.rate_limiter is not None:
        device = request.match_info.get("vin") or request.match_info.get("site_id") or ""
        verdict = emu.rate_limiter.check(claims.sub, device, endpoint.category, emu.clock.now())
        if verdict is not None and not verdict.allowed:
            limited = errors.fleet_error(429, errors.default_fault_error(429))
            limited.headers.update(verdict.headers)
            return limited, claims.account_id
    response = await endpoint.handler(call)
    if verdict is not None:
        response.headers.update(verdict.headers)
    return response, claims.account_id


def _record(
    emu: Emulator, request: web.Request, endpoint: Endpoint, status: int, account_id: str | None
) -> None:
    # Paths carry VINs and site ids: debug only.
    _LOGGER.debug("%s %s -> %s", request.method, request.path, status)
    free = endpoint.name in emu.free_endpoints
    # `endpoint.category` is also the rate-limit bucket (energy reads share the data limit);
    # billing puts energy sites in their own, unbilled category.
    billed_as = billing_category(endpoint.path, endpoint.category)
    emu.ledger.record(
        LedgerEntry(
            time=emu.clock.now(),
            method=request.method,
            path=request.path,
            status=status,
            category="free" if free else billed_as,
            category_if_billed=billed_as,
            account_id=account_id,
            region=request.match_info.get("region"),
            endpoint=endpoint.name,
        )
    )
