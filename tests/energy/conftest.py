"""A simulated energy site behind real HTTP on 127.0.0.1, with fault injection and a request log.

Stands in for the emulator's energy site until `fleet_emulator` serves one; the site follows
`time.time()`, so HA's `freezer` moves it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
import time

from aiohttp import ClientSession, web
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.energy_api import EnergySiteApi

from .site_sim import SimulatedEnergySite, add_energy_routes

SITE_ID = 2252180000000001
TOKEN = "NA_test-access-token-secret"


@dataclass
class Fault:
    """The next `count` requests whose path contains `path` answer like this."""

    path: str
    status: int = 500
    retry_after: str | None = None
    malformed: bool = False
    count: int = 1


@dataclass
class SiteServer:
    """The running server: its URL, the site, faults to inject and what was asked when."""

    url: str
    site: SimulatedEnergySite
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[float, str, int]] = field(default_factory=list)

    def inject(self, path: str, status: int = 500, **kwargs: object) -> None:
        """Make the next matching request fail."""
        self.faults.append(Fault(path, status, **kwargs))  # type: ignore[arg-type]

    def calls(self, endpoint: str) -> list[tuple[float, str, int]]:
        """The requests to one endpoint (`live_status`, `site_info`, ...)."""
        return [r for r in self.requests if r[1].endswith(endpoint)]


type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def site_server(socket_enabled: None) -> AsyncIterator[SiteServer]:
    """Serve one battery + solar + grid site with a wall connector."""
    site = SimulatedEnergySite(SITE_ID, time.time)
    server = SiteServer("", site)

    @web.middleware
    async def faults_and_log(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "invalid bearer token"}, status=401)
        for fault in server.faults:
            if fault.path in request.path and fault.count > 0:
                fault.count -= 1
                server.requests.append((time.time(), request.path, fault.status))
                if fault.malformed:
                    return web.Response(text="<html>gateway</html>", status=fault.status)
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return web.json_response(
                    {"response": None, "error": "injected"}, status=fault.status, headers=headers
                )
        response = await handler(request)
        server.requests.append((time.time(), request.path, response.status))
        return response

    app = web.Application(middlewares=[faults_and_log])
    add_energy_routes(app.router, lambda site_id: site if site_id == SITE_ID else None)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


class StaticToken:
    """The token provider: sign-in is not what these tests are about."""

    async def async_get_access_token(self) -> str:
        return TOKEN


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[ClientSession]:
    """A plain aiohttp session, as the integration would pass to the client."""
    async with ClientSession() as session:
        yield session


@pytest.fixture
def api(site_server: SiteServer, http: ClientSession) -> EnergySiteApi:
    """The site reads, talking to the simulated site."""
    return EnergySiteApi(http, site_server.url, StaticToken(), SITE_ID)


@pytest.fixture
def config_entry() -> MockConfigEntry:
    """An account's entry (unique id = the token's `sub`)."""
    return MockConfigEntry(domain=DOMAIN, unique_id="owner-sub", title="owner@example.com")
