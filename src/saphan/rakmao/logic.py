"""Purchase orders (spec 002's Buyer and Seller APIs): the rules, scoped to the caller.

Buyer routes act only within the token's OrgId, seller routes only for the token's TaxId and on
POs sent to it. Another tenant's PO is 404 (its existence is not revealed); another tenant's
OrgId or TaxId in a path is 403. Answers are the wire's dicts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Date, String, bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK, bangkok_date, to_utc_naive
from saphan.core.db import Base
from saphan.core.group_commit import Then
from saphan.core.guid import new_guid
from saphan.core.jsonresponse import dumps
from saphan.core.statement import Statement, upsert_into
from saphan.rakmao import hooks, payloads
from saphan.rakmao import status as machine
from saphan.rakmao.errors import BadRequest, Conflict, Forbidden, NotFound
from saphan.rakmao.models import Event, PoCounter, PoItem, PurchaseOrder
from saphan.rakmao.payloads import money as money
from saphan.rakmao.schemas import (
    STATUS_NAMES,
    ChangeStatus,
    CreatePo,
    EditPo,
    SellerAction,
)
from saphan.rakmao.tokens import Caller

MAX_PER_PAGE = 100
Side = Literal["Buyer", "Seller"]


def search_text(po_code: str, project: str, vendor: str, reference: str | None) -> str:
    return "\n".join((po_code, project, vendor, reference or "")).lower()


# -- who may act --------------------------------------------------------------------------------


def buyer_org(caller: Caller, org_id: str | None = None) -> str:
    """The caller's OrgId; 403 if it has none, or if ``org_id`` (a path's) is another org's."""
    if caller.org_id is None:
        raise Forbidden("This account does not act for a buyer organisation")
    if org_id is not None and org_id.strip().lower() != caller.org_id:
        raise Forbidden("OrgId is not your organisation's")
    return caller.org_id


def seller_tax_id(caller: Caller, tax_id: str | None = None) -> str:
    """The caller's TaxId; 403 if it has none, or if ``tax_id`` (a path's) is another seller's."""
    if caller.seller_tax_id is None:
        raise Forbidden("This account does not act for a seller")
    if tax_id is not None and tax_id.strip() != caller.seller_tax_id:
        raise Forbidden("TaxId is not your own")
    return caller.seller_tax_id


def parse_po_id(po_id: str) -> str:
    try:
        return str(uuid.UUID(po_id.strip()))
    except ValueError:
        raise BadRequest("PoId must be a GUID") from None


def _po_for(session: Session, side: Side, caller: Caller, po_id: str) -> PurchaseOrder:
    """The PO, locked for update, if the caller's side may see it; else 404."""
    po = session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == parse_po_id(po_id)).with_for_update()
    )
    if side == "Buyer":
        org = buyer_org(caller)
        visible = po is not None and po.org_id == org
    else:
        tax_id = seller_tax_id(caller)
        visible = po is not None and po.seller_tax_id == tax_id and po.sent_at is not None
    if po is None or not visible:
        raise NotFound(f"No PO {po_id}")
    return po


# -- PoCode -------------------------------------------------------------------------------------


def _counter_upsert(dialect: str) -> Any:
    statement = upsert_into(dialect, PoCounter).values(day=bindparam("day"), last=1)
    return statement.on_conflict_do_update(
        index_elements=["day"], set_={"last": PoCounter.last + 1}
    ).returning(PoCounter.last)


_NEXT_NUMBER = Statement(_counter_upsert)


def _bangkok_day(now: dt.datetime) -> dt.date:
    return bangkok_date(now) if now.tzinfo is None else now.astimezone(BANGKOK).date()


def next_po_code(conn: Connection, now: dt.datetime) -> str:
    """``PO-YYMMDD-NNNN``, numbered per Bangkok day. The counter row is taken with one atomic
    upsert, so concurrent creates (threads, processes) never share a number."""
    day = _bangkok_day(now)
    number = _NEXT_NUMBER.scalar(conn, day=day)
    return f"PO-{day:%y%m%d}-{number:04d}"


