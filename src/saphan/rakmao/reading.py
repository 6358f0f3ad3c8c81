"""Reading purchase orders: the Buyer and Seller lists (``{count, item}``) and documents, scoped
to the caller's OrgId or TaxId (a seller sees only POs sent to it)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from functools import cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ARRAY,
    Connection,
    String,
    any_,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    true,
    tuple_,
)
from sqlalchemy.orm import Session

from saphan.core.answer_cache import AnswerCache
from saphan.core.clock import wire_datetime
from saphan.core.db import Database
from saphan.core.fresh import FreshCache
from saphan.core.statement import Statement
from saphan.rakmao.errors import BadRequest
from saphan.rakmao.logic import MAX_PER_PAGE, MONEY_FIELDS, Side, money
from saphan.rakmao.models import PoItem, PoRevision, PoTally, PurchaseOrder

# -- lists and documents -------------------------------------------------------------------------


def _scoped(side: Side, key: str) -> Any:
    if side == "Buyer":
        return PurchaseOrder.org_id == key
    return (PurchaseOrder.seller_tax_id == key) & PurchaseOrder.sent_at.is_not(None)


#: FTS5's trigram tokenizer indexes 3-character windows: a shorter keyword cannot use it.
TRIGRAM = 3

_FTS = table("rakmao_po_fts", column("rowid"))


def _filters(side: Side, by_status: bool, keyword: str | None) -> tuple[list[Any], Any]:
    """The WHERE of a list and the column of the other party's name.

    ``keyword`` is None (no Keyword), "scan" (LIKE over ``search_text``; on PostgreSQL the
    pg_trgm GIN index serves it when migration 0008 could create it) or "fts" (SQLite: the FTS5
    trigram index finds candidate rows, the LIKE re-checks them)."""
    # "fts": the candidate rowids drive the query; the unary + keeps SQLite's planner off the
    # (org|seller, ...) indexes, which would walk every PO of the party and probe the list.
    if side == "Buyer":
        scope = literal_column("+rakmao_po.org_id") if keyword == "fts" else PurchaseOrder.org_id
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
    return where, party


_NEWEST_FIRST = (PurchaseOrder.created_at.desc(), PurchaseOrder.po_code.desc())


def _listed(party: Any) -> tuple[Any, ...]:
    """What a list item is read from, in ``_item``'s order."""
    return (
        PurchaseOrder.id,
        PurchaseOrder.po_code,
        PurchaseOrder.project_name,
        party,
        PurchaseOrder.document_file_url,
        PurchaseOrder.created_at,
        PurchaseOrder.grand_total_delivery_fee,
        PurchaseOrder.status,
    )


