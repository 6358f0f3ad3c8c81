"""Reading purchase orders: the Buyer and Seller lists (``{count, item}``) and documents, scoped
to the caller's OrgId or TaxId (a seller sees only POs sent to it)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from saphan.core.clock import wire_datetime
from saphan.rakmao.errors import BadRequest
from saphan.rakmao.logic import MAX_PER_PAGE, MONEY_FIELDS, Side, money
from saphan.rakmao.models import PoItem, PoTally, PurchaseOrder

# -- lists and documents -------------------------------------------------------------------------


def _scoped(side: Side, key: str) -> Any:
    if side == "Buyer":
        return PurchaseOrder.org_id == key
    return (PurchaseOrder.seller_tax_id == key) & PurchaseOrder.sent_at.is_not(None)


#: FTS5's trigram tokenizer indexes 3-character windows: a shorter keyword cannot use it.
TRIGRAM = 3

_FTS = table("rakmao_po_fts", column("rowid"))


@cache
def _list_queries(
    side: Side, by_status: bool, keyword: str | None, dialect: str
) -> tuple[Any, Any]:
    """(count, page) statements for one combination of filters, built once.

    ``keyword`` is None (no Keyword), "scan" (LIKE over ``search_text``; on PostgreSQL the
    pg_trgm GIN index serves it when migration 0008 could create it) or "fts" (SQLite: the FTS5
    trigram index finds candidate rows, the LIKE re-checks them). Without a Keyword the count
    comes from ``rakmao_po_tally``."""
    # "fts": the candidate rowids drive the query; the unary + keeps SQLite's planner off the
    # (org|seller, ...) indexes, which would walk every PO of the party and probe the list.
    scope = literal_column("+rakmao_po.org_id") if keyword == "fts" else PurchaseOrder.org_id
    if side == "Buyer":
        where = [scope == bindparam("key")]
        party = PurchaseOrder.vendor_name
    else:
        scope = (
            literal_column("+rakmao_po.seller_tax_id")
            if keyword == "fts"
            else PurchaseOrder.seller_tax_id
        )
        where = [scope == bindparam("key"), PurchaseOrder.sent_at.is_not(None)]
        party = PurchaseOrder.org_name
    if by_status:
        where.append(PurchaseOrder.status == bindparam("status"))
    if keyword is not None:
        where.append(PurchaseOrder.search_text.like(bindparam("keyword"), escape="/"))
    if keyword == "fts":
        matches = select(_FTS.c.rowid).where(text("rakmao_po_fts MATCH :match"))
        where.append(literal_column("rakmao_po.rowid").in_(matches))
    if keyword is None:
        tally = [PoTally.side == side, PoTally.party == bindparam("key")]
        if by_status:
            tally.append(PoTally.status == bindparam("status"))
        count = select(func.coalesce(func.sum(PoTally.n), 0)).where(*tally)
    else:
        count = select(func.count()).select_from(PurchaseOrder).where(*where)
    page = (
        select(
            PurchaseOrder.id,
            PurchaseOrder.po_code,
            PurchaseOrder.project_name,
            party,
            PurchaseOrder.document_file_url,
            PurchaseOrder.created_at,
            PurchaseOrder.grand_total_delivery_fee,
            PurchaseOrder.status,
        )
        .where(*where)
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.po_code.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, page


def _walk_is_cheaper(
    conn: Connection, side: Side, key: str, status: int | None, matches: int
) -> bool:
    """Whether to walk the party's POs newest first (stopping at the page) rather than fetch and
    sort every match: only when most of its POs match (a keyword like "po-"), since matches can
    cluster (a year's PoCodes) far from the newest end."""
    tally = _list_queries(side, bool(status), None, conn.dialect.name)[0]
    total = conn.execute(tally, {"key": key, "status": status}).scalar_one()
    return bool(matches * 2 > total)


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def list_pos(
    conn: Connection,
    side: Side,
    key: str,
    *,
    keyword: str | None,
    status: int | None,
    page: int,
    perpage: int,
) -> dict[str, Any]:
    """``{count, item}``: the side's POs, newest first, filtered by ``Keyword`` (PoCode,
    ProjectName, VendorName, DocumentReference; case-insensitive substring) and ``status``
    (0: all).

    An item's ``GrandTotal`` is what the buyer pays, delivery included (the PO's
    GrandTotalDeliveryFee): the spec's list example shows 500 for the PO whose document has
    GrandTotal 450 and GrandTotalDeliveryFee 500."""
    folded = keyword.strip().lower() if keyword else ""
    params: dict[str, Any] = {"key": key, "limit": perpage, "offset": (page - 1) * perpage}
    if status:
        params["status"] = status
    how: str | None = None
    if folded:
        how = "scan"
        params["keyword"] = "%" + _escape_like(folded) + "%"
        if conn.dialect.name == "sqlite" and len(folded) >= TRIGRAM:
            how = "fts"
            params["match"] = '"' + folded.replace('"', '""') + '"'
    count_query, page_query = _list_queries(side, bool(status), how, conn.dialect.name)
    count = conn.execute(count_query, params).scalar_one()
    if how == "fts" and count and _walk_is_cheaper(conn, side, key, status, count):
        page_query = _list_queries(side, bool(status), "scan", conn.dialect.name)[1]
    rows = conn.execute(page_query, params).all() if count else []
    party_name = "VendorName" if side == "Buyer" else "BuyerOrgName"
    return {
        "count": count,
        "item": [
            {
                "PoId": r[0],
                "PoCode": r[1],
                "ProjectName": r[2],
                party_name: r[3],
                "DocumentFileUrl": r[4],
                "CreateDate": wire_datetime(r[5]),
                "GrandTotal": money(r[6]),
                "Status": r[7],
            }
            for r in rows
        ],
    }


def _items(session: Session, po_ids: Sequence[str]) -> dict[str, list[PoItem]]:
    out: dict[str, list[PoItem]] = {po_id: [] for po_id in po_ids}
    if po_ids:
        for item in session.scalars(
            select(PoItem).where(PoItem.po_id.in_(po_ids)).order_by(PoItem.po_id, PoItem.line)
        ):
            out[item.po_id].append(item)
    return out


def _money_fields(po: PurchaseOrder) -> dict[str, Any]:
    return {
        wire: (getattr(po, column) if "type" in column else money(getattr(po, column)))
        for column, wire in MONEY_FIELDS.items()
    }


def _slashed(value: dt.datetime | None) -> str:
    """The Seller document's dates, as its example writes them: ``"2022/06/01 01:20:30"``."""
    return wire_datetime(value).replace("-", "/")


def buyer_document(po: PurchaseOrder, items: list[PoItem]) -> dict[str, Any]:
    return {
        "PoId": po.id,
        "PoCode": po.po_code,
        "CreateDate": wire_datetime(po.created_at),
        "CreateByUserId": po.create_by_user_id,
        "OrgId": po.org_id,
        "OrgName": po.org_name,
        "RfqId": po.rfq_id,
        "QuotationId": po.quotation_id,
        "ProjectId": po.project_id,
        "ProjectName": po.project_name,
        "VendorId": po.vendor_id,
        "VendorName": po.vendor_name,
        "DocumentFileUrl": po.document_file_url,
        "ContactName": po.contact_name,
        "ContactPhone": po.contact_phone,
        "Address": po.address,
        "Note": po.note,
        "CreateType": po.create_type,
        "Status": po.status,
        "DocumentReference": po.document_reference,
        **_money_fields(po),
        "SellerTaxId": po.seller_tax_id,
        "BuyerTaxId": po.buyer_tax_id,
        "PoItemDetail": [
            {
                "PoItemId": i.id,
                "RfqItemId": i.rfq_item_id,
                "QuotationItemId": i.quotation_item_id,
                "Quantity": money(i.quantity),
                "Price": money(i.price),
                "Unit": i.unit,
                "Description": i.description,
                "Note": i.note,
            }
            for i in items
        ],
    }


def seller_document(po: PurchaseOrder, items: list[PoItem]) -> dict[str, Any]:
    return {
        "PoId": po.id,
        "PoCode": po.po_code,
        "BuyerOrgName": po.org_name,
        "RfqId": po.rfq_id,
        "QuotationId": po.quotation_id,
        "ProjectName": po.project_name,
        "CreateDate": _slashed(po.created_at),
        "SenderDate": _slashed(po.sent_at),
        "VendorName": po.vendor_name,
        "DocumentFileUrl": po.document_file_url,
        "ContactName": po.contact_name,
        "ContactPhone": po.contact_phone,
        "Address": po.address,
        "Note": po.note,
        "CreateType": po.create_type,
        "Status": po.status,
        **_money_fields(po),
        "SellerTaxId": po.seller_tax_id,
        "BuyerTaxId": po.buyer_tax_id,
        "PoItemDetail": [
            {
                "PoItemId": i.id,
                "Quantity": money(i.quantity),
                "Price": money(i.price),
                "Unit": i.unit,
                "Description": i.description,
                "Note": i.note,
            }
            for i in items
        ],
        "CancelReason": po.cancel_reason,
        "CancelNote": po.cancel_note,
    }


def _guid_or_400(name: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise BadRequest(f"{name} must be a GUID") from None


def documents(
    session: Session,
    side: Side,
    key: str,
    *,
    po_id: str | None,
    quotation_id: str | None,
    rfq_id: str | None,
) -> list[dict[str, Any]]:
    """The side's POs matching every reference given (at least one is required)."""
    wanted = {
        PurchaseOrder.id: _guid_or_400("PoId", po_id),
        PurchaseOrder.quotation_id: _guid_or_400("QuotationId", quotation_id),
        PurchaseOrder.rfq_id: _guid_or_400("RfqId", rfq_id),
    }
    conditions = [column == value for column, value in wanted.items() if value is not None]
    if not conditions:
        raise BadRequest("Give one of PoId, QuotationId or RfqId")
    query = (
        select(PurchaseOrder)
        .where(_scoped(side, key), *conditions)
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.po_code.desc())
        .limit(MAX_PER_PAGE)
    )
    pos = list(session.scalars(query))
    items = _items(session, [po.id for po in pos])
    render = buyer_document if side == "Buyer" else seller_document
    return [render(po, items[po.id]) for po in pos]
