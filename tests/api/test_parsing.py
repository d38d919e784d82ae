"""Pure parsing: headers, 421 texts, trusted hosts, error mapping, tolerant models."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from custom_components.tesla_fleet_direct.api import (
    CommandResult,
    InvalidTokenError,
    Products,
    ResponseFormatError,
    VehicleData,
    parse_retry_after,
)
from custom_components.tesla_fleet_direct.api.accounting import CategoryRule, RequestClassifier
from custom_components.tesla_fleet_direct.api.errors import error_for_status
from custom_components.tesla_fleet_direct.api.regions import (
    is_trusted_url,
    redirect_from_message,
    region_from_hint,
)
from custom_components.tesla_fleet_direct.api.vehicle_data import SECTION_TYPES

TESLA = ("tesla.com", "tesla.cn")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("30", 30.0), (" 2.5 ", 2.5), ("-4", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_retry_after_delta_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_http_date_counts_from_now() -> None:
    now = datetime(2026, 11, 29, 4, 0, 0, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2026, 11, 29, 4, 1, 30, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(later, now=now) == 90.0
    earlier = format_datetime(datetime(2026, 11, 29, 3, 0, 0, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_421_message_gives_the_base_url() -> None:
    message = (
        "user out of region, use base URL: https://fleet-api.prd.eu.vn.cloud.tesla.com, "
        "see https://developer.tesla.com/docs/fleet-api#regions"
    )
    assert redirect_from_message(message) == "https://fleet-api.prd.eu.vn.cloud.tesla.com"
    assert redirect_from_message("user out of region") is None
    assert redirect_from_message(None) is None


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://fleet-api.prd.eu.vn.cloud.tesla.com", True),
        ("https://fleet-api.prd.cn.vn.cloud.tesla.cn/", True),
        ("https://tesla.com", True),
        ("http://fleet-api.prd.na.vn.cloud.tesla.com", False),  # plain http off loopback
        ("https://tesla.com.evil.example", False),
        ("https://eviltesla.com", False),
        ("ftp://tesla.com", False),
        ("not a url", False),
    ],
)
def test_only_tesla_hosts_are_trusted(url: str, trusted: bool) -> None:
    assert is_trusted_url(url, TESLA) is trusted


def test_loopback_may_use_plain_http_when_trusted() -> None:
    assert is_trusted_url("http://127.0.0.1:8765/na", ("127.0.0.1",))
    assert not is_trusted_url("http://127.0.0.1:8765/na", TESLA)


def test_region_hint_from_ou_code() -> None:
    assert [region_from_hint(h) for h in ("NA", "eu", " CN ", "AP", "", None)] == [
        "na",
        "eu",
        "cn",
        None,
        None,
        None,
    ]


def test_token_errors_keep_teslas_text() -> None:
    err = error_for_status(401, {"error": "token expired (401)"}, path="/api/1/products")
    assert isinstance(err, InvalidTokenError)
    assert (err.status, err.error, err.path) == (401, "token expired (401)", "/api/1/products")
    assert "token expired" in str(err)


def test_vehicle_data_tolerates_missing_and_mistyped_fields() -> None:
    data = VehicleData.parse(
        {
            "vin": "VIN1",
            "state": "dreaming",
            "charge_state": {"battery_level": "high", "charge_limit_soc": 80.0, "new": 1},
            "climate_state": {},
            "drive_state": {"speed": None},
        },
        path="/p",
    )
    assert data.state == "unknown"
    assert data.charge_state is not None
    assert data.charge_state.battery_level is None
    assert data.charge_state.charge_limit_soc == 80
    assert data.charge_state.get("new") == 1
    assert data.climate_state is not None
    assert data.climate_state.inside_temp is None
    assert data.location is None
    assert data.vehicle_state is None
    assert data.charge_schedules == []


def test_vehicle_data_without_vin_is_a_format_error() -> None:
    with pytest.raises(ResponseFormatError, match="VIN"):
        VehicleData.parse({"state": "online"}, path="/p")
    with pytest.raises(ResponseFormatError):
        VehicleData.parse(None, path="/p")


def test_every_section_field_has_a_reader() -> None:
    for kind in SECTION_TYPES:
        assert kind.parse({}).raw == {}


def test_products_skip_unknown_kinds_and_need_a_list() -> None:
    products = Products.parse(
        [{"vin": "V", "state": "asleep"}, {"energy_site_id": "42"}, {"wall_connector": 1}],
        path="/p",
    )
    assert [v.vin for v in products.vehicles] == ["V"]
    assert [s.energy_site_id for s in products.energy_sites] == [42]
    with pytest.raises(ResponseFormatError):
        Products.parse({"vin": "V"}, path="/p")


@pytest.mark.parametrize(
    ("answer", "ok", "benign"),
    [
        ({"result": True, "reason": ""}, True, False),
        ({"result": False, "reason": "already_set"}, True, True),
        ({"result": False, "reason": "complete"}, True, True),
        ({"result": False, "reason": "is_charging"}, True, True),
        ({"result": False, "reason": "unsigned_cmds_hardlocked"}, False, False),
        ({"result": False}, False, False),
    ],
)
def test_command_results_classify_benign_reasons(
    answer: dict[str, object], ok: bool, benign: bool
) -> None:
    result = CommandResult.parse(answer, path="/p")
    assert (result.ok, result.benign) == (ok, benign)


def test_command_answer_without_result_is_a_format_error() -> None:
    with pytest.raises(ResponseFormatError):
        CommandResult.parse({"reason": "x"}, path="/p")


def test_category_table_is_replaceable() -> None:
    default = RequestClassifier()
    assert default.classify("GET", "/api/1/vehicles/V") == ("free", "data")
    assert default.classify("POST", "/api/1/vehicles/V/wake_up") == ("wake", "wake")
    assert default.classify("GET", "/api/1/vehicles/V/vehicle_data") == ("data", "data")
    billed = RequestClassifier([CategoryRule("*", r"/api/1/vehicles(/[^/]+)?", "data")])
    assert billed.classify("get", "/api/1/vehicles/V") == ("data", "data")
    assert billed.classify("POST", "/api/1/vehicles/V/wake_up") == ("data", "data")
