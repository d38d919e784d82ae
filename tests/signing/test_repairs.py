"""What the user sees when a car refuses the app's key: a repair issue with the pairing link."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.tesla_fleet_direct.api.signing import (
    InsufficientPrivilegesError,
    KeyNotPairedError,
    ResponseVerificationError,
    SessionSyncError,
    VehicleFaultError,
)
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.signing_repairs import (
    async_clear_key_not_paired_issue,
    async_signing_error,
    issue_id,
)

VIN = "7SAYGDEE0PA000002"


async def test_unpaired_owner_gets_repair_with_pairing_link(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """The owner is sent to the Tesla-app link for this car, not shown a protocol fault."""
    error = async_signing_error(
        hass,
        KeyNotPairedError("MESSAGEFAULT_ERROR_UNKNOWN_KEY_ID"),
        vin=VIN,
        name="Model Y",
        app_domain="example.com",
        is_owner=True,
    )
    assert error.translation_key == "key_not_paired"
    assert "MESSAGEFAULT" not in str(error.translation_placeholders)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(VIN))
    assert issue is not None
    assert issue.translation_key == "key_not_paired"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "name": "Model Y",
        "url": f"https://tesla.com/_ak/example.com?vin={VIN}",
    }

    async_clear_key_not_paired_issue(hass, VIN)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(VIN)) is None


async def test_driver_is_told_the_owner_must_pair(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """A driver account cannot add keys; the message says who can."""
    error = async_signing_error(
        hass,
        KeyNotPairedError("x"),
        vin=VIN,
        name="Model Y",
        app_domain="example.com",
        is_owner=False,
    )
    assert error.translation_key == "key_not_paired_driver"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(VIN))
    assert issue is not None
    assert issue.translation_key == "key_not_paired_driver"


async def test_without_domain_the_issue_points_to_set_up(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry
) -> None:
    """Before signing is set up there is no link yet; the issue says where to start."""
    async_signing_error(
        hass, KeyNotPairedError("x"), vin=VIN, name="Model Y", app_domain=None, is_owner=True
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(VIN))
    assert issue is not None
    assert issue.translation_key == "key_not_paired_no_domain"
    assert issue.translation_placeholders == {"name": "Model Y"}


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (InsufficientPrivilegesError("x"), "key_insufficient_privileges"),
        (SessionSyncError("MESSAGEFAULT_ERROR_TIME_EXPIRED"), "signing_session_failed"),
        (ResponseVerificationError("tag"), "signed_response_invalid"),
        (VehicleFaultError(11), "signed_command_rejected"),
    ],
)
async def test_other_failures_raise_translated_errors_without_issue(
    hass: HomeAssistant, issue_registry: ir.IssueRegistry, error: Exception, key: str
) -> None:
    """Transient or role problems are command errors, not repair issues."""
    assert isinstance(
        error,
        InsufficientPrivilegesError
        | SessionSyncError
        | ResponseVerificationError
        | VehicleFaultError,
    )
    mapped = async_signing_error(
        hass, error, vin=VIN, name="Model Y", app_domain="example.com", is_owner=True
    )
    assert mapped.translation_key == key
    assert mapped.translation_domain == DOMAIN
    assert issue_registry.async_get_issue(DOMAIN, issue_id(VIN)) is None
