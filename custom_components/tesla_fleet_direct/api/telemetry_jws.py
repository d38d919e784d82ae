"""Tesla.SS256: the signed token (JWS) that carries a Fleet Telemetry configuration.

`POST /api/1/vehicles/fleet_telemetry_config_jws` takes the configuration as a JWS signed with
the app key that is registered for the domain and paired with the cars. The algorithm is
Tesla's own: a Schnorr signature over NIST P-256 with SHA-256 (RFC 8235), with a deterministic
nonce (RFC 6979). This module follows Tesla's Go reference, teslamotors/vehicle-command:
`internal/schnorr/schnorr.go` (challenge, verification), `internal/schnorr/sign.go` (nonce,
signature), `internal/authentication/jwt.go` (`iss`, `aud`, header) and `pkg/sign/sign.go`
(the fleet audience `com.tesla.fleet.<app>`; the proxy signs for app `TelemetryClient`,
`pkg/proxy/proxy.go` `handleFleetTelemetryConfig`). `tests/api/test_telemetry_jws.py` checks it
against the Go code's own test vectors.

A signature is 96 bytes: `V.x || V.y || r`, where `V = v*G` is the public nonce and
`r = v - a*c (mod n)` for the private scalar `a` and the challenge
`c = SHA-256(lv(G) || lv(V) || lv(A) || lv(message))` (`lv`: 4-byte big-endian length, then the
bytes; points uncompressed, `0x04 || x || y`). A verifier checks `V == c*A + r*G`.

Why no library: `cryptography` has no raw point arithmetic. Signing needs only `v*G`, which
`cryptography` computes in constant time (`derive_private_key(v)`); the private values never
touch the Python point code. Verifying adds `c*A + r*G` on public values only, done below in
about 40 lines of affine arithmetic (speed does not matter: a signature a week). A dependency
such as `ecdsa` would be pure Python as well and add nothing but a requirement.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
import hashlib
import hmac
import json
import re
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM: Final = "Tesla.SS256"
TELEMETRY_APP: Final = "TelemetryClient"
# pkg/sign/sign.go SignMessageForFleet: "com.tesla.fleet." + app.
TELEMETRY_AUDIENCE: Final = f"com.tesla.fleet.{TELEMETRY_APP}"
SCALAR_LENGTH: Final = 32
POINT_LENGTH: Final = 1 + 2 * SCALAR_LENGTH
SIGNATURE_LENGTH: Final = 3 * SCALAR_LENGTH

# NIST P-256 (FIPS 186-4, D.1.2.3): y^2 = x^3 - 3x + b over GF(p), base point G of order n.
_P: Final = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_B: Final = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_G: Final = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)
_SEGMENT: Final = re.compile(r"[A-Za-z0-9_-]*")

type _Point = tuple[int, int] | None  # None: the point at infinity


class JwsError(ValueError):
    """A token that is not a well-formed, correctly signed Tesla.SS256 JWS."""


# --- the signature ------------------------------------------------------------------------


def deterministic_nonce(scalar: bytes, message_hash: bytes) -> bytes:
    """RFC 6979 section 3.2 for P-256 with SHA-256 (qlen = hlen, so T is V itself)."""
    h1 = (int.from_bytes(message_hash) % _N).to_bytes(SCALAR_LENGTH)
    key = bytes(32)
    value = b"\x01" * 32
    key = hmac.digest(key, value + b"\x00" + scalar + h1, "sha256")
    value = hmac.digest(key, value, "sha256")
    key = hmac.digest(key, value + b"\x01" + scalar + h1, "sha256")
    value = hmac.digest(key, value, "sha256")
    while True:
        value = hmac.digest(key, value, "sha256")
        if 0 < int.from_bytes(value) < _N:
            return value
        key = hmac.digest(key, value + b"\x00", "sha256")
        value = hmac.digest(key, value, "sha256")


def public_point(private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The key's public half as the 65-byte uncompressed point Tesla uses everywhere."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def schnorr_sign(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """The 96-byte Tesla.SS256 signature of `message` (deterministic: same input, same bytes)."""
    if not isinstance(private_key.curve, ec.SECP256R1):
        raise TypeError("Tesla.SS256 needs a P-256 key")
    secret = private_key.private_numbers().private_value
    nonce = int.from_bytes(
        deterministic_nonce(secret.to_bytes(SCALAR_LENGTH), hashlib.sha256(message).digest())
    )
    # v*G in OpenSSL (constant time): the nonce leaks the key if it leaks.
    public_nonce = public_point(ec.derive_private_key(nonce, ec.SECP256R1()))
    challenge = _challenge(public_nonce, public_point(private_key), message)
    response = (nonce - secret * challenge) % _N
    return public_nonce[1:] + response.to_bytes(SCALAR_LENGTH)


def schnorr_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is `public_key`'s (65-byte uncompressed point) over `message`."""
    signer = _decode_point(public_key)
    if signer is None or len(signature) != SIGNATURE_LENGTH:
        return False
    nonce_point = b"\x04" + signature[: 2 * SCALAR_LENGTH]
    response = int.from_bytes(signature[2 * SCALAR_LENGTH :])
    # Neither is ever made by a signer: refused at once (Go's check would fail them later).
    if _decode_point(nonce_point) is None or response >= _N:
        return False
    challenge = _challenge(nonce_point, public_key, message)
    expected = _add(_multiply(challenge, signer), _multiply(response, _G))
    return expected is not None and _encode_point(expected) == nonce_point


