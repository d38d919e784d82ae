"""Run by `python -m benchmarks` as a pytest session, for Home Assistant's test harness
(the `hass` instance, `freezer`, sockets allowed on loopback). Not part of the test suite."""

from __future__ import annotations

import asyncio
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

# Imported before `hass` exists so the loader finds this repository's custom_components.
import custom_components.tesla_fleet_direct  # noqa: F401

from .flood import run_flood
from .harness import run_job
from .jobs import FLOODS, JOBS, RESULTS, FloodJob, Job


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration."""


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Replaces the harness's fixture of that name: Home Assistant runs without asyncio's debug
    mode, whose traceback for every task and timer took about half the CPU measured."""
    asyncio.get_running_loop().set_debug(False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per job the runner queued."""
    if "job" in metafunc.fixturenames:
        metafunc.parametrize(
            "job",
            JOBS,
            ids=[f"{j.scenario.name}-{j.sleep_model}-{j.side}".replace(" ", "_") for j in JOBS],
        )
    if "flood" in metafunc.fixturenames:
        metafunc.parametrize("flood", FLOODS, ids=[f.name.replace(" ", "_") for f in FLOODS])


@pytest.mark.usefixtures("socket_enabled", "mock_hass_config")
async def test_job(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, job: Job, tmp_path: Path
) -> None:
    """Run the job and keep its figures (Home Assistant's mqtt integration, set up for the
    streaming side, reads no configuration.yaml: `mock_hass_config`)."""
    RESULTS.append((await run_job(hass, freezer, job, tmp_path)).figures)


@pytest.mark.usefixtures("socket_enabled", "mock_hass_config")
async def test_flood(hass: HomeAssistant, flood: FloodJob, tmp_path: Path) -> None:
    """Flood Home Assistant with stream messages on the wall clock (no freezer)."""
    RESULTS.append(await run_flood(hass, flood, tmp_path))
