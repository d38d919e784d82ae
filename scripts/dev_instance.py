"""The dev instance: the Fleet API emulator and Home Assistant on 127.0.0.1, ready to click through.

`./scripts/develop` runs this inside the project's Python environment; the browser test runs it
too, so what a newcomer gets is what CI checks. It prepares the configuration directory (an owner
account, onboarding finished, the emulator's application credentials), starts both servers,
prints where to go, and stops both on Ctrl-C (or when either of them exits).

The emulator keeps its state (tokens, pairings, the simulated cars) in the configuration
directory's `.emulator_state.json`, so a restart finds the integration still signed in.
`--fresh` starts the emulator over and removes the integration's entries, which were signed in
to the old emulator; the owner login, application credentials and history stay.

Streaming: a Mosquitto broker on 127.0.0.1 (`--mqtt-port`) with Home Assistant's own `mqtt`
integration set up against it (created through its config flow on the first start, kept
afterwards, made anew by `--fresh`), and a telemetry server at 127.0.0.1 (`--telemetry-port`):
the emulator publishes to the broker as Tesla's fleet-telemetry server would, and a small TLS
server here answers the integration's live checks with a certificate from a dev CA
(`.telemetry/` in the configuration directory), which `configuration.yaml` names as
`telemetry_trust`. Without Mosquitto installed everything else still runs, without streaming.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
import ipaddress
import json
import os
from pathlib import Path
import pwd
import secrets
import shutil
import signal
import ssl
import sys
from typing import Any, TextIO

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_CONFIG = REPO_ROOT / "config" / "configuration.yaml"
DOMAIN = "tesla_fleet_direct"
# The emulator's default scenario registers this confidential client (docs/architecture.md).
EMULATOR_CLIENT_ID = "tfd-client"
EMULATOR_CLIENT_SECRET = "tfd-secret"
# The emulator's default accounts plus a daily routine (drives, charging), so the cars do something.
DEMO_SCENARIO = REPO_ROOT / "fleet_emulator" / "scenarios" / "commute.yaml"
OWNER_FILE = "dev_owner.json"
# Inside the configuration directory (git-ignored like everything there but configuration.yaml).
EMULATOR_STATE_FILE = ".emulator_state.json"
CONFIG_ENTRIES_STORE = "core.config_entries"
STARTUP_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
MQTT_DOMAIN = "mqtt"
LOOPBACK = "127.0.0.1"
# The MQTT dispatcher's example topic base (fleet-telemetry datastore/mqtt/README.md), which is
# also what the integration's streaming set-up suggests.
TOPIC_BASE = "telemetry"
# Inside the configuration directory: the broker's configuration and log, and the dev PKI.
MOSQUITTO_DIR = ".mosquitto"
TELEMETRY_DIR = ".telemetry"
# configuration.yaml's `telemetry_trust` names this file (relative to the configuration folder).
TELEMETRY_CA_FILE = "ca.pem"
TELEMETRY_CHAIN_FILE = "server.pem"
TELEMETRY_KEY_FILE = "server.key"
# The dev certificates live two years and are made anew when less than 60 days are left, well
# before the integration's two-week certificate warning.
CERT_LIFETIME = timedelta(days=730)
CERT_RENEW_BEFORE = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class Owner:
    """The dev instance's owner account."""

    name: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class Ready:
    """What the dev instance tells its caller once it is up (also written as JSON)."""

    url: str
    emulator_url: str
    username: str
    password: str
    config_dir: str
    # 0 when Mosquitto is not installed (no streaming then).
    mqtt_port: int = 0
    telemetry_port: int = 0
    telemetry_host: str = LOOPBACK
    topic_base: str = TOPIC_BASE


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's port")
    parser.add_argument("--emulator-port", type=int, default=8765)
    parser.add_argument(
        "--mqtt-port",
        type=int,
        default=1884,
        help="the Mosquitto broker's port (not 1883, which a system broker may hold)",
    )
    parser.add_argument(
        "--telemetry-port", type=int, default=4443, help="the streaming (telemetry) server's port"
    )
    parser.add_argument(
        "--emulator-url", help="use an emulator that is already running instead of starting one"
    )
    parser.add_argument(
        "--scenario",
        type=Path,
        default=DEMO_SCENARIO if DEMO_SCENARIO.exists() else None,
        help="the emulator's scenario file (default: the daily commute)",
    )
    parser.add_argument("--log-dir", type=Path, help="write the servers' output here")
    parser.add_argument("--ready-file", type=Path, help="write the connection details as JSON")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start the emulator over (new tokens, no paired keys) and remove the integration's "
        "entries signed in to the old one, and set up the MQTT integration anew; the owner login "
        "and history stay (with --emulator-url only the entries go: restart that emulator with "
        "--fresh yourself)",
    )
    return parser.parse_args(argv)


