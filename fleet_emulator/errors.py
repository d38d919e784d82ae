"""Tesla's error bodies, in one place so every endpoint answers with the real shapes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

VEHICLE_UNAVAILABLE = "vehicle unavailable: vehicle is offline or asleep"
SIGNING_REQUIRED = (
    "Tesla Vehicle Command Protocol required, please refer to the documentation here: "
    "https://developer.tesla.com/docs/fleet-api/endpoints/vehicle-commands"
)
REGION_DOCS = "https://developer.tesla.com/docs/fleet-api/getting-started/regions-countries"
MISSING_SCOPES = "Unauthorized missing scopes"
INVALID_TOKEN = "invalid bearer token"
TOKEN_EXPIRED = "token expired (401)"


def fleet_error(status: int, error: str, description: str = "") -> web.Response:
    """The Fleet API's failure envelope."""
    body: dict[str, Any] = {"response": None, "error": error, "error_description": description}
    return web.json_response(body, status=status)


def oauth_error(status: int, error: str, description: str = "") -> web.Response:
    """The OAuth server's failure body (no `response` envelope there)."""
    return web.json_response({"error": error, "error_description": description}, status=status)


def out_of_region(base_url: str) -> web.Response:
    """421 pointing at the account's own regional base URL."""
    return fleet_error(421, f"user out of region, use base URL: {base_url}, see {REGION_DOCS}")


def unavailable() -> web.Response:
    """408: the car is asleep or offline."""
    return fleet_error(408, VEHICLE_UNAVAILABLE)


def ok(response: Any) -> web.Response:
    """The Fleet API's success envelope."""
    return web.json_response({"response": response})


def default_fault_error(status: int) -> str:
    """The error text an injected fault answers with when the test gives no body."""
    return {
        400: "invalid request",
        401: INVALID_TOKEN,
        402: "payment required",
        403: MISSING_SCOPES,
        404: "not found",
        408: VEHICLE_UNAVAILABLE,
        412: "precondition failed",
        429: "rate limit exceeded",
        500: "internal server error",
        502: "bad gateway",
        503: "service unavailable",
        504: "gateway timeout",
    }.get(status, "error")
