"""``/admin/depa``: the operator API for an organisation running depa's side."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, Body, FastAPI, Query, Request
from sqlalchemy.orm import Session

from saphan.core.admin import AdminBadRequest, operate, rows_body
from saphan.core.admin import create_admin_app as base_admin_app
from saphan.core.body import document_request_models
from saphan.core.runtime import Runtime
from saphan.depa import operator
from saphan.depa.admin_schemas import (
    DPCreate,
    DPOut,
    KeyCreate,
    KeyCreated,
    KeyOut,
    Transition,
    UsageOut,
    VoucherIn,
    VoucherOut,
    VoucherPage,
    VouchersCreated,
)
from saphan.depa.logic import ACTIVATED, REVOKED

T = TypeVar("T")
router = APIRouter()


@router.post("/dps", status_code=201, response_model=DPOut)
async def create_dp(body: DPCreate, request: Request) -> DPOut:
    """Register a Digital Provider."""
    return await operate(
        request,
        lambda s, rt: operator.dp_out(operator.create_dp(s, body.name, rt.clock.now())),
        write=True,
    )


@router.get("/dps", response_model=list[DPOut])
async def list_dps(request: Request) -> list[DPOut]:
    return await operate(
        request, lambda s, _rt: [operator.dp_out(d) for d in operator.list_dps(s)], write=False
    )


@router.post("/dps/{dp_id}/keys", status_code=201, response_model=KeyCreated)
async def issue_key(dp_id: int, request: Request, body: KeyCreate | None = None) -> KeyCreated:
    """Issue an API key; the response is the only time the key is shown."""
    label = body.label if body else ""
    return await operate(
        request,
        lambda s, rt: operator.issue_key(s, rt.secret, dp_id, rt.clock.now(), label=label),
        write=True,
    )


@router.get("/dps/{dp_id}/keys", response_model=list[KeyOut])
async def list_keys(dp_id: int, request: Request) -> list[KeyOut]:
    return await operate(
        request,
        lambda s, _rt: [operator.key_out(k) for k in operator.list_keys(s, dp_id)],
        write=False,
    )


@router.delete("/keys/{key_id}", response_model=KeyOut)
async def revoke_key(key_id: int, request: Request) -> KeyOut:
    """Revoke a key at once; requests with it are 401 from now on."""
    return await operate(
        request,
        lambda s, rt: operator.key_out(operator.revoke_key(s, key_id, rt.clock.now())),
        write=True,
    )


@router.post(
    "/dps/{dp_id}/vouchers",
    status_code=201,
    response_model=VouchersCreated,
    openapi_extra=rows_body("VoucherIn"),
)
async def create_vouchers(
    dp_id: int, request: Request, body: Annotated[Any, Body()] = None
) -> VouchersCreated:
    """Issue vouchers to a DP: one voucher object, a JSON list, or CSV (``Content-Type: text/csv``)
    with GetDPVouchers' field names as the header. All or nothing."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("text/csv"):
        vouchers = operator.parse_vouchers(await request.body(), "csv")
    elif isinstance(body, dict):
        vouchers = operator.parse_vouchers(orjson.dumps([body]), "json")
    elif isinstance(body, list):
        vouchers = operator.parse_vouchers(orjson.dumps(body), "json")
    else:
        raise AdminBadRequest("Send a voucher object, a JSON list of them, or text/csv")
    created = await operate(
        request,
        lambda s, rt: operator.create_vouchers(s, dp_id, vouchers, rt.clock.now()),
        write=True,
    )
    return VouchersCreated(created=created)


@router.get("/dps/{dp_id}/vouchers", response_model=VoucherPage)
async def list_vouchers(
    dp_id: int,
    request: Request,
    status: Literal["Bound", "Activated", "Revoked"] | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, alias="perPage")] = 100,
) -> VoucherPage:
    def work(s: Session, _rt: Runtime) -> VoucherPage:
        total, rows = operator.list_vouchers(s, dp_id, status=status, page=page, per_page=per_page)
        return VoucherPage(
            total=total, page=page, perPage=per_page, items=[operator.voucher_out(v) for v in rows]
        )

    return await operate(request, work, write=False)


@router.post("/vouchers/{code}/activate", response_model=VoucherOut)
async def activate(code: str, request: Request, body: Transition | None = None) -> VoucherOut:
    """Bound -> Activated, at ``at`` or now."""
    at = body.at if body and body.at else None
    return await operate(
        request,
        lambda s, rt: operator.voucher_out(
            operator.move_voucher(s, code, ACTIVATED, at or rt.clock.now())
        ),
        write=True,
    )


@router.post("/vouchers/{code}/revoke", response_model=VoucherOut)
async def revoke(code: str, request: Request, body: Transition | None = None) -> VoucherOut:
    """Bound or Activated -> Revoked, at ``at`` or now."""
    at = body.at if body and body.at else None
    return await operate(
        request,
        lambda s, rt: operator.voucher_out(
            operator.move_voucher(s, code, REVOKED, at or rt.clock.now())
        ),
        write=True,
    )


@router.get("/dps/{dp_id}/usage", response_model=list[UsageOut])
async def list_usage(
    dp_id: int,
    request: Request,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    is_production: Annotated[bool | None, Query(alias="isProduction")] = None,
    voucher_code: Annotated[str | None, Query(alias="voucherCode")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[UsageOut]:
    """Usage a DP reported, oldest day first."""
    return await operate(
        request,
        lambda s, _rt: operator.list_usage(
            s,
            dp_id,
            date_from=date_from,
            date_to=date_to,
            is_production=is_production,
            voucher_code=voucher_code,
            limit=limit,
        ),
        write=False,
    )


def create_admin_app(rt: Runtime) -> FastAPI:
    app = base_admin_app(
        rt,
        title="depa operator API (Saphan)",
        description="Run depa's side: Digital Providers, API keys, vouchers and their usage. "
        "Bearer SAPHAN_ADMIN_TOKEN.",
    )
    app.include_router(router)
    document_request_models(app, [VoucherIn])
    return app
