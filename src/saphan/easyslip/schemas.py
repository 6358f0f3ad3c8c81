"""EasySlip's wire (seed 004 and the v2 reference), field for field: requests as the routes
validate them, responses as the OpenAPI documents them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
)

from saphan.core.boundary import NameText
from saphan.easyslip.banks import BANKS, BY_CODE, PROXY_BY_LENGTH, ExtraVerify


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


Remark = Annotated[str, Field(min_length=1, max_length=255)]
#: A name that is stored and shown: one line, no control or bidi formatting characters (the
#: rule for names, ``core.boundary``).
Text200 = Annotated[str, Field(min_length=1, max_length=200), NameText]
#: The document's pattern for an amount written as a string (the server reads any decimal).
AMOUNT_PATTERN = r"^[1-9][0-9]{0,8}(\.[0-9]{1,2})?$"
Amount = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("1000000000"), allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000000},
                {"type": "string", "pattern": AMOUNT_PATTERN},
            ]
        }
    ),
]
#: The document's pattern for an image URL: http(s), no user:password@ (refused: a URL with
#: credentials is VALIDATION_ERROR), no whitespace or control character. Whether its host
#: resolves to an address the guard admits, answers, and serves an image are answers of their
#: own (URL_INVALID_IP_RANGE, IMAGE_URL_UNREACHABLE, INVALID_IMAGE_TYPE), no document's.
URL_PATTERN = r"^https?://[^\x00-\x20\x7f/?#@\\]+([/?#][^\x00-\x20\x7f]*)?$"
ImageUrl = Annotated[
    str, Field(min_length=1, max_length=255, json_schema_extra={"pattern": URL_PATTERN})
]


def _exactly_one(*names: str) -> dict[str, Any]:
    """The JSON schema for "exactly one of ``names`` is given (not null)"."""
    return {
        "oneOf": [{"required": [name], "properties": {name: {"type": "string"}}} for name in names]
    }


class VerifyOptions(Wire):
    remark: Remark | None = None
    matchAccount: bool | None = Field(
        default=None, description="Match the receiver against the registered bank accounts"
    )
    matchAmount: Amount | None = Field(default=None, description="Expected amount in baht")
    checkDuplicate: bool | None = Field(default=None, description="Default false")


class VerifyBankRequest(VerifyOptions):
    """Exactly one of ``payload``, ``base64``, ``url`` (JSON) or ``image`` (multipart/form-data,
    the other fields as form fields)."""

    model_config = ConfigDict(json_schema_extra=_exactly_one("payload", "base64", "url"))

    payload: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        default=None,
        description="The slip's mini QR text",
        examples=["004000060000010103002021900021231231212000115102TH91049C30"],
    )
    base64: str | None = Field(default=None, description="Image, with or without a data URL prefix")
    url: ImageUrl | None = None


class VerifyTrueWalletRequest(VerifyOptions):
    """Exactly one of ``base64``, ``url`` (JSON) or ``image`` (multipart/form-data)."""

    model_config = ConfigDict(json_schema_extra=_exactly_one("base64", "url"))

    base64: str | None = Field(default=None, description="Image, with or without a data URL prefix")
    url: ImageUrl | None = None


EXTRA_VERIFY_VALUES: tuple[ExtraVerify, ...] = get_args(ExtraVerify)
#: ``type`` as the newest documents spell it, and the older partner documents' spellings of it
#: (SAVING, CURRENT), read as the newest (docs/easyslip.md says why).
ACCOUNT_TYPES: dict[str, Literal["PERSONAL", "JURISTIC"]] = {
    "PERSONAL": "PERSONAL",
    "JURISTIC": "JURISTIC",
    "SAVING": "PERSONAL",
    "CURRENT": "JURISTIC",
}


def _extra_verify(value: object) -> str | bool | None:
    """One of the banks' option values, a boolean (the older documents' form) or null."""
    if value is None or isinstance(value, bool) or value in EXTRA_VERIFY_VALUES:
        return value
    raise ValueError(f"Input should be one of {', '.join(EXTRA_VERIFY_VALUES)}, a boolean or null")


#: ``extraVerify`` as the wire takes it; which values an account's bank offers is a rule of its
#: own (``logic.accounts.extra_verify_option``), said for ``POST`` by ``_EXTRA_VERIFY_BY_BANK``.
ExtraVerifyIn = Annotated[
    str | bool | None,
    PlainValidator(_extra_verify),
    WithJsonSchema(
        {"anyOf": [{"enum": list(EXTRA_VERIFY_VALUES)}, {"type": "boolean"}, {"type": "null"}]}
    ),
]
#: A PromptPay number whose proxy type its length in digits tells (``true`` needs one).
_PROXY_NUMBER = (
    "^(" + "|".join(f"[0-9](?:-?[0-9]){{{n - 1}}}" for n in sorted(PROXY_BY_LENGTH)) + ")$"
)
#: An account number: 10 to 15 digits, dashes between them allowed, as the partner documents'
#: examples write them (``123-4-56789-0``); kept as the digits alone.
AccountNumber = Annotated[
    str,
    Field(pattern=r"^[0-9](?:-?[0-9]){9,14}$", examples=["1234567890", "123-4-56789-0"]),
    AfterValidator(lambda number: number.replace("-", "")),
]


def _extra_verify_by_bank() -> dict[str, Any]:
    """The document's rule tying ``extraVerify`` to ``bankCode``: each bank's own values, false
    or null; true where it names one of them (a bank's NAME_NUMBER, a PromptPay number's proxy
    type, nothing for a bank without options)."""
    choices: list[dict[str, Any]] = []
    for values in dict.fromkeys(bank.check_values for bank in BANKS):
        codes = sorted(bank.code for bank in BANKS if bank.check_values == values)
        allowed: list[Any] = [*values, False, None]
        if "NAME_NUMBER" in values:
            allowed.append(True)
        choices.append(
            {"properties": {"bankCode": {"enum": codes}, "extraVerify": {"enum": allowed}}}
        )
        if set(values) >= set(PROXY_BY_LENGTH.values()):
            choices.append(
                {
                    "properties": {
                        "bankCode": {"enum": codes},
                        "bankNumber": {"pattern": _PROXY_NUMBER},
                        "extraVerify": {"const": True},
                    }
                }
            )
    return {"anyOf": choices}


class BankAccountCreate(Wire):
    model_config = ConfigDict(json_schema_extra=_extra_verify_by_bank())

    bankCode: str = Field(
        description="A code of GET /v2/banks",
        examples=["004"],
        json_schema_extra={"enum": list[Any](sorted(BY_CODE))},
    )
    bankNumber: AccountNumber
    nameTh: Text200
    nameEn: Text200
    type: Literal["PERSONAL", "JURISTIC", "SAVING", "CURRENT"] = Field(
        description="PERSONAL or JURISTIC; the older SAVING and CURRENT are read as those"
    )
    extraVerify: ExtraVerifyIn = Field(
        default=None,
        description="One of the bank's extraVerify values (GET /v2/banks), or null; "
        "true and false as the older documents had it",
    )

    @field_validator("bankCode")
    @classmethod
    def _known_bank(cls, value: str) -> str:
        if value not in BY_CODE:
            raise ValueError("Unknown bank code")
        return value


class BankAccountUpdate(Wire):
    extraVerify: ExtraVerifyIn = Field(
        description="One of the account's bank's extraVerify values, null to clear it, "
        "or true/false"
    )


# -- responses ---------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    success: Literal[False]
    error: ErrorBody


class AutoRenew(BaseModel):
    expired: bool
    quota: bool
    createdAt: str
    expiresAt: str


class ApplicationQuota(BaseModel):
    used: int
    max: int | None
    remaining: int | None
    totalUsed: int


class Application(BaseModel):
    name: str
    autoRenew: AutoRenew
    quota: ApplicationQuota


class BranchQuota(BaseModel):
    used: int
    totalUsed: int


class Branch(BaseModel):
    name: str
    isActive: bool
    quota: BranchQuota


class Account(BaseModel):
    email: str
    credit: float


class Product(BaseModel):
    name: str


class InfoData(BaseModel):
    application: Application
    branch: Branch
    account: Account
    product: Product


class InfoResponse(BaseModel):
    success: Literal[True]
    data: InfoData
    message: str


class VerifyOptionOut(BaseModel):
    value: ExtraVerify
    label: str


class BankOut(BaseModel):
    code: str
    nameEn: str
    nameTh: str
    shortCode: str
    swiftCode: str
    extraVerify: list[VerifyOptionOut] | None


class BanksResponse(BaseModel):
    success: Literal[True]
    message: str
    data: list[BankOut]


class HealthData(BaseModel):
    status: str


class HealthResponse(BaseModel):
    success: Literal[True]
    message: str
    data: HealthData


class MatchedBank(BaseModel):
    nameTh: str
    nameEn: str
    code: str
    shortCode: str


class MatchedAccount(BaseModel):
    bank: MatchedBank
    nameTh: str
    nameEn: str
    type: Literal["PERSONAL", "JURISTIC"]
    bankNumber: str


class SlipBank(BaseModel):
    id: str
    name: str | None = None
    short: str | None = None


class SlipName(BaseModel):
    th: str | None = None
    en: str | None = None


class SlipAccountNumber(BaseModel):
    type: Literal["BANKAC", "TOKEN", "DUMMY"]
    account: str


class SlipProxy(BaseModel):
    type: Literal["NATID", "MSISDN", "EWALLETID", "EMAIL", "BILLERID"]
    account: str


class SlipAccount(BaseModel):
    name: SlipName
    bank: SlipAccountNumber | None = None
    proxy: SlipProxy | None = None


class SlipParty(BaseModel):
    bank: SlipBank
    account: SlipAccount


class SlipReceiver(SlipParty):
    merchantId: str | None = None


class LocalAmount(BaseModel):
    """The amount in a foreign currency; ``{"amount": 0, "currency": ""}`` when none. (The
    defaults let the client read an answer of v2's that leaves them out, ``{}``; the server
    always sends them, which the document's answer schemas, in serialization mode, say.)"""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    amount: float = 0
    currency: str = ""


class SlipAmount(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    amount: float
    local: LocalAmount = Field(default_factory=LocalAmount)


class RawSlip(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    payload: str
    transRef: str
    date: str
    countryCode: str
    amount: SlipAmount
    #: 0 when the transfer had no fee (defaults: see ``LocalAmount``).
    fee: float = 0
    #: "" when the transfer had none.
    ref1: str = ""
    ref2: str = ""
    ref3: str = ""
    sender: SlipParty
    receiver: SlipReceiver


class VerifyData(BaseModel):
    remark: str | None = None
    isDuplicate: bool
    matchedAccount: MatchedAccount | None
    amountInOrder: float | None = None
    amountInSlip: float
    isAmountMatched: bool | None = None


class VerifyBankData(VerifyData):
    rawSlip: RawSlip


class VerifyBankResponse(BaseModel):
    success: Literal[True]
    message: str
    data: VerifyBankData


class TrueWalletSender(BaseModel):
    name: str


class TrueWalletReceiver(BaseModel):
    name: str
    phone: str


class TrueWalletSlip(BaseModel):
    transactionId: str
    date: str
    amount: float
    sender: TrueWalletSender
    receiver: TrueWalletReceiver


class VerifyTrueWalletData(VerifyData):
    rawSlip: TrueWalletSlip


class VerifyTrueWalletResponse(BaseModel):
    success: Literal[True]
    message: str
    data: VerifyTrueWalletData


class BankAccountOut(MatchedAccount):
    id: int
    bankCode: str
    extraVerify: ExtraVerify | None
    createdAt: str


class BankAccountResponse(BaseModel):
    success: Literal[True]
    message: str
    data: BankAccountOut


class BankAccountListResponse(BaseModel):
    success: Literal[True]
    message: str
    data: list[BankAccountOut]


def banks_json() -> list[dict[str, Any]]:
    return [
        {
            "code": b.code,
            "nameEn": b.name_en,
            "nameTh": b.name_th,
            "shortCode": b.short,
            "swiftCode": b.swift,
            "extraVerify": (
                None
                if b.checks is None
                else [{"value": o.value, "label": o.label} for o in b.checks]
            ),
        }
        for b in BANKS
    ]
