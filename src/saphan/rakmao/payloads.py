"""The bodies of Rakmao's webhook deliveries: exactly the fields of the spec's Webhook Schema
tables (DocumentReady, DocumentBuyerNegate, DocumentCancelAccept, DocumentSellerNegate), about a
PO after the change that caused the event. Every payload is built here and nowhere else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from saphan.rakmao import status as machine
from saphan.rakmao.models import PurchaseOrder

#: PoCreateTypeEnum's DirectPO: the only kind whose DocumentReady carries ``VendorId``.
DIRECT_PO = 3


def money(value: Decimal | None) -> Decimal | None:
    """A stored decimal as the shortest exact JSON number: 1250.0000 -> 1250, 0.5000 -> 0.5."""
    if value is None:
        return None
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


def document_ready(po: PurchaseOrder) -> dict[str, Any]:
    """301, to the seller, when the buyer sends the PO (Draft -> Preview). ``Province`` is left
    out: a PO holds a free-text address, not a province (the spec sends it "only for DirectPO")."""
    payload: dict[str, Any] = {
        "PoId": po.id,
        "PoCode": po.po_code,
        "RfqId": po.rfq_id,
        "QuotationId": po.quotation_id,
        "DocumentFileUrl": po.document_file_url,
        "ContactName": po.contact_name,
        "ContactPhone": po.contact_phone,
        "PoCreateType": po.create_type,
        "ProjectName": po.project_name,
        "GrandTotal": money(po.grand_total),
        "BuyerOrgRefId": po.org_id,
    }
    if po.create_type == DIRECT_PO:
        payload["VendorId"] = po.vendor_id
    return payload


def _ids(po: PurchaseOrder) -> dict[str, Any]:
    return {"PoId": po.id, "RfqId": po.rfq_id, "QuotationId": po.quotation_id}


def buyer_negate(po: PurchaseOrder) -> dict[str, Any]:
    """302, to the seller, when the buyer rejects or cancels."""
    return {
        **_ids(po),
        "Status": po.status,
        "CancelReason": po.cancel_reason,
        "CancelNote": po.cancel_note,
        "ActionByType": po.action_by_type or "Buyer",
    }


def cancel_accept(po: PurchaseOrder) -> dict[str, Any]:
    """303, to the seller, when the buyer accepts the seller's cancel request."""
    return _ids(po)


def seller_negate(po: PurchaseOrder) -> dict[str, Any]:
    """402, to the buyer, when the seller rejects or asks to cancel."""
    return {
        **_ids(po),
        "Status": po.status,
        "CancelReason": po.cancel_reason,
        "CancelNote": po.cancel_note,
    }


BUILDERS = {
    machine.DOCUMENT_READY: document_ready,
    machine.BUYER_NEGATE: buyer_negate,
    machine.CANCEL_ACCEPT: cancel_accept,
    machine.SELLER_NEGATE: seller_negate,
}


def payload(event: int, po: PurchaseOrder) -> dict[str, Any]:
    """The Webhook Schema fields for ``event`` about ``po``."""
    return BUILDERS[event](po)
