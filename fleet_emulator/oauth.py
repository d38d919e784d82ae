"""Tesla's OAuth server: discovery, the consent page and the token endpoint."""

from __future__ import annotations

from collections.abc import Mapping
import html
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from . import errors
from .http import apply_fault
from .scenario import ClientSpec
from .tokens import CODE_LIFETIME_S, AuthCode, pkce_matches

if TYPE_CHECKING:
    from .emulator import Emulator

PREFIX = "/oauth2/v3"
DISCOVERY_PATH = f"{PREFIX}/thirdparty/.well-known/openid-configuration"
# Always granted: signing in and the refresh token are not optional on Tesla's page.
MANDATORY_SCOPES = ("openid", "offline_access")
OPTIONAL_SCOPES = (
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
    "energy_device_data",
    "energy_cmds",
)
SCOPES = MANDATORY_SCOPES + OPTIONAL_SCOPES
SCOPE_TEXT = {
    "user_data": "Profile Information",
    "vehicle_device_data": "Vehicle Information",
    "vehicle_location": "Vehicle Location",
    "vehicle_cmds": "Vehicle Commands",
    "vehicle_charging_cmds": "Vehicle Charging Management",
    "energy_device_data": "Energy Product Information",
    "energy_cmds": "Energy Product Commands",
}
AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
)


def setup(app: web.Application, emu: Emulator) -> None:
    """Mount the OAuth routes."""

    async def discovery(request: web.Request) -> web.StreamResponse:
        return await apply_fault(request, emu) or web.json_response(discovery_document(emu))

    async def authorize(request: web.Request) -> web.StreamResponse:
        fault = await apply_fault(request, emu)
        if fault is not None:
            return fault
        if request.method == "POST":
            post = await request.post()
            grants = {str(value) for value in post.getall("grant", [])}
            return _decide(emu, {key: str(value) for key, value in post.items()}, grants)
        return _authorize_get(emu, dict(request.query))

    async def token(request: web.Request) -> web.StreamResponse:
        fault = await apply_fault(request, emu)
        if fault is not None:
            return fault
        form: Mapping[str, Any]
        if request.content_type == "application/json":
            body = await request.json()
            form = body if isinstance(body, dict) else {}
        else:
            form = dict(await request.post())
        emu.world.advance()
        return _token(emu, {key: str(value) for key, value in form.items()})

    async def keys(request: web.Request) -> web.StreamResponse:
        # HS256 tokens: there is no public key to publish (documented in docs/emulator.md).
        return web.json_response({"keys": []})

    app.router.add_get(DISCOVERY_PATH, discovery)
    app.router.add_route("*", f"{PREFIX}/authorize", authorize)
    app.router.add_post(f"{PREFIX}/token", token)
    app.router.add_get(f"{PREFIX}/discovery/keys", keys)


def discovery_document(emu: Emulator) -> dict[str, Any]:
    """The OpenID configuration, pointing at this emulator."""
    return {
        "issuer": emu.issuer,
        "authorization_endpoint": f"{emu.url}{PREFIX}/authorize",
        "token_endpoint": f"{emu.url}{PREFIX}/token",
        "jwks_uri": f"{emu.url}{PREFIX}/discovery/keys",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
    }


def _page(status: int, title: str, message: str) -> web.Response:
    body = (
        f"<!doctype html><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def _validate_request(emu: Emulator, query: Mapping[str, str]) -> web.Response | ClientSpec:
    client = emu.client(query.get("client_id", ""))
    if client is None:
        return _page(400, "unauthorized_client", "Unknown client_id.")
    if not client.allows_redirect(query.get("redirect_uri", "")):
        return _page(400, "invalid_redirect_url", "This redirect_uri is not registered.")
    if query.get("response_type") != "code":
        return _page(400, "unsupported_response_type", "response_type must be code.")
    challenge = query.get("code_challenge")
    if challenge and query.get("code_challenge_method") != "S256":
        return _page(400, "invalid_request", "code_challenge_method must be S256.")
    if client.client_secret is None and not challenge:
        return _page(400, "invalid_request", "This app has no secret: PKCE is required.")
    requested = query.get("scope", "").split()
    unknown = [scope for scope in requested if scope not in SCOPES]
    if unknown or not requested:
        return _page(400, "invalid_scope", f"Unknown or missing scopes: {' '.join(unknown)}")
    return client


def _authorize_get(emu: Emulator, query: dict[str, str]) -> web.Response:
    checked = _validate_request(emu, query)
    if isinstance(checked, web.Response):
        return checked
    requested = query["scope"].split()
    auto = emu.auto_approve or query.get("emulator_auto_approve") in ("1", "true")
    if auto:
        account = emu.login(query.get("login_hint"))
        return _redirect_with_code(emu, query, account, requested)
    return _consent_page(emu, query, checked, requested)


def _consent_page(
    emu: Emulator, query: Mapping[str, str], client: ClientSpec, requested: list[str]
) -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(query[name])}">'
        for name in AUTHORIZE_FIELDS
        if name in query
    )
    boxes = "".join(
        f'<li><label><input type="checkbox" name="grant" value="{scope}" checked> '
        f"{html.escape(SCOPE_TEXT[scope])} <code>{scope}</code></label></li>"
        for scope in requested
        if scope in OPTIONAL_SCOPES
    )
    accounts = "".join(
        f'<option value="{html.escape(a.account_id)}">{html.escape(a.email)}</option>'
        for a in emu.world.accounts.values()
    )
    body = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Tesla (emulated) - Allow access</title></head>
