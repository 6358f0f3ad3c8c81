"""EasySlip v2's wire (seed 004 and the v2 reference): info, health, banks, slip verification
and registered bank accounts, ``Authorization: Bearer <key>``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import APIRouter, FastAPI, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.responses import Response

from saphan.core.body import json_body, read_body
from saphan.core.clock import to_utc_naive
from saphan.core.errors import ServiceError
from saphan.core.fresh import FreshCache
from saphan.core.hashing import key_digest
from saphan.core.jsonresponse import json_response
from saphan.core.netguard import NetGuard
from saphan.core.openapi_text import TEXT_PATTERN
from saphan.core.request_path import Call, RequestPath, runtime
from saphan.core.runtime import Runtime
from saphan.core.service import create_service_app
from saphan.easyslip import fetch, images, miniqr
from saphan.easyslip.errors import (
    ApplicationExpired,
    ImageSizeTooLarge,
    NotFound,
    SlipNotFound,
    render,
)
from saphan.easyslip.inputs import MAX_BODY_BYTES, Kind, SlipInput, parse_body, read_input
from saphan.easyslip.ledger import Ledger, TableLedger
from saphan.easyslip.logic import accounts, renewal, verify
from saphan.easyslip.logic.auth import Caller, KeyHolder, admit, bearer_key, find_key
from saphan.easyslip.logic.info import info
from saphan.easyslip.logic.quota import billing_start
from saphan.easyslip.schemas import (
    AMOUNT_PATTERN,
    BankAccountCreate,
    BankAccountListResponse,
    BankAccountResponse,
    BankAccountUpdate,
    BanksResponse,
    ErrorResponse,
    HealthResponse,
    InfoResponse,
    VerifyBankRequest,
    VerifyBankResponse,
    VerifyTrueWalletRequest,
    VerifyTrueWalletResponse,
    banks_json,
)

DESCRIPTION = """\
EasySlip v2: Thai bank-transfer and TrueMoney Wallet slip verification. Send a slip (its mini QR
text, an image, a base64 image or an image URL); the answer says whether that transfer really
happened, to whom, for how much, and whether your application verified the slip before.
`Authorization: Bearer <API key>`. A verification uses 1 of the month's quota; a duplicate
re-check and a failed check use none. Errors: `{"success": false, "error": {"code", "message"}}`.
"""

QR = TypeVar("QR")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "VALIDATION_ERROR and the input errors"},
    401: {"model": ErrorResponse, "description": "MISSING_API_KEY, INVALID_API_KEY"},
    403: {"model": ErrorResponse, "description": "BRANCH_INACTIVE, SERVICE_*, IP_NOT_ALLOWED"},
    404: {"model": ErrorResponse, "description": "NOT_FOUND"},
}
VERIFY_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": ErrorResponse, "description": "QUOTA_EXCEEDED, BRANCH_INACTIVE, ..."},
    404: {"model": ErrorResponse, "description": "SLIP_NOT_FOUND"},
}

router = APIRouter(prefix="/v2", responses=ERRORS)

#: For the OpenAPI document ("Authorize" in /easyslip/docs): the routes read the header
#: themselves (``identify``), so a missing key is EasySlip's own 401, not FastAPI's.
_bearer = HTTPBearer(auto_error=False, description="Your branch's API key")
ApiKey = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


async def identify(request: Request) -> Caller:
    """The branch behind ``Authorization: Bearer <key>``: the key's row from memory while fresh
    (``core.fresh``), the status and address checks on every request."""
    rt = runtime(request)
    digest = key_digest(rt.secret, bearer_key(request.headers.get("authorization")))
    keys: FreshCache[str, KeyHolder | None] = request.app.state.keys
    holder = await keys.read(digest, find_key)
    return admit(holder, request.client.host if request.client else None)


#: Key first (a bad key is 401 whatever the body holds), then the body, then the operation.
PATH = RequestPath(identify=identify, parse=parse_body)


async def current_plan(request: Request, call: Call[Caller, Any]) -> bool:
    """Whether the caller's plan is current, renewing it from credit when it has expired and
    auto-renews (``logic.renewal``). One comparison while it is current; the renewal (or the
    finding that there is none) is a write of its own, after which this process's answers
    are read again."""
    caller = call.caller
    if to_utc_naive(call.now) < caller.app_expires_at:
        return True
    start = billing_start(caller, call.now)
    expires = await call.rt.db.run(
        lambda conn: renewal.renew_expired(conn, caller.application_id, call.now, start),
        write=True,
    )
    request.app.state.keys.clear()
    request.app.state.infos.clear()
    return expires is not None


def _guard(rt: Runtime) -> NetGuard:
    """The SSRF guard for ``url`` inputs (``core.netguard``, the webhooks' own)."""
    allow = list(rt.settings.easyslip_url_allow_cidrs)
    if rt.settings.demo:
        allow += ["127.0.0.0/8", "::1/128"]
    return NetGuard(allow)


async def _qr_texts(rt: Runtime, source: SlipInput, wanted: Callable[[str], bool]) -> list[str]:
    """The QR texts the input carries: the payload itself, or every QR code in the image."""
    if source.kind == "payload":
        return [source.text]
    if source.kind == "url":
        async with httpx.AsyncClient(trust_env=False) as client:
            data = await fetch.fetch_image(
                source.text,
                guard=_guard(rt),
                seconds=rt.settings.easyslip_url_timeout,
                client=client,
            )
    elif source.kind == "base64":
        data = images.from_base64(source.text)
    else:
        data = source.image
    images.check_image(data)
    # Decoding the image and reading its QR codes: off the loop, in turn (core.cpu).
    return await rt.cpu.run(images.qr_texts, data, wanted)


def _is(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except miniqr.NotASlip:
        return False
    return True


def _first_slip(texts: Sequence[str], parse: Callable[[str], QR]) -> QR:
    for text in texts:
        try:
            return parse(text)
        except miniqr.NotASlip:
            continue
    raise SlipNotFound()


async def _verify(
    request: Request,
    model: type[BaseModel],
    sources: tuple[Kind, ...],
    parse: Callable[[str], QR],
    lookup: Callable[[QR], verify.Lookup],
) -> Response:
    """The request path with the slip's own input step: the body (JSON or multipart, up to
    the reference's image limit), then the QR read off it (images decode on a worker thread),
    then the transfer looked up (a read), then the verification noted and quota spent in one
    transaction; on PostgreSQL, with the ledger in its table and no account to match, the
    lookup, note and spend are one statement in the writer's pipeline
    (``verify.find_and_record``)."""
    call = await PATH.call(request)
    if not await current_plan(request, call):
        raise ApplicationExpired()
    try:
        body = await read_body(request, MAX_BODY_BYTES)
    except ServiceError as exc:
        if exc.status == 413:
            raise ImageSizeTooLarge() from exc
        raise
    source = await read_input(body, request.headers, model, sources)  # type: ignore[arg-type]
    qr = _first_slip(await _qr_texts(call.rt, source, lambda text: _is(parse, text)), parse)
    ledger: Ledger = request.app.state.ledger
    asked, options = lookup(qr), source.options
    if verify.in_one_statement(call.rt.db, ledger, options):
        answer = await call.rt.db.run_piece(
            verify.find_and_record(call.caller, asked, options, call.now)
        )
        if answer is None:
            raise SlipNotFound()
        result = answer
    else:
        result = await call.rt.db.run_then(
            lambda conn: verify.find(conn, ledger, call.caller, asked, options),
            lambda conn, found: verify.record(conn, call.caller, found, options, call.now),
        )
    # This process's own verification is seen by its next /v2/info at once.
    infos: FreshCache[tuple[int, dt.date], dict[str, Any]] = request.app.state.infos
    infos.clear()
    return PATH.render(result, 200, None)


@router.get("/info", response_model=InfoResponse, operation_id="info")
async def get_info(request: Request, _key: ApiKey = None) -> Response:
    """The application, its branch, quota use and credit, and the plan. Uses no quota."""
    call = await PATH.call(request)
    await current_plan(request, call)  # an expired plan's answer shows it expired
    caller, now = call.caller, call.now
    infos: FreshCache[tuple[int, dt.date], dict[str, Any]] = request.app.state.infos
    answer = await infos.get(
        (caller.branch_id, billing_start(caller, now)),
        lambda: call.rt.db.run(lambda conn: info(conn, caller, now), write=False),
    )
    return PATH.render(answer, 200, None)


@router.get("/health", response_model=HealthResponse, operation_id="health", responses={})
async def health() -> Response:
    """Liveness; no key needed, no quota used."""
    return json_response({"success": True, "message": "OK", "data": {"status": "ok"}})


@router.get("/banks", response_model=BanksResponse, operation_id="banks")
async def banks(request: Request, _key: ApiKey = None) -> Response:
    """The banks EasySlip knows: codes, names, SWIFT codes and each bank's `extraVerify`
    options for a registered account."""
    await identify(request)
    return json_response(
        {"success": True, "message": "Banks retrieved successfully", "data": banks_json()}
    )


#: The form as ``inputs.read_input`` reads it: the image file, the options as text, at most 20
#: fields; any other field is text and ignored, but payload, base64 and url would be a second
#: source (the image is the one), which is refused.
_MULTIPART: dict[str, Any] = {
    "schema": {
        "type": "object",
        "properties": {
            "image": {"type": "string", "format": "binary"},
            "remark": {"type": "string", "minLength": 1, "maxLength": 255},
            "matchAccount": {"type": "string", "enum": ["true", "false"]},
            "matchAmount": {"type": "string", "pattern": AMOUNT_PATTERN},
            "checkDuplicate": {"type": "string", "enum": ["true", "false"]},
        },
        "required": ["image"],
        "maxProperties": 20,
        "propertyNames": {
            "pattern": TEXT_PATTERN,
            "not": {"enum": ["payload", "base64", "url"]},
        },
        "additionalProperties": {"type": "string", "pattern": TEXT_PATTERN},
    }
}


def _verify_body(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON body of ``model`` or a multipart form carrying ``image``."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}},
                "multipart/form-data": _MULTIPART,
            },
        }
    }


