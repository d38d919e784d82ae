"""Fix flows for the integration's repair issues."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.components.repairs.models import RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    QrCodeSelector,
    QrCodeSelectorConfig,
    QrErrorCorrectionLevel,
)
import voluptuous as vol

from .account_faults import CHECK_AGAIN_ISSUES, ISSUE_DATA_ENTRY_ID
from .const import DOMAIN
from .models import TeslaFleetDirectConfigEntry
from .signing_repairs import ISSUE_PREFIX
from .update_failures import TeslaPollingCoordinator

# Kept in a constant: the strings live under issues.<key>.fix_flow, not config.step.
PAIR_STEP = "pair"


class KeyPairingRepairFlow(RepairsFlow):
    """Shows the Tesla-app pairing link as a QR code; done once the owner approved the key."""

    def __init__(self, url: str, name: str) -> None:
        """Keep what the issue recorded: the car's pairing link and its name."""
        self._url = url
        self._name = name

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Start at the QR code."""
        return await self.async_step_pair()

    async def async_step_pair(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Scan or open the link with the Tesla app; the next command confirms the pairing."""
        if user_input is not None:
            # If the key is still missing, the next command files the issue again.
            return self.async_create_entry(data={})
        qr = QrCodeSelector(
            QrCodeSelectorConfig(
                data=self._url, scale=6, error_correction_level=QrErrorCorrectionLevel.QUARTILE
            )
        )
        return self.async_show_form(
            step_id=PAIR_STEP,
            data_schema=vol.Schema({vol.Optional("qr_code"): qr}),
            description_placeholders={"url": self._url, "name": self._name},
        )


class CheckAgainRepairFlow(ConfirmRepairFlow):
    """A refusal the user ended outside Home Assistant (billing, account, car setting).

    Submitting asks Tesla again at once instead of at the next slowed poll; if Tesla still
    refuses, that poll files the issue again.
    """

    def __init__(self, entry_id: str) -> None:
        """The config entry whose cars and sites were refused."""
        self._entry_id = entry_id

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Confirm that it is fixed, then poll the account's products."""
        if user_input is not None:
            entry: TeslaFleetDirectConfigEntry | None = self.hass.config_entries.async_get_entry(
                self._entry_id
            )
            if entry is not None and entry.domain == DOMAIN:
                _request_refreshes(entry)
        return await super().async_step_confirm(user_input)


def _request_refreshes(entry: TeslaFleetDirectConfigEntry) -> None:
    if entry.state is not ConfigEntryState.LOADED:
        return
    data = entry.runtime_data
    coordinators: list[TeslaPollingCoordinator[Any]] = list(data.vehicles.coordinators.values())
    if data.energy_sites is not None:
        coordinators += list(data.energy_sites.coordinators.values())
    for coordinator in coordinators:
        # Debounced and run in the background: the flow closes at once.
        entry.async_create_background_task(
            coordinator.hass, coordinator.async_request_refresh(), f"{DOMAIN} check again"
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The pairing issue gets its QR flow; refusals fixed elsewhere a check-again confirmation;
    anything else a plain confirmation."""
    if issue_id.startswith(ISSUE_PREFIX) and data and isinstance(url := data.get("url"), str):
        return KeyPairingRepairFlow(url, str(data.get("name") or ""))
    entry_id = data.get(ISSUE_DATA_ENTRY_ID) if data else None
    if isinstance(entry_id, str) and any(issue_id.startswith(k) for k in CHECK_AGAIN_ISSUES):
        return CheckAgainRepairFlow(entry_id)
    return ConfirmRepairFlow()
