"""GetDPVouchers (spec 001, section 3.1) over HTTP: what a Digital Provider sees when it fetches
the vouchers depa approved for it: its own only, page by page in the order they were issued,
every field as the spec writes it, times in Bangkok."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from saphan.core.runtime import Runtime
from saphan.depa import operator
from tests.depa.conftest import DP, MakeDP, bangkok, post, usage_rows, voucher

MAX_INT32 = 2_147_483_647


def rejected(message: str) -> dict[str, Any]:
    return {"success": False, "errorMessage": message, "data": None}


def page(number: int = 1, size: int = 500) -> dict[str, int]:
    return {"pageNumber": number, "pageSize": size}


async def codes_on(client: httpx.AsyncClient, who: DP, number: int, size: int) -> list[str]:
    response = await post(client, "GetDPVouchers", page(number, size), who)
    assert response.status_code == 200, response.text
    return [v["voucherCode"] for v in response.json()["data"]]


def wire(code: str, dp_name: str, **fields: str) -> dict[str, str]:
    """A voucher made by ``voucher(code)`` as GetDPVouchers shows it: bound 2025-10-30 08:00,
    activated 2025-11-01 09:00 (Bangkok); the revoking time defaults to binding + 90 days."""
    return {
        "voucherCode": code,
        "status": "Activated",
        "bindingTime": "2025-10-30 08:00:00",
        "revokingTime": "2026-01-28 08:00:00",
        "activatedTime": "2025-11-01 09:00:00",
        "revokedTime": "",
        "registId": "",
        "registType": "",
        "title": "",
        "firstName": "สมชาย",
        "lastName": "ใจดี",
        "idCard": "",
        "mobileNo": "0812345678",
        "email": "",
        "addrNo": "",
        "moo": "",
        "provinceName": "",
        "amphurName": "",
        "tambonName": "",
        "postcode": "",
        "dpName": dp_name,
        "productName": "ระบบบัญชี AI",
        **fields,
    }


# -- what comes back ---------------------------------------------------------------------------


async def test_every_field_comes_back_as_issued(client: httpx.AsyncClient, make_dp: MakeDP) -> None:
    issued = make_dp(
        "บริษัท ดิจิทัล จำกัด",
        [
            voucher(
                "DV-97WHHU0001",
                bindingTime=bangkok("2025-11-07 18:52:38"),
                revokingTime=bangkok("2026-02-05 18:52:38"),
                activatedTime=bangkok("2025-11-13 17:35:40"),
                registId="DV20251027133740000001",
                registType="SME",
                title="นาย",
                firstName="สมชาย",
                lastName="ใจดี",
                idCard="1101700203451",
                mobileNo="0812345678",
                email="somchai@example.co.th",
                addrNo="79",
                moo="3",
                provinceName="กรุงเทพมหานคร",
                amphurName="สัมพันธวงศ์",
                tambonName="จักรวรรดิ",
                postcode="10100",
                productName="ระบบบัญชี AI",
            )
        ],
    )

    response = await post(client, "GetDPVouchers", page(1, 500), issued)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "errorMessage": "",
        "totalRecords": 1,
        "pageSize": 500,
        "pageNumber": 1,
        "data": [
            {
                "voucherCode": "DV-97WHHU0001",
                "status": "Activated",
                "bindingTime": "2025-11-07 18:52:38",
                "revokingTime": "2026-02-05 18:52:38",
                "activatedTime": "2025-11-13 17:35:40",
                "revokedTime": "",
                "registId": "DV20251027133740000001",
                "registType": "SME",
                "title": "นาย",
                "firstName": "สมชาย",
                "lastName": "ใจดี",
                "idCard": "1101700203451",
                "mobileNo": "0812345678",
                "email": "somchai@example.co.th",
                "addrNo": "79",
                "moo": "3",
                "provinceName": "กรุงเทพมหานคร",
                "amphurName": "สัมพันธวงศ์",
                "tambonName": "จักรวรรดิ",
                "postcode": "10100",
                "dpName": "บริษัท ดิจิทัล จำกัด",
                "productName": "ระบบบัญชี AI",
            }
        ],
    }


async def test_a_dp_sees_only_its_own_vouchers(
    client: httpx.AsyncClient, dp: DP, other_dp: DP
) -> None:
    mine = await post(client, "GetDPVouchers", page(), dp)
    theirs = await post(client, "GetDPVouchers", page(), other_dp)

    assert mine.json() == {
        "success": True,
        "errorMessage": "",
        "totalRecords": 3,
        "pageSize": 500,
        "pageNumber": 1,
        "data": [
            wire("DV-A1", "DP Alpha"),
            wire("DV-A2", "DP Alpha"),
            wire("DV-A3", "DP Alpha", status="Bound", activatedTime=""),
        ],
    }
    assert theirs.json() == {
        "success": True,
        "errorMessage": "",
        "totalRecords": 1,
        "pageSize": 500,
        "pageNumber": 1,
        "data": [wire("DV-B1", "DP Beta")],
    }


async def test_a_dp_without_vouchers_gets_an_empty_list(
    client: httpx.AsyncClient, make_dp: MakeDP, other_dp: DP
) -> None:
    empty = make_dp("DP Empty")

    response = await post(client, "GetDPVouchers", page(1, 10), empty)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "errorMessage": "",
        "totalRecords": 0,
        "pageSize": 10,
        "pageNumber": 1,
        "data": [],
    }


async def test_times_are_bangkok_wall_clock_across_midnight(
    client: httpx.AsyncClient, make_dp: MakeDP
) -> None:
    # 03:00 and 23:59:59 in Bangkok are on the previous/same UTC day; the wire shows Bangkok.
    issued = make_dp(
        "DP Night",
        [
            voucher(
                "DV-N1",
                status="Revoked",
                bindingTime=bangkok("2025-11-01 00:00:00"),
                revokingTime=bangkok("2026-01-30 00:00:01"),
                activatedTime=bangkok("2025-11-01 03:00:00"),
                revokedTime=bangkok("2025-11-10 23:59:59"),
            )
        ],
    )

    response = await post(client, "GetDPVouchers", page(), issued)

    assert response.json()["data"] == [
        wire(
            "DV-N1",
            "DP Night",
            status="Revoked",
            bindingTime="2025-11-01 00:00:00",
            revokingTime="2026-01-30 00:00:01",
            activatedTime="2025-11-01 03:00:00",
            revokedTime="2025-11-10 23:59:59",
        )
    ]


async def test_status_changes_show_at_once_and_keep_the_order(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP
) -> None:
    with runtime.db.write() as session:
        operator.move_voucher(session, "DV-A3", "Activated", bangkok("2025-11-18 12:00:00"))
        operator.move_voucher(session, "DV-A1", "Revoked", bangkok("2025-11-19 08:15:00"))

    response = await post(client, "GetDPVouchers", page(), dp)

    assert response.json()["data"] == [
        wire("DV-A1", "DP Alpha", status="Revoked", revokedTime="2025-11-19 08:15:00"),
        wire("DV-A2", "DP Alpha"),
        wire("DV-A3", "DP Alpha", activatedTime="2025-11-18 12:00:00"),
    ]


async def test_a_renamed_dp_shows_its_new_name_on_every_voucher(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, make_dp: MakeDP
) -> None:
    """Records are stored as the DP saw them (migration 0009): a rename, made here as an
    operator would in the database, must reach them, and only this DP's."""
    other = make_dp("DP Other", [voucher("DV-O1")])
    with runtime.db.begin() as conn:
        conn.execute(
            text("UPDATE depa_dp SET name = :name WHERE id = :id"),
            {"name": "DP Alpha จำกัด", "id": dp.id},
        )

    mine = await post(client, "GetDPVouchers", page(), dp)
    theirs = await post(client, "GetDPVouchers", page(), other)

    assert [v["dpName"] for v in mine.json()["data"]] == ["DP Alpha จำกัด"] * 3
    assert [v["dpName"] for v in theirs.json()["data"]] == ["DP Other"]


