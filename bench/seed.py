"""Bench data: one Digital Provider, one API key, N vouchers, loaded the way an operator does
(``saphan.depa.operator``), in big chunks inside one transaction."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from faker import Faker

from saphan.config import Settings
from saphan.core import migrate
from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime
from saphan.depa import operator
from saphan.depa.admin_schemas import VoucherIn

#: Voucher codes are PREFIX + a 6-digit number 000001..N; the Lua scripts rely on it.
CODE_PREFIX = "BV-"
DP_NAME = "บริษัท เบนช์มาร์ก ดิจิทัล จำกัด"
#: Every usage-scenario voucher was activated this long before the harness's "today",
#: so usage on any of the DAYS days before today is valid.
ACTIVATED_DAYS_AGO = 400
USAGE_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Seeded:
    api_key: str
    dp_id: int
    vouchers: int
    seconds: float


def _profiles(count: int, seed: int) -> list[dict[str, str]]:
    """A pool of believable Thai people and addresses; vouchers draw from it (Faker is too
    slow to call 100,000 times)."""
    fake = Faker("th_TH")
    fake.seed_instance(seed)
    return [
        {
            "firstName": fake.first_name(),
            "lastName": fake.last_name(),
            "provinceName": fake.province(),
            "amphurName": fake.amphoe(),
            "tambonName": fake.tambon(),
            "postcode": fake.postcode(),
            "email": fake.free_email(),
        }
        for _ in range(count)
    ]


def vouchers(count: int, now: dt.datetime, *, all_active: bool, seed: int = 7) -> list[VoucherIn]:
    """``count`` vouchers BV-000001.. . With ``all_active`` every one was activated
    ACTIVATED_DAYS_AGO days ago and never revoked; otherwise a mix like the demo's
    (about 85% Activated, 8% Bound, 7% Revoked)."""
    rng = random.Random(seed)
    pool = _profiles(500, seed)
    products = ["ระบบบัญชีออนไลน์ AI", "แชตบอตร้านค้า", "ระบบจัดการสต็อกอัจฉริยะ", "AI วิเคราะห์ยอดขาย"]
    regist_types = ["SME", "SME", "SME", "Farmer", "Community Enterprise"]
    out = []
    for n in range(1, count + 1):
        person = pool[rng.randrange(len(pool))]
        if all_active:
            bound = now - dt.timedelta(days=ACTIVATED_DAYS_AGO + 3, minutes=rng.randint(0, 900))
            activated: dt.datetime | None = bound + dt.timedelta(days=2)
            status, revoked = "Activated", None
        else:
            bound = now - dt.timedelta(days=rng.randint(10, 120), minutes=rng.randint(0, 900))
            roll = rng.random()
            status = "Bound" if roll < 0.08 else "Revoked" if roll > 0.93 else "Activated"
            activated = (
                bound + dt.timedelta(days=rng.randint(0, 6), minutes=rng.randint(1, 900))
                if status != "Bound"
                else None
            )
            revoked = (
                activated + dt.timedelta(days=rng.randint(1, 9))
                if status == "Revoked" and activated is not None
                else None
            )
        out.append(
            VoucherIn(
                voucherCode=f"{CODE_PREFIX}{n:06d}",
                status=status,
                bindingTime=bound,
                activatedTime=activated,
                revokedTime=revoked,
                registId=f"DV{bound:%Y%m%d%H%M%S}{n:06d}",
                registType=regist_types[n % len(regist_types)],
                title=("นาย", "นาง", "นางสาว")[n % 3],
                firstName=person["firstName"],
                lastName=person["lastName"],
                idCard=f"{rng.randrange(10**12, 10**13)}",
                mobileNo=f"0{rng.choice('689')}{rng.randrange(10**7, 10**8)}",
                email=person["email"] if n % 5 < 3 else "",
                addrNo=str(rng.randint(1, 999)),
                moo=str(rng.randint(1, 12)) if n % 2 else "",
                provinceName=person["provinceName"],
                amphurName=person["amphurName"],
                tambonName=person["tambonName"],
                postcode=person["postcode"],
                productName=products[n % len(products)],
            )
        )
    return out


def settings_for(database_url: str, secret_key: str) -> Settings:
    return Settings(database_url=database_url, secret_key=secret_key, log_level="WARNING")


def seed(database_url: str, secret_key: str, count: int, *, all_active: bool) -> Seeded:
    """Migrate the (fresh) database, then create the DP, its key and ``count`` vouchers."""
    started = time.perf_counter()
    migrate.upgrade(database_url)
    now = dt.datetime.now(BANGKOK)
    batch = vouchers(count, now, all_active=all_active)
    rt = Runtime.from_settings(settings_for(database_url, secret_key))
    try:
        with rt.db.write() as session:
            dp = operator.create_dp(session, DP_NAME, now)
            key = operator.issue_key(session, rt.secret, dp.id, now, label="bench")
            operator.create_vouchers(session, dp.id, batch, now, chunk=10_000)
            dp_id = dp.id
    finally:
        rt.db.dispose()
    return Seeded(
        api_key=key.key, dp_id=dp_id, vouchers=count, seconds=time.perf_counter() - started
    )
