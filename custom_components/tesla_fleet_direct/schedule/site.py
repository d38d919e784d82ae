"""When an energy site is read: live status at every poll, site info hourly or after a command.

Sites never sleep, so there is no state check and no idle window. Tesla does not bill energy
requests, so the intervals are the user's (`Plan.site_live`, `Plan.site_info`), however the
budget stands. Pure: `now` is epoch seconds, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .budget import Plan


@dataclass(frozen=True, slots=True)
class SiteSchedule:
    """One site's schedule state."""

    # When site info last answered; None before the first read.
    info_read_at: float | None = None
    # Read site info at the next poll whatever its interval (first poll, after a command).
    info_wanted: bool = True


def poll_interval(plan: Plan) -> float:
    """Seconds between two polls of a site (each reads its live status)."""
    return plan.site_live


def site_info_due(schedule: SiteSchedule, plan: Plan, now: float) -> bool:
    """Whether this poll also reads the site's settings (`site_info`)."""
    return (
        schedule.info_wanted
        or schedule.info_read_at is None
        or now - schedule.info_read_at >= plan.site_info
    )


def after_site_info(schedule: SiteSchedule, now: float) -> SiteSchedule:
    """The schedule after `site_info` answered."""
    return replace(schedule, info_read_at=now, info_wanted=False)


def command_sent(schedule: SiteSchedule) -> SiteSchedule:
    """An energy command changed the settings: read them again at the next poll."""
    return replace(schedule, info_wanted=True)
