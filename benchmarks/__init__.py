"""Benchmark: what a day of Tesla Fleet Direct costs, how fresh it is, and how it scales.

`python -m benchmarks` (or `./scripts/bench`) runs every scenario under both sleep models, once
with the integration inside Home Assistant's test harness and once with the common fixed-interval
poller, each against its own emulator on virtual time, and prints ours vs. baseline.
"""
