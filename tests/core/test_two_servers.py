"""Two ``saphan serve`` processes on one PostgreSQL database, as a deployment behind a load
balancer runs them: quotas stay exact across them, and a revocation made through one stops the
key on the other within a second (each process serves callers from memory, ``core.fresh``).

PostgreSQL only: two processes on one SQLite file is not a deployment Saphan supports for
scale (one process serves SQLite; see docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal

import anyio
import httpx
import pytest

from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime
from saphan.easyslip import operator as easyslip
from saphan.easyslip.admin_schemas import ApplicationCreate, BranchCreate, TransferIn
from tests.conftest import ADMIN_TOKEN, LiveServer, start_live_server

OPERATOR = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def two_servers(backend: str, database_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    if backend != "postgresql":
        pytest.skip("two serving processes share a PostgreSQL database, not a SQLite file")
    first = start_live_server(database_url)
    try:
        second = start_live_server(database_url)
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def _transfer(n: int) -> TransferIn:
    return TransferIn(
        bankCode="014",
        date=dt.datetime(2025, 11, 19, 14, 5, 9, tzinfo=BANGKOK),
        amount=Decimal("100.00") + n,
        senderNameTh="นาย สมชาย ใจดี",
        senderNameEn="SOMCHAI J",
        senderAccount="1112223334",
        receiverBankCode="004",
        receiverNameTh="ร้านทดสอบ",
        receiverNameEn="TEST SHOP",
        receiverAccount="1234567890",
    )


async def test_a_quota_is_spent_exactly_across_two_processes(
    two_servers: tuple[LiveServer, LiveServer], runtime: Runtime
) -> None:
    quota, attempts = 9, 40
    with runtime.db.write() as session:
        app = easyslip.create_application(
            session,
            # The servers run on the real clock: a plan that has not expired by then.
            ApplicationCreate(
                name="Two",
                email="two@example.com",
                quotaMax=quota,
                expiresAt=dt.datetime(2100, 1, 1, tzinfo=BANGKOK),
            ),
            runtime.clock.now(),
        )
        branch = easyslip.create_branch(
            session, runtime.secret, app.id, BranchCreate(name="Main"), runtime.clock.now()
        )
        rows = easyslip.record_transfers(
            session, [_transfer(n) for n in range(attempts)], runtime.clock.now()
        )
        payloads = [easyslip.transfer_out(row).payload for row in rows]
    headers = {"Authorization": f"Bearer {branch.key}"}
    statuses: list[tuple[int, str]] = []

    async def verify(base: str, payload: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            answer = await http.post(
                "/easyslip/v2/verify/bank", json={"payload": payload}, headers=headers
            )
        code = "" if answer.status_code == 200 else answer.json()["error"]["code"]
        statuses.append((answer.status_code, code))

    async with anyio.create_task_group() as tasks:
        for n, payload in enumerate(payloads):
            tasks.start_soon(verify, two_servers[n % 2].base_url, payload)

    assert statuses.count((200, "")) == quota
    assert statuses.count((403, "QUOTA_EXCEEDED")) == attempts - quota
    for server in two_servers:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            info = (await http.get("/easyslip/v2/info", headers=headers)).json()
        assert info["data"]["application"]["quota"]["used"] == quota


def test_a_key_revoked_through_one_process_stops_on_the_other_within_a_second(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_servers
    with httpx.Client(base_url=first.base_url, headers=OPERATOR) as admin:
        dp = admin.post("/admin/depa/dps", json={"name": "DP Two"}).json()
        issued = admin.post(f"/admin/depa/dps/{dp['id']}/keys", json={"label": "t"}).json()
    page = {"pageNumber": 1, "pageSize": 10}
    headers = {"x-api-key": issued["key"]}
    with httpx.Client(base_url=second.base_url, headers=headers) as other:
        for _ in range(3):  # the second process now holds the key in memory
            assert other.post("/depa/api/dp/GetDPVouchers", json=page).status_code == 200
        with httpx.Client(base_url=first.base_url, headers=OPERATOR) as admin:
            assert admin.delete(f"/admin/depa/keys/{issued['id']}").status_code == 200
        revoked_at = time.monotonic()
        while other.post("/depa/api/dp/GetDPVouchers", json=page).status_code == 200:
            assert time.monotonic() - revoked_at < 1.0, "still accepted a second after revoking"
            time.sleep(0.02)
        refused = other.post("/depa/api/dp/GetDPVouchers", json=page)
    assert refused.status_code == 401
    assert refused.json()["success"] is False
