"""The operator API's bodies (``/admin/easyslip``): applications, branches, transfers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from saphan.core.boundary import NameText
from saphan.easyslip.banks import BY_CODE

#: Text that is stored and shown: one line, no control or bidi formatting characters (the rule
#: for names, ``core.boundary``).
Plain = Annotated[str, NameText]
Name = Annotated[Plain, Field(min_length=1, max_length=200)]
#: No "@", control or white space character (Unicode's, spelled out: ``\s`` is not the same set in
#: Python, Rust and JSON Schema's regular expressions) on either side of the one "@".
_LOCAL = r"[^@\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
_EMAIL = rf"^{_LOCAL}@{_LOCAL}$"
PersonName = Annotated[Plain, Field(max_length=200)]
#: The Integer columns' range: past it PostgreSQL answered "integer out of range" (a 500).
INT_MAX = 2**31 - 1
Quota = Annotated[int, Field(ge=0, le=INT_MAX)]
#: An amount as a string: digits, more than 0, at most 1,000,000,000, at most 2 decimals, no
#: leading zeros (CSV cells are such strings; the document says the same of JSON ones).
MONEY_PATTERN = r"^(0\.([1-9][0-9]?|0[1-9])|[1-9][0-9]{0,8}(\.[0-9]{1,2})?|1000000000(\.0{1,2})?)$"
#: A fee as a string: the same, 0 allowed.
FEE_PATTERN = r"^((0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?|1000000000(\.0{1,2})?)$"


def _decimal_text(pattern: str) -> Any:
    """A string is a decimal only as ``pattern`` writes it (not ``""``, ``" 1"``, ``"1e3"``)."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str) and compiled.fullmatch(value) is None:
            raise PydanticCustomError("decimal_parsing", "Input should be a valid decimal")
        return value

    return BeforeValidator(check)


def _decimal_schema(pattern: str, low: dict[str, int]) -> WithJsonSchema:
    number = {"type": "number", **low, "maximum": 1000000000, "multipleOf": 0.01}
    return WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": pattern}]})


Money = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("1000000000"), decimal_places=2, allow_inf_nan=False),
    _decimal_text(MONEY_PATTERN),
    _decimal_schema(MONEY_PATTERN, {"exclusiveMinimum": 0}),
]
Fee = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("1000000000"), decimal_places=2, allow_inf_nan=False),
    _decimal_text(FEE_PATTERN),
    _decimal_schema(FEE_PATTERN, {"minimum": 0}),
]
#: A transfer's bank: one of /v2/banks' three-digit codes (the ledger's columns hold 3
#: characters; PROMPTPAY and KSHOP, which are no bank a transfer is keyed by, were a 500 on
#: PostgreSQL).
TRANSFER_BANKS = sorted(code for code in BY_CODE if len(code) == 3)
BankCode = Annotated[str, Field(json_schema_extra={"enum": list[Any](TRANSFER_BANKS)})]
Optional64 = Annotated[Plain, Field(max_length=64)] | None


def _in_range(value: dt.datetime) -> dt.datetime:
    if value.date() in (dt.date.min, dt.date.max):
        raise ValueError("must be between 0001-01-02 and 9999-12-30")
    return value


#: A time the server can move to UTC: not on the calendar's first or last day, where an offset
#: took it past the calendar (OverflowError, a 500).
Expiry = Annotated[
    dt.datetime,
    AfterValidator(_in_range),
    Field(json_schema_extra={"pattern": r"^(?!0001-01-01|9999-12-31)"}),
]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


_H = "[0-9A-Fa-f]{1,4}"
_V4 = (
    r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}"
)
#: IPv6 in its hexadecimal forms, "::" at most once (no dotted IPv4 tail, no zone).
_V6 = "|".join(
    [
        f"({_H}:){{7}}{_H}",
        f"({_H}:){{1,7}}:",
        *(f"({_H}:){{1,{6 - n}}}(:{_H}){{1,{n + 1}}}" for n in range(6)),
        f":((:{_H}){{1,7}}|:)",
    ]
)
#: A network as ``ip_network`` reads it (host bits allowed), an address or one with a prefix
#: length: IPv4 /0../32, IPv6 /0../128, no leading zeros.
_NETWORK = f"({_V4}(/(3[0-2]|[12]?[0-9]))?|({_V6})(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?)"
#: ``allowedIps``: networks separated by commas, spaces around them allowed; "" allows any.
ALLOWED_IPS_PATTERN = f"^( *{_NETWORK} *(, *{_NETWORK} *)*)?$"
_ALLOWED_IPS = re.compile(ALLOWED_IPS_PATTERN)
AllowedIps = Annotated[
    str,
    Field(
        max_length=1000,
        description="Comma-separated IPv4 or IPv6 addresses or networks (CIDR); empty: any",
        json_schema_extra={"pattern": ALLOWED_IPS_PATTERN},
    ),
]


