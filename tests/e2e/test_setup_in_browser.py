"""A person walks every step of the integration's flows in a real browser, against the dev instance.

Home Assistant runs as its own process (exactly what ./scripts/develop runs), Chromium is
Debian's, the emulator stands in for Tesla, and every screen leaves a screenshot in
artifacts/e2e/. Each screen is also checked for translation defects (`HomeAssistantUI.step`):
a `Translation error` or a key shown instead of text fails the walk at that screen.

The walk ends with streaming: the dev instance's telemetry server (a dev CA its Home Assistant
trusts) and Mosquitto, which its MQTT integration reads and the emulator publishes to. The
emulator runs in this test, so the test drives its stream (`Emulator.advance`), as
`python -m fleet_emulator` does every second on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

from playwright.async_api import (
    BrowserContext,
    Locator,
    Page,
    TimeoutError as PlaywrightTimeoutError,
    async_playwright,
    expect,
)
import pytest

from .dev_instance import DevInstance, start_dev_instance
from .ha_ui import CHROMIUM_ARGS, HomeAssistantUI, confine_to_loopback
from .page_text import load_strings

if TYPE_CHECKING:
    from fleet_emulator import Emulator
    from fleet_emulator.vehicle import Vehicle

DOMAIN = "tesla_fleet_direct"
INTEGRATION_NAME = "Tesla Fleet Direct"
# The emulator's default account: its profile name becomes the entry's title.
ACCOUNT_ID = "owner"
ENTRY_TITLE = "Emulated Owner"
# The emulator's default scenario: "Red Pearl", a Model 3 that is not charging; "Midnight", a
# Model Y that charges and takes signed commands only, so it can stream once the app's key is
# paired.
VIN = "5YJ3E7EB0KF000001"
STREAMING_VIN = "7SAYGDEE0PA000002"
SCOPE_LEFT_OUT_IN_HA = "energy_cmds"
SCOPE_UNTICKED_AT_TESLA = "vehicle_location"
# The app's domain for signed commands; the emulator plays its web host.
APP_DOMAIN = "tesla-app.example.org"
PEM_HEADER = "-----BEGIN PUBLIC KEY-----"
# Home Assistant's own texts (not the integration's) for flows that end well.
RECONFIGURED = "Reconfiguration was successful"
REAUTHENTICATED = "Re-authentication was successful"
OPTIONS_SAVED = "Options successfully saved"
# Starting Home Assistant, two sign-ins, a re-authentication, streaming: well under a minute
# on a quiet machine, more on a busy CI runner.
WALK_TIMEOUT_S = 300
# How long the device page gets to show a streamed value (a message and a one-second hand-over).
STREAMED_MS = 10_000

STRINGS = load_strings()


def text(*path: str) -> str:
    """The integration's English text at path in en.json, e.g. ("config", "step", "x", "title")."""
    node: Any = STRINGS
    for key in path:
        node = node[key]
    assert isinstance(node, str), path
    return node


def step_title(step_id: str) -> str:
    """A config flow step's title."""
    return text("config", "step", step_id, "title")


def scope_label(scope: str) -> str:
    """How the scopes step (and the missing-scopes list) names a scope."""
    return text("selector", "scopes", "options", scope)


def fixed_part(message: str) -> str:
    """The words of a message before its first placeholder."""
    return message.split("{", 1)[0]


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


async def sign_in_at_tesla(
    ui: HomeAssistantUI,
    context: BrowserContext,
    name: str,
    *,
    untick: str | None = None,
    asked_for: tuple[str, ...] = (),
    not_asked_for: tuple[str, ...] = (),
) -> None:
    """Submit the current step, which opens Tesla's page; allow there (unticking one scope)."""
    page = ui.page
    async with context.expect_page() as popup:
        await page.get_by_role("button", name="Submit").click()
    consent = await popup.value
    # While the popup is open, Home Assistant's dialog waits for the sign-in to come back.
    waiting = text("config", "step", "auth", "description")
    await ui.step(f"{name}-waiting", page.get_by_text(waiting))

    # The emulator's consent page stands in for Tesla's.
    await consent.wait_for_load_state()
    allow = consent.get_by_role("button", name="Allow")
    await ui.step(f"{name}-consent", allow, page=consent, ours=False)
    asked = [await box.get_attribute("value") for box in await consent_boxes(consent)]
    for scope in asked_for:
        assert scope in asked, f"{scope} was not asked for at Tesla: {asked}"
    for scope in not_asked_for:
        assert scope not in asked, f"{scope} was asked for at Tesla: {asked}"
    if untick is not None:
        await consent.locator(f"input[name=grant][value={untick}]").uncheck()
        await ui.step(f"{name}-consent-unticked", allow, page=consent, ours=False)
    async with consent.expect_event("close"):
        await allow.click()


