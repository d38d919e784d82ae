"""What fault tests look at: every request the emulator saw, our log lines, issues, flows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.tesla_fleet_direct.const import DOMAIN
from fleet_emulator import Emulator
from fleet_emulator.faults import Fault

TOKEN_PATH = "/oauth2/v3/token"
OUR_LOGGER = "custom_components.tesla_fleet_direct"


@dataclass
class RequestLog:
    """Every request that reached the emulator (faulted or not): emulator time and path."""

    requests: list[tuple[float, str]] = field(default_factory=list)

    def times(self, part: str, since: float = float("-inf")) -> list[float]:
        """When requests whose path contains `part` arrived (at or after `since`)."""
        return [t for t, path in self.requests if part in path and t >= since]

    def token_requests(self, since: float = float("-inf")) -> list[float]:
        """When the token endpoint was asked (refreshes, whatever it answered)."""
        return [t for t, path in self.requests if path == TOKEN_PATH and t >= since]


def log_requests(emulator: Emulator) -> RequestLog:
    """Record every request from now on (the fault table is consulted for each one)."""
    log = RequestLog()
    take = emulator.faults.take

    def recording_take(path: str, regionless: str) -> Fault | None:
        log.requests.append((emulator.clock.now(), regionless))
        return take(path, regionless)

    emulator.faults.take = recording_take  # type: ignore[method-assign]
    return log


def our_records(
    caplog: pytest.LogCaptureFixture, level: int = logging.WARNING
) -> list[logging.LogRecord]:
    """The integration's log records at `level` or above (asyncio's debug noise left out)."""
    return [r for r in caplog.records if r.name.startswith(OUR_LOGGER) and r.levelno >= level]


def warnings_about(caplog: pytest.LogCaptureFixture, product: str) -> list[str]:
    """The integration's warnings (and worse) about `product` (they start with its name)."""
    return [r.getMessage() for r in our_records(caplog) if r.getMessage().startswith(f"{product}:")]


def recovered_lines(caplog: pytest.LogCaptureFixture, product: str) -> list[str]:
    """Home Assistant's "Fetching ... data recovered" lines for `product`'s coordinator."""
    return [
        r.getMessage()
        for r in our_records(caplog, logging.INFO)
        if r.getMessage().endswith(f" {product} data recovered")
    ]


def our_issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    """The integration's open repair issues by translation key."""
    return {
        str(issue.translation_key): issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.active
    }


def reauth_issue_open(hass: HomeAssistant) -> bool:
    """Whether Home Assistant shows its "sign in again" repair issue for our entry."""
    return any(
        issue.translation_key == "config_entry_reauth" and issue.issue_domain == DOMAIN
        for issue in ir.async_get(hass).issues.values()
    )


def no_tracebacks(records: Iterable[logging.LogRecord]) -> bool:
    """No record at WARNING or above carries an exception (a traceback in the log)."""
    return not any(r.exc_info for r in records if r.levelno >= logging.WARNING)


async def tick_through(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float = 0.05
) -> None:
    """`tick`, for faults that take time: virtual time keeps moving in small steps while the
    work runs, so a slow answer (the emulator's latency) and the client's timeouts, both timers
    on the frozen clock, come due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    done = hass.async_create_task(hass.async_block_till_done(wait_background_tasks=True))
    while not done.done():
        freezer.tick(timedelta(seconds=step))
        async_fire_time_changed(hass)
        await asyncio.sleep(0)
    await done
