"""``/rakmao-po``: the "RakmaoPO Environment" (spec 002): the Buyer and Seller APIs.

Every route needs ``Authorization: Bearer <token>`` (from ``/rakmao``); a doubled ``Bearer``
prefix is accepted. Bodies may end arrays and objects with a trailing comma and spell property
names in any case; query parameters are matched case-insensitively too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, FastAPI, Header, Path, Query, Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.responses import Response

from saphan.core.runtime import Runtime
from saphan.core.service import create_service_app
from saphan.rakmao import keys, logic, reading, tokens
from saphan.rakmao import status as machine
from saphan.rakmao.errors import BadRequest, render
from saphan.rakmao.schemas import (
    STATUS_NAMES,
    BuyerDocument,
    BuyerListItem,
    ChangeStatus,
    Created,
    CreatePo,
    EditPo,
    Envelope,
    Page,
    SellerAction,
    SellerDocument,
    SellerListItem,
)
from saphan.rakmao.wire import ERRORS, parse, policy, runtime, success

DESCRIPTION = """\
Rakmao's purchase orders ("RakmaoPO Environment"): a buyer organisation creates POs (Draft),
edits them while Draft, sends them to the seller (Preview) and moves them through their
statuses; the seller, identified by its tax ID, lists and reads the POs sent to it and can
reject them or ask to cancel. Money is exact (JSON numbers, never rounded through binary
floats). Every answer is `{"status", "message", "data"}`.
"""

T = TypeVar("T")
GUID_PATTERN = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
Authorization = Annotated[str | None, Header(description="Bearer <token> from RequestAPIToken")]
PoIdPath = Annotated[
    str,
    Path(
        description="The PO's GUID",
        json_schema_extra={
            "pattern": GUID_PATTERN,
            "example": "30e410d8-4117-4669-9a28-d32b4717fadd",
        },
    ),
]
SCOPED: dict[int | str, dict[str, Any]] = {
    403: {"model": Envelope[None], "description": "Not your OrgId / TaxId, or not your side"},
    404: {"model": Envelope[None], "description": "No such PO among yours"},
    409: {"model": Envelope[None], "description": "Not allowed in the PO's current status"},
}

router = APIRouter(prefix="/api/v1", responses=ERRORS)


async def _run(
    request: Request,
    authorization: str | None,
    work: Callable[[Session, tokens.Caller], T],
    *,
    write: bool,
) -> T:
    """Check the token and run ``work`` in one database session (one transaction when writing)."""
    rt = runtime(request)
    ring: keys.KeyRing = request.app.state.rakmao_keys
    rules = policy(rt)
    now = rt.clock.now()

    def run() -> T:
        with rt.db.write() if write else rt.db.read() as session:
            who = tokens.caller(session, ring, rules, authorization, now)
            return work(session, who)

    return await rt.db.run(run, write=write)


async def _read_core(
    request: Request,
    authorization: str | None,
    work: Callable[[Connection, tokens.Caller], T],
    *,
    scan: bool = False,
) -> T:
    """``_run`` for hot read paths: a Core connection, no ORM session. A ``scan`` (a keyword
    search reads every PO of the org) runs in a worker thread even on SQLite, whose quick reads
    otherwise run on the event loop: it must not hold up every other request meanwhile."""
    rt = runtime(request)
    ring: keys.KeyRing = request.app.state.rakmao_keys
    rules = policy(rt)
    now = rt.clock.now()

    def run() -> T:
        with rt.db.connect() as conn:
            return work(conn, tokens.caller(conn, ring, rules, authorization, now))

    if scan:
        return await anyio.to_thread.run_sync(run)
    return await rt.db.run(run, write=False)


def _query(request: Request) -> dict[str, str]:
    """Query parameters by lower-cased name (the spec writes ``Keyword`` and sends ``keyword``)."""
    return {k.lower(): v for k, v in request.query_params.items()}


def _int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name.lower())
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadRequest(f"{name} must be a whole number ({name})") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high} ({name})")
    return value


def _list_params(request: Request) -> dict[str, Any]:
    params = _query(request)
    status = _int(params, "status", 0, -7, 4)
    if status and status not in STATUS_NAMES:
        raise BadRequest(f"status {status} is not a POStatusEnum value (status)")
    keyword = params.get("keyword")
    if keyword is not None and len(keyword) > 200:
        raise BadRequest("Keyword must be at most 200 characters (Keyword)")
    return {
        "keyword": keyword,
        "status": status,
        "page": _int(params, "page", 1, 1, 1_000_000),
        "perpage": _int(params, "perpage", 10, 1, logic.MAX_PER_PAGE),
    }


KeywordQ = Annotated[
    str | None,
    Query(
        alias="Keyword",
        max_length=200,
        description="Part of PoCode, ProjectName, VendorName or DocumentReference (any case)",
    ),
]
StatusQ = Annotated[
    int | None, Query(alias="status", ge=-7, le=4, description="POStatusEnum; 0 or absent: all")
]
PageQ = Annotated[int | None, Query(alias="page", ge=1, le=1_000_000, description="From 1")]
PerPageQ = Annotated[
    int | None, Query(alias="perpage", ge=1, le=100, description="1 to 100, default 10")
]
RefQ = Annotated[str | None, Query(max_length=64, description="GUID")]


# -- Buyer ---------------------------------------------------------------------------------------


@router.post(
    "/Buyer",
    response_model=Envelope[Created],
    operation_id="CreatePo",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreatePo"}}},
        }
    },
    responses=SCOPED,
)
async def create_po(request: Request, authorization: Authorization = None) -> Response:
    """Create a PO for your organisation: status Draft (3), PoCode `PO-YYMMDD-NNNN`."""
    body = await parse(request, CreatePo)
    now = runtime(request).clock.now()
    return success(
        await _run(
            request, authorization, lambda s, who: logic.create_po(s, who, body, now), write=True
        )
    )


async def _status(
    request: Request, authorization: str | None, po_id: str, path_status: int | None
) -> Response:
    body = await parse(request, ChangeStatus)
    now = runtime(request).clock.now()
    return success(
        await _run(
            request,
            authorization,
            lambda s, who: logic.change_status(s, who, po_id, path_status, body, now),
            write=True,
        )
    )


_STATUS_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChangeStatus"}}},
    }
}


@router.put(
    "/Buyer/{PoId}/Status/{Status}",
    response_model=Envelope[bool],
    operation_id="ChangeStatus",
    openapi_extra=_STATUS_BODY,
    responses=SCOPED,
)
async def change_status(
    request: Request,
    PoId: PoIdPath,
    Status: Annotated[int, Path(description="POStatusEnum", ge=-7, le=4)],
    authorization: Authorization = None,
) -> Response:
    """Move your PO to another status (docs/rakmao.md has the table of allowed moves).
    A `Status` in the body must equal the path's."""
    return await _status(request, authorization, PoId, Status)