def emulator_command(args: argparse.Namespace, config_dir: Path) -> list[str]:
    """How the emulator is started: its state kept in the configuration directory."""
    scenario = ["--scenario", str(args.scenario)] if args.scenario else []
    fresh = ["--fresh"] if args.fresh else []
    return [
        sys.executable,
        "-m",
        "fleet_emulator",
        "--port",
        str(args.emulator_port),
        *scenario,
        "--state",
        str(config_dir / EMULATOR_STATE_FILE),
        *fresh,
    ]


def disable_integration_entries(storage: Path, domains: tuple[str, ...] = (DOMAIN,)) -> list[str]:
    """Mark the config entries of `domains` disabled (Home Assistant is not running yet).

    Their tokens belong to the emulator state `--fresh` throws away: set up, they would only
    fail and ask for a new sign-in. Disabled, they are not set up, and `remove_entries` then
    deletes them through Home Assistant, which also clears their devices, entities and repairs.
    (`--fresh` passes the mqtt domain too: its entry is made anew after the start.)
    """
    path = storage / CONFIG_ENTRIES_STORE
    if not path.exists():
        return []
    store = json.loads(path.read_text(encoding="utf-8"))
    ids: list[str] = []
    for entry in store["data"]["entries"]:
        if entry.get("domain") in domains:
            entry["disabled_by"] = "user"
            ids.append(entry["entry_id"])
    if ids:
        path.write_text(json.dumps(store), encoding="utf-8")
    return ids


def point_mqtt_entry(storage: Path, port: int) -> bool:
    """Make a kept mqtt entry use this start's broker (Home Assistant is not running yet).

    The entry is made once through the MQTT config flow (`ensure_mqtt_entry`); when the broker's
    port changed since (`--mqtt-port`), its saved broker settings are rewritten here, so it
    connects to the new one. Changing it after the start would reload the MQTT integration
    under the integration's subscriptions. True when something was rewritten.
    """
    path = storage / CONFIG_ENTRIES_STORE
    if not path.exists():
        return False
    store = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for entry in store["data"]["entries"]:
        data = entry.get("data")
        if entry.get("domain") != MQTT_DOMAIN or not isinstance(data, dict):
            continue
        if data.get("broker") != LOOPBACK or data.get("port") != port:
            data.update(broker=LOOPBACK, port=port)
            changed = True
    if changed:
        path.write_text(json.dumps(store), encoding="utf-8")
    return changed


async def remove_entries(
    session: aiohttp.ClientSession, base: str, token: str, entry_ids: list[str]
) -> None:
    """Delete config entries through Home Assistant's REST API."""
    for entry_id in entry_ids:
        async with session.delete(
            f"{base}/api/config/config_entries/entry/{entry_id}",
            headers={"Authorization": f"Bearer {token}"},
        ) as resp:
            resp.raise_for_status()


def _write_store(path: Path, key: str, version: int, minor_version: int, data: Any) -> None:
    """Write one of Home Assistant's .storage files (read once, at start)."""
    path.write_text(
        json.dumps({"version": version, "minor_version": minor_version, "key": key, "data": data}),
        encoding="utf-8",
    )