@router.post(
    "/verify/bank",
    response_model=VerifyBankResponse,
    operation_id="verifyBank",
    responses=VERIFY_ERRORS,
    openapi_extra=_verify_body(VerifyBankRequest),
)
async def verify_bank(request: Request, _key: ApiKey = None) -> Response:
    """Verify a bank-transfer slip: exactly one of `payload`, `image` (multipart), `base64`,
    `url`."""
    return await _verify(
        request,
        VerifyBankRequest,
        ("payload", "image", "base64", "url"),
        miniqr.parse_bank,
        verify.bank_lookup,
    )


@router.post(
    "/verify/truewallet",
    response_model=VerifyTrueWalletResponse,
    operation_id="verifyTrueWallet",
    responses=VERIFY_ERRORS,
    openapi_extra=_verify_body(VerifyTrueWalletRequest),
)
async def verify_truewallet(request: Request, _key: ApiKey = None) -> Response:
    """Verify a TrueMoney Wallet slip: exactly one of `image` (multipart), `base64`, `url`."""
    return await _verify(
        request,
        VerifyTrueWalletRequest,
        ("image", "base64", "url"),
        miniqr.parse_truewallet,
        verify.truewallet_lookup,
    )


@router.get(
    "/bank-accounts", response_model=BankAccountListResponse, operation_id="listBankAccounts"
)
async def list_bank_accounts(request: Request, _key: ApiKey = None) -> Response:
    """The application's registered bank accounts (what `matchAccount` matches)."""
    return await PATH.respond(request, lambda conn, call: accounts.list_accounts(conn, call.caller))


