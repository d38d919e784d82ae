"""Shared fixtures for the Tesla Fleet Direct tests."""

from __future__ import annotations

import pytest

# Imported before the `hass` fixture runs so that Home Assistant's loader resolves the
# top-level `custom_components` package to this repository, not the harness's own.
import custom_components.tesla_fleet_direct  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""