def write_http_config(storage: Path, port: int) -> None:
    """Bind Home Assistant to 127.0.0.1:port only.

    Since 2026.10 Home Assistant keeps its HTTP settings in .storage/http: YAML is imported once
    and then only as an unconfirmed trial that it reverts (to all interfaces) after five
    minutes. Writing the confirmed ("stable") slot before each start keeps the dev instance on
    loopback and on the port asked for.
    """
    stable = {
        "server_port": port,
        "server_host": ["127.0.0.1"],
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    _write_store(
        storage / "http",
        "http",
        2,
        2,
        {"stable": stable, "pending": None, "yaml_migration_done": True},
    )


def prepare_config(config_dir: Path, port: int) -> Owner:
    """Make the configuration directory usable without the onboarding wizard."""
    config_dir.mkdir(parents=True, exist_ok=True)
    if not (config_dir / "configuration.yaml").exists():
        shutil.copyfile(TEMPLATE_CONFIG, config_dir / "configuration.yaml")
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    write_http_config(storage, port)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        # The location/analytics/integration steps are answered by configuration.yaml or do
        # not apply. Marking them done here (instead of calling their endpoints) matters: the
        # core_config endpoint starts weather and radio integrations that reach the internet.
        # The user step is left to Home Assistant's own onboarding API, which creates the owner.
        _write_store(
            onboarding, "onboarding", 4, 1, {"done": ["core_config", "analytics", "integration"]}
        )
    owner_file = config_dir / OWNER_FILE
    if owner_file.exists():
        return Owner(**json.loads(owner_file.read_text(encoding="utf-8")))
    owner = Owner(name="Dev Owner", username="dev", password=secrets.token_urlsafe(9))
    owner_file.write_text(json.dumps(asdict(owner)), encoding="utf-8")
    owner_file.chmod(0o600)
    return owner


def mosquitto_binary() -> Path | None:
    """Debian's Mosquitto (`scripts/setup` installs it), or None."""
    found = shutil.which("mosquitto")
    if found is not None:
        return Path(found)
    # /usr/sbin is not on the environment's PATH.
    return next(
        (p for p in (Path("/usr/sbin/mosquitto"), Path("/usr/local/sbin/mosquitto")) if p.exists()),
        None,
    )


def write_mosquitto_config(directory: Path, port: int) -> Path:
    """A broker on 127.0.0.1 only: anonymous, nothing kept on disk, logging to its output."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "mosquitto.conf"
    lines = [
        f"listener {port} {LOOPBACK}",
        "allow_anonymous true",
        "persistence false",
        "log_dest stdout",
        # Run as whoever runs us: as root, Mosquitto would switch to its own user, which may
        # not write the log into the configuration directory.
        f"user {pwd.getpwuid(os.geteuid()).pw_name}",
    ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


# --- the dev PKI: a root CA, an issuing CA and the telemetry server's certificate -------------


def _cert_name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    now: datetime,
    host: str | None = None,
) -> x509.Certificate:
    """A CA certificate (no host) or a server certificate for `host`, as OpenSSL wants them."""
    signer_cert, signer_key = issuer if issuer is not None else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_cert_name(subject))
        .issuer_name(signer_cert.subject if signer_cert is not None else _cert_name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=host is None, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if signer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    if host is None:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def ensure_telemetry_pki(directory: Path) -> bool:
    """The dev CA and the server's certificate in `directory`; made anew when due. True if made.

    `ca.pem` is the root (what Home Assistant is told to trust), `server.pem` the server's
    certificate followed by the issuing CA (what a server sends), `server.key` its key. The CA
    keys are not kept: renewing makes a new CA, and the integration, seeing the chain change,
    sends the cars the new one, as it would for a real server.
    """
    chain_file = directory / TELEMETRY_CHAIN_FILE
    files = (directory / TELEMETRY_CA_FILE, chain_file, directory / TELEMETRY_KEY_FILE)
    now = datetime.now(UTC)
    if all(f.exists() for f in files):
        leaf = x509.load_pem_x509_certificates(chain_file.read_bytes())[0]
        if leaf.not_valid_after_utc - now > CERT_RENEW_BEFORE:
            return False
    directory.mkdir(parents=True, exist_ok=True)
    root_key, issuing_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _ in "abc")
    root = _issue("Tesla Fleet Direct dev root CA", root_key, None, now=now)
    issuing = _issue("Tesla Fleet Direct dev issuing CA", issuing_key, (root, root_key), now=now)
    server = _issue(
        "Tesla Fleet Direct dev telemetry server",
        server_key,
        (issuing, issuing_key),
        now=now,
        host=LOOPBACK,
    )
    key_file = directory / TELEMETRY_KEY_FILE
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain_file.write_text(_pem(server) + _pem(issuing), encoding="utf-8")
    (directory / TELEMETRY_CA_FILE).write_text(_pem(root), encoding="utf-8")
    return True


async def serve_telemetry(directory: Path, port: int) -> asyncio.Server:
    """The telemetry server as the integration's checks see it: TLS on 127.0.0.1:port.

    It completes the handshake with the dev certificate and hangs up; the emulator stands in
    for what a real server does with the cars' data (it publishes to the broker itself).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / TELEMETRY_CHAIN_FILE, directory / TELEMETRY_KEY_FILE)

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # TLS started here rather than by the server, so a client that refuses the
        # certificate ends one handshake quietly instead of in the loop's error log.
        try:
            await writer.start_tls(context)
        except ssl.SSLError, OSError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, LOOPBACK, port)


