"""The metadata recipes each signed message type uses (shared by requests and responses)."""

from __future__ import annotations

from tesla_protocol.command import signatures_pb2 as sig, universal_message_pb2 as um

from .metadata import Metadata

# VCSEC keeps only the first 16 bytes of an HMAC tag in its request hash (memory constraints).
VCSEC_REQUEST_HASH_LENGTH = 17


def session_info_metadata(vin: str, challenge: bytes) -> bytes:
    """Metadata bound into the car's session-info tag: HMAC type, VIN, the request's UUID."""
    return (
        Metadata()
        .add(sig.TAG_SIGNATURE_TYPE, bytes((sig.SIGNATURE_TYPE_HMAC,)))
        .add(sig.TAG_PERSONALIZATION, vin.encode())
        .add(sig.TAG_CHALLENGE, challenge)
        .serialize()
    )


def command_metadata(
    *,
    signature_type: int,
    domain: int,
    vin: str,
    epoch: bytes,
    expires_at: int,
    counter: int,
    flags: int,
) -> bytes:
    """Metadata of an authenticated command; flags only appear when non-zero."""
    metadata = (
        Metadata()
        .add(sig.TAG_SIGNATURE_TYPE, bytes((signature_type,)))
        .add(sig.TAG_DOMAIN, bytes((domain,)))
        .add(sig.TAG_PERSONALIZATION, vin.encode())
        .add(sig.TAG_EPOCH, epoch)
        .add_uint32(sig.TAG_EXPIRES_AT, expires_at)
        .add_uint32(sig.TAG_COUNTER, counter)
    )
    if flags:
        metadata.add_uint32(sig.TAG_FLAGS, flags)
    return metadata.serialize()


def request_hash(signature_type: int, tag: bytes, domain: int) -> bytes:
    """One byte of signature type, then the request's tag (truncated for VCSEC)."""
    digest = bytes((signature_type,)) + tag
    if domain == um.DOMAIN_VEHICLE_SECURITY:
        return digest[:VCSEC_REQUEST_HASH_LENGTH]
    return digest


def response_metadata(
    *, domain: int, vin: str, counter: int, flags: int, request_digest: bytes, fault: int
) -> bytes:
    """AAD source of an encrypted response; unlike requests, flags are always present."""
    return (
        Metadata()
        .add(sig.TAG_SIGNATURE_TYPE, bytes((sig.SIGNATURE_TYPE_AES_GCM_RESPONSE,)))
        .add(sig.TAG_DOMAIN, bytes((domain,)))
        .add(sig.TAG_PERSONALIZATION, vin.encode())
        .add_uint32(sig.TAG_COUNTER, counter)
        .add_uint32(sig.TAG_FLAGS, flags)
        .add(sig.TAG_REQUEST_HASH, request_digest)
        .add_uint32(sig.TAG_FAULT, fault)
        .serialize()
    )
