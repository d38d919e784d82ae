"""The pairing repair's fix flow: the link as a QR code, and the issue cleared on submit."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.components.repairs import ConfirmRepairFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir

from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.repairs import (
    PAIR_STEP,
    KeyPairingRepairFlow,
    async_create_fix_flow,
)
from custom_components.tesla_fleet_direct.signing_repairs import (
    async_create_key_not_paired_issue,
    issue_id,
)
from tests.common import form_schema

VIN = "7SAYGDEE0PA000002"
TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations" / "en.json"


async def test_fix_flow_shows_qr_code_for_the_car(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """The issue is fixable; its flow shows the car's pairing link as a QR code."""
    async_create_key_not_paired_issue(
        hass, vin=VIN, name="Midnight", app_domain="example.com", is_owner=True
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(VIN))
    assert issue is not None
    assert issue.is_fixable
    assert issue.data is not None

    flow = await async_create_fix_flow(hass, issue_id(VIN), dict(issue.data))
    assert isinstance(flow, KeyPairingRepairFlow)
    flow.hass = hass
    flow.handler = DOMAIN
    flow.flow_id = "fix"
    flow.issue_id = issue_id(VIN)
    result = await flow.async_step_init()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == PAIR_STEP
    link = f"https://tesla.com/_ak/example.com?vin={VIN}"
    assert result["description_placeholders"] == {"url": link, "name": "Midnight"}
    assert form_schema(result).schema["qr_code"].config["data"] == link

    result = await flow.async_step_pair({})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_issue_without_domain_is_not_fixable(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """Without a domain there is no link yet: the issue points to Reconfigure instead."""
    async_create_key_not_paired_issue(
        hass, vin=VIN, name="Midnight", app_domain=None, is_owner=True
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(VIN))
    assert issue is not None
    assert not issue.is_fixable
    assert isinstance(await async_create_fix_flow(hass, "other_issue", None), ConfirmRepairFlow)


def test_fix_flow_strings_exist() -> None:
    """The fix-flow step's texts live under issues.<key>.fix_flow (not config.step)."""
    issues = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["issues"]
    for key in ("key_not_paired", "key_not_paired_driver"):
        step = issues[key]["fix_flow"]["step"][PAIR_STEP]
        assert "{url}" in step["description"]
        assert step["data"]["qr_code"]
    assert "description" in issues["key_not_paired_no_domain"]