<body><h1>Allow {html.escape(client.name)} to access your Tesla account?</h1>
<form method="post" action="{PREFIX}/authorize">{hidden}
<p><label>Account <select name="account">{accounts}</select></label></p>
<ul>{boxes}</ul>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>"""
    return web.Response(text=body, content_type="text/html")


def _decide(emu: Emulator, form: dict[str, str], granted_optional: set[str]) -> web.Response:
    query = {name: str(form[name]) for name in AUTHORIZE_FIELDS if name in form}
    checked = _validate_request(emu, query)
    if isinstance(checked, web.Response):
        return checked
    if form.get("decision") != "allow":
        params = {"error": "access_denied", "state": query.get("state", "")}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode(params)}")
    requested = [
        scope
        for scope in query["scope"].split()
        if scope in MANDATORY_SCOPES or scope in granted_optional
    ]
    account = emu.login(form.get("account"))
    return _redirect_with_code(emu, query, account, requested)


def _redirect_with_code(
    emu: Emulator, query: Mapping[str, str], account_id: str, scopes: list[str]
) -> web.Response:
    code = emu.tokens.new_code(
        AuthCode(
            client_id=query["client_id"],
            redirect_uri=query["redirect_uri"],
            account_id=account_id,
            scopes=tuple(scopes),
            expires_at=emu.clock.now() + CODE_LIFETIME_S,
            code_challenge=query.get("code_challenge"),
            code_challenge_method=query.get("code_challenge_method"),
            nonce=query.get("nonce"),
        )
    )
    params = {"code": code, "state": query.get("state", ""), "issuer": emu.issuer}
    separator = "&" if "?" in query["redirect_uri"] else "?"
    raise web.HTTPFound(f"{query['redirect_uri']}{separator}{urlencode(params)}")


def _client_auth(emu: Emulator, form: Mapping[str, str]) -> ClientSpec | web.Response:
    client = emu.client(form.get("client_id", ""))
    if client is None:
        return errors.oauth_error(400, "unauthorized_client", "unknown client_id")
    secret = form.get("client_secret")
    if client.client_secret is not None and (
        secret is None or not secrets.compare_digest(secret, client.client_secret)
    ):
        return errors.oauth_error(401, "invalid_client", "client authentication failed")
    return client


def _audience(emu: Emulator, form: Mapping[str, str]) -> tuple[str, ...] | web.Response:
    audience = form.get("audience", "").rstrip("/")
    if not audience:
        return errors.oauth_error(400, "invalid_request", "audience is required")
    if audience not in emu.base_urls():
        return errors.oauth_error(400, "invalid_request", f"unknown audience {audience}")
    return (audience,)


def _token(emu: Emulator, form: dict[str, str]) -> web.Response:
    grant_type = form.get("grant_type")
    if grant_type == "refresh_token":
        return _refresh(emu, form)
    client = _client_auth(emu, form)
    if isinstance(client, web.Response):
        return client
    if grant_type == "authorization_code":
        return _exchange_code(emu, form, client)
    if grant_type == "client_credentials":
        if client.client_secret is None:
            return errors.oauth_error(
                400, "unauthorized_client", "open source apps have no partner token"
            )
        audience = _audience(emu, form)
        if isinstance(audience, web.Response):
            return audience
        scopes = tuple(scope for scope in form.get("scope", "").split() if scope in SCOPES)
        return web.json_response(emu.tokens.issue_partner(client.client_id, scopes, audience))
    return errors.oauth_error(400, "unsupported_grant_type", f"grant_type {grant_type!r}")


def _exchange_code(emu: Emulator, form: Mapping[str, str], client: ClientSpec) -> web.Response:
    audience = _audience(emu, form)
    if isinstance(audience, web.Response):
        return audience
    code = emu.tokens.take_code(form.get("code", ""))
    if code is None or code.client_id != client.client_id:
        return errors.oauth_error(400, "invalid_auth_code", "unknown, used or expired code")
    if form.get("redirect_uri") != code.redirect_uri:
        return errors.oauth_error(400, "invalid_redirect_url", "redirect_uri does not match")
    if code.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        if not pkce_matches(verifier, code.code_challenge, code.code_challenge_method):
            return errors.oauth_error(400, "invalid_auth_code", "code_verifier does not match")
    account = emu.world.accounts[code.account_id]
    scopes = code.scopes
    if form.get("scope"):
        # A token request may narrow, never widen, what the user granted.
        scopes = tuple(scope for scope in form["scope"].split() if scope in code.scopes)
    return web.json_response(
        emu.tokens.issue(account, client.client_id, scopes, audience, code.nonce)
    )


def _refresh(emu: Emulator, form: Mapping[str, str]) -> web.Response:
    client = emu.client(form.get("client_id", ""))
    if client is None:
        return errors.oauth_error(400, "unauthorized_client", "unknown client_id")
    grant = emu.tokens.rotate(form.get("refresh_token", ""), client.client_id)
    if grant is None:
        return errors.oauth_error(401, "login_required", "refresh token is invalid or was used")
    account = emu.world.accounts[grant.account_id]
    answer = emu.tokens.issue(account, client.client_id, grant.scopes, grant.audience)
    return web.json_response(answer)
