"""Signed commands end to end: commander -> client -> signer -> emulator's car (real HTTP)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.tesla_fleet_direct.api import TeslaFleetClient
from custom_components.tesla_fleet_direct.api.models import CommandResult
from custom_components.tesla_fleet_direct.api.vehicle_commands import VehicleCommands
from custom_components.tesla_fleet_direct.app_key import async_get_app_key, key_path
from custom_components.tesla_fleet_direct.command_errors import CarIdentity
from custom_components.tesla_fleet_direct.command_runner import VehicleCall, VehicleCommander
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.signing_runtime import async_setup_signing
from fleet_emulator import Emulator
from tests.common import async_setup_domain
from tests.vehicle_helpers import ALL_SCOPES, M3, MintedTokens

MY = "7SAYGDEE0PA000002"  # command_signing: required in the default scenario


@pytest.fixture(autouse=True)
async def loaded_domain(hass: HomeAssistant, emulator: Emulator, tmp_path: Path) -> None:
    """Integration loaded (translated errors) with its own config dir for the app key."""
    hass.config.config_dir = str(tmp_path)
    await async_setup_domain(hass, emulator)
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})


@pytest.fixture
async def client(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> TeslaFleetClient:
    """The account's client with the signer attached, as `async_setup_entry` does it."""

    async def sleep(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    api = TeslaFleetClient(
        async_get_clientsession(hass),
        MintedTokens(emulator, ALL_SCOPES),
        base_url=emulator.base_url("na"),
        sleep=sleep,
    )
    async_setup_signing(hass, api)
    return api


def _commander(
    hass: HomeAssistant, client: TeslaFleetClient, *, vin: str = MY, is_owner: bool = True
) -> VehicleCommander:
    return VehicleCommander(
        hass,
        client.vehicle(vin),
        CarIdentity(vin=vin, name="Midnight", app_domain="example.com", is_owner=is_owner),
    )


async def _pair(hass: HomeAssistant, emulator: Emulator, *, add: bool = True) -> None:
    """The owner approves (or removes) the key in the Tesla app: the emulator's admin call."""
    pem = (await async_get_app_key(hass)).public_pem
    async with (
        ClientSession() as http,
        http.request(
            "POST" if add else "DELETE",
            f"{emulator.url}/_emulator/vehicles/{MY}/keys",
            json={"public_key": pem, "role": "owner"},
        ) as response,
    ):
        assert response.status == 200


def _posts(emulator: Emulator, suffix: str) -> int:
    return sum(1 for e in emulator.ledger.entries if e.path.endswith(suffix))


async def test_unpaired_key_gives_repair_issue_then_pairing_fixes_it(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    """Before pairing: a translated error and a repair with the link; after: the car obeys."""
    emulator.vehicle(MY).locked = True
    commander = _commander(hass, client)
    with pytest.raises(HomeAssistantError) as err:
        await commander.async_send(lambda car: car.door_unlock())
    assert err.value.translation_key == "key_not_paired"
    assert "MESSAGEFAULT" not in str(err.value)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"key_not_paired_{MY}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["url"] == f"https://tesla.com/_ak/example.com?vin={MY}"
    assert emulator.vehicle(MY).locked

    await _pair(hass, emulator)
    await commander.async_send(lambda car: car.door_unlock())
    assert emulator.vehicle(MY).locked is False
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"key_not_paired_{MY}") is None
    assert _posts(emulator, f"/vehicles/{MY}/signed_command") >= 3
    # The private key was written owner-only and never left the config directory.
    assert key_path(hass).stat().st_mode & 0o077 == 0


async def test_driver_account_is_told_the_owner_must_pair(
    hass: HomeAssistant, client: TeslaFleetClient
) -> None:
    """A driver cannot add keys; the error and the repair say the owner must."""
    with pytest.raises(HomeAssistantError) as err:
        await _commander(hass, client, is_owner=False).async_send(lambda car: car.door_lock())
    assert err.value.translation_key == "key_not_paired_driver"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"key_not_paired_{MY}")
    assert issue is not None
    assert issue.translation_key == "key_not_paired_driver"


