"""EasySlip demo data: DESIGN.md's application with an active and an inactive branch, a small
monthly quota (so QUOTA_EXCEEDED can be tried), registered bank accounts, and a ledger of a few
hundred transfers among the listed banks, the same on every machine (a seeded generator and
fixed dates), so ``saphan easyslip make-slip --bank CODE --ref REF`` draws any of their slips."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.easyslip import operator
from saphan.easyslip.admin_schemas import ApplicationCreate, BranchCreate, TransferIn
from saphan.easyslip.banks import ACCOUNT_BANKS
from saphan.easyslip.models import BankAccount

DEMO_KEY = "0f5c8a52-9d1b-4e7a-8c3f-2b6d4e1a9c70"
INACTIVE_KEY = "5e2b7c91-3a4d-4f6e-9b8a-7c1d2e3f4a5b"
APP_NAME = "Saphan Demo Shop"
MONTHLY_QUOTA = 50
#: The application's creation: billing months run from the 15th to the 14th.
CREATED = dt.datetime(2025, 1, 15, 9, 0, tzinfo=BANGKOK)
SHOP_NAME_TH = "ร้านสะพานเดโม"
SHOP_NAME_EN = "SAPHAN DEMO SHOP"
#: The shop's registered receiving accounts (bank code, number).
SHOP_ACCOUNTS = (("004", "1234567890"), ("014", "4567891230"), ("PROMPTPAY", "0812345678"))
#: The reference's published vectors, so their payloads verify against the demo.
VECTORS = (("002", "0002123123121200011"), ("014", "00111222233344ABCD12"))
TRANSFERS = 300
#: The ledger's transfers fall in the 60 days before this (Bangkok).
LEDGER_END = dt.datetime(2025, 11, 30, 22, 0, tzinfo=BANGKOK)
TRUEWALLET_REF = "50012345678901"

_FIRST = [
    ("สมชาย", "SOMCHAI"),
    ("สมหญิง", "SOMYING"),
    ("วิชัย", "WICHAI"),
    ("มาลี", "MALEE"),
    ("ประยุทธ", "PRAYUT"),
    ("กนกวรรณ", "KANOKWAN"),
    ("ธนพล", "THANAPHON"),
    ("สุดารัตน์", "SUDARAT"),
    ("อนุชา", "ANUCHA"),
    ("พิมพ์ชนก", "PIMCHANOK"),
]
_LAST = [
    ("ใจดี", "JAIDEE"),
    ("รักไทย", "RAKTHAI"),
    ("ศรีสุข", "SRISUK"),
    ("มั่นคง", "MANKONG"),
    ("บุญมา", "BOONMA"),
    ("แสงทอง", "SAENGTHONG"),
    ("วงศ์ใหญ่", "WONGYAI"),
    ("ทองดี", "THONGDEE"),
]


def _person(rng: random.Random) -> tuple[str, str]:
    (th1, en1), (th2, en2) = rng.choice(_FIRST), rng.choice(_LAST)
    return f"นาย {th1} {th2}" if rng.random() < 0.5 else f"{th1} {th2}", f"{en1} {en2[0]}"


def _account(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(10))


def ledger(count: int = TRANSFERS, seed: int = 4) -> list[TransferIn]:
    """The demo ledger: the published vectors, a TrueMoney transfer, and ``count`` transfers
    among the listed banks, about a third of them paying the shop's KBANK account."""
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    out: list[TransferIn] = []
    start = LEDGER_END - dt.timedelta(days=60)
    for bank, ref in VECTORS:
        out.append(
            TransferIn(
                bankCode=bank,
                transRef=ref,
                date=LEDGER_END - dt.timedelta(days=1),
                amount=Decimal("1000.00"),
                senderNameTh="นาย สมชาย ใจดี",
                senderNameEn="SOMCHAI J",
                senderAccount="1112223334",
                receiverBankCode="004",
                receiverNameTh=SHOP_NAME_TH,
                receiverNameEn=SHOP_NAME_EN,
                receiverAccount=SHOP_ACCOUNTS[0][1],
            )
        )
    out.append(
        TransferIn(
            kind="truewallet",
            transRef=TRUEWALLET_REF,
            date=LEDGER_END - dt.timedelta(days=2),
            amount=Decimal("120.00"),
            senderNameTh="สมหญิง รักไทย",
            senderNameEn="SOMYING R",
            receiverNameTh=SHOP_NAME_TH,
            receiverNameEn=SHOP_NAME_EN,
            receiverProxy=SHOP_ACCOUNTS[2][1],
        )
    )
    for i in range(count):
        at = start + dt.timedelta(seconds=rng.randrange(60 * 24 * 3600))
        sender_bank = rng.choice(ACCOUNT_BANKS).code
        sender_th, sender_en = _person(rng)
        to_shop = i % 3 == 0
        receiver_th, receiver_en = (SHOP_NAME_TH, SHOP_NAME_EN) if to_shop else _person(rng)
        tail = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6))
        out.append(
            TransferIn(
                bankCode=sender_bank,
                transRef=f"{at:%Y%m%d%H%M%S}{tail}",
                date=at,
                amount=Decimal(rng.randrange(2000, 500000)) / 100,
                fee=Decimal("0.00"),
                senderNameTh=sender_th,
                senderNameEn=sender_en,
                senderAccount=_account(rng),
                receiverBankCode="004" if to_shop else rng.choice(ACCOUNT_BANKS).code,
                receiverNameTh=receiver_th,
                receiverNameEn=receiver_en,
                receiverAccount=SHOP_ACCOUNTS[0][1] if to_shop else _account(rng),
            )
        )
    return out


def seed(session: Session, secret: bytes, now: dt.datetime) -> bool:
    """Add the demo data unless the demo key exists already; True when added."""
    if operator.key_exists(session, secret, DEMO_KEY):
        return False
    app = operator.create_application(
        session,
        ApplicationCreate(
            name=APP_NAME,
            email="demo@saphan.test",
            productName="Pro Plan",
            quotaMax=MONTHLY_QUOTA,
            autoRenewExpired=True,
            autoRenewQuota=False,
            credit=5000,
            expiresAt=dt.datetime(2030, 1, 15, 9, 0, tzinfo=BANGKOK),
        ),
        CREATED,
    )
    operator.create_branch(
        session, secret, app.id, BranchCreate(name="Main Branch"), CREATED, key=DEMO_KEY
    )
    operator.create_branch(
        session,
        secret,
        app.id,
        BranchCreate(name="Closed Branch", isActive=False),
        CREATED,
        key=INACTIVE_KEY,
    )
    names = {"PROMPTPAY": "PERSONAL"}
    session.execute(
        insert(BankAccount),
        [
            {
                "application_id": app.id,
                "bank_code": code,
                "bank_number": number,
                "name_th": SHOP_NAME_TH,
                "name_en": SHOP_NAME_EN,
                "type": names.get(code, "JURISTIC"),
                # the PromptPay number is a phone: matched only when paid by phone
                "extra_verify": "MSISDN" if code == "PROMPTPAY" else None,
                "created_at": to_utc_naive(CREATED),
            }
            for code, number in SHOP_ACCOUNTS
        ],
    )
    operator.record_transfers(session, ledger(), now)
    return True
