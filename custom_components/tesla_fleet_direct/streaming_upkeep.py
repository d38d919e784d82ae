"""Keeping the cars' Fleet Telemetry configuration true: send, re-send, check, delete.

The set-up flow (`streaming_setup.py`) sends the first configuration; from then on, every
`CHECK_EVERY`, this module re-sends it when its `exp` is less than `RESEND_BEFORE` away or when
the server's certificate chain changed, and at no other time: Tesla says configurations are
meant to be fairly static, frequent changes have been ignored, and a send can wake a car
(/work/shared/docs/fleet-telemetry.md). Once a day it asks Tesla whether each car still holds
the configuration and which errors the cars reported, and files a repair issue for each
lasting failure: errors reported since the last send, a configuration the car dropped, a
server certificate about to expire. Removing the entry or turning streaming off deletes the
configurations. The settings live in the entry's data (`streaming`), the times in them are
Home Assistant's clock (`dt_util`), so tests move them with the freezer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import ssl
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import async_get_config_entry_implementation
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.ssl import client_context, create_client_context

from .api import TeslaFleetClient
from .api.errors import TeslaFleetError
from .api.models import FleetStatus
from .api.telemetry import telemetry_config
from .app_key import async_get_app_key
from .const import CONF_BASE_URL, CONF_REGION, DOMAIN, LOGGER
from .endpoints import get_endpoints
from .models import TeslaFleetDirectConfigEntry
from .telemetry_server import Resolver, ServerChain, ServerCheckError, check_server
from .token import TeslaTokenManager

CONF_STREAMING: Final = "streaming"
# Each configuration lives 30 days and is re-sent in its last week: public projects re-send
# about weekly for a ~30-day expiry (fleet-telemetry.md); a week's margin covers a Home
# Assistant that is off for days, a re-send every ~23 days keeps the car's config static.
EXPIRY: Final = timedelta(days=30)
RESEND_BEFORE: Final = timedelta(days=7)
CHECK_EVERY: Final = timedelta(hours=6)
HEALTH_EVERY: Final = timedelta(days=1)
# Let's Encrypt renews 30 days ahead: two weeks left means the renewal failed.
CERT_WARNING: Final = timedelta(days=14)
FIRMWARE_NEEDED: Final = "2024.26"
FIRMWARE_NEEDED_INTEL_ATOM: Final = "2025.20"

# A car's state after a send or a check. The first three took the configuration.
STREAMING: Final = "streaming"
PENDING: Final = "pending"
LIMIT_REACHED: Final = "limit_reached"
DROPPED: Final = "dropped"
NEEDS_TOGGLE: Final = "needs_toggle"
TOOK_CONFIG: Final = frozenset({STREAMING, PENDING, LIMIT_REACHED, DROPPED})

ISSUE_ERRORS: Final = "streaming_errors"
ISSUE_DROPPED: Final = "streaming_config_dropped"
ISSUE_CERTIFICATE: Final = "streaming_certificate_expiring"


@dataclass(frozen=True, slots=True)
class ServerProbe:
    """How the server checks connect: the trust store and the resolver (tests swap both)."""

    trust: ssl.SSLContext | None = None  # None: Home Assistant's client context (certifi)
    resolve: Resolver | None = None  # None: the event loop's getaddrinfo


DATA_PROBE: HassKey[ServerProbe] = HassKey(f"{DOMAIN}_streaming_probe")


def _trust_also(cafile: str) -> ssl.SSLContext:
    """Home Assistant's trust store (certifi) plus the CA certificates in `cafile`."""
    context = create_client_context()
    context.load_verify_locations(cafile=cafile)
    return context


