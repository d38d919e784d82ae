"""Domain input, pairing links, and the hosted public-key check against a loopback server."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import ClientSession, web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api.signing.hosting import (
    WELL_KNOWN_PATH,
    HostedKeyStatus,
    InvalidDomainError,
    async_check_hosted_key,
    normalize_domain,
    pairing_url,
    public_key_url,
)


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


OURS = ec.generate_private_key(ec.SECP256R1())
THEIRS = ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", "example.com"),
        ("  https://Tesla.Example.com/ ", "tesla.example.com"),
        ("http://home.example.org/path?x=1", "home.example.org"),
        ("my-app.example.co.uk.", "my-app.example.co.uk"),
    ],
)
def test_domain_is_normalised(text: str, expected: str) -> None:
    """Users paste URLs; the bare host is what Tesla registers."""
    assert normalize_domain(text) == expected


@pytest.mark.parametrize("text", ["", "localhost", "exa mple.com", "-bad.example.com", "1.2.3.4"])
def test_invalid_domains_are_refused(text: str) -> None:
    """Hosts Tesla cannot register are refused before any request."""
    with pytest.raises(InvalidDomainError):
        normalize_domain(text)


def test_urls() -> None:
    """The documented well-known path and the Tesla-app pairing link."""
    assert public_key_url("example.com") == (
        "https://example.com/.well-known/appspecific/com.tesla.3p.public-key.pem"
    )
    assert pairing_url("example.com") == "https://tesla.com/_ak/example.com"
    assert pairing_url("example.com", "7SAYGDEE0PA000002") == (
        "https://tesla.com/_ak/example.com?vin=7SAYGDEE0PA000002"
    )


@pytest.fixture
async def key_host(socket_enabled: None) -> AsyncIterator[tuple[str, dict[str, web.Response]]]:
    """A loopback web server whose well-known answer each test chooses."""
    answer: dict[str, web.Response] = {}

    async def serve(_request: web.Request) -> web.Response:
        return answer["response"]

    app = web.Application()
    app.router.add_get(WELL_KNOWN_PATH, serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]  # the port the system picked for port 0
    yield f"http://127.0.0.1:{port}{WELL_KNOWN_PATH}", answer
    await runner.cleanup()


@pytest.mark.parametrize(
    ("response", "status", "found"),
    [
        (lambda: web.Response(text=_pem(OURS)), HostedKeyStatus.OK, "BEGIN PUBLIC KEY"),
        (
            lambda: web.Response(text=_pem(THEIRS)),
            HostedKeyStatus.DIFFERENT_KEY,
            _pem(THEIRS).strip(),
        ),
        (lambda: web.Response(status=404), HostedKeyStatus.HTTP_ERROR, "HTTP 404"),
        (
            lambda: web.Response(text="<html>parked domain</html>"),
            HostedKeyStatus.NOT_A_KEY,
            "<html>",
        ),
        (lambda: web.Response(text=""), HostedKeyStatus.NOT_A_KEY, "(empty)"),
    ],
    ids=["ours", "other-key", "404", "html", "empty"],
)
async def test_hosted_key_check(
    key_host: tuple[str, dict[str, web.Response]],
    response: object,
    status: HostedKeyStatus,
    found: str,
) -> None:
    """The check says what it found so the user can fix their hosting."""
    url, answer = key_host
    assert callable(response)
    answer["response"] = response()
    async with ClientSession() as session:
        result = await async_check_hosted_key(session, url, _pem(OURS))
    assert result.status is status
    assert result.ok is (status is HostedKeyStatus.OK)
    assert found in result.found
    assert result.url == url


async def test_unreachable_host(socket_enabled: None) -> None:
    """A closed port is reported as unreachable, not as a crash."""
    async with ClientSession() as session:
        result = await async_check_hosted_key(
            session, f"http://127.0.0.1:9{WELL_KNOWN_PATH}", _pem(OURS), seconds=2
        )
    assert result.status is HostedKeyStatus.UNREACHABLE