async def start(
    cmd: list[str], env: dict[str, str], log: TextIO | None
) -> asyncio.subprocess.Process:
    """Start a server in its own session, so Ctrl-C reaches only us and we stop it in order."""
    return await asyncio.create_subprocess_exec(
        *cmd,
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT if log else None,
        start_new_session=True,
    )


async def wait_http(
    session: aiohttp.ClientSession,
    url: str,
    process: asyncio.subprocess.Process,
    what: str,
    *,
    any_status: bool = False,
) -> None:
    """Wait until url answers (200 unless any_status), failing early if the server died."""
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
    while True:
        if process.returncode is not None:
            raise SystemExit(f"develop: {what} exited with status {process.returncode}")
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                if any_status or resp.status == HTTPStatus.OK:
                    return
        except aiohttp.ClientError, TimeoutError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise SystemExit(f"develop: {what} did not answer on {url}")
        # Polling a server that is still starting: a real wait for a real process.
        await asyncio.sleep(0.25)


async def wait_tcp(port: int, process: asyncio.subprocess.Process, what: str) -> None:
    """Wait until 127.0.0.1:port accepts connections, failing early if the server died."""
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
    while True:
        if process.returncode is not None:
            raise SystemExit(f"develop: {what} exited with status {process.returncode}")
        try:
            _reader, writer = await asyncio.open_connection(LOOPBACK, port)
        except OSError:
            pass
        else:
            writer.close()
            return
        if asyncio.get_running_loop().time() > deadline:
            raise SystemExit(f"develop: {what} did not open port {port}")
        # Polling a server that is still starting: a real wait for a real process.
        await asyncio.sleep(0.1)


async def add_telemetry_server(
    session: aiohttp.ClientSession, emulator_url: str, telemetry_port: int, mqtt_port: int
) -> None:
    """Tell the emulator what runs at the telemetry server: a dispatcher to our broker.

    The emulator does not keep its servers in its state file, so this is said at every start.
    """
    async with session.post(
        f"{emulator_url}/_emulator/telemetry_servers",
        json={
            "hostname": LOOPBACK,
            "port": telemetry_port,
            "broker": f"{LOOPBACK}:{mqtt_port}",
            "topic_base": TOPIC_BASE,
        },
    ) as resp:
        resp.raise_for_status()


async def _token(session: aiohttp.ClientSession, base: str, code: str) -> str:
    async with session.post(
        f"{base}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": f"{base}/"},
    ) as resp:
        resp.raise_for_status()
        token: str = (await resp.json())["access_token"]
        return token


async def owner_token(session: aiohttp.ClientSession, base: str, owner: Owner) -> str:
    """Create the owner through onboarding on the first run, log in on later runs."""
    client_id = f"{base}/"
    async with session.get(f"{base}/api/onboarding") as resp:
        # Once onboarding is complete, Home Assistant removes this endpoint (404).
        steps = await resp.json() if resp.status == HTTPStatus.OK else []
    if any(step["step"] == "user" and not step["done"] for step in steps):
        async with session.post(
            f"{base}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": owner.name,
                "username": owner.username,
                "password": owner.password,
                "language": "en",
            },
        ) as resp:
            resp.raise_for_status()
            return await _token(session, base, (await resp.json())["auth_code"])
    async with session.post(
        f"{base}/auth/login_flow",
        json={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": client_id,
        },
    ) as resp:
        resp.raise_for_status()
        flow_id = (await resp.json())["flow_id"]
    async with session.post(
        f"{base}/auth/login_flow/{flow_id}",
        json={"client_id": client_id, "username": owner.username, "password": owner.password},
    ) as resp:
        result = await resp.json()
    if result.get("type") != "create_entry":
        raise SystemExit("develop: cannot log in as the dev owner (was dev_owner.json edited?)")
    return await _token(session, base, result["result"])


