"""Byte-level checks of the client's protocol code against the protocol's published vectors."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest
from tesla_protocol.command import (
    signatures_pb2 as sig,
    universal_message_pb2 as um,
    vcsec_pb2 as vcsec,
)

from custom_components.tesla_fleet_direct.api.signing import crypto, recipes
from custom_components.tesla_fleet_direct.api.signing.commands import encode_command
from custom_components.tesla_fleet_direct.api.signing.errors import ResponseVerificationError
from custom_components.tesla_fleet_direct.api.signing.metadata import Metadata, MetadataError
from custom_components.tesla_fleet_direct.api.signing.session import Session

from . import vectors as v


def _key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _session_info_response(tag: bytes = v.SESSION_INFO_TAG) -> um.RoutableMessage:
    response = um.RoutableMessage()
    response.to_destination.routing_address = v.ROUTING_ADDRESS
    response.from_destination.domain = um.DOMAIN_INFOTAINMENT
    response.signature_data.session_info_tag.tag = tag
    response.session_info = v.SESSION_INFO
    response.request_uuid = v.CHALLENGE
    return response


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_metadata_serialisation_examples() -> None:
    """The document's TLV examples: VIN "abc" and counter 100, sorted, with the end byte."""
    encoded = (
        Metadata().add(sig.TAG_PERSONALIZATION, b"abc").add_uint32(sig.TAG_COUNTER, 100)
    ).serialize()
    assert encoded == bytes.fromhex("0203616263050400000064ff")


def test_metadata_rejects_out_of_order_and_oversized_items() -> None:
    """Both peers must hash identical bytes, so unsortable or unencodable input is refused."""
    with pytest.raises(MetadataError):
        Metadata().add_uint32(sig.TAG_COUNTER, 1).add(sig.TAG_PERSONALIZATION, b"x")
    with pytest.raises(MetadataError):
        Metadata().add(sig.TAG_EPOCH, bytes(256))


def test_public_key_encoding_matches_documented_points() -> None:
    """ENCODE_PUBLIC of both test keys is the documented uncompressed point."""
    assert crypto.encode_public_key(_key(v.CLIENT_KEY_PEM).public_key()) == v.CLIENT_PUBLIC
    assert crypto.encode_public_key(_key(v.VEHICLE_KEY_PEM).public_key()) == v.VEHICLE_PUBLIC


def test_shared_key_is_symmetric_and_matches_vector() -> None:
    """K from the client's side and from the car's side equals the published K."""
    assert crypto.derive_shared_key(_key(v.CLIENT_KEY_PEM), v.VEHICLE_PUBLIC) == v.SHARED_KEY
    assert crypto.derive_shared_key(_key(v.VEHICLE_KEY_PEM), v.CLIENT_PUBLIC) == v.SHARED_KEY


def test_session_info_key_metadata_and_tag() -> None:
    """SESSION_INFO_KEY, the handshake metadata and its HMAC tag equal the document's."""
    key = crypto.subkey(v.SHARED_KEY, crypto.SESSION_INFO_LABEL)
    assert key == v.SESSION_INFO_KEY
    metadata = recipes.session_info_metadata(v.VIN, v.CHALLENGE)
    assert metadata == v.SESSION_INFO_METADATA
    assert crypto.hmac_tag(key, metadata, v.SESSION_INFO) == v.SESSION_INFO_TAG


def test_command_metadata_matches_documented_encoding() -> None:
    """The command metadata recipe reproduces the document's seven-item string."""
    metadata = recipes.command_metadata(
        signature_type=sig.SIGNATURE_TYPE_AES_GCM_PERSONALIZED,
        domain=um.DOMAIN_INFOTAINMENT,
        vin=v.VIN,
        epoch=v.EPOCH,
        expires_at=2655,
        counter=7,
        flags=1 << um.FLAG_ENCRYPT_RESPONSE,
    )
    assert metadata == v.GCM_COMMAND_METADATA
    without_flags = recipes.command_metadata(
        signature_type=sig.SIGNATURE_TYPE_AES_GCM_PERSONALIZED,
        domain=um.DOMAIN_INFOTAINMENT,
        vin=v.VIN,
        epoch=v.EPOCH,
        expires_at=2655,
        counter=7,
        flags=0,
    )
    # Flags are left out of request metadata entirely when zero.
    assert without_flags == v.GCM_COMMAND_METADATA[:-7] + b"\xff"


def test_documented_ciphertext_opens_with_our_key_and_aad() -> None:
    """Decrypting the document's HVAC-on ciphertext with K and SHA256(metadata) works."""
    plaintext = crypto.gcm_decrypt(
        v.SHARED_KEY,
        v.GCM_NONCE,
        v.GCM_CIPHERTEXT,
        v.GCM_TAG,
        crypto.sha256(v.GCM_COMMAND_METADATA),
    )
    assert plaintext == v.HVAC_ON_PAYLOAD


