"""Shared by the platform tests: set up one platform against the emulator, summarise entities."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from fleet_emulator import Emulator

from .common import setup_integration

M3 = "5YJ3E7EB0KF000001"
MY = "7SAYGDEE0PA000002"


@contextmanager
def only_platforms(*platforms: Platform, all_enabled: bool = False) -> Iterator[None]:
    """Set up only `platforms` (and optionally enable every entity, niche ones included)."""
    with patch("custom_components.tesla_fleet_direct.PLATFORMS", list(platforms)):
        if not all_enabled:
            yield
            return
        with patch(
            "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
            new_callable=PropertyMock,
            return_value=True,
        ):
            yield


async def setup_platform(
    hass: HomeAssistant,
    emulator: Emulator,
    platform: Platform,
    *,
    scopes: Sequence[str] | None = None,
    all_enabled: bool = False,
) -> MockConfigEntry:
    """A signed-in account with only `platform`, first polls done."""
    with only_platforms(platform, all_enabled=all_enabled):
        entry = await setup_integration(hass, emulator, scopes=scopes)
        await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    """The entity's current state; fails the test when the entity has none."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state


def entity_id_for(hass: HomeAssistant, domain: str, unique_suffix: str, vin: str = M3) -> str:
    """The entity id of one car's entity by its key."""
    registry = er.async_get(hass)
    for entry in registry.entities.values():
        if entry.domain == domain and entry.unique_id.endswith(f"-{vin}-{unique_suffix}"):
            return entry.entity_id
    raise AssertionError(f"no {domain} entity {unique_suffix} for {vin}")


def summarise(hass: HomeAssistant, entry: ConfigEntry[Any], vin: str) -> dict[str, Any]:
    """Registry facts and state attributes of one car's entities (values change, these don't)."""
    registry = er.async_get(hass)
    summary: dict[str, Any] = {}
    for item in sorted(
        er.async_entries_for_config_entry(registry, entry.entry_id), key=lambda e: e.unique_id
    ):
        if f"-{vin}-" not in item.unique_id:
            continue
        state = hass.states.get(item.entity_id)
        summary[item.entity_id] = {
            "unique_id": item.unique_id,
            "translation_key": item.translation_key,
            "original_device_class": item.original_device_class,
            "unit_of_measurement": item.unit_of_measurement,
            "entity_category": item.entity_category,
            "disabled_by": item.disabled_by,
            "capabilities": item.capabilities,
            "attributes": dict(state.attributes) if state else None,
        }
    return summary


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in tests/snapshots/ with Home Assistant's serializer."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