@router.put(
    "/Buyer/{PoId}/Status",
    response_model=Envelope[bool],
    operation_id="ChangeStatusByBody",
    openapi_extra=_STATUS_BODY,
    responses=SCOPED,
)
async def change_status_by_body(
    request: Request, PoId: PoIdPath, authorization: Authorization = None
) -> Response:
    """The same, with `Status` in the body (as the spec's example sends it)."""
    return await _status(request, authorization, PoId, None)


@router.put(
    "/Buyer/{PoId}",
    response_model=Envelope[bool],
    operation_id="EditPo",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EditPo"}}},
        }
    },
    responses=SCOPED,
)
async def edit_po(
    request: Request, PoId: PoIdPath, authorization: Authorization = None
) -> Response:
    """Edit a Draft PO. Items are matched by `PoItemId`; new ones are added, ones left out are
    removed. The path names the PO (a `PoId` in the body is ignored)."""
    body = await parse(request, EditPo)
    now = runtime(request).clock.now()
    return success(
        await _run(
            request,
            authorization,
            lambda s, who: logic.edit_po(s, who, PoId, body, now),
            write=True,
        )
    )


async def _list(
    request: Request, authorization: str | None, side: logic.Side, key: str
) -> Response:
    params = _list_params(request)

    def work(conn: Connection, who: tokens.Caller) -> dict[str, Any]:
        scope = logic.buyer_org(who, key) if side == "Buyer" else logic.seller_tax_id(who, key)
        return reading.list_pos(conn, side, scope, **params)

    scan = bool(params["keyword"] and params["keyword"].strip())
    return success(await _read_core(request, authorization, work, scan=scan))


@router.get(
    "/Buyer/{OrgId}",
    response_model=Envelope[Page[BuyerListItem]],
    operation_id="ListBuyerPos",
    responses=SCOPED,
)
async def list_buyer(
    request: Request,
    OrgId: Annotated[str, Path(description="Your organisation's OrgId", max_length=64)],
    authorization: Authorization = None,
    keyword: KeywordQ = None,
    status: StatusQ = None,
    page: PageQ = None,
    perpage: PerPageQ = None,
) -> Response:
    """Your organisation's POs, newest first: `{count, item[]}`."""
    return await _list(request, authorization, "Buyer", OrgId)