@cache
def _list_queries(side: Side, by_status: bool, keyword: str | None) -> tuple[Any, Any]:
    """(count, page) statements for one combination of filters (``_filters``), built once.
    Without a Keyword the count comes from ``rakmao_po_tally``."""
    where, party = _filters(side, by_status, keyword)
    if keyword is None:
        tally = [PoTally.side == side, PoTally.party == bindparam("key")]
        if by_status:
            tally.append(PoTally.status == bindparam("status"))
        count = select(func.coalesce(func.sum(PoTally.n), 0)).where(*tally)
    else:
        count = select(func.count()).select_from(PurchaseOrder).where(*where)
    page = (
        select(*_listed(party))
        .where(*where)
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, page


@cache
def _matches_query(side: Side, by_status: bool, keyword: str) -> Any:
    """A Keyword search's matching PoIds, newest first, at most ``limit`` of them."""
    where, _party = _filters(side, by_status, keyword)
    return select(PurchaseOrder.id).where(*where).order_by(*_NEWEST_FIRST).limit(bindparam("limit"))


_REVISION_NOW = select(PoRevision.rev).where(
    PoRevision.side == bindparam("side"), PoRevision.party == bindparam("key")
)
_REVISION = Statement(_REVISION_NOW)


def _kept_page(side: Side) -> Callable[[str], Any]:
    """The party's revision and the list columns of the POs whose ids are given (a JSON array
    on SQLite, an array on PostgreSQL), in one statement whatever the page's length. Rows:
    (revision, then ``_listed``'s columns, all NULL when no id is given)."""
    party = PurchaseOrder.vendor_name if side == "Buyer" else PurchaseOrder.org_name

    def build(dialect: str) -> Any:
        if dialect == "postgresql":
            chosen = PurchaseOrder.id == any_(bindparam("ids", type_=ARRAY(String)))
        else:
            given: Any = select(literal_column("value")).select_from(
                func.json_each(bindparam("ids"))
            )
            chosen = PurchaseOrder.id.in_(given)
        revision = select(_REVISION_NOW.scalar_subquery().label("rev")).subquery("revision")
        page = select(*_listed(party)).where(chosen).subquery("page")
        return select(*revision.c, *page.c).select_from(revision.outerjoin(page, true()))

    return build


_KEPT_PAGE = {side: Statement(_kept_page(side)) for side in ("Buyer", "Seller")}


def _plain_list(side: Side, by_status: bool, anchored: bool) -> Callable[[str], Any]:
    """A list without a Keyword in one statement (one round trip on PostgreSQL): the count
    from the tallies and the party's revision, joined to the page, whose POs are found on the
    list's index alone (SQLite's rowid is in every index; PostgreSQL's list indexes include
    the id, migration 0011), then only those rows read. A page deep in a big list skips
    thousands of index entries either way; this way it skips no table rows (PostgreSQL,
    offset 5,000: ~2.8 -> ~1.2 ms). ``anchored``: the page is counted from the PO whose sort
    key is (``at_created``, ``at_code``) rather than from the newest (``Positions``). Rows:
    (count, revision, then ``_listed``'s columns, all NULL when the page is empty)."""

    def build(dialect: str) -> Any:
        where, party = _filters(side, by_status, None)
        if anchored:
            where.append(
                tuple_(PurchaseOrder.created_at, PurchaseOrder.po_code)
                <= tuple_(
                    bindparam("at_created", type_=PurchaseOrder.created_at.type),
                    bindparam("at_code", type_=PurchaseOrder.po_code.type),
                )
            )
        key = literal_column("rakmao_po.rowid") if dialect == "sqlite" else PurchaseOrder.id
        chosen = (
            select(key)
            .where(*where)
            .order_by(*_NEWEST_FIRST)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        tally = _list_queries(side, by_status, None)[0]
        counted = tally.add_columns(_REVISION_NOW.scalar_subquery().label("rev")).subquery()
        page = select(*_listed(party)).where(key.in_(chosen)).subquery("page")
        return (
            select(*counted.c, *page.c)
            .select_from(counted.outerjoin(page, true()))
            .order_by(page.c.created_at.desc(), page.c.po_code.desc())
        )

    return build


_PLAIN = {
    (side, by_status, anchored): Statement(_plain_list(side, by_status, anchored))
    for side in ("Buyer", "Seller")
    for by_status in (False, True)
    for anchored in (False, True)
}


@cache
def _positions_query(side: Side, by_status: bool) -> Any:
    """The sort keys of every ``step``-th PO of a list, from the newest (position 0)."""
    where, _party = _filters(side, by_status, None)
    numbered = (
        select(
            PurchaseOrder.created_at,
            PurchaseOrder.po_code,
            (func.row_number().over(order_by=_NEWEST_FIRST) - 1).label("position"),
        )
        .where(*where)
        .subquery()
    )
    return (
        select(numbered.c.created_at, numbered.c.po_code)
        .where(numbered.c.position % bindparam("step") == 0)
        .order_by(numbered.c.position)
    )


class Positions:
    """Where a big list's pages start: the sort key of every ``step``-th PO, per (side, party,
    status), under the party's revision (as ``Searches``). A page at offset 5,000 then skips at
    most ``step`` index entries, not 5,000 (SQLite ~0.45 ms, PostgreSQL ~1 ms, each such page).

    Working them out walks the whole list once (tens of ms over 100,000 POs), so it is done
    only when a deep page finds the same revision as the deep page before it: a party whose
    POs are written all the time pages by offset, as before, rather than working positions out
    again for every page. Bounded in lists, the least recently used dropped first."""

    def __init__(self, step: int = 500, max_lists: int = 1_000) -> None:
        self.step = step
        self._max = max_lists
        self._kept: OrderedDict[Hashable, tuple[int | None, list[tuple[Any, str]]]] = OrderedDict()
        #: The revision the last deep page of each list saw without kept positions.
        self._seen: OrderedDict[Hashable, int | None] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many lists' positions are kept."""
        return len(self._kept)

    def get(self, key: Hashable) -> tuple[int | None, list[tuple[Any, str]]] | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def seen_twice(self, key: Hashable, revision: int | None) -> bool:
        """Whether the last deep page of the list saw ``revision`` too (and note it)."""
        with self._lock:
            again = key in self._seen and self._seen[key] == revision
            self._seen[key] = revision
            self._seen.move_to_end(key)
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return again

    def put(self, key: Hashable, revision: int | None, keys: list[tuple[Any, str]]) -> None:
        with self._lock:
            self._kept[key] = (revision, keys)
            self._kept.move_to_end(key)
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)


#: A search keeps its matches when there are at most this many: a Keyword matching most of a
#: big party's POs ("po-") is answered by the count and page statements each time instead.
KEPT_MATCHES = 20_000


class Searches:
    """Keyword searches' matching PoIds, newest first, by (side, party, status, keyword), each
    under the party's revision when it was read (``rakmao_po_rev``, migration 0011).

    A search costs a scan of every match (4-18 ms for the bench's keywords over 100,000 POs,
    SQLite); paging through its results, or the same search again, costs the revision and one
    page of POs by id while nothing the party lists has been written. The revision is read in
    the request's own database work, so a write by any process or machine is seen at once.
    Bounded by the PoIds held, the least recently used search dropped first; used from the event
    loop and worker threads alike."""

    def __init__(self, max_ids: int = 200_000, keep: int = KEPT_MATCHES) -> None:
        #: The most matches one search may have and be kept.
        self.keep = keep
        self._max = max_ids
        self._held = 0
        self._entries: OrderedDict[Hashable, tuple[int | None, list[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many searches are kept."""
        return len(self._entries)

    def get(self, key: Hashable) -> tuple[int | None, list[str]] | None:
        """(revision, PoIds) kept for the search, whatever the party's revision is now."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, revision: int | None, ids: list[str]) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._held -= len(old[1])
            self._entries[key] = (revision, ids)
            self._held += len(ids)
            while self._held > self._max and len(self._entries) > 1:
                _key, (_rev, dropped) = self._entries.popitem(last=False)
                self._held -= len(dropped)


class Listed(NamedTuple):
    """A list answer and the party's revision it was read at. ``kept``: whether the answer is
    exactly the list at that revision (read in one statement, or from matches kept under it),
    so that it may be kept under it (``KeptLists``)."""

    answer: dict[str, Any]
    revision: int | None
    kept: bool = True


class KeptLists:
    """Rendered list answers, per process, under their party's revision (``core.answer_cache``).

    The revision is read at most every half second per party (``core.fresh``), so a page asked
    again while nothing the party lists has been written is answered from memory, with no
    database read: another process's or machine's write is seen within that bound, this
    process's own at once (``forget``, after every PO it writes)."""

    def __init__(self, db: Database, max_bytes: int) -> None:
        self.revisions: FreshCache[tuple[Side, str], int | None] = FreshCache(db)
        self.answers: AnswerCache[Hashable] = AnswerCache(max_bytes)

    async def revision(self, side: Side, party: str) -> int | None:
        return await self.revisions.read((side, party), _revision_of)

    def forget(self) -> None:
        """This process wrote POs: read every party's revision again."""
        self.revisions.clear()


def _revision_of(conn: Connection, listed: tuple[Side, str]) -> int | None:
    revision: int | None = _REVISION.scalar(conn, side=listed[0], key=listed[1])
    return revision


def _walk_is_cheaper(
    conn: Connection, side: Side, key: str, status: int | None, matches: int
) -> bool:
    """Whether to walk the party's POs newest first (stopping at the page) rather than fetch and
    sort every match: only when most of its POs match (a keyword like "po-"), since matches can
    cluster (a year's PoCodes) far from the newest end."""
    tally = _list_queries(side, bool(status), None)[0]
    total = conn.execute(tally, {"key": key, "status": status}).scalar_one()
    return bool(matches * 2 > total)


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _item(side: Side, row: Sequence[Any]) -> dict[str, Any]:
    return {
        "PoId": row[0],
        "PoCode": row[1],
        "ProjectName": row[2],
        "VendorName" if side == "Buyer" else "BuyerOrgName": row[3],
        "DocumentFileUrl": row[4],
        "CreateDate": wire_datetime(row[5]),
        "GrandTotal": money(row[6]),
        "Status": row[7],
    }


def list_pos(
    conn: Connection,
    side: Side,
    key: str,
    *,
    keyword: str | None,
    status: int | None,
    page: int,
    perpage: int,
    searches: Searches,
    positions: Positions,
    scan: bool = True,
) -> Listed | None:
    """``{count, item}``: the side's POs, newest first, filtered by ``Keyword`` (PoCode,
    ProjectName, VendorName, DocumentReference; case-insensitive substring) and ``status``
    (0: all). A Keyword search's matches come from ``searches`` when it holds them, a deep
    page starts from ``positions``; when either must first be worked out and ``scan`` is
    false, None (the caller runs it again where a scan may run). The answer comes with the
    party's revision it was read at (``Listed``).

    An item's ``GrandTotal`` is what the buyer pays, delivery included (the PO's
    GrandTotalDeliveryFee): the spec's list example shows 500 for the PO whose document has
    GrandTotal 450 and GrandTotalDeliveryFee 500."""
    folded = keyword.strip().lower() if keyword else ""
    offset = (page - 1) * perpage
    params: dict[str, Any] = {"key": key, "limit": perpage, "offset": offset}
    if status:
        params["status"] = status
    if not folded:
        return _plain(conn, side, key, status, params, positions, scan)
    search = (side, key, status or 0, folded)
    kept = searches.get(search)
    if kept is not None:
        revision, answer = _from_kept(conn, side, key, kept[1], offset, perpage)
        if revision == kept[0]:
            return Listed(answer, revision)
    else:
        revision = _REVISION.scalar(conn, side=side, key=key)
    # The revision was read before the scan: a write committed in between leaves the kept
    # matches newer than their revision, which only costs a scan more.
    if not scan:
        return None
    how = "scan"
    params["keyword"] = "%" + _escape_like(folded) + "%"
    if conn.dialect.name == "sqlite" and len(folded) >= TRIGRAM:
        how = "fts"
        params["match"] = '"' + folded.replace('"', '""') + '"'
    found = conn.execute(
        _matches_query(side, bool(status), how), {**params, "limit": searches.keep + 1}
    )
    ids = list(found.scalars())
    if len(ids) > searches.keep:
        return _unkept(conn, side, key, status, how, params)
    searches.put(search, revision, ids)
    now, answer = _from_kept(conn, side, key, ids, offset, perpage)
    return Listed(answer, revision, kept=now == revision)


def _plain(
    conn: Connection,
    side: Side,
    key: str,
    status: int | None,
    params: dict[str, Any],
    positions: Positions,
    scan: bool,
) -> Listed | None:
    """A list without a Keyword: from the nearest kept position when the page is deep."""
    offset: int = params["offset"]
    listed = (side, key, status or 0)
    plain = {**params, "side": side}
    if offset >= positions.step:
        kept = positions.get(listed)
        if kept is not None:
            revision, keys = kept
            start = min(offset // positions.step, len(keys) - 1)
            at_created, at_code = keys[start]
            rows = _PLAIN[side, bool(status), True].rows(
                conn,
                **{**plain, "offset": offset - start * positions.step},
                at_created=at_created,
                at_code=at_code,
            )
            if rows[0][1] == revision:
                return _plain_answer(side, rows)
    rows = _PLAIN[side, bool(status), False].rows(conn, **plain)
    revision = rows[0][1]
    if offset >= positions.step and positions.seen_twice(listed, revision):
        if not scan:
            return None
        found = conn.execute(
            _positions_query(side, bool(status)), {**plain, "step": positions.step}
        ).all()
        positions.put(listed, revision, [(r[0], r[1]) for r in found])
    return _plain_answer(side, rows)


def _plain_answer(side: Side, rows: Sequence[Sequence[Any]]) -> Listed:
    """Rows: (count, revision, then ``_listed``'s columns), read in one statement."""
    items = [_item(side, r[2:]) for r in rows if r[2] is not None]
    return Listed({"count": rows[0][0], "item": items}, rows[0][1])


def _from_kept(
    conn: Connection, side: Side, key: str, ids: list[str], offset: int, perpage: int
) -> tuple[int | None, dict[str, Any]]:
    """The party's revision now, and the page of a search whose matches are ``ids``."""
    chosen = ids[offset : offset + perpage]
    given: Any = chosen if conn.dialect.name == "postgresql" else orjson.dumps(chosen).decode()
    rows = _KEPT_PAGE[side].rows(conn, side=side, key=key, ids=given)
    place = {po_id: i for i, po_id in enumerate(chosen)}
    read = sorted((r[1:] for r in rows if r[1] is not None), key=lambda r: place[r[0]])
    return rows[0][0], {"count": len(ids), "item": [_item(side, r) for r in read]}


def _unkept(
    conn: Connection, side: Side, key: str, status: int | None, how: str, params: dict[str, Any]
) -> Listed:
    """A search with too many matches to keep: counted, and its page read, each time."""
    count_query, page_query = _list_queries(side, bool(status), how)
    count = conn.execute(count_query, params).scalar_one()
    if how == "fts" and _walk_is_cheaper(conn, side, key, status, count):
        page_query = _list_queries(side, bool(status), "scan")[1]
    rows = conn.execute(page_query, params).all()
    return Listed({"count": count, "item": [_item(side, r) for r in rows]}, None, kept=False)


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
