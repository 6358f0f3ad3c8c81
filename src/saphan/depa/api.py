"""depa's wire (spec 001): three POST routes under /api/dp, key in ``x-api-key``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.responses import Response

from saphan.core.body import json_body, parse_json, read_body
from saphan.core.jsonresponse import json_response
from saphan.core.runtime import Runtime
from saphan.core.service import create_service_app
from saphan.depa import logic
from saphan.depa.errors import render
from saphan.depa.schemas import (
    ErrorResponse,
    GetDPVouchersRequest,
    GetDPVouchersResponse,
    GetVoucherUsageRequest,
    GetVoucherUsageResponse,
    VoucherUsageRequest,
    VoucherUsageResponse,
)

DESCRIPTION = """\
API for Digital Providers (DP) in depa's AI-Transformation project: fetch the vouchers depa
approved for the DP, send daily usage of the products linked to activated vouchers, and read
that usage back. Spec: *API Specification for AI-Transformation Project*, version 1, 2025-11-16.
Times are Asia/Bangkok, `"YYYY-MM-DD HH:MM:SS"`.
"""

_api_key = APIKeyHeader(name="x-api-key", auto_error=False, description="Your DP's API key (UUID)")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid request format or parameters"},
    401: {"model": ErrorResponse, "description": "Invalid or missing API key"},
    403: {"model": ErrorResponse, "description": "Valid API key but insufficient permissions"},
    500: {"model": ErrorResponse, "description": "Server-side error"},
}


ApiKey = Annotated[str | None, Depends(_api_key)]
M = TypeVar("M", bound=BaseModel)
Operation = Callable[[Connection, logic.Caller, M, Runtime], dict[str, Any]]


async def answer(
    request: Request, api_key: str | None, model: type[M], operation: Operation[M], *, write: bool
) -> Response:
    """Check the key, then read the body, then run the operation: one trip to a worker thread,
    one connection (one transaction when ``write``)."""
    rt: Runtime = request.app.state.runtime
    body = await read_body(request, rt.settings.max_body_bytes)
    content_type = request.headers.get("content-type")

    def run() -> dict[str, Any]:
        with rt.db.begin() if write else rt.db.connect() as conn:
            caller = logic.authenticate(conn, rt.secret, api_key)
            return operation(conn, caller, parse_json(model, body, content_type), rt)

    return json_response(await rt.db.run(run, write=write))


router = APIRouter(prefix="/api/dp", responses=ERRORS)


@router.post(
    "/GetDPVouchers",
    response_model=GetDPVouchersResponse,
    operation_id="GetDPVouchers",
    openapi_extra=json_body(GetDPVouchersRequest),
)
async def get_dp_vouchers(request: Request, api_key: ApiKey) -> Response:
    """Retrieve the list of Vouchers approved by depa for the DP, a page at a time."""
    return await answer(
        request,
        api_key,
        GetDPVouchersRequest,
        lambda conn, who, body, _rt: logic.get_dp_vouchers(conn, who, body),
        write=False,
    )


@router.post(
    "/VoucherUsage",
    response_model=VoucherUsageResponse,
    operation_id="VoucherUsage",
    openapi_extra=json_body(VoucherUsageRequest),
)
async def voucher_usage(request: Request, api_key: ApiKey) -> Response:
    """Submit daily product usage linked to Voucher codes (at most 100 records, all or nothing).

    The system stores one record per voucher and day; duplicates keep the latest record.
    """
    return await answer(
        request,
        api_key,
        VoucherUsageRequest,
        lambda conn, who, body, rt: logic.voucher_usage(conn, who, body, rt.clock.now()),
        write=True,
    )


@router.post(
    "/GetVoucherUsage",
    response_model=GetVoucherUsageResponse,
    operation_id="GetVoucherUsage",
    openapi_extra=json_body(GetVoucherUsageRequest),
)
async def get_voucher_usage(request: Request, api_key: ApiKey) -> Response:
    """Retrieve usage by Voucher code, for verification. An unknown code gives `"data": []`."""
    return await answer(
        request,
        api_key,
        GetVoucherUsageRequest,
        lambda conn, who, body, _rt: logic.get_voucher_usage(conn, who, body),
        write=False,
    )


def create_app(rt: Runtime) -> FastAPI:
    return create_service_app(
        rt,
        title="depa AI-Transformation API",
        version="1",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[GetDPVouchersRequest, VoucherUsageRequest, GetVoucherUsageRequest],
    )