def test_hvac_on_payload_matches_document() -> None:
    """auto_conditioning_start encodes to the document's Action bytes for infotainment."""
    encoded = encode_command("auto_conditioning_start")
    assert encoded.domain == um.DOMAIN_INFOTAINMENT
    assert encoded.payload == v.HVAC_ON_PAYLOAD


def test_documented_tx_line_decodes_as_vcsec_request() -> None:
    """The debug TX line parses as a RoutableMessage to VCSEC with an information request."""
    message = um.RoutableMessage.FromString(v.TX_LIST_KEYS)
    assert message.to_destination.domain == um.DOMAIN_VEHICLE_SECURITY
    inner = vcsec.UnsignedMessage.FromString(message.protobuf_message_as_bytes)
    assert inner.InformationRequest.informationRequestType == (
        vcsec.INFORMATION_REQUEST_TYPE_GET_WHITELIST_INFO
    )
    assert len(message.uuid) == 16


def test_session_accepts_documented_handshake_and_signs_next_command() -> None:
    """The client adopts the documented session info and signs with counter 7 and K'."""
    clock = _Clock(1_000_000.0)
    session = Session(v.VIN, um.DOMAIN_INFOTAINMENT, _key(v.CLIENT_KEY_PEM), clock=clock)
    request = session.handshake_request()
    assert request.session_info_request.public_key == v.CLIENT_PUBLIC
    assert request.to_destination.domain == um.DOMAIN_INFOTAINMENT
    assert len(request.from_destination.routing_address) == 16

    session.accept_session_info(_session_info_response(), v.CHALLENGE)
    assert session.established
    assert session.epoch == v.EPOCH
    assert session.counter == v.SESSION_INFO_COUNTER

    clock.now += 3
    signed = session.sign(v.HVAC_ON_PAYLOAD, lifetime=10)
    data = signed.message.signature_data.HMAC_Personalized_data
    assert (data.counter, data.expires_at, data.epoch) == (7, v.CLOCK_TIME + 3 + 10, v.EPOCH)
    metadata = recipes.command_metadata(
        signature_type=sig.SIGNATURE_TYPE_HMAC_PERSONALIZED,
        domain=um.DOMAIN_INFOTAINMENT,
        vin=v.VIN,
        epoch=v.EPOCH,
        expires_at=data.expires_at,
        counter=7,
        flags=2,
    )
    # Recomputed independently with hashlib/hmac from the spec's formula.
    command_key = hmac.new(v.SHARED_KEY, b"authenticated command", hashlib.sha256).digest()
    expected = hmac.new(command_key, metadata + v.HVAC_ON_PAYLOAD, hashlib.sha256).digest()
    assert data.tag == expected
    assert signed.message.signature_data.signer_identity.public_key == v.CLIENT_PUBLIC
    assert signed.message.flags == 2
    assert signed.request_digest == bytes((sig.SIGNATURE_TYPE_HMAC_PERSONALIZED,)) + expected


def test_session_rejects_tampered_or_misdirected_session_info() -> None:
    """A flipped tag bit, another challenge or another VIN each make the client refuse."""
    key = _key(v.CLIENT_KEY_PEM)
    tampered = bytearray(v.SESSION_INFO_TAG)
    tampered[0] ^= 1
    session = Session(v.VIN, um.DOMAIN_INFOTAINMENT, key)
    with pytest.raises(ResponseVerificationError):
        session.accept_session_info(_session_info_response(bytes(tampered)), v.CHALLENGE)
    with pytest.raises(ResponseVerificationError):
        session.accept_session_info(_session_info_response(), bytes(16))
    other_car = Session("5YJ30123456789ABD", um.DOMAIN_INFOTAINMENT, key)
    with pytest.raises(ResponseVerificationError):
        other_car.accept_session_info(_session_info_response(), v.CHALLENGE)
    assert not session.established
    assert not other_car.established


def test_vcsec_request_hash_is_truncated() -> None:
    """Request hashes for VCSEC keep 17 bytes; infotainment keeps the full 33."""
    tag = bytes(range(32))
    kind = sig.SIGNATURE_TYPE_HMAC_PERSONALIZED
    assert recipes.request_hash(kind, tag, um.DOMAIN_VEHICLE_SECURITY) == bytes((kind,)) + tag[:16]
    assert recipes.request_hash(kind, tag, um.DOMAIN_INFOTAINMENT) == bytes((kind,)) + tag
