"""HTTP to the Fleet API: base URL per region, bearer token, envelope, errors, accounting.

Recovery that is always right is done here and only here: one token refresh on a 401
(through the token provider, which owns refresh-token rotation), one region re-resolution
on a 421, and the account's rate-limit gate: every 429 closes it for Tesla's `Retry-After`
(`DEFAULT_RETRY_AFTER` when none), and while it is closed no request leaves
(`RateLimitWaitError`). Everything else is raised for the caller to decide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
import json
import logging
import time
from typing import Any, Protocol

import aiohttp

from .accounting import RequestCallback, RequestClassifier, RequestRecord
from .errors import (
    InvalidTokenError,
    RateLimitWaitError,
    ResponseFormatError,
    TeslaConnectionError,
    TeslaFleetError,
    TeslaTimeoutError,
    WrongRegionError,
    error_for_status,
)
from .rate_limit import DEFAULT_RETRY_AFTER, RateLimitGate
from .regions import (
    DEFAULT_REGION,
    FLEET_API_URLS,
    TESLA_HOSTS,
    is_trusted_url,
    redirect_from_message,
    region_from_hint,
)

_LOGGER = logging.getLogger(__name__)
REGION_PATH = "/api/1/users/region"


class TokenProvider(Protocol):
    """Where the client gets access tokens; Home Assistant's OAuth session stays in charge."""

    async def async_get_access_token(self) -> str:
        """A currently valid access token."""

    async def async_refresh_access_token(self, rejected: str) -> str:
        """A new access token after Tesla refused `rejected` (refresh, unless already done)."""


@dataclass(frozen=True, slots=True)
class RawResponse:
    """One answered request, before the envelope is unwrapped."""

    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, or None when the body was not JSON
    json_ok: bool


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except TypeError, ValueError, IndexError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN  # noqa: PLR0124
        return None
    return max(seconds, 0.0)


