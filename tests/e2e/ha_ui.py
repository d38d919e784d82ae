"""What a person does in Home Assistant's web UI, as Playwright steps (one screenshot per step).

Playwright's CSS and role/text locators reach into open shadow roots, which is where Home
Assistant's web components keep their inputs and buttons.
"""

from __future__ import annotations

from pathlib import Path
import re

from playwright.async_api import BrowserContext, Locator, Page, Route, expect

# Flags from docs (toolchain.md): headless Debian Chromium that talks to nothing on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/")
STEP_TIMEOUT_MS = 30_000
# Assertions wait as long as actions: a busy CI machine needs more than Playwright's 5 s to run
# a token exchange and the first poll of a freshly set-up entry.
expect.set_options(timeout=STEP_TIMEOUT_MS)


async def only_loopback(route: Route) -> None:
    """Refuse every request that would leave the machine (brand images, fonts, ...)."""
    if LOOPBACK.match(route.request.url) or route.request.url.startswith("data:"):
        await route.continue_()
    else:
        await route.abort()


async def confine_to_loopback(context: BrowserContext) -> None:
    """Keep the browser on 127.0.0.1: the test must not depend on, or reach, the internet."""
    await context.route("**/*", only_loopback)


class HomeAssistantUI:
    """One browser tab on the dev instance, with numbered screenshots of each step."""

    def __init__(self, page: Page, base_url: str, artifacts: Path) -> None:
        """Remember where to go and where screenshots go."""
        self.page = page
        self.base_url = base_url
        self.artifacts = artifacts
        self._shots = 0
        page.set_default_timeout(STEP_TIMEOUT_MS)

    async def shot(self, name: str, page: Page | None = None) -> Path:
        """Save a screenshot named after the step."""
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        await (page or self.page).screenshot(path=path, full_page=True)
        return path

    async def log_in(self, username: str, password: str) -> None:
        """Open the instance and sign in on Home Assistant's login page."""
        await self.page.goto(self.base_url)
        await self.page.locator("input[name=username]").fill(username)
        await self.page.locator("input[name=password]").fill(password)
        await self.shot("login")
        await self.page.get_by_role("button", name="Log in").click()
        await expect(self.page.get_by_text("Settings", exact=True).first).to_be_visible()
        await self.shot("logged-in")

    async def open_integrations(self) -> None:
        """Settings > Devices & services."""
        await self.page.goto(f"{self.base_url}/config/integrations/dashboard")
        await expect(self.page.get_by_role("button", name="Add integration")).to_be_visible()

    async def search_integration(self, name: str) -> Locator:
        """Add integration > type the name; returns the matching entry of the picker."""
        await self.open_integrations()
        await self.page.get_by_role("button", name="Add integration").click()
        # Fill the picker's own search box once it is there: typing blindly races its opening.
        await self.page.get_by_placeholder("Search for a brand name").fill(name)
        # Not scoped to the dialog: its rows are slotted light DOM, outside the <dialog> element.
        entry = self.page.get_by_role("button", name=name, exact=True)
        await expect(entry).to_be_visible()
        await self.shot("integration-picker")
        return entry

    async def add_integration(self, name: str) -> None:
        """Pick the integration in the picker; leaves the config flow's first step open."""
        await (await self.search_integration(name)).click()

    async def open_device(self, name: str) -> None:
        """Settings > Devices & services > Devices > the device called name."""
        await self.page.goto(f"{self.base_url}/config/devices/dashboard")
        await self.page.get_by_placeholder(re.compile(r"^Search .*devices")).fill(name)
        await self.page.get_by_role("row").filter(has_text=name).first.click()
        await expect(self.page).to_have_url(re.compile(r"/config/devices/device/"))
