"""`calendar_history`: the simulated flows summed into Tesla's day/week/month/year buckets.

Shape as in real answers (tests/fixtures/real/energy/): `serial_number`, `period`,
`installation_time_zone` and `time_series`; every entry has the sixteen flows, `raw_timestamp`
and the `total_*` sums, each total only when it is not zero (Tesla leaves zero totals out).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .energy import FLOWS, HOUR_S, Site

PERIODS = ("day", "week", "month", "year")
# Totals Tesla adds to each entry, and the flows each one sums (the samples' arithmetic:
# e.g. total_home_usage = the four consumer_energy_imported_from_* flows).
TOTALS = {
    "total_home_usage": (
        "consumer_energy_imported_from_grid",
        "consumer_energy_imported_from_solar",
        "consumer_energy_imported_from_battery",
        "consumer_energy_imported_from_generator",
    ),
    "total_battery_charge": (
        "battery_energy_imported_from_grid",
        "battery_energy_imported_from_solar",
        "battery_energy_imported_from_generator",
    ),
    "total_battery_discharge": ("battery_energy_exported",),
    "total_solar_generation": ("solar_energy_exported",),
    "total_grid_energy_exported": (
        "grid_energy_exported_from_solar",
        "grid_energy_exported_from_generator",
        "grid_energy_exported_from_battery",
    ),
}


class HistoryError(ValueError):
    """A bad query parameter."""


def _zone(name: str | None, site: Site) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else site.zone
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise HistoryError(f"unknown time_zone {name}") from err


def _window(period: str, end: datetime) -> tuple[datetime, datetime, str]:
    """The period containing `end` and its bucket size (hour, day or month)."""
    day = end.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1), "hour"
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7), "day"
    if period == "month":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following, "day"
    start = day.replace(month=1, day=1)
    return start, start.replace(year=start.year + 1), "month"


def _bucket_start(hour_start: int, size: str, zone: ZoneInfo) -> int:
    """Epoch start of the bucket an hour falls in (epoch keys keep DST's repeated hour apart)."""
    if size == "hour":
        return hour_start
    local = datetime.fromtimestamp(hour_start, zone)
    local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if size == "month":
        local = local.replace(day=1)
    return int(local.timestamp())


def _entry(start: int, flows: dict[str, float], zone: ZoneInfo) -> dict[str, Any]:
    stamp = datetime.fromtimestamp(start, zone).isoformat(timespec="seconds")
    wh = {name: round(flows.get(name, 0.0)) for name in FLOWS}
    entry: dict[str, Any] = {"timestamp": stamp, **wh, "raw_timestamp": stamp}
    for total, parts in TOTALS.items():
        value = sum(wh[part] for part in parts)
        if value:
            entry[total] = value
    return entry


def calendar_history(site: Site, query: dict[str, str]) -> dict[str, Any]:
    """Energy history for the period that contains `end_date` (default: now).

    Buckets run from the period's start up to `end_date` (never past now). The bucket under
    way now is always there, zero when nothing has flowed yet: a read at local midnight
    answers the day that has just begun, as Tesla does.
    """
    kind = query.get("kind", "energy")
    if kind not in ("energy", "backup"):
        raise HistoryError("kind must be energy or backup")
    if kind == "backup":
        return {"events": list(site.outages), "total_events": len(site.outages)}
    period = query.get("period", "day")
    if period not in PERIODS:
        raise HistoryError(f"period must be one of {PERIODS}")
    zone = _zone(query.get("time_zone"), site)
    end_text = query.get("end_date")
    try:
        end = datetime.fromisoformat(end_text).astimezone(zone) if end_text else None
    except ValueError as err:
        raise HistoryError("end_date must be an RFC 3339 time") from err
    now = datetime.fromtimestamp(site.now, zone)
    start, stop, size = _window(period, end or now)
    first, after = start.timestamp(), stop.timestamp()
    last = min((end or now).timestamp(), site.now)
    buckets: dict[int, dict[str, float]] = {}
    if site.metered and last == site.now and first <= last < after:
        # The bucket under way is there from its first second on.
        buckets[_bucket_start(int(last // HOUR_S * HOUR_S), size, zone)] = {}
    for hour_start, flows in site.history.items():
        if not first <= hour_start <= last or hour_start >= after:
            continue
        bucket = buckets.setdefault(_bucket_start(hour_start, size, zone), {})
        for name, value in flows.items():
            bucket[name] = bucket.get(name, 0.0) + value
    return {
        "serial_number": site.spec.id,
        "period": period,
        "installation_time_zone": site.spec.time_zone,
        "time_series": [_entry(key, flows, zone) for key, flows in sorted(buckets.items())],
    }