# -- create / edit ------------------------------------------------------------------------------

MONEY_FIELDS = {
    "total_item": "TotalItem",
    "sub_total": "SubTotal",
    "beforvat": "Beforvat",
    "discount": "Discount",
    "vat_type": "VatType",
    "vat_rate": "VatRate",
    "vat_amount": "VatAmount",
    "delivery_fee": "DeliveryFee",
    "delivery_vat_type": "DeliveryVatType",
    "delivery_vat_rate": "DeliveryVatRate",
    "delivery_vat_amount": "DeliveryVatAmount",
    "grand_total": "GrandTotal",
    "grand_total_delivery_fee": "GrandTotalDeliveryFee",
}
_EDITABLE = {
    "document_file_url": "DocumentFileUrl",
    "contact_name": "ContactName",
    "contact_phone": "ContactPhone",
    "address": "Address",
    "note": "Note",
    "document_reference": "DocumentReference",
    **MONEY_FIELDS,
}


def _insert_all(model: type[Base]) -> Statement:
    """An INSERT of every column of ``model``'s table, each bound by its column's name."""
    columns = model.__table__.columns
    return Statement(insert(model).values({c.name: bindparam(c.name) for c in columns}))


_PO_INSERT = _insert_all(PurchaseOrder)
_ITEM_INSERT = _insert_all(PoItem)


# -- create on PostgreSQL: one statement ------------------------------------------------------

