"""Regions: Tesla's regional base URLs, the hosts we trust, and reading a 421's redirect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import ipaddress
import re
from types import MappingProxyType
from urllib.parse import urlsplit

FLEET_API_URLS: Mapping[str, str] = MappingProxyType(
    {
        "na": "https://fleet-api.prd.na.vn.cloud.tesla.com",
        "eu": "https://fleet-api.prd.eu.vn.cloud.tesla.com",
        "cn": "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
    }
)
# A base URL taken from an answer (421 text, users/region) must live under one of these.
TESLA_HOSTS: tuple[str, ...] = ("tesla.com", "tesla.cn")
DEFAULT_REGION = "na"

_REDIRECT = re.compile(r"use base URL:\s*(https?://[^\s,;\"']+)", re.IGNORECASE)


def region_from_hint(hint: str | None) -> str | None:
    """A region key from a token's `ou_code` ("NA", "EU", "CN") or a region name."""
    if not hint:
        return None
    region = hint.strip().lower()
    return region if region in FLEET_API_URLS else None


def redirect_from_message(message: str | None) -> str | None:
    """The base URL a 421 tells us to use, e.g. "user out of region, use base URL: https://..."."""
    if not message:
        return None
    match = _REDIRECT.search(message)
    return match.group(1).rstrip("/.") if match else None


def is_trusted_url(url: str, trusted_hosts: Iterable[str]) -> bool:
    """Whether `url` points at a trusted host; plain http only for loopback (the emulator)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not host or parts.scheme not in ("https", "http"):
        return False
    if parts.scheme == "http" and not _is_loopback(host):
        return False
    return any(
        host == trusted.lower() or host.endswith("." + trusted.lower()) for trusted in trusted_hosts
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