async def consent_boxes(consent: Page) -> list[Locator]:
    """The consent page's checkbox per optional scope asked for."""
    boxes = consent.locator("input[name=grant]")
    await expect(boxes).not_to_have_count(0)
    return await boxes.all()


async def set_up(ui: HomeAssistantUI, context: BrowserContext, car: Vehicle) -> None:
    """Add the integration: scopes, Tesla's page (location unticked), missing scopes, devices."""
    page = ui.page
    await ui.add_integration(INTEGRATION_NAME)

    # Home Assistant's scopes step: everything is ticked; leave the energy settings out.
    left_out = scope_label(SCOPE_LEFT_OUT_IN_HA)
    await ui.step("scopes", page.get_by_text(step_title("scopes")), page.get_by_text(left_out))
    # A person clicks the label: the box's drawn check mark sits over the native input.
    await page.get_by_text(left_out, exact=True).click()
    await expect(page.get_by_role("checkbox", name=left_out)).not_to_be_checked()
    await ui.step("scopes-chosen", page.get_by_role("button", name="Submit"))
    await sign_in_at_tesla(
        ui,
        context,
        "setup",
        untick=SCOPE_UNTICKED_AT_TESLA,
        not_asked_for=(SCOPE_LEFT_OUT_IN_HA,),
    )

    # Back in Home Assistant: it noticed the unticked scope and says what will be missing.
    await ui.step(
        "missing-scopes",
        page.get_by_text(step_title("missing_scopes")),
        page.get_by_text(scope_label(SCOPE_UNTICKED_AT_TESLA)),
    )
    menu = ("config", "step", "missing_scopes", "menu_options")
    await page.get_by_text(text(*menu, "finish"), exact=True).click()

    # The entry is created: Home Assistant offers to name and place the new devices, and the
    # integration's note says where streaming is set up.
    note = text("config", "create_entry", "streaming_note").split(":", 1)[0]
    await ui.step("created", page.get_by_text("Name and assign"), page.get_by_text(note))
    names = page.get_by_role("textbox", name="Device name")
    assert car.display_name in [await name.input_value() for name in await names.all()]
    await page.get_by_role("button", name=re.compile("finish", re.IGNORECASE)).click()

    await show_battery_level(ui, car, "device")


async def show_battery_level(ui: HomeAssistantUI, car: Vehicle, name: str) -> None:
    """The car's device page shows the emulator's battery level."""
    await ui.open_device(car.display_name)
    # The row of the entities card that Home Assistant draws for a sensor.
    battery = ui.page.locator("hui-sensor-entity-row").filter(has_text="Battery level")
    await expect(battery).to_contain_text(re.compile(rf"\b{round(car.battery_level)}\s?%"))
    await ui.step(name, battery)


async def change_options(ui: HomeAssistantUI) -> None:
    """Configure: raise the monthly budget; opening the options again shows the new value."""
    page = ui.page
    budget = page.get_by_role("spinbutton", name=re.compile(r"^Monthly budget"))
    await ui.open_integration(DOMAIN, ENTRY_TITLE)
    await page.get_by_role("button", name="Configure").click()
    await ui.step("options", page.get_by_text(text("options", "step", "init", "title")), budget)
    await expect(budget).to_have_value("10")
    await budget.fill("12.5")
    await page.get_by_role("button", name="Submit").click()
    await ui.step("options-saved", page.get_by_text(OPTIONS_SAVED))
    await page.get_by_role("button", name="Finish").click()

    await page.get_by_role("button", name="Configure").click()
    await expect(budget).to_have_value("12.5")
    await ui.close_dialog()


async def reconfigure(ui: HomeAssistantUI, option: str) -> None:
    """Entry menu > Reconfigure > one of the menu's options."""
    page = ui.page
    menu = ("config", "step", "reconfigure", "menu_options")
    await ui.entry_menu(DOMAIN, ENTRY_TITLE, "Reconfigure")
    await ui.step(
        "reconfigure",
        page.get_by_text(step_title("reconfigure")),
        page.get_by_text(text(*menu, "scopes"), exact=True),
        page.get_by_text(text(*menu, "signing_domain"), exact=True),
        page.get_by_text(text(*menu, "streaming"), exact=True),
    )
    await page.get_by_text(text(*menu, option), exact=True).click()