async def async_trust_also(hass: HomeAssistant, cafile: str) -> None:
    """Let the server checks trust one more CA (the dev configuration's `telemetry_trust`).

    The dev instance runs a telemetry server whose certificate comes from its own CA; nothing
    else sets this. A file that cannot be read leaves the trust store as it is.
    """
    try:
        trust = await hass.async_add_executor_job(_trust_also, cafile)
    except (OSError, ssl.SSLError) as err:
        LOGGER.error("Cannot read the telemetry CA file %s: %s", cafile, err)
        return
    hass.data[DATA_PROBE] = ServerProbe(trust=trust)
    LOGGER.warning("Streaming server checks also trust the CA in %s (dev configuration)", cafile)


async def async_check_server(
    hass: HomeAssistant, hostname: str, port: int, pasted_ca: str | None = None
) -> ServerChain:
    """The server checks with Home Assistant's trust store (ServerCheckError on failure)."""
    probe = hass.data.get(DATA_PROBE) or ServerProbe()
    # Cached after its first use; creating it reads certifi's bundle from disk.
    trust = probe.trust
    if trust is None:
        trust = await hass.async_add_executor_job(client_context)
    return await check_server(hostname, port, trust, pasted_ca=pasted_ca, resolve=probe.resolve)


@dataclass(frozen=True, slots=True)
class StreamingSettings:
    """What the user chose, and what was last sent and seen (entry data `streaming`)."""

    hostname: str
    port: int
    ca: str
    ca_from_host: bool
    topic_base: str
    groups: tuple[str, ...]
    budget: float
    fields: Mapping[str, int]
    chain: str = ""  # fingerprint of `ca`
    cert_not_after: float | None = None
    exp: int = 0
    sent_at: float = 0.0
    checked_at: float = 0.0
    cars: Mapping[str, str] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        """JSON for the entry's data."""
        return {
            "hostname": self.hostname,
            "port": self.port,
            "ca": self.ca,
            "ca_from_host": self.ca_from_host,
            "topic_base": self.topic_base,
            "groups": list(self.groups),
            "budget": self.budget,
            "fields": dict(self.fields),
            "chain": self.chain,
            "cert_not_after": self.cert_not_after,
            "exp": self.exp,
            "sent_at": self.sent_at,
            "checked_at": self.checked_at,
            "cars": dict(self.cars),
        }

    @classmethod
    def from_entry(cls, entry: TeslaFleetDirectConfigEntry) -> StreamingSettings | None:
        """The entry's settings; None when streaming is not set up (or the data is damaged)."""
        data = entry.data.get(CONF_STREAMING)
        if not isinstance(data, Mapping):
            return None
        try:
            return cls(
                hostname=str(data["hostname"]),
                port=int(data["port"]),
                ca=str(data["ca"]),
                ca_from_host=bool(data.get("ca_from_host", True)),
                topic_base=str(data.get("topic_base", "")),
                groups=tuple(str(g) for g in data.get("groups", ())),
                budget=float(data.get("budget", 0.0)),
                fields={str(k): int(v) for k, v in dict(data["fields"]).items()},
                chain=str(data.get("chain", "")),
                cert_not_after=(
                    float(data["cert_not_after"])
                    if data.get("cert_not_after") is not None
                    else None
                ),
                exp=int(data.get("exp", 0)),
                sent_at=float(data.get("sent_at", 0.0)),
                checked_at=float(data.get("checked_at", 0.0)),
                cars={str(k): str(v) for k, v in dict(data.get("cars", {})).items()},
            )
        except KeyError, TypeError, ValueError:
            LOGGER.warning("The streaming settings of %s are damaged; set it up again", entry.title)
            return None

    def with_chain(self, chain: ServerChain) -> StreamingSettings:
        """The server's current chain (read from it) and certificate expiry."""
        return replace(
            self,
            ca=chain.ca if self.ca_from_host else self.ca,
            chain=chain.fingerprint if self.ca_from_host else self.chain,
            cert_not_after=chain.not_after.timestamp(),
        )


def now_ts() -> float:
    """Home Assistant's clock (moved by tests' freezer)."""
    return dt_util.utcnow().timestamp()


