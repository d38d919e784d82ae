"""Energy-site entities through the sensor and binary_sensor platforms, fed by the emulator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.energy_sites import (
    EnergySiteFleet,
    energy_site_diagnostics,
)
from fleet_emulator import Emulator
from tests.common import setup_integration

from .conftest import SITE_ID

LIVE_STATUS = "/api/1/energy_sites/*/live_status"


async def _load(
    hass: HomeAssistant, emulator: Emulator, scopes: Sequence[str] | None = None
) -> tuple[MockConfigEntry, EnergySiteFleet]:
    """Set the owner's account up through the integration, against the emulator."""
    entry = await setup_integration(hass, emulator, scopes=scopes)
    assert entry.state is ConfigEntryState.LOADED
    fleet = entry.runtime_data.energy_sites
    assert fleet is not None
    return entry, fleet


def _next_poll(fleet: EnergySiteFleet) -> timedelta:
    """A little more than the site's interval (which the budget plan nudges after every poll)."""
    interval = fleet.coordinators[SITE_ID].update_interval
    assert interval is not None
    return interval * 1.1


def _snapshot_entities(
    hass: HomeAssistant, entry: MockConfigEntry, snapshot: SnapshotAssertion, platform: Platform
) -> None:
    registry = er.async_get(hass)
    entries = sorted(
        (
            e
            for e in er.async_entries_for_config_entry(registry, entry.entry_id)
            if e.domain == platform and (str(SITE_ID) in e.unique_id or "PGT" in e.unique_id)
        ),
        key=lambda e: e.entity_id,
    )
    assert entries
    for entity_entry in entries:
        assert entity_entry == snapshot(name=f"{entity_entry.entity_id}-entry")
        if entity_entry.disabled_by is None:
            assert hass.states.get(entity_entry.entity_id) == snapshot(
                name=f"{entity_entry.entity_id}-state"
            )


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_entities_snapshot(
    hass: HomeAssistant,
    emulator: Emulator,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Names, units, classes, categories and values of every site entity."""
    entry, _ = await _load(hass, emulator)
    _snapshot_entities(hass, entry, snapshot, platform)


async def test_values_follow_the_site(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
) -> None:
    """What the dashboard shows is the site's live status, in kW and %."""
    _, fleet = await _load(hass, emulator)
    step = _next_poll(fleet)
    for _ in range(3):
        freezer.tick(step)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        live = emulator.site(SITE_ID).live_status()
        solar = hass.states.get("sensor.home_solar_power")
        assert solar is not None
        assert solar.attributes["unit_of_measurement"] == "kW"
        assert float(solar.state) == pytest.approx(live["solar_power"] / 1000)
        level = hass.states.get("sensor.home_percentage_charged")
        assert level is not None
        assert float(level.state) == pytest.approx(live["percentage_charged"])
    grid = hass.states.get("binary_sensor.home_grid_status")
    assert grid is not None
    assert grid.state == "on"

    emulator.site(SITE_ID).set_grid(False)
    freezer.tick(step)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    grid = hass.states.get("binary_sensor.home_grid_status")
    island = hass.states.get("sensor.home_island_status")
    assert grid is not None
    assert island is not None
    assert grid.state == "off"
    assert island.state == "off_grid"


async def test_unavailable_only_when_stale(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
) -> None:
    """One failed poll keeps the last value; a long outage makes the entities unavailable."""
    _, fleet = await _load(hass, emulator)
    step = _next_poll(fleet)
    emulator.faults.inject(LIVE_STATUS, 503, count=6)
    states = []
    for _ in range(6):
        freezer.tick(step)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        state = hass.states.get("sensor.home_load_power")
        assert state is not None
        states.append(state.state)
    assert states[0] != STATE_UNAVAILABLE
    assert states[-1] == STATE_UNAVAILABLE


async def test_no_entities_without_the_energy_scope(
    hass: HomeAssistant,
    emulator: Emulator,
) -> None:
    """An account that did not grant energy_device_data gets no site and no site request."""
    entry, fleet = await _load(
        hass, emulator, scopes=["openid", "offline_access", "vehicle_device_data"]
    )
    assert fleet.coordinators == {}
    unique_ids = {
        e.unique_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    assert not [uid for uid in unique_ids if str(SITE_ID) in uid]
    assert not [e for e in emulator.ledger.entries if "/energy_sites/" in e.path]


async def test_unique_ids_per_account_and_devices_per_site(
    hass: HomeAssistant,
    emulator: Emulator,
) -> None:
    """Unique ids hold the account, the site and the key; the site and its connector are devices."""
    entry, _ = await _load(hass, emulator)
    account = emulator.world.accounts["owner"].sub
    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, entry.entry_id)
    assert all(e.unique_id.startswith(f"{account}-") for e in entries)
    assert f"{account}-{SITE_ID}-solar_power" in {e.unique_id for e in entries}
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    identifiers = {ident for device in devices for ident in device.identifiers}
    assert (DOMAIN, str(SITE_ID)) in identifiers
    assert any(model == "Wall Connector" for model in (d.model for d in devices))


async def test_site_leaving_the_account_is_removed(
    hass: HomeAssistant,
    emulator: Emulator,
) -> None:
    """A site missing from the products list loses its device and its entities."""
    entry, fleet = await _load(hass, emulator)
    assert fleet.polling.sites == 1
    await fleet.async_sync([])
    await hass.async_block_till_done()
    assert fleet.coordinators == {}
    assert fleet.polling.sites == 0
    registry = dr.async_get(hass)
    assert hass.states.get("sensor.home_solar_power") is None
    assert registry.async_get_device_by_identifier((DOMAIN, str(SITE_ID)), entry.entry_id) is None
    assert not [
        d
        for d in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if d.model == "Wall Connector"
    ]


async def test_default_budget_leaves_the_site_at_30_s(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Two cars and a site on Tesla's $10 credit: the site's live status is still read every
    30 s (energy requests are not billed, so the budget does not stretch them)."""
    _, fleet = await _load(hass, emulator)
    assert fleet.polling.budget_usd == 10.0
    assert fleet.polling.vehicles == 2
    assert fleet.coordinators[SITE_ID].update_interval == timedelta(seconds=30)
    assert fleet.polling.plan().site_live == 30


async def test_site_diagnostics_hold_no_identifying_data(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The site's part of a bug report names no site id, DIN, VIN, site name or token."""
    entry, fleet = await _load(hass, emulator)
    dump = energy_site_diagnostics(fleet.coordinators[SITE_ID])
    assert dump["live_status"]["solar_power"] is not None
    assert dump["site_info"]["backup_reserve_percent"] == 20
    text = json.dumps(dump)
    site = emulator.site(SITE_ID).spec
    secrets = [str(SITE_ID), site.id, site.site_name, entry.data["token"]["access_token"]]
    secrets += [part for wc in site.wall_connectors for part in (wc.din, wc.serial_number, wc.vin)]
    for secret in secrets:
        assert secret
        assert secret not in text


async def test_site_joining_later_gets_entities_without_restart(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A site that (re)appears in the products list gets its device and entities at once."""
    _, fleet = await _load(hass, emulator)
    await fleet.async_sync([])
    await hass.async_block_till_done()
    assert hass.states.get("sensor.home_solar_power") is None

    products = await fleet.client.products()
    added = await fleet.async_sync(products.energy_sites)
    await hass.async_block_till_done()
    assert [c.site_id for c in added] == [SITE_ID]
    state = hass.states.get("sensor.home_solar_power")
    assert state is not None
    assert float(state.state) == pytest.approx(
        emulator.site(SITE_ID).live_status()["solar_power"] / 1000
    )


async def test_several_wall_connectors_get_numbered_devices(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A leader and a follower connector are two devices with distinct entities."""
    site = emulator.site(SITE_ID)
    follower = replace(site.spec.wall_connectors[0], din="1457768-02-G--PGT21000002", vin=None)
    site.spec = replace(site.spec, wall_connectors=(*site.spec.wall_connectors, follower))
    entry, _ = await _load(hass, emulator)
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    names = sorted(d.name or "" for d in devices if d.model == "Wall Connector")
    assert names == ["Wall Connector 1", "Wall Connector 2"]
    assert hass.states.get("sensor.wall_connector_1_power") is not None
    assert hass.states.get("sensor.wall_connector_2_power") is not None
