"""A person sets the integration up in a real browser, against the dev instance and the emulator.

Home Assistant runs as its own process (exactly what ./scripts/develop runs), Chromium is
Debian's, and every step leaves a screenshot in artifacts/e2e/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import BrowserContext, async_playwright
import pytest

from .dev_instance import DevInstance, free_port, start_dev_instance
from .ha_ui import CHROMIUM_ARGS, HomeAssistantUI, confine_to_loopback

INTEGRATION_NAME = "Tesla Fleet Direct"


@asynccontextmanager
async def browser(chromium: Path, profile: Path) -> AsyncIterator[BrowserContext]:
    """Headless Debian Chromium with a fresh profile, kept on 127.0.0.1."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            await confine_to_loopback(context)
            yield context
        finally:
            await context.close()


@asynccontextmanager
async def tab(
    context: BrowserContext, instance: DevInstance, artifacts: Path
) -> AsyncIterator[HomeAssistantUI]:
    """A tab on the dev instance; on failure the last screen is saved too."""
    page = context.pages[0] if context.pages else await context.new_page()
    ui = HomeAssistantUI(page, instance.url, artifacts)
    try:
        yield ui
    except BaseException:
        await ui.shot("failure")
        raise


@pytest.mark.usefixtures("socket_enabled")
async def test_owner_finds_the_integration(
    chromium: Path, browser_profile: Path, artifacts: Path, tmp_path: Path
) -> None:
    """The dev instance's printed login works and the integration is offered under its name."""
    # Nothing listens on this emulator address: this test stops before the integration calls it.
    unused_emulator = f"http://127.0.0.1:{free_port()}"
    async with (
        start_dev_instance(tmp_path / "config", artifacts, unused_emulator) as instance,
        browser(chromium, browser_profile) as context,
        tab(context, instance, artifacts) as ui,
    ):
        await ui.log_in(instance.username, instance.password)
        await ui.search_integration(INTEGRATION_NAME)
