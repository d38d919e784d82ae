"""The app's EC P-256 key pair: made once, private half only in a 0600 file in the config dir.

The private key never goes into a config entry, diagnostics or logs: only this module reads
the file, and `AppKey` keeps the key out of its repr. Losing the file means re-pairing every
car, so a damaged file is an error for the user to resolve, never silently replaced.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import os
from pathlib import Path
import stat

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

KEY_FILE = f"{DOMAIN}_app_key.pem"
OWNER_ONLY = 0o600
DATA_APP_KEY: HassKey[AppKey] = HassKey(f"{DOMAIN}_app_key")
_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_app_key_lock")


@dataclass(frozen=True, slots=True)
class AppKey:
    """The loaded key pair; only the public half is meant to be shown or shared."""

    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    public_pem: str
    path: Path

    @property
    def public_point(self) -> bytes:
        """The public key as the protocol's 65-byte uncompressed point."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )


def key_path(hass: HomeAssistant) -> Path:
    """Where the private key lives: HA's private storage directory, backed up with it."""
    return Path(hass.config.path(".storage", KEY_FILE))


async def async_get_app_key(hass: HomeAssistant) -> AppKey:
    """Load the app key, creating it the first time; the same key for the life of HA."""
    if (cached := hass.data.get(DATA_APP_KEY)) is not None:
        return cached
    lock = hass.data.setdefault(_LOCK, asyncio.Lock())
    async with lock:
        if (cached := hass.data.get(DATA_APP_KEY)) is not None:
            return cached
        app_key = await hass.async_add_executor_job(load_or_create, key_path(hass))
        hass.data[DATA_APP_KEY] = app_key
        return app_key


def load_or_create(path: Path) -> AppKey:
    """Read the key file, or write a new key with owner-only permissions (blocking I/O)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: if two processes race, exactly one creates the key; the other loads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        return _load(path)
    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    LOGGER.info("Created the app key pair for signed vehicle commands")
    return _app_key(private_key, path)


def _load(path: Path) -> AppKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        # Someone (a restore, a copy) widened access; narrow it before reading the secret.
        LOGGER.warning("Restricting permissions of %s to the owner", path.name)
        path.chmod(OWNER_ONLY)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as err:
        raise AppKeyError(translation_domain=DOMAIN, translation_key="app_key_unreadable") from err
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise AppKeyError(translation_domain=DOMAIN, translation_key="app_key_unreadable")
    return _app_key(key, path)


def _app_key(private_key: ec.EllipticCurvePrivateKey, path: Path) -> AppKey:
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return AppKey(private_key=private_key, public_pem=public_pem, path=path)


class AppKeyError(HomeAssistantError):
    """The key file exists but is not a usable EC P-256 private key."""
