"""A car's signing side behind real HTTP on loopback, and a client that signs for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api.signing import VehicleSigner
from fleet_emulator.signing import VehicleSecurity, pairing_response, signed_command_response

VIN = "7SAYGDEE0PA000002"


class FakeClock:
    """Virtual time shared by the car and the client; tests move it, nothing sleeps."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Car:
    """The slice of vehicle state the signed commands in these tests change."""

    security: VehicleSecurity
    locked: bool = True
    climate_on: bool = False
    charge_limit: int = 80
    applied: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def run(self, command: str, params: dict[str, Any]) -> tuple[bool, str]:
        self.applied.append((command, params))
        if command == "door_lock":
            self.locked = True
        elif command == "door_unlock":
            self.locked = False
        elif command == "auto_conditioning_start":
            self.climate_on = True
        elif command == "set_charge_limit":
            if not 50 <= params["percent"] <= 100:
                return False, "invalid charge limit"
            self.charge_limit = params["percent"]
        return True, ""


@dataclass
class SigningServer:
    """The running server and the car behind it."""

    url: str
    car: Car


@pytest.fixture
def clock() -> FakeClock:
    """The shared virtual clock."""
    return FakeClock()


@pytest.fixture
async def server(socket_enabled: None, clock: FakeClock) -> AsyncIterator[SigningServer]:
    """The car's signed_command endpoint and the admin pairing call on 127.0.0.1."""
    car = Car(VehicleSecurity(VIN, clock))

    async def signed_command(request: web.Request) -> web.Response:
        return signed_command_response(car.security, await request.json(), car.run)

    async def pair(request: web.Request) -> web.Response:
        return pairing_response(car.security, await request.json(), add=request.method == "POST")

    app = web.Application()
    app.router.add_post(f"/api/1/vehicles/{VIN}/signed_command", signed_command)
    app.router.add_post(f"/admin/vehicles/{VIN}/keys", pair)
    app.router.add_delete(f"/admin/vehicles/{VIN}/keys", pair)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]  # the port the system picked for port 0
    yield SigningServer(f"http://127.0.0.1:{port}", car)
    await runner.cleanup()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[ClientSession]:
    """A plain aiohttp session, as the integration would pass to the client."""
    async with ClientSession() as session:
        yield session


type Transport = Callable[[str], Awaitable[str]]


@pytest.fixture
def transport(server: SigningServer, http: ClientSession) -> Transport:
    """POST a base64 RoutableMessage to signed_command, return the base64 answer."""

    async def post(routable_message: str) -> str:
        async with http.post(
            f"{server.url}/api/1/vehicles/{VIN}/signed_command",
            json={"routable_message": routable_message},
        ) as response:
            response.raise_for_status()
            body = await response.json()
            return str(body["response"])

    return post


@pytest.fixture
def app_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key for the app."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def signer(
    app_key: ec.EllipticCurvePrivateKey, transport: Transport, clock: FakeClock
) -> VehicleSigner:
    """The client under test, bound to the car."""
    return VehicleSigner(VIN, app_key, transport, clock=clock)
