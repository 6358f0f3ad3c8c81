"""MOI demo data: the spec's test client (both spellings), usable by any 13-digit AgentID, and
citizen 3102400001917 holding exactly the example's record; a company in the CAList layout.

Idempotent: a second run finds the demo client and adds nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from saphan.moi import operator
from saphan.moi.admin_schemas import AccountIn, BillIn
from saphan.moi.models import MEA, PEA

#: The spec's test application key (page 1) and the screenshot's spelling of it (page 2).
CLIENT_ID, CLIENT_SECRET = "8vWGC60OS2bjPc2", "nJh2TB0X25GNfcB"
SCREENSHOT_CLIENT_ID, SCREENSHOT_CLIENT_SECRET = "8vWGC600S2bjPc2", "nJh2TB0X25GNfc8"
#: The example response's citizen (it fails the national-ID check digit; see docs/moi.md).
EXAMPLE_CITIZEN = "3102400001917"
#: A company (valid juristic-person check digit) with two provincial-utility accounts.
COMPANY_CITIZEN = "0105558000014"

EXAMPLE_ACCOUNT = AccountIn(
    citizen_id=EXAMPLE_CITIZEN,
    layout=MEA,
    account_no="94551499",
    info={
        "contactNumber": "",
        "country": "ไทย",
        "distict": "ปทุมวัน",
        "homeNum1": "30",
        "homeNum2": "",
        "homeSub": "",
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
    },
    bills=[
        BillIn(bill_date=dt.date(2019, 1, 3), units=Decimal(588000), amount=Decimal("2105542.18"))
    ],
)


def _company_account(ca_no: str, meter: str, base_units: int) -> AccountIn:
    bills = []
    for month in range(1, 9):  # eight bills, so the answer shows the latest six
        units = base_units + month * 37
        bills.append(
            BillIn(
                bill_date=dt.date(2025, month, 25),
                units=Decimal(units),
                amount=(Decimal(units) * Decimal("4.18")).quantize(Decimal("0.01")),
                info={
                    "BillPeriod": f"2025{month:02d}",
                    "DueDate": f"2025-{month + 1:02d}-08T00:00:00",
                    "InvoiceNo": f"{ca_no}{month:04d}",
                    "Paydate": f"2025-{month + 1:02d}-05T00:00:00",
                },
            )
        )
    return AccountIn(
        citizen_id=COMPANY_CITIZEN,
        layout=PEA,
        account_no=ca_no,
        info={
            "Class": "3.1.2 กิจการขนาดกลาง",
            "CompanyName": "บริษัท ทดสอบไฟฟ้า จำกัด",
            "District": "เมืองเชียงใหม่",
            "HomeNo": "99/1",
            "MeterSize": meter,
            "Moo": "4",
            "Name": "บริษัท ทดสอบไฟฟ้า จำกัด",
            "PEAName": "การไฟฟ้าส่วนภูมิภาคจังหวัดเชียงใหม่",
            "PostCode": "50000",
            "Province": "เชียงใหม่",
            "RegisDate": "2015-03-02T00:00:00",
            "Room": "",
            "Street": "ห้วยแก้ว",
            "SubDistrict": "สุเทพ",
            "VillageName": "",
            "floor": "",
        },
        bills=bills,
    )


COMPANY_ACCOUNTS = [
    _company_account("020012345678", "30(100)A", 4200),
    _company_account("020012345679", "15(45)A", 900),
]


def seed(session: Session, secret: bytes, now: dt.datetime) -> bool:
    """Create the demo clients and accounts; False when they exist already."""
    if operator.client_exists(session, CLIENT_ID):
        return False
    for client_id, client_secret in (
        (CLIENT_ID, CLIENT_SECRET),
        (SCREENSHOT_CLIENT_ID, SCREENSHOT_CLIENT_SECRET),
    ):
        operator.create_client(
            session, secret, client_id, client_secret, now, name="demo", any_agent=True
        )
    operator.add_accounts(session, [EXAMPLE_ACCOUNT, *COMPANY_ACCOUNTS], now)
    return True