def _firmware_tuple(version: str | None) -> tuple[int, ...]:
    parts = (version or "").split(" ", maxsplit=1)[0].split(".")
    try:
        return tuple(int(p) for p in parts if p)
    except ValueError:
        return ()


def firmware_needed(status: FleetStatus | None, vin: str) -> str:
    """The firmware `vin` needs to stream: Intel Atom Model S/X (they report the toggle) more."""
    info = status.vehicle_info.get(vin) if status is not None else None
    intel_atom = info is not None and info.safety_screen_streaming_toggle_enabled is not None
    return FIRMWARE_NEEDED_INTEL_ATOM if intel_atom else FIRMWARE_NEEDED


def _skipped_state(reason: str, status: FleetStatus | None, vin: str, previous: str | None) -> str:
    """Tesla's skip reason, made precise with what fleet_status says (or said) about the car."""
    if reason != "missing_key":
        return reason
    info = status.vehicle_info.get(vin) if status is not None else None
    if info is None:
        # A re-send asks no fleet_status: what the set-up found still holds.
        return NEEDS_TOGGLE if previous == NEEDS_TOGGLE else reason
    # Intel Atom Model S/X take no key for streaming: the in-car toggle instead.
    return NEEDS_TOGGLE if info.safety_screen_streaming_toggle_enabled is False else reason


async def async_send(
    hass: HomeAssistant,
    client: TeslaFleetClient,
    settings: StreamingSettings,
    vins: Sequence[str],
    *,
    status: FleetStatus | None = None,
) -> tuple[StreamingSettings, dict[str, str]]:
    """Sign and send the configuration to `vins`; the settings as sent and each car's state.

    Cars Tesla counted as updated are `pending` until a read finds them streaming. Raises
    TeslaFleetError (nothing is recorded then).
    """
    app_key = await async_get_app_key(hass)
    now = now_ts()
    exp = int(now + EXPIRY.total_seconds())
    claims = telemetry_config(
        hostname=settings.hostname,
        port=settings.port,
        ca=settings.ca,
        fields=settings.fields,
        exp=exp,
    )
    result = await client.telemetry.configure_signed(vins, app_key.private_key, claims)
    states = {
        vin: PENDING
        if (reason := result.reason(vin)) is None
        else _skipped_state(reason, status, vin, settings.cars.get(vin))
        for vin in vins
    }
    sent = replace(settings, exp=exp, sent_at=now, cars=states)
    return sent, states


async def async_read_states(client: TeslaFleetClient, states: Mapping[str, str]) -> dict[str, str]:
    """Ask each car that took the configuration whether it runs it now."""
    current = dict(states)
    for vin, state in states.items():
        if state not in TOOK_CONFIG:
            continue
        config = await client.telemetry.config(vin)
        if config.state == "active":
            current[vin] = STREAMING
        elif config.state == "pending":
            current[vin] = PENDING
        elif config.limit_reached or state == LIMIT_REACHED:
            current[vin] = LIMIT_REACHED
        else:
            # In sync but holding nothing: deleted, expired or refused since the last read.
            current[vin] = DROPPED if state in (STREAMING, DROPPED) else LIMIT_REACHED
    return current


async def async_delete_configs(client: TeslaFleetClient, vins: Iterable[str]) -> int:
    """Delete the configuration from each car; how many held one (failures are logged)."""
    deleted = 0
    for vin in vins:
        try:
            deleted += await client.telemetry.delete(vin)
        except TeslaFleetError as err:
            LOGGER.warning("Could not delete the streaming configuration of %s: %s", vin, err)
    return deleted


def car_names(entry: TeslaFleetDirectConfigEntry) -> dict[str, str]:
    """VIN -> the car's name (the VIN when it has none) from the last products read."""
    return {v.vin: v.display_name or v.vin for v in entry.runtime_data.products.vehicles}


