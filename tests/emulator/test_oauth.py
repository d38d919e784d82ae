"""The OAuth server: discovery, consent, code + PKCE, rotation and reuse, partner tokens."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import ClientSession
import jwt
import pytest

from fleet_emulator import Emulator

from .conftest import Api

REDIRECT = "https://my.home-assistant.io/redirect/oauth/auth/external/callback"
VERIFIER = "a-verifier-that-is-long-enough-to-be-valid-0123456789abcdef"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")
SCOPES = "openid offline_access user_data vehicle_device_data vehicle_location vehicle_cmds"


def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "client_id": "tfd-client",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPES,
        "state": "s-123",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value}


async def get_code(
    emulator: Emulator, http: ClientSession, grant: list[str] | None = None, **overrides: str
) -> str:
    """Load the consent page and press Allow with the given scopes ticked."""
    params = authorize_params(**overrides)
    url = f"{emulator.url}/oauth2/v3/authorize"
    async with http.get(url, params=params) as page:
        assert page.status == 200
        html = await page.text()
    ticked = grant if grant is not None else re.findall(r'name="grant" value="(\w+)"', html)
    form: list[tuple[str, str]] = [*params.items(), ("decision", "allow")]
    form += [("grant", scope) for scope in ticked]
    async with http.post(url, data=form, allow_redirects=False) as answer:
        assert answer.status == 302
        location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [params["state"]]
    return query["code"][0]


async def token_request(
    emulator: Emulator, http: ClientSession, **form: str
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{emulator.url}/oauth2/v3/token", data=form) as response:
        return response.status, await response.json()


async def exchange(
    emulator: Emulator, http: ClientSession, code: str, **extra: str
) -> tuple[int, dict[str, Any]]:
    form = {
        "grant_type": "authorization_code",
        "client_id": "tfd-client",
        "client_secret": "tfd-secret",
        "code": code,
        "redirect_uri": REDIRECT,
        "audience": emulator.base_url("na"),
    }
    form.update(extra)
    return await token_request(emulator, http, **{k: v for k, v in form.items() if v})


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


async def test_discovery_points_at_the_emulator(emulator: Emulator, http: ClientSession) -> None:
    url = f"{emulator.url}/oauth2/v3/thirdparty/.well-known/openid-configuration"
    async with http.get(url) as response:
        document = await response.json()
    assert document["authorization_endpoint"] == f"{emulator.url}/oauth2/v3/authorize"
    assert document["token_endpoint"] == f"{emulator.url}/oauth2/v3/token"
    assert "vehicle_location" in document["scopes_supported"]
    assert document["code_challenge_methods_supported"] == ["S256"]


async def test_consent_page_lists_requested_scopes_ticked(
    emulator: Emulator, http: ClientSession
) -> None:
    async with http.get(f"{emulator.url}/oauth2/v3/authorize", params=authorize_params()) as page:
        html = await page.text()
    boxes = re.findall(r'<input type="checkbox" name="grant" value="(\w+)" checked>', html)
    assert boxes == ["user_data", "vehicle_device_data", "vehicle_location", "vehicle_cmds"]
    assert "Allow" in html
    assert "Deny" in html


async def test_code_flow_gives_tokens_with_tesla_claims(
    emulator: Emulator, http: ClientSession
) -> None:
    code = await get_code(emulator, http)
    status, tokens = await exchange(emulator, http, code)
    assert status == 200
    assert tokens["refresh_token"].startswith("NA_")
    assert tokens["expires_in"] == 8 * 3600
    access = claims(tokens["access_token"])
    assert access["scp"] == SCOPES.split()
    assert access["aud"] == [emulator.base_url("na")]
    assert access["ou_code"] == "NA"
    assert access["exp"] - access["iat"] == 8 * 3600
    assert access["sub"] == claims(tokens["id_token"])["sub"]


async def test_unticked_scope_is_not_granted(emulator: Emulator, http: ClientSession) -> None:
    code = await get_code(emulator, http, grant=["vehicle_device_data"])
    _, tokens = await exchange(emulator, http, code)
    assert claims(tokens["access_token"])["scp"] == [
        "openid",
        "offline_access",
        "vehicle_device_data",
    ]
    api = Api(emulator, http, tokens["access_token"])
    status, body = await api.command("5YJ3E7EB0KF000001", "honk_horn")
    assert (status, body["error"]) == (403, "Unauthorized missing scopes")


async def test_deny_redirects_with_access_denied(emulator: Emulator, http: ClientSession) -> None:
    form = {**authorize_params(), "decision": "deny"}
    async with http.post(
        f"{emulator.url}/oauth2/v3/authorize", data=form, allow_redirects=False
    ) as answer:
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["s-123"]}


async def test_auto_approve_redirects_at_once(emulator: Emulator, http: ClientSession) -> None:
    emulator.auto_approve = True
    async with http.get(
        f"{emulator.url}/oauth2/v3/authorize", params=authorize_params(), allow_redirects=False
    ) as answer:
        assert answer.status == 302
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    status, _ = await exchange(emulator, http, code)
    assert status == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "nobody"}, "unauthorized_client"),
        ({"redirect_uri": "https://evil.example/steal"}, "invalid_redirect_url"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid teleport"}, "invalid_scope"),
        ({"client_id": "tfd-pkce-client"}, "invalid_request"),
    ],
)
async def test_authorize_rejects_bad_requests(
    emulator: Emulator, http: ClientSession, overrides: dict[str, str], error: str
) -> None:
    async with http.get(
        f"{emulator.url}/oauth2/v3/authorize", params=authorize_params(**overrides)
    ) as page:
        assert page.status == 400
        assert error in await page.text()


async def test_pkce_client_needs_the_right_verifier(
    emulator: Emulator, http: ClientSession
) -> None:
    pkce = {
        "client_id": "tfd-pkce-client",
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
    }
    code = await get_code(emulator, http, None, **pkce)
    status, body = await exchange(
        emulator,
        http,
        code,
        client_id="tfd-pkce-client",
        client_secret="",
        code_verifier="wrong-verifier-wrong-verifier-wrong-verifier-000",
    )
    assert (status, body["error"]) == (400, "invalid_auth_code")
    code = await get_code(emulator, http, None, **pkce)
    status, body = await exchange(
        emulator, http, code, client_id="tfd-pkce-client", client_secret="", code_verifier=VERIFIER
    )
    assert status == 200
    assert body["refresh_token"].startswith("NA_")


async def test_code_is_single_use_and_checked(emulator: Emulator, http: ClientSession) -> None:
    code = await get_code(emulator, http)
    status, body = await exchange(emulator, http, code, client_secret="not-the-secret")
    assert (status, body["error"]) == (401, "invalid_client")
    status, body = await exchange(emulator, http, code, redirect_uri="https://other/cb")
    assert (status, body["error"]) == (400, "invalid_redirect_url")
    # The failed redirect check consumed the code, as a real one-time code would be.
    status, body = await exchange(emulator, http, code)
    assert (status, body["error"]) == (400, "invalid_auth_code")
    code = await get_code(emulator, http)
    status, body = await exchange(emulator, http, code, audience="")
    assert (status, body["error"]) == (400, "invalid_request")


async def test_code_expires_after_ten_minutes(emulator: Emulator, http: ClientSession) -> None:
    code = await get_code(emulator, http)
    emulator.clock.advance(601)
    status, body = await exchange(emulator, http, code)
    assert (status, body["error"]) == (400, "invalid_auth_code")


@pytest.mark.refresh_token_reuse
async def test_refresh_rotates_and_reuse_is_login_required(
    emulator: Emulator, http: ClientSession
) -> None:
    first = emulator.mint_tokens("owner")["refresh_token"]
    form = {"grant_type": "refresh_token", "client_id": "tfd-client"}
    status, second = await token_request(emulator, http, **form, refresh_token=first)
    assert status == 200
    assert second["refresh_token"] != first
    assert second["refresh_token"].startswith("NA_")
    status, body = await token_request(emulator, http, **form, refresh_token=first)
    assert (status, body["error"]) == (401, "login_required")
    assert [(r.account_id, r.client_id) for r in emulator.tokens.reuses] == [
        ("owner", "tfd-client")
    ]
    status, third = await token_request(
        emulator, http, **form, refresh_token=second["refresh_token"]
    )
    assert status == 200
    api = Api(emulator, http, third["access_token"])
    assert (await api.get("/users/me"))[0] == 200


async def test_revoked_refresh_token_is_login_required(
    emulator: Emulator, http: ClientSession
) -> None:
    refresh = emulator.mint_tokens("owner")["refresh_token"]
    assert emulator.revoke_refresh_tokens("owner") == 1
    status, body = await token_request(
        emulator, http, grant_type="refresh_token", client_id="tfd-client", refresh_token=refresh
    )
    assert (status, body["error"]) == (401, "login_required")


async def test_access_tokens_expire_on_the_clock_and_on_demand(
    emulator: Emulator, http: ClientSession
) -> None:
    api = Api(emulator, http, emulator.mint_tokens("owner")["access_token"])
    emulator.clock.advance(8 * 3600 - 5)
    assert (await api.get("/users/me"))[0] == 200
    emulator.clock.advance(10)
    assert await api.get("/users/me") == (
        401,
        {"response": None, "error": "token expired (401)", "error_description": ""},
    )
    api.token = emulator.mint_tokens("owner")["access_token"]
    emulator.expire_access_tokens()
    status, body = await api.get("/users/me")
    assert (status, body["error"]) == (401, "token expired (401)")
    status, body = await api.get("/users/me", token="not-a-jwt")
    assert (status, body["error"]) == (401, "invalid bearer token")


async def test_partner_token_registers_a_hosted_domain(
    emulator: Emulator, http: ClientSession
) -> None:
    status, partner = await token_request(
        emulator,
        http,
        grant_type="client_credentials",
        client_id="tfd-client",
        client_secret="tfd-secret",
        scope="openid vehicle_device_data",
        audience=emulator.base_url("eu"),
    )
    assert status == 200
    assert "refresh_token" not in partner
    api = Api(emulator, http, partner["access_token"], region="eu")
    status, body = await api.post("/partner_accounts", {"domain": "ha.example.org"})
    assert status == 412
    emulator.hosted_keys["ha.example.org"] = "04abcdef"
    status, body = await api.post("/partner_accounts", {"domain": "ha.example.org"})
    assert (status, body["response"]["public_key"]) == (200, "04abcdef")
    status, body = await api.get("/partner_accounts/public_key?domain=ha.example.org")
    assert (status, body["response"]) == (200, {"public_key": "04abcdef"})
    # A partner token is not a user's token.
    assert (await api.get("/products"))[0] == 401


async def test_open_source_app_gets_no_partner_token(
    emulator: Emulator, http: ClientSession
) -> None:
    status, body = await token_request(
        emulator,
        http,
        grant_type="client_credentials",
        client_id="tfd-pkce-client",
        audience=emulator.base_url("na"),
    )
    assert (status, body["error"]) == (400, "unauthorized_client")


async def test_one_refresh_token_can_be_revoked(emulator: Emulator, http: ClientSession) -> None:
    kept = emulator.mint_tokens("owner")["refresh_token"]
    revoked = emulator.mint_tokens("owner")["refresh_token"]
    async with http.post(
        f"{emulator.url}/_emulator/revoke_refresh_token", json={"refresh_token": revoked}
    ) as response:
        assert (await response.json())["revoked"] is True
    form = {"grant_type": "refresh_token", "client_id": "tfd-client"}
    status, body = await token_request(emulator, http, **form, refresh_token=revoked)
    assert (status, body["error"]) == (401, "login_required")
    assert (await token_request(emulator, http, **form, refresh_token=kept))[0] == 200


async def test_tokens_never_reach_the_log(
    emulator: Emulator, http: ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fleet_emulator")
    code = await get_code(emulator, http)
    _, tokens = await exchange(emulator, http, code)
    api = Api(emulator, http, tokens["access_token"])
    emulator.faults.inject("*/products", 503)
    await api.get("/products")
    await api.get("/vehicles/5YJ3E7EB0KF000001/vehicle_data")
    await token_request(
        emulator,
        http,
        grant_type="refresh_token",
        client_id="tfd-client",
        refresh_token=tokens["refresh_token"],
    )
    assert "/vehicle_data -> 200" in caplog.text
    for secret in (code, tokens["access_token"], tokens["refresh_token"], "tfd-secret"):
        assert secret not in caplog.text
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG and "5YJ3" in r.getMessage()]
