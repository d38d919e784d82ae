"""Constants for Tesla Fleet Direct."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "tesla_fleet_direct"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data (besides HA's `auth_implementation` and `token`).
CONF_REGION: Final = "region"
CONF_BASE_URL: Final = "base_url"
# The hidden dev/test YAML key that points the integration at the Fleet API emulator.
CONF_EMULATOR_URL: Final = "emulator_url"
# The hidden dev YAML key naming one more CA (a PEM file) that the streaming server checks
# trust: the dev instance's own telemetry server, whose certificate no public CA issued.
CONF_TELEMETRY_TRUST: Final = "telemetry_trust"

# Tesla's OAuth scopes. The first two are always requested: sign-in and the refresh token.
MANDATORY_SCOPES: Final = ("openid", "offline_access")
OPTIONAL_SCOPES: Final = (
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
)