async def ensure_application_credentials(
    session: aiohttp.ClientSession, base: str, token: str
) -> str:
    """Store the emulator's client as application credentials once; returns what happened."""
    async with session.ws_connect(f"{base}/api/websocket") as ws:
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": token})
        if (await ws.receive_json()).get("type") != "auth_ok":
            raise SystemExit("develop: Home Assistant refused the owner's token")

        async def call(msg_id: int, message: dict[str, Any]) -> dict[str, Any]:
            await ws.send_json({"id": msg_id, **message})
            answer: dict[str, Any] = await ws.receive_json()
            return answer

        # The web UI answers before Home Assistant has set up everything (application
        # credentials come in the last start-up stage), so wait until it reports RUNNING.
        msg_id = 0
        deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
        while True:
            msg_id += 1
            config = await call(msg_id, {"type": "get_config"})
            if config.get("result", {}).get("state") == "RUNNING":
                break
            if asyncio.get_running_loop().time() > deadline:
                raise SystemExit("develop: Home Assistant did not finish starting")
            await asyncio.sleep(0.25)
        listed = await call(msg_id + 1, {"type": "application_credentials/list"})
        for item in listed.get("result") or []:
            if item.get("domain") == DOMAIN and item.get("client_id") == EMULATOR_CLIENT_ID:
                return "already saved"
        created = await call(
            msg_id + 2,
            {
                "type": "application_credentials/create",
                "domain": DOMAIN,
                "client_id": EMULATOR_CLIENT_ID,
                "client_secret": EMULATOR_CLIENT_SECRET,
                "name": "Fleet API emulator",
            },
        )
        if not created.get("success"):
            # Not fatal: the UI still works, and the integration asks for credentials itself.
            error = created.get("error", {}).get("message", "unknown error")
            return f"NOT saved ({error}); enter {EMULATOR_CLIENT_ID} / {EMULATOR_CLIENT_SECRET} when asked"
        return "saved"


async def ensure_mqtt_entry(
    session: aiohttp.ClientSession, base: str, token: str, port: int
) -> str:
    """Home Assistant's MQTT integration on our broker: kept if there, else made; what happened.

    Made through the MQTT integration's own config flow, as a person would (it also checks
    that the broker answers). Home Assistant keeps the entry, so later starts find it loaded.
    """
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(f"{base}/api/config/config_entries/entry", headers=headers) as resp:
        resp.raise_for_status()
        entries = [e for e in await resp.json() if e["domain"] == MQTT_DOMAIN]
    if entries:
        return f"set up ({entries[0]['state']})"
    flows = f"{base}/api/config/config_entries/flow"
    async with session.post(flows, headers=headers, json={"handler": MQTT_DOMAIN}) as resp:
        resp.raise_for_status()
        step = await resp.json()
    answer = {
        "broker": LOOPBACK,
        "port": port,
        # The form's collapsed section: no client certificate, no TLS to the broker.
        "other_settings": {"set_client_cert": False, "set_ca_cert": "off"},
    }
    async with session.post(f"{flows}/{step['flow_id']}", headers=headers, json=answer) as resp:
        result = await resp.json()
    if resp.status != HTTPStatus.OK or result.get("type") != "create_entry":
        return f"NOT set up ({result}); add MQTT with broker {LOOPBACK} port {port} yourself"
    return "set up (new)"


