"""The protocol's key agreement and MACs; every primitive comes from `cryptography`."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SESSION_INFO_LABEL = b"session info"
COMMAND_LABEL = b"authenticated command"
SHARED_KEY_LENGTH = 16


def encode_public_key(key: ec.EllipticCurvePublicKey) -> bytes:
    """Return the uncompressed point 0x04 || X || Y (65 bytes)."""
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def decode_public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    """Parse an uncompressed P-256 point; raises ValueError if it is not on the curve."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)


def derive_shared_key(private_key: ec.EllipticCurvePrivateKey, peer_public: bytes) -> bytes:
    """K = SHA1(ECDH x-coordinate)[:16], as the protocol specifies."""
    secret = private_key.exchange(ec.ECDH(), decode_public_key(peer_public))
    # SHA-1 is what the protocol mandates for this KDF step, not a choice of ours.
    digest = hashes.Hash(hashes.SHA1())  # noqa: S303
    digest.update(secret)
    return digest.finalize()[:SHARED_KEY_LENGTH]


def subkey(shared_key: bytes, label: bytes) -> bytes:
    """Derive a purpose-bound HMAC key from K."""
    return hmac.new(shared_key, label, hashlib.sha256).digest()


def hmac_tag(key: bytes, metadata: bytes, payload: bytes) -> bytes:
    """HMAC-SHA256 over serialised metadata followed by the payload."""
    return hmac.new(key, metadata + payload, hashlib.sha256).digest()


def tags_equal(expected: bytes, received: bytes) -> bool:
    """Constant-time comparison, as the protocol requires for MAC checks."""
    return hmac.compare_digest(expected, received)


def sha256(data: bytes) -> bytes:
    """SHA-256 digest (AES-GCM response AAD)."""
    return hashlib.sha256(data).digest()


def gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """Encrypt; returns (ciphertext, 16-byte tag)."""
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad)
    return sealed[:-16], sealed[-16:]


def gcm_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
    """Decrypt and authenticate; raises cryptography's InvalidTag on tampering."""
    return AESGCM(key).decrypt(nonce, ciphertext + tag, aad)
