"""Runs scripts/dev_instance.py (what ./scripts/develop runs) as a child process for a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
import json
from pathlib import Path
import socket
import sys
from typing import TextIO

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "dev_instance.py"
READY_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class DevInstance:
    """A running Home Assistant dev instance, its owner's login and its streaming server."""

    url: str
    username: str
    password: str
    log_dir: Path
    # The telemetry server to enter in the streaming set-up (its broker is the instance's).
    telemetry_host: str
    telemetry_port: int
    topic_base: str


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def start_dev_instance(
    config_dir: Path, log_dir: Path, emulator_url: str
) -> AsyncIterator[DevInstance]:
    """Start the dev instance against emulator_url; stop it (and so Home Assistant) on exit."""
    ready_file = config_dir.parent / "ready.json"
    with (log_dir / "develop.log").open("w", encoding="utf-8") as output:
        process = await _spawn(config_dir, log_dir, emulator_url, ready_file, output)
    try:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
        while not ready_file.exists():
            if process.returncode is not None or asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"the dev instance did not start (see {log_dir}/develop.log and "
                    f"{log_dir}/home-assistant.log)"
                )
            # Waiting for a real child process to come up; virtual time cannot help here.
            await asyncio.sleep(0.2)
        ready = json.loads(ready_file.read_text(encoding="utf-8"))
        yield DevInstance(
            ready["url"],
            ready["username"],
            ready["password"],
            log_dir,
            ready["telemetry_host"],
            ready["telemetry_port"],
            ready["topic_base"],
        )
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _spawn(
    config_dir: Path, log_dir: Path, emulator_url: str, ready_file: Path, output: TextIO
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--config",
        str(config_dir),
        "--port",
        str(free_port()),
        "--mqtt-port",
        str(free_port()),
        "--telemetry-port",
        str(free_port()),
        "--emulator-url",
        emulator_url,
        "--log-dir",
        str(log_dir),
        "--ready-file",
        str(ready_file),
        cwd=REPO_ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
    )
