"""``/admin/easyslip``: the operator API for an organisation running EasySlip's side."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Body, FastAPI, Query, Request
from sqlalchemy.orm import Session

from saphan.core.admin import AdminBadRequest, operate, rows_body
from saphan.core.admin import create_admin_app as base_admin_app
from saphan.core.body import document_request_models
from saphan.core.runtime import Runtime
from saphan.easyslip import operator
from saphan.easyslip.admin_schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationUpdate,
    BranchCreate,
    BranchCreated,
    BranchOut,
    BranchUpdate,
    CreditChange,
    TransferIn,
    TransferOut,
    TransfersCreated,
)

T = TypeVar("T")
router = APIRouter()


def _app_out(session: Session, rt: Runtime, app_id: int) -> ApplicationOut:
    return operator.application_out(
        session, operator.get_application(session, app_id), rt.clock.now()
    )


@router.post("/applications", status_code=201, response_model=ApplicationOut)
async def create_application(body: ApplicationCreate, request: Request) -> ApplicationOut:
    """Create an application (its plan, monthly quota, credit); billing months start on today."""

    def work(s: Session, rt: Runtime) -> ApplicationOut:
        app = operator.create_application(s, body, rt.clock.now())
        return operator.application_out(s, app, rt.clock.now())

    return await operate(request, work, write=True)


@router.get("/applications", response_model=list[ApplicationOut])
async def list_applications(request: Request) -> list[ApplicationOut]:
    return await operate(
        request,
        lambda s, rt: [
            operator.application_out(s, a, rt.clock.now()) for a in operator.list_applications(s)
        ],
        write=False,
    )


@router.get("/applications/{app_id}", response_model=ApplicationOut)
async def get_application(app_id: int, request: Request) -> ApplicationOut:
    return await operate(request, lambda s, rt: _app_out(s, rt, app_id), write=False)


@router.patch("/applications/{app_id}", response_model=ApplicationOut)
async def update_application(
    app_id: int, body: ApplicationUpdate, request: Request
) -> ApplicationOut:
    """Change the plan (productName, quotaMax), auto-renew flags, status, allowed IPs."""

    def work(s: Session, rt: Runtime) -> ApplicationOut:
        operator.update_application(s, app_id, body)
        return _app_out(s, rt, app_id)

    return await operate(request, work, write=True)


@router.post("/applications/{app_id}/credit", response_model=ApplicationOut)
async def change_credit(app_id: int, body: CreditChange, request: Request) -> ApplicationOut:
    """Add credit (or take it away with a negative amount)."""

    def work(s: Session, rt: Runtime) -> ApplicationOut:
        operator.change_credit(s, app_id, body.amount)
        return _app_out(s, rt, app_id)

    return await operate(request, work, write=True)


@router.post("/applications/{app_id}/branches", status_code=201, response_model=BranchCreated)
async def create_branch(app_id: int, body: BranchCreate, request: Request) -> BranchCreated:
    """A branch and its API key; the response is the only time the key is shown."""
    return await operate(
        request,
        lambda s, rt: operator.create_branch(s, rt.secret, app_id, body, rt.clock.now()),
        write=True,
    )


@router.get("/applications/{app_id}/branches", response_model=list[BranchOut])
async def list_branches(app_id: int, request: Request) -> list[BranchOut]:
    return await operate(
        request,
        lambda s, rt: [
            operator.branch_out(s, b, rt.clock.now()) for b in operator.list_branches(s, app_id)
        ],
        write=False,
    )


@router.patch("/branches/{branch_id}", response_model=BranchOut)
async def update_branch(branch_id: int, body: BranchUpdate, request: Request) -> BranchOut:
    """Rename, (de)activate (BRANCH_INACTIVE), or set the branch's own monthly limit."""
    return await operate(
        request,
        lambda s, rt: operator.branch_out(
            s, operator.update_branch(s, branch_id, body), rt.clock.now()
        ),
        write=True,
    )


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransfersCreated,
    openapi_extra=rows_body("TransferIn"),
)
async def record_transfers(
    request: Request, body: Annotated[Any, Body()] = None
) -> TransfersCreated:
    """Record transfers in the ledger: one object, a JSON list, or CSV (``Content-Type:
    text/csv``, a header row of the JSON field names). All or nothing."""
    if request.headers.get("content-type", "").startswith("text/csv"):
        transfers = operator.parse_transfers(await request.body(), "csv")
    elif isinstance(body, dict | list):
        transfers = operator.parse_transfers(orjson.dumps(body), "json")
    else:
        raise AdminBadRequest("Send a transfer object, a JSON list of them, or text/csv")
    rows = await operate(
        request, lambda s, rt: operator.record_transfers(s, transfers, rt.clock.now()), write=True
    )
    return TransfersCreated(created=len(rows))


@router.get("/transfers", response_model=list[TransferOut])
async def list_transfers(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[TransferOut]:
    """The ledger, newest first, each with its slip's mini QR text (``payload``)."""
    return await operate(
        request,
        lambda s, _rt: [
            operator.transfer_out(t) for t in operator.list_transfers(s, limit=limit, offset=offset)
        ],
        write=False,
    )


def create_admin_app(rt: Runtime) -> FastAPI:
    app = base_admin_app(
        rt,
        title="EasySlip operator API (Saphan)",
        description="Run EasySlip's side: applications, plans, credit, branches and their keys, "
        "and the transaction ledger verifications are answered from. Bearer SAPHAN_ADMIN_TOKEN.",
    )
    app.include_router(router)
    document_request_models(app, [TransferIn])
    return app
