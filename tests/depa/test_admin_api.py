"""The depa operator API (``/admin/depa``) end to end over HTTP: what an organisation running
depa's side sees when it registers DPs, issues and revokes keys, issues vouchers, moves them
through their statuses and reads the usage DPs report. Every bad input gets its status, the whole
``{"error": {...}}`` envelope, and a read-back showing nothing changed."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from saphan.app import create_app
from saphan.config import Settings
from tests.conftest import ADMIN_TOKEN, SECRET

ADMIN = "/admin/depa"
DEPA = "/depa/api/dp"
NOW = "2025-11-20 10:30:00"  # the tests' fixed clock, as the wire writes it
UNAUTHORIZED = {"error": {"code": "UNAUTHORIZED", "message": "Missing or wrong operator token"}}
INVALID_KEY = {"success": False, "errorMessage": "Invalid API key", "data": None}


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def invalid(message: str) -> dict[str, Any]:
    return error("VALIDATION_ERROR", message)


async def create_dp(admin: httpx.AsyncClient, name: str = "บริษัท ดิจิทัล โซลูชั่น จำกัด") -> int:
    response = await admin.post(f"{ADMIN}/dps", json={"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def issue_key(admin: httpx.AsyncClient, dp_id: int, label: str = "") -> dict[str, Any]:
    response = await admin.post(f"{ADMIN}/dps/{dp_id}/keys", json={"label": label})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def vouchers_of(admin: httpx.AsyncClient, dp_id: int, query: str = "") -> dict[str, Any]:
    response = await admin.get(f"{ADMIN}/dps/{dp_id}/vouchers{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def codes_of(admin: httpx.AsyncClient, dp_id: int) -> list[str]:
    page = await vouchers_of(admin, dp_id, "?perPage=1000")
    return [v["voucherCode"] for v in page["items"]]


async def dps(admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await admin.get(f"{ADMIN}/dps")
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def voucher_state(admin: httpx.AsyncClient, dp_id: int, code: str) -> dict[str, Any]:
    page = await vouchers_of(admin, dp_id, "?perPage=1000")
    return next(v for v in page["items"] if v["voucherCode"] == code)


async def get_dp_vouchers(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post(
        f"{DEPA}/GetDPVouchers", json={"pageNumber": 1, "pageSize": 500}, headers={"x-api-key": key}
    )


def wire_voucher(code: str, dp_name: str, **fields: str) -> dict[str, str]:
    """A voucher as GetDPVouchers answers it: every field, "" where unset."""
    names = [
        "status", "bindingTime", "revokingTime", "activatedTime", "revokedTime", "registId",
        "registType", "title", "firstName", "lastName", "idCard", "mobileNo", "email", "addrNo",
        "moo", "provinceName", "amphurName", "tambonName", "postcode",
    ]  # fmt: skip
    record = {"voucherCode": code, **dict.fromkeys(names, "")}
    record.update({"dpName": dp_name, "productName": ""})
    record.update(fields)
    return record


# -- the operator token --------------------------------------------------------------------------

BAD_CREDENTIALS = [
    pytest.param({}, id="no Authorization"),
    pytest.param({"Authorization": "Bearer wrong-token"}, id="wrong token"),
    pytest.param({"Authorization": f"Bearer {ADMIN_TOKEN}x"}, id="token with a suffix"),
    pytest.param({"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}"}, id="token prefix"),
    pytest.param({"Authorization": f"Basic {ADMIN_TOKEN}"}, id="not a bearer"),
    pytest.param({"Authorization": ADMIN_TOKEN}, id="no scheme"),
    pytest.param({"x-api-key": ADMIN_TOKEN}, id="token in another header"),
]


@pytest.mark.parametrize("headers", BAD_CREDENTIALS)
async def test_without_the_operator_token_every_route_is_401_and_nothing_changes(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    dp_id = await create_dp(admin, "DP Alpha")
    key = await issue_key(admin, dp_id)
    await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json={"voucherCode": "DV-A1"})
    attempts = [
        ("GET", f"{ADMIN}/dps", None),
        ("POST", f"{ADMIN}/dps", {"name": "Intruder"}),
        ("POST", f"{ADMIN}/dps/{dp_id}/keys", {"label": "stolen"}),
        ("GET", f"{ADMIN}/dps/{dp_id}/keys", None),
        ("DELETE", f"{ADMIN}/keys/{key['id']}", None),
        ("POST", f"{ADMIN}/dps/{dp_id}/vouchers", {"voucherCode": "DV-EVIL"}),
        ("GET", f"{ADMIN}/dps/{dp_id}/vouchers", None),
        ("POST", f"{ADMIN}/vouchers/DV-A1/activate", None),
        ("POST", f"{ADMIN}/vouchers/DV-A1/revoke", None),
        ("GET", f"{ADMIN}/dps/{dp_id}/usage", None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, json=body, headers=headers)
        assert (method, path, response.status_code, response.json()) == (
            method,
            path,
            401,
            UNAUTHORIZED,
        )

    assert [dp["name"] for dp in await dps(admin)] == ["DP Alpha"]
    listed = (await admin.get(f"{ADMIN}/dps/{dp_id}/keys")).json()
    assert [(k["id"], k["revokedAt"]) for k in listed] == [(key["id"], "")]
    assert await voucher_state(admin, dp_id, "DV-A1") == {
        "dpId": dp_id,
        "voucherCode": "DV-A1",
        "status": "Bound",
        "bindingTime": NOW,
        "revokingTime": "2026-02-18 10:30:00",
        "activatedTime": "",
        "revokedTime": "",
    }
    assert (await get_dp_vouchers(client, key["key"])).status_code == 200


async def test_the_operator_token_does_not_open_the_depa_api(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await create_dp(admin)
    response = await client.post(
        f"{DEPA}/GetDPVouchers",
        json={"pageNumber": 1, "pageSize": 10},
        headers={"x-api-key": ADMIN_TOKEN, "Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert (response.status_code, response.json()) == (401, INVALID_KEY)


async def test_without_an_admin_token_configured_the_operator_api_does_not_exist(
    database_url: str, admin: httpx.AsyncClient
) -> None:
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=None,
        demo=False,
    )
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://saphan.test") as http:
            for method, path in [
                ("GET", f"{ADMIN}/dps"),
                ("POST", f"{ADMIN}/dps"),
                ("GET", f"{ADMIN}/openapi.json"),
                ("GET", f"{ADMIN}/docs"),
            ]:
                response = await http.request(
                    method,
                    path,
                    json={"name": "x"} if method == "POST" else None,
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                )
                assert (path, response.status_code, response.json()) == (
                    path,
                    404,
                    error("NOT_FOUND", "Not found"),
                )
            # the provider's own API is there all the same
            assert (await http.get("/depa/openapi.json")).status_code == 200
    finally:
        await app.state.runtime.db.aclose()
    assert await dps(admin) == []  # read back through an app that has the operator API


async def test_the_operator_openapi_describes_every_route(admin: httpx.AsyncClient) -> None:
    response = await admin.get(f"{ADMIN}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {(path, method) for path, item in paths.items() for method in item} == {
        ("/dps", "get"),
        ("/dps", "post"),
        ("/dps/{dp_id}/keys", "get"),
        ("/dps/{dp_id}/keys", "post"),
        ("/keys/{key_id}", "delete"),
        ("/dps/{dp_id}/vouchers", "get"),
        ("/dps/{dp_id}/vouchers", "post"),
        ("/vouchers/{code}/activate", "post"),
        ("/vouchers/{code}/revoke", "post"),
        ("/dps/{dp_id}/usage", "get"),
    }
    # errors are documented as they are answered: the envelope, never FastAPI's {"detail": ...}
    envelope = {"$ref": "#/components/schemas/AdminErrorResponse"}
    for item in paths.values():
        for operation in item.values():
            for status in ("401", "404", "409", "422"):
                documented = operation["responses"][status]["content"]["application/json"]
                assert documented["schema"] == envelope
    schemas = response.json()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["AdminErrorResponse"]["properties"] == {
        "error": {"$ref": "#/components/schemas/ErrorDetail"}
    }
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message"}


# -- Digital Providers ---------------------------------------------------------------------------


async def test_create_and_list_dps(admin: httpx.AsyncClient) -> None:
    first = await admin.post(f"{ADMIN}/dps", json={"name": "บริษัท ดิจิทัล โซลูชั่น จำกัด"})
    second = await admin.post(f"{ADMIN}/dps", json={"name": "  Second DP  "})

    assert first.status_code == second.status_code == 201
    one, two = first.json(), second.json()
    assert one == {
        "id": one["id"],
        "name": "บริษัท ดิจิทัล โซลูชั่น จำกัด",
        "createdAt": NOW,
        "voucherCount": 0,
    }
    assert two == {"id": two["id"], "name": "  Second DP  ", "createdAt": NOW, "voucherCount": 0}
    assert two["id"] != one["id"]
    assert await dps(admin) == [one, two]


async def test_a_dp_lists_how_many_vouchers_it_holds(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers", json=[{"voucherCode": "DV-1"}, {"voucherCode": "DV-2"}]
    )
    [listed] = await dps(admin)
    assert listed["voucherCount"] == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({}, "Field required (name)", id="missing name"),
        pytest.param({"name": ""}, "String should have at least 1 character (name)", id="empty"),
        pytest.param(
            {"name": "x" * 201}, "String should have at most 200 characters (name)", id="too long"
        ),
        pytest.param({"name": 5}, "Input should be a valid string (name)", id="number"),
        pytest.param(
            ["name"],
            "Input should be a valid dictionary or object to extract fields from",
            id="a list",
        ),
    ],
)
async def test_create_dp_rejects_bad_bodies_with_422(
    admin: httpx.AsyncClient, body: Any, message: str
) -> None:
    response = await admin.post(f"{ADMIN}/dps", json=body)
    assert (response.status_code, response.json()) == (422, invalid(message))
    assert await dps(admin) == []


async def test_create_dp_rejects_malformed_json_and_other_media_types(
    admin: httpx.AsyncClient,
) -> None:
    malformed = await admin.post(
        f"{ADMIN}/dps", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "VALIDATION_ERROR"
    assert malformed.json()["error"]["message"].startswith("Malformed JSON body: ")

    form = await admin.post(f"{ADMIN}/dps", data={"name": "Form DP"})
    assert (form.status_code, form.json()) == (
        415,
        error("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"),
    )
    assert await dps(admin) == []


# -- API keys ------------------------------------------------------------------------------------


async def test_a_key_is_shown_once_as_a_uuid4_and_then_only_by_its_prefix(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = await create_dp(admin, "DP Alpha")

    response = await admin.post(f"{ADMIN}/dps/{dp_id}/keys", json={"label": "production server"})

    assert response.status_code == 201
    created = response.json()
    key = created["key"]
    assert str(uuid.UUID(key)) == key
    assert uuid.UUID(key).version == 4
    assert created == {
        "id": created["id"],
        "dpId": dp_id,
        "prefix": key[:8],
        "label": "production server",
        "createdAt": NOW,
        "revokedAt": "",
        "key": key,
    }

    listed = await admin.get(f"{ADMIN}/dps/{dp_id}/keys")
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "id": created["id"],
            "dpId": dp_id,
            "prefix": key[:8],
            "label": "production server",
            "createdAt": NOW,
            "revokedAt": "",
        }
    ]
    assert key not in listed.text
    assert key[8:] not in listed.text

    works = await get_dp_vouchers(client, key)
    assert (works.status_code, works.json()) == (
        200,
        {
            "success": True,
            "errorMessage": "",
            "totalRecords": 0,
            "pageSize": 500,
            "pageNumber": 1,
            "data": [],
        },
    )


async def test_a_key_without_a_body_has_an_empty_label_and_keys_differ(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = await create_dp(admin)
    first = await admin.post(f"{ADMIN}/dps/{dp_id}/keys")
    second = await admin.post(f"{ADMIN}/dps/{dp_id}/keys")

    assert first.status_code == second.status_code == 201
    assert first.json()["label"] == second.json()["label"] == ""
    assert first.json()["key"] != second.json()["key"]
    listed = (await admin.get(f"{ADMIN}/dps/{dp_id}/keys")).json()
    assert [k["id"] for k in listed] == [first.json()["id"], second.json()["id"]]
    for created in (first.json(), second.json()):
        assert (await get_dp_vouchers(client, created["key"])).status_code == 200


async def test_a_key_sees_only_its_own_dp(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    alpha, beta = await create_dp(admin, "DP Alpha"), await create_dp(admin, "DP Beta")
    await admin.post(f"{ADMIN}/dps/{alpha}/vouchers", json={"voucherCode": "DV-A1"})
    await admin.post(f"{ADMIN}/dps/{beta}/vouchers", json={"voucherCode": "DV-B1"})
    beta_key = await issue_key(admin, beta)

    response = await get_dp_vouchers(client, beta_key["key"])

    assert response.status_code == 200
    assert [v["voucherCode"] for v in response.json()["data"]] == ["DV-B1"]
    assert response.json()["data"][0]["dpName"] == "DP Beta"


async def test_a_revoked_key_is_401_at_once_and_the_dps_other_keys_still_work(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = await create_dp(admin)
    doomed, kept = await issue_key(admin, dp_id, "old"), await issue_key(admin, dp_id, "new")
    assert (await get_dp_vouchers(client, doomed["key"])).status_code == 200

    response = await admin.delete(f"{ADMIN}/keys/{doomed['id']}")

    assert response.status_code == 200
    revoked = {k: v for k, v in doomed.items() if k != "key"} | {"revokedAt": NOW}
    assert response.json() == revoked
    refused = await get_dp_vouchers(client, doomed["key"])
    assert (refused.status_code, refused.json()) == (401, INVALID_KEY)
    assert (await get_dp_vouchers(client, kept["key"])).status_code == 200
    listed = (await admin.get(f"{ADMIN}/dps/{dp_id}/keys")).json()
    assert [(k["label"], k["revokedAt"]) for k in listed] == [("old", NOW), ("new", "")]

    again = await admin.delete(f"{ADMIN}/keys/{doomed['id']}")
    assert (again.status_code, again.json()) == (200, revoked)


async def test_unknown_dp_key_and_voucher_are_404(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    missing = dp_id + 1000
    attempts = [
        ("POST", f"{ADMIN}/dps/{missing}/keys", {"label": "x"}, f"No Digital Provider {missing}"),
        ("GET", f"{ADMIN}/dps/{missing}/keys", None, f"No Digital Provider {missing}"),
        (
            "POST",
            f"{ADMIN}/dps/{missing}/vouchers",
            {"voucherCode": "DV-X"},
            f"No Digital Provider {missing}",
        ),
        ("GET", f"{ADMIN}/dps/{missing}/vouchers", None, f"No Digital Provider {missing}"),
        ("GET", f"{ADMIN}/dps/{missing}/usage", None, f"No Digital Provider {missing}"),
        ("DELETE", f"{ADMIN}/keys/4242", None, "No API key 4242"),
        # Past 32 bits: no row, and it must not reach PostgreSQL as an integer parameter.
        ("GET", f"{ADMIN}/dps/{2**31}/keys", None, f"No Digital Provider {2**31}"),
        ("DELETE", f"{ADMIN}/keys/{2**40}", None, f"No API key {2**40}"),
        ("GET", f"{ADMIN}/dps/0/usage", None, "No Digital Provider 0"),
        ("POST", f"{ADMIN}/vouchers/DV-NOPE/activate", None, "No voucher DV-NOPE"),
        ("POST", f"{ADMIN}/vouchers/DV-NOPE/revoke", {"at": NOW}, "No voucher DV-NOPE"),
    ]
    for method, path, body, message in attempts:
        response = await admin.request(method, path, json=body)
        assert (path, response.status_code, response.json()) == (
            path,
            404,
            error("NOT_FOUND", message),
        )
    assert await dps(admin) == [
        {"id": dp_id, "name": "บริษัท ดิจิทัล โซลูชั่น จำกัด", "createdAt": NOW, "voucherCount": 0}
    ]
    assert (await admin.get(f"{ADMIN}/dps/{dp_id}/keys")).json() == []


async def test_unknown_operator_path_and_method_keep_the_envelope(admin: httpx.AsyncClient) -> None:
    nowhere = await admin.get(f"{ADMIN}/nowhere")
    assert (nowhere.status_code, nowhere.json()) == (404, error("NOT_FOUND", "Not found"))
    wrong = await admin.put(f"{ADMIN}/dps", json={"name": "x"})
    assert (wrong.status_code, wrong.json()) == (
        405,
        error("METHOD_NOT_ALLOWED", "Method not allowed"),
    )
    assert await dps(admin) == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dps/abc/keys", "Input should be a valid integer, unable to parse string as an integer"),
        ("/keys/1.5", "Input should be a valid integer, unable to parse string as an integer"),
    ],
)
async def test_non_integer_ids_are_422(admin: httpx.AsyncClient, path: str, message: str) -> None:
    method = "DELETE" if path.startswith("/keys") else "GET"
    response = await admin.request(method, f"{ADMIN}{path}")
    name = "key_id" if path.startswith("/keys") else "dp_id"
    assert (response.status_code, response.json()) == (422, invalid(f"{message} ({name})"))


# -- creating vouchers ---------------------------------------------------------------------------


async def test_one_voucher_object_is_issued_with_defaults_and_served_on_the_wire(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = await create_dp(admin, "DP Alpha")
    key = await issue_key(admin, dp_id)

    response = await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers",
        json={"voucherCode": "DV-ONE", "firstName": "สมหญิง", "lastName": "รักไทย"},
    )

    assert (response.status_code, response.json()) == (201, {"created": 1})
    assert await vouchers_of(admin, dp_id) == {
        "total": 1,
        "page": 1,
        "perPage": 100,
        "items": [
            {
                "dpId": dp_id,
                "voucherCode": "DV-ONE",
                "status": "Bound",
                "bindingTime": NOW,
                "revokingTime": "2026-02-18 10:30:00",  # 90 days after binding
                "activatedTime": "",
                "revokedTime": "",
            }
        ],
    }
    wire = await get_dp_vouchers(client, key["key"])
    assert wire.json()["data"] == [
        wire_voucher(
            "DV-ONE",
            "DP Alpha",
            status="Bound",
            bindingTime=NOW,
            revokingTime="2026-02-18 10:30:00",
            firstName="สมหญิง",
            lastName="รักไทย",
        )
    ]


async def test_a_json_list_is_issued_in_order_with_every_field(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = await create_dp(admin, "DP Alpha")
    key = await issue_key(admin, dp_id)
    full = {
        "voucherCode": "DV-FULL",
        "status": "Revoked",
        "bindingTime": "2025-11-07 18:52:38",
        "revokingTime": "2026-02-05 18:52:38",
        "activatedTime": "2025-11-13 17:35:40",
        "revokedTime": "2025-11-15T01:00:00+00:00",  # ISO 8601 with an offset: 08:00 Bangkok
        "registId": "DV2025102713374000XXXX",
        "registType": "SME",
        "title": "นาย",
        "firstName": "สมชาย",
        "lastName": "ใจดี",
        "idCard": "1101700203451",
        "mobileNo": "0812345678",
        "email": "somchai@example.co.th",
        "addrNo": "79",
        "moo": "4",
        "provinceName": "กรุงเทพมหานคร",
        "amphurName": "สัมพันธวงศ์",
        "tambonName": "จักรวรรดิ",
        "postcode": "10100",
        "productName": "ระบบบัญชี AI",
    }
    body = [
        {"voucherCode": "DV-3"},
        full,
        {"voucherCode": "DV-1", "status": "Activated", "activatedTime": "2025-11-19T09:00:00"},
    ]

    response = await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json=body)

    assert (response.status_code, response.json()) == (201, {"created": 3})
    wire = (await get_dp_vouchers(client, key["key"])).json()
    assert wire["totalRecords"] == 3
    assert [v["voucherCode"] for v in wire["data"]] == ["DV-3", "DV-FULL", "DV-1"]
    assert wire["data"][1] == {**full, "revokedTime": "2025-11-15 08:00:00", "dpName": "DP Alpha"}
    assert wire["data"][2]["activatedTime"] == "2025-11-19 09:00:00"
    assert wire["data"][2]["status"] == "Activated"


CSV_HEADER = "voucherCode,status,bindingTime,activatedTime,title,firstName,lastName,provinceName"
CSV_ROWS = [
    "DV-0001,Activated,2025-11-07 18:52:38,2025-11-13 17:35:40,นาย,สมชาย,ใจดี,กรุงเทพมหานคร",
    "DV-0002,Bound,2025-11-08 09:00:00,,นาง,สมศรี,มีสุข,เชียงใหม่",
    'DV-0003,Bound,,,นางสาว,"มาลี, วงศ์","ศรี ""สุข""",ขอนแก่น',
]


