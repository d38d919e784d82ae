"""Options: the polling intervals (with sane bounds) and the monthly API budget in US dollars.

The budget governs the cars only; the energy site intervals are used as set (not billed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import NumberSelector, NumberSelectorConfig, NumberSelectorMode
import voluptuous as vol

from .schedule.budget import MONTHLY_CREDIT_USD, PollingIntervals

CONF_ACTIVE_INTERVAL: Final = "active_interval"
CONF_CHARGING_INTERVAL: Final = "charging_interval"
CONF_IDLE_INTERVAL: Final = "idle_interval"
CONF_IDLE_TIMEOUT: Final = "idle_timeout"
CONF_ASLEEP_INTERVAL: Final = "asleep_interval"
CONF_SITE_LIVE_INTERVAL: Final = "site_live_interval"
CONF_SITE_INFO_INTERVAL: Final = "site_info_interval"
CONF_MONTHLY_BUDGET: Final = "monthly_budget"

_DEFAULTS = PollingIntervals()
# option -> (PollingIntervals field, minimum, maximum, step, unit shown, seconds per unit)
_INTERVALS: Final[Mapping[str, tuple[str, float, float, float, str, float]]] = {
    # Tesla's realtime data limit and the cost of one request a minute (~$86 a car a month)
    # make 60 s the floor.
    CONF_ACTIVE_INTERVAL: ("active", 60, 3600, 10, "s", 1),
    CONF_CHARGING_INTERVAL: ("charging", 60, 3600, 10, "s", 1),
    CONF_IDLE_INTERVAL: ("idle", 60, 3600, 10, "s", 1),
    # Shorter than 5 minutes would stop polling mid-stop; longer than an hour keeps cars awake.
    CONF_IDLE_TIMEOUT: ("idle_timeout", 5, 60, 1, "min", 60),
    CONF_ASLEEP_INTERVAL: ("asleep", 60, 3600, 10, "s", 1),
    # Energy requests are not billed, so only the rate limit bounds this: 10 s is 6 a minute per
    # site, well under the 60 a minute users report for data (fleet-api.md, "Cost and limits").
    CONF_SITE_LIVE_INTERVAL: ("site_live", 10, 3600, 5, "s", 1),
    CONF_SITE_INFO_INTERVAL: ("site_info", 10, 1440, 5, "min", 60),
}
BUDGET_MAX_USD: Final = 1000.0


def intervals_from_options(options: Mapping[str, Any]) -> PollingIntervals:
    """The user's preferred intervals in seconds (defaults for anything not set)."""
    values: dict[str, float] = {}
    for option, (field, low, high, _step, _unit, per) in _INTERVALS.items():
        if isinstance(value := options.get(option), (int, float)):
            values[field] = min(max(float(value), low), high) * per
    return PollingIntervals(**values)


def budget_from_options(options: Mapping[str, Any]) -> float:
    """The monthly budget in US dollars (Tesla's credit unless the user changed it)."""
    value = options.get(CONF_MONTHLY_BUDGET)
    if isinstance(value, (int, float)):
        return min(max(float(value), 0.0), BUDGET_MAX_USD)
    return MONTHLY_CREDIT_USD


def _schema(options: Mapping[str, Any]) -> vol.Schema:
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_MONTHLY_BUDGET, default=budget_from_options(options)): NumberSelector(
            NumberSelectorConfig(
                min=0,
                max=BUDGET_MAX_USD,
                step=0.5,
                unit_of_measurement="USD",
                mode=NumberSelectorMode.BOX,
            )
        ),
    }
    for option, (field, low, high, step, unit, per) in _INTERVALS.items():
        default = getattr(_DEFAULTS, field) / per
        fields[vol.Required(option, default=options.get(option, default))] = NumberSelector(
            NumberSelectorConfig(
                min=low, max=high, step=step, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
            )
        )
    return vol.Schema(fields)


class TeslaFleetDirectOptionsFlow(OptionsFlowWithReload):
    """One form; the entry reloads so every coordinator picks the new values up."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show or save the polling options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(step_id="init", data_schema=_schema(self.config_entry.options))
