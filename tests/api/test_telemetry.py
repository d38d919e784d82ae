"""Fleet Telemetry configuration through the client, against the emulator playing Tesla."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tesla_fleet_direct.api import (
    ConfigureResult,
    FieldConfig,
    InvalidArgumentError,
    InvalidRequestError,
    PreconditionFailedError,
    ResponseFormatError,
    StaticTokenProvider,
    TelemetryConfigStatus,
    async_fetch_partner_token,
    telemetry_config,
)
from custom_components.tesla_fleet_direct.api.telemetry_jws import sign_jws, sign_telemetry_config
from fleet_emulator import Emulator

from .conftest import M3, MY, Rig, make_rig

DOMAIN = "ha.example.com"
CA = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
DAY = 24 * 3600


def pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class App:
    """The app as the integration holds it: its key, registered in the owner's region."""

    def __init__(self, rig: Rig, key: ec.EllipticCurvePrivateKey, partner_token: str) -> None:
        self.rig = rig
        self.key = key
        self.partner = rig.client.partner(StaticTokenProvider(partner_token), region="na")

    @property
    def emulator(self) -> Emulator:
        return self.rig.emulator

    def config(self, *, exp_in: float = 30 * DAY, **overrides: Any) -> dict[str, Any]:
        options: dict[str, Any] = {
            "hostname": "telemetry.example.org",
            "port": 4443,
            "ca": CA,
            "fields": {"BatteryLevel": 60, "Location": FieldConfig(10, minimum_delta=0.001)},
            "exp": int(self.emulator.clock.now() + exp_in),
            "alert_types": ["service"],
        }
        options.update(overrides)
        return telemetry_config(**options)

    async def send(self, *vins: str, **overrides: Any) -> ConfigureResult:
        return await self.rig.client.telemetry.configure_signed(
            vins, self.key, self.config(**overrides)
        )

    async def status(self, vin: str = MY) -> TelemetryConfigStatus:
        return await self.rig.client.telemetry.config(vin)


@pytest.fixture
async def app(emulator: Emulator) -> AsyncIterator[App]:
    """Registered app whose key is paired with the Model Y (the Model 3 takes no keys)."""
    async for rig in make_rig(emulator):
        key = ec.generate_private_key(ec.SECP256R1())
        emulator.hosted_keys[DOMAIN] = pem(key)
        token = await async_fetch_partner_token(
            rig.session,
            f"{emulator.url}/oauth2/v3/token",
            client_id="tfd-client",
            client_secret="tfd-secret",
            audience=emulator.base_url("na"),
        )
        registered = App(rig, key, token)
        await registered.partner.register(DOMAIN)
        emulator.world.security[MY].pair(pem(key))
        rig.records.clear()
        yield registered


async def test_configured_car_runs_the_config_and_unpaired_car_is_skipped(app: App) -> None:
    result = await app.send(MY, M3)
    assert result.updated_vehicles == 1
    assert result.reason(M3) == "missing_key"
    assert result.reason(MY) is None
    assert result.skipped_vins == (M3,)

    status = await app.status(MY)
    assert status.state == "active"
    assert (status.synced, status.key_paired, status.limit_reached) == (True, True, False)
    assert status.config is not None
    assert (status.config.hostname, status.config.port, status.config.ca) == (
        "telemetry.example.org",
        4443,
        CA,
    )
    assert status.config.fields["BatteryLevel"] == FieldConfig(60)
    assert status.config.fields["Location"] == FieldConfig(10, minimum_delta=0.001)
    assert status.config.alert_types == ("service",)
    # The config's exp was stamped when it was sent; the clock has moved on since (whole seconds).
    assert app.config()["exp"] - 1 <= status.config.exp <= app.config()["exp"]

    m3 = await app.status(M3)
    assert (m3.state, m3.key_paired) == ("absent", False)
    # Every request was an ordinary (data) request: config calls are not commands or wakes.
    assert {r.category for r in app.rig.records} == {"data"}
    assert app.rig.records[0].path == "/api/1/vehicles/fleet_telemetry_config_jws"


async def test_offline_car_takes_the_config_when_it_next_connects(app: App) -> None:
    app.emulator.vehicle(MY).set_connectivity(False)
    assert (await app.send(MY)).updated_vehicles == 1
    status = await app.status(MY)
    assert (status.state, status.synced) == ("pending", False)
    app.emulator.vehicle(MY).set_connectivity(True)
    assert (await app.status(MY)).state == "active"


