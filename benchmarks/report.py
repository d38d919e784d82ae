"""Ours vs. baseline vs. streaming: the printed table and the JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .scenarios import all_scenarios

# (label, key, format); a side without the figure shows "-".
ROWS: tuple[tuple[str, str, str], ...] = (
    ("data req / car-day", "billed_requests_per_vehicle_day.data", "{:.1f}"),
    ("command req / car-day", "billed_requests_per_vehicle_day.command", "{:.1f}"),
    ("wake req / car-day", "billed_requests_per_vehicle_day.wake", "{:.1f}"),
    ("state checks / car-day", "billed_requests_per_vehicle_day.free", "{:.1f}"),
    ("energy req / day (not billed)", "energy_requests_per_day", "{:.1f}"),
    ("vehicle_data req / car-day", "vehicle_data_per_vehicle_day", "{:.1f}"),
    ("signals / car-day", "signals_per_vehicle_day", "{:.0f}"),
    ("$/month signals", "signal_cost_usd_per_month", "{:.2f}"),
    ("$/month (state free)", "cost_usd_per_month", "{:.2f}"),
    ("$/month (state billed)", "cost_usd_per_month_state_billed", "{:.2f}"),
    ("polling wakes", "polling_wakes", "{:d}"),
    ("state checks, stream up", "state_checks_stream_up", "{:d}"),
    ("state checks, stream down", "state_checks_stream_down", "{:d}"),
    ("sleep min lost / car-day", "sleep_minutes_lost", "{:.0f}"),
    ("battery age charging p50 s", "battery_age_charging_p50_s", "{:.0f}"),
    ("battery age charging p95 s", "battery_age_charging_p95_s", "{:.0f}"),
    ("location age driving p50 s", "location_age_driving_p50_s", "{:.0f}"),
    ("location age driving p95 s", "location_age_driving_p95_s", "{:.0f}"),
    ("site power age p50 s", "site_power_age_p50_s", "{:.0f}"),
    ("site power age p95 s", "site_power_age_p95_s", "{:.0f}"),
    ("command round trip mean s", "command_round_trip_mean_s", "{:.2f}"),
    ("command round trip p95 s", "command_round_trip_p95_s", "{:.2f}"),
    ("CPU s", "cpu_seconds", "{:.2f}"),
    ("peak memory MB (process)", "peak_memory_mb", "{:.1f}"),
    ("memory growth MB", "memory_growth_mb", "{:.1f}"),
)

COSTS = ("cost_usd_per_month", "cost_usd_per_month_state_billed")


def lookup(figures: dict[str, Any], key: str) -> Any:
    """A dotted key's value (None when missing)."""
    value: Any = figures
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    return fmt.format(value)


def _ratio(ours: Any, base: Any) -> str:
    if not isinstance(ours, int | float) or not isinstance(base, int | float):
        return "-"
    if base == 0:
        return "=" if ours == 0 else "inf"
    return f"{ours / base:.2f}x"


