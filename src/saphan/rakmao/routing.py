"""What the Buyer and Seller routes of ``/rakmao-po`` share: the token check around the
database work, path and query parameters (query names in any case), lists and documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Header, Path, Query, Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.responses import Response

from saphan.rakmao import hooks, keys, logic, reading, tokens
from saphan.rakmao.errors import BadRequest, WebhookRequired
from saphan.rakmao.schemas import (
    STATUS_NAMES,
    Envelope,
)
from saphan.rakmao.status import EVENT_NAMES
from saphan.rakmao.wire import policy, runtime, success

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


async def _run(
    request: Request,
    authorization: str | None,
    work: Callable[[Session, tokens.Caller], T],
    *,
    write: bool,
    gate: bool = True,
) -> T:
    """Check the token and run ``work`` in one database session (one transaction when writing).
    With ``gate`` (every PO route) the account must have registered its side's webhooks."""
    rt = runtime(request)
    ring: keys.KeyRing = request.app.state.rakmao_keys
    rules = policy(rt)
    now = rt.clock.now()
    side = _gated_side(request) if gate else None

    def run() -> T:
        with rt.db.write() if write else rt.db.read() as session:
            who = tokens.caller(session, ring, rules, authorization, now)
            if side is not None:
                _require_webhooks(session, who, side)
            return work(session, who)

    return await rt.db.run(run, write=write)


def _gated_side(request: Request) -> logic.Side | None:
    """The side whose webhooks this PO route requires, or None when the setting is off."""
    settings = runtime(request).settings
    required = settings.rakmao_require_webhook
    if not (required if required is not None else not settings.demo):
        return None
    return "Seller" if "/api/v1/seller" in request.url.path.lower() else "Buyer"


def _require_webhooks(conn: Session | Connection, who: tokens.Caller, side: logic.Side) -> None:
    missing = hooks.missing_types(conn, who, side)
    if missing:
        names = ", ".join(f"{t} ({EVENT_NAMES[t]})" for t in missing)
        raise WebhookRequired(
            f"Register a webhook before using the system: POST /api/v1/Webhook for {names}"
        )


async def _read_core(
    request: Request,
    authorization: str | None,
    work: Callable[[Connection, tokens.Caller], T],
    *,
    scan: bool = False,
) -> T:
    """``_run`` for hot read paths: a Core connection, no ORM session. A ``scan`` (a keyword
    search, which may read many POs) runs in a worker thread even on SQLite, whose quick reads
    otherwise run on the event loop: it must not hold up every other request meanwhile."""
    rt = runtime(request)
    ring: keys.KeyRing = request.app.state.rakmao_keys
    rules = policy(rt)
    now = rt.clock.now()
    side = _gated_side(request)

    def run() -> T:
        with rt.db.connect() as conn:
            who = tokens.caller(conn, ring, rules, authorization, now)
            if side is not None:
                _require_webhooks(conn, who, side)
            return work(conn, who)

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


async def _list(
    request: Request, authorization: str | None, side: logic.Side, key: str
) -> Response:
    params = _list_params(request)

    def work(conn: Connection, who: tokens.Caller) -> dict[str, Any]:
        scope = logic.buyer_org(who, key) if side == "Buyer" else logic.seller_tax_id(who, key)
        return reading.list_pos(conn, side, scope, **params)

    scan = bool(params["keyword"] and params["keyword"].strip())
    return success(await _read_core(request, authorization, work, scan=scan))


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
