"""Published test vectors of the Vehicle Command Protocol (teslamotors/vehicle-command,
pkg/protocol/protocol.md). The keys are public on purpose; never pair them with a car."""

from __future__ import annotations

VEHICLE_KEY_PEM = b"""-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIDRO5bRmp88e6xK29QMx2y5exYNO9fS+/P2MvlXCUo1woAoGCCqGSM49
AwEHoUQDQgAEx6H0cThIaqRymXFJSHjTOxok45Vx90im4WxZVbPYd9OmqqDpVRZk
dK9dMsQQ9DmiI0E3rRuwhf1OiBPJWPEdlw==
-----END EC PRIVATE KEY-----
"""
CLIENT_KEY_PEM = b"""-----BEGIN EC PRIVATE KEY-----
MHcCAQEEICU4zcKal8GcHpmmN9bPT4yXDBGLVu3h5jI+bRYsSzDboAoGCCqGSM49
AwEHoUQDQgAEsra8aMLaBmXOZWgVWUmWxiOU7di+qQX+eBp1T+aoRacUMwkC8iXp
Jp1GbgWzSZgf2p2FzCPG+0RKpztikQXcbg==
-----END EC PRIVATE KEY-----
"""
VEHICLE_PUBLIC = bytes.fromhex(
    "04c7a1f47138486aa4729971494878d33b1a24e39571f748a6e16c5955b3d877d3"
    "a6aaa0e955166474af5d32c410f439a2234137ad1bb085fd4e8813c958f11d97"
)
CLIENT_PUBLIC = bytes.fromhex(
    "04b2b6bc68c2da0665ce656815594996c62394edd8bea905fe781a754fe6a845a7"
    "14330902f225e9269d466e05b349981fda9d85cc23c6fb444aa73b629105dc6e"
)
VIN = "5YJ30123456789ABC"
SHARED_KEY = bytes.fromhex("1b2fce19967b79db696f909cff89ea9a")
SESSION_INFO_KEY = bytes.fromhex("fceb679ee7bca756fcd441bf238bf2f338629b41d9eb9c67be1b32c9672ce300")
CHALLENGE = bytes.fromhex("1588d5a30eabc6f8fc9a951b11f6fd11")
ROUTING_ADDRESS = bytes.fromhex("2c907bd76c640d360b3027dc7404efde")
SESSION_INFO = bytes.fromhex(
    "0806124104c7a1f47138486aa4729971494878d33b1a24e39571f748a6e16c5955b3d877d3"
    "a6aaa0e955166474af5d32c410f439a2234137ad1bb085fd4e8813c958f11d971a104c463f9c"
    "c0d3d26906e982ed224adde6255a0a0000"
)
SESSION_INFO_COUNTER = 6
EPOCH = bytes.fromhex("4c463f9cc0d3d26906e982ed224adde6")
CLOCK_TIME = 2650
SESSION_INFO_METADATA = bytes.fromhex(
    "000106021135594a333031323334353637383941424306101588d5a30eabc6f8fc9a951b11f6fd11ff"
)
SESSION_INFO_TAG = bytes.fromhex("996c1fe38331be138f8039c194b14db2198846ed7d8251e6749284d7b32ea002")
# "Turn HVAC on": CarServer.Action{vehicleAction{hvacAutoAction{power_on: true}}}.
HVAC_ON_PAYLOAD = bytes.fromhex("120452020801")
# AES-GCM-personalised command metadata: expires_at 2655, counter 7, flags 2.
GCM_COMMAND_METADATA = bytes.fromhex(
    "000105010103021135594a333031323334353637383941424303104c463f9cc0d3d26906e982ed224adde6"
    "040400000a5f050400000007070400000002ff"
)
GCM_NONCE = bytes.fromhex("dbf79447fa156674dae1caed")
GCM_CIPHERTEXT = bytes.fromhex("38038e8c0f2e")
GCM_TAG = bytes.fromhex("c228e0ff64991481db3a7bbc133696c5")
# A debug TX line: list-keys sent to VCSEC.
TX_LIST_KEYS = bytes.fromhex(
    "320208023a1212100a7962c10d38b61dd2a7722780a4f0969a031005514f57616bcc81a8ce0f9d7b48322952040a020805"
)
