"""What a person does in Home Assistant's web UI, as Playwright steps (one screenshot per step).

Playwright's CSS and role/text locators reach into open shadow roots, which is where Home
Assistant's web components keep their inputs and buttons.
"""

from __future__ import annotations

from pathlib import Path
import re
import time

from playwright.async_api import BrowserContext, Locator, Page, Route, expect

from .page_text import (
    MARKDOWN_RENDERED_JS,
    VISIBLE_TEXT_JS,
    load_strings,
    raw_key_pattern,
    raw_keys,
    translation_defects,
)

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
# The integration's own keys, printed raw by the frontend when their text is missing.
RAW_KEY = raw_key_pattern(raw_keys(load_strings()))
# What the frontend's own navigate() does: starting it over on every page costs seconds.
NAVIGATE_JS = """(path) => {
  history.pushState(null, '', path);
  window.dispatchEvent(new CustomEvent('location-changed', {detail: {replace: false}}));
}"""


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
        self._started = time.monotonic()
        page.set_default_timeout(STEP_TIMEOUT_MS)

    async def shot(self, name: str, page: Page | None = None) -> Path:
        """Save a screenshot named after the step; steps.log says when each was taken."""
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        await (page or self.page).screenshot(path=path, full_page=True)
        with (self.artifacts / "steps.log").open("a", encoding="utf-8") as log:
            log.write(f"{time.monotonic() - self._started:6.1f} s  {path.name}\n")
        return path

    async def navigate(self, path: str) -> None:
        """Go to path inside the running frontend, as its own links do (no page reload)."""
        await self.page.evaluate(NAVIGATE_JS, path)

    async def step(
        self, name: str, *shows: Locator, page: Page | None = None, ours: bool = True
    ) -> None:
        """Wait until the screen shows `shows`, save a screenshot, fail on translation defects.

        Every screen of the walk goes through here, so none escapes the check. A translation
        error often stands where the expected text would be, so either ends the wait, and the
        defect is reported by name rather than as a timeout. `ours=False` is for pages that
        are not Home Assistant's (the emulator's consent page lists scope codes on purpose).
        """
        target = page or self.page
        broken = target.get_by_text("Translation error")
        for shown in shows:
            await expect(shown.or_(broken).first).to_be_visible()
        await target.wait_for_function(MARKDOWN_RENDERED_JS)
        path = await self.shot(name, target)
        texts: list[str] = await target.evaluate(VISIBLE_TEXT_JS)
        defects = translation_defects(texts, RAW_KEY if ours else None)
        assert not defects, f"step {name!r} ({path.name}) shows untranslated text: {defects}"
        for shown in shows:
            await expect(shown).to_be_visible()

    async def log_in(self, username: str, password: str) -> None:
        """Open the instance and sign in on Home Assistant's login page."""
        await self.page.goto(self.base_url)
        await self.page.locator("input[name=username]").fill(username)
        await self.page.locator("input[name=password]").fill(password)
        await self.step("login")
        await self.page.get_by_role("button", name="Log in").click()
        await self.step("logged-in", self.page.get_by_text("Settings", exact=True).first)

    async def open_integrations(self) -> None:
        """Settings > Devices & services."""
        await self.navigate("/config/integrations/dashboard")
        await expect(self.page.get_by_role("button", name="Add integration")).to_be_visible()

    async def search_integration(self, name: str) -> Locator:
        """Add integration > type the name; returns the matching entry of the picker."""
        await self.open_integrations()
        await self.page.get_by_role("button", name="Add integration").click()
        # Fill the picker's own search box once it is there: typing blindly races its opening.
        await self.page.get_by_placeholder("Search for a brand name").fill(name)
        # Not scoped to the dialog: its rows are slotted light DOM, outside the <dialog> element.
        entry = self.page.get_by_role("button", name=name, exact=True)
        await self.step("integration-picker", entry)
        return entry

    async def add_integration(self, name: str) -> None:
        """Pick the integration in the picker; leaves the config flow's first step open."""
        await (await self.search_integration(name)).click()

    async def open_device(self, name: str) -> None:
        """Settings > Devices & services > Devices > the device called name."""
        await self.navigate("/config/devices/dashboard")
        await self.page.get_by_placeholder(re.compile(r"^Search .*devices")).fill(name)
        await self.page.get_by_role("row").filter(has_text=name).first.click()
        await expect(self.page).to_have_url(re.compile(r"/config/devices/device/"))

    async def open_integration(self, domain: str, entry_title: str) -> None:
        """Settings > Devices & services > the integration's page, with its entry listed."""
        await self.navigate(f"/config/integrations/integration/{domain}")
        await self.step("integration", self.page.get_by_text(entry_title, exact=True).first)

    async def entry_menu(self, domain: str, entry_title: str, item: str) -> None:
        """The entry's three-dot menu on the integration's page > item."""
        await self.open_integration(domain, entry_title)
        # The page's own toolbar menu comes first; the entry's follows its Configure button.
        await self.page.get_by_role("button", name="Menu").nth(1).click()
        await self.page.get_by_role("menuitem", name=item).click()

    async def close_dialog(self) -> None:
        """Close the flow dialog with its own button (the one at the bottom of a result)."""
        await self.page.get_by_role("button", name="Close", exact=True).last.click()
        await expect(self.page.get_by_role("dialog")).to_have_count(0)
