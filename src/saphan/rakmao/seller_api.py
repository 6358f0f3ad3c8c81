"""The Seller API of ``/rakmao-po`` (spec 002): the POs sent to the token's TaxId, and the
seller's two moves (Reject, RequestCancel)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from saphan.core.plain_routes import reads_own_query
from saphan.rakmao import logic
from saphan.rakmao import status as machine
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
    Envelope,
    Page,
    SellerAction,
    SellerDocument,
    SellerListItem,
)
from saphan.rakmao.wire import PATH, success

router = APIRouter()

# -- Seller --------------------------------------------------------------------------------------


@router.get(
    "/Seller/{TaxId}",
    response_model=Envelope[Page[SellerListItem]],
    operation_id="ListSellerPos",
    responses=SCOPED,
)
@reads_own_query
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
    return await respond_list(request, "Seller", TaxId)


@router.get("/Seller/{TaxId}/", include_in_schema=False)
async def list_seller_slash(
    request: Request, TaxId: str, authorization: Authorization = None
) -> Response:
    return await respond_list(request, "Seller", TaxId)


@router.get(
    "/Seller/{TaxId}/Document",
    response_model=Envelope[list[SellerDocument]],
    operation_id="SellerDocument",
    responses=SCOPED,
)
@reads_own_query
async def seller_document(
    request: Request,
    TaxId: Annotated[str, Path(description="Your tax ID", max_length=20)],
    authorization: Authorization = None,
    PoId: RefQ = None,
    QuotationId: RefQ = None,
    RfqId: RefQ = None,
) -> Response:
    """POs sent to you, in full, by `PoId`, `QuotationId` or `RfqId` (at least one)."""
    return await respond_documents(request, "Seller", TaxId)


async def _seller(request: Request, po_id: str, target: int) -> Response:
    done = await PATH.run_session(
        request,
        lambda s, call: logic.seller_action(s, call.caller, po_id, target, call.body, call.now),
        body=SellerAction,
        write=True,
    )
    forget_lists(request)
    return success(done)


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
    return await _seller(request, PoId, machine.SELLER_REQUEST_CANCEL)


@router.post(
    "/Seller/{PoId}/Reject",
    response_model=Envelope[bool],
    operation_id="SellerReject",
    openapi_extra=_SELLER_BODY,
    responses=SCOPED,
)
async def reject(request: Request, PoId: PoIdPath, authorization: Authorization = None) -> Response:
    """Reject a PO sent to you: SellerReject (-3)."""
    return await _seller(request, PoId, machine.SELLER_REJECT)
