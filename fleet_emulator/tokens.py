"""Tokens: authorization codes, signed JWT access tokens and rotating refresh tokens."""

from __future__ import annotations

import base64
from collections.abc import Callable, Container, Mapping
from dataclasses import asdict, dataclass
import hashlib
import secrets
from typing import Any

import jwt

from .scenario import AccountSpec, Settings

CODE_LIFETIME_S = 600.0


@dataclass
class AuthCode:
    """A one-time code handed out by the consent page."""

    client_id: str
    redirect_uri: str
    account_id: str
    scopes: tuple[str, ...]
    expires_at: float
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    used: bool = False


@dataclass
class RefreshGrant:
    """What a refresh token stands for; `used` once it has been rotated away."""

    account_id: str
    client_id: str
    scopes: tuple[str, ...]
    audience: tuple[str, ...]
    expires_at: float
    used: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class ReuseAttempt:
    """A rotated-away refresh token was sent again."""

    account_id: str
    client_id: str
    time: float


@dataclass(frozen=True)
class AccessClaims:
    """A verified access token."""

    sub: str
    scopes: frozenset[str]
    account_id: str | None
    client_id: str
    partner: bool
    raw: dict[str, Any]


class TokenError(Exception):
    """An access token that does not authorise anything; `error` is Tesla's text."""

    def __init__(self, error: str) -> None:
        """Keep Tesla's error string."""
        super().__init__(error)
        self.error = error


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """RFC 7636 check; only S256 is offered (plain is refused when the code is made)."""
    if method != "S256":
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(expected, challenge)