async def reconfigure_permissions(ui: HomeAssistantUI, context: BrowserContext) -> None:
    """Reconfigure > Permissions: grant what was left out; Tesla's page asks for all of it."""
    page = ui.page
    await reconfigure(ui, "scopes")
    await ui.step("reconfigure-scopes", page.get_by_text(step_title("scopes")))
    for scope in (SCOPE_LEFT_OUT_IN_HA, SCOPE_UNTICKED_AT_TESLA):
        box = page.get_by_role("checkbox", name=scope_label(scope))
        # What was not granted starts unticked: the step shows the entry's current grant.
        await expect(box).not_to_be_checked()
        await page.get_by_text(scope_label(scope), exact=True).click()
        await expect(box).to_be_checked()
    await sign_in_at_tesla(
        ui, context, "reconfigure", asked_for=(SCOPE_LEFT_OUT_IN_HA, SCOPE_UNTICKED_AT_TESLA)
    )
    await ui.step("reconfigured", page.get_by_text(RECONFIGURED))
    await ui.close_dialog()


async def set_up_signed_commands(ui: HomeAssistantUI, emulator: Emulator) -> None:
    """Reconfigure > Signed commands: host the key the step shows, register, see the QR step."""
    page = ui.page
    await reconfigure(ui, "signing_domain")
    key = page.locator("pre").filter(has_text=PEM_HEADER)
    await ui.step("signing-domain", page.get_by_text(step_title("signing_domain")), key)
    pem = (await key.inner_text()).strip()
    assert pem.startswith(PEM_HEADER), pem
    assert pem.endswith("-----END PUBLIC KEY-----"), pem

    domain = page.get_by_role("textbox", name=re.compile(r"^App domain"))
    await domain.fill(APP_DOMAIN)
    await page.get_by_role("button", name="Submit").click()
    # Nothing is hosted on the domain yet: the step says so and stays.
    not_served = fixed_part(text("config", "error", "key_not_served"))
    await ui.step("signing-domain-not-hosted", page.get_by_text(not_served))

    # The owner puts the shown file on the app's web host, then submits again.
    emulator.hosted_keys[APP_DOMAIN] = pem
    await page.get_by_role("button", name="Submit").click()
    await ui.step(
        "signing-pair",
        page.get_by_text(step_title("signing_pair")),
        page.get_by_text(f"https://tesla.com/_ak/{APP_DOMAIN}").first,
    )
    # The owner opens the link in the Tesla app and adds the key to the car that takes it.
    emulator.world.security[STREAMING_VIN].pair(pem)
    await page.get_by_role("button", name="Submit").click()
    await ui.step("signing-done", page.get_by_text(RECONFIGURED))
    await ui.close_dialog()


async def dismiss_reload_alert(page: Page) -> None:
    """Close the frontend's "The integration was reloaded" alert if it shows.

    The frontend may confirm a reload with that alert when the call returns, also after the
    entry's set-up was refused, and how soon depends on the refused sign-in's timing; left open,
    it covers the page.
    """
    alert = page.get_by_text("The integration was reloaded")
    try:
        await alert.wait_for(timeout=3000)
    except PlaywrightTimeoutError:
        return
    await page.get_by_role("button", name="OK").click()
    await expect(alert).to_have_count(0)


async def sign_in_again(ui: HomeAssistantUI, context: BrowserContext, emulator: Emulator) -> None:
    """Tesla revokes the sign-in: Home Assistant asks for it again, and it works afterwards."""
    page = ui.page
    car = emulator.vehicle(VIN)
    # Only a read after the new sign-in can bring this level to the page.
    car.battery_level = 63.0
    # A password change at Tesla: the refresh token dies, the access token soon after.
    emulator.revoke_refresh_tokens(ACCOUNT_ID)
    emulator.expire_access_tokens()
    await ui.entry_menu(DOMAIN, ENTRY_TITLE, "Reload")
    # The reload must finish (on the refused sign-in) before the page changes: leaving it
    # while the reload runs would cancel the reload with the page's connection.
    refused = fixed_part(text("exceptions", "auth_failed", "message"))
    await ui.step("reload-refused", page.get_by_text(refused))
    await dismiss_reload_alert(page)

    await ui.open_integrations()
    offer = page.get_by_role("button", name="Reconfigure")
    await ui.step("reauth-offered", offer)
    await dismiss_reload_alert(page)
    await offer.click()
    await ui.step("reauth-confirm", page.get_by_text(step_title("reauth_confirm")))
    await sign_in_at_tesla(ui, context, "reauth")
    await ui.step("reauthenticated", page.get_by_text(REAUTHENTICATED))
    await ui.close_dialog()

    await show_battery_level(ui, car, "signed-in-again")


