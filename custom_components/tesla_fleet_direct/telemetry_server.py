"""Live checks of the user's Fleet Telemetry server, as a car would see it (no Home Assistant).

The car connects to `hostname:port` with TLS and checks the server's certificate against the
`ca` it was sent: the chain above the server's certificate, root included (Tesla's
`tools/check_server_cert.sh` in teslamotors/fleet-telemetry runs `openssl verify -CAfile ca
<server certificate>` for the same reason). So, in order: the name resolves, the port answers
TLS, the certificate is valid for the name and chains to a commonly trusted CA (the trust store
is the caller's: certifi in Home Assistant, a test CA in tests), and a pasted chain verifies the
certificate the server presents. The chain to send is read from the connection
(`get_verified_chain`, Python 3.13+) when the user pasted none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
import contextlib
from dataclasses import dataclass
from datetime import datetime
import hashlib
import socket
import ssl
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

CONNECT_TIMEOUT_S: Final = 10.0
# OpenSSL's X509_V_ERR_* codes that say something more precise than "untrusted".
_EXPIRED: Final = frozenset({9, 10})  # not yet valid, expired
_HOSTNAME_MISMATCH: Final = frozenset({62, 64})  # hostname, IP address mismatch

type Resolver = Callable[[str, int], Awaitable[Sequence[Any]]]


class ServerCheckError(Exception):
    """A check failed; `key` names which (a translation key), `detail` what was seen."""

    def __init__(self, key: str, detail: str = "") -> None:
        """Keep the translation key and a short technical detail for the message."""
        super().__init__(key, detail)
        self.key = key
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ServerChain:
    """What the server presented, once it passed the checks."""

    # The chain above the server's certificate, root included, in PEM: what `ca` carries.
    ca: str
    # When the server's own certificate expires.
    not_after: datetime

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the chain, to notice when it changes."""
        return chain_fingerprint(self.ca)


def chain_fingerprint(pem: str) -> str:
    """SHA-256 over the DER of each certificate in a PEM chain (whitespace does not count)."""
    digest = hashlib.sha256()
    for cert in x509.load_pem_x509_certificates(pem.encode()):
        digest.update(cert.public_bytes(serialization.Encoding.DER))
    return digest.hexdigest()


def parse_chain(pem: str) -> str:
    """A pasted chain, normalised to PEM certificates only; ServerCheckError if it has none."""
    try:
        certs = x509.load_pem_x509_certificates(pem.strip().encode())
    except ValueError as err:
        raise ServerCheckError("streaming_ca_not_pem", str(err)) from err
    return _pem(certs)


def _pem(certs: Sequence[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


async def _default_resolve(host: str, port: int) -> Sequence[Any]:
    return await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)


async def check_server(
    hostname: str,
    port: int,
    trust: ssl.SSLContext,
    *,
    pasted_ca: str | None = None,
    resolve: Resolver | None = None,
) -> ServerChain:
    """Run the checks in the order a car meets them; ServerCheckError names the first that fails.

    `trust` verifies the certificate and host name (a client context with the commonly trusted
    CAs). `pasted_ca` is the chain the user pasted; None reads it from the server.
    """
    try:
        await (resolve or _default_resolve)(hostname, port)
    except (OSError, UnicodeError) as err:
        raise ServerCheckError("streaming_host_not_found", str(err)) from err
    chain = await _handshake(hostname, port, trust)
    leaf = x509.load_der_x509_certificate(chain[0])
    if pasted_ca is None:
        ca = _pem([x509.load_der_x509_certificate(der) for der in chain[1:]])
    else:
        ca = parse_chain(pasted_ca)
        await _handshake(hostname, port, _context_for(ca), pasted=True)
    if not ca:
        raise ServerCheckError(
            "streaming_untrusted", "the server sent no chain above its certificate"
        )
    return ServerChain(ca=ca, not_after=leaf.not_valid_after_utc)


def _context_for(ca: str) -> ssl.SSLContext:
    """Trust only `ca`, with its root: the car gets no other trust anchors (no partial chain)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_flags &= ~ssl.VERIFY_X509_PARTIAL_CHAIN
    context.load_verify_locations(cadata=ca)
    return context


async def _handshake(
    hostname: str, port: int, context: ssl.SSLContext, *, pasted: bool = False
) -> list[bytes]:
    """Connect and verify; the verified chain (server certificate first) as DER."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            _reader, writer = await asyncio.open_connection(
                hostname, port, ssl=context, server_hostname=hostname
            )
        ssl_object = writer.get_extra_info("ssl_object")
        chain = list(ssl_object.get_verified_chain()) if ssl_object is not None else []
    except ssl.SSLCertVerificationError as err:
        raise _verification_problem(err, pasted=pasted) from err
    except ssl.SSLError as err:
        raise ServerCheckError("streaming_not_tls", err.reason or str(err)) from err
    except TimeoutError as err:
        raise ServerCheckError(
            "streaming_port_closed", f"no answer within {CONNECT_TIMEOUT_S:.0f} s"
        ) from err
    except (ConnectionResetError, asyncio.IncompleteReadError) as err:
        # Accepted the connection, then dropped it at the TLS hello: not a TLS server.
        raise ServerCheckError("streaming_not_tls", str(err) or type(err).__name__) from err
    except OSError as err:
        raise ServerCheckError("streaming_port_closed", err.strerror or str(err)) from err
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    if not chain:
        raise ServerCheckError("streaming_not_tls", "no certificate")
    return chain


def _verification_problem(err: ssl.SSLCertVerificationError, *, pasted: bool) -> ServerCheckError:
    detail = err.verify_message or str(err)
    if err.verify_code in _EXPIRED:
        return ServerCheckError("streaming_cert_expired", detail)
    if err.verify_code in _HOSTNAME_MISMATCH:
        return ServerCheckError("streaming_hostname_mismatch", detail)
    return ServerCheckError("streaming_ca_mismatch" if pasted else "streaming_untrusted", detail)
