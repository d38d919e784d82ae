"""Sign-in through Home Assistant's flow manager, the real callback view and the emulator's OAuth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
import html
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.config_entry_oauth2_flow import LocalOAuth2Implementation
import jwt
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator
from yarl import URL

from custom_components.tesla_fleet_direct import config_flow
from custom_components.tesla_fleet_direct.app_key import async_get_app_key
from custom_components.tesla_fleet_direct.application_credentials import DATA_AUTHORIZE_URL
from custom_components.tesla_fleet_direct.const import DOMAIN
from custom_components.tesla_fleet_direct.endpoints import (
    DATA_ENDPOINTS,
    TESLA_ENDPOINTS,
    AuthUrls,
    get_endpoints,
)
from custom_components.tesla_fleet_direct.signing_setup import PartnerRegistrationError
from custom_components.tesla_fleet_direct.token import token_scopes
from fleet_emulator import Emulator
from fleet_emulator.scenario import AccountSpec

from .common import (
    CLIENT_ID,
    PKCE_CLIENT_ID,
    async_setup_domain,
    create_entry,
    form_schema,
    placeholders,
    setup_integration,
)

pytestmark = pytest.mark.usefixtures("current_request_with_host")

ALL_OPTIONAL = [
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
]
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]+)">')

type Result = ConfigFlowResult


async def _tesla_page(
    url: str,
    *,
    grant: list[str] | None = None,
    decision: str = "allow",
    account: str | None = None,
) -> str:
    """Act as the user on the emulator's consent page; returns the redirect target.

    `grant=None` and no account: the emulator's auto-approve (everything asked for).
    """
    async with aiohttp.ClientSession() as session:
        if grant is None and account is None and decision == "allow":
            auto = str(URL(url).update_query({"emulator_auto_approve": "1"}))
            async with session.get(auto, allow_redirects=False) as response:
                assert response.status == 302, await response.text()
                return response.headers["Location"]
        async with session.get(url) as response:
            assert response.status == 200
            page = await response.text()
        form: list[tuple[str, str]] = [
            (name, html.unescape(value)) for name, value in _HIDDEN.findall(page)
        ]
        form += [("grant", scope) for scope in (grant or [])]
        form += [("decision", decision), ("account", account or "owner")]
        action = _ACTION.search(page)
        assert action is not None
        # The form's action may be relative to the page, as a browser would resolve it.
        target = str(URL(url).join(URL(html.unescape(action.group(1)))))
        async with session.post(target, data=form, allow_redirects=False) as response:
            assert response.status == 302, await response.text()
            return response.headers["Location"]


async def _callback(hass_client_no_auth: ClientSessionGenerator, location: str) -> None:
    """The browser arrives back at Home Assistant's OAuth callback."""
    target = urlsplit(location)
    assert target.path == "/auth/external/callback"
    client = await hass_client_no_auth()
    response = await client.get(f"{target.path}?{target.query}")
    assert response.status == 200


async def _sign_in(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    result: Result,
    **page: Any,
) -> Result:
    """From the external step to the flow's next result, through Tesla's page and the callback."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    await _callback(hass_client_no_auth, await _tesla_page(result["url"], **page))
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def _start(hass: HomeAssistant, scopes: list[str] | None = None) -> Result:
    """A new flow, past the scopes step."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "scopes"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"scopes": scopes if scopes is not None else ALL_OPTIONAL}
    )