@pytest.mark.parametrize(
    ("prefix", "newline"),
    [
        pytest.param("", "\n", id="plain"),
        pytest.param("\ufeff", "\r\n", id="BOM and CRLF, as Excel saves it"),
    ],
)
async def test_csv_in_utf8_with_thai_text_is_issued(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, prefix: str, newline: str
) -> None:
    dp_id = await create_dp(admin, "DP Alpha")
    key = await issue_key(admin, dp_id)
    csv = prefix + newline.join([CSV_HEADER, *CSV_ROWS]) + newline

    response = await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers",
        content=csv.encode("utf-8"),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )

    assert (response.status_code, response.json()) == (201, {"created": 3})
    wire = (await get_dp_vouchers(client, key["key"])).json()["data"]
    assert wire == [
        wire_voucher(
            "DV-0001",
            "DP Alpha",
            status="Activated",
            bindingTime="2025-11-07 18:52:38",
            revokingTime="2026-02-05 18:52:38",
            activatedTime="2025-11-13 17:35:40",
            title="นาย",
            firstName="สมชาย",
            lastName="ใจดี",
            provinceName="กรุงเทพมหานคร",
        ),
        wire_voucher(
            "DV-0002",
            "DP Alpha",
            status="Bound",
            bindingTime="2025-11-08 09:00:00",
            revokingTime="2026-02-06 09:00:00",
            title="นาง",
            firstName="สมศรี",
            lastName="มีสุข",
            provinceName="เชียงใหม่",
        ),
        wire_voucher(
            "DV-0003",
            "DP Alpha",
            status="Bound",
            bindingTime=NOW,
            revokingTime="2026-02-18 10:30:00",
            title="นางสาว",
            firstName="มาลี, วงศ์",
            lastName='ศรี "สุข"',
            provinceName="ขอนแก่น",
        ),
    ]