def _length_value(data: bytes) -> bytes:
    return len(data).to_bytes(4) + data


def _challenge(public_nonce: bytes, public_key: bytes, message: bytes) -> int:
    digest = hashlib.sha256(
        _length_value(_encode_point(_G))
        + _length_value(public_nonce)
        + _length_value(public_key)
        + _length_value(message)
    ).digest()
    return int.from_bytes(digest)


def _encode_point(point: tuple[int, int]) -> bytes:
    return b"\x04" + point[0].to_bytes(SCALAR_LENGTH) + point[1].to_bytes(SCALAR_LENGTH)


def _decode_point(data: bytes) -> tuple[int, int] | None:
    """An uncompressed point on the curve, else None (as Go's elliptic.Unmarshal)."""
    if len(data) != POINT_LENGTH or data[0] != 0x04:
        return None
    x = int.from_bytes(data[1 : 1 + SCALAR_LENGTH])
    y = int.from_bytes(data[1 + SCALAR_LENGTH :])
    if x >= _P or y >= _P or (y * y - (x * x * x - 3 * x + _B)) % _P:
        return None
    return x, y


def _add(p: _Point, q: _Point) -> _Point:
    """Affine point addition (used once per verification, to join the two products)."""
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0]:
        if (p[1] + q[1]) % _P == 0:
            return None
        slope = (3 * p[0] * p[0] - 3) * pow(2 * p[1], -1, _P) % _P
    else:
        slope = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (slope * slope - p[0] - q[0]) % _P
    return x, (slope * (p[0] - x) - p[1]) % _P


def _multiply(k: int, point: tuple[int, int]) -> _Point:
    """k*point for a curve point, double-and-add in Jacobian coordinates (public values only).

    (X, Y, Z) stands for (X/Z^2, Y/Z^3), so the loop needs no inversion; formulas "dbl-2001-b"
    and "madd-2004-hmv" of the Explicit-Formulas Database (a = -3, Z2 = 1). The group has prime
    order n, so for 0 < k < n the running multiple j*point (1 <= j < k) is never the point
    itself, its negative or infinity: the formulas' special cases cannot occur.
    """
    k %= _N
    if k == 0:
        return None
    px, py = point
    x, y, z = px, py, 1
    for bit in bin(k)[3:]:
        zz = z * z % _P
        yy = y * y % _P
        xyy = x * yy % _P
        m = 3 * (x - zz) * (x + zz) % _P
        z = 2 * y * z % _P
        x = (m * m - 8 * xyy) % _P
        y = (m * (4 * xyy - x) - 8 * yy * yy) % _P
        if bit == "1":
            zz = z * z % _P
            h = (px * zz - x) % _P
            r = (py * z * zz - y) % _P
            hh = h * h % _P
            hhh = h * hh % _P
            v = x * hh % _P
            x = (r * r - hhh - 2 * v) % _P
            y = (r * (v - x) - y * hhh) % _P
            z = z * h % _P
    z_inv = pow(z, -1, _P)
    zz_inv = z_inv * z_inv % _P
    return x * zz_inv % _P, y * zz_inv * z_inv % _P


