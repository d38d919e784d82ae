"""One car of each emulated model on one account, for tests of what each model is offered.

The emulator copies each model's `vehicle_data` from real captures (fleet_emulator/
vehicle_profiles.py): a 2023 Model 3 and Model Y, a 2015 Model S (no cameras, a sunroof, no
cabin overheat protection) and a 2022 Model X (six seats, heated third row).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from fleet_emulator import Emulator
from fleet_emulator.scenario import parse_scenario
from fleet_emulator.vehicle_profiles import PROFILES

MODEL_3 = "5YJ3E7EB0KF000011"
MODEL_Y = "7SAYGDEE0PA000012"
MODEL_S_2015 = "5YJSA7H4XFF000013"
MODEL_X_2022 = "7SAXCBE60NF000014"
SCENARIO: dict[str, Any] = {
    "accounts": [
        {
            "account_id": "owner",
            "vehicles": [MODEL_3, MODEL_Y, MODEL_S_2015, MODEL_X_2022],
            "sites": [],
        }
    ],
    "vehicles": [
        {
            "vin": MODEL_3,
            "id": 1492931337151011,
            "vehicle_id": 1234567011,
            "display_name": "Model 3",
            "model": "model3",
        },
        {
            "vin": MODEL_Y,
            "id": 1492931337151012,
            "vehicle_id": 1234567012,
            "display_name": "Model Y",
            "model": "modely",
            "plugged_in": True,
            "battery_level": 48,
        },
        {
            "vin": MODEL_S_2015,
            "id": 1492931337151013,
            "vehicle_id": 1234567013,
            "display_name": "Model S",
            "model": "models_2015",
        },
        {
            "vin": MODEL_X_2022,
            "id": 1492931337151014,
            "vehicle_id": 1234567014,
            "display_name": "Model X",
            "model": "modelx_2022",
        },
    ],
    "sites": [],
}


@pytest.fixture
async def model_emulator(socket_enabled: None) -> AsyncIterator[Emulator]:
    """The emulator with one car of each model (no energy site)."""
    now = time.time()
    emu = Emulator(parse_scenario(SCENARIO, start=now), start=now)
    await emu.start("127.0.0.1", 0)
    yield emu
    await emu.stop()


def car_entities(hass: HomeAssistant, domain: str, vin: str) -> set[str]:
    """The keys (unique id suffixes) of one car's entities of one platform."""
    return {
        entry.unique_id.split(f"-{vin}-", 1)[1]
        for entry in er.async_get(hass).entities.values()
        if entry.domain == domain and f"-{vin}-" in entry.unique_id
    }


@contextmanager
def model_variant(model: str, **changes: Any) -> Iterator[None]:
    """Emulated cars of `model` answer with the profile changed as given (test-only variant).

    For what no captured car shows: a seat-cooled car, a tyre sensor that has not reported.
    """
    profile = replace(PROFILES[model], **changes)
    with patch("fleet_emulator.vehicle.PROFILES", {**PROFILES, model: profile}):
        yield