class Transport:
    """Sends requests for one account; shared by every endpoint group of a client."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token_provider: TokenProvider,
        *,
        base_url: str | None = None,
        region_hint: str | None = None,
        region_urls: Mapping[str, str] = FLEET_API_URLS,
        trusted_hosts: Iterable[str] = TESLA_HOSTS,
        on_request: RequestCallback | None = None,
        timeout: float = 30.0,
        classifier: RequestClassifier | None = None,
        gate: RateLimitGate | None = None,
    ) -> None:
        """`base_url` pins the region; otherwise `region_hint` or a look-up decides."""
        self.gate = gate or RateLimitGate()
        self._session = session
        self._tokens = token_provider
        self._region_urls = dict(region_urls)
        self._trusted_hosts = tuple(trusted_hosts)
        self._on_request = on_request
        self._timeout = timeout
        self._classifier = classifier or RequestClassifier()
        self._base_url = base_url.rstrip("/") if base_url else None
        self._region = region_from_hint(region_hint)
        if self._base_url is None and self._region in self._region_urls:
            self._base_url = self._region_urls[self._region].rstrip("/")
        self._resolve_lock = asyncio.Lock()

    @property
    def base_url(self) -> str | None:
        """The regional base URL in use (None until resolved)."""
        return self._base_url

    @property
    def session(self) -> aiohttp.ClientSession:
        """The injected HTTP session."""
        return self._session

    def url_for_region(self, region: str) -> str:
        """The configured base URL of a region key (na, eu, cn)."""
        try:
            return self._region_urls[region].rstrip("/")
        except KeyError:
            raise WrongRegionError(f"unknown region {region!r}") from None

    def set_base_url(self, url: str) -> None:
        """Pin the base URL (e.g. from users/region), refusing untrusted hosts."""
        if not is_trusted_url(url, self._trusted_hosts):
            raise WrongRegionError("base URL is not a trusted Tesla host")
        self._base_url = url.rstrip("/")

    async def async_base_url(self) -> str:
        """The base URL, looking the region up once if nothing pinned it."""
        if self._base_url is not None:
            return self._base_url
        async with self._resolve_lock:
            if self._base_url is None:
                token = await self._tokens.async_get_access_token()
                self._base_url = await self._look_up_region(token)
            return self._base_url

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        token_provider: TokenProvider | None = None,
        base_url: str | None = None,
    ) -> Any:
        """Send one request and return the unwrapped `response`; raise a TeslaFleetError."""
        tokens = token_provider or self._tokens
        token = await tokens.async_get_access_token()
        refreshed = relocated = False
        while True:
            base = base_url or await self.async_base_url()
            raw = await self._send(method, base, path, token, params=params, json_body=json_body)
            if 200 <= raw.status < 300:
                return _unwrap(raw, path)
            error = _error(raw, path)
            if isinstance(error, InvalidTokenError) and not refreshed:
                refreshed = True
                _LOGGER.debug("%s %s: token refused, refreshing once", method, path)
                token = await tokens.async_refresh_access_token(token)
                continue
            if raw.status == 421 and not relocated and base_url is None:
                relocated = True
                await self._relocate(raw, base, token)
                continue
            raise error

    async def _relocate(self, raw: RawResponse, failed_base: str, token: str) -> None:
        """After a 421: the URL from Tesla's message if trusted, else ask users/region."""
        body = raw.body if isinstance(raw.body, Mapping) else {}
        target = redirect_from_message(body.get("error")) or redirect_from_message(
            body.get("error_description")
        )
        async with self._resolve_lock:
            if self._base_url not in (None, failed_base):
                return  # another request already moved us
            if target is not None and is_trusted_url(target, self._trusted_hosts):
                self._base_url = target.rstrip("/")
            else:
                self._base_url = await self._look_up_region(token, via=failed_base)
        _LOGGER.debug("wrong region: now using %s", self._base_url)

    async def _look_up_region(self, token: str, *, via: str | None = None) -> str:
        """Ask `users/region` (at `via`, the hinted region, or North America) for the base URL."""
        base = via or self.url_for_region(self._region or DEFAULT_REGION)
        raw = await self._send("GET", base, REGION_PATH, token)
        if raw.status == 421:
            body = raw.body if isinstance(raw.body, Mapping) else {}
            target = redirect_from_message(body.get("error"))
            if target is not None and is_trusted_url(target, self._trusted_hosts):
                return target.rstrip("/")
        if not 200 <= raw.status < 300:
            raise _error(raw, REGION_PATH)
        response = _unwrap(raw, REGION_PATH)
        url = response.get("fleet_api_base_url") if isinstance(response, Mapping) else None
        if isinstance(url, str) and is_trusted_url(url, self._trusted_hosts):
            return url.rstrip("/")
        region = response.get("region") if isinstance(response, Mapping) else None
        if isinstance(region, str) and region.lower() in self._region_urls:
            return self._region_urls[region.lower()].rstrip("/")
        raise WrongRegionError(
            "users/region named no usable base URL", status=raw.status, path=REGION_PATH
        )

    async def _send(
        self,
        method: str,
        base: str,
        path: str,
        token: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> RawResponse:
        """One HTTP exchange, reported to the accounting hook whatever happens.

        Refused unsent while the account's gate is closed; a 429 closes it.
        """
        if (wait := self.gate.remaining()) > 0:
            raise RateLimitWaitError(
                f"not sent: the account is rate limited for {wait:.0f} s more",
                retry_after=wait,
                status=None,
                path=path,
            )
        status: int | None = None
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    method,
                    f"{base}{path}",
                    params=params,
                    json=json_body,
                    headers={"Authorization": f"Bearer {token}"},
                ) as response:
                    status = response.status
                    data = await response.read()
                    headers = response.headers.copy()
        except TimeoutError as err:
            raise TeslaTimeoutError(
                f"no answer within {self._timeout:g} s", status=status, path=path
            ) from err
        except aiohttp.ClientPayloadError as err:
            raise ResponseFormatError("the answer was cut short", status=status, path=path) from err
        except aiohttp.ClientError as err:
            raise TeslaConnectionError(
                f"connection failed: {type(err).__name__}", status=status, path=path
            ) from err
        finally:
            self._report(method, path, status, time.monotonic() - started)
        if status == 429:
            asked = parse_retry_after(headers.get("Retry-After"))
            self.gate.block(DEFAULT_RETRY_AFTER if asked is None else asked)
        try:
            body = json.loads(data) if data else None
        except ValueError:
            return RawResponse(status, headers, None, json_ok=False)
        return RawResponse(status, headers, body, json_ok=data != b"")

    def _report(self, method: str, path: str, status: int | None, duration: float) -> None:
        _LOGGER.debug("%s %s -> %s (%.3f s)", method, path, status, duration)
        if self._on_request is None:
            return
        category, if_billed = self._classifier.classify(method, path)
        record = RequestRecord(category, method.upper(), path, status, duration, if_billed)
        try:
            self._on_request(record)
        except Exception:
            # Counting must never break a request.
            _LOGGER.exception("request accounting callback failed")


def _unwrap(raw: RawResponse, path: str) -> Any:
    if not raw.json_ok:
        raise ResponseFormatError("the answer is not JSON", status=raw.status, path=path)
    if not isinstance(raw.body, Mapping) or "response" not in raw.body:
        raise ResponseFormatError(
            "the answer has no `response` envelope", status=raw.status, path=path
        )
    return raw.body["response"]


def _error(raw: RawResponse, path: str) -> TeslaFleetError:
    body = raw.body if isinstance(raw.body, Mapping) else None
    retry_after = parse_retry_after(raw.headers.get("Retry-After"))
    return error_for_status(raw.status, body, path=path, retry_after=retry_after)
