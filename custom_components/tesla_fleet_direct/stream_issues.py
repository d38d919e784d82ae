"""The repair issue that says why a car's stream stopped standing in for polling."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .schedule.stream import StreamStop, StreamWatch

ISSUE_STOPPED = "streaming_stopped"


def stream_issue_id(entry_id: str, vin: str) -> str:
    """One issue per entry and car, whatever the reason."""
    return f"{ISSUE_STOPPED}_{entry_id}_{vin}"


@callback
def async_update_stream_issue(
    hass: HomeAssistant,
    entry: ConfigEntry,
    vin: str,
    name: str,
    *,
    stream: StreamWatch,
    now: float,
) -> None:
    """File the issue once the stop lasted `REPAIR_AFTER_S`; withdraw it when the stream is back."""
    issue_id = stream_issue_id(entry.entry_id, vin)
    reason = stream.stopped
    if reason is None or not stream.repair_due(now):
        if reason is None:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=f"{ISSUE_STOPPED}_{StreamStop(reason).value}",
        translation_placeholders={"name": name, "entry": entry.title},
        data={"entry_id": entry.entry_id, "vin": vin},
    )
