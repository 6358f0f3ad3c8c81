"""Operator wire models (``/admin/depa``): not depa's wire, Saphan's own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from saphan.core.boundary import NameText
from saphan.core.clock import BANGKOK, WIRE_DATETIME

Status = Literal["Bound", "Activated", "Revoked"]


def _wire_time(value: object) -> object:
    """Accept depa's ``"YYYY-MM-DD HH:MM:SS"`` (Bangkok) or ISO 8601; ``""`` means none."""
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        try:
            return dt.datetime.strptime(value, WIRE_DATETIME).replace(tzinfo=BANGKOK)
        except ValueError:
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=BANGKOK)
    return value


WireTime = Annotated[dt.datetime | None, BeforeValidator(_wire_time)]
#: Names, labels, codes: one line, no control or bidi formatting characters (``core.boundary``).
Text = Annotated[str, NameText]


class DPCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=200, examples=["บริษัท ดิจิทัล โซลูชั่น จำกัด"])


class DPOut(BaseModel):
    id: int
    name: str
    createdAt: str
    voucherCount: int


class KeyCreate(BaseModel):
    label: Text = Field(default="", max_length=200, examples=["production server"])


class KeyOut(BaseModel):
    id: int
    dpId: int
    prefix: str = Field(description="The key's first 8 characters")
    label: str
    createdAt: str
    revokedAt: str


class KeyCreated(KeyOut):
    key: str = Field(description="The API key itself. Shown this once; only its hash is kept.")


class VoucherIn(BaseModel):
    """A voucher as depa issues it; the same field names as GetDPVouchers, so its output
    can be loaded back. Times are Bangkok ``"YYYY-MM-DD HH:MM:SS"`` or ISO 8601."""

    #: An Activated voucher has its activatedTime, a Revoked one its revokedTime
    #: (operator._voucher_row), said as the document can.
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "allOf": [
                {
                    "anyOf": [
                        {"properties": {"status": {"not": {"const": state}}}},
                        {"required": [field], "properties": {field: {"type": "string"}}},
                    ]
                }
                for state, field in (("Activated", "activatedTime"), ("Revoked", "revokedTime"))
            ]
        },
    )

    voucherCode: Text = Field(min_length=1, max_length=50)
    status: Status = "Bound"
    bindingTime: WireTime = None
    revokingTime: WireTime = None
    activatedTime: WireTime = None
    revokedTime: WireTime = None
    registId: Text = Field(default="", max_length=50)
    registType: Text = Field(default="", max_length=50)
    title: Text = Field(default="", max_length=50)
    firstName: Text = Field(default="", max_length=200)
    lastName: Text = Field(default="", max_length=200)
    idCard: Text = Field(default="", max_length=20)
    mobileNo: Text = Field(default="", max_length=20)
    email: Text = Field(default="", max_length=200)
    addrNo: Text = Field(default="", max_length=50)
    moo: Text = Field(default="", max_length=50)
    provinceName: Text = Field(default="", max_length=100)
    amphurName: Text = Field(default="", max_length=100)
    tambonName: Text = Field(default="", max_length=100)
    postcode: Text = Field(default="", max_length=10)
    productName: Text = Field(default="", max_length=200)


class VouchersCreated(BaseModel):
    created: int


class Transition(BaseModel):
    at: WireTime = Field(default=None, description="When it happened; now when omitted")


class UsageOut(BaseModel):
    voucherCode: str
    isProduction: bool
    accessDate: str
    appUserId: str
    accessCount: int
    accessTime: int
    lat: float
    lon: float
    createdTime: str


class VoucherOut(BaseModel):
    dpId: int
    voucherCode: str
    status: str
    bindingTime: str
    revokingTime: str
    activatedTime: str
    revokedTime: str


class VoucherPage(BaseModel):
    total: int
    page: int
    perPage: int
    items: list[VoucherOut]
