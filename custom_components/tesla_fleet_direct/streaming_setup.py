"""Config-flow steps that set up streaming (Fleet Telemetry): server, fields, the cars' answer.

Reached from the reconfigure menu (`streaming`) once signed commands are set up: the
configuration is signed with the same app key Tesla registered for the domain. Each live check
fails with its own message: the server's name resolves and its port answers TLS, the
certificate is valid for the name and from a commonly trusted CA (`telemetry_server.py`), Home
Assistant's MQTT integration is set up, then, per car, the key is paired and the firmware new
enough (`fleet_status`) and the car took the configuration (`synced`, config not null). Cars
that cannot stream are listed with what to do; they keep polling. Sending saves the settings in
the entry at once (the cars hold the configuration from then on), so `streaming_upkeep.py` keeps
it current and removal deletes it even if the summary is never confirmed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState, ConfigFlow, ConfigFlowResult
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)
from homeassistant.helpers.translation import async_get_translations
import voluptuous as vol

from .api.errors import PreconditionFailedError, TeslaFleetError
from .api.signing.hosting import pairing_url
from .const import DOMAIN, LOGGER
from .models import TeslaFleetDirectConfigEntry
from .signing_setup import CONF_APP_DOMAIN
from .streaming_upkeep import (
    CONF_STREAMING,
    TOOK_CONFIG,
    StreamingSettings,
    async_check_server,
    async_delete_configs,
    async_read_states,
    async_send,
    car_names,
    clear_issues,
    firmware_needed,
    now_ts,
)
from .telemetry_fields import DEFAULT_GROUPS, FieldGroup, cheapest, plan
from .telemetry_server import ServerChain, ServerCheckError

CONF_HOSTNAME: Final = "hostname"
CONF_PORT: Final = "port"
CONF_CA: Final = "ca"
CONF_TOPIC_BASE: Final = "topic_base"
CONF_GROUPS: Final = "groups"
CONF_BUDGET: Final = "budget"
DEFAULT_PORT: Final = 443
# The MQTT dispatcher's example topic base (fleet-telemetry datastore/mqtt/README.md).
DEFAULT_TOPIC_BASE: Final = "telemetry"
# Per car and month; the default field set costs about half of it (telemetry_fields.py).
DEFAULT_BUDGET_USD: Final = 1.0
MAX_BUDGET_USD: Final = 100.0
MQTT_DOMAIN: Final = "mqtt"
STREAMING_SCOPE: Final = "vehicle_device_data"
# The summary's per-car lines (selector translations, as the scopes list is).
CAR_STATE_SELECTOR: Final = "streaming_car_state"


class StreamingSetupFlowMixin(ConfigFlow):
    """Steps `streaming` -> `streaming_server` -> `streaming_fields` -> `streaming_cars`.

    Also `streaming_off`. Mix into the integration's flow handler; used from reconfigure.
    """

    _stream_server: dict[str, Any] | None = None
    _stream_chain: ServerChain | None = None
    _stream_summary: str = ""
    # The entry whose streaming settings this flow changed (reloaded when the flow ends).
    _stream_reload: str | None = None

    def _streaming_entry(self) -> TeslaFleetDirectConfigEntry:
        entry: TeslaFleetDirectConfigEntry = self._get_reconfigure_entry()
        return entry

    async def async_step_streaming(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What streaming needs before anything is asked; then set it up, change or end it."""
        entry = self._streaming_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="streaming_not_loaded")
        if not entry.data.get(CONF_APP_DOMAIN):
            # The configuration is signed with the app key Tesla holds for the domain.
            return self.async_abort(reason="streaming_needs_signing")
        if STREAMING_SCOPE not in entry.runtime_data.scopes:
            return self.async_abort(reason="streaming_needs_scope")
        if not entry.runtime_data.products.vehicles:
            return self.async_abort(reason="streaming_no_cars")
        if StreamingSettings.from_entry(entry) is not None:
            return self.async_show_menu(
                step_id="streaming", menu_options=["streaming_server", "streaming_off"]
            )
        return await self.async_step_streaming_server()

    # --- the server ---------------------------------------------------------------------

    async def async_step_streaming_server(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Host name, port, chain and topic base; checked live before going on."""
        entry = self._streaming_entry()
        current = StreamingSettings.from_entry(entry)
        errors: dict[str, str] = {}
        placeholders = {"detail": ""}
        if user_input is not None:
            server = _server_input(user_input)
            if server is None:
                errors[CONF_HOSTNAME] = "streaming_hostname_invalid"
            elif not _topic_ok(server[CONF_TOPIC_BASE]):
                errors[CONF_TOPIC_BASE] = "streaming_topic_invalid"
            else:
                try:
                    chain = await async_check_server(
                        self.hass, server[CONF_HOSTNAME], server[CONF_PORT], server[CONF_CA]
                    )
                except ServerCheckError as err:
                    LOGGER.debug("Streaming server check: %s (%s)", err.key, err.detail)
                    errors["base"] = err.key
                    placeholders["detail"] = err.detail
                else:
                    if not self.hass.config_entries.async_loaded_entries(MQTT_DOMAIN):
                        errors["base"] = "streaming_mqtt_missing"
                    else:
                        self._stream_server = server
                        self._stream_chain = chain
                        return await self.async_step_streaming_fields()
        suggested = user_input
        if suggested is None and current is not None:
            suggested = {
                CONF_HOSTNAME: current.hostname,
                CONF_PORT: current.port,
                CONF_TOPIC_BASE: current.topic_base,
                **({} if current.ca_from_host else {CONF_CA: current.ca}),
            }
        schema = vol.Schema(
            {
                vol.Required(CONF_HOSTNAME): TextSelector(),
                vol.Required(CONF_PORT, default=DEFAULT_PORT): NumberSelector(
                    NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
                ),
                vol.Optional(CONF_CA): TextSelector(TextSelectorConfig(multiline=True)),
                vol.Required(CONF_TOPIC_BASE, default=DEFAULT_TOPIC_BASE): TextSelector(),
            }
        )
        return self.async_show_form(
            step_id="streaming_server",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    # --- the fields and their cost ------------------------------------------------------

    async def async_step_streaming_fields(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Which fields, and the monthly budget per car their intervals are fitted to."""
        server, chain = self._stream_server, self._stream_chain
        if server is None or chain is None:
            return await self.async_step_streaming_server()
        entry = self._streaming_entry()
        current = StreamingSettings.from_entry(entry)
        groups = list(current.groups if current is not None else DEFAULT_GROUPS)
        budget = current.budget if current is not None else DEFAULT_BUDGET_USD
        errors: dict[str, str] = {}
        placeholders = {"detail": ""}
        if user_input is not None:
            groups = [g for g in user_input.get(CONF_GROUPS, []) if g in set(FieldGroup)]
            budget = float(user_input.get(CONF_BUDGET, budget))
            chosen = plan(groups, budget) if groups else None
            if not groups:
                errors[CONF_GROUPS] = "streaming_no_fields"
            elif chosen is None:
                errors[CONF_BUDGET] = "streaming_budget_too_small"
            else:
                settings = StreamingSettings(
                    hostname=server[CONF_HOSTNAME],
                    port=server[CONF_PORT],
                    ca=chain.ca,
                    ca_from_host=server[CONF_CA] is None,
                    topic_base=server[CONF_TOPIC_BASE],
                    groups=tuple(groups),
                    budget=budget,
                    fields=chosen.intervals,
                    chain=chain.fingerprint,
                    cert_not_after=chain.not_after.timestamp(),
                )
                try:
                    return await self._async_send(entry, settings)
                except PreconditionFailedError as err:
                    LOGGER.debug("Tesla refused the streaming configuration: %s", err)
                    errors["base"] = "streaming_app_not_registered"
                except TeslaFleetError as err:
                    LOGGER.debug("Sending the streaming configuration failed: %s", err)
                    errors["base"] = "streaming_send_failed"
                    placeholders["detail"] = str(err)
        shown = (plan(groups, budget) if groups else None) or cheapest(groups)
        cars = len(entry.runtime_data.products.vehicles)
        placeholders |= {
            "signals": f"{round(shown.signals):,}",
            "cost": f"{shown.cost:.2f}",
            "cars": str(cars),
            "total": f"{shown.cost * cars:.2f}",
            "minimum": f"{cheapest(groups).cost:.2f}",
        }
        schema = vol.Schema(
            {
                vol.Required(CONF_GROUPS, default=groups): SelectSelector(
                    SelectSelectorConfig(
                        options=[g.value for g in FieldGroup],
                        multiple=True,
                        mode=SelectSelectorMode.LIST,
                        translation_key="streaming_groups",
                    )
                ),
                vol.Required(CONF_BUDGET, default=budget): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=MAX_BUDGET_USD,
                        step=0.05,
                        unit_of_measurement="USD",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="streaming_fields",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_send(
        self, entry: TeslaFleetDirectConfigEntry, settings: StreamingSettings
    ) -> ConfigFlowResult:
        """fleet_status, send, read back; save at once, then show each car's outcome."""
        client = entry.runtime_data.client
        vins = [v.vin for v in entry.runtime_data.products.vehicles]
        status = await client.fleet_status(vins)
        sent, states = await async_send(self.hass, client, settings, vins, status=status)
        # Saved before anything else can fail: the cars hold the configuration now.
        self._save_streaming(entry, sent)
        try:
            states = await async_read_states(client, states)
        except TeslaFleetError as err:
            # The cars that took it show as waiting; the daily check reads them later.
            LOGGER.debug("Reading the cars' telemetry configuration failed: %s", err)
        else:
            self._save_streaming(entry, replace(sent, cars=states, checked_at=now_ts()))
        labels = await self._async_car_labels()
        names = car_names(entry)
        domain = str(entry.data.get(CONF_APP_DOMAIN))
        lines = []
        for vin, state in states.items():
            label = labels.get(state) or labels.get("skipped", state)
            extra = ""
            if state == "unsupported_firmware":
                extra = f" ({status.firmware_version(vin) or '?'} < {firmware_needed(status, vin)})"
            elif state == "missing_key":
                extra = f" {pairing_url(domain, vin)}"
            lines.append(f"- **{names.get(vin, vin)}**: {label}{extra}")
        self._stream_summary = "\n".join(lines)
        return await self.async_step_streaming_cars()

    async def async_step_streaming_cars(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Each car's answer and what to do for those that cannot stream."""
        if user_input is not None:
            return self.async_abort(reason="streaming_ready")
        return self.async_show_form(
            step_id="streaming_cars", description_placeholders={"cars": self._stream_summary}
        )

    # --- turning it off -----------------------------------------------------------------

    async def async_step_streaming_off(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Delete the configuration from every car; they keep polling as before."""
        entry = self._streaming_entry()
        settings = StreamingSettings.from_entry(entry)
        if settings is None:
            return self.async_abort(reason="streaming_off_done")
        if user_input is None:
            return self.async_show_form(
                step_id="streaming_off",
                description_placeholders={"server": f"{settings.hostname}:{settings.port}"},
            )
        took = [vin for vin, state in settings.cars.items() if state in TOOK_CONFIG]
        await async_delete_configs(entry.runtime_data.client, took)
        clear_issues(self.hass, entry.entry_id, settings.cars)
        self._save_streaming(entry, None)
        return self.async_abort(reason="streaming_off_done")

    def _save_streaming(
        self, entry: TeslaFleetDirectConfigEntry, settings: StreamingSettings | None
    ) -> None:
        data = {k: v for k, v in entry.data.items() if k != CONF_STREAMING}
        if settings is not None:
            data[CONF_STREAMING] = settings.to_data()
        self.hass.config_entries.async_update_entry(entry, data=data)
        self._stream_reload = entry.entry_id

    @callback
    def async_remove(self) -> None:
        """Reload the entry once the flow is gone if its streaming settings changed.

        The entry reads the stream with the settings it was set up with (stream_ingest.py),
        so it starts, follows the new settings or stops only when reloaded. Not before the flow
        ends: its steps still read the entry's runtime data, which a reload replaces. Also when
        the person closes the cars' summary without submitting it.
        """
        if self._stream_reload is not None:
            self.hass.config_entries.async_schedule_reload(self._stream_reload)
        super().async_remove()

    async def _async_car_labels(self) -> dict[str, str]:
        """The per-car states' texts in the user's language."""
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "selector", [DOMAIN]
        )
        prefix = f"component.{DOMAIN}.selector.{CAR_STATE_SELECTOR}.options."
        return {
            key.removeprefix(prefix): value
            for key, value in translations.items()
            if key.startswith(prefix)
        }


def _server_input(user_input: dict[str, Any]) -> dict[str, Any] | None:
    """The form's server settings, normalised; None when the host name is not one."""
    host = str(user_input.get(CONF_HOSTNAME, "")).strip().lower()
    host = host.removeprefix("https://").removeprefix("wss://").rstrip("/").rstrip(".")
    if not host or any(c in host for c in "/: @") or "." not in host:
        return None
    ca = str(user_input.get(CONF_CA) or "").strip()
    return {
        CONF_HOSTNAME: host,
        CONF_PORT: int(user_input.get(CONF_PORT, DEFAULT_PORT)),
        CONF_CA: ca or None,
        CONF_TOPIC_BASE: str(user_input.get(CONF_TOPIC_BASE, "")).strip(),
    }


def _topic_ok(topic: str) -> bool:
    """An MQTT topic the server can publish under: no wildcards, no empty level at the ends."""
    return bool(topic) and not ({"+", "#"} & set(topic)) and topic.strip("/") == topic
