"""A person sets the integration up in a real browser, against the dev instance and the emulator.

Home Assistant runs as its own process (exactly what ./scripts/develop runs), Chromium is
Debian's, and every step leaves a screenshot in artifacts/e2e/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
import re
from typing import TYPE_CHECKING

from playwright.async_api import BrowserContext, async_playwright, expect

from .dev_instance import DevInstance, start_dev_instance
from .ha_ui import CHROMIUM_ARGS, HomeAssistantUI, confine_to_loopback

if TYPE_CHECKING:
    from fleet_emulator import Emulator

INTEGRATION_NAME = "Tesla Fleet Direct"
# The emulator's default scenario: "Red Pearl", a Model 3 that is not charging.
VIN = "5YJ3E7EB0KF000001"
SCOPE_LEFT_OUT_IN_HA = "Energy settings: backup reserve, operation mode and storm mode"
SCOPE_UNTICKED_AT_TESLA = "vehicle_location"


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


async def test_owner_sets_up_a_vehicle(
    chromium: Path, browser_profile: Path, artifacts: Path, tmp_path: Path, emulator: Emulator
) -> None:
    """Log in, add the integration, pick scopes, untick one at 'Tesla', see the car's battery."""
    car = emulator.vehicle(VIN)
    # A level no default produces, so the page can only show it if it came from the emulator.
    car.battery_level = 57.0
    async with (
        start_dev_instance(tmp_path / "config", artifacts, emulator.url) as instance,
        browser(chromium, browser_profile) as context,
        tab(context, instance, artifacts) as ui,
    ):
        page = ui.page
        await ui.log_in(instance.username, instance.password)
        await ui.add_integration(INTEGRATION_NAME)

        # Home Assistant's scopes step: everything is ticked; leave the energy settings out.
        await expect(page.get_by_text("What Home Assistant may use")).to_be_visible()
        left_out = page.get_by_role("checkbox", name=SCOPE_LEFT_OUT_IN_HA)
        # A person clicks the label: the box's drawn check mark sits over the native input.
        await page.get_by_text(SCOPE_LEFT_OUT_IN_HA, exact=True).click()
        await expect(left_out).not_to_be_checked()
        await ui.shot("scopes")
        async with context.expect_page() as popup:
            await page.get_by_role("button", name="Submit").click()
        consent = await popup.value

        # The emulator's consent page stands in for Tesla's: untick location, then allow.
        await consent.wait_for_load_state()
        asked = consent.locator("input[name=grant]")
        await expect(asked).not_to_have_count(0)
        assert "energy_cmds" not in [await box.get_attribute("value") for box in await asked.all()]
        await consent.locator(f"input[name=grant][value={SCOPE_UNTICKED_AT_TESLA}]").uncheck()
        await ui.shot("consent", consent)
        async with consent.expect_event("close"):
            await consent.get_by_role("button", name="Allow").click()

        # Back in Home Assistant: it noticed the unticked scope and says what will be missing.
        await expect(page.get_by_text("Some permissions were not granted")).to_be_visible()
        await expect(page.get_by_text("Vehicle location:")).to_be_visible()
        await ui.shot("missing-scopes")
        await page.get_by_text("Continue without them", exact=True).click()
        # The entry is created: Home Assistant offers to name and place the new devices.
        await expect(page.get_by_text("Name and assign")).to_be_visible()
        names = page.get_by_role("textbox", name="Device name")
        assert car.display_name in [await name.input_value() for name in await names.all()]
        await ui.shot("created")
        await page.get_by_role("button", name=re.compile("finish", re.IGNORECASE)).click()

        # The car's device page shows the emulator's battery level.
        await ui.open_device(car.display_name)
        # The row of the entities card that Home Assistant draws for a sensor.
        battery = page.locator("hui-sensor-entity-row").filter(has_text="Battery level")
        level = round(car.battery_level)
        await expect(battery).to_contain_text(re.compile(rf"\b{level}\s?%"))
        await ui.shot("device")
