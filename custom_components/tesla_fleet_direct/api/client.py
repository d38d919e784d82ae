"""The Fleet API client: one per Tesla account, the entry point to every endpoint group."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aiohttp

from .accounting import CategoryRule, RequestCallback, RequestClassifier
from .energy import EnergySiteApi
from .models import FleetStatus, Products, VehicleSummary
from .partner import PartnerApi
from .rate_limit import RateLimitGate
from .regions import FLEET_API_URLS, TESLA_HOSTS
from .telemetry import TelemetryApi
from .transport import TokenProvider, Transport
from .users import UsersApi
from .validation import check_text
from .vehicle import CommandSigner, Sleep, VehicleApi


class TeslaFleetClient:
    """Typed access to Tesla's Fleet API for one account (imports nothing from Home Assistant)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token_provider: TokenProvider,
        *,
        base_url: str | None = None,
        region_hint: str | None = None,
        trusted_hosts: Iterable[str] = TESLA_HOSTS,
        on_request: RequestCallback | None = None,
        timeout: float = 30.0,
        region_urls: Mapping[str, str] = FLEET_API_URLS,
        category_rules: Sequence[CategoryRule] | None = None,
        sleep: Sleep = asyncio.sleep,
        command_signer: CommandSigner | None = None,
        rate_limit: RateLimitGate | None = None,
    ) -> None:
        """`session` and `token_provider` are injected; the rest has Tesla's defaults.

        `region_urls`/`trusted_hosts` swap Tesla for the emulator; `category_rules` replaces
        the request-accounting table; `sleep` is how waits between wake polls happen;
        `command_signer` signs commands for cars that require it (see `set_command_signer`);
        `rate_limit` is the account's 429 gate (a new one by default), held by the transport.
        """
        classifier = RequestClassifier(category_rules) if category_rules is not None else None
        self.transport = Transport(
            session,
            token_provider,
            base_url=base_url,
            region_hint=region_hint,
            region_urls=region_urls,
            trusted_hosts=trusted_hosts,
            on_request=on_request,
            timeout=timeout,
            classifier=classifier,
            gate=rate_limit,
        )
        self.users = UsersApi(self.transport)
        self.telemetry = TelemetryApi(self.transport)
        self._sleep = sleep
        self._command_signer = command_signer
        self._vehicles: dict[str, VehicleApi] = {}
        self._sites: dict[int, EnergySiteApi] = {}

    @property
    def rate_limit(self) -> RateLimitGate:
        """The account's rate-limit gate: closed after a 429 until Tesla's wait has passed."""
        return self.transport.gate

    @property
    def base_url(self) -> str | None:
        """The regional base URL in use (None until the region is resolved)."""
        return self.transport.base_url

    async def products(self) -> Products:
        """Everything on the account, split into vehicles and energy sites."""
        path = "/api/1/products"
        products = Products.parse(await self.transport.request("GET", path), path=path)
        for summary in products.vehicles:
            self.vehicle(summary.vin).note_summary(summary)
        return products

    async def vehicles(self) -> list[VehicleSummary]:
        """The vehicle list with each car's state (never wakes a car)."""
        path = "/api/1/vehicles"
        response = await self.transport.request("GET", path)
        items: list[Any] = response if isinstance(response, list) else []
        return [
            self.vehicle(summary.vin).note_summary(summary)
            for summary in (VehicleSummary.parse(item, path=path) for item in items)
        ]

    async def fleet_status(self, vins: Iterable[str]) -> FleetStatus:
        """Which cars have our virtual key and which need signed commands."""
        path = "/api/1/vehicles/fleet_status"
        wanted = [check_text("vin", vin, max_length=17) for vin in vins]
        response = await self.transport.request("POST", path, json_body={"vins": wanted})
        return FleetStatus.parse(response)

    def vehicle(self, vin: str) -> VehicleApi:
        """One car's endpoints; the same object for the same VIN (shared lock and wake)."""
        if vin not in self._vehicles:
            self._vehicles[vin] = VehicleApi(
                self.transport, vin, sleep=self._sleep, signer=lambda: self._command_signer
            )
        return self._vehicles[vin]

    def set_command_signer(self, signer: CommandSigner | None) -> None:
        """Sign commands for cars whose products/state say `command_signing: required`.

        `SignedCommands(key, lambda vin: client.vehicle(vin).signed_command)` fits.
        """
        self._command_signer = signer

    def energy_site(self, site_id: int | str) -> EnergySiteApi:
        """One energy site's endpoints."""
        key = int(site_id)
        if key not in self._sites:
            self._sites[key] = EnergySiteApi(self.transport, key)
        return self._sites[key]

    def partner(self, token_provider: TokenProvider, *, region: str | None = None) -> PartnerApi:
        """Partner endpoints with a client-credentials token, in `region` (default: ours)."""
        base = self.transport.url_for_region(region) if region is not None else None
        return PartnerApi(self.transport, token_provider, base_url=base)