def pair_results(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per scenario and sleep model: `{"scenario", "sleep_model", "ours",
    "baseline", "streaming"}` (the sides that ran); the flood as `{"flood": figures}`."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for figures in results:
        key = (figures["scenario"], figures["sleep_model"])
        record = records.setdefault(
            key,
            {
                "scenario": figures["scenario"],
                "sleep_model": figures["sleep_model"],
                "scale": figures["scale"],
            },
        )
        record[figures["side"]] = figures
    order = {name: i for i, name in enumerate(s.name for s in all_scenarios())}
    return sorted(records.values(), key=lambda r: (order.get(r["scenario"], 99), r["sleep_model"]))


def table(records: Sequence[dict[str, Any]]) -> str:
    """The printed report: one block per scenario and sleep model."""
    lines: list[str] = []
    for record in records:
        if "flood" in record:
            lines += _flood_block(record["flood"])
            continue
        ours = record.get("ours", {})
        base = record.get("baseline", {})
        stream = record.get("streaming", {})
        first = ours or base or stream
        lines.append(
            f"\n== {record['scenario']} / {record['sleep_model']} sleep "
            f"({first.get('days')} days, {first.get('vehicles')} cars)"
        )
        lines.append(
            f"{'':30}{'ours':>12}{'baseline':>12}{'ratio':>9}{'streaming':>12}{'str/ours':>9}"
        )
        for label, key, fmt in ROWS:
            a, b, c = lookup(ours, key), lookup(base, key), lookup(stream, key)
            lines.append(
                f"{label:30}{_cell(a, fmt):>12}{_cell(b, fmt):>12}{_ratio(a, b):>9}"
                f"{_cell(c, fmt):>12}{_ratio(c, a):>9}"
            )
        if stream.get("stream_stopped_at_s") is not None:
            lines += _stop_lines(stream)
        if stream:
            lines.append(
                f"stream: {stream.get('stream_messages_published')} messages published, "
                f"{stream.get('stream_messages_lost')} not taken by Home Assistant, "
                f"{stream.get('stream_delivery_timeouts')} delivery waits timed out; signals "
                f"billed {stream.get('signals')}, counted by the integration "
                f"{stream.get('signals_counted_by_integration')}"
            )
    return "\n".join(lines)


def _stop_lines(stream: dict[str, Any]) -> list[str]:
    hours = stream["stream_stopped_at_s"] / 3600
    back = stream.get("stream_restarted_at_s")
    return [
        f"stream stopped at {hours:.2f} h ({stream['stream_stopped_activity']})"
        + (
            f", back at {back / 3600:.2f} h ({stream['vehicle_data_after_restart']} vehicle_data "
            "from then to the end)"
            if back is not None
            else ", not back"
        )
        + f": polling resumed after {_cell(stream['polling_resumed_after_s'], '{:.0f}')} s "
        f"(first vehicle_data {_cell(stream['vehicle_data_after_stop_s'], '{:.0f}')} s; "
        f"polling interval {stream['polling_interval_s']:.0f} s); repair issue after "
        f"{_cell(stream['repair_issue_after_s'], '{:.0f}')} s; samples shown older than "
        f"polling would (driving {stream['stale_threshold_s']['driving']:.0f} s, charging "
        f"{stream['stale_threshold_s']['charging']:.0f} s) without a mark: "
        f"{stream['unmarked_stale_samples']}"
        + (
            f" (from {stream['first_unmarked_stale_after_s']:.0f} s after the stop, up to "
            f"{stream['oldest_unmarked_stale_s']:.0f} s old)"
            if stream["unmarked_stale_samples"]
            else ""
        ),
        "requests after the stop (s, endpoint): "
        + ", ".join(f"{t:.0f} {name}" for t, name in stream["requests_after_stop"][:8]),
    ]


def _flood_block(flood: dict[str, Any]) -> list[str]:
    lines = [
        f"\n== {flood['scenario']} ({flood['minutes']:g} min on the wall clock)",
        (
            f"{'window':12}{'seconds':>9}{'messages':>10}{'CPU s':>8}{'CPU share':>11}"
            f"{'stall ms':>10}{'callback ms':>13}{'API req':>9}"
        ),
    ]
    lines += [
        f"{w['window']:12}{w['seconds']:>9.1f}{w['messages']:>10d}{w['cpu_s']:>8.2f}"
        f"{_cell(w['cpu_share'], '{:.2f}'):>11}{w['longest_stall_ms']:>10.1f}"
        f"{w['longest_callback_ms']:>13.1f}{w['api_requests']:>9d}"
        for w in flood["windows"]
    ]
    lines.append(
        f"published {flood['published']}, taken {flood['received']}, malformed "
        f"{flood['malformed']}; longest callback: {flood['longest_callback']}"
    )
    return lines


# The loop counts as responsive while no callback holds it longer than asyncio's own
# `slow_callback_duration` (100 ms), above which its debug mode reports a slow callback.
RESPONSIVE_MS = 100.0


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def stream_targets(records: Sequence[dict[str, Any]]) -> list[str]:
    """Issue 19's "Done when", measured: pass or fail, per sleep model."""
    out: list[str] = []
    for r in records:
        stream = r.get("streaming")
        if "flood" in r:
            flood = r["flood"]
            worst = max(flood["longest_stall_ms"], flood["longest_callback_ms"])
            out.append(
                f"{_verdict(worst <= RESPONSIVE_MS)} {flood['scenario']}: Home Assistant "
                f"{flood['flood_cpu_s_per_minute']:.2f} CPU s a minute (quiet: "
                f"{flood['idle_cpu_s_per_minute']:.2f}), longest loop stall "
                f"{flood['longest_stall_ms']:.0f} ms, longest callback "
                f"{flood['longest_callback_ms']:.0f} ms (target <= {RESPONSIVE_MS:.0f} ms), "
                f"{flood['received']}/{flood['published']} messages taken"
            )
            continue
        if not stream:
            continue
        tag = f"[{r['sleep_model']}] {r['scenario']}"
        if stream.get("stream_stopped_at_s") is not None:
            resumed = stream["polling_resumed_after_s"]
            out.append(
                f"{_verdict(resumed is not None and resumed <= stream['polling_interval_s'])} "
                f"{tag}: polling resumed {_cell(resumed, '{:.0f}')} s after the stop "
                f"(target <= one interval, {stream['polling_interval_s']:.0f} s)"
            )
            out.append(
                f"{_verdict(stream['unmarked_stale_samples'] == 0)} {tag}: "
                f"{stream['unmarked_stale_samples']} samples shown stale without a mark"
            )
            out.append(
                f"{_verdict(stream['stream_messages_lost'] == 0)} {tag}: "
                f"{stream['stream_messages_lost']} stream messages lost"
            )
            continue
        if r["scenario"] not in ("commuter", "two cars"):
            continue
        ours = r.get("ours")
        if ours:
            for key, reading in (
                ("cost_usd_per_month", "state checks free"),
                ("cost_usd_per_month_state_billed", "state checks billed"),
            ):
                out.append(
                    f"{_verdict(stream[key] <= ours[key] / 5)} {tag}: streaming ${stream[key]:.2f}"
                    f" a month vs default polling ${ours[key]:.2f} ({reading}; target <= 1/5, "
                    f"{_ratio(stream[key], ours[key])})"
                )
        for label, key, interval in (
            ("battery age charging", "battery_age_charging_p95_s", "battery_level_interval_s"),
            ("location age driving", "location_age_driving_p95_s", "location_interval_s"),
        ):
            value, limit = stream.get(key), stream.get(interval, 0) + 5
            out.append(
                f"{_verdict(value is not None and value <= limit)} {tag}: {label} p95 "
                f"{_cell(value, '{:.0f}')} s (target <= {limit:.0f} s)"
            )
        out.append(
            f"{_verdict(stream['polling_wakes'] == 0)} {tag}: {stream['polling_wakes']} "
            "polling wake-ups (target 0)"
        )
        out.append(
            f"{_verdict(stream['state_checks_stream_up'] == 0)} {tag}: "
            f"{stream['state_checks_stream_up']} state checks while the stream was up (target 0; "
            f"{stream['state_checks_stream_down']} while it was down or the car asleep)"
        )
    return out


def targets(records: Sequence[dict[str, Any]]) -> list[str]:
    """The issue's targets, measured (met or missed), per sleep model."""
    out: list[str] = []
    for model in sorted({r["sleep_model"] for r in records if "flood" not in r}):
        rows = [r for r in records if r["sleep_model"] == model and "ours" in r and "baseline" in r]
        if not rows:
            continue
        wakes = sum(r["ours"]["polling_wakes"] for r in rows)
        out.append(f"[{model}] polling wake-ups (ours, all scenarios): {wakes} (target 0)")
        for r in rows:
            ours, base = r["ours"], r["baseline"]
            name = r["scenario"]
            if name == "two cars":
                out.extend(
                    f"[{model}] two cars month {key}: ${ours[key]:.2f} (target <= $10)"
                    for key in COSTS
                )
            if ours.get("command_presses"):
                out.append(
                    f"[{model}] {name}: press to entity shown, mean "
                    f"{_cell(ours['command_round_trip_mean_s'], '{:.2f}')}s vs "
                    f"{_cell(base['command_round_trip_mean_s'], '{:.2f}')}s "
                    f"({ours['command_presses_shown']}/{ours['command_presses']} presses shown; "
                    f"baseline {base['command_presses_shown']}/{base['command_presses']})"
                )
            if name == "sentry day":
                out.extend(
                    f"[{model}] sentry day {key}: ours/baseline "
                    f"{_ratio(ours[key], base[key])} (target <= 0.33x)"
                    for key in COSTS
                )
            a, b = ours["battery_age_charging_p50_s"], base["battery_age_charging_p50_s"]
            if a is not None and b is not None and ours.get("costed", True):
                out.append(
                    f"[{model}] {name} battery age charging p50: {a:.0f}s vs {b:.0f}s "
                    f"({_ratio(a, b)}, target <= 0.5x)"
                )
        for key in ("cost_usd_per_month", "cost_usd_per_month_state_billed"):
            costed = [r for r in rows if not r.get("scale") and r["ours"].get("costed", True)]
            ours_sum = sum(r["ours"][key] for r in costed)
            base_sum = sum(r["baseline"][key] for r in costed)
            out.append(
                f"[{model}] summed {key}: ${ours_sum:.2f} vs ${base_sum:.2f} "
                f"({_ratio(ours_sum, base_sum)}, target <= 1x)"
            )
    return out