async def test_an_issued_voucher_can_be_used_once_activated(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    """The operator's activation time is what the depa API checks usage against."""
    dp_id = await create_dp(admin)
    key = await issue_key(admin, dp_id)
    await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json={"voucherCode": "DV-USE"})

    def usage(day: str) -> dict[str, Any]:
        record = {"accessDate": day, "voucherCode": "DV-USE", "appUserId": "u1"}
        return {"isProduction": False, "vouchers": [{**record, "accessCount": 1, "accessTime": 5}]}

    headers = {"x-api-key": key["key"]}
    before = await client.post(f"{DEPA}/VoucherUsage", json=usage("2025-11-19"), headers=headers)
    assert before.status_code == 400

    await admin.post(f"{ADMIN}/vouchers/DV-USE/activate", json={"at": "2025-11-18 09:15:00"})

    after = await client.post(f"{DEPA}/VoucherUsage", json=usage("2025-11-19"), headers=headers)
    assert (after.status_code, after.json()) == (
        200,
        {"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}},
    )
    too_early = await client.post(f"{DEPA}/VoucherUsage", json=usage("2025-11-17"), headers=headers)
    assert too_early.status_code == 400


BAD_RECORDS = [
    pytest.param(
        {"voucherCode": "DV-BAD", "status": "Used"},
        "Input should be 'Bound', 'Activated' or 'Revoked' (records[1].status)",
        id="unknown status",
    ),
    pytest.param(
        {"status": "Bound"}, "Field required (records[1].voucherCode)", id="no voucherCode"
    ),
    pytest.param(
        {"voucherCode": ""},
        "String should have at least 1 character (records[1].voucherCode)",
        id="empty voucherCode",
    ),
    pytest.param(
        {"voucherCode": "DV-BAD", "bindingTime": "2025-13-01 00:00:00"},
        "month must be in 1..12 (records[1].bindingTime)",
        id="impossible date",
    ),
    pytest.param(
        {"voucherCode": "DV-BAD", "postcode": "1" * 11},
        "String should have at most 10 characters (records[1].postcode)",
        id="postcode too long",
    ),
    pytest.param(
        {"voucherCode": "DV-BAD", "firstName": 7},
        "Input should be a valid string (records[1].firstName)",
        id="number for a name",
    ),
    pytest.param(
        {"voucherCode": "DV-BAD", "status": "Activated"},
        "Voucher DV-BAD is Activated but has no activatedTime",
        id="activated without a time",
    ),
    pytest.param(
        {"voucherCode": "DV-BAD", "status": "Revoked", "activatedTime": "2025-11-01 09:00:00"},
        "Voucher DV-BAD is Revoked but has no revokedTime",
        id="revoked without a time",
    ),
]


@pytest.mark.parametrize(("bad", "message"), BAD_RECORDS)
async def test_one_bad_record_in_a_list_issues_nothing(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, bad: dict[str, Any], message: str
) -> None:
    dp_id = await create_dp(admin)
    key = await issue_key(admin, dp_id)
    body = [{"voucherCode": "DV-GOOD-1"}, bad, {"voucherCode": "DV-GOOD-2"}]

    response = await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json=body)

    assert (response.status_code, response.json()) == (422, invalid(message))
    assert await vouchers_of(admin, dp_id) == {"total": 0, "page": 1, "perPage": 100, "items": []}
    assert (await dps(admin))[0]["voucherCount"] == 0
    assert (await get_dp_vouchers(client, key["key"])).json()["totalRecords"] == 0
    # the same DP still takes good vouchers afterwards, numbered from the start
    ok = await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json=[{"voucherCode": "DV-GOOD-1"}])
    assert ok.status_code == 201
    assert (await get_dp_vouchers(client, key["key"])).json()["totalRecords"] == 1


