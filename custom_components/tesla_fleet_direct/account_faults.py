"""Faults that outlive one poll: repair issues only the user can clear, and the sign-in request.

Every coordinator of a config entry reports its failures here, so the account has one issue per
kind of refusal however many cars and sites see it, and the issue goes away at the first request
Tesla accepts again. A 401 that survives a fresh token becomes a reauth flow only when it
persists (or when Tesla says the sign-in is gone), and that flow is withdrawn by itself if
Tesla starts accepting the token again: nothing was lost, so there is nothing to sign in for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.hass_dict import HassKey

from .api.errors import (
    AccountLockedError,
    MissingScopeError,
    MobileAccessDisabledError,
    PaymentRequiredError,
    PreconditionFailedError,
    TeslaFleetError,
)
from .application_credentials import DEVELOPER_URL
from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    # models imports this module through polling (the runtime data holds the polling).
    from .models import TeslaFleetDirectConfigEntry

# Refusals that last until the user acts are asked again this seldom: each refused request is
# billed, and the issue tells the user what to do.
USER_ACTION_RETRY_S: Final = 1800.0
# A 401 that survives a fresh token turns into a sign-in request once it has lasted this long
# over at least this many failed polls (the token manager refreshes at most every 2 minutes
# meanwhile, so that is two or more fresh tokens refused).
ACCESS_REFUSED_GRACE_S: Final = 300.0
ACCESS_REFUSED_MIN_POLLS: Final = 2
# While Home Assistant asks the user to sign in, Tesla is still asked this often: when it
# accepts the token again, the request is withdrawn.
ACCESS_REFUSED_RETRY_S: Final = 300.0

ISSUE_PAYMENT_REQUIRED: Final = "payment_required"
ISSUE_SCOPE_MISSING: Final = "scope_missing"
ISSUE_APP_NOT_REGISTERED: Final = "app_not_registered"
ISSUE_ACCOUNT_LOCKED: Final = "account_locked"
ISSUE_MOBILE_ACCESS: Final = "mobile_access_disabled"
# The issue (and exception message) key for each refusal the user can act on.
USER_ACTION_ISSUES: Final[Mapping[type[TeslaFleetError], str]] = {
    PaymentRequiredError: ISSUE_PAYMENT_REQUIRED,
    MissingScopeError: ISSUE_SCOPE_MISSING,
    PreconditionFailedError: ISSUE_APP_NOT_REGISTERED,
    AccountLockedError: ISSUE_ACCOUNT_LOCKED,
    MobileAccessDisabledError: ISSUE_MOBILE_ACCESS,
}
# Fixed outside Home Assistant; the fix flow asks Tesla again at once. A missing scope is
# fixed through Reconfigure instead, which reloads the entry anyway.
CHECK_AGAIN_ISSUES: Final = frozenset(
    {ISSUE_PAYMENT_REQUIRED, ISSUE_APP_NOT_REGISTERED, ISSUE_ACCOUNT_LOCKED, ISSUE_MOBILE_ACCESS}
)
ISSUE_DATA_ENTRY_ID: Final = "entry_id"


def user_action_issue(err: TeslaFleetError) -> str | None:
    """The repair issue for a refusal only the user can end, or None."""
    for error_type, issue in USER_ACTION_ISSUES.items():
        if isinstance(err, error_type):
            return issue
    return None


def issue_id(kind: str, entry_id: str) -> str:
    """One issue per kind of refusal and account."""
    return f"{kind}_{entry_id}"


@dataclass
class AccountFaults:
    """What the entry's coordinators saw refused, beyond the poll that saw it."""

    entry_id: str
    # Issue kind -> the coordinators (holders) that last saw it refused -> their product names.
    issues: dict[str, dict[str, str]] = field(default_factory=dict)
    # Since when every poll has met a refused access token (None: the last one was accepted).
    refused_since: float | None = None
    refused_polls: int = 0
    # A reauth flow was started by these refusals (and is withdrawn if Tesla relents).
    sign_in_requested: bool = False

    def hold(self, hass: HomeAssistant, kind: str, holder: str, product: str) -> None:
        """`holder` (one coordinator) was refused for a reason the user must fix."""
        self.issues.setdefault(kind, {})[holder] = product
        # Created again on every refusal: the user may have closed it with its fix flow.
        self._file(hass, kind)

    def release(self, hass: HomeAssistant, holder: str) -> None:
        """`holder` was answered: the issues it alone held go away."""
        for kind, holders in self.issues.items():
            if holders.pop(holder, None) is None:
                continue
            if holders:
                self._file(hass, kind)
            else:
                ir.async_delete_issue(hass, DOMAIN, issue_id(kind, self.entry_id))
                LOGGER.debug("Tesla accepts requests again; repair issue %s removed", kind)

    def _file(self, hass: HomeAssistant, kind: str) -> None:
        products = ", ".join(sorted(set(self.issues[kind].values())))
        placeholders = {
            "products": products,
            "minutes": str(round(USER_ACTION_RETRY_S / 60)),
            "developer_url": DEVELOPER_URL,
        }
        data: dict[str, Any] = {ISSUE_DATA_ENTRY_ID: self.entry_id}
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id(kind, self.entry_id),
            is_fixable=kind in CHECK_AGAIN_ISSUES,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders=placeholders,
            data=data,
        )

    def access_refused(
        self, hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry, now: float
    ) -> bool:
        """A poll met a 401 even with a fresh token; True once the user is asked to sign in."""
        if self.refused_since is None:
            self.refused_since = now
            self.refused_polls = 0
        self.refused_polls += 1
        if (
            not self.sign_in_requested
            and now - self.refused_since >= ACCESS_REFUSED_GRACE_S
            and self.refused_polls >= ACCESS_REFUSED_MIN_POLLS
        ):
            LOGGER.info(
                "Tesla has refused this account's access tokens for %d minutes; asking to sign "
                "in again (withdrawn by itself if Tesla accepts them again)",
                round((now - self.refused_since) / 60),
            )
            self._request_sign_in(hass, entry)
        return self.sign_in_requested

    def sign_in_refused(self, hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
        """Tesla answered `login_required` to a request: it says the sign-in is gone."""
        if not self.sign_in_requested:
            self._request_sign_in(hass, entry)

    def _request_sign_in(self, hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
        self.sign_in_requested = True
        entry.async_start_reauth(hass)

    def access_accepted(self, hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
        """Tesla answered a request: the token is good, no sign-in is needed after all."""
        self.refused_since = None
        self.refused_polls = 0
        if not self.sign_in_requested:
            return
        self.sign_in_requested = False
        for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH}):
            # Removing the flow also removes Home Assistant's "sign in again" repair issue.
            hass.config_entries.flow.async_abort(flow["flow_id"])
        LOGGER.info("Tesla accepts this account's access tokens again; no sign-in needed")


DATA_ACCOUNT_FAULTS: HassKey[dict[str, AccountFaults]] = HassKey(f"{DOMAIN}_account_faults")


def account_faults(hass: HomeAssistant, entry_id: str) -> AccountFaults:
    """The entry's faults (kept across a reload of the entry, like the issues they filed)."""
    by_entry = hass.data.setdefault(DATA_ACCOUNT_FAULTS, {})
    if (faults := by_entry.get(entry_id)) is None:
        faults = by_entry[entry_id] = AccountFaults(entry_id)
    return faults
