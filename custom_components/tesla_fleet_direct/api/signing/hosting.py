"""The app's public-key hosting and virtual-key pairing links (partner set-up facts)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
import re
from urllib.parse import quote, urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

WELL_KNOWN_PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
PAIRING_BASE = "https://tesla.com/_ak/"
# A PEM public key is a few hundred bytes; anything far larger is not our key.
MAX_KEY_BYTES = 4096
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class InvalidDomainError(ValueError):
    """Not a public DNS name the way Tesla's developer dashboard expects it."""


class HostedKeyStatus(StrEnum):
    """Outcome of fetching the well-known public key."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    HTTP_ERROR = "http_error"
    NOT_A_KEY = "not_a_key"
    DIFFERENT_KEY = "different_key"


@dataclass(frozen=True, slots=True)
class HostedKeyCheck:
    """What was found at the well-known URL, in words a user can act on."""

    status: HostedKeyStatus
    url: str
    found: str = ""

    @property
    def ok(self) -> bool:
        """True when the domain serves exactly our public key."""
        return self.status is HostedKeyStatus.OK


def normalize_domain(text: str) -> str:
    """Accept `example.com`, `https://Example.com/` and the like; return the bare host."""
    value = text.strip()
    if "://" in value:
        value = urlsplit(value).hostname or ""
    value = value.strip().rstrip("/").rstrip(".").lower()
    if not _HOSTNAME.match(value):
        raise InvalidDomainError(text)
    return value


def public_key_url(domain: str) -> str:
    """Where Tesla (and we) fetch the app's public key for a domain."""
    return f"https://{domain}{WELL_KNOWN_PATH}"


def pairing_url(domain: str, vin: str | None = None) -> str:
    """The link the owner opens with the Tesla app to add our virtual key to a car."""
    url = PAIRING_BASE + quote(domain)
    return f"{url}?vin={quote(vin)}" if vin else url


def _point(pem: str) -> bytes | None:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        return None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return None
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


async def async_check_hosted_key(
    session: aiohttp.ClientSession, url: str, expected_pem: str, *, seconds: float = 10.0
) -> HostedKeyCheck:
    """Fetch the hosted key and compare it with ours (by key, not by PEM text)."""
    try:
        async with asyncio.timeout(seconds), session.get(url, allow_redirects=False) as response:
            if response.status != 200:
                return HostedKeyCheck(HostedKeyStatus.HTTP_ERROR, url, f"HTTP {response.status}")
            body = (await response.content.read(MAX_KEY_BYTES)).decode(errors="replace")
    except (aiohttp.ClientError, TimeoutError) as err:
        return HostedKeyCheck(HostedKeyStatus.UNREACHABLE, url, type(err).__name__)
    found = _point(body)
    if found is None:
        snippet = body.strip().splitlines()[0][:80] if body.strip() else "(empty)"
        return HostedKeyCheck(HostedKeyStatus.NOT_A_KEY, url, snippet)
    if found != _point(expected_pem):
        return HostedKeyCheck(HostedKeyStatus.DIFFERENT_KEY, url, body.strip())
    return HostedKeyCheck(HostedKeyStatus.OK, url, body.strip())