async def test_one_bad_csv_row_issues_nothing(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    csv = "\n".join([CSV_HEADER, CSV_ROWS[0], "DV-0009,Lost,,,,,,", CSV_ROWS[1]])

    response = await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers", content=csv.encode(), headers={"Content-Type": "text/csv"}
    )

    assert (response.status_code, response.json()) == (
        422,
        invalid("Input should be 'Bound', 'Activated' or 'Revoked' (records[1].status)"),
    )
    assert await codes_of(admin, dp_id) == []


async def test_a_csv_that_is_not_utf8_is_400_and_issues_nothing(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    csv = "\n".join([CSV_HEADER, CSV_ROWS[0]]).encode("cp874")  # Thai Windows code page

    response = await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers", content=csv, headers={"Content-Type": "text/csv"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert response.json()["error"]["message"].startswith("File is not UTF-8: ")
    assert await codes_of(admin, dp_id) == []


@pytest.mark.parametrize(
    "body", [pytest.param("DV-1", id="a string"), pytest.param(42, id="a number")]
)
async def test_a_body_that_is_neither_object_list_nor_csv_is_400(
    admin: httpx.AsyncClient, body: Any
) -> None:
    dp_id = await create_dp(admin)
    response = await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json=body)
    assert (response.status_code, response.json()) == (
        400,
        error("BAD_REQUEST", "Send a voucher object, a JSON list of them, or text/csv"),
    )
    assert await codes_of(admin, dp_id) == []


