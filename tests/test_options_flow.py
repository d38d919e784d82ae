"""Options: intervals with bounds, the monthly budget, and the repair issue a tight budget files."""

from __future__ import annotations

from datetime import UTC, datetime

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.live_data import async_update_budget_issue
from custom_components.tesla_fleet_direct.options_flow import (
    budget_from_options,
    intervals_from_options,
)
from custom_components.tesla_fleet_direct.polling import AccountPolling
from fleet_emulator import Emulator

from .common import form_schema
from .entity_helpers import setup_platform

pytestmark = pytest.mark.usefixtures("socket_enabled")

DEFAULT_INPUT = {
    "monthly_budget": 10.0,
    "active_interval": 120,
    "charging_interval": 180,
    "idle_interval": 300,
    "idle_timeout": 15,
    "asleep_interval": 600,
    "site_live_interval": 30,
    "site_info_interval": 60,
}


def _budget_issues(hass: HomeAssistant, entry_id: str) -> set[str]:
    registry = ir.async_get(hass)
    return {
        issue.translation_key or ""
        for (domain, issue_id), issue in registry.issues.items()
        if domain == DOMAIN and issue_id.endswith(entry_id)
    }


async def test_options_change_intervals_and_budget(hass: HomeAssistant, emulator: Emulator) -> None:
    """The form shows the defaults; saving reloads the entry with the new values in force."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    defaults = {str(key): key.default() for key in form_schema(result).schema}
    assert defaults == DEFAULT_INPUT

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **DEFAULT_INPUT,
            "monthly_budget": 25.0,
            "active_interval": 90,
            "charging_interval": 300,
            "idle_timeout": 10,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    polling = entry.runtime_data.polling
    assert polling.budget_usd == 25.0
    assert polling.intervals.active == 90
    assert polling.intervals.charging == 300
    assert polling.intervals.idle_timeout == 600


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("active_interval", 30),
        ("charging_interval", 30),
        ("idle_timeout", 120),
        ("monthly_budget", -1),
    ],
)
async def test_options_refuse_values_out_of_bounds(
    hass: HomeAssistant, emulator: Emulator, field: str, value: float
) -> None:
    """A 30-second fast interval, a two-hour idle window or a negative budget are refused."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**DEFAULT_INPUT, field: value}
        )


def test_stored_options_are_clamped_and_converted() -> None:
    """Options written by hand (or an older version) still give sane intervals."""
    intervals = intervals_from_options({"active_interval": 5, "idle_timeout": 20})
    assert intervals.active == 60
    assert intervals.idle_timeout == 1200
    assert budget_from_options({}) == 10.0
    assert budget_from_options({"monthly_budget": 5000}) == 1000.0


async def test_tight_budget_files_a_repair_issue_that_raising_it_clears(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A zero budget cannot pay for any polling: a repair issue says what would."""
    entry = await setup_platform(hass, emulator, Platform.SENSOR)
    assert _budget_issues(hass, entry.entry_id) == set()

    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULT_INPUT, "monthly_budget": 0.0}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    issues = _budget_issues(hass, entry.entry_id)
    assert issues == {"budget_spent"}
    issue = next(
        i
        for (domain, _), i in ir.async_get(hass).issues.items()
        if domain == DOMAIN and i.translation_key in issues
    )
    assert issue.translation_placeholders is not None
    needed = float(issue.translation_placeholders["needed"])
    assert needed > 10.0  # minute polling for two cars and a site costs more than the credit

    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**DEFAULT_INPUT, "monthly_budget": 1000.0}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _budget_issues(hass, entry.entry_id) == set()


async def test_budget_forcing_slow_polling_files_the_limited_issue(hass: HomeAssistant) -> None:
    """Polling stretched beyond 30 minutes (not yet paused): the issue says what it would cost."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    polling = AccountPolling(
        spent_usd=lambda: 0.0, budget_usd=0.5, vehicles=2, sites=1, clock=start.timestamp
    )
    plan = async_update_budget_issue(hass, entry, polling)
    assert plan.beyond_noticeable
    assert not plan.paused
    assert _budget_issues(hass, entry.entry_id) == {"budget_limited"}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"budget_limited_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert int(issue.translation_placeholders["interval"]) > 30
    assert issue.translation_placeholders["budget"] == "0.50"
    assert float(issue.translation_placeholders["needed"]) > 10

    polling.budget_usd = 500.0
    async_update_budget_issue(hass, entry, polling)
    assert _budget_issues(hass, entry.entry_id) == set()