#: The whole create as one statement (one round trip on PostgreSQL, where the shared writer
#: otherwise waits for three per create: the PoCode counter, the PO, its items): the day's
#: counter taken by the upsert, the PoCode made from it (four digits, more past 9,999), the PO
#: inserted from ``:po`` (its columns as JSON) with that PoCode and its ``search_text`` (the
#: folded PoCode, then ``:search_rest``), the items from ``:items`` (a JSON array of rows).
#: JSON keeps the statement short and its parameters few, so psycopg converts it once
#: (it parses statements over 4 KiB or 50 parameters on every execution: 150 us).
_CREATE_IN_ONE = Statement(
    text(
        """
WITH number AS (
    INSERT INTO rakmao_po_counter AS counter (day, last) VALUES (:day, 1)
    ON CONFLICT (day) DO UPDATE SET last = counter.last + 1
    RETURNING last
), made AS (
    SELECT 'PO-' || CAST(:yymmdd AS TEXT) || '-'
        || CASE WHEN last < 10000 THEN lpad(CAST(last AS TEXT), 4, '0')
           ELSE CAST(last AS TEXT) END AS code
    FROM number
), po AS (
    INSERT INTO rakmao_po
    SELECT given.* FROM made, jsonb_populate_record(
        NULL::rakmao_po,
        CAST(:po AS JSONB) || jsonb_build_object(
            'po_code', made.code, 'search_text', lower(made.code) || CAST(:search_rest AS TEXT)
        )
    ) AS given
    RETURNING id, po_code
), items AS (
    INSERT INTO rakmao_po_item
    SELECT given.* FROM po, jsonb_array_elements(CAST(:items AS JSONB)) AS item,
        jsonb_populate_record(NULL::rakmao_po_item, item || jsonb_build_object('po_id', po.id))
        AS given
)
SELECT po_code FROM po
"""
    )
    .bindparams(bindparam("day", type_=Date))
    .columns(po_code=String)
)


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    """A row's values as PostgreSQL reads them from JSON: money as exact decimal text."""
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def create_po(
    caller: Caller, body: CreatePo, now: dt.datetime, *, postgresql: bool
) -> Then[dict[str, Any]] | Callable[[Connection], dict[str, Any]]:
    """A Draft (3) PO with the next PoCode of the Bangkok day, for the writer
    (``Database.run_piece``), in Core statements: the ORM's unit of work cost more than the
    rest of the request (bench/RESULTS.md), and nothing here needs the objects afterwards. On
    PostgreSQL one statement (``_CREATE_IN_ONE``) as a ``Then`` piece, which the writer sends
    in one pipeline with the other creates waiting; elsewhere the statements in turn."""
    buyer_org(caller, body.OrgId)
    if caller.buyer_tax_id is not None and body.BuyerTaxId != caller.buyer_tax_id:
        raise Forbidden("BuyerTaxId is not your organisation's")
    stamp = to_utc_naive(now)
    po_id = new_guid()
    editable = {column: getattr(body, wire) for column, wire in _EDITABLE.items()}
    po = {
        "id": po_id,
        "status": machine.DRAFT,
        "org_id": body.OrgId,
        "org_name": body.OrgName,
        "buyer_tax_id": body.BuyerTaxId,
        "seller_tax_id": body.SellerTaxId,
        "rfq_id": body.RfqId,
        "quotation_id": body.QuotationId,
        "project_id": body.ProjectId,
        "project_name": body.ProjectName,
        "vendor_id": body.VendorId,
        "vendor_name": body.VendorName,
        "create_by_user_id": body.CreateByUserId,
        "create_by_user_name": body.CreateByUserName,
        "create_type": body.CreateType,
        "created_at": stamp,
        "updated_at": stamp,
        "sent_at": None,
        "cancel_reason": None,
        "cancel_note": None,
        "action_by_type": None,
        **editable,
    }
    items = [
        {
            "id": new_guid(),
            "line": line,
            "rfq_item_id": item.RfqItemId,
            "quotation_item_id": item.QuotationItemId,
            "quantity": item.Quantity,
            "price": item.Price,
            "unit": item.Unit,
            "description": item.Description,
            "note": item.Note,
        }
        for line, item in enumerate(body.PoItemDetail)
    ]
    reference = editable["document_reference"]
    if postgresql:
        day = _bangkok_day(now)
        params = {
            "day": day,
            "yymmdd": f"{day:%y%m%d}",
            "po": orjson.dumps(_as_json(po)).decode(),
            "search_rest": search_text("", body.ProjectName, body.VendorName, reference),
            "items": orjson.dumps([_as_json(item) for item in items]).decode(),
        }
        return Then(
            _CREATE_IN_ONE, params, lambda _conn, rows: {"PoId": po_id, "PoCode": rows[0][0]}
        )

    def in_turn(conn: Connection) -> dict[str, Any]:
        code = next_po_code(conn, now)
        search = search_text(code, body.ProjectName, body.VendorName, reference)
        _PO_INSERT.run(conn, **po, po_code=code, search_text=search)
        if items:
            _ITEM_INSERT.run_many(conn, [{**item, "po_id": po_id} for item in items])
        return {"PoId": po_id, "PoCode": code}

    return in_turn


def edit_po(session: Session, caller: Caller, po_id: str, body: EditPo, now: dt.datetime) -> bool:
    """Replace a Draft's editable fields and items. Items are matched by ``PoItemId``: a known one
    is updated, one without an id (or with an id this PO does not have) is added, and the PO's
    items the body leaves out are removed."""
    po = _po_for(session, "Buyer", caller, po_id)
    if po.status != machine.DRAFT:
        raise Conflict(
            f"PO {po.po_code} is {machine.name(po.status)}; only a Draft (3) can be edited"
        )
    existing = {
        item.id: item for item in session.scalars(select(PoItem).where(PoItem.po_id == po.id))
    }
    seen: set[str] = set()
    for index, item in enumerate(body.PoItemDetail):
        if item.PoItemId is not None and item.PoItemId in existing:
            if item.PoItemId in seen:
                raise BadRequest(f"PoItemId {item.PoItemId} appears twice (PoItemDetail[{index}])")
            seen.add(item.PoItemId)
    for column, wire in _EDITABLE.items():
        setattr(po, column, getattr(body, wire))
    po.search_text = search_text(po.po_code, po.project_name, po.vendor_name, po.document_reference)
    po.updated_at = to_utc_naive(now)
    gone = [item_id for item_id in existing if item_id not in seen]
    if gone:
        session.execute(delete(PoItem).where(PoItem.id.in_(gone)))
    for line, item in enumerate(body.PoItemDetail):
        kept = existing.get(item.PoItemId) if item.PoItemId in seen else None
        if kept is None:
            kept = PoItem(id=new_guid(), po_id=po.id)
            session.add(kept)
        kept.line = line
        kept.quantity, kept.price = item.Quantity, item.Price
        kept.unit, kept.description, kept.note = item.Unit, item.Description, item.Note
    return True


