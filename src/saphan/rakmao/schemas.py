"""Rakmao's wire (spec 002), field for field with the spec's names (``Beforvat`` included).

Request models are validated after ``jsonread`` has read the body (trailing commas allowed) and
matched property names case-insensitively; unknown properties are ignored, as the spec's own
examples send some (``CreateType`` and ``PoId`` in the edit example).
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")


#: A GUID as ``str(uuid.UUID(...))`` writes it, which is how most bodies send them.
_CANONICAL_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _guid(value: str) -> str:
    if _CANONICAL_GUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError("must be a GUID such as b1b7711b-158f-48fe-adc0-9cfb52565911") from None


Guid = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"format": "uuid"}),
    AfterValidator(_guid),
]
#: A decimal written as a string: digits, at most 11 before the point and 4 after it.
MONEY_PATTERN = r"^[0-9]{1,11}(\.[0-9]{1,4})?$"
_MONEY_TEXT = re.compile(MONEY_PATTERN)


def _money_text(value: Any) -> Any:
    """A string is a decimal only as ``MONEY_PATTERN`` writes it (``"12.50"``; not ``""``,
    ``" 1"``, ``"1e3"`` or ``"+1"``), which is what the OpenAPI document says."""
    if isinstance(value, str) and _MONEY_TEXT.fullmatch(value) is None:
        raise PydanticCustomError("decimal_parsing", "Input should be a valid decimal")
    return value


#: Money and quantities: exact, never negative, at most 15 significant digits and 4 decimals;
#: a JSON number (the spec's type) or a string of one (docs/rakmao.md, "Money").
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=15, decimal_places=4, allow_inf_nan=False),
    BeforeValidator(_money_text),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 99999999999.9999,
                    "multipleOf": 0.0001,
                },
                {"type": "string", "pattern": MONEY_PATTERN},
            ]
        }
    ),
]
Text = Annotated[str, Field(max_length=300)]
LongText = Annotated[str, Field(max_length=2000)]
Small = Annotated[int, Field(ge=0, le=1_000_000)]

#: POStatusEnum.
STATUS_NAMES: dict[int, str] = {
    1: "Preview",
    2: "Complete",
    3: "Draft",
    4: "PendingPayment",
    -1: "BuyerReject",
    -2: "BuyerCancel",
    -3: "SellerReject",
    -4: "SellerRequestCancel",
    -5: "SellerCancel",
    -6: "AllCancel",
    -7: "BuyerRequestCancel",
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


# -- auth ----------------------------------------------------------------------------------------


class BareBody(_Request):
    """A body of one field that may also come as that field's value alone: a JSON string, or
    ``text/plain`` (the spec's RequestAPIToken example sends the bare string)."""


class AuthenString(BareBody):
    """RequestAPIToken: the body is the authen string itself (a JSON string) or this object."""

    authenString: str = Field(min_length=1, max_length=4096)


class RefreshTokenBody(BareBody):
    """RenewAPIToken: the body is the refresh token itself (a JSON string) or this object."""

    refreshToken: str = Field(min_length=1, max_length=4096)


class Credentials(_Request):
    """What an authen string decodes to: base64 of ``{"UserName": ..., "Password": ...}``."""

    UserName: str = Field(min_length=1, max_length=100)
    Password: str = Field(min_length=1, max_length=1024)


class TokenData(BaseModel):
    token: str = Field(description='The access token, prefixed "Bearer "')
    refreshToken: str = Field(description='The refresh token, prefixed "Bearer "')
    expiration: int = Field(description="When the access token expires, unix seconds")


# -- buyer ---------------------------------------------------------------------------------------


class CreateItem(_Request):
    RfqItemId: Guid
    QuotationItemId: Guid
    Quantity: Money
    Price: Money
    Unit: Annotated[str, Field(max_length=100)]
    Description: LongText
    Note: LongText | None = None


class CreatePo(_Request):
    CreateByUserId: Annotated[str, Field(max_length=100)]
    CreateByUserName: Text
    OrgId: Guid
    OrgName: Text
    RfqId: Guid
    QuotationId: Guid
    ProjectId: Guid
    ProjectName: Annotated[str, Field(max_length=500)]
    VendorId: Guid
    VendorName: Annotated[str, Field(max_length=500)]
    DocumentFileUrl: LongText | None = None
    ContactName: Text
    ContactPhone: Annotated[str, Field(max_length=50)]
    Address: LongText
    Note: LongText | None = None
    CreateType: Literal[1, 2, 3] = Field(description="PoCreateTypeEnum")
    DocumentReference: Annotated[str, Field(max_length=500)] | None = None
    TotalItem: Money
    SubTotal: Money
    Beforvat: Money
    Discount: Money | None = None
    VatType: Small
    VatRate: Money
    VatAmount: Money
    DeliveryFee: Money | None = None
    DeliveryVatType: Small | None = None
    DeliveryVatRate: Money | None = None
    DeliveryVatAmount: Money | None = None
    GrandTotal: Money
    GrandTotalDeliveryFee: Money
    SellerTaxId: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z-]+$")]
    BuyerTaxId: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z-]+$")]
    PoItemDetail: list[CreateItem] = Field(min_length=1, max_length=1000)


class EditItem(_Request):
    PoItemId: Guid | None = None
    Quantity: Money
    Price: Money
    Unit: Annotated[str, Field(max_length=100)]
    Description: LongText
    Note: LongText | None = None


