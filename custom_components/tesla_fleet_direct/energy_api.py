"""The energy-site reads the coordinator and the statistics import need (HA-free).

A narrow stand-in for `client.energy_site(site_id)` of `api/` (same method names, typed answers),
so the energy half works and is tested before the full client lands; swap it in `__init__` then.
"""

from __future__ import annotations

from collections.abc import Mapping
from json import JSONDecodeError
from typing import Any, Protocol

from aiohttp import ClientError, ClientSession, ClientTimeout

from .energy_models import EnergyDataError, HistoryEntry, LiveStatus, SiteInfo


class TokenProvider(Protocol):
    """Gives the current access token (the client contract in docs/architecture.md)."""

    async def async_get_access_token(self) -> str:
        """The access token to send now."""


class EnergyApiError(Exception):
    """A read failed; `status` is the HTTP status, or None when no answer came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the status for the coordinator's decisions."""
        super().__init__(message)
        self.status = status


class EnergyRateLimitedError(EnergyApiError):
    """HTTP 429: Tesla asked for `retry_after` seconds of silence for this account."""

    def __init__(self, retry_after: float | None) -> None:
        """Keep Tesla's wait; None when the header was missing or unreadable."""
        super().__init__(f"rate limited, retry after {retry_after} s", 429)
        self.retry_after = retry_after


class EnergyMalformedError(EnergyApiError):
    """The answer was not the JSON Tesla documents."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (Tesla sends delta-seconds)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)


class EnergySiteApi:
    """Reads of one energy site over the regional Fleet API."""

    def __init__(
        self,
        session: ClientSession,
        base_url: str,
        token_provider: TokenProvider,
        site_id: int,
        *,
        timeout: float = 30.0,
    ) -> None:
        """Bind to one site of one account."""
        self._session = session
        self._url = f"{base_url.rstrip('/')}/api/1/energy_sites/{site_id}"
        self._tokens = token_provider
        self._timeout = ClientTimeout(total=timeout)
        self.site_id = site_id

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        token = await self._tokens.async_get_access_token()
        try:
            async with self._session.get(
                f"{self._url}/{path}",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._timeout,
            ) as response:
                if response.status == 429:
                    raise EnergyRateLimitedError(
                        parse_retry_after(response.headers.get("Retry-After"))
                    )
                try:
                    body = await response.json(content_type=None)
                except (JSONDecodeError, ValueError) as err:
                    raise EnergyMalformedError(
                        f"{path}: answer is not JSON", response.status
                    ) from err
                if response.status >= 400 or not isinstance(body, Mapping):
                    error = body.get("error") if isinstance(body, Mapping) else None
                    raise EnergyApiError(f"{path}: {error or 'HTTP error'}", response.status)
                return body.get("response")
        except (ClientError, TimeoutError) as err:
            raise EnergyApiError(f"{path}: {type(err).__name__}") from err

    async def live_status(self) -> LiveStatus:
        """Powers, battery level, grid state and wall connectors now."""
        try:
            return LiveStatus.parse(await self._get("live_status"))
        except EnergyDataError as err:
            raise EnergyMalformedError(f"live_status: {err}", 200) from err

    async def site_info(self) -> SiteInfo:
        """Settings (backup reserve, mode, storm mode) and components."""
        try:
            return SiteInfo.parse(await self._get("site_info"))
        except EnergyDataError as err:
            raise EnergyMalformedError(f"site_info: {err}", 200) from err

    async def calendar_history(self, *, end_date: str, time_zone: str) -> list[HistoryEntry]:
        """The energy flows of the local day ending at `end_date` (ISO 8601 with offset)."""
        params = {"kind": "energy", "period": "day", "end_date": end_date, "time_zone": time_zone}
        try:
            return HistoryEntry.parse_series(await self._get("calendar_history", params))
        except EnergyDataError as err:
            raise EnergyMalformedError(f"calendar_history: {err}", 200) from err
