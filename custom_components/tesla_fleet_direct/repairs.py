"""Fix flows for the integration's repair issues."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.components.repairs.models import RepairsFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    QrCodeSelector,
    QrCodeSelectorConfig,
    QrErrorCorrectionLevel,
)
import voluptuous as vol

from .signing_repairs import ISSUE_PREFIX

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


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The pairing issue gets its QR flow; anything else a plain confirmation."""
    if issue_id.startswith(ISSUE_PREFIX) and data and isinstance(url := data.get("url"), str):
        return KeyPairingRepairFlow(url, str(data.get("name") or ""))
    return ConfirmRepairFlow()
