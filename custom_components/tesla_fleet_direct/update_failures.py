"""A failed poll -> the exception Home Assistant's coordinators expect (cars and sites alike).

One place decides, for every error the client raises, what the user sees and how polling goes
on: the translated message, one warning per outage (Home Assistant logs the "recovered" line),
a repair issue when only the user can end the refusal (then polling slows down until Tesla
answers again), and a reauth flow only when the sign-in is really gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
import time
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .account_faults import (
    ACCESS_REFUSED_RETRY_S,
    ISSUE_ACCOUNT_LOCKED,
    ISSUE_APP_NOT_REGISTERED,
    ISSUE_MOBILE_ACCESS,
    ISSUE_PAYMENT_REQUIRED,
    ISSUE_SCOPE_MISSING,
    USER_ACTION_RETRY_S,
    account_faults,
    user_action_issue,
)
from .api.errors import (
    ForbiddenError,
    InvalidTokenError,
    LoginRequiredError,
    PrivacyRestrictedError,
    RateLimitedError,
    RateLimitWaitError,
    ResponseFormatError,
    TeslaConnectionError,
    TeslaFleetError,
)
from .api.rate_limit import DEFAULT_RETRY_AFTER
from .const import DOMAIN, LOGGER
from .token import RefreshTokenRejectedError, TokenEndpointUnavailableError

if TYPE_CHECKING:
    # models imports this module through the coordinators (part of the runtime data).
    from .models import TeslaFleetDirectConfigEntry

# The exception message of each refusal the user must act on (its repair issue has the steps).
USER_ACTION_MESSAGES: Final = {
    ISSUE_PAYMENT_REQUIRED: "poll_payment_required",
    ISSUE_SCOPE_MISSING: "poll_scope_missing",
    ISSUE_APP_NOT_REGISTERED: "poll_app_not_registered",
    ISSUE_ACCOUNT_LOCKED: "poll_account_locked",
    ISSUE_MOBILE_ACCESS: "poll_mobile_access_disabled",
}


@dataclass(frozen=True, slots=True)
class FailureMessages:
    """The exception translation keys of one kind of product's polls."""

    product: str
    auth_failed: str
    malformed_answer: str
    update_failed: str
    no_answer: str
    rate_limited: str

    def rate_limited_for(self, wait: float) -> UpdateFailed:
        """The account has to wait `wait` seconds before the next request."""
        # The coordinator schedules from a whole second plus a sub-second offset; one extra
        # second guarantees the next request never goes before Tesla's wait is over.
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=self.rate_limited,
            translation_placeholders={"seconds": str(math.ceil(wait))},
            retry_after=math.ceil(wait) + 1,
        )


VEHICLE_FAILURES = FailureMessages(
    product="Vehicle",
    auth_failed="vehicle_auth_failed",
    malformed_answer="vehicle_malformed_answer",
    update_failed="vehicle_update_failed",
    no_answer="vehicle_no_answer",
    rate_limited="rate_limited",
)
ENERGY_FAILURES = FailureMessages(
    product="Energy site",
    auth_failed="energy_auth_failed",
    malformed_answer="energy_malformed_answer",
    update_failed="energy_update_failed",
    no_answer="energy_no_answer",
    rate_limited="energy_rate_limited",
)