def _cidrs(value: str | None) -> str | None:
    """``allowedIps``: the pattern the document gives, and each network one ``ipaddress``
    reads (which the pattern implies)."""
    if value is not None and _ALLOWED_IPS.fullmatch(value) is None:
        raise ValueError("must be IPv4 or IPv6 addresses or networks (CIDR), comma-separated")
    for part in (value or "").split(","):
        if part.strip():
            ipaddress.ip_network(part.strip(), strict=False)
    return value


#: Credit one renewal of the plan costs (``logic.renewal``).
Credit = Annotated[int, Field(ge=0, le=INT_MAX, description="Credit a renewal of the plan costs")]
#: Months a renewal on expiry adds to ``expiresAt``.
RenewMonths = Annotated[int, Field(ge=1, le=1200, description="Months a renewal on expiry adds")]


class ApplicationCreate(In):
    name: Name
    email: Annotated[str, Field(min_length=3, max_length=320, pattern=_EMAIL)]
    productName: Name = "Free Plan"
    #: None: unlimited.
    quotaMax: Quota | None = 100
    autoRenewExpired: bool = False
    autoRenewQuota: bool = False
    credit: Annotated[int, Field(ge=0, le=INT_MAX)] = 0
    renewPrice: Credit = 0
    renewMonths: RenewMonths = 12
    #: Default: a year after creation.
    expiresAt: Expiry | None = None
    allowedIps: AllowedIps = ""

    _networks = field_validator("allowedIps")(_cidrs)


def _null_only_for_quota_max(schema: dict[str, Any]) -> None:
    """``ApplicationUpdate``'s document: a field may be left out, but only ``quotaMax`` may
    be null (the others are 422 "cannot be null", ``operator.update_application``)."""
    for name, field in schema["properties"].items():
        if name != "quotaMax" and "anyOf" in field:
            kept = [option for option in field.pop("anyOf") if option.get("type") != "null"]
            field.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
            field.pop("default", None)


class ApplicationUpdate(In):
    """The plan and settings; absent fields stay. ``quotaMax: null`` makes it unlimited."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_null_only_for_quota_max)

    name: Name | None = None
    email: Annotated[str, Field(max_length=320, pattern=_EMAIL)] | None = None
    productName: Name | None = None
    quotaMax: Quota | None = None
    autoRenewExpired: bool | None = None
    autoRenewQuota: bool | None = None
    renewPrice: Credit | None = None
    renewMonths: RenewMonths | None = None
    expiresAt: Expiry | None = None
    status: Literal["active", "banned", "deleted"] | None = None
    allowedIps: AllowedIps | None = None

    _networks = field_validator("allowedIps")(_cidrs)


class CreditChange(In):
    """Added to the credit (negative takes away; the credit never goes below 0 nor above
    2^31-1)."""

    amount: Annotated[int, Field(ge=-INT_MAX, le=INT_MAX)]


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
    renewPrice: int
    renewMonths: int
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
    if value is not None and value not in TRANSFER_BANKS:
        raise ValueError("Unknown bank code")
    return value


class TransferIn(In):
    """One transfer of the ledger. Bank transfers are keyed by (``bankCode``, ``transRef``);
    TrueMoney ones (``kind: truewallet``) by ``transRef`` (the transaction id), the receiver's
    phone in ``receiverProxy``. Absent ``transRef`` and ``date`` are made up (now)."""

    kind: Literal["bank", "truewallet"] = "bank"
    bankCode: BankCode = "004"
    transRef: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,64}$")] | None = None
    date: dt.datetime | None = None
    amount: Money
    fee: Fee | None = None
    ref1: Optional64 = None
    ref2: Optional64 = None
    ref3: Optional64 = None
    eventType: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,8}$")] = "P2P"
    senderBankCode: BankCode | None = None
    senderNameTh: PersonName | None = None
    senderNameEn: PersonName | None = None
    senderAccountType: Literal["BANKAC", "TOKEN", "DUMMY"] | None = None
    senderAccount: Annotated[str, Field(pattern=r"^[0-9]{6,20}$")] | None = None
    senderProxyType: Literal["NATID", "MSISDN", "EWALLETID", "EMAIL", "BILLERID"] | None = None
    senderProxy: Optional64 = None
    receiverBankCode: BankCode | None = None
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
