"""A real TLS server on 127.0.0.1 with certificates made in the test, and a streaming account.

The certificate authority is the test's own: the integration's trust store is swapped for it
(`ServerProbe`), standing in for the commonly trusted CAs of production. Validity periods are
relative to the moment the test runs and wide (`VALIDITY`), since OpenSSL checks them against
the machine's clock, not the virtual one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import ipaddress
from pathlib import Path
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tesla_fleet_direct.app_key import AppKey, async_get_app_key
from custom_components.tesla_fleet_direct.signing_setup import CONF_APP_DOMAIN
from custom_components.tesla_fleet_direct.streaming_upkeep import DATA_PROBE, ServerProbe
from fleet_emulator import Emulator
from tests.common import CLIENT_ID, async_setup_domain, create_entry

HOST = "127.0.0.1"
APP_DOMAIN = "tesla-app.example.org"
M3 = "5YJ3E7EB0KF000001"  # signing off: takes no key, so never streams in the emulator
MY = "7SAYGDEE0PA000002"  # signing required: streams once the app key is paired
CONFIG_JWS = "/fleet_telemetry_config_jws"
DAY = timedelta(days=1)
# Around "now" either way: certificates made while the freezer has moved Home Assistant's clock
# weeks ahead must still be valid on the machine's clock, which OpenSSL reads.
VALIDITY = 365 * DAY


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Issued:
    """A certificate and its key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> str:
        """The certificate in PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def issue(
    subject: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    hosts: Sequence[str] = (),
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> Issued:
    """A certificate shaped as OpenSSL's strict checks want it (key ids, constraints)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    signer = issuer.key if issuer is not None else key
    issuer_name = issuer.cert.subject if issuer is not None else _name(subject)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from or now - VALIDITY)
        .not_valid_after(valid_until or now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(
            x509.SubjectAlternativeName(names), critical=False
        ).add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
    return Issued(builder.sign(signer, hashes.SHA256()), key)


@dataclass
class Pki:
    """A root CA and an intermediate, as a public CA has them."""

    root: Issued = field(default_factory=lambda: issue("Test Root CA", ca=True))
    intermediate: Issued = field(init=False)

    def __post_init__(self) -> None:
        self.intermediate = issue("Test Issuing CA 1", self.root, ca=True)

    def new_intermediate(self, name: str) -> Issued:
        """Another issuing CA under the same root (a CA rotating its intermediates)."""
        return issue(name, self.root, ca=True)

    def server(self, *, hosts: Sequence[str] = (HOST,), **validity: Any) -> Issued:
        """A server certificate from the intermediate."""
        return issue("telemetry server", self.intermediate, hosts=hosts, **validity)

    @property
    def ca_pem(self) -> str:
        """What the car must be sent: the chain above the server's certificate, root included."""
        return self.intermediate.pem + self.root.pem

    def trust(self) -> ssl.SSLContext:
        """A client context that trusts this root, configured like Home Assistant's."""
        return ssl.create_default_context(cadata=self.root.pem)


class TlsServer:
    """A TLS server on 127.0.0.1 that completes the handshake and hangs up."""

    def __init__(self, directory: Path) -> None:
        """Files for the key and chain live in `directory`."""
        self._dir = directory
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server: asyncio.Server | None = None
        self.port = 0
        self.handshakes = 0

    def serve(self, leaf: Issued, *chain: Issued) -> None:
        """Present `leaf` followed by `chain` from the next connection on."""
        cert_file, key_file = self._dir / "chain.pem", self._dir / "key.pem"
        cert_file.write_text(leaf.pem + "".join(c.pem for c in chain))
        key_file.write_bytes(
            leaf.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self._context.load_cert_chain(cert_file, key_file)

    async def start(self) -> None:
        """Listen on a free loopback port."""

        async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # TLS started here rather than by the server, so a client that refuses the
            # certificate ends one handshake quietly instead of in the loop's error log.
            try:
                await writer.start_tls(self._context)
                self.handshakes += 1
            except ssl.SSLError, OSError:
                pass
            finally:
                writer.close()

        self._server = await asyncio.start_server(handle, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def trust_only(hass: HomeAssistant, pki: Pki) -> None:
    """Let the integration's server checks trust the test's root instead of certifi's CAs."""
    hass.data[DATA_PROBE] = ServerProbe(trust=pki.trust())


def add_mqtt(hass: HomeAssistant) -> MockConfigEntry:
    """Home Assistant's MQTT integration, as the check sees it: a loaded config entry.

    No broker runs (streaming part 2 brings Mosquitto); the set-up only checks that the MQTT
    integration is set up, so a loaded entry is all it looks at. Call `remove_mqtt` before
    the test ends: Home Assistant would otherwise try to unload an MQTT it never set up.
    """
    mqtt = MockConfigEntry(domain="mqtt", title="Mosquitto", state=ConfigEntryState.LOADED)
    mqtt.add_to_hass(hass)
    return mqtt


def remove_mqtt(hass: HomeAssistant, mqtt: MockConfigEntry) -> None:
    """Undo `add_mqtt`."""
    mqtt.mock_state(hass, ConfigEntryState.NOT_LOADED)


async def streaming_account(
    hass: HomeAssistant, emulator: Emulator, *, pair: bool = True
) -> tuple[MockConfigEntry, AppKey]:
    """A signed-in account whose signed commands are set up: domain registered, key on the MY."""
    await async_setup_domain(hass, emulator)
    entry = create_entry(hass, emulator)
    app_key = await async_get_app_key(hass)
    emulator.hosted_keys[APP_DOMAIN] = app_key.public_pem
    emulator.partner_domains[(CLIENT_ID, "na")] = (APP_DOMAIN, app_key.public_point.hex())
    if pair:
        emulator.world.security[MY].pair(app_key.public_pem)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_APP_DOMAIN: APP_DOMAIN})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry, app_key


async def open_streaming(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigFlowResult:
    """Entry menu > Reconfigure > Set up streaming."""
    result = await entry.start_reconfigure_flow(hass)
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "streaming"}
    )


async def submit(hass: HomeAssistant, result: ConfigFlowResult, data: dict[str, Any]) -> Any:
    """Submit the flow's current step."""
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


def server_input(port: int, **extra: Any) -> dict[str, Any]:
    """The server step's answers for the test server."""
    return {"hostname": HOST, "port": port, "topic_base": "telemetry", **extra}


def config_sends(emulator: Emulator) -> int:
    """Configurations sent to Tesla (each `fleet_telemetry_config_jws` request)."""
    return sum(
        1 for e in emulator.ledger.entries if e.method == "POST" and e.path.endswith(CONFIG_JWS)
    )