@router.get("/Buyer/{OrgId}/", include_in_schema=False)
async def list_buyer_slash(
    request: Request, OrgId: str, authorization: Authorization = None
) -> Response:
    return await _list(request, authorization, "Buyer", OrgId)


async def _documents(
    request: Request, authorization: str | None, side: logic.Side, key: str
) -> Response:
    params = _query(request)

    def work(session: Session, who: tokens.Caller) -> list[dict[str, Any]]:
        scope = logic.buyer_org(who, key) if side == "Buyer" else logic.seller_tax_id(who, key)
        return reading.documents(
            session,
            side,
            scope,
            po_id=params.get("poid"),
            quotation_id=params.get("quotationid"),
            rfq_id=params.get("rfqid"),
        )

    return success(await _run(request, authorization, work, write=False))


@router.get(
    "/Buyer/{OrgId}/Document",
    response_model=Envelope[list[BuyerDocument]],
    operation_id="BuyerDocument",
    responses=SCOPED,
)
async def buyer_document(
    request: Request,
    OrgId: Annotated[str, Path(description="Your organisation's OrgId", max_length=64)],
    authorization: Authorization = None,
    PoId: RefQ = None,
    QuotationId: RefQ = None,
    RfqId: RefQ = None,
) -> Response:
    """Your POs in full, by `PoId`, `QuotationId` or `RfqId` (at least one)."""
    return await _documents(request, authorization, "Buyer", OrgId)


# -- Seller --------------------------------------------------------------------------------------


@router.get(
    "/Seller/{TaxId}",
    response_model=Envelope[Page[SellerListItem]],
    operation_id="ListSellerPos",
    responses=SCOPED,
)
async def list_seller(
    request: Request,
    TaxId: Annotated[str, Path(description="Your tax ID", max_length=20)],
    authorization: Authorization = None,
    keyword: KeywordQ = None,
    status: StatusQ = None,
    page: PageQ = None,
    perpage: PerPageQ = None,
) -> Response:
    """The POs sent to you, newest first: `{count, item[]}` (drafts are not sent yet)."""
    return await _list(request, authorization, "Seller", TaxId)


@router.get("/Seller/{TaxId}/", include_in_schema=False)
async def list_seller_slash(
    request: Request, TaxId: str, authorization: Authorization = None
) -> Response:
    return await _list(request, authorization, "Seller", TaxId)


@router.get(
    "/Seller/{TaxId}/Document",
    response_model=Envelope[list[SellerDocument]],
    operation_id="SellerDocument",
    responses=SCOPED,
)
async def seller_document(
    request: Request,
    TaxId: Annotated[str, Path(description="Your tax ID", max_length=20)],
    authorization: Authorization = None,
    PoId: RefQ = None,
    QuotationId: RefQ = None,
    RfqId: RefQ = None,
) -> Response:
    """POs sent to you, in full, by `PoId`, `QuotationId` or `RfqId` (at least one)."""
    return await _documents(request, authorization, "Seller", TaxId)


async def _seller(request: Request, authorization: str | None, po_id: str, target: int) -> Response:
    body = await parse(request, SellerAction)
    now = runtime(request).clock.now()
    return success(
        await _run(
            request,
            authorization,
            lambda s, who: logic.seller_action(s, who, po_id, target, body, now),
            write=True,
        )
    )


_SELLER_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SellerAction"}}},
    }
}


@router.post(
    "/Seller/{PoId}/RequestCancel",
    response_model=Envelope[bool],
    operation_id="SellerRequestCancel",
    openapi_extra=_SELLER_BODY,
    responses=SCOPED,
)
async def request_cancel(
    request: Request, PoId: PoIdPath, authorization: Authorization = None
) -> Response:
    """Ask the buyer to cancel a PO sent to you: SellerRequestCancel (-4)."""
    return await _seller(request, authorization, PoId, machine.SELLER_REQUEST_CANCEL)


@router.post(
    "/Seller/{PoId}/Reject",
    response_model=Envelope[bool],
    operation_id="SellerReject",
    openapi_extra=_SELLER_BODY,
    responses=SCOPED,
)
async def reject(request: Request, PoId: PoIdPath, authorization: Authorization = None) -> Response:
    """Reject a PO sent to you: SellerReject (-3)."""
    return await _seller(request, authorization, PoId, machine.SELLER_REJECT)


def create_app(rt: Runtime) -> FastAPI:
    app = create_service_app(
        rt,
        title="Rakmao purchase order API",
        version="1",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[CreatePo, EditPo, ChangeStatus, SellerAction],
    )
    app.state.rakmao_keys = keys.KeyRing(rt.secret)
    return app
