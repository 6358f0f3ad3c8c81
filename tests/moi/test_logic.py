"""MOI's rules called directly: the check digit, tokens, wire numbers and dates."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import httpx
import pytest

from saphan.moi import logic


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1234567890121", True),
        ("0105558000014", True),
        ("3102400001917", False),  # the spec's own example ID
        ("1234567890122", False),
    ],
)
def test_thai_id_check_digit(value: str, ok: bool) -> None:
    assert logic.thai_id_checksum_ok(value) is ok


def test_tokens_are_base64_of_32_random_bytes() -> None:
    tokens = {logic.new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(base64.b64decode(t, validate=True)) == 32 for t in tokens)


def test_wire_numbers_and_dates() -> None:
    assert logic.number(Decimal("588000.00")) == 588000
    assert isinstance(logic.number(Decimal("588000.00")), int)
    assert logic.number(Decimal("2105542.18")) == 2105542.18
    assert logic.wire_date(dt.date(2019, 1, 3)) == "2019-01-03T00:00:00"
    assert logic.wire_date(None) == ""


async def test_the_openapi_documents_both_operations(client: httpx.AsyncClient) -> None:
    response = await client.get("/moi/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert set(spec["paths"]) == {
        "/api/v1/Authenticate/{AgentID}",
        "/api/v1/PowerCapital/{CitizenID}",
    }
    schema = spec["components"]["schemas"]
    assert {"AuthenticateRequest", "PowerCapitalResponse", "CustomerInfo", "PeaAccount"} <= set(
        schema
    )
    assert "distict" in schema["CustomerInfo"]["properties"]
    # Validation errors are 400 in MOI's envelope, never FastAPI's 422.
    assert "HTTPValidationError" not in schema
    for path in spec["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]
