"""The account's energy sites as devices: one coordinator and one history import per site.

Sites are added when they appear in the products list and removed when they leave it, without a
restart; platforms subscribe once (`async_listen_energy_sites`). Nothing here is created without
the `energy_device_data` scope.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.components.recorder.statistics import async_list_statistic_ids
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .api import TeslaFleetClient
from .api.models import EnergySiteSummary
from .const import DOMAIN, LOGGER
from .energy_coordinator import TeslaEnergySiteCoordinator, wall_connector_dins
from .energy_statistics import EnergyStatisticsImporter, async_clear_energy_statistics
from .polling import AccountPolling

if TYPE_CHECKING:
    # models imports this module (EnergySiteFleet is part of the runtime data).
    from .models import TeslaFleetDirectConfigEntry

ENERGY_READ_SCOPE = "energy_device_data"
_SITE_SERIES = re.compile(rf"^{DOMAIN}:energy_site_(\d+)_")

type SiteListener = Callable[[TeslaEnergySiteCoordinator], None]


class EnergySiteFleet:
    """The coordinators of one account's energy sites, by site id."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaFleetDirectConfigEntry,
        client: TeslaFleetClient,
        *,
        account_id: str,
        polling: AccountPolling,
    ) -> None:
        """Start empty; `async_sync` fills it from the products list."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.account_id = account_id
        self.polling = polling
        self.coordinators: dict[int, TeslaEnergySiteCoordinator] = {}
        self._listeners: list[SiteListener] = []
        self._history_imports: dict[int, CALLBACK_TYPE] = {}
        # Per site: the wall connectors last seen in its info, and the watch on its updates.
        self._wall_connectors: dict[int, set[str]] = {}
        self._watches: dict[int, CALLBACK_TYPE] = {}
        entry.async_on_unload(self._stop_watching)

    @callback
    def async_listen(self, listener: SiteListener) -> Callable[[], None]:
        """Call `listener` for every site now and for every site added later."""
        for coordinator in self.coordinators.values():
            listener(coordinator)
        self._listeners.append(listener)

        @callback
        def _remove() -> None:
            self._listeners.remove(listener)

        return _remove

    async def async_sync(
        self, sites: Iterable[EnergySiteSummary]
    ) -> list[TeslaEnergySiteCoordinator]:
        """Match the coordinators to the products list's sites; returns the new ones."""
        wanted = {site.energy_site_id: site for site in sites}
        added: list[TeslaEnergySiteCoordinator] = []
        for site_id, site in wanted.items():
            if site_id in self.coordinators:
                continue
            coordinator = TeslaEnergySiteCoordinator(
                self.hass,
                self.entry,
                self.client.energy_site(site_id),
                account_id=self.account_id,
                polling=self.polling,
                site_name=site.site_name,
            )
            # Sites never sleep, so one read now gives the entities real values at start-up;
            # a failure only delays them (the coordinator keeps polling).
            await coordinator.async_refresh()
            self.coordinators[site_id] = coordinator
            added.append(coordinator)
            self._start_history_import(coordinator)
            self._watch_wall_connectors(coordinator)
            for listener in list(self._listeners):
                listener(coordinator)
        for site_id in set(self.coordinators) - set(wanted):
            self._forget(self.coordinators.pop(site_id))
        self.polling.sites = len(self.coordinators)
        return added

    def current_identifiers(self) -> set[str]:
        """Device identifiers of what the account has now: its sites and their wall connectors."""
        identifiers = {str(site_id) for site_id in self.coordinators}
        for dins in self._wall_connectors.values():
            identifiers |= dins
        return identifiers

    def _watch_wall_connectors(self, coordinator: TeslaEnergySiteCoordinator) -> None:
        site_id = coordinator.site_id
        self._wall_connectors[site_id] = set(
            wall_connector_dins(coordinator.data.info if coordinator.data else None)
        )

        @callback
        def _updated() -> None:
            # Site info is re-read hourly; a failed read keeps the last data, so only a
            # successful answer that no longer lists a wall connector removes its device.
            if coordinator.data is None or not coordinator.last_update_success:
                return
            now = set(wall_connector_dins(coordinator.data.info))
            gone = self._wall_connectors[site_id] - now
            self._wall_connectors[site_id] = now
            if gone:
                registry = dr.async_get(self.hass)
                for din in gone:
                    self._detach(registry, din)
                LOGGER.info("A wall connector left an energy site; removed its device")

        self._watches[site_id] = coordinator.async_add_listener(_updated)

    @callback
    def _stop_watching(self) -> None:
        for unwatch in self._watches.values():
            unwatch()
        self._watches.clear()

    def _start_history_import(self, coordinator: TeslaEnergySiteCoordinator) -> None:
        if "recorder" not in self.hass.config.components:
            return
        info = coordinator.data.info if coordinator.data else None
        self._history_imports[coordinator.site_id] = EnergyStatisticsImporter(
            self.hass,
            coordinator.api,
            site_name=coordinator.device_info.get("name") or "Energy site",
            time_zone=info.installation_time_zone if info else None,
        ).async_start(self.entry)

    def _detach(self, registry: dr.DeviceRegistry, identifier: str) -> None:
        device = registry.async_get_device_by_identifier((DOMAIN, identifier), self.entry.entry_id)
        if device is not None:
            registry.async_update_device(device.id, remove_config_entry_id=self.entry.entry_id)

    def _forget(self, coordinator: TeslaEnergySiteCoordinator) -> None:
        if (stop_import := self._history_imports.pop(coordinator.site_id, None)) is not None:
            stop_import()
        if (unwatch := self._watches.pop(coordinator.site_id, None)) is not None:
            unwatch()
        self._wall_connectors.pop(coordinator.site_id, None)
        registry = dr.async_get(self.hass)
        # The site's device and its wall connectors' devices leave this entry (another account
        # that still sees the site keeps them).
        for din in wall_connector_dins(coordinator.data.info if coordinator.data else None):
            self._detach(registry, din)
        self._detach(registry, str(coordinator.site_id))
        LOGGER.info("An energy site left the Tesla account; removed its device")
        self.entry.async_create_background_task(
            self.hass, coordinator.async_shutdown(), f"{DOMAIN} forget energy site"
        )


