"""Hourly energy totals from `calendar_history` as long-term statistics for the Energy dashboard.

The recorder itself is the checkpoint: each run asks it for the last imported hour and sum of
every statistic and imports only later, completed hours. A failed request stops the run before
anything past it is written, so the next run resumes there: nothing is imported twice or skipped,
across restarts too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from .api.energy import EnergySiteApi
from .api.energy_data import HistoryEntry
from .api.errors import RateLimitedError, TeslaFleetError
from .const import DOMAIN, LOGGER

# How far back a first set-up reaches; one data request per day (about $0.002 each).
BACKFILL_DAYS = 30
# Every run costs one or two data requests; three-hourly keeps the Energy dashboard within a
# few hours of real time for about 240 requests a month per site.
IMPORT_INTERVAL = timedelta(hours=3)
# Tesla's gateway uploads in batches: an hour is imported only once it is this long over.
SETTLE_TIME = timedelta(minutes=15)
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EnergyStatistic:
    """One dashboard series and the `calendar_history` fields (Wh) that add up to it."""

    key: str
    name: str
    fields: tuple[str, ...]


STATISTICS: tuple[EnergyStatistic, ...] = (
    EnergyStatistic("grid_import", "Grid import", ("grid_energy_imported",)),
    EnergyStatistic(
        "grid_export",
        "Grid export",
        (
            "grid_energy_exported_from_solar",
            "grid_energy_exported_from_battery",
            "grid_energy_exported_from_generator",
        ),
    ),
    EnergyStatistic("solar", "Solar production", ("solar_energy_exported",)),
    EnergyStatistic(
        "battery_charge",
        "Battery charge",
        (
            "battery_energy_imported_from_grid",
            "battery_energy_imported_from_solar",
            "battery_energy_imported_from_generator",
        ),
    ),
    EnergyStatistic("battery_discharge", "Battery discharge", ("battery_energy_exported",)),
    EnergyStatistic(
        "home_use",
        "Home usage",
        (
            "consumer_energy_imported_from_grid",
            "consumer_energy_imported_from_solar",
            "consumer_energy_imported_from_battery",
            "consumer_energy_imported_from_generator",
        ),
    ),
)


def statistic_id(site_id: int, key: str) -> str:
    """The external statistic id of one series of one site."""
    return f"{DOMAIN}:energy_site_{site_id}_{key}"


def hourly_kwh(entries: Iterable[HistoryEntry]) -> dict[datetime, dict[str, float]]:
    """Sum entries (hourly or finer) into UTC hour buckets of kWh per statistic."""
    buckets: dict[datetime, dict[str, float]] = defaultdict(lambda: dict.fromkeys(_KEYS, 0.0))
    for entry in entries:
        start = entry.timestamp.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        bucket = buckets[start]
        for stat in STATISTICS:
            wh = sum(entry.get(field) for field in stat.fields)
            bucket[stat.key] += wh / 1000
    return dict(buckets)


_KEYS = tuple(stat.key for stat in STATISTICS)


@dataclass(slots=True)
class _Checkpoint:
    """The last imported hour (start) and running total of one statistic."""

    start: datetime | None
    total: float


class EnergyStatisticsImporter:
    """Imports one site's hourly energy totals into the recorder."""

    def __init__(
        self,
        hass: HomeAssistant,
        api: EnergySiteApi,
        *,
        site_name: str,
        time_zone: str | None = None,
    ) -> None:
        """Bind to one site; `time_zone` is the site's (Home Assistant's when unknown)."""
        self.hass = hass
        self.api = api
        self.site_name = site_name
        self.time_zone = time_zone

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone or self.hass.config.time_zone)
        except ZoneInfoNotFoundError, ValueError:
            return ZoneInfo("UTC")

    async def _checkpoints(self) -> dict[str, _Checkpoint]:
        checkpoints = {}
        for stat in STATISTICS:
            stat_id = statistic_id(self.api.site_id, stat.key)
            last = await get_instance(self.hass).async_add_executor_job(
                get_last_statistics, self.hass, 1, stat_id, True, {"sum"}
            )
            rows = last.get(stat_id)
            if rows:
                checkpoints[stat.key] = _Checkpoint(
                    dt_util.utc_from_timestamp(rows[0]["start"]), rows[0].get("sum") or 0.0
                )
            else:
                checkpoints[stat.key] = _Checkpoint(None, 0.0)
        return checkpoints

    async def async_import(self) -> int:
        """Import every completed hour not yet in the recorder; returns the hours imported."""
        now = dt_util.utcnow()
        newest_complete = (now - SETTLE_TIME).replace(minute=0, second=0, microsecond=0) - HOUR
        checkpoints = await self._checkpoints()
        starts = [cp.start for cp in checkpoints.values()]
        if any(start is None for start in starts):
            first = newest_complete - timedelta(days=BACKFILL_DAYS)
        else:
            first = min(start for start in starts if start is not None) + HOUR
        if first > newest_complete:
            return 0
        zone = self._zone()
        day = first.astimezone(zone).date()
        last_day = newest_complete.astimezone(zone).date()
        imported = 0
        while day <= last_day:
            day_end = datetime.combine(day, datetime.max.time(), zone).replace(microsecond=0)
            end = min(day_end, now.astimezone(zone))
            try:
                history = await self.api.calendar_history(
                    kind="energy", period="day", end_date=end, time_zone=str(zone)
                )
            except RateLimitedError as err:
                # The client's gate holds every request back until Tesla's wait has passed.
                LOGGER.debug("Energy history import paused by rate limit: %s", err)
                break
            except TeslaFleetError as err:
                # The next run resumes from the recorder's checkpoint; nothing is lost.
                LOGGER.debug("Energy history import stopped: %s", err)
                break
            hours = {
                start: values
                for start, values in hourly_kwh(history.entries).items()
                if start <= newest_complete
            }
            imported += self._write(hours, checkpoints)
            day += timedelta(days=1)
        return imported

    def _write(
        self, hours: Mapping[datetime, Mapping[str, float]], checkpoints: dict[str, _Checkpoint]
    ) -> int:
        written = 0
        for stat in STATISTICS:
            checkpoint = checkpoints[stat.key]
            rows: list[StatisticData] = []
            for start in sorted(hours):
                if checkpoint.start is not None and start <= checkpoint.start:
                    continue
                checkpoint.total += hours[start][stat.key]
                checkpoint.start = start
                rows.append(
                    StatisticData(start=start, state=checkpoint.total, sum=checkpoint.total)
                )
            if rows:
                async_add_external_statistics(self.hass, self._metadata(stat), rows)
                written = max(written, len(rows))
        return written

    def _metadata(self, stat: EnergyStatistic) -> StatisticMetaData:
        return StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=f"{self.site_name} {stat.name}",
            source=DOMAIN,
            statistic_id=statistic_id(self.api.site_id, stat.key),
            unit_class=EnergyConverter.UNIT_CLASS,
            unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        )

    def async_start(self, entry: ConfigEntry) -> CALLBACK_TYPE:
        """Import now (in the background, set-up never waits) and then every few hours.

        Stops with the entry, or earlier through the returned callback (the site left).
        """

        async def run(_now: datetime | None = None) -> None:
            await self.async_import()

        entry.async_create_background_task(self.hass, run(), f"{DOMAIN} energy history import")
        stop = async_track_time_interval(self.hass, run, IMPORT_INTERVAL)
        entry.async_on_unload(stop)
        return stop


def async_clear_energy_statistics(hass: HomeAssistant, site_ids: Iterable[int]) -> None:
    """Remove every imported series of these sites (called when the config entry is removed)."""
    if "recorder" not in hass.config.components:
        return
    ids = [statistic_id(site_id, stat.key) for site_id in site_ids for stat in STATISTICS]
    get_instance(hass).async_clear_statistics(ids)
