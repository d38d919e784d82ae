"""A driver's account: a car Tesla lists with `access_type` DRIVER asks for the owner's help.

Only the owner can pair a virtual key, so the repair issue for an unpaired key on a driver's
account says so instead of offering the pairing link as a task the user can do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.signing_setup import CONF_APP_DOMAIN
from fleet_emulator import Emulator
from fleet_emulator.scenario import DEFAULT_SCENARIO, parse_scenario

from .common import async_setup_domain, create_entry
from .control_helpers import call

MY = "7SAYGDEE0PA000002"  # signing required, no key paired


async def _emulator(driver_of: list[str]) -> Emulator:
    accounts = [{**DEFAULT_SCENARIO["accounts"][0], "driver_of": driver_of}]
    emulator = Emulator(parse_scenario({**DEFAULT_SCENARIO, "accounts": accounts}, start=0))
    await emulator.start("127.0.0.1", 0)
    return emulator


@pytest.fixture(params=[[MY], []], ids=["driver", "owner"])
async def emulator(socket_enabled: None, request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """The default account, as the Model Y's driver or as its owner."""
    emu = await _emulator(request.param)
    yield emu
    await emu.stop()


async def test_unpaired_key_repair_says_who_can_pair_it(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    is_driver = MY in emulator.world.accounts["owner"].driver_of
    await async_setup_domain(hass, emulator)
    entry = create_entry(hass, emulator)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_APP_DOMAIN: "tesla.example.com"}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "lock", "lock", "lock.midnight_doors")
    expected = "key_not_paired_driver" if is_driver else "key_not_paired"
    assert err.value.translation_key == expected
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"key_not_paired_{MY}")
    assert issue is not None
    assert issue.translation_key == expected