async def async_setup_energy_sites(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    client: TeslaFleetClient,
    *,
    sites: Iterable[EnergySiteSummary],
    scopes: Collection[str],
    account_id: str,
    polling: AccountPolling,
) -> EnergySiteFleet:
    """The entry's sites, read once; empty without the `energy_device_data` scope."""
    fleet = EnergySiteFleet(hass, entry, client, account_id=account_id, polling=polling)
    if ENERGY_READ_SCOPE in scopes:
        await fleet.async_sync(sites)
    return fleet


@callback
def async_listen_energy_sites(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, listener: SiteListener
) -> None:
    """For a platform: `listener` for every site now and later, until the entry unloads."""
    fleet = entry.runtime_data.energy_sites
    if fleet is None:
        # Set-up created no site fleet (an entry set up before sites were wired in).
        return
    entry.async_on_unload(fleet.async_listen(listener))


async def async_remove_energy_history(
    hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry
) -> None:
    """When an entry is removed: drop the imported energy statistics of its sites.

    The entry's sites are no longer known at removal, so the recorder's own list of this
    integration's site series is used; series of sites another loaded account still serves stay.
    """
    if "recorder" not in hass.config.components:
        return
    kept = {
        site_id
        for other in hass.config_entries.async_loaded_entries(DOMAIN)
        if other.entry_id != entry.entry_id
        and (fleet := other.runtime_data.energy_sites) is not None
        for site_id in fleet.coordinators
    }
    listed = await async_list_statistic_ids(hass, statistic_type="sum")
    site_ids = {
        int(match.group(1))
        for item in listed
        if item.get("source") == DOMAIN
        and (match := _SITE_SERIES.match(str(item.get("statistic_id"))))
    }
    async_clear_energy_statistics(hass, site_ids - kept)


# Site data that identifies a home or a person: redacted in diagnostics.
SITE_REDACT: Final = {
    "id",
    "energy_site_id",
    "asset_site_id",
    "gateway_id",
    "warp_site_number",
    "site_name",
    "din",
    "device_id",
    "serial_number",
    "vin",
    "address",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "installation_date",
    "installation_time_zone",
}


def energy_site_diagnostics(coordinator: TeslaEnergySiteCoordinator) -> dict[str, Any]:
    """One site's polling state and latest answers, with what identifies the home removed."""
    data = coordinator.data
    interval = coordinator.update_interval
    return {
        "update_interval_s": interval.total_seconds() if interval else None,
        "last_update_success": coordinator.last_update_success,
        "stale": coordinator.is_stale,
        "last_exception": repr(coordinator.last_exception) if coordinator.last_exception else None,
        "live_status": async_redact_data(dict(data.live.raw), SITE_REDACT) if data else None,
        "site_info": async_redact_data(dict(data.info.raw), SITE_REDACT) if data else None,
    }
