"""A failed poll -> the exception Home Assistant's coordinators expect (cars and sites alike)."""

from __future__ import annotations

from dataclasses import dataclass
import math

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api.errors import AuthenticationError, RateLimitedError, ResponseFormatError, TeslaFleetError
from .const import DOMAIN, LOGGER
from .polling import RateLimitGate

# Tesla sometimes answers 429 without a readable Retry-After; wait a full minute then.
DEFAULT_RETRY_AFTER = 60.0


@dataclass(frozen=True, slots=True)
class FailureMessages:
    """The exception translation keys of one kind of product's polls."""

    product: str
    auth_failed: str
    malformed_answer: str
    update_failed: str
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

    def blocked_by(self, err: RateLimitedError, gate: RateLimitGate) -> UpdateFailed:
        """A 429: the whole account waits for Tesla's Retry-After."""
        wait = err.retry_after if err.retry_after is not None else DEFAULT_RETRY_AFTER
        gate.block(wait)
        return self.rate_limited_for(wait)

    def failed(self, err: TeslaFleetError) -> UpdateFailed | ConfigEntryAuthFailed:
        """Any other Fleet API failure."""
        LOGGER.debug("%s request failed: %s", self.product, err)
        if isinstance(err, AuthenticationError):
            # Still refused after the client's one refresh: only signing in again helps.
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=self.auth_failed
            )
        if isinstance(err, ResponseFormatError):
            return UpdateFailed(translation_domain=DOMAIN, translation_key=self.malformed_answer)
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=self.update_failed,
            translation_placeholders={"status": str(err.status or "no answer")},
        )


VEHICLE_FAILURES = FailureMessages(
    product="Vehicle",
    auth_failed="vehicle_auth_failed",
    malformed_answer="vehicle_malformed_answer",
    update_failed="vehicle_update_failed",
    rate_limited="rate_limited",
)
ENERGY_FAILURES = FailureMessages(
    product="Energy site",
    auth_failed="energy_auth_failed",
    malformed_answer="energy_malformed_answer",
    update_failed="energy_update_failed",
    rate_limited="energy_rate_limited",
)
