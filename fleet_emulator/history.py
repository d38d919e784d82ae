"""`calendar_history`: the simulated flows summed into Tesla's day/week/month/year buckets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .energy import FLOWS, Site

PERIODS = ("day", "week", "month", "year")


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


def _bucket_key(moment: datetime, size: str) -> datetime:
    if size == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if size == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def calendar_history(site: Site, query: dict[str, str]) -> dict[str, Any]:
    """Energy history for the period that contains `end_date` (default: now)."""
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
    end = (
        min(end, datetime.fromtimestamp(site.now, zone))
        if end
        else datetime.fromtimestamp(site.now, zone)
    )
    start, stop, size = _window(period, end)
    buckets: dict[datetime, dict[str, float]] = {}
    for hour_start, flows in sorted(site.history.items()):
        moment = datetime.fromtimestamp(hour_start, zone)
        if not start <= moment < stop or moment > end:
            continue
        bucket = buckets.setdefault(_bucket_key(moment, size), dict.fromkeys(FLOWS, 0.0))
        for name, value in flows.items():
            bucket[name] += value
    series = [
        {"timestamp": key.isoformat(), **{name: round(value) for name, value in flows.items()}}
        for key, flows in sorted(buckets.items())
    ]
    return {"serial_number": site.spec.id, "period": period, "time_series": series}
