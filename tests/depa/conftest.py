"""depa fixtures: Digital Providers with keys and vouchers, made through the operator rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime
from saphan.depa import operator
from saphan.depa.admin_schemas import VoucherIn

PREFIX = "/depa/api/dp"


@dataclass
class DP:
    id: int
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}


def bangkok(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BANGKOK)


def voucher(code: str, **fields: Any) -> VoucherIn:
    """An Activated voucher (activated 2025-11-01 09:00 Bangkok) unless told otherwise."""
    defaults: dict[str, Any] = {
        "voucherCode": code,
        "status": "Activated",
        "bindingTime": bangkok("2025-10-30 08:00:00"),
        "activatedTime": bangkok("2025-11-01 09:00:00"),
        "firstName": "สมชาย",
        "lastName": "ใจดี",
        "mobileNo": "0812345678",
        "productName": "ระบบบัญชี AI",
    }
    return VoucherIn(**{**defaults, **fields})


MakeDP = Callable[..., DP]


@pytest.fixture
def make_dp(runtime: Runtime) -> MakeDP:
    """``make_dp("name", vouchers=[...])``: a DP, a fresh API key, and its vouchers."""

    def make(name: str = "Test DP", vouchers: list[VoucherIn] | None = None) -> DP:
        now = runtime.clock.now()
        with runtime.db.write() as session:
            dp = operator.create_dp(session, name, now)
            created = operator.issue_key(session, runtime.secret, dp.id, now, label="test")
            if vouchers:
                operator.create_vouchers(session, dp.id, vouchers, now)
            return DP(id=dp.id, name=name, key=created.key)

    return make


@pytest.fixture
def dp(make_dp: MakeDP) -> DP:
    """A DP holding DV-A1 and DV-A2 (Activated 2025-11-01) and DV-A3 (Bound)."""
    return make_dp(
        "DP Alpha",
        [voucher("DV-A1"), voucher("DV-A2"), voucher("DV-A3", status="Bound", activatedTime=None)],
    )


@pytest.fixture
def other_dp(make_dp: MakeDP) -> DP:
    """A second DP holding DV-B1."""
    return make_dp("DP Beta", [voucher("DV-B1")])


async def post(
    client: httpx.AsyncClient, operation: str, body: Any, who: DP | None
) -> httpx.Response:
    return await client.post(f"{PREFIX}/{operation}", json=body, headers=who.headers if who else {})


def usage_rows(runtime: Runtime, dp_id: int) -> list[dict[str, Any]]:
    """What the store holds for a DP, read through the operator rules (for 'nothing changed')."""
    with runtime.db.read() as session:
        return [u.model_dump() for u in operator.list_usage(session, dp_id)]
