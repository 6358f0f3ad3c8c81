"""GetDPVouchers answers kept in memory under their DP's revision (``core.answer_cache``): never
served once the DP's vouchers change, whoever changes them, and never another DP's."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text

from saphan.core.db import Database
from saphan.core.runtime import Runtime
from saphan.depa import operator
from tests.conftest import ADMIN_TOKEN
from tests.depa.conftest import DP, MakeDP, post, voucher

PAGE = {"pageNumber": 1, "pageSize": 10}


async def records(client: httpx.AsyncClient, who: DP, page: dict[str, int] = PAGE) -> Any:
    response = await post(client, "GetDPVouchers", page, who)
    assert response.status_code == 200, response.text
    return response.json()


def statuses(answer: dict[str, Any]) -> dict[str, str]:
    return {record["voucherCode"]: record["status"] for record in answer["data"]}


async def test_an_operator_change_in_this_process_is_answered_at_once(
    client: httpx.AsyncClient, dp: DP
) -> None:
    assert statuses(await records(client, dp))["DV-A3"] == "Bound"
    response = await client.post(
        "/admin/depa/vouchers/DV-A3/activate",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    assert statuses(await records(client, dp))["DV-A3"] == "Activated"


async def test_a_change_by_another_process_is_answered_within_a_second(
    client: httpx.AsyncClient, dp: DP, database_url: str, runtime: Runtime
) -> None:
    """Another process: a ``Database`` of its own, whose writes this app's never sees made."""
    before = await records(client, dp)
    assert (before["totalRecords"], statuses(before)["DV-A1"]) == (3, "Activated")
    other = Database(database_url)
    try:
        with other.begin() as conn:
            conn.execute(
                text("UPDATE depa_voucher SET status = 'Revoked' WHERE voucher_code = 'DV-A1'")
            )
        with other.write() as session:
            operator.create_vouchers(session, dp.id, [voucher("DV-A4")], runtime.clock.now())
    finally:
        other.dispose()
    for _ in range(40):
        after = await records(client, dp)
        if after != before:
            break
        await asyncio.sleep(0.05)
    assert after["totalRecords"] == 4
    assert statuses(after) == {
        "DV-A1": "Revoked",
        "DV-A2": "Activated",
        "DV-A3": "Bound",
        "DV-A4": "Activated",
    }


async def test_each_write_to_a_dps_vouchers_gives_it_a_new_revision(
    dp: DP, runtime: Runtime
) -> None:
    def revision() -> int:
        with runtime.db.connect() as conn:
            found = conn.execute(
                text("SELECT revision FROM depa_dp WHERE id = :id"), {"id": dp.id}
            ).scalar_one()
        return int(found)

    seen = [revision()]
    with runtime.db.begin() as conn:
        conn.execute(
            text("UPDATE depa_voucher SET email = 'a@example.com' WHERE dp_id = :id"), {"id": dp.id}
        )
    seen.append(revision())
    with runtime.db.write() as session:
        operator.create_vouchers(session, dp.id, [voucher("DV-A9")], runtime.clock.now())
    seen.append(revision())
    with runtime.db.begin() as conn:
        conn.execute(text("UPDATE depa_dp SET name = 'Renamed' WHERE id = :id"), {"id": dp.id})
    seen.append(revision())
    assert len(set(seen)) == 4


async def test_dps_asking_for_the_same_page_get_their_own_vouchers(
    client: httpx.AsyncClient, make_dp: MakeDP
) -> None:
    alpha = make_dp("Alpha", [voucher("DV-X1")])
    beta = make_dp("Beta", [voucher("DV-Y1"), voucher("DV-Y2")])
    for _ in range(2):  # the second time from memory
        assert list(statuses(await records(client, alpha))) == ["DV-X1"]
        assert list(statuses(await records(client, beta))) == ["DV-Y1", "DV-Y2"]


async def test_pages_of_one_dp_are_kept_apart_by_number_and_size(
    client: httpx.AsyncClient, dp: DP
) -> None:
    for _ in range(2):
        first = await records(client, dp, {"pageNumber": 1, "pageSize": 2})
        second = await records(client, dp, {"pageNumber": 2, "pageSize": 2})
        whole = await records(client, dp, {"pageNumber": 1, "pageSize": 3})
        assert list(statuses(first)) == ["DV-A1", "DV-A2"]
        assert list(statuses(second)) == ["DV-A3"]
        assert list(statuses(whole)) == ["DV-A1", "DV-A2", "DV-A3"]
        assert (first["pageNumber"], second["pageNumber"], whole["pageSize"]) == (1, 2, 3)