class EditPo(_Request):
    CreateByUserId: Annotated[str, Field(max_length=100)]
    CreateByUserName: Text
    DocumentFileUrl: LongText | None = None
    ContactName: Text
    ContactPhone: Annotated[str, Field(max_length=50)]
    Address: LongText
    Note: LongText | None = None
    DocumentReference: Annotated[str, Field(max_length=500)] | None = None
    TotalItem: Money
    SubTotal: Money
    Beforvat: Money
    Discount: Money | None = None
    VatType: Small
    VatRate: Money
    VatAmount: Money
    DeliveryFee: Money | None = None
    DeliveryVatType: Small | None = None
    DeliveryVatRate: Money | None = None
    DeliveryVatAmount: Money | None = None
    GrandTotal: Money
    GrandTotalDeliveryFee: Money
    PoItemDetail: list[EditItem] = Field(min_length=1, max_length=1000)


def _capitalised(value: object) -> object:
    """``"buyer"``/``"ADMIN"`` -> ``"Buyer"``/``"Admin"``: values match in any case too."""
    return value.capitalize() if isinstance(value, str) else value


#: A POStatusEnum value, as the document says it (the rules refuse any other: 400).
StatusValue = Annotated[
    int,
    WithJsonSchema(
        {"type": "integer", "enum": sorted(STATUS_NAMES), "description": "POStatusEnum"}
    ),
]


class ChangeStatus(_Request):
    """``Status`` may come in the path (``/Status/{Status}``), the body, or both (equal)."""

    Status: StatusValue | None = Field(default=None, description="POStatusEnum")
    PoId: Guid | None = None
    CreateByUserId: Annotated[str, Field(max_length=100)]
    CreateByUserName: Text
    Reason: LongText | None = None
    ActionByType: Annotated[Literal["Buyer", "Admin"] | None, BeforeValidator(_capitalised)] = (
        Field(
            default=None,
            validation_alias=AliasChoices("ActionByType", "ActionBy"),
            description='"Buyer" or "Admin"; the spec\'s example calls it ActionBy, also accepted',
        )
    )


class ChangeStatusInBody(ChangeStatus):
    """The body of ``PUT /Buyer/{PoId}/Status`` as its document says it: without a ``Status``
    in the path, the body must carry one (the route reads ``ChangeStatus``; the rules say so)."""

    Status: StatusValue = Field(description="POStatusEnum")


# -- seller --------------------------------------------------------------------------------------


class SellerAction(_Request):
    CreateByUserId: Annotated[str, Field(max_length=100)]
    CreateByUserName: Text
    SellerTaxId: Annotated[str, Field(min_length=1, max_length=20)]
    Reason: LongText | None = None
    Note: LongText | None = None


# -- responses -----------------------------------------------------------------------------------


class Envelope(BaseModel, Generic[T]):
    """The Rakmao Standard Object: every answer, errors included (``data`` null)."""

    status: int = Field(examples=[200])
    message: str = Field(examples=["Success"])
    data: T | None = None


class Created(BaseModel):
    PoId: str
    PoCode: str


class BuyerListItem(BaseModel):
    PoId: str
    PoCode: str
    ProjectName: str
    VendorName: str
    DocumentFileUrl: str | None = None
    CreateDate: str
    GrandTotal: Decimal
    Status: int


class SellerListItem(BaseModel):
    PoId: str
    PoCode: str
    ProjectName: str
    BuyerOrgName: str
    DocumentFileUrl: str | None = None
    CreateDate: str
    GrandTotal: Decimal
    Status: int


class Page(BaseModel, Generic[T]):
    count: int
    item: list[T]


class DocumentItem(BaseModel):
    PoItemId: str
    RfqItemId: str | None = None
    QuotationItemId: str | None = None
    Quantity: Decimal
    Price: Decimal
    Unit: str
    Description: str
    Note: str | None = None


class _DocumentMoney(BaseModel):
    TotalItem: Decimal
    SubTotal: Decimal
    Beforvat: Decimal
    Discount: Decimal | None = None
    VatType: int
    VatRate: Decimal
    VatAmount: Decimal
    DeliveryFee: Decimal | None = None
    DeliveryVatType: int | None = None
    DeliveryVatRate: Decimal | None = None
    DeliveryVatAmount: Decimal | None = None
    GrandTotal: Decimal
    GrandTotalDeliveryFee: Decimal


class BuyerDocument(_DocumentMoney):
    PoId: str
    PoCode: str
    CreateDate: str
    CreateByUserId: str
    OrgId: str
    OrgName: str
    RfqId: str
    QuotationId: str
    ProjectId: str
    ProjectName: str
    VendorId: str
    VendorName: str
    DocumentFileUrl: str | None = None
    ContactName: str
    ContactPhone: str
    Address: str
    Note: str | None = None
    CreateType: int
    Status: int
    DocumentReference: str | None = None
    SellerTaxId: str
    BuyerTaxId: str
    PoItemDetail: list[DocumentItem]


class SellerDocument(_DocumentMoney):
    PoId: str
    PoCode: str
    Status: int
    BuyerOrgName: str
    RfqId: str
    QuotationId: str
    CreateDate: str
    SenderDate: str
    ProjectName: str
    VendorName: str
    DocumentFileUrl: str | None = None
    ContactName: str
    ContactPhone: str
    Address: str
    Note: str | None = None
    CreateType: int
    SellerTaxId: str
    BuyerTaxId: str
    PoItemDetail: list[DocumentItem]
    CancelReason: str | None = None
    CancelNote: str | None = None


ErrorResponse = Envelope[Any]
