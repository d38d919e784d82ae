"""`python -m benchmarks.flood_publisher`: publish a steady flood of Fleet Telemetry messages.

A separate process, so its work is not counted as Home Assistant's. Each car first reports a
connection (`<base>/<VIN>/connectivity`, `CONNECTED`), then the cars take turns sending one
field each (`<base>/<VIN>/v/<Field>`, the value as Go's json.Marshal writes it, as Tesla's
fleet-telemetry MQTT dispatcher publishes: teslamotors/fleet-telemetry `datastore/mqtt/`), at
`--per-minute` messages a minute in all, for `--seconds`. Prints the number of messages
published as the last line.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, datetime
import itertools
import json
import sys
import time
import uuid

from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion

from fleet_emulator.telemetry_signals import Json, go_json

TICK_S = 0.02


def field_values(n: int) -> list[tuple[str, Json]]:
    """The fields a driving car sends, the n-th time round (values move a little each time)."""
    return [
        ("Location", {"latitude": 37.49 + n * 1e-5, "longitude": -121.94 - n * 1e-5}),
        ("VehicleSpeed", 40.0 + n % 30),
        ("Gear", "ShiftStateD"),
        ("Odometer", round(12000.0 + n * 0.01, 3)),
        ("BatteryLevel", round(80.0 - n * 0.01, 2)),
        ("EstBatteryRange", round(240.0 - n * 0.03, 2)),
        ("InsideTemp", 21.0 + (n % 10) / 10),
        ("OutsideTemp", 18.0 + (n % 20) / 10),
        ("GpsHeading", float(n % 360)),
        ("Locked", True),
    ]


def messages(base: str, vins: list[str]) -> Iterator[tuple[str, bytes]]:
    """Field messages round-robin over the cars, for ever."""
    for n in itertools.count():
        values = field_values(n)
        name, value = values[n % len(values)]
        for vin in vins:
            yield f"{base}/{vin}/v/{name}", go_json(value)


def main(argv: list[str] | None = None) -> int:
    """Connect, announce the cars, flood, report the count."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flood_publisher")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic-base", default="telemetry")
    parser.add_argument("--vins", required=True, help="comma-separated")
    parser.add_argument("--per-minute", type=float, default=10_000)
    parser.add_argument("--seconds", type=float, default=180)
    args = parser.parse_args(argv)
    vins = args.vins.split(",")
    client = Client(CallbackAPIVersion.VERSION2, client_id=f"flood-{uuid.uuid4().hex[:8]}")
    client.max_queued_messages_set(0)
    client.connect(args.host, args.port)
    client.loop_start()
    published = 0
    last = None
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for vin in vins:
        record: Json = {"ConnectionId": str(uuid.uuid4()), "CreatedAt": now, "Status": "CONNECTED"}
        last = client.publish(f"{args.topic_base}/{vin}/connectivity", go_json(record))
        published += 1
    flood = messages(args.topic_base, vins)
    rate = args.per_minute / 60.0
    total = round(rate * args.seconds)
    began = time.monotonic()
    sent = 0
    while sent < total:
        due = min(total, int((time.monotonic() - began) * rate)) - sent
        for _ in range(due):
            topic, payload = next(flood)
            last = client.publish(topic, payload)
        sent += due
        time.sleep(TICK_S)
    published += sent
    if last is not None:
        # QoS 0: "published" once written to the socket; everything before it was too.
        last.wait_for_publish(timeout=30)
    client.loop_stop()
    client.disconnect()
    print(json.dumps({"published": published, "seconds": round(time.monotonic() - began, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
