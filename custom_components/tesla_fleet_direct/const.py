"""Constants for Tesla Fleet Direct."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "tesla_fleet_direct"
LOGGER: Final = logging.getLogger(__package__)
