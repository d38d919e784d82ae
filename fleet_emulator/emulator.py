"""The `Emulator` handle: the server, the simulation and the test-facing controls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from . import (
    admin,
    energy_api,
    errors,
    oauth,
    persistence,
    telemetry,
    telemetry_stream,
    vehicles_api,
)
from .clock import Clock
from .energy import Site
from .faults import Faults
from .http import add_endpoints
from .ledger import Ledger
from .ratelimit import RateLimiter
from .scenario import REGIONS, ClientSpec, Scenario, default_scenario, load_scenario
from .tokens import TokenService
from .vehicle import Vehicle
from .world import World

_LOGGER = logging.getLogger(__name__)
ALL_USER_SCOPES = (
    "openid",
    "offline_access",
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
)


class Emulator:
    """A local Tesla: OAuth server, regional Fleet API, simulated cars and sites."""

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        start: float | None = None,
        state_file: str | Path | None = None,
        fresh: bool = False,
    ) -> None:
        """Load the scenario (a `Scenario`, a YAML/JSON path, or None for the default).

        `start` (epoch seconds) is when the emulated world begins; by default now, or the
        `FLEET_EMULATOR_START` environment variable (see `clock.parse_start`).
        `state_file` keeps tokens, keys, pairings and the simulation across restarts: loaded
        here (unless `fresh`, which replaces it), written by `save_state()` after every request
        that changes something, every minute and on stop (see `persistence.py`). A loaded
        state's clock wins over `start`.
        """
        self.state_file = None if state_file is None else Path(state_file)
        saved = persistence.load(self.state_file, fresh=fresh)
        self.restored = saved is not None
        self.clock = Clock(start)
        if saved is not None:
            self.clock.offset = saved.clock_offset
        # When this world began (kept in the state file): relative scenario times count from it.
        self.created_at = self.clock.now() if saved is None else saved.created_at
        if scenario is None:
            scenario = default_scenario()
        elif not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, start=self.created_at)
        self.scenario = scenario
        self.world = World(scenario, self.clock)
        self.faults = Faults()
        self.ledger = Ledger()
        self.auto_approve = scenario.settings.auto_approve
        self.free_endpoints = set(scenario.settings.free_endpoints)
        limits = scenario.settings.rate_limits
        self.rate_limiter = RateLimiter(dict(limits)) if limits else None
        self.tokens = TokenService(self.clock, scenario.settings, issuer="")
        # Domain -> public key "hosted" there (stands in for Tesla fetching the .well-known PEM).
        self.hosted_keys: dict[str, str] = {}
        self.partner_domains: dict[tuple[str, str], tuple[str, str]] = {}
        # Fleet Telemetry: each car's settings and configs, errors the cars report.
        self.telemetry = telemetry.TelemetryService(self)
        # What the cars stream to the servers tests name (an MQTT broker behind each).
        self.stream = telemetry_stream.TelemetryStream(self)
        self._url: str | None = None
        self._runner: web.AppRunner | None = None
        self._saver: asyncio.Task[None] | None = None
        if saved is not None:
            persistence.restore(self, saved)

    # --- server --------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application (all regions, OAuth and the admin API on one port)."""
        app = web.Application()
        if self.state_file is not None:
            app.middlewares.append(persistence.save_after_changes(self))
        oauth.setup(app, self)
        add_endpoints(app, self, vehicles_api.ENDPOINTS)
        add_endpoints(app, self, energy_api.ENDPOINTS)
        add_endpoints(app, self, telemetry.ENDPOINTS)
        admin.setup(app, self)
        telemetry.setup_admin(app, self)
        telemetry_stream.setup_admin(app, self)

        async def status(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        async def root(request: web.Request) -> web.Response:
            return web.json_response(
                {
                    "emulator": "fleet_emulator",
                    "oauth": f"{self.url}/oauth2/v3",
                    "regions": self.base_urls(),
                }
            )

        async def not_found(request: web.Request) -> web.Response:
            return errors.fleet_error(
                404, "not_found", f"no endpoint {request.method} {request.path}"
            )

        app.router.add_get("/{region:na|eu|cn}/status", status)
        # Last, so it only catches what no endpoint matched: Tesla's envelope, not aiohttp's page.
        app.router.add_route("*", "/{region:na|eu|cn}/api/{tail:.*}", not_found)
        app.router.add_get("/", root)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0: a free port); `url` is known afterwards."""
        runner = web.AppRunner(self.build_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = int(runner.addresses[0][1])
        self._runner = runner
        shown = f"[{host}]" if ":" in host else host
        self._url = f"http://{shown}:{bound_port}"
        self.tokens.issuer = self.issuer
        _LOGGER.info("Fleet API emulator listening on %s", self._url)
        if self.state_file is not None:
            self.save_state()
            self._saver = asyncio.get_running_loop().create_task(
                persistence.save_periodically(self)
            )

    async def stop(self) -> None:
        """Stop serving (and save the state file last)."""
        self.stream.close()
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.save_state()

    def save_state(self) -> None:
        """Write the state file now (nothing without one); atomic, see `persistence.py`."""
        if self.state_file is not None:
            persistence.write_state(self.state_file, persistence.snapshot(self))

    @property
    def url(self) -> str:
        """Root URL (OAuth at `url + /oauth2/v3/...`)."""
        if self._url is None:
            raise RuntimeError("the emulator is not started")
        return self._url

    @property
    def issuer(self) -> str:
        """The OAuth issuer."""
        return f"{self.url}/oauth2/v3/nts"

    def base_url(self, region: str) -> str:
        """Regional Fleet API base URL."""
        if region not in REGIONS:
            raise ValueError(f"unknown region {region}")
        return f"{self.url}/{region}"

    def base_urls(self) -> list[str]:
        """Every regional base URL."""
        return [self.base_url(region) for region in REGIONS]

    # --- handle for tests ----------------------------------------------------------------

    def client(self, client_id: str) -> ClientSpec | None:
        """A registered app."""
        return next((c for c in self.scenario.clients if c.client_id == client_id), None)

    def login(self, hint: str | None) -> str:
        """The account a consent page signs in: by id or e-mail, else the first one."""
        for account in self.world.accounts.values():
            if hint in (account.account_id, account.email):
                return account.account_id
        return next(iter(self.world.accounts))

    def mint_tokens(
        self,
        account_id: str = "owner",
        scopes: list[str] | tuple[str, ...] | None = None,
        client_id: str = "tfd-client",
    ) -> dict[str, Any]:
        """Tokens as the token endpoint would answer, without the browser."""
        account = self.world.accounts[account_id]
        granted = tuple(scopes) if scopes is not None else ALL_USER_SCOPES
        return self.tokens.issue(account, client_id, granted, (self.base_url(account.region),))

    def revoke_refresh_tokens(self, account_id: str) -> int:
        """Invalidate an account's refresh tokens (a password reset); returns how many."""
        return self.tokens.revoke(account_id)

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """Invalidate one refresh token (its next use answers 401 `login_required`)."""
        return self.tokens.revoke_token(refresh_token)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 `token expired (401)`."""
        self.tokens.expire_access_tokens()

    def vehicle(self, vin: str) -> Vehicle:
        """The simulated car, brought up to now (read and set its attributes freely)."""
        self.world.advance()
        return self.world.vehicles[vin]

    def site(self, site_id: int) -> Site:
        """The simulated energy site, brought up to now."""
        self.world.advance()
        return self.world.sites[int(site_id)]

    def advance(self, seconds: float) -> None:
        """Move the clock and run the simulation up to the new time.

        While a car streams, the way there is sampled (see `telemetry_stream.py`).
        """
        if self.stream.active:
            self.stream.advance(seconds)
            return
        self.clock.advance(seconds)
        self.world.advance()