class PollFailures:
    """One coordinator's failed polls: exceptions, one warning per outage, repair issues."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TeslaFleetDirectConfigEntry,
        messages: FailureMessages,
        *,
        holder: str,
        product: Callable[[], str],
    ) -> None:
        """`holder` names the coordinator among the entry's; `product` its car or site name."""
        self._hass = hass
        self._entry = entry
        self.messages = messages
        self._holder = holder
        self._product = product
        # Whether the current outage was logged; Home Assistant logs its end ("recovered").
        self._outage = False

    def succeeded(self) -> None:
        """Tesla answered: the outage, refused-token streak and this product's issues end."""
        self._outage = False
        faults = account_faults(self._hass, self._entry.entry_id)
        faults.access_accepted(self._hass, self._entry)
        faults.release(self._hass, self._holder)

    def failed(self, err: TeslaFleetError) -> UpdateFailed | ConfigEntryAuthFailed:
        """Any Fleet API failure of a poll."""
        if isinstance(err, RateLimitedError):
            return self._rate_limited(err)
        if isinstance(err, RefreshTokenRejectedError):
            # The grant is lost: the token manager logged it and started reauth; polling
            # stops until the user signs in (the refresh token is never sent again).
            self._outage = True
            LOGGER.debug("%s: the refresh token was refused", self._product())
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=self.messages.auth_failed
            )
        return self._logged(self._update_failed(err), err)

    def _rate_limited(self, err: RateLimitedError) -> UpdateFailed:
        """Tesla asked the account to wait: the poll is retried once the wait is over.

        The client's transport holds every request of the account back until then.
        """
        wait = err.retry_after if err.retry_after is not None else DEFAULT_RETRY_AFTER
        failure = self.messages.rate_limited_for(wait)
        if isinstance(err, RateLimitWaitError):
            # Not sent: another request of the account met the 429 (and was logged).
            LOGGER.debug("%s waits %.0f s for Tesla's rate limit", self.messages.product, wait)
            return failure
        return self._logged(failure, err)

    def _update_failed(self, err: TeslaFleetError) -> UpdateFailed:
        messages = self.messages
        faults = account_faults(self._hass, self._entry.entry_id)
        if isinstance(err, TokenEndpointUnavailableError):
            # The token manager backs off by itself; polls meanwhile fail without a request.
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="sign_in_unavailable",
                translation_placeholders={"reason": err.reason},
            )
        if (issue := user_action_issue(err)) is not None:
            faults.hold(self._hass, issue, self._holder, self._product())
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=USER_ACTION_MESSAGES[issue],
                translation_placeholders={"minutes": str(round(USER_ACTION_RETRY_S / 60))},
                retry_after=USER_ACTION_RETRY_S,
            )
        if isinstance(err, LoginRequiredError):
            # Tesla says the sign-in is gone: ask for it, but keep asking Tesla now and then,
            # and withdraw the request if it answers after all.
            faults.sign_in_refused(self._hass, self._entry)
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=messages.auth_failed,
                retry_after=ACCESS_REFUSED_RETRY_S,
            )
        if isinstance(err, InvalidTokenError):
            # Refused even after the client's refresh: often Tesla's hiccup, so retried; a
            # sign-in is asked for only if it persists.
            asked = faults.access_refused(self._hass, self._entry, time.time())
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="access_refused",
                retry_after=ACCESS_REFUSED_RETRY_S if asked else None,
            )
        if isinstance(err, (ForbiddenError, PrivacyRestrictedError)):
            # Refused for a reason no retry and no setting here changes (unsupported car,
            # the owner's privacy settings): asked seldom, each refusal is billed.
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="poll_refused",
                translation_placeholders={
                    "status": str(err.status),
                    "minutes": str(round(USER_ACTION_RETRY_S / 60)),
                },
                retry_after=USER_ACTION_RETRY_S,
            )
        if isinstance(err, ResponseFormatError):
            return UpdateFailed(
                translation_domain=DOMAIN, translation_key=messages.malformed_answer
            )
        if isinstance(err, TeslaConnectionError) or err.status is None:
            return UpdateFailed(translation_domain=DOMAIN, translation_key=messages.no_answer)
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=messages.update_failed,
            translation_placeholders={"status": str(err.status)},
        )

    def _logged(self, failure: UpdateFailed, err: TeslaFleetError) -> UpdateFailed:
        """A warning when an outage starts; debug for the rest of it."""
        if self._outage:
            LOGGER.debug("%s still failing: %s (%s)", self._product(), failure, err)
        else:
            self._outage = True
            LOGGER.warning("%s: %s", self._product(), failure)
            LOGGER.debug("%s failed with %r", self._product(), err)
        return failure


class TeslaPollingCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator whose failures `PollFailures` logs, as a warning once per outage.

    Home Assistant would log each outage's first failure at ERROR; a Tesla outage is neither
    the integration's error nor the user's, and the warning names the car or site. It also
    tells the entities only when the first poll fails, and polls may be far apart (slowed, or
    stopped until the user signs in): so the moment the kept data turns stale is a timer of
    its own.
    """

    _stale_timer: CALLBACK_TYPE | None = None

    def seconds_until_stale(self) -> float | None:
        """How long the entities may still show the kept data; None when there is none."""
        return None

    @callback
    def async_failed(self) -> None:
        """A poll failed: the entities hear about it again when the kept data turns stale."""
        self._cancel_stale_timer()
        wait = self.seconds_until_stale()
        if wait is None:
            return
        if wait <= 0:
            self.async_update_listeners()
            return

        @callback
        def _stale(_now: Any) -> None:
            self._stale_timer = None
            self.async_update_listeners()

        # A second past the limit: until then the data still counts as fresh.
        self._stale_timer = async_call_later(self.hass, wait + 1, _stale)

    @callback
    def async_succeeded(self) -> None:
        """A poll succeeded: no stale moment to announce."""
        self._cancel_stale_timer()

    def _cancel_stale_timer(self) -> None:
        if self._stale_timer is not None:
            self._stale_timer()
            self._stale_timer = None

    @override
    async def async_shutdown(self) -> None:
        self._cancel_stale_timer()
        await super().async_shutdown()

    @override
    async def _async_refresh(
        self,
        log_failures: bool = True,
        raise_on_auth_failed: bool = False,
        scheduled: bool = False,
        raise_on_entry_error: bool = False,
    ) -> None:
        await super()._async_refresh(
            log_failures=False,
            raise_on_auth_failed=raise_on_auth_failed,
            scheduled=scheduled,
            raise_on_entry_error=raise_on_entry_error,
        )