async def test_delete_removes_the_config(app: App) -> None:
    await app.send(MY)
    assert await app.rig.client.telemetry.delete(MY) == 1
    assert (await app.status(MY)).state == "absent"
    assert await app.rig.client.telemetry.delete(MY) == 0


async def test_expired_config_is_dropped_by_the_car(app: App) -> None:
    await app.send(MY, exp_in=DAY)
    app.emulator.advance(DAY - 60)
    assert (await app.status(MY)).state == "active"
    app.emulator.advance(120)
    assert (await app.status(MY)).state == "absent"


async def test_firmware_and_hardware_reasons(app: App) -> None:
    car = app.emulator.telemetry.car(MY)
    car.firmware = "2024.20.9"
    assert (await app.send(MY)).reason(MY) == "unsupported_firmware"
    car.firmware = "2024.26.1"
    assert (await app.send(MY)).reason(MY) is None
    car.computer = "mcu1"
    assert (await app.send(MY)).reason(MY) == "unsupported_hardware"


async def test_intel_atom_model_s_x_needs_newer_firmware_and_the_toggle(app: App) -> None:
    car = app.emulator.telemetry.car(M3)
    car.computer = "intel_atom_sx"
    car.firmware = "2025.14.3"
    assert (await app.send(M3)).reason(M3) == "unsupported_firmware"
    car.firmware = "2025.20.1"
    assert (await app.send(M3)).reason(M3) == "missing_key"
    status = await app.rig.client.fleet_status([M3])
    info = status.vehicle_info[M3]
    assert (info.firmware_version, info.safety_screen_streaming_toggle_enabled) == (
        "2025.20.1",
        False,
    )
    car.streaming_toggle = True  # the owner allows third-party streaming in the car
    assert (await app.send(M3)).updated_vehicles == 1
    assert (await app.status(M3)).state == "active"
    status = await app.rig.client.fleet_status([M3])
    assert status.vehicle_info[M3].safety_screen_streaming_toggle_enabled is True


async def test_car_at_its_app_limit_reports_success_but_keeps_no_config(app: App) -> None:
    car = app.emulator.telemetry.car(MY)
    car.other_apps = car.app_limit
    result = await app.send(MY)
    assert (result.updated_vehicles, result.skipped) == (1, {})
    status = await app.status(MY)
    assert (status.synced, status.config, status.limit_reached) == (True, None, True)
    assert status.state == "absent"
    assert await app.rig.client.telemetry.delete(MY) == 0
    # Another app leaves: the refused config does not come back by itself, it must be resent.
    car.other_apps -= 1
    assert (await app.status(MY)).state == "absent"
    await app.send(MY)
    assert (await app.status(MY)).state == "active"


async def test_car_at_its_app_limit_may_be_reported_as_max_configs(app: App) -> None:
    car = app.emulator.telemetry.car(MY)
    car.other_apps, car.limit_mode = car.app_limit, "skip"
    result = await app.send(MY)
    assert (result.updated_vehicles, result.reason(MY)) == (0, "max_configs")


async def test_replacing_our_own_config_needs_no_free_slot(app: App) -> None:
    await app.send(MY)
    app.emulator.telemetry.car(MY).other_apps = 10
    await app.send(MY, hostname="other.example.org")
    status = await app.status(MY)
    assert status.config is not None
    assert status.config.hostname == "other.example.org"


async def test_tampered_foreign_and_stale_tokens(app: App) -> None:
    client = app.rig.client.telemetry
    token = sign_telemetry_config(app.key, app.config())
    head, payload, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    refusals = [
        (f"{head}.{payload}.{flipped}", "signature does not verify"),
        (sign_telemetry_config(app.key, app.config(exp_in=-1)), "expired"),
        (sign_jws(app.key, app.config(), "com.tesla.vehicle.X.TelemetryClient"), "aud"),
    ]
    for bad, reason in refusals:
        with pytest.raises(InvalidRequestError) as refused:
            await client.configure([MY], bad)
        assert refused.value.status == 400
        assert reason in (refused.value.description or "")
    assert (await app.status(MY)).state == "absent"
    assert (await client.configure([MY], token)).updated_vehicles == 1


