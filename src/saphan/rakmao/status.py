"""The PO status machine: who may move a PO from which status to which, and the webhook event
each move records. ``MOVES`` is the whole table (docs/rakmao.md prints it); anything not in it
is refused with 409 naming the current and the requested status.

POStatusEnum: Preview 1 (sent to the seller), Complete 2, Draft 3, PendingPayment 4,
BuyerReject -1, BuyerCancel -2, SellerReject -3, SellerRequestCancel -4, SellerCancel -5,
AllCancel -6, BuyerRequestCancel -7.
"""

from __future__ import annotations

from typing import Final, Literal

from saphan.rakmao.schemas import STATUS_NAMES

Side = Literal["Buyer", "Seller"]

PREVIEW, COMPLETE, DRAFT, PENDING_PAYMENT = 1, 2, 3, 4
BUYER_REJECT, BUYER_CANCEL, SELLER_REJECT, SELLER_REQUEST_CANCEL = -1, -2, -3, -4
SELLER_CANCEL, ALL_CANCEL, BUYER_REQUEST_CANCEL = -5, -6, -7

#: Webhook types (the spec's Webhook Schema).
DOCUMENT_READY, BUYER_NEGATE, CANCEL_ACCEPT, SELLER_NEGATE = 301, 302, 303, 402
EVENT_NAMES: Final = {
    DOCUMENT_READY: "DocumentReady",
    BUYER_NEGATE: "BuyerNegate",
    CANCEL_ACCEPT: "CancelAccept",
    SELLER_NEGATE: "SellerNegate",
}

#: (side, from, to) -> the event recorded (None: no event). Every other move is refused.
MOVES: Final[dict[tuple[Side, int, int], int | None]] = {
    # The buyer sends a draft to the seller, or drops it before the seller ever saw it.
    ("Buyer", DRAFT, PREVIEW): DOCUMENT_READY,
    ("Buyer", DRAFT, BUYER_CANCEL): None,
    # A PO the seller has: the buyer moves it on, or rejects or cancels it.
    ("Buyer", PREVIEW, PENDING_PAYMENT): None,
    ("Buyer", PREVIEW, COMPLETE): None,
    ("Buyer", PREVIEW, BUYER_REJECT): BUYER_NEGATE,
    ("Buyer", PREVIEW, BUYER_CANCEL): BUYER_NEGATE,
    ("Buyer", PREVIEW, BUYER_REQUEST_CANCEL): BUYER_NEGATE,
    ("Buyer", PENDING_PAYMENT, COMPLETE): None,
    ("Buyer", PENDING_PAYMENT, BUYER_CANCEL): BUYER_NEGATE,
    ("Buyer", PENDING_PAYMENT, BUYER_REQUEST_CANCEL): BUYER_NEGATE,
    # The seller asked to cancel: the buyer accepts (cancelled at the seller's request, or by
    # both), declines (back to Preview), or cancels on its own account.
    ("Buyer", SELLER_REQUEST_CANCEL, SELLER_CANCEL): CANCEL_ACCEPT,
    ("Buyer", SELLER_REQUEST_CANCEL, ALL_CANCEL): CANCEL_ACCEPT,
    ("Buyer", SELLER_REQUEST_CANCEL, PREVIEW): None,
    ("Buyer", SELLER_REQUEST_CANCEL, BUYER_CANCEL): BUYER_NEGATE,
    # The buyer asked to cancel: it settles the request itself (both cancel, it cancels, or it
    # withdraws the request).
    ("Buyer", BUYER_REQUEST_CANCEL, ALL_CANCEL): BUYER_NEGATE,
    ("Buyer", BUYER_REQUEST_CANCEL, BUYER_CANCEL): BUYER_NEGATE,
    ("Buyer", BUYER_REQUEST_CANCEL, PREVIEW): None,
    # The seller rejects a PO it was sent, or asks to cancel one it accepted.
    ("Seller", PREVIEW, SELLER_REJECT): SELLER_NEGATE,
    ("Seller", PREVIEW, SELLER_REQUEST_CANCEL): SELLER_NEGATE,
    ("Seller", PENDING_PAYMENT, SELLER_REQUEST_CANCEL): SELLER_NEGATE,
}

#: Statuses no move leaves.
FINAL: Final = frozenset(
    {COMPLETE, BUYER_REJECT, BUYER_CANCEL, SELLER_REJECT, SELLER_CANCEL, ALL_CANCEL}
)


def name(status: int) -> str:
    return f"{STATUS_NAMES.get(status, 'Unknown')} ({status})"


def allowed(side: Side, current: int, target: int) -> bool:
    return (side, current, target) in MOVES


def event_for(side: Side, current: int, target: int) -> int | None:
    return MOVES[(side, current, target)]
