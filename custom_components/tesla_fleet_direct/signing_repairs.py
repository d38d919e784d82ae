"""Repair issues and user-facing errors when a car refuses our signed commands."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from .api.signing import (
    InsufficientPrivilegesError,
    KeyNotPairedError,
    ResponseVerificationError,
    SessionSyncError,
    SigningError,
)
from .api.signing.hosting import pairing_url
from .const import DOMAIN

ISSUE_PREFIX = "key_not_paired"


def issue_id(vin: str) -> str:
    """One issue per car, so fixing one car clears only its issue."""
    return f"{ISSUE_PREFIX}_{vin}"


@callback
def async_create_key_not_paired_issue(
    hass: HomeAssistant, *, vin: str, name: str, app_domain: str | None, is_owner: bool
) -> None:
    """Tell the user how to add the virtual key (or that the owner must)."""
    if app_domain is None:
        key = "key_not_paired_no_domain"
        placeholders = {"name": name}
    else:
        key = "key_not_paired" if is_owner else "key_not_paired_driver"
        placeholders = {"name": name, "url": pairing_url(app_domain, vin)}
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(vin),
        # With a domain, the fix flow (repairs.py) shows the pairing link as a QR code.
        is_fixable=app_domain is not None,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=key,
        translation_placeholders=placeholders,
        data=dict(placeholders) if app_domain is not None else None,
    )


@callback
def async_clear_key_not_paired_issue(hass: HomeAssistant, vin: str) -> None:
    """A signed command went through: the key is paired now."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(vin))


@callback
def async_signing_error(
    hass: HomeAssistant,
    err: SigningError,
    *,
    vin: str,
    name: str,
    app_domain: str | None,
    is_owner: bool,
) -> HomeAssistantError:
    """Map a signing failure to the translated error a command raises (and file repairs)."""
    if isinstance(err, KeyNotPairedError):
        async_create_key_not_paired_issue(
            hass, vin=vin, name=name, app_domain=app_domain, is_owner=is_owner
        )
        key = "key_not_paired" if is_owner else "key_not_paired_driver"
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key=key, translation_placeholders={"name": name}
        )
    if isinstance(err, InsufficientPrivilegesError):
        key = "key_insufficient_privileges"
    elif isinstance(err, SessionSyncError):
        key = "signing_session_failed"
    elif isinstance(err, ResponseVerificationError):
        key = "signed_response_invalid"
    else:
        key = "signed_command_rejected"
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"name": name, "error": str(err)},
    )
