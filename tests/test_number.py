"""Numbers: charge limit, charging amps and speed limit, within the car's own range."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator

from .control_helpers import (
    call,
    loaded,  # noqa: F401  (autouse set-up)
)
from .entity_helpers import snapshot, state_of, summarise  # noqa: F401
from .vehicle_helpers import M3


@pytest.mark.parametrize(
    ("entity_id", "value", "read"),
    [
        ("number.red_pearl_charge_limit", 90, lambda car: car.charge_limit_soc),
        ("number.red_pearl_charge_current", 16, lambda car: car.charge_current_request),
        ("number.red_pearl_speed_limit", 70, lambda car: car.speed_limit_mph),
    ],
)
async def test_number_sets_the_car_and_shows_at_once(
    hass: HomeAssistant, emulator: Emulator, entity_id: str, value: int, read: Any
) -> None:
    emulator.faults.inject(f"*/vehicles/{M3}/vehicle_data", 503)  # no help from a poll
    await call(hass, "number", "set_value", entity_id, value=value)
    assert read(emulator.vehicle(M3)) == value
    assert float(state_of(hass, entity_id).state) == value


async def test_limits_come_from_the_car(hass: HomeAssistant) -> None:
    limit = state_of(hass, "number.red_pearl_charge_limit")
    assert (limit.attributes["min"], limit.attributes["max"]) == (50, 100)
    amps = state_of(hass, "number.red_pearl_charge_current")
    assert (amps.attributes["min"], amps.attributes["max"]) == (0, 32)


@pytest.mark.parametrize(
    ("entity_id", "value"),
    [
        ("number.red_pearl_charge_limit", 49),
        ("number.red_pearl_charge_limit", 101),
        ("number.red_pearl_charge_current", 33),
        ("number.red_pearl_speed_limit", 130),
    ],
)
async def test_out_of_range_is_refused_before_any_request(
    hass: HomeAssistant, emulator: Emulator, entity_id: str, value: int
) -> None:
    before = len(emulator.ledger.entries)
    with pytest.raises(ServiceValidationError):
        await call(hass, "number", "set_value", entity_id, value=value)
    assert len(emulator.ledger.entries) == before  # the ledger proves nothing was sent
    assert emulator.vehicle(M3).charge_limit_soc == 80


@pytest.mark.parametrize(
    ("entity_id", "value", "key"),
    [
        ("number.red_pearl_charge_limit", 80.5, "whole_number_required"),
        ("number.red_pearl_charge_current", 12.25, "whole_number_required"),
        ("number.red_pearl_speed_limit", 65.5, "whole_number_required"),
        ("number.red_pearl_charge_limit", "nan", "value_out_of_range"),
    ],
)
async def test_a_value_tesla_would_refuse_is_not_sent(
    hass: HomeAssistant, emulator: Emulator, entity_id: str, value: float | str, key: str
) -> None:
    """Tesla takes whole percent, amps and mph; NaN passes Home Assistant's own range check."""
    emulator.ledger.clear()
    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "number", "set_value", entity_id, value=value)
    assert refused.value.translation_key == key
    assert emulator.ledger.entries == []


SITE = 2252180000000001


@pytest.mark.parametrize(
    ("entity_id", "field"),
    [
        ("number.home_backup_reserve", "backup_reserve_percent"),
        (
            "number.home_off_grid_reserve_for_ev_charging",
            "off_grid_vehicle_charging_reserve_percent",
        ),
    ],
)
async def test_site_reserve_raised_before_a_storm(
    hass: HomeAssistant, emulator: Emulator, entity_id: str, field: str
) -> None:
    await call(hass, "number", "set_value", entity_id, value=80)
    assert getattr(emulator.site(SITE), field) == 80
    assert float(state_of(hass, entity_id).state) == 80


async def test_site_reserve_out_of_range_sends_nothing(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    before = len(emulator.ledger.entries)
    with pytest.raises(ServiceValidationError):
        await call(hass, "number", "set_value", "number.home_backup_reserve", value=101)
    assert len(emulator.ledger.entries) == before


async def test_number_entities_snapshot(
    hass: HomeAssistant,
    snapshot: SnapshotAssertion,  # noqa: F811
) -> None:
    """Registry facts and attributes of the car's number entities (names, icons, features)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    summary = summarise(hass, entry, M3)
    assert {k: v for k, v in summary.items() if k.startswith("number.")} == snapshot
