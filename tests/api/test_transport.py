"""Transport against the emulator: envelope, every error class, 401/421 recovery, accounting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest

from custom_components.tesla_fleet_direct.api import (
    AccountLockedError,
    ForbiddenError,
    InvalidRequestError,
    InvalidTokenError,
    LoginRequiredError,
    MissingScopeError,
    MobileAccessDisabledError,
    NotFoundError,
    PaymentRequiredError,
    PreconditionFailedError,
    PrivacyRestrictedError,
    RateLimitedError,
    RateLimitWaitError,
    ResponseFormatError,
    ServerError,
    SigningRequiredError,
    TeslaConnectionError,
    TeslaFleetError,
    TeslaTimeoutError,
    UpstreamError,
    VehicleNotRespondingError,
    VehicleUnavailableError,
    WrongRegionError,
)
from fleet_emulator import Emulator

from .conftest import M3, SITE, Rig, make_rig

STATE = f"/api/1/vehicles/{M3}"


def _body(error: str) -> dict[str, object]:
    return {"response": None, "error": error, "error_description": ""}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, None, InvalidRequestError),
        (401, _body("login_required"), LoginRequiredError),
        (401, _body("mobile_access_disabled"), MobileAccessDisabledError),
        (402, None, PaymentRequiredError),
        (403, None, MissingScopeError),
        (403, _body("Tesla Vehicle Command Protocol required, please refer"), SigningRequiredError),
        (403, _body("unsupported vehicle"), ForbiddenError),
        (404, None, NotFoundError),
        (408, None, VehicleUnavailableError),
        (503, _body("vehicle unavailable: vehicle is offline or asleep"), VehicleUnavailableError),
        (412, None, PreconditionFailedError),
        (422, _body("invalid resource"), InvalidRequestError),
        (423, _body("account locked"), AccountLockedError),
        (424, _body("invalid upstream response"), UpstreamError),
        (451, _body("privacy settings"), PrivacyRestrictedError),
        (500, None, ServerError),
        (502, "<html>bad gateway</html>", ServerError),
        (504, None, ServerError),
        (540, _body("vehicle did not respond"), VehicleNotRespondingError),
    ],
)
async def test_each_failure_status_raises_its_error_with_text_status_and_path(
    rig: Rig, status: int, body: object, expected: type[TeslaFleetError]
) -> None:
    rig.emulator.faults.inject(STATE, status, body=body)
    with pytest.raises(expected) as caught:
        await rig.client.vehicle(M3).state()
    err = caught.value
    assert type(err) is expected
    assert err.status == status
    assert err.path == STATE
    if isinstance(body, dict):
        assert err.error == body["error"]


async def test_429_carries_retry_after_seconds_and_is_not_retried(rig: Rig) -> None:
    rig.emulator.faults.inject(STATE, 429, retry_after=17)
    with pytest.raises(RateLimitedError) as caught:
        await rig.client.vehicle(M3).state()
    assert caught.value.retry_after == 17
    assert rig.paths() == [STATE]


async def test_a_429_holds_every_request_of_the_account_back_until_retry_after(
    rig: Rig, freezer: FrozenDateTimeFactory
) -> None:
    """One gate in the transport: whichever request got the 429, all others wait it out."""
    rig.emulator.faults.inject(STATE, 429, retry_after=120)
    with pytest.raises(RateLimitedError):
        await rig.client.vehicle(M3).state()
    answered = len(rig.emulator.ledger.entries)
    freezer.tick(timedelta(seconds=60))
    requests: list[Callable[[], Awaitable[object]]] = [
        rig.client.products,
        rig.client.vehicle(M3).wake_up,
        rig.client.vehicle(M3).flash_lights,
        lambda: rig.client.energy_site(SITE).backup(50),
        rig.client.energy_site(SITE).live_status,
    ]
    for request in requests:
        with pytest.raises(RateLimitWaitError) as caught:
            await request()
        assert caught.value.retry_after == pytest.approx(60)
    assert len(rig.emulator.ledger.entries) == answered
    freezer.tick(timedelta(seconds=61))
    await rig.client.products()
    assert len(rig.emulator.ledger.entries) == answered + 1


async def test_truncated_json_is_a_clear_format_error(rig: Rig) -> None:
    rig.emulator.faults.inject(STATE, 200, malformed=True)
    with pytest.raises(ResponseFormatError, match="not JSON") as caught:
        await rig.client.vehicle(M3).state()
    assert (caught.value.status, caught.value.path) == (200, STATE)


async def test_success_without_envelope_is_a_format_error(rig: Rig) -> None:
    rig.emulator.faults.inject(STATE, 200, body={"state": "online"})
    with pytest.raises(ResponseFormatError, match="envelope"):
        await rig.client.vehicle(M3).state()


async def test_non_json_success_is_a_format_error(rig: Rig) -> None:
    rig.emulator.faults.inject(STATE, 200, body="ok")
    with pytest.raises(ResponseFormatError):
        await rig.client.vehicle(M3).state()


async def test_dropped_connection_is_a_connection_error_and_still_accounted(rig: Rig) -> None:
    # aiohttp itself retries an idempotent request once on a reused connection; drop both.
    rig.emulator.faults.inject(STATE, drop=True, count=2)
    with pytest.raises(TeslaConnectionError) as caught:
        await rig.client.vehicle(M3).state()
    assert caught.value.path == STATE
    assert [(r.path, r.status, r.billed) for r in rig.records] == [(STATE, None, False)]


async def test_slow_answer_hits_the_request_timeout(rig: Rig) -> None:
    client = rig.make_client(base_url=rig.emulator.base_url("na"), timeout=0.05)
    rig.emulator.faults.inject(STATE, latency=0.5)
    with pytest.raises(TeslaTimeoutError):
        await client.vehicle(M3).state()


async def test_expired_token_is_refreshed_once_and_the_request_retried(rig: Rig) -> None:
    rig.emulator.expire_access_tokens()
    state = await rig.client.vehicle(M3).state()
    assert state.vin == M3
    assert rig.tokens.refreshes == 1
    assert [r.status for r in rig.records] == [401, 200]


async def test_token_refused_after_the_refresh_raises_without_looping(rig: Rig) -> None:
    rig.emulator.faults.inject(STATE, 401, count=2)
    with pytest.raises(InvalidTokenError):
        await rig.client.vehicle(M3).state()
    assert rig.tokens.refreshes == 1
    assert [r.status for r in rig.records] == [401, 401]


async def test_login_required_is_not_refreshed(rig: Rig) -> None:
    rig.emulator.faults.inject(STATE, 401, body=_body("login_required"))
    with pytest.raises(LoginRequiredError):
        await rig.client.vehicle(M3).state()
    assert rig.tokens.refreshes == 0


async def test_wrong_region_moves_to_the_url_in_the_421_and_retries_once(rig: Rig) -> None:
    client = rig.make_client(base_url=rig.emulator.base_url("eu"))
    products = await client.products()
    assert [v.vin for v in products.vehicles]
    assert client.base_url == rig.emulator.base_url("na")
    assert [r.status for r in rig.records] == [421, 200]
    # Later requests go straight to the right region.
    await client.vehicle(M3).state()
    assert rig.records[-1].status == 200
    assert len(rig.records) == 3


async def test_untrusted_host_in_a_421_is_ignored_in_favour_of_users_region(rig: Rig) -> None:
    client = rig.make_client(base_url=rig.emulator.base_url("eu"))
    rig.emulator.faults.inject(
        "/eu/api/1/products",
        421,
        body=_body("user out of region, use base URL: https://evil.example.com, see docs"),
    )
    await client.products()
    assert client.base_url == rig.emulator.base_url("na")
    assert rig.paths() == ["/api/1/products", "/api/1/users/region", "/api/1/products"]


async def test_persisting_421_raises_wrong_region(rig: Rig) -> None:
    rig.emulator.faults.inject("*/api/1/products", 421, count=3)
    with pytest.raises(WrongRegionError):
        await rig.client.products()
    # One re-resolution only: the original, then the retry.
    assert [r.path for r in rig.records] == ["/api/1/products", "/api/1/products"]


async def test_region_hint_from_the_token_picks_the_base_url_without_a_lookup(rig: Rig) -> None:
    client = rig.make_client(region_hint="NA")
    await client.products()
    assert client.base_url == rig.emulator.base_url("na")
    assert rig.paths() == ["/api/1/products"]


async def test_without_hint_the_region_is_looked_up_first(rig: Rig) -> None:
    client = rig.make_client()
    assert client.base_url is None
    await client.products()
    assert rig.paths() == ["/api/1/users/region", "/api/1/products"]
    assert client.base_url == rig.emulator.base_url("na")


async def test_eu_account_found_through_users_region(socket_enabled: None) -> None:
    from fleet_emulator.scenario import DEFAULT_SCENARIO, parse_scenario

    scenario = parse_scenario(
        {**DEFAULT_SCENARIO, "accounts": [{**DEFAULT_SCENARIO["accounts"][0], "region": "eu"}]},
        start=0,
    )
    emulator = Emulator(scenario)
    await emulator.start("127.0.0.1", 0)
    try:
        async for rig in make_rig(emulator):
            client = rig.make_client(region_hint="garbage")
            info = await client.users.region()
            assert (info.region, client.base_url) == ("eu", emulator.base_url("eu"))
            assert len((await client.products()).vehicles) == 2
    finally:
        await emulator.stop()


async def test_every_request_reaches_the_hook_with_the_emulators_category(rig: Rig) -> None:
    vehicle = rig.client.vehicle(M3)
    await rig.client.products()
    await vehicle.state()
    await vehicle.vehicle_data()
    await vehicle.wake_up()
    await vehicle.flash_lights()
    await rig.client.energy_site(2252180000000001).live_status()
    await rig.client.energy_site(2252180000000001).storm_mode(True)
    ours = [(r.method, r.path, r.status, r.category, r.category_if_billed) for r in rig.records]
    theirs = [
        (e.method, e.path.removeprefix("/na"), e.status, e.category, e.category_if_billed)
        for e in rig.emulator.ledger.entries
    ]
    assert ours == theirs
    assert [r.category for r in rig.records] == [
        "data",
        "free",
        "data",
        "wake",
        "command",
        "energy",
        "energy",
    ]
    assert all(r.duration >= 0 for r in rig.records)


async def test_a_failing_hook_never_breaks_the_request(rig: Rig) -> None:
    def broken(record: object) -> None:
        raise RuntimeError("counting failed")

    client = rig.make_client(base_url=rig.emulator.base_url("na"), on_request=broken)
    assert (await client.vehicle(M3).state()).vin == M3


async def test_region_lookup_failure_is_raised_as_teslas_error(rig: Rig) -> None:
    client = rig.make_client()
    rig.emulator.faults.inject("*/api/1/users/region", 503)
    with pytest.raises(ServerError):
        await client.products()
    assert client.base_url is None
    # The next call tries again and succeeds.
    await client.products()
    assert client.base_url == rig.emulator.base_url("na")


async def test_region_lookup_answering_421_follows_the_message(rig: Rig) -> None:
    client = rig.make_client(region_hint=None)
    rig.emulator.faults.inject("*/api/1/users/region", 421)  # names the na base URL
    await client.products()
    assert client.base_url == rig.emulator.base_url("na")
    assert rig.paths() == ["/api/1/users/region", "/api/1/products"]


async def test_region_answer_with_an_untrusted_url_falls_back_to_the_region_table(
    rig: Rig,
) -> None:
    client = rig.make_client()
    rig.emulator.faults.inject(
        "*/api/1/users/region",
        200,
        body={"response": {"region": "na", "fleet_api_base_url": "https://evil.example.com"}},
    )
    await client.products()
    assert client.base_url == rig.emulator.base_url("na")


async def test_untrusted_base_url_is_refused(rig: Rig) -> None:
    with pytest.raises(WrongRegionError):
        rig.client.transport.set_base_url("https://evil.example.com")
    with pytest.raises(WrongRegionError):
        rig.client.transport.url_for_region("mars")
    assert rig.client.base_url == rig.emulator.base_url("na")


async def test_concurrent_421s_re_resolve_once(rig: Rig) -> None:
    import asyncio

    client = rig.make_client(base_url=rig.emulator.base_url("eu"))
    await asyncio.gather(client.products(), client.vehicles(), client.vehicle(M3).state())
    assert client.base_url == rig.emulator.base_url("na")
    assert [r.status for r in rig.records].count(421) == 3
    assert "/api/1/users/region" not in rig.paths()


async def test_the_accounting_table_can_be_replaced(rig: Rig) -> None:
    from custom_components.tesla_fleet_direct.api import CategoryRule

    billed = [CategoryRule("GET", r"/api/1/vehicles(/[^/]+)?", "data")]
    client = rig.make_client(base_url=rig.emulator.base_url("na"), category_rules=billed)
    await client.vehicle(M3).state()
    await client.vehicle(M3).wake_up()
    # Only the replacement table counts: the state is billed, and unmatched requests are data.
    assert [r.category for r in rig.records] == ["data", "data"]