async def test_an_existing_code_is_409_and_issues_nothing(admin: httpx.AsyncClient) -> None:
    alpha, beta = await create_dp(admin, "DP Alpha"), await create_dp(admin, "DP Beta")
    await admin.post(f"{ADMIN}/dps/{alpha}/vouchers", json={"voucherCode": "DV-TAKEN"})

    same_dp = await admin.post(
        f"{ADMIN}/dps/{alpha}/vouchers",
        json=[{"voucherCode": "DV-NEW"}, {"voucherCode": "DV-TAKEN"}],
    )
    other_dp = await admin.post(
        f"{ADMIN}/dps/{beta}/vouchers",
        json=[{"voucherCode": "DV-NEW"}, {"voucherCode": "DV-TAKEN"}],
    )
    twice = await admin.post(
        f"{ADMIN}/dps/{beta}/vouchers",
        json=[{"voucherCode": "DV-TWICE"}, {"voucherCode": "DV-TWICE"}],
    )

    for response in (same_dp, other_dp):
        assert (response.status_code, response.json()) == (
            409,
            error("CONFLICT", "Voucher DV-TAKEN exists already"),
        )
    assert (twice.status_code, twice.json()) == (
        409,
        error("CONFLICT", "Voucher DV-TWICE appears twice in the input"),
    )
    assert await codes_of(admin, alpha) == ["DV-TAKEN"]
    assert await codes_of(admin, beta) == []
    assert [dp["voucherCount"] for dp in await dps(admin)] == [1, 0]