async def test_config_signed_by_another_key_is_taken_then_reported_by_the_car(app: App) -> None:
    """As users saw (fleet-telemetry#303): accepted, synced, then an error from the car."""
    stranger = ec.generate_private_key(ec.SECP256R1())
    result = await app.rig.client.telemetry.configure_signed([MY], stranger, app.config())
    assert result.updated_vehicles == 1
    assert (await app.status(MY)).synced is True
    errors = await app.rig.client.telemetry.errors(MY)
    assert [(e.vin, e.error_name) for e in errors] == [(MY, "config_manager_error")]
    assert "unknown issuer" in errors[0].error
    partner_errors = await app.partner.fleet_telemetry_errors()
    assert [e.name for e in partner_errors] == ["tfd-client"]
    assert isinstance(partner_errors[0].created_at, datetime)


async def test_partner_errors_name_the_car_and_time(app: App) -> None:
    moment = app.emulator.clock.now()
    app.emulator.telemetry.add_error(
        MY, "tfd-client", "remote error: tls: bad certificate", "connection_error"
    )
    app.emulator.telemetry.add_error(MY, "someone-else", "not ours")
    errors = await app.partner.fleet_telemetry_errors()
    assert len(errors) == 1
    assert (errors[0].vin, errors[0].error, errors[0].error_name) == (
        MY,
        "remote error: tls: bad certificate",
        "connection_error",
    )
    assert errors[0].created_at is not None
    assert abs(errors[0].created_at.timestamp() - moment) < 5


async def test_unregistered_app_is_refused(emulator: Emulator) -> None:
    async for rig in make_rig(emulator):
        token = sign_telemetry_config(ec.generate_private_key(ec.SECP256R1()), {"exp": 2**40})
        with pytest.raises(PreconditionFailedError):
            await rig.client.telemetry.configure([MY], token)


async def test_fleet_status_is_typed(app: App) -> None:
    status = await app.rig.client.fleet_status([M3, MY])
    assert (status.key_paired(MY), status.key_paired(M3), status.key_paired("X")) == (
        True,
        False,
        None,
    )
    info = status.vehicle_info[MY]
    assert info.vehicle_command_protocol_required is True
    assert info.firmware_version == "2025.20.6"
    assert info.total_number_of_keys == 1
    assert info.safety_screen_streaming_toggle_enabled is None  # not an Intel Atom S/X


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"port": 0}, "port"),
        ({"port": "443"}, "port"),
        ({"hostname": "https://t.example.org"}, "hostname"),
        ({"ca": "not a certificate"}, "ca"),
        ({"fields": {}}, "fields"),
        ({"fields": {"BatteryLevel": 0}}, "interval_seconds"),
        ({"fields": {"Soc": FieldConfig(60, resend_interval_seconds=0)}}, "resend"),
        ({"exp": 1.5}, "exp"),
    ],
)
async def test_bad_configs_are_refused_before_sending(
    app: App, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        await app.send(MY, **overrides)
    assert app.rig.records == []


async def test_no_cars_is_refused_before_sending(app: App) -> None:
    with pytest.raises(InvalidArgumentError):
        await app.rig.client.telemetry.configure_signed([], app.key, app.config())
    assert app.rig.records == []


# --- parsing Tesla's other shapes ---------------------------------------------------------------


def test_configure_answer_shapes() -> None:
    path = "/x"
    assert ConfigureResult.parse({"updated_vehicles": 1}, path=path).skipped == {}
    listed = ConfigureResult.parse(
        {"updated_vehicles": 0, "skipped_vehicles": [{"vin": M3, "reason": "missing_key"}]},
        path=path,
    )
    assert listed.reason(M3) == "missing_key"
    keyed = ConfigureResult.parse(
        {
            "updated_vehicles": 0,
            "skipped_vehicles": {"missing_key": [], "unsupported_firmware": [M3], "new": [MY]},
            "future_key": True,
        },
        path=path,
    )
    assert keyed.skipped == {"unsupported_firmware": (M3,), "new": (MY,)}
    with pytest.raises(ResponseFormatError):
        ConfigureResult.parse({"skipped_vehicles": {}}, path=path)


def test_config_answer_shapes() -> None:
    pending = TelemetryConfigStatus.parse({"synced": False, "config": {"fields": []}}, path="/x")
    assert pending.state == "pending"
    assert pending.config is not None
    assert pending.config.fields == {}
    assert (pending.key_paired, pending.limit_reached) == (None, None)
    with pytest.raises(ResponseFormatError):
        TelemetryConfigStatus.parse({"config": None}, path="/x")