class TokenService:
    """Issues and checks every credential the emulator knows about."""

    def __init__(self, clock: Callable[[], float], settings: Settings, issuer: str) -> None:
        """Fresh signing key per emulator, so tokens from another run never validate."""
        self._clock = clock
        self.settings = settings
        self.issuer = issuer
        self._key = secrets.token_bytes(32)
        self.codes: dict[str, AuthCode] = {}
        self.refresh: dict[str, RefreshGrant] = {}
        self.reuses: list[ReuseAttempt] = []
        # Access tokens issued at or before this generation are rejected (expire_access_tokens).
        self._generation = 0

    # --- authorization codes -------------------------------------------------------------

    def new_code(self, code: AuthCode) -> str:
        """Store a code and return its value."""
        value = f"{secrets.token_hex(20)}"
        self.codes[value] = code
        return value

    def take_code(self, value: str) -> AuthCode | None:
        """A valid, unused code (marked used), or None."""
        code = self.codes.get(value)
        if code is None or code.used or code.expires_at < self._clock():
            return None
        code.used = True
        return code

    # --- tokens --------------------------------------------------------------------------

    def issue(
        self,
        account: AccountSpec,
        client_id: str,
        scopes: tuple[str, ...],
        audience: tuple[str, ...],
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """Access (+ refresh with offline_access, + id token with openid) for an account."""
        now = self._clock()
        lifetime = self.settings.access_token_lifetime_s
        claims = {
            "iss": self.issuer,
            "azp": client_id,
            "sub": account.sub,
            "aud": list(audience),
            "scp": list(scopes),
            "amr": ["pwd"],
            "exp": int(now + lifetime),
            "iat": int(now),
            "ou_code": account.region.upper(),
            "locale": "en-US",
            "account_type": "person",
            "open_source": False,
            "account_id": account.account_id,
            "gen": self._generation,
            "jti": secrets.token_hex(8),
        }
        answer: dict[str, Any] = {
            "access_token": jwt.encode(claims, self._key, algorithm="HS256"),
            "token_type": "Bearer",
            "expires_in": lifetime,
        }
        if "offline_access" in scopes:
            refresh = f"{account.region.upper()}_{secrets.token_hex(32)}"
            self.refresh[refresh] = RefreshGrant(
                account.account_id,
                client_id,
                scopes,
                audience,
                now + self.settings.refresh_token_lifetime_s,
            )
            answer["refresh_token"] = refresh
        if "openid" in scopes:
            id_claims = {
                "iss": self.issuer,
                "sub": account.sub,
                "aud": client_id,
                "iat": int(now),
                "exp": int(now + lifetime),
                "email": account.email,
            }
            if nonce:
                id_claims["nonce"] = nonce
            answer["id_token"] = jwt.encode(id_claims, self._key, algorithm="HS256")
        return answer

    def issue_partner(
        self, client_id: str, scopes: tuple[str, ...], audience: tuple[str, ...]
    ) -> dict[str, Any]:
        """A client-credentials (partner) token: the app itself, no account."""
        now = self._clock()
        lifetime = self.settings.access_token_lifetime_s
        claims = {
            "iss": self.issuer,
            "azp": client_id,
            "sub": client_id,
            "aud": list(audience),
            "scp": list(scopes),
            "exp": int(now + lifetime),
            "iat": int(now),
            "gen": self._generation,
            "partner": True,
            "jti": secrets.token_hex(8),
        }
        token = jwt.encode(claims, self._key, algorithm="HS256")
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}

    def rotate(self, refresh_token: str, client_id: str) -> RefreshGrant | None:
        """Use a refresh token once; None if unknown, used, revoked, expired or not ours."""
        grant = self.refresh.get(refresh_token)
        if grant is not None and grant.used:
            # Tesla locks the user out here; tests assert a client never gets to this point.
            self.reuses.append(ReuseAttempt(grant.account_id, client_id, self._clock()))
        if grant is None or grant.used or grant.revoked or grant.client_id != client_id:
            return None
        if grant.expires_at < self._clock():
            return None
        grant.used = True
        return grant

    def revoke(self, account_id: str) -> int:
        """Invalidate all of an account's refresh tokens (a password reset); returns how many."""
        count = 0
        for grant in self.refresh.values():
            if grant.account_id == account_id and not grant.revoked and not grant.used:
                grant.revoked = True
                count += 1
        return count

    def revoke_token(self, refresh_token: str) -> bool:
        """Invalidate one refresh token; True if it was still usable."""
        grant = self.refresh.get(refresh_token)
        if grant is None or grant.used or grant.revoked:
            return False
        grant.revoked = True
        return True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working."""
        self._generation += 1

    # --- persistence (fleet_emulator/persistence.py) ---------------------------------------

    def export_state(self) -> dict[str, Any]:
        """What a restart must keep so issued tokens stay valid, as JSON-ready data.

        The signing key and generation keep access tokens verifiable; the refresh grants keep
        their rotation and revocation, so a rotated-away token is still refused after a restart.
        Expired grants and authorization codes (ten minutes, one use) are not kept.
        """
        now = self._clock()
        return {
            "key": self._key.hex(),
            "generation": self._generation,
            "refresh": {
                token: asdict(grant)
                for token, grant in self.refresh.items()
                if grant.expires_at >= now
            },
            "reuses": [asdict(reuse) for reuse in self.reuses],
        }

    def restore_state(self, state: Mapping[str, Any], accounts: Container[str]) -> None:
        """Take back `export_state()`'s data; grants of accounts no longer in the scenario go."""
        self._key = bytes.fromhex(state["key"])
        self._generation = int(state["generation"])
        self.refresh = {}
        for token, grant in state["refresh"].items():
            if grant["account_id"] not in accounts:
                continue
            self.refresh[token] = RefreshGrant(
                account_id=grant["account_id"],
                client_id=grant["client_id"],
                scopes=tuple(grant["scopes"]),
                audience=tuple(grant["audience"]),
                expires_at=float(grant["expires_at"]),
                used=bool(grant["used"]),
                revoked=bool(grant["revoked"]),
            )
        self.reuses = [
            ReuseAttempt(reuse["account_id"], reuse["client_id"], float(reuse["time"]))
            for reuse in state.get("reuses", [])
        ]

    def verify(self, token: str) -> AccessClaims:
        """Check signature, expiry and generation; raises TokenError with Tesla's text."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
            )
        except jwt.PyJWTError as err:
            raise TokenError("invalid bearer token") from err
        if claims.get("exp", 0) <= self._clock() or claims.get("gen") != self._generation:
            raise TokenError("token expired (401)")
        if not isinstance(claims.get("scp"), list):
            raise TokenError("invalid bearer token")
        return AccessClaims(
            sub=str(claims["sub"]),
            scopes=frozenset(claims["scp"]),
            account_id=claims.get("account_id"),
            client_id=str(claims.get("azp", "")),
            partner=bool(claims.get("partner")),
            raw=claims,
        )
