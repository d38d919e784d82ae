"""The command runner against the emulator: waking, retries, Tesla's reasons, signing, limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.tesla_fleet_direct.api import TeslaFleetClient
from custom_components.tesla_fleet_direct.api.errors import RateLimitedError
from custom_components.tesla_fleet_direct.api.models import BENIGN_REASONS
from custom_components.tesla_fleet_direct.command_errors import CarIdentity
from custom_components.tesla_fleet_direct.command_registry import COMMANDERS
from custom_components.tesla_fleet_direct.command_runner import (
    ONLINE_TRUST_S,
    VehicleCommander,
    async_run_site_command,
)
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.devices import vehicle_fleet
from fleet_emulator import Emulator

from .common import async_setup_domain, create_entry
from .vehicle_helpers import ALL_SCOPES, M3, MintedTokens, make_rig, tick

MY = "7SAYGDEE0PA000002"  # signing required


def command_posts(emulator: Emulator, vin: str, name: str | None = None) -> list[str]:
    """Paths of the command requests the emulator received for one car."""
    marker = f"/vehicles/{vin}/command/"
    return [
        e.path
        for e in emulator.ledger.entries
        if marker in e.path and (name is None or e.path.endswith(f"/{name}"))
    ]


def wakes(emulator: Emulator, vin: str = M3) -> int:
    return sum(1 for e in emulator.ledger.entries if e.path.endswith(f"/vehicles/{vin}/wake_up"))


@pytest.fixture(autouse=True)
async def loaded_domain(hass: HomeAssistant, emulator: Emulator) -> None:
    """The integration is loaded, so errors render the translated message the user sees."""
    await async_setup_domain(hass, emulator)
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})


@pytest.fixture
def virtual_sleep(freezer: FrozenDateTimeFactory) -> Callable[[float], Awaitable[None]]:
    """The client's waits between wake polls move the virtual clock instead of real time."""

    async def sleep(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    return sleep


@pytest.fixture
async def client(
    hass: HomeAssistant, emulator: Emulator, virtual_sleep: Callable[[float], Awaitable[None]]
) -> TeslaFleetClient:
    return TeslaFleetClient(
        async_get_clientsession(hass),
        MintedTokens(emulator, ALL_SCOPES),
        base_url=emulator.base_url("na"),
        sleep=virtual_sleep,
    )


def commander_for(
    hass: HomeAssistant, client: TeslaFleetClient, vin: str = M3, **kwargs: object
) -> VehicleCommander:
    return VehicleCommander(
        hass,
        client.vehicle(vin),
        CarIdentity(vin=vin, name="Red Pearl" if vin == M3 else "Midnight"),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_online_car_runs_the_command_without_waking(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.vehicle(M3).locked = True
    await commander_for(hass, client).async_send(lambda car: car.door_unlock())
    assert emulator.vehicle(M3).locked is False
    assert wakes(emulator) == 0
    assert len(command_posts(emulator, M3, "door_unlock")) == 1


async def test_asleep_car_is_woken_by_a_fresh_state_check_then_commanded(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.clock.advance(16 * 60)
    assert emulator.vehicle(M3).state == "asleep"
    await commander_for(hass, client).async_send(lambda car: car.set_sentry_mode(True))
    car = emulator.vehicle(M3)
    assert car.sentry_mode is True
    assert wakes(emulator) == 1
    # The state check (free) came first: nothing was sent to a sleeping car blindly.
    paths = [e.path for e in emulator.ledger.entries]
    assert paths[0].endswith(f"/vehicles/{M3}")


async def test_concurrent_commands_share_one_wake(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.clock.advance(16 * 60)
    commander = commander_for(hass, client)
    await asyncio.gather(
        commander.async_send(lambda car: car.flash_lights()),
        commander.async_send(lambda car: car.honk_horn()),
    )
    car = emulator.vehicle(M3)
    assert (car.light_flashes, car.horn_honks) == (1, 1)
    assert wakes(emulator) == 1


async def test_408_from_the_command_wakes_and_retries_once(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.faults.inject(f"*/vehicles/{M3}/command/flash_lights", 408)
    await commander_for(hass, client).async_send(lambda car: car.flash_lights())
    assert emulator.vehicle(M3).light_flashes == 1
    assert len(command_posts(emulator, M3, "flash_lights")) == 2


async def test_second_408_is_reported_not_retried_forever(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.faults.inject(f"*/vehicles/{M3}/command/flash_lights", 408, count=5)
    with pytest.raises(HomeAssistantError) as err:
        await commander_for(hass, client).async_send(lambda car: car.flash_lights())
    assert err.value.translation_key == "vehicle_asleep"
    assert len(command_posts(emulator, M3, "flash_lights")) == 2


async def test_wake_timeout_says_waking_timed_out(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.clock.advance(16 * 60)
    emulator.vehicle(M3).set_connectivity(False)
    with pytest.raises(HomeAssistantError) as err:
        await commander_for(hass, client).async_send(lambda car: car.door_lock())
    assert err.value.translation_key == "wake_timeout"
    assert err.value.translation_placeholders == {"name": "Red Pearl"}
    assert "Waking the car Red Pearl timed out" in str(err.value)
    assert command_posts(emulator, M3) == []


async def test_result_false_surfaces_teslas_reason(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.vehicle(M3).plugged_in = False
    with pytest.raises(HomeAssistantError) as err:
        await commander_for(hass, client).async_send(lambda car: car.charge_start())
    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["reason"] == "disconnected"
    assert "disconnected" in str(err.value)


async def test_benign_reason_counts_as_success_and_still_confirms(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    confirmed: list[object] = []

    async def on_success(updates: object) -> None:
        confirmed.append(updates)

    commander = commander_for(hass, client, on_success=on_success)
    await commander.async_send(
        lambda car: car.charge_stop(), updates={"charge_state": {"charging_state": "x"}}
    )
    assert confirmed == [{"charge_state": {"charging_state": "x"}}]


SITE = 2252180000000001


def answered(reason: str) -> dict[str, object]:
    """A command answer Tesla gives when it did not do what was asked."""
    return {"response": {"result": False, "reason": reason}}


@pytest.mark.parametrize("reason", sorted(BENIGN_REASONS))
async def test_a_reason_meaning_done_already_is_success_for_cars_and_sites_alike(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient, reason: str
) -> None:
    """One table decides: e.g. `complete` is no error from a car, as it is none from a site."""
    confirmed: list[object] = []

    async def on_success(updates: object) -> None:
        confirmed.append(updates)

    emulator.faults.inject(f"*/vehicles/{M3}/command/flash_lights", 200, body=answered(reason))
    commander = commander_for(hass, client, on_success=on_success)
    await commander.async_send(lambda car: car.flash_lights())
    assert confirmed == [None]
    emulator.faults.inject(f"*/energy_sites/{SITE}/backup", 200, body=answered(reason))
    await async_run_site_command(hass, "Home", client.energy_site(SITE).backup(80))


async def test_any_other_reason_fails_for_cars_and_sites_alike(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.faults.inject(f"*/vehicles/{M3}/command/flash_lights", 200, body=answered("busy"))
    with pytest.raises(HomeAssistantError) as car_err:
        await commander_for(hass, client).async_send(lambda car: car.flash_lights())
    emulator.faults.inject(f"*/energy_sites/{SITE}/backup", 200, body=answered("busy"))
    with pytest.raises(HomeAssistantError) as site_err:
        await async_run_site_command(hass, "Home", client.energy_site(SITE).backup(80))
    for err, name in ((car_err, "Red Pearl"), (site_err, "Home")):
        assert err.value.translation_key == "command_failed"
        assert err.value.translation_placeholders is not None
        assert err.value.translation_placeholders["reason"] == "busy"
        assert err.value.translation_placeholders["name"] == name


async def test_rate_limit_says_when_to_retry(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.faults.inject(f"*/vehicles/{M3}/command/honk_horn", 429, retry_after=42)
    with pytest.raises(HomeAssistantError) as err:
        await commander_for(hass, client).async_send(lambda car: car.honk_horn())
    assert err.value.translation_key == "rate_limited"
    assert err.value.translation_placeholders == {"seconds": "42"}
    assert emulator.vehicle(M3).horn_honks == 0


async def test_signing_required_car_gets_a_repair_issue_not_a_stack_trace(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await commander_for(hass, client, MY).async_send(lambda car: car.door_lock())
    assert err.value.translation_key == "signing_required"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"key_not_paired_{MY}")
    assert issue is not None
    assert issue.translation_key == "key_not_paired_no_domain"
    assert issue.translation_placeholders == {"name": "Midnight"}


async def test_success_shows_the_change_at_once_then_confirms_with_a_refresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    client: TeslaFleetClient,
) -> None:
    rig = await make_rig(hass, emulator)
    coordinator = rig.coordinator
    assert coordinator.data.data["charge_state"]["charge_limit_soc"] == 80
    data_requests_before = sum(1 for e in emulator.ledger.entries if "vehicle_data" in e.path)
    commander = commander_for(hass, client, on_success=coordinator.async_command_sent)
    await commander.async_send(
        lambda car: car.set_charge_limit(90), updates={"charge_state": {"charge_limit_soc": 90}}
    )
    assert coordinator.data.data["charge_state"]["charge_limit_soc"] == 90
    assert emulator.vehicle(M3).charge_limit_soc == 90
    await tick(hass, freezer, 11)  # past the refresh debouncer
    # The prompt refresh read the car again (and agrees).
    data_requests = sum(1 for e in emulator.ledger.entries if "vehicle_data" in e.path)
    assert data_requests == data_requests_before + 1
    assert coordinator.data.data["charge_state"]["charge_limit_soc"] == 90


async def test_after_a_429_nothing_is_sent_until_retry_after(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    client: TeslaFleetClient,
) -> None:
    commander = commander_for(hass, client)
    emulator.faults.inject(f"*/vehicles/{M3}/command/honk_horn", 429, retry_after=30)
    with pytest.raises(HomeAssistantError):
        await commander.async_send(lambda car: car.honk_horn())
    before = len(emulator.ledger.entries)
    freezer.tick(timedelta(seconds=20))
    with pytest.raises(HomeAssistantError) as err:
        await commander.async_send(lambda car: car.honk_horn())
    assert err.value.translation_placeholders == {"seconds": "10"}
    assert len(emulator.ledger.entries) == before  # refused locally, nothing billed
    freezer.tick(timedelta(seconds=11))
    await commander.async_send(lambda car: car.honk_horn())
    assert emulator.vehicle(M3).horn_honks == 1


async def test_after_a_429_the_wake_button_a_site_setting_and_the_products_wait_too(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    """Tesla asked the account to wait: every request waits, whichever path sends it."""
    entry = create_entry(hass, emulator)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    emulator.faults.inject(f"*/vehicles/{M3}/command/honk_horn", 429, retry_after=120)
    with pytest.raises(HomeAssistantError):
        await press(hass, "button", "press", entity_id="button.red_pearl_honk_horn")
    before = len(emulator.ledger.entries)
    freezer.tick(timedelta(seconds=60))
    presses: list[tuple[str, str, dict[str, Any]]] = [
        ("button", "press", {"entity_id": "button.red_pearl_wake_up"}),
        ("number", "set_value", {"entity_id": "number.home_backup_reserve", "value": 80}),
    ]
    for domain, service, data in presses:
        with pytest.raises(HomeAssistantError) as err:
            await press(hass, domain, service, **data)
        assert err.value.translation_key == "rate_limited"
        assert err.value.translation_placeholders == {"seconds": "60"}
    with pytest.raises(RateLimitedError):
        await entry.runtime_data.client.products()
    assert len(emulator.ledger.entries) == before  # nothing reached Tesla
    freezer.tick(timedelta(seconds=61))
    for domain, service, data in presses:
        await press(hass, domain, service, **data)
    assert emulator.site(SITE).backup_reserve_percent == 80
    await entry.runtime_data.client.products()


async def press(hass: HomeAssistant, domain: str, service: str, **data: object) -> None:
    """Use a control as the dashboard does."""
    await hass.services.async_call(domain, service, data, blocking=True)


# --- as fast as the car allows: no state check for a car believed online ---------------------


def believed_online_for(seconds: float) -> Callable[[], float]:
    """The polls vouch for the car being online for `seconds` from now."""
    until = time.time() + seconds
    return lambda: until


async def test_car_believed_online_gets_the_command_as_its_only_request(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    emulator.vehicle(M3).locked = True
    commander = commander_for(hass, client, online_until=believed_online_for(120))
    emulator.ledger.clear()
    await commander.async_send(lambda car: car.door_unlock())
    assert emulator.vehicle(M3).locked is False
    assert [(e.method, e.path) for e in emulator.ledger.entries] == [
        ("POST", f"/na/api/1/vehicles/{M3}/command/door_unlock")
    ]


async def test_car_that_fell_asleep_since_it_was_seen_is_woken_after_the_408(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    """The guess was wrong: the 408 leads to the state check and one wake, then the retry."""
    commander = commander_for(hass, client, online_until=believed_online_for(120))
    emulator.clock.advance(16 * 60)
    assert emulator.vehicle(M3).state == "asleep"
    emulator.ledger.clear()
    await commander.async_send(lambda car: car.set_sentry_mode(True))
    assert emulator.vehicle(M3).sentry_mode is True
    assert wakes(emulator) == 1
    paths = [e.path for e in emulator.ledger.entries]
    assert paths[0].endswith(f"/vehicles/{M3}/command/set_sentry_mode")
    assert paths[1].endswith(f"/vehicles/{M3}")  # the state check before waking
    assert len(command_posts(emulator, M3, "set_sentry_mode")) == 2


async def test_408_to_a_car_that_is_online_is_retried_without_a_wake(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    commander = commander_for(hass, client, online_until=believed_online_for(120))
    emulator.faults.inject(f"*/vehicles/{M3}/command/flash_lights", 408)
    await commander.async_send(lambda car: car.flash_lights())
    assert emulator.vehicle(M3).light_flashes == 1
    assert wakes(emulator) == 0
    assert len(command_posts(emulator, M3, "flash_lights")) == 2


async def test_car_not_vouched_for_is_checked_first(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    """The polls found it asleep (or looked too long ago): the free state check comes first."""
    commander = commander_for(hass, client, online_until=lambda: None)
    emulator.ledger.clear()
    await commander.async_send(lambda car: car.flash_lights())
    paths = [e.path for e in emulator.ledger.entries]
    assert paths[0].endswith(f"/vehicles/{M3}")
    assert paths[-1].endswith("/command/flash_lights")
    assert wakes(emulator) == 0


async def test_a_car_that_just_answered_is_sent_the_next_command_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    client: TeslaFleetClient,
) -> None:
    commander = commander_for(hass, client)  # no polls vouching for it
    await commander.async_send(lambda car: car.flash_lights())  # state check, then the command
    freezer.tick(timedelta(seconds=ONLINE_TRUST_S))
    emulator.ledger.clear()
    await commander.async_send(lambda car: car.honk_horn())
    assert [e.path for e in emulator.ledger.entries] == [
        f"/na/api/1/vehicles/{M3}/command/honk_horn"
    ]
    freezer.tick(timedelta(seconds=ONLINE_TRUST_S + 1))
    emulator.ledger.clear()
    await commander.async_send(lambda car: car.honk_horn())
    assert emulator.ledger.entries[0].path.endswith(f"/vehicles/{M3}")


async def test_the_polls_vouch_for_an_online_car_until_their_next_look_is_due(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, emulator: Emulator
) -> None:
    entry = create_entry(hass, emulator)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    commander = hass.data[COMMANDERS][(entry.entry_id, M3)]
    coordinator = vehicle_fleet(entry).coordinators[M3]
    assert coordinator.data.online
    assert coordinator.update_interval is not None
    assert commander.believed_online()
    # No timer fired: the coordinator has not looked again.
    freezer.tick(coordinator.update_interval + timedelta(seconds=ONLINE_TRUST_S))
    assert commander.believed_online()
    freezer.tick(timedelta(seconds=1))
    assert not commander.believed_online()
    # Its next look finds the car asleep: no longer vouched for, whenever the press comes.
    emulator.clock.advance(16 * 60)
    await coordinator.async_refresh()
    assert coordinator.data.state == "asleep"
    assert not commander.believed_online()


def door_state(hass: HomeAssistant) -> str | None:
    state = hass.states.get("lock.red_pearl_doors")
    return state.state if state is not None else None


async def test_pressing_a_control_of_an_awake_car_sends_just_the_command(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The dashboard's door lock: one request before the confirming read, no state check."""
    entry = create_entry(hass, emulator)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert door_state(hass) == "locked"
    before = len(emulator.ledger.entries)
    await hass.services.async_call(
        "lock", "unlock", {"entity_id": "lock.red_pearl_doors"}, blocking=True
    )
    assert door_state(hass) == "unlocked"
    sent = [(e.method, e.path) for e in emulator.ledger.entries[before:]]
    assert sent[0] == ("POST", f"/na/api/1/vehicles/{M3}/command/door_unlock")
    # After it only the confirming data read: no state check, no wake.
    assert all(path.endswith("/vehicle_data") for _, path in sent[1:]), sent
