"""The router's signed_command route and admin pairing, driven by the integration's signer."""

from __future__ import annotations

from aiohttp import ClientSession
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api.signing import KeyNotPairedError, VehicleSigner
from fleet_emulator import Emulator

from .conftest import M3, MY, Api


class HttpError(Exception):
    """The route answered with an HTTP error instead of a protocol message."""

    def __init__(self, status: int, body: object) -> None:
        super().__init__(status, body)
        self.status = status


def make_signer(
    emulator: Emulator, http: ClientSession, key: ec.EllipticCurvePrivateKey, token: str
) -> VehicleSigner:
    async def transport(message: str) -> str:
        async with http.post(
            f"{emulator.base_url('na')}/api/1/vehicles/{MY}/signed_command",
            json={"routable_message": message},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            body = await response.json()
            if response.status != 200:
                raise HttpError(response.status, body)
            return str(body["response"])

    return VehicleSigner(MY, key, transport, clock=emulator.clock)


async def pair(emulator: Emulator, http: ClientSession, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    async with http.post(
        f"{emulator.url}/_emulator/vehicles/{MY}/keys",
        json={"public_key": pem.decode(), "role": "owner"},
    ) as response:
        assert response.status == 200


async def test_signed_commands_change_the_emulated_car(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = make_signer(emulator, http, key, api.token)
    with pytest.raises(KeyNotPairedError):
        await signer.execute("door_unlock")
    await pair(emulator, http, key)
    outcome = await signer.execute("door_unlock")
    assert outcome.result is True
    assert emulator.vehicle(MY).locked is False
    await signer.execute("set_charge_limit", {"percent": 66})
    assert emulator.vehicle(MY).charge_limit_soc == 66
    _, status = await api.post("/vehicles/fleet_status", {"vins": [MY, M3]})
    assert status["response"]["key_paired_vins"] == [MY]
    assert status["response"]["vehicle_info"][MY]["vehicle_command_protocol_required"] is True
    kinds = [
        (e.endpoint, e.category) for e in emulator.ledger.entries if e.endpoint != "fleet_status"
    ]
    assert set(kinds) == {("signed_command", "command")}


async def test_signed_command_to_an_asleep_car_is_408(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    await pair(emulator, http, key)
    emulator.vehicle(MY).unplug()
    emulator.advance(20 * 60)
    signer = make_signer(emulator, http, key, api.token)
    with pytest.raises(HttpError) as caught:
        await signer.execute("door_lock")
    assert caught.value.status == 408


async def test_plain_car_has_no_signed_route(api: Api) -> None:
    status, body = await api.post(f"/vehicles/{M3}/signed_command", {"routable_message": "AA=="})
    assert (status, body["error"]) == (400, "invalid_command")