async def stop(process: asyncio.subprocess.Process) -> None:
    """Ask a server to stop, then insist."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


def banner(ready: Ready, credentials: str, state_file: Path | None = None, mqtt: str = "") -> str:
    """What a person needs to start clicking."""
    state = (
        [f"  state kept in   {state_file} (--fresh starts over)"] if state_file is not None else []
    )
    if ready.mqtt_port:
        server = f"host {ready.telemetry_host}, port {ready.telemetry_port}"
        streaming = [
            f"MQTT broker:      {LOOPBACK}:{ready.mqtt_port} (Mosquitto), MQTT integration {mqtt}",
            f"Streaming server: {server}, topic base {ready.topic_base}",
            "  (Reconfigure > Set up streaming, once signed commands are set up)",
        ]
    else:
        streaming = ["Streaming:        off (Mosquitto is not installed; ./scripts/setup adds it)"]
    return "\n".join(
        [
            "",
            "=" * 72,
            f"Home Assistant:   {ready.url}",
            f"  log in as:      {ready.username} / {ready.password}",
            f"Fleet emulator:   {ready.emulator_url}",
            f"  app credentials {EMULATOR_CLIENT_ID} / {EMULATOR_CLIENT_SECRET}: {credentials}",
            *state,
            *streaming,
            "Then: Settings > Devices & services > Add integration > Tesla Fleet Direct.",
            "Ctrl-C stops them all.",
            "=" * 72,
            "",
        ]
    )


async def run(args: argparse.Namespace) -> int:
    """Start everything, report, and wait for Ctrl-C or a server to exit."""
    config_dir: Path = args.config.resolve()
    owner = prepare_config(config_dir, args.port)
    storage = config_dir / ".storage"
    mosquitto = mosquitto_binary()
    fresh_domains = (DOMAIN, MQTT_DOMAIN) if mosquitto is not None else (DOMAIN,)
    stale_entries = disable_integration_entries(storage, fresh_domains) if args.fresh else []
    if mosquitto is not None:
        point_mqtt_entry(storage, args.mqtt_port)
    base = f"http://127.0.0.1:{args.port}"
    emulator_url: str = (args.emulator_url or f"http://127.0.0.1:{args.emulator_port}").rstrip("/")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "TFD_EMULATOR_URL": emulator_url,
    }
    logs: list[TextIO] = []

    def log_for(name: str) -> TextIO | None:
        log_dir: Path | None = args.log_dir
        if log_dir is None:
            return None
        log_dir.mkdir(parents=True, exist_ok=True)
        handle = (log_dir / f"{name}.log").open("w", encoding="utf-8")
        logs.append(handle)
        return handle

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)

    processes: list[tuple[str, asyncio.subprocess.Process]] = []
    telemetry: asyncio.Server | None = None
    mqtt = ""
    try:
        async with aiohttp.ClientSession() as session:
            if mosquitto is not None:
                broker_dir = config_dir / MOSQUITTO_DIR
                broker_config = write_mosquitto_config(broker_dir, args.mqtt_port)
                # Its log goes with the others, or next to its configuration.
                log = log_for("mosquitto")
                if log is None:
                    log = (broker_dir / "mosquitto.log").open("w", encoding="utf-8")
                    logs.append(log)
                broker = await start([str(mosquitto), "-c", str(broker_config)], env, log)
                processes.append(("the MQTT broker", broker))
                await wait_tcp(args.mqtt_port, broker, "the MQTT broker")
                telemetry_dir = config_dir / TELEMETRY_DIR
                ensure_telemetry_pki(telemetry_dir)
                telemetry = await serve_telemetry(telemetry_dir, args.telemetry_port)
            if args.emulator_url is None:
                emulator = await start(emulator_command(args, config_dir), env, log_for("emulator"))
                processes.append(("the emulator", emulator))
                await wait_http(session, emulator_url, emulator, "the emulator", any_status=True)
            if mosquitto is not None:
                await add_telemetry_server(
                    session, emulator_url, args.telemetry_port, args.mqtt_port
                )
            hass = await start(
                [sys.executable, "-m", "homeassistant", "--config", str(config_dir), "--skip-pip"],
                env,
                log_for("home-assistant"),
            )
            processes.append(("Home Assistant", hass))
            # The web UI's manifest is served once the frontend (and so onboarding) is set up.
            await wait_http(session, f"{base}/manifest.json", hass, "Home Assistant")
            token = await owner_token(session, base, owner)
            credentials = await ensure_application_credentials(session, base, token)
            await remove_entries(session, base, token, stale_entries)
            if mosquitto is not None:
                mqtt = await ensure_mqtt_entry(session, base, token, args.mqtt_port)

        ports = (args.mqtt_port, args.telemetry_port) if mosquitto is not None else (0, 0)
        ready = Ready(base, emulator_url, owner.username, owner.password, str(config_dir), *ports)
        state_file = None if args.emulator_url else config_dir / EMULATOR_STATE_FILE
        if state_file is not None and state_file.is_relative_to(REPO_ROOT):
            state_file = state_file.relative_to(REPO_ROOT)
        print(banner(ready, credentials, state_file, mqtt), flush=True)
        if args.ready_file is not None:
            args.ready_file.write_text(json.dumps(asdict(ready)), encoding="utf-8")

        waiters = {asyncio.ensure_future(proc.wait()): name for name, proc in processes}
        stop_waiter = asyncio.ensure_future(stopping.wait())
        done, _ = await asyncio.wait([stop_waiter, *waiters], return_when=asyncio.FIRST_COMPLETED)
        stop_waiter.cancel()
        for waiter in waiters:
            waiter.cancel()
        exited = [waiters[w] for w in done if w in waiters]
        if exited:
            print(f"develop: {exited[0]} exited; stopping the rest", file=sys.stderr)
            return 1
        return 0
    finally:
        # Home Assistant first: it may still be talking to the emulator while it shuts down;
        # the broker last, after everything that publishes to it or reads it.
        for _, process in reversed(processes):
            await stop(process)
        if telemetry is not None:
            telemetry.close()
            await telemetry.wait_closed()
        for handle in logs:
            handle.close()


def main() -> None:
    """Entry point."""
    sys.exit(asyncio.run(run(parse_args(sys.argv[1:]))))


if __name__ == "__main__":
    main()
