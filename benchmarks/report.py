"""Ours vs. baseline: the printed table and the JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .scenarios import all_scenarios

# (label, key, format); keys are figures both sides carry.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("data req / car-day", "billed_requests_per_vehicle_day.data", "{:.1f}"),
    ("command req / car-day", "billed_requests_per_vehicle_day.command", "{:.1f}"),
    ("wake req / car-day", "billed_requests_per_vehicle_day.wake", "{:.1f}"),
    ("state checks / car-day", "billed_requests_per_vehicle_day.free", "{:.1f}"),
    ("energy req / day (not billed)", "energy_requests_per_day", "{:.1f}"),
    ("$/month (state free)", "cost_usd_per_month", "{:.2f}"),
    ("$/month (state billed)", "cost_usd_per_month_state_billed", "{:.2f}"),
    ("polling wakes", "polling_wakes", "{:d}"),
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
    """One record per scenario and sleep model: `{"scenario", "sleep_model", "ours", "baseline"}`."""
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
        ours = record.get("ours", {})
        base = record.get("baseline", {})
        days = (ours or base).get("days")
        cars = (ours or base).get("vehicles")
        lines.append(
            f"\n== {record['scenario']} / {record['sleep_model']} sleep ({days} days, {cars} cars)"
        )
        lines.append(f"{'':30}{'ours':>12}{'baseline':>12}{'ratio':>9}")
        for label, key, fmt in ROWS:
            a, b = lookup(ours, key), lookup(base, key)
            lines.append(f"{label:30}{_cell(a, fmt):>12}{_cell(b, fmt):>12}{_ratio(a, b):>9}")
    return "\n".join(lines)


def targets(records: Sequence[dict[str, Any]]) -> list[str]:
    """The issue's targets, measured (met or missed), per sleep model."""
    out: list[str] = []
    for model in sorted({r["sleep_model"] for r in records}):
        rows = [r for r in records if r["sleep_model"] == model and "ours" in r and "baseline" in r]
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
