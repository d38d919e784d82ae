"""`python -m benchmarks [--json FILE] [--only NAME ...] [--side SIDE] [--workers N] [--step S]`.

Every scenario under both sleep models, ours (polling), the baseline and streaming, each job in
a fresh Home Assistant of the test harness; the jobs are shared out to `--workers` processes
(one pytest session each); then the stream flood runs alone, and the table is printed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import subprocess
import sys
import tempfile
import time
from typing import Any

from .jobs import DEFAULT_STEP_S, SIDES, FloodJob, Job
from .report import pair_results, stream_targets, table, targets
from .scenarios import SLEEP_MODELS, all_scenarios

SESSION = str(Path(__file__).with_name("session.py"))
# The flood's name for --only.
FLOOD = "flood"


def plan_jobs(
    only: list[str] | None,
    models: list[str],
    step_s: float,
    *,
    memory: bool,
    week: bool = False,
    sides: list[str] | None = None,
) -> list[Job]:
    """Every (scenario, sleep model, side); scale runs only under the last model given; a
    stream-stop scenario only on the streaming side."""
    return [
        Job(scenario, model, side, step_s=step_s, measure_memory=memory)
        for scenario in all_scenarios(week=week)
        if not only or scenario.name in only
        for model in (models if not scenario.scale else models[-1:])
        for side in (sides or SIDES)
        if side == "streaming" or not scenario.streaming_only
    ]


def shard(jobs: list[Job], workers: int) -> list[list[int]]:
    """Job indexes per worker: longest first to the least loaded (simulated car-days)."""
    loads = [0.0] * workers
    shards: list[list[int]] = [[] for _ in range(workers)]
    # Relative CPU per simulated car-day (the streaming side steps one second at a time while
    # a car is awake).
    weight = {"ours": 1.0, "baseline": 0.15, "streaming": 3.0}
    order = sorted(
        range(len(jobs)),
        key=lambda i: -jobs[i].duration_s * (1 + len(jobs[i].scenario.vins)) * weight[jobs[i].side],
    )
    for i in order:
        target = loads.index(min(loads))
        shards[target].append(i)
        loads[target] += (
            jobs[i].duration_s * (1 + len(jobs[i].scenario.vins)) * weight[jobs[i].side]
        )
    return [sorted(s) for s in shards if s]


def run_session(jobs: list[Job], raw_out: Path, floods: list[FloodJob] | None = None) -> int:
    """Run the jobs (or floods) in this process as one pytest session; figures to `raw_out`."""
    import pytest

    from . import jobs as queue

    queue.JOBS[:] = jobs
    queue.FLOODS[:] = floods or []
    code = pytest.main(
        [SESSION, "-q", "-p", "no:cacheprovider", "-o", "timeout=0", "--durations=0"]
    )
    raw_out.write_text(json.dumps(queue.RESULTS), encoding="utf-8")
    return int(code)


def main(argv: list[str] | None = None) -> int:
    """Queue the jobs, run them in worker sessions, print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument("--step", type=float, default=DEFAULT_STEP_S, help="virtual s per step")
    parser.add_argument("--sleep-model", choices=SLEEP_MODELS, action="append")
    parser.add_argument("--no-memory", action="store_true", help="leave out the memory figures")
    parser.add_argument("--week", action="store_true", help="two cars: 7 days, not 30")
    parser.add_argument(
        "--side", choices=SIDES, action="append", help="sides to run (default: all three)"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument(
        "--flood-minutes",
        type=float,
        default=FloodJob.minutes,
        help="minutes of the 10,000 messages/min flood for 50 streaming cars, run alone after "
        f"the scenarios (default {FloodJob.minutes:g}; 0 leaves it out; with --only, name "
        f'"{FLOOD}" to run it)',
    )
    parser.add_argument("--worker-flood", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-jobs", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    jobs = plan_jobs(
        args.only,
        args.sleep_model or list(SLEEP_MODELS),
        args.step,
        memory=not args.no_memory,
        week=args.week,
        sides=args.side,
    )
    flood = FloodJob(minutes=args.flood_minutes)
    if args.worker_flood:
        return run_session([], args.worker_out, [flood])
    if args.worker_jobs is not None:
        picked = [jobs[int(i)] for i in args.worker_jobs.split(",")]
        return run_session(picked, args.worker_out)
    with_flood = args.flood_minutes > 0 and (not args.only or FLOOD in args.only)
    began = time.monotonic()
    passthrough = list(argv if argv is not None else sys.argv[1:])
    results: list[dict[str, Any]] = []
    code = 0
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for n, indexes in enumerate(shard(jobs, max(1, args.workers))):
            out = Path(tmp) / f"worker{n}.json"
            command = [sys.executable, "-m", "benchmarks", *passthrough]
            command += ["--worker-jobs", ",".join(map(str, indexes)), "--worker-out", str(out)]
            procs.append((subprocess.Popen(command), out))
        for proc, out in procs:
            code = max(code, proc.wait())
            if out.exists():
                results += json.loads(out.read_text(encoding="utf-8"))
        if with_flood:
            # Alone, so no other job's work shares the machine while it is measured.
            out = Path(tmp) / "flood.json"
            command = [sys.executable, "-m", "benchmarks", *passthrough]
            command += ["--worker-flood", "--worker-out", str(out)]
            code = max(code, subprocess.call(command))
            if out.exists():
                results += json.loads(out.read_text(encoding="utf-8"))
    records = pair_results(results)
    print(table(records))
    print("\nTargets (measured):")
    print("\n".join(targets(records)))
    print("\nIssue 19, streaming (measured):")
    print("\n".join(stream_targets(records)))
    print(f"\nwall time {time.monotonic() - began:.0f} s")
    if args.json:
        # A whole run's figures must not be lost to a folder that does not exist yet.
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return code


if __name__ == "__main__":
    sys.exit(main())
