"""What the Buyer and Seller routes of ``/rakmao-po`` share: path and query parameters (query
names in any case), lists and documents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.responses import Response

from saphan.core.jsonresponse import rendered
from saphan.core.request_path import Call
from saphan.rakmao import logic, reading, tokens
from saphan.rakmao.errors import BadRequest
from saphan.rakmao.schemas import STATUS_NAMES, Envelope
from saphan.rakmao.wire import PATH, enveloped, success

GUID_PATTERN = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
#: For the OpenAPI document ("Authorize" in the docs): the routes read the header themselves
#: (``wire.identify``), so a missing token is Rakmao's own 401. The token may be pasted with
#: the "Bearer " prefix RequestAPIToken returns it with: a doubled prefix is accepted.
_bearer = HTTPBearer(auto_error=False, description="The token from RequestAPIToken")
Authorization = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
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


def _query(request: Request) -> dict[str, str]:
    """Query parameters by lower-cased name (the spec writes ``Keyword`` and sends ``keyword``).
    (Values the input boundary refuses, NUL say, never get here.)"""
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


async def respond_list(request: Request, side: logic.Side, key: str) -> Response:
    """A list route: the caller's POs as buyer org ``key`` or seller ``key``. An answer kept
    under the party's revision is served as it is (``reading.KeptLists``). A Keyword search
    whose matches this process does not hold, or a deep page whose list's positions are to be
    worked out, may read many POs: it runs again as a ``slow`` read (off the event loop on
    SQLite)."""
    call = await PATH.call(request)
    params = _list_params(request)
    party = _scope(call.caller, side, key)
    lists: reading.KeptLists = request.app.state.rakmao_lists
    shown = (side, party, *params.values())
    kept = lists.answers.get(shown, await lists.revision(side, party))
    if kept is not None:
        return rendered(kept)
    searches: reading.Searches = request.app.state.rakmao_searches
    positions: reading.Positions = request.app.state.rakmao_positions

    def work(conn: Connection, scan: bool) -> reading.Listed | None:
        return reading.list_pos(
            conn, side, party, **params, searches=searches, positions=positions, scan=scan
        )

    db = call.rt.db
    found = await db.run(lambda conn: work(conn, False), write=False)
    if found is None:
        found = await db.run(lambda conn: work(conn, True), write=False, slow=True)
    assert found is not None  # a read that may scan always answers
    answer = enveloped(found.answer)
    if found.kept:
        lists.answers.keep(shown, found.revision, answer)
    return rendered(answer)


def forget_lists(request: Request) -> None:
    """This process wrote POs: its kept list answers are checked against fresh revisions."""
    lists: reading.KeptLists = request.app.state.rakmao_lists
    lists.forget()


async def respond_documents(request: Request, side: logic.Side, key: str) -> Response:
    """A Document route: the caller's POs in full, by PoId, QuotationId or RfqId."""
    params = _query(request)

    def work(session: Session, call: Call[tokens.Caller, None]) -> list[dict[str, Any]]:
        return reading.documents(
            session,
            side,
            _scope(call.caller, side, key),
            po_id=params.get("poid"),
            quotation_id=params.get("quotationid"),
            rfq_id=params.get("rfqid"),
        )

    return success(await PATH.run_session(request, work))


def _scope(caller: tokens.Caller, side: logic.Side, key: str) -> str:
    """The buyer org or seller TaxId the path names, if it is the caller's (else 403)."""
    return logic.buyer_org(caller, key) if side == "Buyer" else logic.seller_tax_id(caller, key)
