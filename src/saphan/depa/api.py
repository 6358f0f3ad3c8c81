"""depa's wire (spec 001): three POST routes under /api/dp, key in ``x-api-key``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.security import APIKeyHeader
from starlette.responses import Response

from saphan.core.answer_cache import AnswerCache
from saphan.core.body import json_body
from saphan.core.fresh import FreshCache
from saphan.core.jsonresponse import dumps, rendered
from saphan.core.request_path import RequestPath, runtime
from saphan.core.runtime import Runtime
from saphan.core.service import create_service_app
from saphan.depa import logic
from saphan.depa.errors import InvalidApiKey, render
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


async def identify(request: Request) -> logic.Caller:
    """The DP behind ``x-api-key``, from memory while fresh (``core.fresh``)."""
    rt = runtime(request)
    digest = logic.key_of(rt.secret, request.headers.get("x-api-key"))
    callers: FreshCache[str, logic.Caller | None] = request.app.state.callers
    caller = await callers.read(digest, logic.find_caller)
    if caller is None:
        raise InvalidApiKey()
    return caller


#: Key first (a bad key is 401 whatever the body holds), then the body, then the operation.
PATH = RequestPath(identify=identify)

router = APIRouter(prefix="/api/dp", responses=ERRORS)


@router.post(
    "/GetDPVouchers",
    response_model=GetDPVouchersResponse,
    operation_id="GetDPVouchers",
    openapi_extra=json_body(GetDPVouchersRequest),
)
async def get_dp_vouchers(request: Request, _key: ApiKey = None) -> Response:
    """Retrieve the list of Vouchers approved by depa for the DP, a page at a time."""
    call = await PATH.call(request, GetDPVouchersRequest)
    pages: AnswerCache[tuple[int, int, int]] = request.app.state.pages
    key, version = logic.page_key(call.caller, call.body), logic.page_version(call.caller)
    answer = pages.get(key, version)
    if answer is None:
        page = await call.rt.db.run(
            lambda conn: logic.get_dp_vouchers(conn, call.caller, call.body), write=False
        )
        answer = dumps(page)
        pages.keep(key, version, answer)
    return rendered(answer)


@router.post(
    "/VoucherUsage",
    response_model=VoucherUsageResponse,
    operation_id="VoucherUsage",
    openapi_extra=json_body(VoucherUsageRequest),
)
async def voucher_usage(request: Request, _key: ApiKey = None) -> Response:
    """Submit daily product usage linked to Voucher codes (at most 100 records, all or nothing).

    The system stores one record per voucher and day; duplicates keep the latest record.
    """
    return await PATH.respond(
        request,
        lambda conn, call: logic.voucher_usage(conn, call.caller, call.body, call.now),
        body=VoucherUsageRequest,
        write=True,
    )


@router.post(
    "/GetVoucherUsage",
    response_model=GetVoucherUsageResponse,
    operation_id="GetVoucherUsage",
    openapi_extra=json_body(GetVoucherUsageRequest),
)
async def get_voucher_usage(request: Request, _key: ApiKey = None) -> Response:
    """Retrieve usage by Voucher code, for verification. An unknown code gives `"data": []`."""
    return await PATH.respond(
        request,
        lambda conn, call: logic.get_voucher_usage(conn, call.caller, call.body),
        body=GetVoucherUsageRequest,
    )


def create_app(rt: Runtime) -> FastAPI:
    app = create_service_app(
        rt,
        title="depa AI-Transformation API",
        version="1",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[GetDPVouchersRequest, VoucherUsageRequest, GetVoucherUsageRequest],
    )
    app.state.callers = FreshCache[str, logic.Caller | None](rt.db)
    app.state.pages = AnswerCache[tuple[int, int, int]](rt.settings.depa_page_cache_mib << 20)
    return app
