"""`python -m benchmarks [--json FILE] [--only NAME ...] [--step S] [--quick]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import time

import pytest

from . import jobs
from .jobs import DEFAULT_STEP_S, SIDES, Job
from .report import pair_results, table, targets
from .scenarios import SLEEP_MODELS, all_scenarios

SESSION = str(Path(__file__).with_name("session.py"))


def main(argv: list[str] | None = None) -> int:
    """Queue the jobs, run them in one pytest session, print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument(
        "--step", type=float, default=DEFAULT_STEP_S, help="virtual seconds per step"
    )
    parser.add_argument("--sleep-model", choices=SLEEP_MODELS, action="append")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc (faster)")
    args = parser.parse_args(argv)
    chosen = [s for s in all_scenarios() if not args.only or s.name in args.only]
    models = args.sleep_model or list(SLEEP_MODELS)
    jobs.JOBS[:] = [
        Job(scenario, model, side, step_s=args.step, measure_memory=not args.no_memory)
        for scenario in chosen
        for model in (models if not scenario.scale else models[-1:])
        for side in SIDES
    ]
    began = time.monotonic()
    code = pytest.main([SESSION, "-q", "-p", "no:cacheprovider", "-o", "timeout=0", "-W", "ignore"])
    records = pair_results(jobs.RESULTS)
    print(table(records))
    print("\nTargets (measured):")
    print("\n".join(targets(records)))
    print(f"\nwall time {time.monotonic() - began:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
