"""Typed client for the Rakmao Open API (spec 002): ``RakmaoClient`` and ``AsyncRakmaoClient``.

    from saphan.rakmao.client import RakmaoClient

    with RakmaoClient(username="acme", password="...") as rakmao:  # or RAKMAO_* variables
        created = rakmao.create_po(CreatePo(...))
        for po in rakmao.iter_buyer_pos(org_id, keyword="ปูน"):
            ...

Two base URLs, as Rakmao has two environments: ``auth_base_url`` (RequestAPIToken and
RenewAPIToken; ``RAKMAO_AUTH_BASE_URL``) and ``base_url`` (the PO API; ``RAKMAO_BASE_URL``).
The client logs in on first use, renews a minute before the token expires (logging in again if
the renewal is refused) and, when the server answers 401 anyway, renews once and repeats the
call. Only reads are retried on connection errors, 429 and 5xx: a create, status change, edit,
reject or cancel request is never repeated (none is idempotent). Money is ``Decimal`` both ways,
sent and read as exact JSON numbers. Imports neither FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

from saphan.core.http_client import RetryPolicy
from saphan.rakmao.client._async import AsyncRakmaoClient
from saphan.rakmao.client._common import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RakmaoConnectionError,
    RakmaoError,
    RakmaoResponseValidationError,
    RakmaoStatusError,
    RakmaoTimeoutError,
    RateLimitError,
    wire_number,
)
from saphan.rakmao.client._sync import RakmaoClient
from saphan.rakmao.schemas import (
    BuyerDocument,
    BuyerListItem,
    ChangeStatus,
    Created,
    CreatePo,
    EditPo,
    Page,
    SellerAction,
    SellerDocument,
    SellerListItem,
)

__all__ = [
    "AsyncRakmaoClient",
    "AuthenticationError",
    "BadRequestError",
    "BuyerDocument",
    "BuyerListItem",
    "ChangeStatus",
    "ConflictError",
    "CreatePo",
    "Created",
    "EditPo",
    "InternalServerError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RakmaoClient",
    "RakmaoConnectionError",
    "RakmaoError",
    "RakmaoResponseValidationError",
    "RakmaoStatusError",
    "RakmaoTimeoutError",
    "RateLimitError",
    "RetryPolicy",
    "SellerAction",
    "SellerDocument",
    "SellerListItem",
    "wire_number",
]
