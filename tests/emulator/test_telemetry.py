"""The emulator's Fleet Telemetry side: its own JWS check, the endpoints and the admin API."""

from __future__ import annotations

import base64

from aiohttp import ClientSession
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api.telemetry_jws import sign_telemetry_config
from fleet_emulator import Emulator
from fleet_emulator.telemetry import InvalidTokenError, read_token, schnorr_valid
from tests.telemetry_vectors import GO_JWT, GO_JWT_PUBLIC_KEY, GO_SIGNATURE, go_test_key

from .conftest import M3, MY, Api

DOMAIN = "ha.example.com"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
CONFIG_PATH = "/vehicles/fleet_telemetry_config_jws"


def point(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def test_the_emulators_verifier_follows_teslas_vectors() -> None:
    """schnorr_test.go:31-107 and jwt_test.go:9-34, checked with the emulator's own code."""
    public = point(go_test_key().public_key())
    assert schnorr_valid(public, b"hello world", GO_SIGNATURE)
    assert not schnorr_valid(public, b"iello world", GO_SIGNATURE)
    for index in (0, 32, 95):
        tampered = bytearray(GO_SIGNATURE)
        tampered[index] ^= 1
        assert not schnorr_valid(public, b"hello world", bytes(tampered))
    assert not schnorr_valid(b"\x05" + public[1:], b"hello world", GO_SIGNATURE)
    assert not schnorr_valid(b"\x04" + bytes(64), b"hello world", GO_SIGNATURE)
    assert not schnorr_valid(public, b"hello world", GO_SIGNATURE[:-1])
    head, payload, signature = GO_JWT.split(".")
    raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    assert schnorr_valid(GO_JWT_PUBLIC_KEY, f"{head}.{payload}".encode(), raw_signature)
    # A valid Tesla token, but for a car's audience, not Fleet Telemetry's.
    with pytest.raises(InvalidTokenError, match="aud"):
        read_token(GO_JWT, 0)


def test_tokens_the_integration_signs_are_read() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = sign_telemetry_config(key, {"hostname": "t.example.org", "exp": 2_000_000_000})
    claims, issuer = read_token(token, 1_900_000_000)
    assert claims["hostname"] == "t.example.org"
    assert issuer == point(key.public_key())
    with pytest.raises(InvalidTokenError, match="expired"):
        read_token(token, 2_000_000_000)


@pytest.fixture
async def registered(emulator: Emulator) -> ec.EllipticCurvePrivateKey:
    """The app's key, registered for tfd-client in na and paired with the Model Y."""
    key = ec.generate_private_key(ec.SECP256R1())
    emulator.partner_domains[("tfd-client", "na")] = (DOMAIN, point(key.public_key()).hex())
    emulator.world.security[MY].pair(point(key.public_key()))
    return key


def flip(token: str, index: int) -> str:
    """`token` with the lowest bit of character `index` flipped."""
    chars = bytearray(token.encode())
    chars[index] ^= 1
    return chars.decode()


async def test_a_jws_with_one_flipped_bit_is_refused(
    api: Api, emulator: Emulator, registered: ec.EllipticCurvePrivateKey
) -> None:
    config = {"hostname": "t.example.org", "port": 443, "ca": CA, "fields": {}}
    token = sign_telemetry_config(registered, {**config, "exp": int(emulator.clock.now()) + 600})
    dots = [i for i, char in enumerate(token) if char == "."]
    # A bit in the header, in the payload, and in the signature's V and r.
    for index in (5, dots[0] + 40, dots[1] + 3, len(token) - 2):
        status, body = await api.post(CONFIG_PATH, {"vins": [MY], "token": flip(token, index)})
        assert status == 400, index
        assert body["error"] == "invalid_field"
        assert body["response"] is None
    status, body = await api.get(f"/vehicles/{MY}/fleet_telemetry_config")
    assert body["response"]["config"] is None
    status, body = await api.post(CONFIG_PATH, {"vins": [MY], "token": token})
    assert (status, body["response"]["updated_vehicles"]) == (200, 1)
    status, body = await api.get(f"/vehicles/{MY}/fleet_telemetry_config")
    assert body["response"]["config"]["hostname"] == "t.example.org"
    assert body["response"]["config"]["aud"] == "com.tesla.fleet.TelemetryClient"
    names = [e.endpoint for e in emulator.ledger.entries]
    assert names.count("fleet_telemetry_config_jws") == 5
    assert {e.category for e in emulator.ledger.entries} == {"data"}


async def test_answer_lists_every_skip_reason(
    api: Api, emulator: Emulator, registered: ec.EllipticCurvePrivateKey
) -> None:
    token = sign_telemetry_config(registered, {"exp": int(emulator.clock.now()) + 600})
    status, body = await api.post(CONFIG_PATH, {"vins": [M3, MY, "NOT-MINE"], "token": token})
    assert status == 200
    assert body["response"] == {
        "updated_vehicles": 1,
        "skipped_vehicles": {
            "missing_key": [M3],
            "unsupported_hardware": [],
            "unsupported_firmware": [],
            "max_configs": [],
        },
    }


@pytest.mark.parametrize(
    "body",
    [{"token": "x"}, {"vins": [], "token": "x"}, {"vins": [MY]}, {"vins": [MY], "token": "x"}],
)
async def test_malformed_requests_are_400(
    api: Api, registered: ec.EllipticCurvePrivateKey, body: dict[str, object]
) -> None:
    status, answer = await api.post(CONFIG_PATH, body)
    assert (status, answer["error"]) == (400, "invalid_field")


async def test_legacy_endpoint_and_unregistered_app_get_412(api: Api) -> None:
    token = sign_telemetry_config(ec.generate_private_key(ec.SECP256R1()), {"exp": 2**40})
    for path, body in (
        ("/vehicles/fleet_telemetry_config", {"vins": [MY], "config": {}}),
        (CONFIG_PATH, {"vins": [MY], "token": token}),
    ):
        status, answer = await api.post(path, body)
        assert status == 412
        assert "fleet-telemetry" in answer["error"]


async def test_admin_sets_a_cars_telemetry_and_its_errors(
    api: Api, emulator: Emulator, http: ClientSession
) -> None:
    admin = f"{emulator.url}/_emulator"
    async with http.patch(
        f"{admin}/vehicles/{M3}/telemetry",
        json={"computer": "intel_atom_sx", "streaming_toggle": True, "firmware": "2025.20.1"},
    ) as response:
        view = await response.json()
    assert response.status == 200
    assert (view["computer"], view["streaming_toggle"], view["configs"]) == (
        "intel_atom_sx",
        True,
        {},
    )
    _, body = await api.post("/vehicles/fleet_status", {"vins": [M3]})
    info = body["response"]["vehicle_info"][M3]
    assert (info["firmware_version"], info["safety_screen_streaming_toggle_enabled"]) == (
        "2025.20.1",
        True,
    )
    for bad in ({"computer": "quantum"}, {"other_apps": -1}, {"color": "red"}):
        async with http.patch(f"{admin}/vehicles/{M3}/telemetry", json=bad) as response:
            assert response.status == 400, bad
    async with http.get(f"{admin}/vehicles/NOPE/telemetry") as response:
        assert response.status == 404

    async with http.post(
        f"{admin}/vehicles/{M3}/telemetry_errors", json={"error": "tls: bad certificate"}
    ) as response:
        record = await response.json()
    assert (record["vin"], record["name"], record["error_name"]) == (
        M3,
        "tfd-client",
        "config_manager_error",
    )
    _, body = await api.get(f"/vehicles/{M3}/fleet_telemetry_errors")
    assert body["response"]["fleet_telemetry_errors"] == [record]
    async with http.delete(f"{admin}/telemetry_errors") as response:
        assert (await response.json())["fleet_telemetry_errors"] == []


async def test_partner_errors_need_a_partner_token(api: Api) -> None:
    status, _ = await api.get("/partner_accounts/fleet_telemetry_errors")
    assert status == 401


async def test_firmware_override_is_the_cars_version(emulator: Emulator) -> None:
    assert emulator.telemetry.firmware(MY) == "2025.20.6"
    emulator.telemetry.car(MY).firmware = "2024.26.7"
    assert emulator.telemetry.firmware(MY) == "2024.26.7"