# -- voucher statuses ----------------------------------------------------------------------------


async def test_bound_to_activated_to_revoked_with_their_times(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers",
        json={"voucherCode": "DV-LIFE", "bindingTime": "2025-11-10 08:00:00"},
    )
    base = {
        "dpId": dp_id,
        "voucherCode": "DV-LIFE",
        "bindingTime": "2025-11-10 08:00:00",
        "revokingTime": "2026-02-08 08:00:00",
    }

    activated = await admin.post(
        f"{ADMIN}/vouchers/DV-LIFE/activate", json={"at": "2025-11-18 09:15:00"}
    )
    assert activated.status_code == 200
    assert activated.json() == {
        **base,
        "status": "Activated",
        "activatedTime": "2025-11-18 09:15:00",
        "revokedTime": "",
    }

    revoked = await admin.post(f"{ADMIN}/vouchers/DV-LIFE/revoke")  # no body: now
    assert revoked.status_code == 200
    assert revoked.json() == {
        **base,
        "status": "Revoked",
        "activatedTime": "2025-11-18 09:15:00",
        "revokedTime": NOW,
    }
    assert await voucher_state(admin, dp_id, "DV-LIFE") == revoked.json()


async def test_activate_takes_iso_8601_with_an_offset_and_defaults_to_now(
    admin: httpx.AsyncClient,
) -> None:
    dp_id = await create_dp(admin)
    await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers", json=[{"voucherCode": "DV-Z"}, {"voucherCode": "DV-N"}]
    )

    utc = await admin.post(f"{ADMIN}/vouchers/DV-Z/activate", json={"at": "2025-11-18T02:15:00Z"})
    now = await admin.post(f"{ADMIN}/vouchers/DV-N/activate", json={})

    assert utc.json()["activatedTime"] == "2025-11-18 09:15:00"
    assert now.json()["activatedTime"] == NOW


