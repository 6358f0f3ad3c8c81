"""depa's wire (spec 001): three POST routes under /api/dp, key in ``x-api-key``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from saphan.core.errors import install_error_handlers
from saphan.core.jsonresponse import ORJSONResponse, json_response
from saphan.core.runtime import Runtime
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


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def caller(
    request: Request, api_key: Annotated[str | None, Depends(_api_key)]
) -> logic.Caller:
    """Checked before the body is read, so a bad key is a 401 whatever the body holds."""
    rt = runtime(request)

    def check() -> logic.Caller:
        with rt.db.read() as session:
            return logic.authenticate(session, rt.secret, api_key)

    return await run_in_threadpool(check)


Caller = Annotated[logic.Caller, Depends(caller)]
router = APIRouter(prefix="/api/dp", responses=ERRORS)


@router.post("/GetDPVouchers", response_model=GetDPVouchersResponse, operation_id="GetDPVouchers")
async def get_dp_vouchers(body: GetDPVouchersRequest, who: Caller, request: Request) -> Response:
    """Retrieve the list of Vouchers approved by depa for the DP, a page at a time."""
    rt = runtime(request)

    def run() -> dict[str, Any]:
        with rt.db.read() as session:
            return logic.get_dp_vouchers(session, who, body)

    return json_response(await run_in_threadpool(run))


@router.post("/VoucherUsage", response_model=VoucherUsageResponse, operation_id="VoucherUsage")
async def voucher_usage(body: VoucherUsageRequest, who: Caller, request: Request) -> Response:
    """Submit daily product usage linked to Voucher codes (at most 100 records, all or nothing).

    The system stores one record per voucher and day; duplicates keep the latest record.
    """
    rt = runtime(request)

    def run() -> dict[str, Any]:
        with rt.db.write() as session:
            return logic.voucher_usage(session, who, body, rt.clock.now())

    return json_response(await run_in_threadpool(run))


@router.post(
    "/GetVoucherUsage", response_model=GetVoucherUsageResponse, operation_id="GetVoucherUsage"
)
async def get_voucher_usage(
    body: GetVoucherUsageRequest, who: Caller, request: Request
) -> Response:
    """Retrieve usage by Voucher code, for verification. An unknown code gives `"data": []`."""
    rt = runtime(request)

    def run() -> dict[str, Any]:
        with rt.db.read() as session:
            return logic.get_voucher_usage(session, who, body)

    return json_response(await run_in_threadpool(run))


def create_app(rt: Runtime) -> FastAPI:
    app = FastAPI(
        title="depa AI-Transformation API",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        default_response_class=ORJSONResponse,
        max_body_size=rt.settings.max_body_bytes,
    )
    app.state.runtime = rt
    install_error_handlers(app, render)
    app.include_router(router)
    return app
