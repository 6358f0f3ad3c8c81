"""The depa AI-Transformation wire, field for field as the spec writes it (001, section 3)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

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

MAX_USAGE_RECORDS = 100
MAX_PAGE_SIZE = 500
#: The spec's "int" is a 32-bit integer; a larger page number is a 400, not a 500.
MAX_INT = 2_147_483_647
DATE_FORMAT_MESSAGE = "Invalid date format. Use YYYY-MM-DD"
TOO_MANY_RECORDS_MESSAGE = f"Maximum {MAX_USAGE_RECORDS} records allowed per request"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _wire_date(value: str) -> str:
    """``YYYY-MM-DD`` and a real calendar date, or the spec's 400 message."""
    try:
        if _DATE.fullmatch(value):
            dt.date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise PydanticCustomError("date_format", DATE_FORMAT_MESSAGE)


WireDate = Annotated[
    str,
    AfterValidator(_wire_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]


def _integral(value: Any) -> Any:
    """A JSON number with a zero fraction (``3062.0``) as the integer it is; ``3062.5``, ``"5"``
    and ``true`` stay what they are, for the strict check to refuse."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


#: An integer field: JSON Schema's ``integer`` is a value, not a spelling, so ``3062.0`` is one
#: (the OpenAPI document says ``integer``; docs/depa.md, "Types").
WireInt = Annotated[int, BeforeValidator(_integral)]


#: (NUL, which PostgreSQL text cannot hold, never gets here: the input boundary refuses it in
#: any text, ``core.boundary``.)
VoucherCode = Annotated[str, Field(min_length=1, max_length=50)]
AppUserId = str


class _Request(BaseModel):
    # Types as a .NET JSON reader takes them: "5" is not an int, 1 is not a bool.
    model_config = ConfigDict(strict=True, extra="ignore")


class GetDPVouchersRequest(_Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"pageNumber": 1, "pageSize": 500}]})

    pageNumber: WireInt = Field(ge=1, le=MAX_INT, description="Page number starting from 1")
    pageSize: WireInt = Field(ge=1, le=MAX_PAGE_SIZE, description="Records per page (max 500)")


class VoucherUsageRecord(_Request):
    accessDate: WireDate = Field(description='Format: "YYYY-MM-DD" (Asia/Bangkok day)')
    voucherCode: VoucherCode = Field(description="Approved Voucher code")
    appUserId: AppUserId = Field(
        min_length=1, max_length=100, description="User's app account in DP's system"
    )
    accessCount: WireInt = Field(ge=0, le=1_000_000, description="Number of accesses on that date")
    accessTime: WireInt = Field(ge=0, le=1440, description="Total time in minutes (0..1440)")
    lat: float = Field(default=0, ge=-90, le=90, description="Latitude (0 if unavailable)")
    lon: float = Field(default=0, ge=-180, le=180, description="Longitude (0 if unavailable)")


class VoucherUsageRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "isProduction": False,
                    "vouchers": [
                        {
                            "accessDate": "2025-11-16",
                            "voucherCode": "DV-BHRDV9XXXX",
                            "appUserId": "appUserIdYYYYY1",
                            "accessCount": 5,
                            "accessTime": 180,
                            "lat": 13.123456,
                            "lon": 100.123456,
                        }
                    ],
                }
            ]
        }
    )

    isProduction: bool = Field(description="false for UAT, true for Production")
    vouchers: list[VoucherUsageRecord] = Field(
        min_length=1, max_length=MAX_USAGE_RECORDS, description="Max 100 records per call"
    )

    @field_validator("vouchers", mode="before")
    @classmethod
    def _at_most_100(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > MAX_USAGE_RECORDS:
            raise PydanticCustomError("too_many_records", TOO_MANY_RECORDS_MESSAGE, {"bare": True})
        return value


class GetVoucherUsageRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "voucherCode": "DV-BHRDV9XXXX",
                    "fromDate": "2025-01-01",
                    "toDate": "2025-12-31",
                    "isProduction": False,
                }
            ]
        }
    )

    voucherCode: VoucherCode
    fromDate: WireDate
    toDate: WireDate
    isProduction: bool


class Voucher(BaseModel):
    voucherCode: str = Field(examples=["DV-97WHHUXXXX"])
    status: str = Field(description='"Bound", "Activated" or "Revoked"', examples=["Activated"])
    bindingTime: str = Field(
        description="When the voucher was bound to the user", examples=["2025-11-07 18:52:38"]
    )
    revokingTime: str = Field(
        description="Scheduled revocation time", examples=["2026-02-05 18:52:38"]
    )
    activatedTime: str = Field(
        description="When the voucher was activated", examples=["2025-11-13 17:35:40"]
    )
    revokedTime: str = Field(
        description="When the voucher was revoked (empty if active)", examples=[""]
    )
    registId: str = Field(examples=["DV2025102713374000XXXX"])
    registType: str = Field(description='"SME", "Farmer", ...', examples=["SME"])
    title: str = Field(examples=["Mr."])
    firstName: str = Field(examples=["XXXX"])
    lastName: str = Field(examples=["YYYY"])
    idCard: str = Field(examples=["ZZZZZ"])
    mobileNo: str = Field(examples=["AAAAAA"])
    email: str = Field(examples=[""])
    addrNo: str = Field(examples=["79"])
    moo: str = Field(examples=[""])
    provinceName: str = Field(examples=["Bangkok"])
    amphurName: str = Field(examples=["Samphanthawong"])
    tambonName: str = Field(examples=["Chakrawat"])
    postcode: str = Field(examples=["10100"])
    dpName: str = Field(examples=["XXXXX"])
    productName: str = Field(examples=["YYYYY"])


#: The spec's example response (section 3.1), shown in the OpenAPI.
GET_DP_VOUCHERS_EXAMPLE: dict[str, Any] = {
    "success": True,
    "errorMessage": "",
    "totalRecords": 2,
    "pageSize": 500,
    "pageNumber": 1,
    "data": [
        {
            "voucherCode": "DV-97WHHUXXXX",
            "status": "Activated",
            "bindingTime": "2025-11-07 18:52:38",
            "revokingTime": "2026-02-05 18:52:38",
            "activatedTime": "2025-11-13 17:35:40",
            "revokedTime": "",
            "registId": "DV2025102713374000XXXX",
            "registType": "SME",
            "title": "Mr.",
            "firstName": "XXXX",
            "lastName": "YYYY",
            "idCard": "ZZZZZ",
            "mobileNo": "AAAAAA",
            "email": "",
            "addrNo": "79",
            "moo": "",
            "provinceName": "Bangkok",
            "amphurName": "Samphanthawong",
            "tambonName": "Chakrawat",
            "postcode": "10100",
            "dpName": "XXXXX",
            "productName": "YYYYY",
        }
    ],
}


class GetDPVouchersResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [GET_DP_VOUCHERS_EXAMPLE]})

    success: bool = True
    errorMessage: str = ""
    totalRecords: int
    pageSize: int
    pageNumber: int
    data: list[Voucher]


class UsageCounts(BaseModel):
    received: int = Field(description="Records in the request")
    saved: int = Field(description="Records stored, after keeping the latest per voucher and day")


class VoucherUsageResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"success": True, "errorMessage": "", "data": {"received": 1, "saved": 1}}]
        }
    )

    success: bool = True
    errorMessage: str = ""
    data: UsageCounts


class UsageRow(BaseModel):
    voucherCode: str = Field(examples=["DV-BHRDV9XXXX"])
    accessDate: str = Field(examples=["2025-11-16"])
    appUserId: str = Field(examples=["appUserIdYYYYY1"])
    accessCount: WireInt = Field(examples=[5])
    accessTime: WireInt = Field(examples=[180])
    lat: float = Field(description="Single precision: 6 significant digits", examples=[13.1235])
    lon: float = Field(description="Single precision: 6 significant digits", examples=[100.123])
    createdTime: str = Field(examples=["2025-11-16 12:19:52"])


class GetVoucherUsageResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "success": True,
                    "errorMessage": "",
                    "data": [
                        {
                            "voucherCode": "DV-BHRDV9XXXX",
                            "accessDate": "2025-11-16",
                            "appUserId": "appUserIdYYYYY1",
                            "accessCount": 5,
                            "accessTime": 180,
                            "lat": 13.1235,
                            "lon": 100.123,
                            "createdTime": "2025-11-16 12:19:52",
                        }
                    ],
                }
            ]
        }
    )

    success: bool = True
    errorMessage: str = ""
    data: list[UsageRow]


class ErrorResponse(BaseModel):
    success: bool = False
    errorMessage: str = Field(examples=["Maximum 100 records allowed per request"])
    data: None = None
