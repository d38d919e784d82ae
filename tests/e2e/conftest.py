"""Fixtures for the browser test: Debian's Chromium, a fresh profile, an artifacts folder."""

from __future__ import annotations

from pathlib import Path
import shutil

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: here Home Assistant runs as a separate process.

    The suite's version pulls in the in-process `hass` fixture, which the browser test neither
    needs nor should share its event loop with.
    """


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; the only reason this test may skip is that it cannot be installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed at /usr/bin/chromium (scripts/setup installs it "
            "with apt where it can; see .cache/chromium-install.log)"
        )
    return CHROMIUM


@pytest.fixture
def artifacts() -> Path:
    """A fresh folder for this run's screenshots and server logs (artifacts/ is gitignored)."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def browser_profile(tmp_path: Path) -> Path:
    """A fresh Chromium --user-data-dir for each test."""
    return tmp_path / "chromium-profile"
