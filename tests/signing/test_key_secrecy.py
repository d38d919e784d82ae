"""The app's private key stays in its file: not in logs, diagnostics, the entry or hass.data dumps."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_fleet_direct.app_key import async_get_app_key
from fleet_emulator import Emulator
from tests.common import setup_integration

MY = "7SAYGDEE0PA000002"


async def test_private_key_never_leaves_its_file(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """After pairing and signed commands at debug logging, no form of the key shows up."""
    hass.config.config_dir = str(tmp_path)
    caplog.set_level(logging.DEBUG)
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_integration(hass, emulator)
    app_key = await async_get_app_key(hass)
    emulator.world.security[MY].pair(app_key.public_pem)
    client = entry.runtime_data.client
    assert (await client.vehicle(MY).command("door_unlock")).result
    assert (await client.vehicle(MY).command("door_lock")).result

    numbers = app_key.private_key.private_numbers()
    pem_body = "".join(app_key.path.read_text().splitlines()[1:-1])
    der = app_key.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    forms = [
        pem_body,
        pem_body[:40],
        der.hex(),
        f"{numbers.private_value:064x}",
        str(numbers.private_value),
    ]
    dump = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
    places = {
        "logs": caplog.text,
        "diagnostics": dump,
        "entry data": json.dumps(dict(entry.data), default=str),
        "entry options": json.dumps(dict(entry.options), default=str),
    }
    for where, text in places.items():
        for form in forms:
            assert form not in text, f"private key in {where}"
    assert "PRIVATE KEY" not in caplog.text
    assert "BEGIN EC" not in caplog.text