# --- repair issues --------------------------------------------------------------------------


def _issue_id(kind: str, key: str) -> str:
    return f"{kind}_{key}"


def clear_issues(hass: HomeAssistant, entry_id: str, vins: Iterable[str]) -> None:
    """Remove every streaming issue of the entry (streaming off or entry removed)."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_CERTIFICATE, entry_id))
    for vin in vins:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_ERRORS, vin))
        ir.async_delete_issue(hass, DOMAIN, _issue_id(ISSUE_DROPPED, vin))


def _update_certificate_issue(
    hass: HomeAssistant, entry_id: str, settings: StreamingSettings, now: float
) -> None:
    issue = _issue_id(ISSUE_CERTIFICATE, entry_id)
    expires = settings.cert_not_after
    if expires is None or expires - now > CERT_WARNING.total_seconds():
        ir.async_delete_issue(hass, DOMAIN, issue)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue,
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_CERTIFICATE,
        translation_placeholders={
            "hostname": settings.hostname,
            "date": datetime.fromtimestamp(expires, UTC).date().isoformat(),
        },
    )


def _update_car_issues(
    hass: HomeAssistant,
    settings: StreamingSettings,
    names: Mapping[str, str],
    errors: Mapping[str, str] | None,
) -> None:
    """Dropped configurations from the cars' states; errors only when they were read."""
    for vin, state in settings.cars.items():
        name = names.get(vin, vin)
        dropped = _issue_id(ISSUE_DROPPED, vin)
        if state == DROPPED:
            ir.async_create_issue(
                hass,
                DOMAIN,
                dropped,
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_DROPPED,
                translation_placeholders={"name": name},
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, dropped)
        if errors is None:
            continue
        failing = _issue_id(ISSUE_ERRORS, vin)
        if vin in errors:
            ir.async_create_issue(
                hass,
                DOMAIN,
                failing,
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_ERRORS,
                translation_placeholders={
                    "name": name,
                    "error": errors[vin],
                    "server": f"{settings.hostname}:{settings.port}",
                },
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, failing)


# --- the schedule ---------------------------------------------------------------------------