# -- status changes and their events -------------------------------------------------------------


def _move(session: Session, po: PurchaseOrder, side: Side, target: int, now: dt.datetime) -> None:
    """Move ``po`` to ``target`` if the table allows it, recording its event in this transaction."""
    if target not in STATUS_NAMES:
        raise BadRequest(f"Status {target} is not a POStatusEnum value")
    if not machine.allowed(side, po.status, target):
        raise Conflict(
            f"PO {po.po_code} is {machine.name(po.status)}; the {side.lower()} cannot move it to "
            f"{machine.name(target)}"
        )
    event = machine.event_for(side, po.status, target)
    po.status = target
    stamp = to_utc_naive(now)
    po.updated_at = stamp
    if target == machine.PREVIEW and po.sent_at is None:
        po.sent_at = stamp
    if event is not None:
        to_seller = event != machine.SELLER_NEGATE
        audience: Side = "Seller" if to_seller else "Buyer"
        target_ref = po.seller_tax_id if to_seller else po.org_id
        body = payloads.payload(event, po)
        session.add(
            Event(
                type=event,
                po_id=po.id,
                audience=audience,
                target=target_ref,
                payload=dumps(body).decode(),
                created_at=stamp,
            )
        )
        hooks.enqueue_event(session, event, audience, target_ref, body, now)


def change_status(
    session: Session,
    caller: Caller,
    po_id: str,
    path_status: int | None,
    body: ChangeStatus,
    now: dt.datetime,
) -> bool:
    """The buyer's status change, ``Status`` from the path, the body, or both (equal)."""
    if path_status is not None and body.Status is not None and path_status != body.Status:
        raise BadRequest(f"Status {body.Status} in the body differs from {path_status} in the path")
    target = path_status if path_status is not None else body.Status
    if target is None:
        raise BadRequest("Status is required (in the path or the body)")
    if body.PoId is not None and body.PoId != parse_po_id(po_id):
        raise BadRequest("PoId in the body differs from the PoId in the path")
    po = _po_for(session, "Buyer", caller, po_id)
    if body.Reason is not None:
        po.cancel_reason = body.Reason
    po.action_by_type = body.ActionByType or "Buyer"
    _move(session, po, "Buyer", target, now)
    return True


def seller_action(
    session: Session,
    caller: Caller,
    po_id: str,
    target: int,
    body: SellerAction,
    now: dt.datetime,
) -> bool:
    """RequestCancel (-4) or Reject (-3) by the seller the PO was sent to."""
    seller_tax_id(caller, body.SellerTaxId)
    po = _po_for(session, "Seller", caller, po_id)
    po.cancel_reason = body.Reason
    po.cancel_note = body.Note
    po.action_by_type = "Seller"
    _move(session, po, "Seller", target, now)
    return True


def events(session: Session, po_id: str | None = None) -> list[Event]:
    query = select(Event).order_by(Event.id)
    if po_id is not None:
        query = query.where(Event.po_id == po_id)
    return list(session.scalars(query))


def event_body(event: Event) -> Any:
    return orjson.loads(event.payload)
