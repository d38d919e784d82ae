"""Signed commands from the API client to the full emulator: seats, and a busy car via admin."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import ClientSession
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api import TeslaFleetClient
from custom_components.tesla_fleet_direct.api.signing import SignedCommands, VehicleBusyError
from fleet_emulator import Emulator
from tests.vehicle_helpers import ALL_SCOPES, MintedTokens

MY = "7SAYGDEE0PA000002"  # command_signing: required in the default scenario


class Link:
    """The account's client and signer, both waiting on the emulator's clock."""

    def __init__(self, emulator: Emulator, http: ClientSession) -> None:
        self.emulator = emulator
        self.waits: list[float] = []
        self.client = TeslaFleetClient(
            http,
            MintedTokens(emulator, ALL_SCOPES),
            base_url=emulator.base_url("na"),
            sleep=self.sleep,
        )
        key = ec.generate_private_key(ec.SECP256R1())
        emulator.world.security[MY].pair(
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.signed = SignedCommands(
            key,
            lambda vin: self.client.vehicle(vin).signed_command,
            clock=emulator.clock.now,
            sleep=self.sleep,
        )

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.emulator.clock.advance(seconds)

    def signed_posts(self) -> int:
        return sum(
            1 for e in self.emulator.ledger.entries if e.path.endswith(f"/{MY}/signed_command")
        )


@pytest.fixture
async def link(emulator: Emulator) -> AsyncIterator[Link]:
    """A paired signer for the Model Y, the car awake."""
    async with ClientSession() as http:
        link = Link(emulator, http)
        await link.client.vehicle(MY).wait_until_online()
        link.waits.clear()
        yield link


async def test_third_row_seats_heat_the_seat_chosen(emulator: Emulator, link: Link) -> None:
    """Seat 7 is the third row's left seat and 8 its right, as Tesla numbers them."""
    car = emulator.vehicle(MY)
    car.seat_heaters.clear()
    assert (
        await link.signed.execute(
            MY, "remote_seat_heater_request", {"seat_position": 7, "level": 2}
        )
    ).result
    assert (
        await link.signed.execute(
            MY, "remote_seat_heater_request", {"seat_position": 8, "level": 1}
        )
    ).result
    assert (
        await link.signed.execute(
            MY, "remote_seat_heater_request", {"seat_position": 6, "level": 3}
        )
    ).result
    assert car.seat_heaters == {7: 2, 8: 1, 6: 3}


async def _faults(emulator: Emulator, method: str, body: dict[str, object] | None = None) -> object:
    async with (
        ClientSession() as http,
        http.request(
            method, f"{emulator.url}/_emulator/vehicles/{MY}/signing_faults", json=body
        ) as response,
    ):
        assert response.status == 200
        return (await response.json())["pending"]


async def test_busy_car_set_through_the_admin_api_is_retried(
    emulator: Emulator, link: Link
) -> None:
    """Two BUSY answers to the handshake: the command still runs, a second apart."""
    pending = await _faults(
        emulator, "POST", {"kind": "busy", "count": 2, "domain": "infotainment"}
    )
    assert pending == [{"kind": "busy", "domain": "infotainment", "count": 2}]
    assert (await link.signed.execute(MY, "set_charge_limit", {"percent": 66})).result
    assert emulator.vehicle(MY).charge_limit_soc == 66
    assert link.waits == [1.0, 1.0]
    assert link.signed_posts() == 4  # two refused handshakes, the handshake, the command
    assert await _faults(emulator, "GET") == []


async def test_car_that_keeps_waiting_gives_an_error_not_success(
    emulator: Emulator, link: Link
) -> None:
    """A persistent WAIT stops after the bound with VehicleBusyError; the car is unchanged."""
    before = emulator.vehicle(MY).charge_limit_soc
    await _faults(emulator, "POST", {"kind": "wait", "count": 50})
    with pytest.raises(VehicleBusyError):
        await link.signed.execute(MY, "set_charge_limit", {"percent": before - 5})
    assert sum(link.waits) == 10.0
    assert emulator.vehicle(MY).charge_limit_soc == before
    assert await _faults(emulator, "GET") == [{"kind": "wait", "domain": None, "count": 39}]
    assert await _faults(emulator, "DELETE") == []
    assert (await link.signed.execute(MY, "set_charge_limit", {"percent": before - 5})).result


@pytest.mark.parametrize(
    "body",
    [{"kind": "nonsense"}, {"kind": "busy", "count": 0}, {"kind": "busy", "domain": "trunk"}],
)
async def test_admin_refuses_unknown_faults(emulator: Emulator, body: dict[str, object]) -> None:
    """A typo in a test's fault is an error, not a silently healthy car."""
    async with (
        ClientSession() as http,
        http.post(f"{emulator.url}/_emulator/vehicles/{MY}/signing_faults", json=body) as response,
    ):
        assert response.status == 400
