"""The MOI wire (spec 000), field for field: the example response's names, casing and spelling
(``distict``, ``Amount``, ``kwh``), and the description table's ``CAList``/``BillList``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: The spec's example response (page 5), as Saphan answers it for the demo citizen.
POWER_CAPITAL_EXAMPLE: dict[str, Any] = {
    "customerinfo": [
        {
            "usageHistory": [
                {"kwh": 588000, "Amount": 2105542.18, "billDate": "2019-01-03T00:00:00"}
            ]
            + [{"kwh": 0, "Amount": 0, "billDate": ""}] * 5,
            "contactNumber": "",
            "country": "ไทย",
            "distict": "ปทุมวัน",
            "homeNum1": "30",
            "homeNum2": "",
            "homeSub": "",
            "installationNumber": "94551499",
            "name1": "นายการไฟฟ้า",
            "name2": "",
            "name3": "",
            "postalCode": "10330",
            "province": "กรุงเทพ",
            "provinceCode": "10",
            "soi": "ชิดลม",
            "street": "เพลินจิต",
            "subDistrict": "ลุมพินี",
            "village": "",
        }
    ],
    "empty": "",
    "error": "",
    "id": "3102400001917",
    "rowCount": "1",
    "status": "200",
    "statusDetail": "Success",
}


class AuthenticateRequest(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        json_schema_extra={
            "examples": [{"ClientID": "8vWGC60OS2bjPc2", "ClientSecret": "nJh2TB0X25GNfcB"}]
        },
    )

    ClientID: str = Field(min_length=1, max_length=100, description="Issued client ID")
    ClientSecret: str = Field(min_length=1, max_length=200, description="Issued client secret")


class UsageHistory(BaseModel):
    kwh: float = Field(description="Units used (kWh); 0 in padding rows")
    Amount: float = Field(description="Bill amount (baht); 0 in padding rows")
    billDate: str = Field(description='"YYYY-MM-DDT00:00:00"; "" in padding rows')


class CustomerInfo(BaseModel):
    """An account of the metropolitan utility, in the example's layout."""

    usageHistory: list[UsageHistory] = Field(
        description="The latest 6 bills, newest first, padded with zero rows to 6"
    )
    contactNumber: str = ""
    country: str = ""
    distict: str = Field(default="", description="District (the provider's spelling)")
    homeNum1: str = ""
    homeNum2: str = ""
    homeSub: str = ""
    installationNumber: str
    name1: str = ""
    name2: str = ""
    name3: str = ""
    postalCode: str = ""
    province: str = ""
    provinceCode: str = ""
    soi: str = ""
    street: str = ""
    subDistrict: str = ""
    village: str = ""


class PeaBill(BaseModel):
    BillPeriod: str = Field(default="", description="Bill month")
    Cost: float = Field(description="Electricity charge")
    DueDate: str = Field(default="", description="Payment due date")
    InvoiceNo: str = Field(default="", description="Invoice number")
    Paydate: str = Field(default="", description="Date paid")
    RecordDate: str = Field(default="", description="Meter reading date")
    Unit: float = Field(description="Units used")


class PeaAccount(BaseModel):
    """An account of the provincial utility, in the description table's layout."""

    BillList: list[PeaBill] = Field(description="The latest 6 bills, newest first")
    CANo: str
    Class: str = ""
    CompanyName: str = ""
    District: str = ""
    HomeNo: str = ""
    MeterSize: str = ""
    Moo: str = ""
    Name: str = ""
    PEAName: str = ""
    PostCode: str = ""
    Province: str = ""
    RegisDate: str | None = None
    Room: str = ""
    Street: str = ""
    SubDistrict: str = ""
    VillageName: str = ""
    floor: str = ""


class PowerCapitalResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [POWER_CAPITAL_EXAMPLE]})

    CAList: list[PeaAccount] | None = Field(
        default=None, description="Provincial-utility accounts; absent when there are none"
    )
    customerinfo: list[CustomerInfo]
    empty: str = Field(description='"" when accounts were found, "Y" when none')
    error: str = Field(description='"" on success, else the error code')
    id: str = Field(description="The CitizenID asked about")
    rowCount: str = Field(description="Accounts found, as a string")
    status: str = Field(description="HTTP status as a string")
    statusDetail: str


class ErrorResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customerinfo": [],
                    "empty": "",
                    "error": "INVALID_TOKEN",
                    "id": "",
                    "rowCount": "0",
                    "status": "401",
                    "statusDetail": "Invalid token",
                }
            ]
        }
    )

    customerinfo: list[CustomerInfo] = Field(default_factory=list)
    empty: str = ""
    error: str
    id: str = ""
    rowCount: str = "0"
    status: str
    statusDetail: str
