"""MOI demo data: the spec's test client (both spellings), usable by any 13-digit AgentID,
citizen 3102400001917 holding exactly the example's record, a company in the CAList layout, and
a few hundred generated households and companies across both layouts (Faker th_TH, valid
check digits, believable monthly bills).

Idempotent: a second run finds the demo client and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from functools import cache

from faker import Faker
from sqlalchemy.orm import Session

from saphan.moi import importing, operator
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


GENERATED_HOUSEHOLDS = 200
GENERATED_PROVINCIAL = 100


def with_check_digit(first12: str) -> str:
    total = sum(int(first12[i]) * (13 - i) for i in range(12))
    return first12 + str((11 - total % 11) % 10)


def _monthly_bills(
    rng: random.Random, today: dt.date, count: int, base_units: int, rate: str
) -> list[tuple[dt.date, Decimal, Decimal]]:
    out = []
    year, month = today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        units = Decimal(max(0, int(base_units * rng.uniform(0.7, 1.35))))
        amount = (units * Decimal(rate) * Decimal("1.07")).quantize(Decimal("0.01"))
        out.append((dt.date(year, month, rng.randint(1, 28)), units, amount))
    return out


@cache
def generated_accounts(today: dt.date, seed: int = 7) -> tuple[AccountIn, ...]:
    """Households (metropolitan layout) and households and companies (provincial layout).
    Cached: the same day's demo data is the same, and Faker takes a while."""
    fake = Faker("th_TH")
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311  (reproducible demo data, not secrets)
    taken = {EXAMPLE_CITIZEN, COMPANY_CITIZEN}
    out: list[AccountIn] = []

    def new_id(company: bool) -> str:
        while True:
            if company:
                first12 = "01055" + "".join(rng.choice("0123456789") for _ in range(7))
            else:
                first12 = rng.choice("12345678") + "".join(
                    rng.choice("0123456789") for _ in range(11)
                )
            value = with_check_digit(first12)
            if value not in taken:
                taken.add(value)
                return value

    for n in range(GENERATED_HOUSEHOLDS):
        bills = _monthly_bills(rng, today, rng.randint(2, 12), rng.randint(90, 900), "4.18")
        out.append(
            AccountIn(
                citizen_id=new_id(company=False),
                layout=MEA,
                account_no=f"9{n:07d}",
                info={
                    "contactNumber": "0" + rng.choice("689") + fake.numerify("########"),
                    "country": "ไทย",
                    "distict": rng.choice(["ปทุมวัน", "บางรัก", "จตุจักร", "ห้วยขวาง", "บางกะปิ"]),
                    "homeNum1": str(rng.randint(1, 999)),
                    "homeNum2": str(rng.randint(1, 30)) if rng.random() < 0.3 else "",
                    "homeSub": "",
                    "name1": f"{fake.prefix()}{fake.first_name()} {fake.last_name()}",
                    "name2": "",
                    "name3": "",
                    "postalCode": rng.choice(["10330", "10500", "10900", "10310", "10240"]),
                    "province": "กรุงเทพ",
                    "provinceCode": "10",
                    "soi": f"{rng.randint(1, 60)}" if rng.random() < 0.6 else "",
                    "street": fake.street_name(),
                    "subDistrict": fake.tambon(),
                    "village": "",
                },
                bills=[BillIn(bill_date=d, units=u, amount=a) for d, u, a in bills],
            )
        )
    for n in range(GENERATED_PROVINCIAL):
        company = rng.random() < 0.3
        base = rng.randint(2000, 30000) if company else rng.randint(60, 700)
        bills = _monthly_bills(rng, today, rng.randint(2, 12), base, "4.42" if company else "4.18")
        name = (
            fake.company() if company else f"{fake.prefix()}{fake.first_name()} {fake.last_name()}"
        )
        ca_no = f"02{n:010d}"
        province = fake.province()
        out.append(
            AccountIn(
                citizen_id=new_id(company),
                layout=PEA,
                account_no=ca_no,
                info={
                    "Class": "3.1.2 กิจการขนาดกลาง" if company else "1.1.2 บ้านอยู่อาศัย",
                    "CompanyName": name if company else "",
                    "District": fake.amphoe(),
                    "HomeNo": str(rng.randint(1, 300)),
                    "MeterSize": "30(100)A" if company else rng.choice(["5(15)A", "15(45)A"]),
                    "Moo": str(rng.randint(1, 15)),
                    "Name": name,
                    "PEAName": f"การไฟฟ้าส่วนภูมิภาคจังหวัด{province}",
                    "PostCode": fake.postcode(),
                    "Province": province,
                    "RegisDate": f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-01T00:00:00",
                    "Room": "",
                    "Street": "",
                    "SubDistrict": fake.tambon(),
                    "VillageName": "",
                    "floor": "",
                },
                bills=[
                    BillIn(
                        bill_date=d,
                        units=u,
                        amount=a,
                        info={
                            "BillPeriod": f"{d:%Y%m}",
                            "DueDate": f"{d + dt.timedelta(days=14):%Y-%m-%d}T00:00:00",
                            "InvoiceNo": f"{ca_no}{d:%y%m}",
                            "Paydate": f"{d + dt.timedelta(days=rng.randint(3, 13)):%Y-%m-%d}"
                            "T00:00:00",
                        },
                    )
                    for d, u, a in bills
                ],
            )
        )
    return tuple(out)


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
    # The same path as `saphan moi import`.
    accounts = [EXAMPLE_ACCOUNT, *COMPANY_ACCOUNTS, *generated_accounts(now.date())]
    importing.import_accounts(session, accounts, now)
    return True
