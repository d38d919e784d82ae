"""The app key: created once, owner-only on disk, stable across restarts, never logged."""

from __future__ import annotations

import logging
from pathlib import Path
import stat

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from homeassistant.core import HomeAssistant
import pytest

from custom_components.tesla_fleet_direct.app_key import (
    DATA_APP_KEY,
    AppKeyError,
    async_get_app_key,
    key_path,
)


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Each test gets its own config directory (the harness's default one is shared)."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


def _private_pem(path: Path) -> str:
    return path.read_text()


async def test_key_created_once_with_owner_only_permissions(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, private_config_dir: Path
) -> None:
    """First use writes a 0600 P-256 key; later uses, and a restart, return the same key."""
    caplog.set_level(logging.DEBUG)
    first = await async_get_app_key(hass)
    path = key_path(hass)
    assert path.parent.parent == private_config_dir
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(first.private_key.curve, ec.SECP256R1)
    assert first.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert len(first.public_point) == 65

    assert await async_get_app_key(hass) is first
    hass.data.pop(DATA_APP_KEY)  # as after a restart
    again = await async_get_app_key(hass)
    assert again.public_pem == first.public_pem

    secret = _private_pem(path)
    body = "".join(secret.splitlines()[1:-1])
    assert body not in caplog.text
    assert "PRIVATE KEY" not in caplog.text
    assert body not in repr(first)


async def test_widened_permissions_are_narrowed(hass: HomeAssistant) -> None:
    """A key restored with group/world access is put back to owner-only before use."""
    created = await async_get_app_key(hass)
    path = key_path(hass)
    path.chmod(0o644)
    hass.data.pop(DATA_APP_KEY)
    loaded = await async_get_app_key(hass)
    assert loaded.public_pem == created.public_pem
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "content",
    [
        b"not a key",
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    ],
    ids=["garbage", "wrong-curve"],
)
async def test_damaged_key_is_an_error_not_a_silent_new_key(
    hass: HomeAssistant, content: bytes
) -> None:
    """Replacing a damaged key would unpair every car, so the user is told instead."""
    path = key_path(hass)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(AppKeyError) as err:
        await async_get_app_key(hass)
    assert err.value.translation_key == "app_key_unreadable"
    assert path.read_bytes() == content