async def test_full_sign_in(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """All scopes, the emulator's real OAuth server: one entry for the account, loaded."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    query = parse_qs(urlsplit(result["url"]).query)
    assert result["url"].startswith(f"{emulator.url}/oauth2/v3/authorize?")
    assert query["scope"][0].split() == ["openid", "offline_access", *ALL_OPTIONAL]
    assert query["prompt_missing_scopes"] == ["true"]
    assert query["client_id"] == [CLIENT_ID]
    assert "code_challenge" not in query  # an app with a secret uses the secret

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.title == "Emulated Owner"
    assert entry.unique_id == emulator.world.accounts["owner"].sub
    assert entry.data["region"] == "na"
    assert entry.data["base_url"] == emulator.base_url("na")
    assert entry.data["auth_implementation"] == DOMAIN
    token = entry.data["token"]
    assert token["refresh_token"].startswith("NA_")
    assert token["expires_at"] > 0
    assert token_scopes(token["access_token"]) == {"openid", "offline_access", *ALL_OPTIONAL}
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_scopes_step_needs_one_scope(hass: HomeAssistant, emulator: Emulator) -> None:
    """Nothing ticked: the form says so instead of sending the user to Tesla for nothing."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass, scopes=[])
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_scopes"}


async def test_open_source_app_uses_pkce(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """An app without a secret signs in with PKCE (the emulator refuses it otherwise)."""
    await async_setup_domain(hass, emulator, client_id=PKCE_CLIENT_ID, client_secret="none")
    result = await _start(hass)
    query = parse_qs(urlsplit(result["url"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [PKCE_CLIENT_ID]

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unticked_scope_shows_missing_features(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Location unticked on Tesla's page: the user is told, continues, and the entry lacks it."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    granted = [scope for scope in ALL_OPTIONAL if scope != "vehicle_location"]

    result = await _sign_in(hass, hass_client_no_auth, result, grant=granted)

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "missing_scopes"
    assert result["menu_options"] == ["finish", "scopes"]
    assert "Vehicle location" in placeholders(result)["missing"]
    assert "Vehicle data" not in placeholders(result)["missing"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "finish"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    scopes = token_scopes(result["result"].data["token"]["access_token"])
    assert "vehicle_location" not in scopes
    assert "vehicle_device_data" in scopes


async def test_go_back_and_grant_missing_scope(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Going back from the notice leads to Tesla's page again; granting everything finishes."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    result = await _sign_in(
        hass, hass_client_no_auth, result, grant=["vehicle_device_data", "energy_device_data"]
    )
    assert result["step_id"] == "missing_scopes"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "scopes"}
    )
    assert result["step_id"] == "scopes"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"scopes": ALL_OPTIONAL}
    )
    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert token_scopes(result["result"].data["token"]["access_token"]) >= set(ALL_OPTIONAL)


async def test_denied_consent(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Deny on Tesla's page: the flow ends, no entry."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)

    result = await _sign_in(hass, hass_client_no_auth, result, decision="deny")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "user_rejected_authorize"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_wrong_client_secret(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Tesla refuses the secret at the code exchange: the abort says to check the credentials."""
    await async_setup_domain(hass, emulator, client_secret="not-the-secret")
    result = await _start(hass)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_client"


async def test_discovery_unreachable_uses_known_url(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Discovery fails: the known authorize URL is used; discovery is tried again later."""
    emulator.faults.inject("/oauth2/v3/thirdparty/*", 503)
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    assert result["url"].startswith(f"{emulator.url}/oauth2/v3/authorize?")
    assert not emulator.faults.rules  # discovery was asked

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Not asked again at once (the entry's set-up also lists the implementations) ...
    assert DATA_AUTHORIZE_URL not in hass.data
    # ... but after a while.
    freezer.tick(timedelta(minutes=16))
    result = await _start(hass)
    assert hass.data[DATA_AUTHORIZE_URL] == f"{emulator.url}/oauth2/v3/authorize"


async def test_discovery_read_once_and_untrusted_url_ignored(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A discovery answer pointing off Tesla's hosts is ignored; a good answer is read once."""
    emulator.faults.inject(
        "/oauth2/v3/thirdparty/*",
        200,
        body={"authorization_endpoint": "https://phish.example/oauth2/v3/authorize"},
    )
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    assert result["url"].startswith(f"{emulator.url}/oauth2/v3/authorize?")
    hass.config_entries.flow.async_abort(result["flow_id"])

    # Cached now: a fault on the discovery URL is never reached by the next sign-in.
    fault = emulator.faults.inject("/oauth2/v3/thirdparty/*", 503)
    result = await _start(hass)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert fault in emulator.faults.rules


async def test_region_moved_is_resolved(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The token says North America but Tesla answers 421: the entry is made for Europe."""
    issue = emulator.tokens.issue

    def issue_then_move(*args: Any, **kwargs: Any) -> dict[str, Any]:
        answer = issue(*args, **kwargs)
        # The account moves after its token named the old region (a stale `ou_code`).
        emulator.world.accounts["owner"] = replace(emulator.world.accounts["owner"], region="eu")
        return answer

    emulator.tokens.issue = issue_then_move  # type: ignore[method-assign]
    await async_setup_domain(hass, emulator)
    result = await _start(hass)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data["region"] == "eu"
    assert result["result"].data["base_url"] == emulator.base_url("eu")
    statuses = [(e.path, e.status) for e in emulator.ledger.entries if "products" in e.path]
    # The flow's own look-up; the entry's set-up afterwards goes straight to Europe.
    assert statuses == [
        ("/na/api/1/products", 421),
        ("/eu/api/1/products", 200),
        ("/eu/api/1/products", 200),
    ]


async def test_account_without_usable_products(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """An account with nothing on it: a clear abort instead of an empty entry."""
    emulator.world.accounts["empty"] = AccountSpec("empty", email="empty@example.com")
    await async_setup_domain(hass, emulator)
    result = await _start(hass)

    result = await _sign_in(hass, hass_client_no_auth, result, grant=ALL_OPTIONAL, account="empty")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_products"


async def test_same_account_twice(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The account is already set up: abort, the existing entry untouched."""
    entry = await setup_integration(hass, emulator)
    token = entry.data["token"]
    result = await _start(hass)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data["token"] == token
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def _reauth(hass: HomeAssistant, entry: Any) -> Result:
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    return await hass.config_entries.flow.async_configure(result["flow_id"], {})


async def test_reauth_same_account(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Reauth signs the same account in again: new tokens in the same entry, loaded again."""
    entry = await setup_integration(hass, emulator)
    old_refresh = entry.data["token"]["refresh_token"]
    emulator.revoke_refresh_tokens("owner")
    result = await _reauth(hass, entry)
    query = parse_qs(urlsplit(result["url"]).query)
    assert "vehicle_cmds" in query["scope"][0]
    assert query["prompt"] == ["login"]

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"]["refresh_token"] != old_refresh
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_other_account(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Signing in as someone else during reauth aborts and keeps the entry's account."""
    emulator.world.accounts["other"] = AccountSpec("other", email="other@example.com")
    entry = await setup_integration(hass, emulator)
    token = entry.data["token"]
    result = await _reauth(hass, entry)

    result = await _sign_in(hass, hass_client_no_auth, result, grant=ALL_OPTIONAL, account="other")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data["token"] == token


async def test_reconfigure_adds_a_scope(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Granting location and commands later: same entry, new token, and the entities appear."""
    first = [scope for scope in ALL_OPTIONAL if scope not in ("vehicle_location", "vehicle_cmds")]
    entry = await setup_integration(hass, emulator, scopes=["openid", "offline_access", *first])
    assert not _entities(entity_registry, entry, "device_tracker")
    # Charging scope only: the charge-cable locks, not the doors.
    locks = _entities(entity_registry, entry, "lock")
    result = await _reconfigure(hass, entry, "scopes")
    assert result["step_id"] == "scopes"
    assert _default(result, "scopes") == first

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"scopes": ALL_OPTIONAL}
    )
    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert {"vehicle_cmds", "vehicle_location"} <= entry.runtime_data.scopes
    assert _entities(entity_registry, entry, "device_tracker")
    assert set(_entities(entity_registry, entry, "lock")) > set(locks)
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_reconfigure_removes_a_scope(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Taking location away: the new token lacks it and the car's tracker is not set up again."""
    entry = await setup_integration(hass, emulator)
    trackers = _entities(entity_registry, entry, "device_tracker")
    assert trackers
    result = await _reconfigure(hass, entry, "scopes")
    without = [scope for scope in ALL_OPTIONAL if scope != "vehicle_location"]

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"scopes": without})
    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert "vehicle_location" not in entry.runtime_data.scopes
    for entity_id in trackers:
        state = hass.states.get(entity_id)
        assert state is None or state.state == "unavailable"


async def _reconfigure(hass: HomeAssistant, entry: Any, choice: str) -> Result:
    """Open Reconfigure and pick one of its menu entries."""
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["scopes", "signing_domain", "streaming"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": choice}
    )


def _entities(registry: er.EntityRegistry, entry: Any, domain: str) -> list[str]:
    """The entity ids of one platform of the entry."""
    return [
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, entry.entry_id)
        if item.domain == domain
    ]


def _default(result: Result, field: str) -> Any:
    """The default a form shows for a field."""
    for key in form_schema(result).schema:
        if str(key) == field:
            default: Callable[[], Any] = key.default
            return default()
    raise AssertionError(f"{field} not in the form")


async def test_account_read_fails_then_retry(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Tesla answers 503 right after sign-in: the user is told and can retry without OAuth."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    emulator.faults.inject("/na/api/1/products", 503)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "finish"
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(("status", "reason"), [(400, "code_rejected"), (503, "token_unavailable")])
async def test_code_exchange_failures(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    status: int,
    reason: str,
) -> None:
    """A refused code and an unavailable token endpoint end with what to do next."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    emulator.faults.inject("/oauth2/v3/token", status)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def test_token_endpoint_too_slow(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tesla does not answer the code exchange in time: the flow ends instead of hanging."""
    # The emulator's latency is real time, so the flow's limit is shrunk rather than waited out.
    monkeypatch.setattr(config_flow, "TOKEN_TIMEOUT_S", 0.01)
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    emulator.faults.inject("/oauth2/v3/token", latency=0.2)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_timeout"
    assert not hass.config_entries.async_entries(DOMAIN)


def _access_token(claims: dict[str, Any]) -> str:
    """A JWT shaped like Tesla's (the flow reads its claims without checking the signature)."""
    return jwt.encode(claims, "not-tesla-" * 4, algorithm="HS256")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            {"access_token": _access_token({"sub": "x"}), "token_type": "Bearer"},
            id="no_expires_in",
        ),
        pytest.param({"expires_in": 28800, "token_type": "Bearer"}, id="no_access_token"),
        pytest.param(
            {"access_token": _access_token({"sub": "x"}), "expires_in": "soon"},
            id="expires_in_not_a_number",
        ),
        pytest.param(
            {"access_token": _access_token({"scp": ["openid"]}), "expires_in": 28800},
            id="no_sub",
        ),
        pytest.param(
            {"access_token": _access_token({"sub": ""}), "expires_in": 28800},
            id="empty_sub",
        ),
    ],
)
async def test_unusable_token_answer(
    hass: HomeAssistant,
    emulator: Emulator,
    hass_client_no_auth: ClientSessionGenerator,
    answer: dict[str, Any],
) -> None:
    """A token answer missing what the entry needs (or naming no account) is refused."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    emulator.faults.inject("/oauth2/v3/token", 200, body=answer)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_token"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_new_token_refused_by_the_api(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The fresh token is refused (401) when the account is read: a clear abort, no entry."""
    await async_setup_domain(hass, emulator)
    result = await _start(hass)
    # Twice: the client retries once after a refresh, which here is the same token.
    emulator.faults.inject("/na/api/1/products", 401, count=2)

    result = await _sign_in(hass, hass_client_no_auth, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "token_refused"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_credentials_dialog_explains_the_app(
    hass: HomeAssistant, emulator: Emulator, hass_ws_client: WebSocketGenerator
) -> None:
    """The Application Credentials dialog names Tesla's developer site and the redirect URI."""
    await async_setup_domain(hass, emulator)
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.org"})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "application_credentials/config"})
    answer = await client.receive_json()

    placeholders = answer["result"]["integrations"][DOMAIN]["description_placeholders"]
    assert placeholders["developer_url"].startswith("https://developer.tesla.com")
    assert placeholders["redirect_uri"] == "https://ha.example.org/auth/external/callback"


@pytest.fixture
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """A fresh config directory, so the app key is made for this test."""
    hass.config.config_dir = str(tmp_path)


@pytest.mark.usefixtures("private_config_dir")
async def test_reconfigure_offers_signing_set_up(hass: HomeAssistant, emulator: Emulator) -> None:
    """Reconfigure leads to the signing steps; the key check asks the emulator in dev mode."""
    entry = await setup_integration(hass, emulator)
    result = await _reconfigure(hass, entry, "signing_domain")
    assert result["step_id"] == "signing_domain"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"app_domain": "tesla.example.com"}
    )

    assert result["errors"] == {"base": "key_not_served"}
    assert placeholders(result)["url"] == (
        f"{emulator.url}/hosted/tesla.example.com/.well-known/appspecific/com.tesla.3p.public-key.pem"
    )


@pytest.mark.usefixtures("private_config_dir")
async def test_signing_set_up_through_reconfigure(hass: HomeAssistant, emulator: Emulator) -> None:
    """Hosted key found, domain registered in the account's region, link shown, domain kept."""
    entry = await setup_integration(hass, emulator)
    point = (await async_get_app_key(hass)).public_point.hex()
    emulator.hosted_keys["tesla.example.com"] = point
    result = await _reconfigure(hass, entry, "signing_domain")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"app_domain": "https://Tesla.Example.com/"}
    )

    assert result["step_id"] == "signing_pair"
    assert placeholders(result)["url"].startswith("https://tesla.com/_ak/tesla.example.com")
    assert emulator.partner_domains[(CLIENT_ID, "na")] == ("tesla.example.com", point)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["app_domain"] == "tesla.example.com"


@pytest.mark.usefixtures("private_config_dir")
async def test_partner_registration_and_domain_stored(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The flow registers the domain with a partner token and stores it in the entry."""
    entry = await setup_integration(hass, emulator)
    point = (await async_get_app_key(hass)).public_point.hex()
    emulator.hosted_keys["tesla.example.com"] = point
    result = await _reconfigure(hass, entry, "signing_domain")
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    assert isinstance(flow, config_flow.TeslaFleetDirectConfigFlow)

    assert await flow.async_register_app_domain("tesla.example.com") == point
    assert emulator.partner_domains[(CLIENT_ID, "na")] == ("tesla.example.com", point)
    with pytest.raises(PartnerRegistrationError) as err:
        await flow.async_register_app_domain("unhosted.example.com")
    assert err.value.status == 412

    result = await flow.async_signing_done("tesla.example.com")
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["app_domain"] == "tesla.example.com"
    await hass.async_block_till_done()
    assert entry.runtime_data.app_domain == "tesla.example.com"


@pytest.mark.usefixtures("private_config_dir")
async def test_open_source_app_cannot_register(hass: HomeAssistant, emulator: Emulator) -> None:
    """An app without a secret gets no partner token: registration fails without a request."""
    await async_setup_domain(hass, emulator, client_id=PKCE_CLIENT_ID, client_secret="none")
    entry = create_entry(hass, emulator)
    result = await _reconfigure(hass, entry, "signing_domain")
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    assert isinstance(flow, config_flow.TeslaFleetDirectConfigFlow)

    with pytest.raises(PartnerRegistrationError) as err:
        await flow.async_register_app_domain("tesla.example.com")
    assert err.value.status is None


def test_china_signs_in_on_tesla_cn() -> None:
    """Tesla's China accounts: auth.tesla.cn and the China Fleet API host (fleet-api.md)."""
    china = TESLA_ENDPOINTS.auth_for("cn")
    assert china is not None
    assert china.authorize_url == "https://auth.tesla.cn/oauth2/v3/authorize"
    assert china.token_url == "https://auth.tesla.cn/oauth2/v3/token"
    assert TESLA_ENDPOINTS.token_url_for("cn") == china.token_url
    assert TESLA_ENDPOINTS.base_url("cn") == "https://fleet-api.prd.cn.vn.cloud.tesla.cn"
    # The other regions sign in on the global hosts and are found after sign-in.
    assert TESLA_ENDPOINTS.auth_for("na") is None
    assert TESLA_ENDPOINTS.auth_for("eu") is None
    assert TESLA_ENDPOINTS.token_url_for("eu") == TESLA_ENDPOINTS.token_url


async def test_china_account_sign_in_and_refresh(
    hass: HomeAssistant, emulator: Emulator, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Choosing China: Tesla China's sign-in page, its token host with China's audience (for
    the code and every refresh), and an entry served by the China Fleet API host."""
    emulator.world.accounts["owner"] = replace(emulator.world.accounts["owner"], region="cn")
    await async_setup_domain(hass, emulator)
    # China's real authorize page, and a token URL that tells China's exchanges apart (the
    # emulator has one OAuth server and ignores the query).
    china_token = f"{emulator.url}/oauth2/v3/token?tesla=cn"
    hass.data[DATA_ENDPOINTS] = replace(
        get_endpoints(hass),
        regional_auth={"cn": AuthUrls("https://auth.tesla.cn/oauth2/v3/authorize", china_token)},
    )
    # What reaches Home Assistant's token request (after our implementation added to it).
    sent: list[tuple[str, dict[str, Any]]] = []
    exchange = LocalOAuth2Implementation._token_request

    async def record(self: LocalOAuth2Implementation, data: dict[str, Any]) -> dict[str, Any]:
        sent.append((self.token_url, dict(data)))
        return await exchange(self, data)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"scopes": ALL_OPTIONAL, "account_region": "cn"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["url"].startswith("https://auth.tesla.cn/oauth2/v3/authorize?")
    # The emulator stands in for Tesla China's sign-in page.
    page = result["url"].replace("https://auth.tesla.cn", emulator.url, 1)
    with patch.object(LocalOAuth2Implementation, "_token_request", record):
        await _callback(hass_client_no_auth, await _tesla_page(page))
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
        assert result["type"] is FlowResultType.CREATE_ENTRY
        entry = result["result"]
        await hass.async_block_till_done()
        assert entry.data["region"] == "cn"
        assert entry.data["base_url"] == emulator.base_url("cn")
        assert entry.state is ConfigEntryState.LOADED
        await entry.runtime_data.tokens.async_refresh_access_token(
            entry.data["token"]["access_token"]
        )
    assert [(url, data["grant_type"], data["audience"]) for url, data in sent] == [
        (china_token, "authorization_code", emulator.base_url("cn")),
        (china_token, "refresh_token", emulator.base_url("cn")),
    ]


async def test_worldwide_account_keeps_the_global_sign_in(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The default choice signs in at the global host, as before."""
    await async_setup_domain(hass, emulator)
    hass.data[DATA_ENDPOINTS] = replace(
        get_endpoints(hass),
        regional_auth={
            "cn": AuthUrls("https://auth.tesla.cn/oauth2/v3/authorize", "https://auth.tesla.cn")
        },
    )
    result = await _start(hass)
    assert result["url"].startswith(f"{emulator.url}/oauth2/v3/authorize?")