async def test_key_removed_from_car_is_reported_again(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    """Removing the key in the car brings the repair back instead of a protocol error."""
    await _pair(hass, emulator)
    commander = _commander(hass, client)
    await commander.async_send(lambda car: car.flash_lights())
    await _pair(hass, emulator, add=False)
    with pytest.raises(HomeAssistantError) as err:
        await commander.async_send(lambda car: car.flash_lights())
    assert err.value.translation_key == "key_not_paired"


# Every command the control entities and actions send, with parameters the emulator accepts.
CONTROL_COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("door_lock", {}),
    ("door_unlock", {}),
    ("actuate_trunk", {"which_trunk": "rear"}),
    ("actuate_trunk", {"which_trunk": "front"}),
    ("charge_port_door_open", {}),
    ("flash_lights", {}),
    ("honk_horn", {}),
    ("remote_start_drive", {}),
    ("auto_conditioning_start", {}),
    ("set_temps", {"driver_temp": 21.5, "passenger_temp": 21.5}),
    ("set_preconditioning_max", {"on": True, "manual_override": False}),
    ("set_climate_keeper_mode", {"climate_keeper_mode": 2}),
    ("set_cabin_overheat_protection", {"on": True, "fan_only": False}),
    ("set_cop_temp", {"cop_temp": 1}),
    ("remote_seat_heater_request", {"seat_position": 0, "level": 3}),
    ("remote_seat_cooler_request", {"seat_position": 1, "seat_cooler_level": 2}),
    ("remote_steering_wheel_heater_request", {"on": True}),
    ("remote_steering_wheel_heat_level_request", {"level": 1}),
    ("remote_auto_seat_climate_request", {"auto_seat_position": 2, "auto_climate_on": True}),
    ("remote_auto_steering_wheel_heat_climate_request", {"on": True}),
    ("auto_conditioning_stop", {}),
    ("set_charge_limit", {"percent": 85}),
    ("set_charging_amps", {"charging_amps": 12}),
    ("set_scheduled_charging", {"enable": True, "time": 120}),
    (
        "set_scheduled_departure",
        {
            "enable": True,
            "departure_time": 480,
            "preconditioning_enabled": True,
            "preconditioning_weekdays_only": False,
            "off_peak_charging_enabled": False,
            "off_peak_charging_weekdays_only": False,
            "end_off_peak_time": 0,
        },
    ),
    (
        "add_charge_schedule",
        {
            "days_of_week": "Monday,Friday",
            "enabled": True,
            "start_enabled": True,
            "end_enabled": False,
            "start_time": 60,
            "one_time": False,
            "lat": 37.5,
            "lon": -122.25,
        },
    ),
    (
        "add_precondition_schedule",
        {
            "days_of_week": "All",
            "enabled": True,
            "precondition_time": 420,
            "one_time": False,
            "lat": 37.5,
            "lon": -122.25,
        },
    ),
    ("set_sentry_mode", {"on": True}),
    ("set_valet_mode", {"on": True, "password": "1234"}),
    ("set_valet_mode", {"on": False, "password": "1234"}),
    ("speed_limit_set_limit", {"limit_mph": 65}),
    ("speed_limit_activate", {"pin": "4321"}),
    ("speed_limit_deactivate", {"pin": "4321"}),
    ("guest_mode", {"enable": True}),
    ("window_control", {"command": "vent"}),
    ("window_control", {"command": "close"}),
    ("trigger_homelink", {"lat": 37.5, "lon": -122.25}),
    ("media_toggle_playback", {}),
    ("media_next_track", {}),
    ("media_prev_track", {}),
    ("adjust_volume", {"volume": 4.5}),
    ("remote_boombox", {"sound": 2000}),
    (
        "navigation_request",
        {"type": "share_ext_content_raw", "value": {"android.intent.extra.TEXT": "Home"}},
    ),
    ("navigation_gps_request", {"lat": 37.75, "lon": -122.5, "order": 1}),
    ("charge_start", {}),
    ("charge_stop", {}),
]


def by_rest_name(name: str, params: dict[str, Any]) -> VehicleCall:
    """The command as the REST API names it, past the typed methods' own checks."""

    async def call(car: VehicleCommands) -> CommandResult:
        return await car.command(name, params)

    return call


async def test_every_control_command_runs_signed_on_a_signing_car(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    """Each control command reaches the emulator's car over the signed path and takes effect."""
    await _pair(hass, emulator)
    commander = _commander(hass, client)
    car = emulator.vehicle(MY)
    car.charge_limit_soc = 80
    for name, params in CONTROL_COMMANDS:
        await commander.async_send(by_rest_name(name, params))
    assert car.charge_limit_soc == 85
    assert car.charge_current_request == 12
    assert car.sentry_mode is True
    assert car.guest_mode is True
    assert car.speed_limit_active is False
    assert car.speed_limit_mph == 65
    assert car.seat_heaters[0] == 3
    assert car.windows_vented is False
    assert car.media_volume == 4.5
    assert len(car.charge_schedules) == 1
    assert car.charge_schedules[0]["days_of_week"] == 0b0100010
    assert _posts(emulator, f"/vehicles/{MY}/command/door_lock") <= 1
    signed = _posts(emulator, f"/vehicles/{MY}/signed_command")
    # One handshake per domain, then one message per command.
    assert signed == len(CONTROL_COMMANDS) + 2


async def test_session_survives_clock_jump_and_car_restart(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    """An hour later and after VCSEC restarts, commands still run without user action."""
    await _pair(hass, emulator)
    commander = _commander(hass, client)
    await commander.async_send(lambda car: car.door_lock())
    emulator.clock.advance(3600)
    await commander.async_send(lambda car: car.door_unlock())
    assert emulator.vehicle(MY).locked is False
    emulator.world.security[MY].reboot(2)  # VCSEC: new epoch
    await commander.async_send(lambda car: car.door_lock())
    assert emulator.vehicle(MY).locked is True


async def test_plain_car_keeps_plain_commands(
    hass: HomeAssistant, emulator: Emulator, client: TeslaFleetClient
) -> None:
    """A car without signing is commanded over REST and no key file is made for it."""
    commander = VehicleCommander(hass, client.vehicle(M3), CarIdentity(vin=M3, name="Red Pearl"))
    await commander.async_send(lambda car: car.flash_lights())
    assert _posts(emulator, f"/vehicles/{M3}/command/flash_lights") == 1
    assert _posts(emulator, f"/vehicles/{M3}/signed_command") == 0
    assert not key_path(hass).exists()
