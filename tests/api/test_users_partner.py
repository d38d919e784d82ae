"""Users and partner endpoints against the emulator."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api import (
    AuthenticationError,
    InvalidArgumentError,
    InvalidTokenError,
    NotFoundError,
    PreconditionFailedError,
    StaticTokenProvider,
    async_fetch_partner_token,
)

from .conftest import Rig

DOMAIN = "ha.example.com"


async def test_me_is_the_signed_in_owner(rig: Rig) -> None:
    profile = await rig.client.users.me()
    account = rig.emulator.world.accounts["owner"]
    assert (profile.email, profile.full_name) == (account.email, account.full_name)
    assert profile.vault_uuid == account.sub


async def test_region_names_the_base_url_and_the_client_adopts_it(rig: Rig) -> None:
    client = rig.make_client(base_url=rig.emulator.base_url("cn"))
    info = await client.users.region()
    assert (info.region, info.fleet_api_base_url) == ("na", rig.emulator.base_url("na"))
    assert client.base_url == rig.emulator.base_url("na")


async def _partner_token(rig: Rig, secret: str = "tfd-secret") -> str:
    return await async_fetch_partner_token(
        rig.session,
        f"{rig.emulator.url}/oauth2/v3/token",
        client_id="tfd-client",
        client_secret=secret,
        audience=rig.emulator.base_url("na"),
    )


def _public_key() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    ).hex()
    return pem, point


async def test_partner_registration_and_public_key(rig: Rig) -> None:
    tokens = StaticTokenProvider(await _partner_token(rig))
    partner = rig.client.partner(tokens, region="na")
    with pytest.raises(NotFoundError):
        await partner.public_key(DOMAIN)
    with pytest.raises(PreconditionFailedError):
        await partner.register(DOMAIN)  # nothing hosted at the domain yet
    pem, _ = _public_key()
    rig.emulator.hosted_keys[DOMAIN] = pem
    account = await partner.register(" HA.Example.com ")
    assert account.domain == DOMAIN
    assert account.public_key
    assert (await partner.public_key(DOMAIN)).public_key == account.public_key
    assert {r.category for r in rig.records} == {"data"}


async def test_partner_calls_refuse_a_user_token_and_bad_domains(rig: Rig) -> None:
    partner = rig.client.partner(rig.tokens)
    with pytest.raises(InvalidArgumentError):
        await partner.register("   ")
    assert rig.records == []
    with pytest.raises(InvalidTokenError):
        await partner.public_key(DOMAIN)


async def test_partner_token_with_a_wrong_secret_is_refused(rig: Rig) -> None:
    with pytest.raises(AuthenticationError, match="invalid_client") as caught:
        await _partner_token(rig, "wrong")
    assert type(caught.value) is AuthenticationError
    assert caught.value.status == 401