# --- the token ------------------------------------------------------------------------------


def go_json(value: Any) -> bytes:
    """`value` as Go's encoding/json writes it: keys sorted, compact, UTF-8, HTML-escaped.

    The JWS payload is whatever bytes the signer chose, so matching Go is not needed for a
    valid token; it makes ours byte-identical to Tesla's tools for the same claims (Go writes
    a whole float such as 60.0 as `60`, hence the conversion).
    """
    text = json.dumps(
        _whole_floats(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text.encode()


def _whole_floats(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, Mapping):
        return {key: _whole_floats(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_whole_floats(item) for item in value]
    return value


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str) -> bytes:
    """Unpadded base64url, strictly (golang-jwt's RawURLEncoding): no padding, no stray bytes."""
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise JwsError("segment is not unpadded base64url")
    try:
        data = base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    except binascii.Error as err:
        raise JwsError("segment is not unpadded base64url") from err
    if _b64url(data) != segment:
        raise JwsError("segment is not canonical base64url")  # stray bits in the last character
    return data


def issuer(public_key: bytes) -> str:
    """The `iss` claim: the signer's uncompressed point in standard, padded base64."""
    return base64.b64encode(public_key).decode("ascii")


def sign_jws(
    private_key: ec.EllipticCurvePrivateKey, claims: Mapping[str, Any], audience: str
) -> str:
    """A compact Tesla.SS256 JWS over `claims`; `iss` and `aud` are set here, as Tesla's code does."""
    payload = {**claims, "iss": issuer(public_point(private_key)), "aud": audience}
    signing_input = (
        _b64url(go_json({"alg": ALGORITHM, "typ": "JWT"})) + "." + _b64url(go_json(payload))
    )
    signature = schnorr_sign(private_key, signing_input.encode("ascii"))
    return f"{signing_input}.{_b64url(signature)}"


def sign_telemetry_config(
    private_key: ec.EllipticCurvePrivateKey, config: Mapping[str, Any]
) -> str:
    """The `token` for `fleet_telemetry_config_jws`: `config` signed for every car of the fleet."""
    return sign_jws(private_key, config, TELEMETRY_AUDIENCE)


def verify_jws(token: str, public_key: bytes | None = None) -> dict[str, Any]:
    """The claims of a Tesla.SS256 JWS whose signature holds, else `JwsError`.

    `public_key` (65-byte point): the key that must have signed it. Without one the token's own
    `iss` is used, which proves integrity only, not who signed (as `tesla-jws verify`).
    Expiry and audience are the caller's to judge.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("a JWS has three segments")
    header = _json_object(_b64url_decode(parts[0]), "header")
    claims = _json_object(_b64url_decode(parts[1]), "payload")
    signature = _b64url_decode(parts[2])
    if header.get("alg") != ALGORITHM:
        raise JwsError(f"algorithm is not {ALGORITHM}")
    if public_key is None:
        iss = claims.get("iss")
        if not isinstance(iss, str):
            raise JwsError("no issuer")
        try:
            public_key = base64.b64decode(iss, validate=True)
        except binascii.Error as err:
            raise JwsError("issuer is not base64") from err
    if not schnorr_verify(public_key, f"{parts[0]}.{parts[1]}".encode("ascii"), signature):
        raise JwsError("signature does not verify")
    return claims


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as err:  # UnicodeDecodeError is one too
        raise JwsError(f"{what} is not JSON") from err
    if not isinstance(value, dict):
        raise JwsError(f"{what} is not a JSON object")
    return value
