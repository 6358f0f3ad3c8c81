"""EasySlip fixtures: applications with branches and keys, and ledger transfers, made through
the operator rules; readers of the quota counters for "nothing changed"."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime
from saphan.easyslip import operator
from saphan.easyslip.admin_schemas import ApplicationCreate, BranchCreate, TransferIn
from saphan.easyslip.models import QuotaUsage, Verification

PREFIX = "/easyslip/v2"
#: The application's creation (billing months run from the 5th).
CREATED = dt.datetime(2025, 3, 5, 8, 0, tzinfo=BANGKOK)


@dataclass
class Tenant:
    app_id: int
    branch_id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


MakeTenant = Callable[..., Tenant]


@pytest.fixture
def make_tenant(runtime: Runtime) -> MakeTenant:
    """``make_tenant(quota=10, branch_quota=None, name=...)``: an application and a branch."""

    def make(
        quota: int | None = 100,
        branch_quota: int | None = None,
        name: str = "Test App",
        **fields: Any,
    ) -> Tenant:
        with runtime.db.write() as session:
            app = operator.create_application(
                session,
                ApplicationCreate(name=name, email="owner@example.com", quotaMax=quota, **fields),
                CREATED,
            )
            branch = operator.create_branch(
                session,
                runtime.secret,
                app.id,
                BranchCreate(name="Main", quotaMax=branch_quota),
                CREATED,
            )
            return Tenant(app.id, branch.id, branch.key)

    return make


@pytest.fixture
def tenant(make_tenant: MakeTenant) -> Tenant:
    return make_tenant()


def transfer_fields(**fields: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "bankCode": "014",
        "date": dt.datetime(2025, 11, 19, 14, 5, 9, tzinfo=BANGKOK),
        "amount": Decimal("250.00"),
        "senderNameTh": "นาย สมชาย ใจดี",
        "senderNameEn": "SOMCHAI J",
        "senderAccount": "1112223334",
        "receiverBankCode": "004",
        "receiverNameTh": "ร้านทดสอบ",
        "receiverNameEn": "TEST SHOP",
        "receiverAccount": "1234567890",
    }
    return {**defaults, **fields}


Record = Callable[..., Any]


@pytest.fixture
def record(runtime: Runtime) -> Record:
    """``record(**fields)``: one ledger transfer (defaults: 250.00 from SCB to KBANK
    1234567890); returns its ``TransferOut`` (``payload`` is its slip's mini QR)."""

    def make(**fields: Any) -> Any:
        with runtime.db.write() as session:
            [row] = operator.record_transfers(
                session, [TransferIn(**transfer_fields(**fields))], runtime.clock.now()
            )
            return operator.transfer_out(row)

    return make


def quota_rows(runtime: Runtime) -> list[tuple[str, int, str, int]]:
    """Every quota counter, for 'nothing changed'."""
    with runtime.db.read() as session:
        return [
            (r.kind, r.owner_id, r.month_start.isoformat(), r.used)
            for r in session.scalars(select(QuotaUsage).order_by(QuotaUsage.id))
        ]


def used(runtime: Runtime, kind: str, owner_id: int) -> int:
    with runtime.db.read() as session:
        total = session.scalar(
            select(func.coalesce(func.sum(QuotaUsage.used), 0)).where(
                QuotaUsage.kind == kind, QuotaUsage.owner_id == owner_id
            )
        )
        return int(total or 0)


def verifications(runtime: Runtime) -> list[tuple[int, int, int]]:
    with runtime.db.read() as session:
        return [
            (v.application_id, v.transfer_id, v.count)
            for v in session.scalars(select(Verification).order_by(Verification.id))
        ]


def state(runtime: Runtime) -> tuple[Any, ...]:
    return (quota_rows(runtime), verifications(runtime))


#: EasySlip's v2 error-code table, copied from its docs (the file names the page).
DOCUMENTED: dict[str, list[Any]] = {
    code: row
    for code, row in json.loads(
        (Path(__file__).parent / "spec_examples" / "error_codes.json").read_text()
    ).items()
    if not code.startswith("_")
}


def error(response: httpx.Response, status: int, code: str) -> str:
    """Assert an EasySlip error envelope; returns its message. A documented code comes with
    the docs' status and message (a VALIDATION_ERROR's names the field instead, a NOT_FOUND
    the resource: "Bank account not found")."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "error"}, body
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if code in DOCUMENTED and code not in ("VALIDATION_ERROR", "NOT_FOUND"):
        assert [status, body["error"]["message"]] == DOCUMENTED[code], body
    return str(body["error"]["message"])


EXAMPLES = Path(__file__).parent / "spec_examples"


def documented(name: str) -> Any:
    """The provider's example kept in ``spec_examples/name``: ``{"source": "<page>: <URL>",
    "example": <the example as published>}``."""
    fixture = json.loads((EXAMPLES / name).read_text())
    assert set(fixture) == {"source", "example"}
    assert "https://" in fixture["source"]
    return fixture["example"]