@router.post(
    "/bank-accounts",
    status_code=201,
    response_model=BankAccountResponse,
    operation_id="createBankAccount",
    responses={409: {"model": ErrorResponse, "description": "BANK_ACCOUNT_EXISTS"}},
    openapi_extra=json_body(BankAccountCreate),
)
async def create_bank_account(request: Request, _key: ApiKey = None) -> Response:
    """Register a receiving account."""
    return await PATH.respond(
        request,
        lambda conn, call: accounts.create_account(conn, call.caller, call.body, call.now),
        body=BankAccountCreate,
        write=True,
        status=201,
    )


def _account_id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise NotFound("Bank account not found")
    return int(value)


@router.patch(
    "/bank-accounts/{id}",
    response_model=BankAccountResponse,
    operation_id="updateBankAccount",
    openapi_extra=json_body(BankAccountUpdate),
)
async def update_bank_account(id: str, request: Request, _key: ApiKey = None) -> Response:
    """Change a registered account's `extraVerify`: one of its bank's options (GET /v2/banks),
    null to clear it, or a boolean as the older documents had it."""
    call = await PATH.call(request)
    account_id = _account_id(id)
    body = await PATH.body(request, BankAccountUpdate)
    return PATH.render(
        await call.rt.db.run(
            lambda conn: accounts.update_account(conn, call.caller, account_id, body),
            write=True,
        ),
        200,
        None,
    )


@router.delete(
    "/bank-accounts/{id}", response_model=BankAccountResponse, operation_id="deleteBankAccount"
)
async def delete_bank_account(id: str, request: Request, _key: ApiKey = None) -> Response:
    """Remove a registered account."""
    call = await PATH.call(request)
    account_id = _account_id(id)
    return PATH.render(
        await call.rt.db.run(
            lambda conn: accounts.delete_account(conn, call.caller, account_id), write=True
        ),
        200,
        None,
    )


def create_app(rt: Runtime, *, ledger: Ledger | None = None) -> FastAPI:
    app = create_service_app(
        rt,
        title="EasySlip v2 API",
        version="2",
        description=DESCRIPTION,
        render=render,
        router=router,
        request_models=[
            VerifyBankRequest,
            VerifyTrueWalletRequest,
            BankAccountCreate,
            BankAccountUpdate,
        ],
    )
    app.state.ledger = ledger or TableLedger()
    app.state.keys = FreshCache[str, KeyHolder | None](rt.db)
    app.state.infos = FreshCache[tuple[int, dt.date], dict[str, Any]](rt.db)
    return app
