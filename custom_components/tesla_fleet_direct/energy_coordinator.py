"""One coordinator per energy site: live status every 30 s, site info hourly or on demand.

Sites never sleep, so there is no state check; which read is due when is `schedule.site`'s.
Tesla does not bill energy requests, so the intervals are the user's (options;
`AccountPolling.plan()` hands them through unchanged, however the budget stands); after a 429
the client holds every request of the account back until Tesla's wait is over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api.energy import EnergySiteApi
from .api.energy_data import LiveStatus, SiteInfo
from .api.errors import TeslaFleetError
from .const import DOMAIN, LOGGER
from .polling import AccountPolling
from .schedule import site as schedule
from .schedule.site import SiteSchedule
from .update_failures import ENERGY_FAILURES, PollFailures, TeslaPollingCoordinator

# Entities stay available through this many missed live intervals: one failed poll is not news.
STALE_AFTER_INTERVALS = 5


def components(info: SiteInfo | None) -> Mapping[str, Any]:
    """The site's `components` (battery, solar, grid, wall connectors); empty when unknown."""
    return info.components if info is not None else {}


def wall_connector_dins(info: SiteInfo | None) -> tuple[str, ...]:
    """The DINs of the site's wall connectors, as site info lists them."""
    connectors = components(info).get("wall_connectors")
    if not isinstance(connectors, list):
        return ()
    return tuple(str(wc["din"]) for wc in connectors if isinstance(wc, Mapping) and wc.get("din"))


@dataclass(frozen=True, slots=True)
class EnergySiteData:
    """What the entities read: the latest live status and site info."""

    live: LiveStatus
    info: SiteInfo


class TeslaEnergySiteCoordinator(TeslaPollingCoordinator[EnergySiteData]):
    """Polls one energy site at the account plan's site intervals (not budget-bound)."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: ConfigEntry,
        api: EnergySiteApi,
        *,
        account_id: str,
        polling: AccountPolling,
        site_name: str | None = None,
    ) -> None:
        """Set up the polling of one site (no request is sent here)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            # Home Assistant's "Fetching ... data recovered" line names the site.
            name=f"{DOMAIN} {site_name or 'energy site'}",
            update_interval=timedelta(seconds=polling.intervals.site_live),
        )
        self.api = api
        self.site_id = api.site_id
        self.site_name = site_name
        # The Tesla account (token `sub`): part of unique ids, so two accounts seeing one site
        # (owner and a shared user) do not clash.
        self.account_id = account_id
        self.polling = polling
        # When site info is read next (`schedule.site`).
        self.schedule = SiteSchedule()
        self.last_success_at: float | None = None
        self.failures = PollFailures(
            hass,
            config_entry,
            ENERGY_FAILURES,
            holder=f"site_{self.site_id}",
            product=lambda: self.device_info.get("name") or "Energy site",
        )

    @property
    def is_stale(self) -> bool:
        """Whether the data is too old to show (many polls in a row failed)."""
        if self.last_success_at is None:
            return True
        return time.time() - self.last_success_at > self._stale_after()

    @property
    def device_info(self) -> DeviceInfo:
        """The site's device; one per site id, shared by every account that sees it."""
        info = self.data.info if self.data else None
        return DeviceInfo(
            identifiers={(DOMAIN, str(self.site_id))},
            manufacturer="Tesla",
            model="Powerwall" if components(info).get("battery", True) else "Solar",
            name=(info.site_name if info and info.site_name else self.site_name) or "Energy site",
            sw_version=info.version if info else None,
        )

    def wall_connector_device_info(self, din: str) -> DeviceInfo:
        """A wall connector's own device (its DIN identifies it across sites and accounts)."""
        dins = wall_connector_dins(self.data.info if self.data else None)
        # Several connectors (leader and followers) get numbers, so their entity ids differ.
        name = "Wall Connector"
        if len(dins) > 1 and din in dins:
            name = f"Wall Connector {dins.index(din) + 1}"
        return DeviceInfo(
            identifiers={(DOMAIN, din)},
            manufacturer="Tesla",
            model="Wall Connector",
            name=name,
            serial_number=din,
        )

    async def async_request_site_info_refresh(self) -> None:
        """After an energy command: read site info again on the next (debounced) refresh."""
        self.schedule = schedule.command_sent(self.schedule)
        await self.async_request_refresh()

    def seconds_until_stale(self) -> float | None:
        """How long the entities may still show the site's last answer."""
        if self.data is None or self.last_success_at is None:
            return None
        return self._stale_after() - (time.time() - self.last_success_at)

    def _stale_after(self) -> float:
        interval = (self.update_interval or timedelta(minutes=1)).total_seconds()
        return STALE_AFTER_INTERVALS * interval

    async def _async_update_data(self) -> EnergySiteData:
        try:
            data = await self._fetch()
        except UpdateFailed, ConfigEntryAuthFailed:
            # Home Assistant tells the entities only when the first poll fails; the moment the
            # kept data turns stale is later (polls may be slowed or stopped meanwhile).
            self.async_failed()
            raise
        self.async_succeeded()
        self.failures.succeeded()
        return data

    async def _fetch(self) -> EnergySiteData:
        plan = self.polling.plan()
        self.update_interval = timedelta(seconds=schedule.poll_interval(plan))
        try:
            live = await self.api.live_status()
            info = self.data.info if self.data else None
            if info is None or schedule.site_info_due(self.schedule, plan, time.time()):
                info = await self.api.site_info()
                self.schedule = schedule.after_site_info(self.schedule, time.time())
        except TeslaFleetError as err:
            raise self.failures.failed(err) from err
        self.last_success_at = time.time()
        return EnergySiteData(live=live, info=info)
