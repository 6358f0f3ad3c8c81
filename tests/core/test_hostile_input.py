"""Hostile input to every route of every service, public and operator, on both databases.

The route table is generated from the apps themselves: every route of every mounted app, with
the parameters and bodies its own OpenAPI document describes (routes left out of a document get
their path parameters from the template). A route added tomorrow is probed without a line here.

Each route is called with valid credentials and, where it takes a body, a valid body (the
examples below, or one built from its schema), and then with one hostile value at a time:

* NUL, an escape character and an unpaired surrogate in every path parameter, every query
  parameter (declared or not), every string and property name of the body, every text field of
  a form and every line of a text or CSV body: 400 naming the place, from the input boundary
  (``core.boundary``);
* a 5,000-digit number in every number of the body (400 naming it) and in every integer
  parameter (4xx);
* bodies that are wrong whole: deeply nested, the backtracking ("ReDoS") body that once took
  the Rakmao reader seconds, one byte over the size limit, a bare number of 5,000 digits, the
  wrong JSON type at the top and at every field, malformed JSON: 4xx.

Every answer must be a 4xx in the service's own envelope, and every table must hold as many rows
after it as before: about 1,400 requests on each database, one test per mounted app. A second
test holds every service's names to one rule (one line, no control or bidi formatting
characters), and a third checks that free text keeps its tabs and line ends.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from saphan.app import create_app
from saphan.config import Settings
from saphan.core import boundary
from saphan.core.admin import BODY_LIMIT
from saphan.core.db import Base
from saphan.core.runtime import Runtime
from tests.conftest import ADMIN_TOKEN, SECRET
from tests.rakmao.conftest import create_body, example

AGENT = "1100400012345"
CITIZEN = "3102400001917"
ORG = "b1b7711b-158f-48fe-adc0-9cfb52565911"
BUYER_TAX = "323232211"
SELLER_TAX = "112232323"
FIVE_THOUSAND_DIGITS = "9" * 5000


# -- the route table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    integer: bool


@dataclass(frozen=True)
class Route:
    mount: str
    method: str
    template: str  # within the mount
    params: tuple[Param, ...]
    #: media type -> JSON schema of the body ({} when the route takes none)
    body: Mapping[str, Any] = field(hash=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.method} {self.mount}{self.template}"


#: Each mount's OpenAPI components, for ``$ref``.
COMPONENTS: dict[str, dict[str, Any]] = {}


def _walk(routes: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:
            yield from _walk(included.routes, prefix + (context.prefix or ""))
        else:
            yield prefix + getattr(route, "path", ""), route


def _integer(schema: Mapping[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "integer" for option in options)


def _route_table() -> list[Route]:
    routes: list[Route] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/routes.db",
            secret_key=SECRET,  # type: ignore[arg-type]
            admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
            demo=False,
        )
        app = create_app(settings)
        try:
            for prefix, mounted in app.mounts:
                mount = prefix.rstrip("/")
                api = getattr(mounted, "api", mounted)
                document = api.openapi()
                COMPONENTS[mount] = document.get("components", {}).get("schemas", {})
                for template, route in _walk(api.routes):
                    if not isinstance(route, APIRoute):
                        continue
                    for method in sorted(route.methods or ()):
                        routes.append(_route(mount, method, template, route, document))
        finally:
            app.state.runtime.db.dispose()
    return routes


def _route(
    mount: str, method: str, template: str, route: APIRoute, document: Mapping[str, Any]
) -> Route:
    operation = document.get("paths", {}).get(template, {}).get(method.lower())
    if operation is None:  # left out of the document: what the template and FastAPI say
        declared = {p.alias: p.field_info.annotation is int for p in route.dependant.path_params}
        params = tuple(
            Param(name, "path", declared.get(name, False))
            for name in re.findall(r"{(\w+)}", template)
        ) + tuple(Param(p.alias, "query", False) for p in route.dependant.query_params)
        return Route(mount, method, template, params, {})
    params = tuple(
        Param(p["name"], p["in"], _integer(p.get("schema", {})))
        for p in operation.get("parameters", [])
        if p["in"] in ("path", "query")
    )
    content = operation.get("requestBody", {}).get("content", {})
    bodies = {media: described.get("schema", {}) for media, described in content.items()}
    return Route(mount, method, template, params, bodies)


ROUTES = _route_table()


def test_the_table_holds_every_service_and_operator_api() -> None:
    mounts = {route.mount for route in ROUTES}
    assert mounts >= {
        "/moi",
        "/depa",
        "/rakmao",
        "/rakmao-po",
        "/easyslip",
        "/admin/moi",
        "/admin/depa",
        "/admin/easyslip",
        "/admin/rakmao",
        "/admin/webhooks",
    }
    assert len(ROUTES) >= 84


# -- schemas -------------------------------------------------------------------------------------


def _resolve(mount: str, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[mount][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _options(mount: str, schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    schema = _resolve(mount, schema)
    if "anyOf" in schema or "oneOf" in schema:
        found: list[Mapping[str, Any]] = []
        for option in schema.get("anyOf", schema.get("oneOf", [])):
            found += _options(mount, option)
        return found
    return [schema]


def sample(mount: str, schema: Mapping[str, Any]) -> Any:
    """A value the schema describes: its example if it has one, else one built from it."""
    schema = _resolve(mount, schema)
    for key in ("examples", "example", "default"):
        if key in schema and schema[key] is not None:
            value = schema[key]
            return value[0] if key == "examples" and isinstance(value, list) else value
    options = [o for o in _options(mount, schema) if o.get("type") != "null"]
    if not options:
        return {}
    schema = options[0]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: sample(mount, prop) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample(mount, schema.get("items", {}))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    formats = {"date": "2025-11-19", "date-time": "2025-11-19T10:00:00+07:00"}
    return formats.get(schema.get("format", ""), "x")


@dataclass(frozen=True)
class Leaf:
    path: tuple[int | str, ...]
    value: Any
    #: The leaf's own schema says what type it is (not a free-form value).
    typed: bool


def leaves(mount: str, value: Any, schema: Mapping[str, Any] | None) -> Iterator[Leaf]:
    """Every leaf of ``value`` with its path, and whether its schema types it."""
    stack: list[tuple[tuple[int | str, ...], Any, Mapping[str, Any] | None]] = [((), value, schema)]
    while stack:
        path, item, item_schema = stack.pop()
        options = _options(mount, item_schema) if item_schema is not None else []
        if isinstance(item, dict):
            props: dict[str, Any] = {}
            for option in options:
                props.update(option.get("properties", {}))
            for key, child in item.items():
                stack.append(((*path, key), child, props.get(key)))
        elif isinstance(item, list):
            items = next((o.get("items") for o in options if o.get("type") == "array"), None)
            for index, child in enumerate(item):
                stack.append(((*path, index), child, items))
        else:
            kinds = {o.get("type") for o in options}
            typed = bool(kinds) and not kinds & {None, "object", "array"}
            yield Leaf(path, item, typed)


def field_name(path: tuple[int | str, ...]) -> str:
    """As the boundary names it: ``vouchers[0].voucherCode``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def replaced(value: Any, path: tuple[int | str, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[head] = replaced(value[head], rest, new)  # type: ignore[index]
    return copy


# -- the world each route is called in -----------------------------------------------------------


@dataclass
class World:
    #: Path parameter values by name (ids of what was set up).
    values: dict[str, str] = field(default_factory=dict)
    #: Credentials by mount.
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Valid bodies by route id (others are built from the schema).
    bodies: dict[str, Any] = field(default_factory=dict)


def _family(mount: str) -> str:
    name = mount.removeprefix("/admin").strip("/").split("-")[0]
    return "rakmao" if name == "webhooks" else name


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (response.request.url, response.text)
    return response.json()


async def _depa(client: httpx.AsyncClient, admin: httpx.AsyncClient, world: World) -> None:
    dp = await _ok(await admin.post("/admin/depa/dps", json={"name": "Hostile DP"}))
    key = await _ok(await admin.post(f"/admin/depa/dps/{dp['id']}/keys", json={"label": "k"}))
    vouchers = [
        {
            "voucherCode": "DV-HOSTILE1",
            "status": "Activated",
            "bindingTime": "2025-11-01 09:00:00",
            "activatedTime": "2025-11-02 09:00:00",
        },
        {"voucherCode": "DV-HOSTILE2", "bindingTime": "2025-11-01 09:00:00"},
    ]
    await _ok(await admin.post(f"/admin/depa/dps/{dp['id']}/vouchers", json=vouchers))
    world.values.update(dp_id=str(dp["id"]), key_id=str(key["id"]), code="DV-HOSTILE2")
    world.headers["/depa"] = {"x-api-key": key["key"]}
    usage = {
        "accessDate": "2025-11-19",
        "voucherCode": "DV-HOSTILE1",
        "appUserId": "user-1",
        "accessCount": 3,
        "accessTime": 45,
        "lat": 13.75,
        "lon": 100.5,
    }
    world.bodies.update(
        {
            "POST /depa/api/dp/GetDPVouchers": {"pageNumber": 1, "pageSize": 10},
            "POST /depa/api/dp/VoucherUsage": {"isProduction": False, "vouchers": [usage]},
            "POST /depa/api/dp/GetVoucherUsage": {
                "voucherCode": "DV-HOSTILE1",
                "fromDate": "2025-11-01",
                "toDate": "2025-11-30",
                "isProduction": False,
            },
            "POST /admin/depa/dps/{dp_id}/vouchers": [
                {"voucherCode": "DV-HOSTILE3", "firstName": "สมชาย", "productName": "AI"}
            ],
            "POST /admin/depa/vouchers/{code}/activate": {"at": "2025-11-19 09:00:00"},
            "POST /admin/depa/vouchers/{code}/revoke": {"at": "2025-11-19 09:00:00"},
        }
    )


async def _moi(client: httpx.AsyncClient, admin: httpx.AsyncClient, world: World) -> None:
    created = await _ok(
        await admin.post(
            "/admin/moi/clients",
            json={"clientId": "hostile-app", "name": "ระบบ", "agents": [AGENT]},
        )
    )
    account = {
        "citizen_id": CITIZEN,
        "layout": "customerinfo",
        "account_no": "55500011",
        "info": {"name1": "นายหนึ่ง", "province": "กรุงเทพ"},
        "bills": [{"bill_date": "2025-10-03", "units": "130", "amount": "520.00"}],
    }
    await _ok(await admin.post("/admin/moi/imports", json=[account]))
    credentials = {"ClientID": "hostile-app", "ClientSecret": created["clientSecret"]}
    answer = await client.post(f"/moi/api/v1/Authenticate/{AGENT}", json=credentials)
    await _ok(answer)
    sessions = await _ok(await admin.get("/admin/moi/sessions"))
    world.values.update(
        client_id="hostile-app",
        agent_id=AGENT,
        AgentID=AGENT,
        CitizenID=CITIZEN,
        citizen_id=CITIZEN,
        session_id=str(sessions["items"][0]["id"]),
    )
    world.headers["/moi"] = {"Token": answer.headers["Token"]}
    world.bodies.update(
        {
            "POST /moi/api/v1/Authenticate/{AgentID}": credentials,
            "POST /admin/moi/clients": {"clientId": "other-app", "name": "อื่น", "anyAgent": True},
            "PATCH /admin/moi/clients/{client_id}": {"name": "ใหม่", "anyAgent": True},
            "POST /admin/moi/sessions/revoke": {"clientId": "hostile-app", "agentId": AGENT},
            "POST /admin/moi/imports": [{**account, "account_no": "55500012"}],
        }
    )


async def _rakmao(client: httpx.AsyncClient, admin: httpx.AsyncClient, world: World) -> None:
    account = {
        "username": "hostile-user",
        "password": "hostile-password-123",
        "orgId": ORG,
        "orgName": "ทดสอบ จำกัด",
        "buyerTaxId": BUYER_TAX,
        "sellerTaxId": SELLER_TAX,
    }
    authen = (await _ok(await admin.post("/admin/rakmao/accounts", json=account)))["authenString"]
    login = await client.post("/rakmao/api/v1/Authentication/RequestAPIToken", json=authen)
    tokens = (await _ok(login))["data"]
    po_headers = {"Authorization": tokens["token"]}
    created = await client.post(
        "/rakmao-po/api/v1/Buyer",
        content=_json(create_body()),
        headers={**po_headers, "Content-Type": "application/json"},
    )
    po_id = (await _ok(created))["data"]["PoId"]
    hook = {"Type": 301, "Endpoint": "http://127.0.0.1:9/hook", "IsLogin": False}
    registered = await client.post("/rakmao-po/api/v1/Webhook", json=hook, headers=po_headers)
    hook_id = (await _ok(registered))["data"]
    subscriptions = await _ok(await admin.get("/admin/webhooks/subscriptions"))
    subscription = subscriptions[0]["id"]
    sent = await admin.post(f"/admin/webhooks/subscriptions/{subscription}/test")
    message = (await _ok(sent))["messageId"]
    world.values.update(
        PoId=po_id,
        Status="4",
        OrgId=ORG,
        TaxId=SELLER_TAX,
        enumValue="301",
        username="hostile-user",
        subscription_id=str(subscription),
        message_id=message,
    )
    world.headers["/rakmao-po"] = po_headers
    change = example("ChangeStatus.request.json")
    # (the spec's Seller examples miss a comma: errors in the document, not bodies)
    seller_action = {
        "CreateByUserId": "u-1",
        "CreateByUserName": "ผู้ขาย",
        "SellerTaxId": SELLER_TAX,
        "Reason": "out of stock",
        "Note": "line one\nline two",
    }
    world.bodies.update(
        {
            "POST /rakmao/api/v1/Authentication/RequestAPIToken": {"authenString": authen},
            "POST /rakmao/api/v1/Authentication/RenewAPIToken": {
                "refreshToken": tokens["refreshToken"]
            },
            "POST /rakmao-po/api/v1/Buyer": create_body(),
            "PUT /rakmao-po/api/v1/Buyer/{PoId}": example("EditPo.request.json"),
            "PUT /rakmao-po/api/v1/Buyer/{PoId}/Status": {**change, "PoId": po_id},
            "PUT /rakmao-po/api/v1/Buyer/{PoId}/Status/{Status}": {**change, "PoId": po_id},
            "POST /rakmao-po/api/v1/Seller/{PoId}/RequestCancel": seller_action,
            "POST /rakmao-po/api/v1/Seller/{PoId}/Reject": seller_action,
            "POST /rakmao-po/api/v1/Webhook": {**hook, "Type": 302, "Header": {"X-Key": "v"}},
            "PUT /rakmao-po/api/v1/Webhook": {**hook, "Id": hook_id, "Header": {"X-Key": "v"}},
            "POST /admin/rakmao/accounts": {**account, "username": "other-user"},
            "POST /admin/rakmao/accounts/{username}/authen-string": {
                "password": account["password"]
            },
            "POST /admin/webhooks/subscriptions/{subscription_id}/disable": {"reason": "a\nb"},
        }
    )


async def _easyslip(client: httpx.AsyncClient, admin: httpx.AsyncClient, world: World) -> None:
    app = await _ok(
        await admin.post(
            "/admin/easyslip/applications", json={"name": "Hostile", "email": "a@example.com"}
        )
    )
    branch = await _ok(
        await admin.post(f"/admin/easyslip/applications/{app['id']}/branches", json={"name": "b"})
    )
    transfer = {"amount": "250.00", "receiverAccount": "1234567890", "senderNameEn": "A B"}
    await _ok(await admin.post("/admin/easyslip/transfers", json=transfer))
    payload = (await _ok(await admin.get("/admin/easyslip/transfers")))[0]["payload"]
    headers = {"Authorization": f"Bearer {branch['key']}"}
    account = {
        "bankCode": "014",
        "bankNumber": "4567891230",
        "nameTh": "ร้านทดสอบ",
        "nameEn": "TEST SHOP",
        "type": "JURISTIC",
    }
    created = await client.post("/easyslip/v2/bank-accounts", json=account, headers=headers)
    world.values.update(
        app_id=str(app["id"]),
        branch_id=str(branch["id"]),
        id=str((await _ok(created))["data"]["id"]),
    )
    world.headers["/easyslip"] = headers
    world.bodies.update(
        {
            "POST /easyslip/v2/verify/bank": {"payload": payload, "remark": "r"},
            "POST /easyslip/v2/bank-accounts": {**account, "bankNumber": "4567891231"},
            "PATCH /easyslip/v2/bank-accounts/{id}": {"extraVerify": True},
            "POST /admin/easyslip/applications": {"name": "Other", "email": "b@example.com"},
            "POST /admin/easyslip/transfers": [{**transfer, "amount": "10.00"}],
        }
    )


SETUP: dict[str, Callable[[httpx.AsyncClient, httpx.AsyncClient, World], Any]] = {
    "depa": _depa,
    "moi": _moi,
    "rakmao": _rakmao,
    "easyslip": _easyslip,
}


async def world_for(mount: str, client: httpx.AsyncClient, admin: httpx.AsyncClient) -> World:
    world = World()
    setup = SETUP.get(_family(mount))
    if setup is not None:
        await setup(client, admin, world)
    for mount in {r.mount for r in ROUTES if r.mount.startswith("/admin/")}:
        world.headers[mount] = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return world


# -- envelopes -----------------------------------------------------------------------------------


def _message(mount: str, status: int, body: Any) -> str:
    """The error's message, once the body is checked to be the mount's envelope (whole)."""
    assert isinstance(body, dict), body
    if mount.startswith("/admin/"):
        error = body.get("error")
        assert (set(body), set(error or {})) == ({"error"}, {"code", "message"}), body
        return str(body["error"]["message"])
    if mount == "/depa":
        shape = (set(body), body.get("success"), body.get("data"))
        assert shape == ({"success", "errorMessage", "data"}, False, None), body
        return str(body["errorMessage"])
    if mount == "/moi":
        keys = {"customerinfo", "empty", "error", "id", "rowCount", "status", "statusDetail"}
        shape = (set(body), body.get("status"), body.get("customerinfo"), body.get("rowCount"))
        assert shape == (keys, str(status), [], "0"), body
        return str(body["statusDetail"])
    if mount in ("/rakmao", "/rakmao-po"):
        shape = (set(body), body.get("status"), body.get("data"))
        assert shape == ({"status", "message", "data"}, status, None), body
        return str(body["message"])
    if mount == "/easyslip":
        error = body.get("error")
        shape = (set(body), body.get("success"), set(error or {}))
        assert shape == ({"success", "error"}, False, {"code", "message"}), body
        assert str(body["error"]["code"]).isupper(), body
        return str(body["error"]["message"])
    raise AssertionError(f"no envelope known for {mount}: add it to _message")


# -- the probes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    what: str
    url: str
    content: bytes | None = None
    content_type: str | None = None
    files: Any = None
    data: Any = None
    #: Send this many bytes (a JSON string) in 1 MiB chunks, without a Content-Length.
    stream: int | None = None
    #: The boundary's exact message, or None for "any 4xx".
    expect: str | None = None


def _text(message: str, field: str) -> str:
    """The boundary's message naming ``field`` (none for the body as a whole)."""
    return f"{message} ({field})" if field else message


_HOSTILE_TEXT = {
    "NUL": ("a\x00b", boundary.NUL),
    "ESC": ("a\x1bb", boundary.CONTROL),
}


def _url(route: Route, world: World, values: Mapping[str, str], query: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return quote(values.get(name, world.values.get(name, "1")), safe="")

    path = re.sub(r"{(\w+)}", value, route.template)
    return route.mount + path + ("?" + urlencode(query) if query else "")


def url_probes(route: Route, world: World) -> Iterator[Probe]:
    for param in route.params:
        for kind, (hostile, message) in _HOSTILE_TEXT.items():
            values = {param.name: hostile} if param.where == "path" else {}
            query = {param.name: hostile} if param.where == "query" else {}
            yield Probe(
                f"{kind} in {param.where} {param.name}",
                _url(route, world, values, query),
                expect=_text(message, param.name),
            )
        if param.integer:
            values = {param.name: FIVE_THOUSAND_DIGITS} if param.where == "path" else {}
            query = {param.name: FIVE_THOUSAND_DIGITS} if param.where == "query" else {}
            yield Probe(f"5000 digits in {param.name}", _url(route, world, values, query))
    yield Probe(
        "NUL in an undeclared query parameter",
        _url(route, world, {}, {"zz": "\x00"}),
        expect=_text(boundary.NUL, "zz"),
    )


def _json(value: Any) -> bytes:
    # ensure_ascii: a lone surrogate is written as its escape, "\ud800"; Rakmao's examples
    # read their fractions as Decimal
    return json.dumps(value, default=float).encode()


def body_probes(route: Route, world: World, limit: int) -> Iterator[Probe]:
    url = _url(route, world, {}, {})
    schema = route.body.get("application/json")
    if schema is not None:
        base = world.bodies.get(
            f"{route.method} {route.mount}{route.template}", sample(route.mount, schema)
        )
        yield from _leaf_probes(route, url, base, schema)
        yield from _whole_probes(route, url, schema, limit)
    form = route.body.get("multipart/form-data")
    if form is not None:
        for name, prop in form.get("properties", {}).items():
            if prop.get("format") == "binary":
                continue
            yield Probe(
                f"NUL in form field {name}",
                url,
                files={"image": ("slip.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")},
                data={name: "a\x00b"},
                expect=_text(boundary.NUL, name),
            )
    for media, line in (("text/csv", "a,b\r\nx\x00y,z\r\n"), ("text/plain", "a\x00b")):
        if media in route.body:
            yield Probe(
                f"NUL in a {media} body",
                url,
                line.encode(),
                media,
                expect=_text(boundary.NUL, f"line {line[: line.index(chr(0))].count(chr(10)) + 1}"),
            )


def _leaf_probes(route: Route, url: str, base: Any, schema: Any) -> Iterator[Probe]:
    json_type = "application/json"
    for leaf in leaves(route.mount, base, schema):
        name = field_name(leaf.path)
        if isinstance(leaf.value, str):
            for kind, (hostile, message) in _HOSTILE_TEXT.items():
                yield Probe(
                    f"{kind} in {name}",
                    url,
                    _json(replaced(base, leaf.path, leaf.value + hostile)),
                    json_type,
                    expect=_text(message, name),
                )
            yield Probe(
                f"unpaired surrogate in {name}",
                url,
                _json(replaced(base, leaf.path, leaf.value + "\ud800")),
                json_type,
                expect=_text(boundary.SURROGATE, name),
            )
        if isinstance(leaf.value, int | float | Decimal) and not isinstance(leaf.value, bool):
            marker = '"@@number@@"'
            content = _json(replaced(base, leaf.path, marker[1:-1])).replace(
                marker.encode(), FIVE_THOUSAND_DIGITS.encode()
            )
            yield Probe(
                f"5000 digits in {name}",
                url,
                content,
                json_type,
                expect=_text(boundary.LONG_NUMBER, name),
            )
        if leaf.typed and leaf.path:
            wrong: Any = [] if not isinstance(leaf.value, list | dict) else 7
            yield Probe(
                f"wrong type in {name}", url, _json(replaced(base, leaf.path, wrong)), json_type
            )
    if isinstance(base, dict):
        yield Probe(
            "NUL in a property name",
            url,
            _json({**base, "x\x00y": 1}),
            json_type,
            expect=_text(boundary.NUL, "x\\u0000y"),
        )


def _whole_probes(route: Route, url: str, schema: Any, limit: int) -> Iterator[Probe]:
    json_type = "application/json"
    kinds = {o.get("type") for o in _options(route.mount, schema)}
    untyped = not kinds - {None}  # a body of any JSON value
    yield Probe("deeply nested", url, b"[" * 100_000, json_type)
    yield Probe("the backtracking body", url, b'"' + b'\\"' * 32_768, json_type)
    yield Probe("malformed", url, b'{"a": ', json_type)
    yield Probe("one byte over the size limit", url, content_type=json_type, stream=limit + 1)
    yield Probe(
        "a bare number of 5000 digits",
        url,
        FIVE_THOUSAND_DIGITS.encode(),
        json_type,
        expect=boundary.LONG_NUMBER,
    )
    for wrong, kind in (
        (123, "integer"),
        (True, "boolean"),
        (None, "null"),
        ("x", "string"),
        ([], "array"),
    ):
        if not untyped and kind not in kinds:
            yield Probe(f"a bare {kind}", url, _json(wrong), json_type)


# -- the test ------------------------------------------------------------------------------------


async def _chunks(size: int) -> AsyncIterator[bytes]:
    """A JSON string of ``size`` bytes, 1 MiB at a time."""
    chunk = b"x" * (1 << 20)
    yield b'"'
    left = size - 2
    while left > 0:
        yield chunk[:left]
        left -= len(chunk)
    yield b'"'


def counts(runtime: Runtime) -> dict[str, int]:
    tables = Base.metadata.sorted_tables
    query = select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])
    with runtime.db.read() as session:
        row = session.execute(query).one()
    return {table.name: int(n) for table, n in zip(tables, row, strict=True)}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The suite's settings, with webhooks registrable to a local address and never delivered
    (a delivery attempt would add rows while a probe runs)."""
    return Settings(
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        demo=False,
        log_json=True,
        rakmao_require_webhook=False,
        webhook_allow_cidrs=["127.0.0.1/32"],
        webhook_deliver_in_process=False,
    )


def probes_for(route: Route, world: World, limit: int) -> list[Probe]:
    probes = [*url_probes(route, world)]
    if route.method in ("POST", "PUT", "PATCH", "DELETE"):
        probes += body_probes(route, world, limit)
    return probes


MOUNTS = sorted({route.mount for route in ROUTES})


@pytest.mark.timeout(600)
@pytest.mark.parametrize("mount", MOUNTS)
async def test_hostile_input_is_4xx_in_the_envelope_and_changes_nothing(
    mount: str,
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    record_property: Callable[[str, object], None],
) -> None:
    """Every route of the mount, every probe; the failures are listed by route and probe. (One
    test per mount rather than per route: a service's accounts, keys, records and logins are
    set up once for all its routes, not once for each of them on each database.)"""
    world = await world_for(mount, client, admin)
    headers = world.headers.get(mount, {})
    limit = BODY_LIMIT if mount.startswith("/admin/") else runtime.settings.max_body_bytes
    before = counts(runtime)
    failures: list[str] = []
    sent = 0
    for route in (r for r in ROUTES if r.mount == mount):
        for probe in probes_for(route, world, limit):
            request_headers = {**headers}
            if probe.content_type is not None:
                request_headers["Content-Type"] = probe.content_type
            response = await client.request(
                route.method,
                probe.url,
                content=probe.content if probe.stream is None else _chunks(probe.stream),
                files=probe.files,
                data=probe.data,
                headers=request_headers,
            )
            sent += 1
            try:
                assert 400 <= response.status_code < 500, f"status {response.status_code}"
                message = _message(mount, response.status_code, response.json())
                if probe.expect is not None:
                    assert (response.status_code, message) == (400, probe.expect)
                after = counts(runtime)
                changed = {t: (before[t], n) for t, n in after.items() if n != before[t]}
                assert not changed, f"rows (before, after): {changed}"
            except (AssertionError, ValueError) as failed:
                failures.append(f"{route.id}: {probe.what}: {failed} -- {response.text[:300]}")
                before = counts(runtime)
    record_property("requests", sent)
    assert not failures, f"{len(failures)} of {sent} probes:\n" + "\n".join(failures)


# -- names ---------------------------------------------------------------------------------------

#: (family, route, body, the name's field): what operators and callers name, one per service.
NAMES: list[tuple[str, str, dict[str, Any] | list[Any], str]] = [
    ("depa", "POST /admin/depa/dps", {"name": "@"}, "name"),
    ("depa", "POST /admin/depa/dps/{dp_id}/keys", {"label": "@"}, "label"),
    ("depa", "POST /admin/depa/dps/{dp_id}/vouchers", [{"voucherCode": "DV-9", "firstName": "@"}],
     "records[0].firstName"),
    ("moi", "POST /admin/moi/clients", {"name": "@", "anyAgent": True}, "name"),
    ("easyslip", "POST /admin/easyslip/applications", {"name": "@", "email": "a@b.co"}, "name"),
    ("easyslip", "POST /admin/easyslip/applications/{app_id}/branches", {"name": "@"}, "name"),
    ("easyslip", "POST /easyslip/v2/bank-accounts",
     {"bankCode": "014", "bankNumber": "4567891239", "nameTh": "@", "nameEn": "SHOP",
      "type": "JURISTIC"}, "nameTh"),
    ("rakmao", "POST /admin/rakmao/accounts",
     {"username": "named", "password": "named-password-123", "orgId": ORG, "orgName": "@"},
     "orgName"),
]  # fmt: skip

#: A name's characters that are refused (all but NUL by the name's own check, core.boundary).
NAME_CHARACTERS = {
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "newline": "\n",
    "tab": "\t",
    "DEL": "\x7f",
    "C1 next line": "\x85",
    "NUL": "\x00",
}


@pytest.mark.parametrize(("family", "route", "body", "field"), NAMES, ids=[n[1] for n in NAMES])
async def test_a_name_is_one_line_without_control_or_bidi_characters(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    runtime: Runtime,
    family: str,
    route: str,
    body: Any,
    field: str,
) -> None:
    """Item 7 of issue 13: one rule for names in every service (the depa admin stored NUL, a
    control character or a right-to-left override in a DP name; MOI's and EasySlip's did not)."""
    world = World()
    await SETUP[family](client, admin, world)
    method, template = route.split(" ")
    mount = next(r.mount for r in ROUTES if f"{r.method} {r.mount}{r.template}" == route)
    url = re.sub(r"{(\w+)}", lambda m: world.values[m.group(1)], template)
    headers = world.headers.get(mount, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    before = counts(runtime)
    for what, char in NAME_CHARACTERS.items():
        response = await client.request(
            method, url, json=_named(body, f"a{char}b"), headers=headers
        )
        message = _message(mount, response.status_code, response.json())
        if char == "\x00":  # the boundary's, naming the JSON as sent (depa calls it records)
            expected = f"{boundary.NUL} ({field.removeprefix('records')})"
        else:
            expected = f"{boundary.NAME} ({field})"
        assert (what, response.status_code // 100, message) == (what, 4, expected)
        assert counts(runtime) == before, what
    plain = _named(body, "บริษัท Ünïcode 株式会社 ✓")
    assert (await client.request(method, url, json=plain, headers=headers)).status_code < 300


def _named(body: Any, name: str) -> Any:
    """``body`` with its "@" replaced by ``name``."""
    if isinstance(body, dict):
        return {key: _named(value, name) for key, value in body.items()}
    if isinstance(body, list):
        return [_named(value, name) for value in body]
    return name if body == "@" else body


async def test_free_text_keeps_its_tabs_and_line_ends(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    """What is not a name may hold tab, line feed and carriage return (a PO's note, a reason)."""
    world = World()
    await SETUP["rakmao"](client, admin, world)
    headers = {**world.headers["/rakmao-po"], "Content-Type": "application/json"}
    body = create_body(Note="line one\r\nline two\twith a tab")
    created = await client.post("/rakmao-po/api/v1/Buyer", content=_json(body), headers=headers)
    assert created.status_code == 200, created.text
    disabled = await admin.post(
        f"/admin/webhooks/subscriptions/{world.values['subscription_id']}/disable",
        json={"reason": "moved\nto a new host"},
    )
    assert (disabled.status_code, disabled.json()["disabledReason"]) == (
        200,
        "moved\nto a new host",
    )