async def test_unknown_fields_are_ignored(client: httpx.AsyncClient, dp: DP) -> None:
    response = await post(
        client, "GetDPVouchers", {**page(1, 2), "status": "Revoked", "sort": "desc"}, dp
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["totalRecords"], body["pageSize"], body["pageNumber"]) == (3, 2, 1)
    assert [v["voucherCode"] for v in body["data"]] == ["DV-A1", "DV-A2"]


# -- paging ------------------------------------------------------------------------------------


@pytest.fixture
def seven(runtime: Runtime, make_dp: MakeDP) -> DP:
    """A DP issued seven vouchers in two lots, not in code order, with another DP's vouchers
    issued in between."""
    first = ["DV-Z9", "DV-A0", "DV-M5", "DV-C2"]
    second = ["DV-B7", "DV-Y3", "DV-K4"]
    dp = make_dp("DP Seven", [voucher(code) for code in first])
    make_dp("DP Between", [voucher("DV-X1"), voucher("DV-X2")])
    with runtime.db.write() as session:
        operator.create_vouchers(
            session, dp.id, [voucher(code) for code in second], runtime.clock.now()
        )
    return dp


ISSUED = ["DV-Z9", "DV-A0", "DV-M5", "DV-C2", "DV-B7", "DV-Y3", "DV-K4"]


async def test_pages_follow_issue_order_and_the_last_page_is_partial(
    client: httpx.AsyncClient, seven: DP
) -> None:
    pages = []
    for number in (1, 2, 3):
        response = await post(client, "GetDPVouchers", page(number, 3), seven)
        assert response.status_code == 200
        body = response.json()
        assert (body["success"], body["errorMessage"]) == (True, "")
        assert (body["totalRecords"], body["pageSize"], body["pageNumber"]) == (7, 3, number)
        pages.append([v["voucherCode"] for v in body["data"]])

    assert pages == [ISSUED[0:3], ISSUED[3:6], ISSUED[6:7]]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 6, 7, 8, 500])
