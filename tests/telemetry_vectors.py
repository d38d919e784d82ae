"""Tesla.SS256 test vectors from Tesla's Go reference, shared by the client's and emulator's tests.

teslamotors/vehicle-command at commit 724d8c8 (file:line at each value).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec


def go_test_key(first_byte: int = 3) -> ec.EllipticCurvePrivateKey:
    """internal/schnorr/schnorr_test.go:8-13 `testKey()`: a 32-byte scalar, first byte 3.

    schnorr_test.go:48-50 uses first byte 4 for "another key".
    """
    return ec.derive_private_key(first_byte << 248, ec.SECP256R1())


# internal/schnorr/schnorr_test.go:17 (message) and :18-27 `goodSig()`: testKey()'s signature.
GO_MESSAGE = b"hello world"
GO_SIGNATURE = bytes.fromhex(
    "7cfdbeb5baa730540401550bdefa20976453e8539ae4b2f26ce33125801a08f9"
    "0ed20c3d846497ff82cc9772e3db4703982f47bd0b0b89dfb9a49cd2e5240546"
    "02b1e05fbf95f5686faea7a5809eb92f5ecc22eae74ceccc5e2a65dd67ff20fc"
)
# internal/authentication/jwt_test.go:10-17 (public key) and :18 (token, signed for a car's
# audience `com.tesla.vehicle.M3TERASHIMABUCK01`, claim foo=bar).
GO_JWT_PUBLIC_KEY = bytes.fromhex(
    "04775e2ef570d292df424c09f70e7d95678d5ce78124acb3f9375b198a4da9f9e9"
    "f0cc6d880e2e606e9b01b0fa62c6150e371aa5d8f7f09cc9e1bd3a1b449893ec"
)
GO_JWT = (
    "eyJhbGciOiJUZXNsYS5TUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJjb20udGVzbGEudmVoaWNsZS5NM1RFUkFT"
    "SElNQUJVQ0swMSIsImZvbyI6ImJhciIsImlzcyI6IkJIZGVMdlZ3MHBMZlFrd0o5dzU5bFdlTlhPZUJKS3l6K1Rk"
    "YkdZcE5xZm5wOE14dGlBNHVZRzZiQWJENllzWVZEamNhcGRqMzhKeko0YjA2RzBTWWsrdz0ifQ.4Xq2tsynDYOhLBW"
    "pnqLJfsAzdOqTOwHkVowI47A-yzVXIQHaawObJvAYRoRs61oVwWiEQ7XYXG8WE_Vz_49eVirAV9NGKymj3HBTTjN5D"
    "mViWmFzfaIOXRWKJlE--vzU"
)
