"""One coordinator per energy site: live status every minute, site info hourly or on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import math
import time
from typing import Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import DOMAIN, LOGGER
from .energy_api import EnergyApiError, EnergyMalformedError, EnergyRateLimitedError
from .energy_models import HistoryEntry, LiveStatus, SiteInfo

LIVE_INTERVAL = timedelta(seconds=60)
SITE_INFO_INTERVAL = timedelta(hours=1)
# Tesla sometimes answers 429 without a readable Retry-After; wait a full minute then.
DEFAULT_RETRY_AFTER = 60.0
# Entities stay available through this many missed live intervals: one failed poll is not news.
STALE_AFTER_INTERVALS = 5


class EnergySiteReader(Protocol):
    """The reads of one energy site (`EnergySiteApi`, later `client.energy_site(id)`)."""

    site_id: int

    async def live_status(self) -> LiveStatus:
        """Powers, battery level, grid state and wall connectors now."""

    async def site_info(self) -> SiteInfo:
        """Settings and components."""

    async def calendar_history(self, *, end_date: str, time_zone: str) -> list[HistoryEntry]:
        """The energy flows of one local day."""


class AccountRateLimit:
    """Tesla's 429 silence for one account, shared by all its coordinators.

    Time comes from `time.time()` so it follows Home Assistant's (and the tests') clock.
    """

    def __init__(self) -> None:
        """Start unblocked."""
        self._until = 0.0

    def block(self, seconds: float) -> None:
        """Record that no request may go for `seconds` from now."""
        self._until = max(self._until, time.time() + seconds)

    def remaining(self) -> float:
        """Seconds until requests may go again (0 when not limited)."""
        return max(0.0, self._until - time.time())


@dataclass(frozen=True, slots=True)
class EnergySiteData:
    """What the entities read: the latest live status and site info."""

    live: LiveStatus
    info: SiteInfo


class TeslaEnergySiteCoordinator(DataUpdateCoordinator[EnergySiteData]):
    """Polls one energy site; sites never sleep, so the interval is fixed."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: ConfigEntry,
        api: EnergySiteReader,
        *,
        site_name: str | None = None,
        rate_limit: AccountRateLimit | None = None,
        live_interval: timedelta = LIVE_INTERVAL,
        site_info_interval: timedelta = SITE_INFO_INTERVAL,
    ) -> None:
        """Set up the polling of one site."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=f"{DOMAIN} energy site",
            update_interval=live_interval,
        )
        self.api = api
        self.site_id = api.site_id
        self.site_name = site_name
        # The Tesla account (token `sub`): part of unique ids, so two accounts seeing one site
        # (owner and a shared user) do not clash.
        self.account_id = config_entry.unique_id or config_entry.entry_id
        self.rate_limit = rate_limit or AccountRateLimit()
        self._site_info_interval = site_info_interval.total_seconds()
        self._site_info_at: float | None = None
        self._site_info_wanted = True
        self.last_success_at: float | None = None

    @property
    def is_stale(self) -> bool:
        """Whether the data is too old to show (many polls in a row failed)."""
        if self.last_success_at is None:
            return True
        interval = self.update_interval or LIVE_INTERVAL
        return time.time() - self.last_success_at > STALE_AFTER_INTERVALS * (
            interval.total_seconds()
        )

    @property
    def device_info(self) -> DeviceInfo:
        """The site's device; one per site id, shared by every account that sees it."""
        info = self.data.info if self.data else None
        return DeviceInfo(
            identifiers={(DOMAIN, str(self.site_id))},
            manufacturer="Tesla",
            model="Powerwall" if info is None or info.has_battery else "Solar",
            name=(info.site_name if info and info.site_name else self.site_name) or "Energy site",
            sw_version=info.version if info else None,
        )

    def wall_connector_device_info(self, din: str) -> DeviceInfo:
        """A wall connector's own device (its DIN identifies it across sites and accounts)."""
        return DeviceInfo(
            identifiers={(DOMAIN, din)},
            manufacturer="Tesla",
            model="Wall Connector",
            name="Wall Connector",
            serial_number=din,
        )

    async def async_request_site_info_refresh(self) -> None:
        """After an energy command: read site info again on the next (debounced) refresh."""
        self._site_info_wanted = True
        await self.async_request_refresh()

    def _site_info_due(self) -> bool:
        return (
            self._site_info_wanted
            or self._site_info_at is None
            or time.time() - self._site_info_at >= self._site_info_interval
        )

    async def _async_update_data(self) -> EnergySiteData:
        if (wait := self.rate_limit.remaining()) > 0:
            # Another coordinator of this account was told to wait; do not ask Tesla before then.
            raise self._rate_limited(wait)
        try:
            live = await self.api.live_status()
            info = self.data.info if self.data else None
            if info is None or self._site_info_due():
                info = await self.api.site_info()
                self._site_info_at = time.time()
                self._site_info_wanted = False
        except EnergyRateLimitedError as err:
            wait = err.retry_after if err.retry_after is not None else DEFAULT_RETRY_AFTER
            self.rate_limit.block(wait)
            raise self._rate_limited(wait) from err
        except EnergyMalformedError as err:
            LOGGER.debug("Energy site answer unreadable: %s", err)
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="energy_malformed_answer"
            ) from err
        except EnergyApiError as err:
            LOGGER.debug("Energy site request failed: %s", err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="energy_update_failed",
                translation_placeholders={"status": str(err.status or "no answer")},
            ) from err
        self.last_success_at = time.time()
        return EnergySiteData(live=live, info=info)

    def _rate_limited(self, wait: float) -> UpdateFailed:
        # The coordinator schedules from a whole second plus a sub-second offset, so one extra
        # second guarantees the next request never goes before Tesla's wait is over.
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="energy_rate_limited",
            translation_placeholders={"seconds": str(math.ceil(wait))},
            retry_after=math.ceil(wait) + 1,
        )
