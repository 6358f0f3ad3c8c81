"""``/admin/rakmao``: the operator API for an organisation running Rakmao's side."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request

from saphan.core.admin import create_admin_app as base_admin_app
from saphan.core.admin import operate
from saphan.core.runtime import Runtime
from saphan.rakmao import operator
from saphan.rakmao.admin_schemas import (
    AccountCreate,
    AccountCreated,
    AccountOut,
    AuthenStringOut,
    AuthenStringRequest,
    EventOut,
    KeyOut,
)

T = TypeVar("T")
router = APIRouter()


@router.post("/accounts", status_code=201, response_model=AccountCreated)
async def create_account(body: AccountCreate, request: Request) -> AccountCreated:
    """Register an account for a buyer org (orgId) and/or a seller (sellerTaxId). The answer holds
    its authenString (base64 of UserName and Password), shown this once."""
    return await operate(
        request, lambda s, rt: operator.create_account(s, body, rt.clock.now()), write=True
    )


@router.get("/accounts", response_model=list[AccountOut])
async def list_accounts(request: Request) -> list[AccountOut]:
    return await operate(
        request,
        lambda s, _rt: [operator.account_out(a) for a in operator.list_accounts(s)],
        write=False,
    )


@router.post("/accounts/{username}/disable", response_model=AccountOut)
async def disable_account(username: str, request: Request) -> AccountOut:
    """Disable the account; every token it holds stops working at once."""
    return await operate(
        request,
        lambda s, rt: operator.account_out(operator.disable_account(s, username, rt.clock.now())),
        write=True,
    )


@router.post("/accounts/{username}/authen-string", response_model=AuthenStringOut)
async def authen_string(
    username: str, body: AuthenStringRequest, request: Request
) -> AuthenStringOut:
    """Build the account's authenString again, given its password (which is not stored)."""
    return await operate(
        request,
        lambda s, _rt: AuthenStringOut(
            authenString=operator.authen_string_for(s, username, body.password)
        ),
        write=False,
    )


@router.get("/keys", response_model=list[KeyOut])
async def list_keys(request: Request) -> list[KeyOut]:
    return await operate(
        request, lambda s, _rt: [operator.key_out(k) for k in operator.list_keys(s)], write=False
    )


@router.post("/keys/rotate", status_code=201, response_model=KeyOut)
async def rotate_key(request: Request) -> KeyOut:
    """A new signing key; the old one keeps verifying (and stays in the JWKS) until its tokens
    have expired. Processes pick up the new key within a minute."""
    return await operate(
        request,
        lambda s, rt: operator.key_out(operator.rotate_key(s, rt.secret, rt.clock.now())),
        write=True,
    )


@router.get("/events", response_model=list[EventOut])
async def list_events(
    request: Request,
    pending: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventOut]:
    """Webhook events recorded by status changes, newest first."""
    return await operate(
        request, lambda s, _rt: operator.list_events(s, pending=pending, limit=limit), write=False
    )


def create_admin_app(rt: Runtime) -> FastAPI:
    app = base_admin_app(
        rt,
        title="Rakmao operator API (Saphan)",
        description="Run Rakmao's side: accounts and their authen strings, signing keys, "
        "webhook events. Bearer SAPHAN_ADMIN_TOKEN.",
    )
    app.include_router(router)
    return app