async def test_bound_can_be_revoked_directly(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json={"voucherCode": "DV-B"})
    response = await admin.post(f"{ADMIN}/vouchers/DV-B/revoke", json={"at": "2025-11-19 12:00:00"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["activatedTime"]) == ("Revoked", "")
    assert response.json()["revokedTime"] == "2025-11-19 12:00:00"


@pytest.mark.parametrize(
    ("setup", "move", "message"),
    [
        pytest.param(
            ["activate"], "activate", "Voucher DV-T is Activated; it cannot become Activated"
        ),
        pytest.param(
            ["activate", "revoke"],
            "activate",
            "Voucher DV-T is Revoked; it cannot become Activated",
        ),
        pytest.param(["revoke"], "activate", "Voucher DV-T is Revoked; it cannot become Activated"),
        pytest.param(
            ["activate", "revoke"], "revoke", "Voucher DV-T is Revoked; it cannot become Revoked"
        ),
    ],
)
async def test_illegal_transitions_are_409_and_change_nothing(
    admin: httpx.AsyncClient, setup: list[str], move: str, message: str
) -> None:
    dp_id = await create_dp(admin)
    await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json={"voucherCode": "DV-T"})
    for step in setup:
        done = await admin.post(f"{ADMIN}/vouchers/DV-T/{step}", json={"at": "2025-11-18 09:00:00"})
        assert done.status_code == 200
    before = await voucher_state(admin, dp_id, "DV-T")

    response = await admin.post(f"{ADMIN}/vouchers/DV-T/{move}", json={"at": "2025-11-19 10:00:00"})

    assert (response.status_code, response.json()) == (409, error("CONFLICT", message))
    assert await voucher_state(admin, dp_id, "DV-T") == before


async def test_a_bad_transition_time_is_422_and_changes_nothing(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json={"voucherCode": "DV-T"})
    before = await voucher_state(admin, dp_id, "DV-T")

    response = await admin.post(f"{ADMIN}/vouchers/DV-T/activate", json={"at": "yesterday"})

    assert (response.status_code, response.json()) == (
        422,
        invalid("Invalid isoformat string: 'yesterday' (at)"),
    )
    assert await voucher_state(admin, dp_id, "DV-T") == before


# -- listing vouchers ----------------------------------------------------------------------------


async def test_listing_vouchers_filters_by_status_and_pages_in_issue_order(
    admin: httpx.AsyncClient,
) -> None:
    dp_id = await create_dp(admin)
    other = await create_dp(admin, "Other DP")
    await admin.post(f"{ADMIN}/dps/{other}/vouchers", json={"voucherCode": "DV-OTHER"})
    activated = {"status": "Activated", "activatedTime": "2025-11-01 09:00:00"}
    body = [
        {"voucherCode": "DV-1"},
        {"voucherCode": "DV-2", **activated},
        {"voucherCode": "DV-3"},
        {"voucherCode": "DV-4", **activated},
        {"voucherCode": "DV-5"},
    ]
    await admin.post(f"{ADMIN}/dps/{dp_id}/vouchers", json=body)

    def codes(page: dict[str, Any]) -> tuple[int, int, int, list[str]]:
        items = [v["voucherCode"] for v in page["items"]]
        return page["total"], page["page"], page["perPage"], items

    everything = await vouchers_of(admin, dp_id)
    assert codes(everything) == (5, 1, 100, ["DV-1", "DV-2", "DV-3", "DV-4", "DV-5"])
    assert codes(await vouchers_of(admin, dp_id, "?status=Bound")) == (
        3,
        1,
        100,
        ["DV-1", "DV-3", "DV-5"],
    )
    assert codes(await vouchers_of(admin, dp_id, "?status=Activated")) == (
        2,
        1,
        100,
        ["DV-2", "DV-4"],
    )
    assert codes(await vouchers_of(admin, dp_id, "?status=Revoked")) == (0, 1, 100, [])
    assert codes(await vouchers_of(admin, dp_id, "?perPage=2&page=2")) == (
        5,
        2,
        2,
        ["DV-3", "DV-4"],
    )
    assert codes(await vouchers_of(admin, dp_id, "?perPage=2&page=3")) == (5, 3, 2, ["DV-5"])
    assert codes(await vouchers_of(admin, dp_id, "?perPage=2&page=4")) == (5, 4, 2, [])
    assert codes(await vouchers_of(admin, dp_id, "?status=Bound&perPage=2&page=2")) == (
        3,
        2,
        2,
        ["DV-5"],
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?status=Used", "Input should be 'Bound', 'Activated' or 'Revoked' (status)"),
        ("?page=0", "Input should be greater than or equal to 1 (page)"),
        ("?perPage=0", "Input should be greater than or equal to 1 (perPage)"),
        ("?perPage=1001", "Input should be less than or equal to 1000 (perPage)"),
        (
            "?page=two",
            "Input should be a valid integer, unable to parse string as an integer (page)",
        ),
    ],
)
async def test_bad_voucher_listing_queries_are_422(
    admin: httpx.AsyncClient, query: str, message: str
) -> None:
    dp_id = await create_dp(admin)
    response = await admin.get(f"{ADMIN}/dps/{dp_id}/vouchers{query}")
    assert (response.status_code, response.json()) == (422, invalid(message))