class StreamingUpkeep:
    """One entry's periodic re-send and health check."""

    def __init__(self, hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
        """Bound to a loaded entry (its client, gate and cars)."""
        self._hass = hass
        self._entry = entry
        self._lock = asyncio.Lock()

    async def async_tick(self, _now: datetime | None = None) -> None:
        """Re-send if due, check the cars once a day, keep the issues current."""
        if self._lock.locked():
            return
        async with self._lock:
            settings = StreamingSettings.from_entry(self._entry)
            if settings is None or self._entry.runtime_data.polling.gate.remaining() > 0:
                return
            await self._async_tick(settings)

    async def _async_tick(self, settings: StreamingSettings) -> None:
        data = self._entry.runtime_data
        # Read now: Home Assistant deletes the runtime data if the entry unloads meanwhile.
        names = car_names(self._entry)
        now = now_ts()
        # What would be sent: the server's current chain when it is read from the server.
        candidate = settings
        try:
            chain = await async_check_server(self._hass, settings.hostname, settings.port)
        except ServerCheckError as err:
            # The cars report what they cannot reach (fleet_telemetry_errors, checked below).
            LOGGER.debug("Streaming server check failed: %s (%s)", err.key, err.detail)
        else:
            candidate = settings.with_chain(chain)
            # Only the expiry is kept now: the new chain counts once it was sent.
            settings = replace(settings, cert_not_after=candidate.cert_not_after)
        _update_certificate_issue(self._hass, self._entry.entry_id, settings, now)
        changed_chain = candidate.chain != settings.chain
        expiring = settings.exp - now <= RESEND_BEFORE.total_seconds()
        vins = list(data.vehicles.coordinators) or list(settings.cars)
        errors: dict[str, str] | None = None
        try:
            if (changed_chain or expiring) and vins:
                LOGGER.debug(
                    "Re-sending the streaming configuration (%s)",
                    "new certificate chain" if changed_chain else "expires soon",
                )
                settings, _states = await async_send(self._hass, data.client, candidate, vins)
            elif now - settings.checked_at >= HEALTH_EVERY.total_seconds():
                # A car whose stream reached Home Assistant since the last check holds the
                # configuration and reaches the server: asking Tesla would pay for what the
                # stream already told.
                heard = self._heard_since(settings.checked_at)
                unheard = {v: s for v, s in settings.cars.items() if v not in heard}
                cars = {**settings.cars, **dict.fromkeys(heard, STREAMING)}
                cars.update(await async_read_states(data.client, unheard))
                errors = await self._async_errors(replace(settings, cars=unheard))
                settings = replace(settings, cars=cars, checked_at=now)
        except TeslaFleetError as err:
            # Retried at the next tick: the last week before `exp` leaves room for that.
            LOGGER.warning("Keeping the streaming configuration current failed: %s", err)
        _update_car_issues(self._hass, settings, names, errors)
        self._save(settings)

    def _heard_since(self, moment: float) -> set[str]:
        """The streaming cars whose stream sent a record since `moment` (epoch seconds)."""
        stream = self._entry.runtime_data.stream
        if stream is None:
            return set()
        return {
            vin
            for vin, watch in stream.watches.items()
            if vin in self._entry.runtime_data.vehicles.coordinators
            and watch.last_record is not None
            and watch.last_record >= moment
        }

    async def _async_errors(self, settings: StreamingSettings) -> dict[str, str]:
        """Per car, the newest error reported since the last send."""
        found: dict[str, str] = {}
        for vin, state in settings.cars.items():
            if state not in TOOK_CONFIG:
                continue
            recent = [
                e
                for e in await self._entry.runtime_data.client.telemetry.errors(vin)
                if e.created_at is None or e.created_at.timestamp() >= settings.sent_at
            ]
            if recent:
                found[vin] = recent[-1].error
        return found

    def _save(self, settings: StreamingSettings) -> None:
        if StreamingSettings.from_entry(self._entry) is None:
            return  # turned off meanwhile
        self._hass.config_entries.async_update_entry(
            self._entry, data={**self._entry.data, CONF_STREAMING: settings.to_data()}
        )


def async_start_upkeep(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
    """Schedule the upkeep; a tick finds nothing to do until streaming is set up.

    Always scheduled, so setting streaming up (or off) needs no reload of the entry.
    """
    upkeep = StreamingUpkeep(hass, entry)
    entry.async_on_unload(
        async_track_time_interval(
            hass, upkeep.async_tick, CHECK_EVERY, name=f"{DOMAIN} streaming upkeep"
        )
    )


async def async_remove_streaming(hass: HomeAssistant, entry: TeslaFleetDirectConfigEntry) -> None:
    """The entry is being removed: delete its cars' configurations and its issues."""
    settings = StreamingSettings.from_entry(entry)
    if settings is None:
        return
    clear_issues(hass, entry.entry_id, settings.cars)
    took = [vin for vin, state in settings.cars.items() if state in TOOK_CONFIG]
    if not took:
        return
    try:
        implementation = await async_get_config_entry_implementation(hass, entry)
    except (HomeAssistantError, ValueError) as err:
        LOGGER.warning("Streaming configurations left on the cars (no credentials): %s", err)
        return
    endpoints = get_endpoints(hass)
    client = TeslaFleetClient(
        async_get_clientsession(hass),
        TeslaTokenManager(hass, entry, implementation),
        base_url=endpoints.base_urls.get(str(entry.data.get(CONF_REGION) or ""))
        or entry.data.get(CONF_BASE_URL),
        region_urls=endpoints.base_urls,
        trusted_hosts=endpoints.trusted_hosts,
    )
    await async_delete_configs(client, took)
