"""``/rakmao-po``: the "RakmaoPO Environment" (spec 002): the Buyer API here, the Seller API in
``seller_api``, one app.

Every route needs ``Authorization: Bearer <token>`` (from ``/rakmao``); a doubled ``Bearer``
prefix is accepted. Bodies may end arrays and objects with a trailing comma and spell property
names in any case; query parameters are matched case-insensitively too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from pydantic import WithJsonSchema
from starlette.responses import Response

from saphan.core.plain_routes import reads_own_query
from saphan.core.runtime import Runtime
from saphan.core.service import create_service_app
from saphan.rakmao import keys, logic, reading, seller_api, webhook_api, webhook_login
from saphan.rakmao.errors import render
from saphan.rakmao.routing import (
    SCOPED,
    Authorization,
    KeywordQ,
    PageQ,
    PerPageQ,
    PoIdPath,
    RefQ,
    StatusQ,
    forget_lists,
    respond_documents,
    respond_list,
)
from saphan.rakmao.schemas import (
    STATUS_NAMES,
    BuyerDocument,
    BuyerListItem,
    ChangeStatus,
    ChangeStatusInBody,
    Created,
    CreatePo,
    EditPo,
    Envelope,
    Page,
    SellerAction,
)
from saphan.rakmao.webhook_schemas import RegisterWebhook, UpdateWebhook
from saphan.rakmao.wire import ERRORS, PATH, accounts, success

DESCRIPTION = """\
Rakmao's purchase orders ("RakmaoPO Environment"): a buyer organisation creates POs (Draft),
edits them while Draft, sends them to the seller (Preview) and moves them through their
statuses; the seller, identified by its tax ID, lists and reads the POs sent to it and can
reject them or ask to cancel. Money is exact (JSON numbers, never rounded through binary
floats). Every answer is `{"status", "message", "data"}`.
"""

router = APIRouter(prefix="/api/v1", responses=ERRORS)

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
    call = await PATH.call(request, CreatePo)
    db = call.rt.db
    piece = logic.create_po(call.caller, call.body, call.now, postgresql=not db.sqlite)
    created = await db.run_piece(piece)
    forget_lists(request)
    return PATH.render(created, 200, None)


async def _status(request: Request, po_id: str, path_status: int | None) -> Response:
    changed = await PATH.run_session(
        request,
        lambda s, call: logic.change_status(
            s, call.caller, po_id, path_status, call.body, call.now
        ),
        body=ChangeStatus,
        write=True,
    )
    forget_lists(request)
    return success(changed)


def _status_body(model: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
        }
    }


@router.put(
    "/Buyer/{PoId}/Status/{Status}",
    response_model=Envelope[bool],
    operation_id="ChangeStatus",
    openapi_extra=_status_body("ChangeStatus"),
    responses=SCOPED,
)
async def change_status(
    request: Request,
    PoId: PoIdPath,
    Status: Annotated[
        int,
        Path(description="POStatusEnum", ge=-7, le=4),
        WithJsonSchema({"type": "integer", "enum": sorted(STATUS_NAMES)}),
    ],
    authorization: Authorization = None,
) -> Response:
    """Move your PO to another status (docs/rakmao.md has the table of allowed moves).
    A `Status` in the body must equal the path's."""
    return await _status(request, PoId, Status)


@router.put(
    "/Buyer/{PoId}/Status",
    response_model=Envelope[bool],
    operation_id="ChangeStatusByBody",
    openapi_extra=_status_body("ChangeStatusInBody"),
    responses=SCOPED,
)
async def change_status_by_body(
    request: Request, PoId: PoIdPath, authorization: Authorization = None
) -> Response:
    """The same, with `Status` in the body (as the spec's example sends it)."""
    return await _status(request, PoId, None)


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
    edited = await PATH.run_session(
        request,
        lambda s, call: logic.edit_po(s, call.caller, PoId, call.body, call.now),
        body=EditPo,
        write=True,
    )
    forget_lists(request)
    return success(edited)


@router.get(
    "/Buyer/{OrgId}",
    response_model=Envelope[Page[BuyerListItem]],
    operation_id="ListBuyerPos",
    responses=SCOPED,
)
@reads_own_query
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
    return await respond_list(request, "Buyer", OrgId)


@router.get("/Buyer/{OrgId}/", include_in_schema=False)
async def list_buyer_slash(
    request: Request, OrgId: str, authorization: Authorization = None
) -> Response:
    return await respond_list(request, "Buyer", OrgId)


@router.get(
    "/Buyer/{OrgId}/Document",
    response_model=Envelope[list[BuyerDocument]],
    operation_id="BuyerDocument",
    responses=SCOPED,
)
@reads_own_query
async def buyer_document(
    request: Request,
    OrgId: Annotated[str, Path(description="Your organisation's OrgId", max_length=64)],
    authorization: Authorization = None,
    PoId: RefQ = None,
    QuotationId: RefQ = None,
    RfqId: RefQ = None,
) -> Response:
    """Your POs in full, by `PoId`, `QuotationId` or `RfqId` (at least one)."""
    return await respond_documents(request, "Buyer", OrgId)


router.include_router(seller_api.router)
router.include_router(webhook_api.router)


def create_app(rt: Runtime) -> FastAPI:
    app = create_service_app(
        rt,
        title="Rakmao purchase order API",
        version="1",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[
            CreatePo,
            EditPo,
            ChangeStatus,
            ChangeStatusInBody,
            SellerAction,
            RegisterWebhook,
            UpdateWebhook,
        ],
    )
    app.state.rakmao_keys = keys.KeyRing(rt.secret)
    app.state.rakmao_accounts = accounts(rt)
    app.state.rakmao_searches = reading.Searches()
    app.state.rakmao_positions = reading.Positions()
    app.state.rakmao_lists = reading.KeptLists(rt.db, rt.settings.rakmao_list_cache_mib << 20)
    webhook_login.SIGNER.configure(rt, app.state.rakmao_keys)
    return app
