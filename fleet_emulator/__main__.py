"""`python -m fleet_emulator --port 8765 [--scenario FILE] [--state FILE [--fresh]]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time

from .clock import StartTimeError, parse_start
from .emulator import Emulator


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fleet_emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--scenario", help="YAML or JSON scenario file (default: built-in)")
    parser.add_argument(
        "--auto-approve", action="store_true", help="approve consent pages without asking"
    )
    parser.add_argument(
        "--start",
        help="begin at this moment instead of now: epoch seconds, ISO 8601, or 'HH:MM' "
        "(Pacific; 'HH:MM Area/City' for another zone); default: $FLEET_EMULATOR_START",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep tokens, keys, pairings and the simulation in this JSON file across restarts",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="with --state: ignore the saved state and start over (the file is replaced)",
    )
    args = parser.parse_args(argv)
    if args.fresh and not args.state:
        parser.error("--fresh needs --state")
    try:
        args.start = parse_start(args.start, time.time()) if args.start else None
    except StartTimeError as err:
        parser.error(str(err))
    return args


async def _serve(args: argparse.Namespace) -> None:
    emulator = Emulator(args.scenario, start=args.start, state_file=args.state, fresh=args.fresh)
    if args.auto_approve:
        emulator.auto_approve = True
    await emulator.start(args.host, args.port)
    lines = [
        f"Fleet API emulator on {emulator.url}",
        f"  OpenID discovery: {emulator.url}/oauth2/v3/thirdparty/.well-known/openid-configuration",
        *(f"  Fleet API ({region}): {emulator.base_url(region)}" for region in ("na", "eu", "cn")),
        f"  Admin API:        {emulator.url}/_emulator/state",
    ]
    if emulator.state_file is not None:
        origin = "restored" if emulator.restored else "new"
        lines.append(f"  State file:       {emulator.state_file} ({origin})")
        if emulator.restored and args.start is not None:
            lines.append("  --start ignored: the saved clock goes on (--fresh starts over)")
    for client in emulator.scenario.clients:
        secret = client.client_secret or "(none: PKCE)"
        lines.append(f"  App: client_id={client.client_id} client_secret={secret}")
    lines.extend(
        f"  Account: {account.account_id} <{account.email}> region {account.region}, "
        f"{len(account.vehicles)} vehicle(s), {len(account.sites)} site(s)"
        for account in emulator.scenario.accounts
    )
    print("\n".join(lines), flush=True)  # noqa: T201 - the CLI's output
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # Streaming cars publish on the real clock (tests drive it on virtual time instead).
    streamer = loop.create_task(emulator.stream.run())
    try:
        await stop.wait()
    finally:
        streamer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await streamer
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    """Run until interrupted."""
    asyncio.run(_serve(_parse(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