# -- usage ---------------------------------------------------------------------------------------


def usage_record(code: str, day: str, user: str, **fields: Any) -> dict[str, Any]:
    return {
        "accessDate": day,
        "voucherCode": code,
        "appUserId": user,
        "accessCount": 5,
        "accessTime": 180,
        **fields,
    }


async def test_usage_lists_what_the_dp_reported_through_voucher_usage(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    dp_id = await create_dp(admin, "DP Alpha")
    other = await create_dp(admin, "DP Beta")
    activated = {"status": "Activated", "activatedTime": "2025-11-01 09:00:00"}
    await admin.post(
        f"{ADMIN}/dps/{dp_id}/vouchers",
        json=[{"voucherCode": "DV-A", **activated}, {"voucherCode": "DV-B", **activated}],
    )
    await admin.post(f"{ADMIN}/dps/{other}/vouchers", json={"voucherCode": "DV-C", **activated})
    key, other_key = await issue_key(admin, dp_id), await issue_key(admin, other)

    async def report(who: dict[str, Any], production: bool, records: list[Any]) -> None:
        response = await client.post(
            f"{DEPA}/VoucherUsage",
            json={"isProduction": production, "vouchers": records},
            headers={"x-api-key": who["key"]},
        )
        assert response.status_code == 200, response.text

    await report(
        key,
        False,
        [
            usage_record("DV-B", "2025-11-16", "u-b", lat=13.123456, lon=100.123456),
            usage_record("DV-A", "2025-11-16", "u-a"),
            usage_record("DV-A", "2025-11-15", "u-a", accessCount=2, accessTime=30),
        ],
    )
    await report(key, True, [usage_record("DV-A", "2025-11-16", "prod-user", accessCount=9)])
    await report(other_key, False, [usage_record("DV-C", "2025-11-16", "someone-else")])

    def row(code: str, day: str, user: str, production: bool = False, **fields: Any) -> Any:
        values = {"accessCount": 5, "accessTime": 180, "lat": 0.0, "lon": 0.0, **fields}
        return {
            "voucherCode": code,
            "isProduction": production,
            "accessDate": day,
            "appUserId": user,
            **values,
            "createdTime": NOW,
        }

    a15 = row("DV-A", "2025-11-15", "u-a", accessCount=2, accessTime=30)
    a16 = row("DV-A", "2025-11-16", "u-a")
    a16_prod = row("DV-A", "2025-11-16", "prod-user", production=True, accessCount=9)
    b16 = row("DV-B", "2025-11-16", "u-b", lat=13.1235, lon=100.123)

    async def usage(query: str = "") -> Any:
        response = await admin.get(f"{ADMIN}/dps/{dp_id}/usage{query}")
        assert response.status_code == 200, response.text
        return response.json()

    assert await usage() == [a15, a16, a16_prod, b16]
    assert await usage("?isProduction=true") == [a16_prod]
    assert await usage("?isProduction=false") == [a15, a16, b16]
    assert await usage("?voucherCode=DV-B") == [b16]
    assert await usage("?voucherCode=DV-C") == []  # another DP's voucher
    assert await usage("?from=2025-11-16") == [a16, a16_prod, b16]
    assert await usage("?to=2025-11-15") == [a15]
    assert await usage("?from=2025-11-16&to=2025-11-16&isProduction=false") == [a16, b16]
    assert await usage("?limit=2") == [a15, a16]


async def test_usage_of_a_dp_that_reported_nothing_is_empty(admin: httpx.AsyncClient) -> None:
    dp_id = await create_dp(admin)
    response = await admin.get(f"{ADMIN}/dps/{dp_id}/usage")
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "?from=2025-13-01",
            "Input should be a valid date or datetime, month value is outside expected range "
            "of 1-12 (from)",
        ),
        (
            "?isProduction=maybe",
            "Input should be a valid boolean, unable to interpret input (isProduction)",
        ),
        ("?limit=0", "Input should be greater than or equal to 1 (limit)"),
    ],
)
async def test_bad_usage_queries_are_422(
    admin: httpx.AsyncClient, query: str, message: str
) -> None:
    dp_id = await create_dp(admin)
    response = await admin.get(f"{ADMIN}/dps/{dp_id}/usage{query}")
    assert (response.status_code, response.json()) == (422, invalid(message))
