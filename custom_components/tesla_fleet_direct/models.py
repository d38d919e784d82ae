"""What a loaded config entry carries at runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .api import TeslaFleetClient
from .api.models import Products
from .cost_meter import CostMeter
from .devices import VehicleFleet
from .energy_sites import EnergySiteFleet
from .polling import AccountPolling
from .token import TeslaTokenManager

if TYPE_CHECKING:
    from .stream_ingest import StreamIngest


@dataclass
class TeslaFleetDirectData:
    """The account's client and tokens, and its products as last read (set-up, then every 6 h).

    The live-data parts add their coordinators here.
    """

    client: TeslaFleetClient
    tokens: TeslaTokenManager
    # Granted on Tesla's consent page (the access token's `scp`), not what was asked for.
    scopes: frozenset[str]
    region: str
    products: Products
    # Live data: billed-request counts, the account's budget and 429 gate, one coordinator per car.
    meter: CostMeter
    polling: AccountPolling
    vehicles: VehicleFleet
    # One coordinator (and history import) per energy site; empty without energy_device_data.
    energy_sites: EnergySiteFleet | None = None
    # The app's domain for signed commands (set up through Reconfigure), None until then.
    app_domain: str | None = None
    # The cars' telemetry stream through MQTT, once streaming is set up (None before).
    stream: StreamIngest | None = None


type TeslaFleetDirectConfigEntry = ConfigEntry[TeslaFleetDirectData]
