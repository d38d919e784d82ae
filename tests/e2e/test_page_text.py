"""The browser walk's translation check, on texts the frontend shows when a translation fails."""

from __future__ import annotations

import pytest

from .page_text import load_strings, raw_key_pattern, raw_keys, translation_defects

RAW_KEY = raw_key_pattern(raw_keys(load_strings()))


@pytest.mark.parametrize(
    "shown",
    [
        # An HTML-like `<your domain>` in a description: ICU reads it as a tag.
        "Translation error: INVALID_TAG",
        # A reference to Home Assistant's common strings that was never resolved.
        "[%key:common::config_flow::abort::reauth_successful%]",
        # Keys the frontend prints when it has no text for them.
        "component.tesla_fleet_direct.config.step.signing_domain.title",
        "ui.panel.config.integrations.config_flow.external_step.description",
        "config.abort.reauth_successful",
        # The integration's own keys standing where words belong.
        "signing_domain",
        "reauth_successful",
        "App domain: app_domain*",
        "- vehicle_location",
    ],
)
def test_defects_are_found(shown: str) -> None:
    """Each of these on a screen fails the walk."""
    assert translation_defects(["Set up signed commands", shown], RAW_KEY) == [shown]


@pytest.mark.parametrize(
    "shown",
    [
        "Set up signed commands",
        "Vehicle location: where the car is (device tracker, navigation)",
        # Our keys inside a URL or path are not shown instead of text.
        "https://tesla-app.example.org/.well-known/appspecific/com.tesla.3p.public-key.pem",
        "http://127.0.0.1:8123/hosted/vehicle_location/x",
        "-----BEGIN PUBLIC KEY-----",
        "Re-authentication was successful",
    ],
)
def test_ordinary_text_passes(shown: str) -> None:
    """Words, URLs and the public key are not mistaken for defects."""
    assert translation_defects([shown], RAW_KEY) == []


def test_pages_not_ours_may_show_scope_codes() -> None:
    """The emulator's consent page names each scope's code next to its text, on purpose."""
    consent = "Vehicle Location vehicle_location"
    assert translation_defects([consent], None) == []
    assert translation_defects([consent], RAW_KEY) == [consent]


def test_keys_cover_every_flow_screen() -> None:
    """Steps, menu options, fields, errors, aborts and scope labels are all looked for."""
    keys = raw_keys(load_strings())
    for key in (
        "signing_domain",
        "signing_pair",
        "missing_scopes",
        "reauth_confirm",
        "app_domain",
        "monthly_budget",
        "key_not_served",
        "wrong_account",
        "vehicle_location",
    ):
        assert key in keys
    assert "data_description" not in keys
    assert "menu_options" not in keys