async def set_up_streaming(ui: HomeAssistantUI, instance: DevInstance, car: Vehicle) -> None:
    """Reconfigure > Set up streaming: the dev instance's server, the default fields, sent.

    The server step's live checks pass (the name resolves, TLS with a certificate Home
    Assistant trusts, the MQTT integration set up); the car whose key is paired takes the
    configuration, the other is told to add the key.
    """
    page = ui.page
    await reconfigure(ui, "streaming")
    await ui.step("streaming-server", page.get_by_text(step_title("streaming_server")))
    await page.get_by_role("textbox", name=re.compile(r"^Host name")).fill(instance.telemetry_host)
    await page.get_by_role("spinbutton", name=re.compile(r"^Port")).fill(
        str(instance.telemetry_port)
    )
    await page.get_by_role("textbox", name=re.compile(r"^MQTT topic base")).fill(
        instance.topic_base
    )
    await page.get_by_role("button", name="Submit").click()

    await ui.step("streaming-fields", page.get_by_text(step_title("streaming_fields")))
    await page.get_by_role("button", name="Submit").click()

    states = ("selector", "streaming_car_state", "options")
    await ui.step(
        "streaming-cars",
        page.get_by_text(step_title("streaming_cars")),
        page.get_by_text(f"{car.display_name}: {text(*states, 'streaming')}"),
        page.get_by_text(fixed_part(text(*states, "missing_key"))),
    )
    await page.get_by_role("button", name="Submit").click()
    await ui.step("streaming-ready", page.get_by_text(text("config", "abort", "streaming_ready")))
    await ui.close_dialog()


async def battery_follows_the_stream(ui: HomeAssistantUI, emulator: Emulator, car: Vehicle) -> None:
    """The car's device page shows each battery level the car streams; nothing is polled.

    The set-up ends with the entry reloaded, which reads every car once and subscribes in the
    background; the page cannot tell when the subscription is in place. So the first level may
    need a few tries (each sets a new level and lets the car send it: a field goes out when it
    changed, at most once per its interval). From the first level shown the stream is live:
    the next levels must follow with no `vehicle_data` request at all.
    """
    page = ui.page
    await ui.open_device(car.display_name)
    battery = page.locator("hui-sensor-entity-row").filter(has_text="Battery level")
    interval = battery_interval(emulator, car)
    # Levels polling never read (the car charges from 48 %), below its charge limit.
    levels = iter(range(71, 80))
    for tries in range(4):
        car.battery_level = float(next(levels))
        # The first time the car connects and sends every field; afterwards the level is due
        # again once its interval has passed (virtual time: the emulator runs in this test).
        emulator.advance(interval if tries else 0)
        try:
            await expect(battery).to_contain_text(streamed(car), timeout=STREAMED_MS)
            break
        except AssertionError:
            if tries == 3:
                raise
    await ui.step("streamed-battery", battery)
    live = len(emulator.ledger.entries)
    for shown in (1, 2):
        car.battery_level = float(next(levels))
        emulator.advance(interval)
        await expect(battery).to_contain_text(streamed(car), timeout=STREAMED_MS)
        await ui.step(f"streamed-battery-{shown}", battery)
    polled = [e.path for e in emulator.ledger.entries[live:] if "vehicle_data" in e.path]
    assert polled == [], f"read by polling while streaming: {polled}"


def battery_interval(emulator: Emulator, car: Vehicle) -> float:
    """The battery level's interval in the configuration the car holds."""
    (config,) = emulator.telemetry.car(car.vin).configs.values()
    interval: float = config.claims["fields"]["BatteryLevel"]["interval_seconds"]
    return interval


def streamed(car: Vehicle) -> re.Pattern[str]:
    """The car's battery level as the page writes it."""
    return re.compile(rf"\b{round(car.battery_level)}\s?%")


@pytest.mark.timeout(WALK_TIMEOUT_S)
async def test_every_flow_step_in_the_browser(
    chromium: Path, browser_profile: Path, artifacts: Path, tmp_path: Path, emulator: Emulator
) -> None:
    """Set up, options, the reconfigure paths and reauth, each screen free of raw keys."""
    car = emulator.vehicle(VIN)
    # A level no default produces, so the page can only show it if it came from the emulator.
    car.battery_level = 57.0
    async with (
        start_dev_instance(tmp_path / "config", artifacts, emulator.url) as instance,
        browser(chromium, browser_profile) as context,
        tab(context, instance, artifacts) as ui,
    ):
        await ui.log_in(instance.username, instance.password)
        await set_up(ui, context, car)
        await change_options(ui)
        await reconfigure_permissions(ui, context)
        await set_up_signed_commands(ui, emulator)
        await sign_in_again(ui, context, emulator)
        # After the reauthentication: it kept the app domain, so streaming can be set up.
        streaming_car = emulator.vehicle(STREAMING_VIN)
        await set_up_streaming(ui, instance, streaming_car)
        await battery_follows_the_stream(ui, emulator, streaming_car)
