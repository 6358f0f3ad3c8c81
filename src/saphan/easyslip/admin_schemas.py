"""The operator API's bodies (``/admin/easyslip``): applications, branches, transfers."""

from __future__ import annotations

import datetime as dt
import ipaddress
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from saphan.core.boundary import NameText
from saphan.easyslip.banks import BY_CODE

#: Text that is stored and shown: one line, no control or bidi formatting characters (the rule
#: for names, ``core.boundary``).
Plain = Annotated[str, NameText]
Name = Annotated[Plain, Field(min_length=1, max_length=200)]
_EMAIL = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$"
PersonName = Annotated[Plain, Field(max_length=200)]
Quota = Annotated[int, Field(ge=0)]
Money = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), decimal_places=2)]
Optional64 = Annotated[Plain, Field(max_length=64)] | None


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _cidrs(value: str | None) -> str | None:
    """``allowedIps``: comma-separated networks, each one ``ipaddress`` reads."""
    for part in (value or "").split(","):
        if part.strip():
            ipaddress.ip_network(part.strip(), strict=False)
    return value


class ApplicationCreate(In):
    name: Name
    email: Annotated[str, Field(min_length=3, max_length=320, pattern=_EMAIL)]
    productName: Name = "Free Plan"
    #: None: unlimited.
    quotaMax: Quota | None = 100
    autoRenewExpired: bool = False
    autoRenewQuota: bool = False
    credit: Annotated[int, Field(ge=0)] = 0
    #: Default: a year after creation.
    expiresAt: dt.datetime | None = None
    allowedIps: Annotated[Plain, Field(max_length=1000)] = ""

    _networks = field_validator("allowedIps")(_cidrs)


class ApplicationUpdate(In):
    """The plan and settings; absent fields stay. ``quotaMax: null`` makes it unlimited."""

    name: Name | None = None
    email: Annotated[str, Field(max_length=320, pattern=_EMAIL)] | None = None
    productName: Name | None = None
    quotaMax: Quota | None = None
    autoRenewExpired: bool | None = None
    autoRenewQuota: bool | None = None
    expiresAt: dt.datetime | None = None
    status: Literal["active", "banned", "deleted"] | None = None
    allowedIps: Annotated[Plain, Field(max_length=1000)] | None = None

    _networks = field_validator("allowedIps")(_cidrs)


class CreditChange(In):
    """Added to the credit (negative takes away; the credit never goes below 0)."""

    amount: int


class ApplicationOut(BaseModel):
    id: int
    name: str
    email: str
    productName: str
    quotaMax: int | None
    used: int
    totalUsed: int
    autoRenewExpired: bool
    autoRenewQuota: bool
    credit: int
    status: str
    allowedIps: str
    createdAt: str
    expiresAt: str


class BranchCreate(In):
    name: Name
    quotaMax: Quota | None = None
    isActive: bool = True


class BranchUpdate(In):
    name: Name | None = None
    quotaMax: Quota | None = None
    isActive: bool | None = None


class BranchOut(BaseModel):
    id: int
    applicationId: int
    name: str
    prefix: str
    isActive: bool
    quotaMax: int | None
    used: int
    totalUsed: int
    createdAt: str


class BranchCreated(BranchOut):
    """The key is shown here once; only its keyed hash is stored."""

    key: str


def _bank(value: str | None) -> str | None:
    if value is not None and value not in BY_CODE:
        raise ValueError("Unknown bank code")
    return value


class TransferIn(In):
    """One transfer of the ledger. Bank transfers are keyed by (``bankCode``, ``transRef``);
    TrueMoney ones (``kind: truewallet``) by ``transRef`` (the transaction id), the receiver's
    phone in ``receiverProxy``. Absent ``transRef`` and ``date`` are made up (now)."""

    kind: Literal["bank", "truewallet"] = "bank"
    bankCode: str = "004"
    transRef: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,64}$")] | None = None
    date: dt.datetime | None = None
    amount: Money
    fee: Annotated[Decimal, Field(ge=0, decimal_places=2)] | None = None
    ref1: Optional64 = None
    ref2: Optional64 = None
    ref3: Optional64 = None
    eventType: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,8}$")] = "P2P"
    senderBankCode: str | None = None
    senderNameTh: PersonName | None = None
    senderNameEn: PersonName | None = None
    senderAccountType: Literal["BANKAC", "TOKEN", "DUMMY"] | None = None
    senderAccount: Annotated[str, Field(pattern=r"^[0-9]{6,20}$")] | None = None
    senderProxyType: Literal["NATID", "MSISDN", "EWALLETID", "EMAIL", "BILLERID"] | None = None
    senderProxy: Optional64 = None
    receiverBankCode: str | None = None
    receiverNameTh: PersonName | None = None
    receiverNameEn: PersonName | None = None
    receiverAccountType: Literal["BANKAC", "TOKEN", "DUMMY"] | None = None
    receiverAccount: Annotated[str, Field(pattern=r"^[0-9]{6,20}$")] | None = None
    receiverProxyType: Literal["NATID", "MSISDN", "EWALLETID", "EMAIL", "BILLERID"] | None = None
    receiverProxy: Optional64 = None
    receiverMerchantId: Optional64 = None

    _banks = field_validator("bankCode", "senderBankCode", "receiverBankCode")(_bank)


class TransferOut(BaseModel):
    id: int
    kind: str
    bankCode: str
    transRef: str
    date: str
    amount: Decimal
    payload: str
    senderNameEn: str | None
    receiverNameEn: str | None
    receiverBankCode: str


class TransfersCreated(BaseModel):
    created: int
