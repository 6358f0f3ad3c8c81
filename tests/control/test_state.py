"""``/_saphan`` State over HTTP: reset to the demo data or to empty, seed a document through the
services' own rules, export everything and load it back; every bad input a 4xx in the control
API's envelope that changes nothing; none of it outside demo mode."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from saphan.depa import demo as depa_demo
from saphan.rakmao.tokens import authen_string
from tests.control.conftest import (
    ADMIN,
    BUYER,
    BUYER_PASSWORD,
    CITIZEN,
    DEPA_KEY,
    EASYSLIP_KEY,
    MOI_CLIENT,
    MOI_SECRET,
    ORG_ID,
    SEED,
    seeded,
    state,
)

DEPA_PAGE = {"pageNumber": 1, "pageSize": 500}


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


async def test_the_control_api_is_not_there_outside_demo_mode(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/_saphan/openapi.json"),
        ("GET", "/_saphan/docs"),
        ("POST", "/_saphan/reset"),
        ("POST", "/_saphan/reset?to=empty"),
        ("POST", "/_saphan/seed"),
        ("GET", "/_saphan/state"),
        ("PUT", "/_saphan/state"),
        ("GET", "/_saphan/clock"),
        ("POST", "/_saphan/clock/advance"),
        ("POST", "/_saphan/faults"),
        ("GET", "/_saphan/faults"),
        ("DELETE", "/_saphan/faults/fault-1"),
    ]:
        answer = await client.request(method, path, json={})
        assert (answer.status_code, answer.json()) == (404, error("NOT_FOUND", "Not found"))


async def test_its_own_openapi_documents_state_clock_and_faults(kit: httpx.AsyncClient) -> None:
    document = (await kit.get("/_saphan/openapi.json")).json()
    assert document["info"]["title"] == "Saphan control API (test kit)"
    assert {path: sorted(ops) for path, ops in document["paths"].items()} == {
        "/reset": ["post"],
        "/seed": ["post"],
        "/state": ["get", "put"],
        "/clock": ["delete", "get", "put"],
        "/clock/advance": ["post"],
        "/faults": ["delete", "get", "post"],
        "/faults/{fault_id}": ["delete"],
    }
    seed = document["paths"]["/seed"]["post"]
    assert seed["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SeedDocument"
    }
    assert "422" in seed["responses"]
    schemas = document["components"]["schemas"]
    documented = {
        "SeedDocument",
        "Snapshot",
        "ClockSet",
        "ClockAdvance",
        "FaultArm",
        "AdminErrorResponse",
    }
    assert documented <= set(schemas)
    docs = await kit.get("/_saphan/docs")
    assert docs.status_code == 200
    assert "/_saphan/openapi.json" in docs.text


async def test_reset_to_empty_and_back_to_the_demo(kit: httpx.AsyncClient) -> None:
    demo_key = {"x-api-key": depa_demo.DEMO_KEY}
    answer = await kit.post("/_saphan/reset?to=empty")
    assert (answer.status_code, answer.json()) == (200, {"status": "reset"})
    assert (await kit.get("/admin/depa/dps", headers=ADMIN)).json() == []
    refused = await kit.post("/depa/api/dp/GetDPVouchers", json=DEPA_PAGE, headers=demo_key)
    assert refused.status_code == 401
    assert {t: v["rows"] for t, v in (await state(kit))["tables"].items() if v["rows"]} == {}

    for _ in range(2):  # the first seeds the demo data, the second puts back what it kept
        answer = await kit.post("/_saphan/reset")
        assert (answer.status_code, answer.json()) == (200, {"status": "reset"})
        page = await kit.post("/depa/api/dp/GetDPVouchers", json=DEPA_PAGE, headers=demo_key)
        assert (page.status_code, page.json()["totalRecords"]) == (200, 302)
        dps = (await kit.get("/admin/depa/dps", headers=ADMIN)).json()
        assert [(dp["id"], dp["name"]) for dp in dps] == [
            (1, depa_demo.DEMO_DP_NAME),
            (2, depa_demo.SECOND_DP_NAME),
        ]
        # what a test wrote after a reset is gone after the next one
        assert (await kit.post("/admin/depa/dps", json={"name": "x"}, headers=ADMIN)).is_success


async def test_reset_to_what_is_not_a_target_is_422(kit: httpx.AsyncClient) -> None:
    await seeded(kit)
    before = await state(kit)
    answer = await kit.post("/_saphan/reset?to=everything")
    assert (answer.status_code, answer.json()) == (
        422,
        error("VALIDATION_ERROR", "Input should be 'demo' or 'empty' (to)"),
    )
    assert await state(kit) == before


async def test_what_a_seed_adds_every_service_serves(kit: httpx.AsyncClient) -> None:
    made = await seeded(kit)
    assert made["depa"] == {"dps": [{"id": 1, "name": "CI Provider"}]}
    assert made["moi"] == {"clients": [MOI_CLIENT], "accounts": 1, "bills": 1}
    [account] = made["rakmao"]["accounts"]
    assert account == {
        "id": 1,
        "username": BUYER,
        "authenString": authen_string(BUYER, BUYER_PASSWORD),
    }
    [application] = made["easyslip"]["applications"]
    assert application == {"id": 1, "name": "CI Shop", "branches": [{"id": 1, "name": "Main"}]}

    # depa: the DP's key, its vouchers
    page = await kit.post(
        "/depa/api/dp/GetDPVouchers", json=DEPA_PAGE, headers={"x-api-key": DEPA_KEY}
    )
    assert page.status_code == 200
    vouchers = {v["voucherCode"]: v for v in page.json()["data"]}
    assert sorted(vouchers) == ["DV-CI-0001", "DV-CI-0002"]
    assert vouchers["DV-CI-0002"]["activatedTime"] == "2025-11-13 17:35:40"

    # MOI: the client's own secret, the citizen's bill
    login = await kit.post(
        "/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": MOI_CLIENT, "ClientSecret": MOI_SECRET},
    )
    assert login.status_code == 200, login.text
    holdings = await kit.get(
        f"/moi/api/v1/PowerCapital/{CITIZEN}", headers={"Token": login.headers["Token"]}
    )
    assert holdings.status_code == 200
    [record] = holdings.json()["customerinfo"]
    assert record["usageHistory"][0] == {
        "kwh": 298,
        "Amount": 1339.75,
        "billDate": "2025-11-03T00:00:00",
    }

    # Rakmao: the account's authen string, its PO sent to the seller (Status 1, Preview)
    token = await kit.post(
        "/rakmao/api/v1/Authentication/RequestAPIToken", json=account["authenString"]
    )
    assert token.status_code == 200, token.text
    listed = await kit.get(
        f"/rakmao-po/api/v1/Buyer/{ORG_ID}?page=1&perpage=10",
        headers={"Authorization": token.json()["data"]["token"]},
    )
    [po] = listed.json()["data"]["item"]
    assert (po["PoCode"], po["Status"]) == (made["rakmao"]["pos"][0]["PoCode"], 1)

    # EasySlip: the branch's key, a verification of a seeded transfer
    bearer = {"Authorization": f"Bearer {EASYSLIP_KEY}"}
    info = await kit.get("/easyslip/v2/info", headers=bearer)
    assert info.json()["data"]["application"]["name"] == "CI Shop"
    payload = made["easyslip"]["transfers"][0]["payload"]
    verified = await kit.post("/easyslip/v2/verify/bank", json={"payload": payload}, headers=bearer)
    assert verified.status_code == 200, verified.text
    assert verified.json()["data"]["amountInSlip"] == 250


def _changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """SEED with the value at ``path`` replaced (``...``: removed)."""
    document = copy.deepcopy(SEED)
    *parents, last = path
    place: Any = document
    for step in parents:
        place = place[step]
    if value is ...:
        del place[last]
    else:
        place[last] = value
    return document


BAD_SEEDS = [
    pytest.param(
        _changed(("dpa",), {}),
        422,
        "VALIDATION_ERROR",
        "Extra inputs are not permitted (dpa)",
        id="unknown-section",
    ),
    pytest.param(
        _changed(("depa", "dps", 0, "keys", 0, "key"), "not-a-uuid"),
        422,
        "VALIDATION_ERROR",
        "String should match pattern '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB]"
        "[0-9a-fA-F]{3}-[0-9a-fA-F]{12}$' (depa.dps[0].keys[0].key)",
        id="depa-key-not-uuid4",
    ),
    pytest.param(
        _changed(("depa", "dps", 0, "vouchers", 1, "activatedTime"), ...),
        422,
        "VALIDATION_ERROR",
        "Voucher DV-CI-0002 is Activated but has no activatedTime (depa.dps[0].vouchers)",
        id="depa-activated-without-time",
    ),
    pytest.param(
        _changed(("depa", "dps", 0, "vouchers", 1, "voucherCode"), "DV-CI-0001"),
        409,
        "CONFLICT",
        "Voucher DV-CI-0001 appears twice in the input (depa.dps[0].vouchers)",
        id="depa-voucher-twice",
    ),
    pytest.param(
        _changed(("depa", "dps", 0, "name"), "CI\u202eProvider"),
        422,
        "VALIDATION_ERROR",
        "Control characters are not allowed (depa.dps[0].name)",
        id="depa-name-bidi",
    ),
    pytest.param(
        _changed(("moi", "clients", 0, "anyAgent"), False),
        422,
        "VALIDATION_ERROR",
        "Give at least one agent, or anyAgent (moi.clients[0])",
        id="moi-client-without-agents",
    ),
    pytest.param(
        _changed(("moi", "accounts", 0, "citizen_id"), "12345"),
        422,
        "VALIDATION_ERROR",
        "String should match pattern '^[0-9]{13}$' (moi.accounts[0].citizen_id)",
        id="moi-citizen-id",
    ),
    pytest.param(
        _changed(("moi", "accounts", 0, "info", "CANo"), "1"),
        422,
        "VALIDATION_ERROR",
        "info.CANo: not a field of the customerinfo layout (moi.accounts[0])",
        id="moi-field-of-other-layout",
    ),
    pytest.param(
        _changed(("rakmao", "accounts", 0, "password"), "short"),
        422,
        "VALIDATION_ERROR",
        "String should have at least 12 characters (rakmao.accounts[0].password)",
        id="rakmao-short-password",
    ),
    pytest.param(
        _changed(("rakmao", "pos", 0, "buyer"), "nobody"),
        422,
        "VALIDATION_ERROR",
        "No account nobody (rakmao.pos[0])",
        id="rakmao-unknown-buyer",
    ),
    pytest.param(
        _changed(("rakmao", "pos", 0, "po", "OrgId"), "b1b7711b-158f-48fe-adc0-9cfb52565911"),
        422,
        "VALIDATION_ERROR",
        "OrgId is not your organisation's (rakmao.pos[0])",
        id="rakmao-po-of-another-org",
    ),
    pytest.param(
        _changed(("rakmao", "pos", 0, "status"), 9),
        422,
        "VALIDATION_ERROR",
        None,
        id="rakmao-unknown-status",
    ),
    pytest.param(
        _changed(("easyslip", "transfers", 1, "bankCode"), "999"),
        422,
        "VALIDATION_ERROR",
        "Value error, Unknown bank code (easyslip.transfers[1].bankCode)",
        id="easyslip-unknown-bank",
    ),
    pytest.param(
        _changed(("easyslip", "transfers", 1, "transRef"), "CI0001"),
        409,
        "CONFLICT",
        "Transfer 004/CI0001 appears twice in the input (easyslip.transfers)",
        id="easyslip-transfer-twice",
    ),
    pytest.param(
        _changed(("easyslip", "applications", 0, "branches", 0, "key"), DEPA_KEY.upper()),
        None,
        None,
        None,
        id="keys-may-repeat-across-services",
    ),
]


@pytest.mark.parametrize(("document", "status", "code", "message"), BAD_SEEDS)
async def test_a_bad_seed_is_4xx_naming_where_and_adds_nothing(
    kit: httpx.AsyncClient,
    document: dict[str, Any],
    status: int | None,
    code: str | None,
    message: str | None,
) -> None:
    before = await state(kit)
    answer = await kit.post("/_saphan/seed", json=document)
    if status is None:  # a depa key and an EasySlip key are in different services
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"]["code"] == code
    if message is not None:
        assert body == error(code, message.replace("Value error, ", ""))
    assert await state(kit) == before


async def test_what_exists_already_is_409_and_the_seed_adds_nothing(
    kit: httpx.AsyncClient,
) -> None:
    await seeded(kit)
    before = await state(kit)
    for path, message in [
        (
            ("depa", "dps", 0, "keys", 0, "key"),
            "The key is issued already (depa.dps[0].keys[0].key)",
        ),
        (
            ("moi", "clients", 0, "clientId"),
            f"ClientID {MOI_CLIENT} exists already (moi.clients[0])",
        ),
        (("rakmao", "accounts", 0, "username"), f"Username {BUYER} is taken (rakmao.accounts[0])"),
    ]:
        document: dict[str, Any] = {"depa": {}, "moi": {}, "rakmao": {}, "easyslip": {}}
        section, *_ = path
        document[section] = copy.deepcopy(SEED[section])
        if section == "rakmao":
            del document["rakmao"]["pos"]
        if section == "moi":
            del document["moi"]["accounts"]
        answer = await kit.post("/_saphan/seed", json=document)
        assert (answer.status_code, answer.json()) == (409, error("CONFLICT", message))
    assert await state(kit) == before


@pytest.mark.parametrize(
    ("body", "headers", "status", "code", "message"),
    [
        (b"", {}, 400, "BAD_REQUEST", "Request body is required"),
        (b"{", {}, 422, "VALIDATION_ERROR", None),
        (b"[]", {}, 422, "VALIDATION_ERROR", None),
        (
            b'{"depa": {"dps": [{"name": "a\\u0000b"}]}}',
            {},
            400,
            "BAD_REQUEST",
            "Must not contain NUL characters (depa.dps[0].name)",
        ),
        (b"{}", {"Content-Type": "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE", None),
    ],
)
async def test_a_body_that_is_not_a_document_is_4xx(
    kit: httpx.AsyncClient,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
    message: str | None,
) -> None:
    before = await state(kit)
    answer = await kit.post(
        "/_saphan/seed", content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    if message is not None:
        assert answer.json()["error"]["message"] == message
    assert await state(kit) == before


async def test_a_snapshot_loads_into_an_empty_server_and_exports_the_same(
    kit: httpx.AsyncClient,
) -> None:
    await seeded(kit)
    # a little of what callers do: a MOI session and its audit, a depa usage report
    login = await kit.post(
        "/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": MOI_CLIENT, "ClientSecret": MOI_SECRET},
    )
    await kit.get(f"/moi/api/v1/PowerCapital/{CITIZEN}", headers={"Token": login.headers["Token"]})
    usage = {
        "isProduction": False,
        "vouchers": [
            {
                "voucherCode": "DV-CI-0002",
                "accessDate": "2025-11-19",
                "appUserId": "u1",
                "accessCount": 3,
                "accessTime": 42,
                "lat": 13.7,
                "lon": 100.5,
            }
        ],
    }
    reported = await kit.post(
        "/depa/api/dp/VoucherUsage", json=usage, headers={"x-api-key": DEPA_KEY}
    )
    assert reported.status_code == 200, reported.text
    snapshot = await state(kit)
    assert snapshot["saphan"] == "snapshot"
    assert snapshot["tables"]["moi_audit"]["rows"]
    assert "wire" not in snapshot["tables"]["depa_voucher"]["columns"]  # triggers make it

    assert (await kit.post("/_saphan/reset?to=empty")).status_code == 200
    loaded = await kit.put("/_saphan/state", json=snapshot)
    rows = sum(len(table["rows"]) for table in snapshot["tables"].values())
    assert (loaded.status_code, loaded.json()) == (200, {"status": "loaded", "rows": rows})
    assert await state(kit) == snapshot

    # keys and secrets travel as their hashes: the same ones work after the load
    page = await kit.post(
        "/depa/api/dp/GetDPVouchers", json=DEPA_PAGE, headers={"x-api-key": DEPA_KEY}
    )
    assert page.json()["totalRecords"] == 2
    again = await kit.post(
        "/moi/api/v1/Authenticate/1234567890123",
        json={"ClientID": MOI_CLIENT, "ClientSecret": MOI_SECRET},
    )
    assert again.status_code == 200
    token = await kit.post(
        "/rakmao/api/v1/Authentication/RequestAPIToken", json=authen_string(BUYER, BUYER_PASSWORD)
    )
    assert token.status_code == 200
    info = await kit.get("/easyslip/v2/info", headers={"Authorization": f"Bearer {EASYSLIP_KEY}"})
    assert info.json()["data"]["application"]["quota"]["used"] == 0
    # and ids go on after the loaded ones
    created = await kit.post("/admin/depa/dps", json={"name": "after"}, headers=ADMIN)
    assert created.json()["id"] == 2


def _bad_snapshot(snapshot: dict[str, Any], change: str) -> dict[str, Any]:
    bad = copy.deepcopy(snapshot)
    tables = bad["tables"]
    dp = tables["depa_dp"]
    if change == "schema":
        bad["schema"] = "0001_depa_depa_tables"
    elif change == "version":
        bad["version"] = 2
    elif change == "table":
        tables["depa_dpp"] = {"columns": [], "rows": []}
    elif change == "kept-table":
        tables["rakmao_po_tally"] = {"columns": [], "rows": []}
    elif change == "column":
        dp["columns"].append("colour")
        dp["rows"][0].append("red")
    elif change == "missing-column":
        dp["columns"].pop()
        dp["rows"][0].pop()
    elif change == "row-length":
        dp["rows"][0].append(1)
    elif change == "type":
        dp["rows"][0][dp["columns"].index("created_at")] = 20251120
    elif change == "null":
        dp["rows"][0][dp["columns"].index("name")] = None
    elif change == "too-long":
        dp["rows"][0][dp["columns"].index("name")] = "x" * 201
    elif change == "orphan":
        key = tables["depa_api_key"]
        key["rows"][0][key["columns"].index("dp_id")] = 99
    elif change == "duplicate":
        key = tables["depa_api_key"]
        key["rows"].append([2, *key["rows"][0][1:]])
    return bad


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        (
            "schema",
            409,
            "The snapshot is of schema 0001_depa_depa_tables; this server's is {schema} (schema)",
        ),
        ("version", 422, "Input should be 1 (version)"),
        ("table", 422, "No such table in the state (tables.depa_dpp)"),
        ("kept-table", 422, "No such table in the state (tables.rakmao_po_tally)"),
        ("column", 422, "No such column of depa_dp (tables.depa_dp.columns[4])"),
        (
            "missing-column",
            422,
            "Give every column of depa_dp once: missing voucher_count (tables.depa_dp.columns)",
        ),
        ("row-length", 422, "A row has 4 values, one per column (tables.depa_dp.rows[0])"),
        ("type", 422, "Must be an ISO 8601 time (tables.depa_dp.rows[0].created_at)"),
        ("null", 422, "Must not be null (tables.depa_dp.rows[0].name)"),
        ("too-long", 422, "Must be at most 200 characters (tables.depa_dp.rows[0].name)"),
        ("orphan", 409, None),
        ("duplicate", 409, None),
    ],
)
async def test_a_bad_snapshot_is_4xx_and_changes_nothing(
    kit: httpx.AsyncClient, change: str, status: int, message: str | None
) -> None:
    await seeded(kit)
    before = await state(kit)
    answer = await kit.put("/_saphan/state", json=_bad_snapshot(before, change))
    assert answer.status_code == status, answer.text
    body = answer.json()
    if message is not None:
        expected = message.format(schema=before["schema"])
        assert body == error("VALIDATION_ERROR" if status == 422 else "CONFLICT", expected)
    else:
        assert body["error"]["code"] == "CONFLICT"
        assert body["error"]["message"].startswith("The rows do not fit together: ")
        assert body["error"]["message"].endswith("(tables.depa_api_key)")
    assert await state(kit) == before