async def test_across_pages_every_voucher_appears_exactly_once(
    client: httpx.AsyncClient, seven: DP, size: int
) -> None:
    seen: list[str] = []
    number = 1
    while True:
        codes = await codes_on(client, seven, number, size)
        if not codes:
            break
        seen += codes
        number += 1

    assert seen == ISSUED
    assert number - 1 == -(-7 // size)  # ceil(totalRecords / pageSize) pages


async def test_the_same_page_asked_twice_is_the_same(client: httpx.AsyncClient, seven: DP) -> None:
    first = await post(client, "GetDPVouchers", page(2, 3), seven)
    again = await post(client, "GetDPVouchers", page(2, 3), seven)

    assert first.json() == again.json()
    assert [v["voucherCode"] for v in first.json()["data"]] == ISSUED[3:6]


async def test_a_page_number_written_with_a_zero_fraction_is_that_page(
    client: httpx.AsyncClient, seven: DP
) -> None:
    """JSON Schema's integer, which the OpenAPI document says (docs/depa.md, "Types")."""
    written = await post(client, "GetDPVouchers", {"pageNumber": 2.0, "pageSize": 3.0}, seven)
    plain = await post(client, "GetDPVouchers", page(2, 3), seven)

    assert written.status_code == 200
    assert written.json() == plain.json()


@pytest.mark.parametrize("number", [4, 5, 1000, MAX_INT32])
async def test_a_page_past_the_end_is_empty_with_the_total(
    client: httpx.AsyncClient, seven: DP, number: int
) -> None:
    response = await post(client, "GetDPVouchers", page(number, 3), seven)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "errorMessage": "",
        "totalRecords": 7,
        "pageSize": 3,
        "pageNumber": number,
        "data": [],
    }


async def test_page_size_500_holds_500(client: httpx.AsyncClient, make_dp: MakeDP) -> None:
    codes = [f"DV-P{i:04d}" for i in range(501)]
    big = make_dp("DP Big", [voucher(code) for code in codes])

    first = await post(client, "GetDPVouchers", page(1, 500), big)
    second = await post(client, "GetDPVouchers", page(2, 500), big)

    assert first.json()["totalRecords"] == second.json()["totalRecords"] == 501
    assert [v["voucherCode"] for v in first.json()["data"]] == codes[:500]
    assert [v["voucherCode"] for v in second.json()["data"]] == codes[500:]
    assert await codes_on(client, big, 501, 1) == ["DV-P0500"]


# -- refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (page(0, 10), "Input should be greater than or equal to 1 (pageNumber)"),
        (page(-1, 10), "Input should be greater than or equal to 1 (pageNumber)"),
        (
            page(MAX_INT32 + 1, 10),
            f"Input should be less than or equal to {MAX_INT32} (pageNumber)",
        ),
        (page(10**30, 10), f"Input should be less than or equal to {MAX_INT32} (pageNumber)"),
        (page(1, 0), "Input should be greater than or equal to 1 (pageSize)"),
        (page(1, -1), "Input should be greater than or equal to 1 (pageSize)"),
        (page(1, 501), "Input should be less than or equal to 500 (pageSize)"),
        ({"pageNumber": "1", "pageSize": 10}, "Input should be a valid integer (pageNumber)"),
        ({"pageNumber": 1.5, "pageSize": 10}, "Input should be a valid integer (pageNumber)"),
        ({"pageNumber": True, "pageSize": 10}, "Input should be a valid integer (pageNumber)"),
        ({"pageNumber": None, "pageSize": 10}, "Input should be a valid integer (pageNumber)"),
        ({"pageNumber": 1, "pageSize": "500"}, "Input should be a valid integer (pageSize)"),
        ({"pageNumber": 1, "pageSize": [500]}, "Input should be a valid integer (pageSize)"),
        ({"pageSize": 10}, "Field required (pageNumber)"),
        ({"pageNumber": 1}, "Field required (pageSize)"),
        ({}, "Field required (pageNumber)"),
        ([page()], "Input should be an object"),
        ("page 1", "Input should be an object"),
        (None, "Request body is required"),  # no body at all
    ],
)
async def test_bad_paging_is_rejected(
    client: httpx.AsyncClient, runtime: Runtime, dp: DP, body: Any, message: str
) -> None:
    before = await post(client, "GetDPVouchers", page(), dp)

    response = await post(client, "GetDPVouchers", body, dp)

    assert response.status_code == 400
    assert response.json() == rejected(message)
    after = await post(client, "GetDPVouchers", page(), dp)
    assert after.json() == before.json()
    assert usage_rows(runtime, dp.id) == []
