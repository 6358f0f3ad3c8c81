"""depa demo data: the spec's two vouchers with the example's values, and generated ones.

Idempotent: a second run finds the demo key and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from faker import Faker
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK
from saphan.depa import operator
from saphan.depa.admin_schemas import VoucherIn

DEMO_KEY = "3d9a2d47-5b1e-4c2c-9f0a-54f8a1988a17"
SECOND_DEMO_KEY = "6f1c0b52-8d3e-4a7b-b2c4-0e9d7a31c5f8"
#: The example response's anonymised DP name, kept so the example reproduces field for field.
DEMO_DP_NAME = "XXXXX"
SECOND_DP_NAME = "บริษัท สมาร์ทฟาร์ม ดิจิทัล จำกัด"


def _at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BANGKOK)


SPEC_VOUCHERS = [
    VoucherIn(
        voucherCode="DV-97WHHUXXXX",
        status="Activated",
        bindingTime=_at("2025-11-07 18:52:38"),
        revokingTime=_at("2026-02-05 18:52:38"),
        activatedTime=_at("2025-11-13 17:35:40"),
        registId="DV2025102713374000XXXX",
        registType="SME",
        title="Mr.",
        firstName="XXXX",
        lastName="YYYY",
        idCard="ZZZZZ",
        mobileNo="AAAAAA",
        addrNo="79",
        provinceName="Bangkok",
        amphurName="Samphanthawong",
        tambonName="Chakrawat",
        postcode="10100",
        productName="YYYYY",
    ),
    VoucherIn(
        voucherCode="DV-BHRDV9XXXX",
        status="Activated",
        bindingTime=_at("2025-11-10 09:14:02"),
        revokingTime=_at("2026-02-08 09:14:02"),
        activatedTime=_at("2025-11-14 10:21:45"),
        registId="DV2025103009151200XXXX",
        registType="Farmer",
        title="Mrs.",
        firstName="XXXX",
        lastName="YYYY",
        idCard="ZZZZZ",
        mobileNo="AAAAAA",
        addrNo="12/3",
        moo="4",
        provinceName="Chiang Mai",
        amphurName="Mae Rim",
        tambonName="Rim Tai",
        postcode="50180",
        productName="YYYYY",
    ),
]

_PRODUCTS = ["ระบบบัญชีออนไลน์ AI", "แชตบอตร้านค้า", "ระบบจัดการสต็อกอัจฉริยะ", "AI วิเคราะห์ยอดขาย"]
_REGIST_TYPES = ["SME", "SME", "SME", "Farmer", "Community Enterprise"]


def generated_vouchers(count: int, prefix: str, seed: int, today: dt.date) -> list[VoucherIn]:
    """Believable Thai vouchers (Faker th_TH), bound over the last 120 days, most activated."""
    fake = Faker("th_TH")
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311  (reproducible demo data, not secrets)
    out = []
    for n in range(count):
        bound = dt.datetime.combine(today, dt.time(9), BANGKOK) - dt.timedelta(
            days=rng.randint(10, 120), minutes=rng.randint(0, 600)
        )
        roll = rng.random()
        activated = bound + dt.timedelta(days=rng.randint(0, 6), minutes=rng.randint(1, 900))
        status = "Bound" if roll < 0.15 else "Revoked" if roll > 0.93 else "Activated"
        revoked = activated + dt.timedelta(days=rng.randint(1, 9)) if status == "Revoked" else None
        out.append(
            VoucherIn(
                voucherCode=f"DV-{prefix}{n:06d}",
                status=status,
                bindingTime=bound,
                activatedTime=activated if status != "Bound" else None,
                revokedTime=revoked,
                registId=f"DV{bound:%Y%m%d%H%M%S}{n:06d}",
                registType=rng.choice(_REGIST_TYPES),
                title=rng.choice(["นาย", "นาง", "นางสาว"]),
                firstName=fake.first_name(),
                lastName=fake.last_name(),
                idCard=fake.numerify("#############"),
                mobileNo="0" + rng.choice("689") + fake.numerify("########"),
                email=fake.free_email() if rng.random() < 0.6 else "",
                addrNo=str(rng.randint(1, 999)),
                moo=str(rng.randint(1, 12)) if rng.random() < 0.5 else "",
                provinceName=fake.province(),
                amphurName=fake.amphoe(),
                tambonName=fake.tambon(),
                postcode=fake.postcode(),
                productName=rng.choice(_PRODUCTS),
            )
        )
    return out


def seed(session: Session, secret: bytes, now: dt.datetime) -> bool:
    """Create the demo DPs, keys and vouchers; False when they exist already."""
    if operator.key_exists(session, secret, DEMO_KEY):
        return False
    today = now.date()
    first = operator.create_dp(session, DEMO_DP_NAME, now)
    operator.issue_key(session, secret, first.id, now, label="demo", key=DEMO_KEY)
    operator.create_vouchers(
        session, first.id, SPEC_VOUCHERS + generated_vouchers(300, "D1", 1, today), now
    )
    second = operator.create_dp(session, SECOND_DP_NAME, now)
    operator.issue_key(session, secret, second.id, now, label="demo", key=SECOND_DEMO_KEY)
    operator.create_vouchers(session, second.id, generated_vouchers(120, "D2", 2, today), now)
    return True
