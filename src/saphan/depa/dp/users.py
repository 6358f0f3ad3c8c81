"""The DP's app users: loading them (a CSV file or a Python call) and the keys they are matched
by. Phones are kept in E.164 (``phonenumbers``, Thai numbering by default), so 0812345678,
+66812345678 and 66-81-234-5678 are one number. National IDs are kept only as a keyed digest
(HMAC-SHA256 with ``SAPHAN_SECRET_KEY``): the DP side only ever compares them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from saphan.core.clock import to_utc_naive
from saphan.core.errors import describe_validation
from saphan.core.hashing import key_digest
from saphan.depa.dp.errors import DPInvalid
from saphan.depa.dp.models import AppUser

_NOT_DIGITS = re.compile(r"\D")
_CHUNK = 5000


#: Thai mobile numbers as Thais write them (0812345678): what ``phonenumbers`` turns into
#: +66812345678, without its full parse (a tenth of the cost; syncs see 100,000s of them).
_THAI_MOBILE = re.compile(r"0([689]\d{8})")


def normalise_phone(value: str | None) -> str | None:
    """E.164 (``+66812345678``), or ``None`` for what is no possible phone number."""
    if not value or not value.strip():
        return None
    local = _THAI_MOBILE.fullmatch(value)
    if local:
        return "+66" + local.group(1)
    try:
        number = phonenumbers.parse(value, "TH")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def id_card_digest(secret: bytes, value: str | None) -> str | None:
    """The keyed digest of a national ID's digits (``1-1017-00203-45-1`` = ``1101700203451``);
    ``None`` when it holds no digits."""
    digits = _NOT_DIGITS.sub("", value or "")
    if not digits:
        return None
    return key_digest(secret, "idcard:" + digits)


class UserIn(BaseModel):
    """One app user to load: the DP's own id, and what vouchers are matched by."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    appUserId: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    idCard: str | None = Field(default=None, max_length=40)

    @field_validator("appUserId")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:  # in no user id, and PostgreSQL text cannot hold it
            raise ValueError("Must not contain NUL characters")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and normalise_phone(value) is None:
            raise ValueError(f"not a phone number: {value!r}")
        return value or None

    @field_validator("idCard")
    @classmethod
    def _id_card(cls, value: str | None) -> str | None:
        if value and not _NOT_DIGITS.sub("", value):
            raise ValueError("a national ID needs digits")
        return value or None


@dataclass(frozen=True)
class Loaded:
    created: int
    updated: int


def parse_users_csv(data: bytes) -> list[UserIn]:
    """``appUserId,phone,idCard`` with a header row (phone and idCard may be empty or absent).
    All or nothing: the first bad row raises ``DPInvalid`` naming its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DPInvalid("the file is not UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "appUserId" not in reader.fieldnames:
        raise DPInvalid("the header row must name appUserId (and phone, idCard)")
    unknown = set(reader.fieldnames) - {"appUserId", "phone", "idCard"}
    if unknown:
        raise DPInvalid(f"unknown column(s): {', '.join(sorted(unknown))}")
    users = []
    for row in reader:
        try:
            users.append(UserIn.model_validate({k: v for k, v in row.items() if v is not None}))
        except ValidationError as exc:
            raise DPInvalid(f"line {reader.line_num}: {describe_validation(exc.errors())}") from exc
    return users


def upsert_users(
    session: Session, secret: bytes, users: Sequence[UserIn], now: dt.datetime
) -> Loaded:
    """Create or update users by ``appUserId``. A field left empty keeps what is stored."""
    at = to_utc_naive(now)
    by_id = {u.appUserId: u for u in users}  # the last row for an id wins
    existing = users_by_app_id(session, by_id)
    created = updated = 0
    for app_user_id, user in by_id.items():
        phone = normalise_phone(user.phone)
        digest = id_card_digest(secret, user.idCard)
        row = existing.get(app_user_id)
        if row is None:
            session.add(
                AppUser(
                    app_user_id=app_user_id,
                    phone=phone,
                    id_card_digest=digest,
                    created_at=at,
                    updated_at=at,
                )
            )
            created += 1
            continue
        if phone is not None:
            row.phone = phone
        if digest is not None:
            row.id_card_digest = digest
        row.updated_at = at
        updated += 1
    session.flush()
    return Loaded(created=created, updated=updated)


def users_by_app_id(session: Session, ids: Iterable[str]) -> dict[str, AppUser]:
    """The users with these ids (looked up in chunks: SQLite binds at most 32,766 values)."""
    wanted = sorted(set(ids))
    found: dict[str, AppUser] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for user in session.scalars(select(AppUser).where(AppUser.app_user_id.in_(chunk))):
            found[user.app_user_id] = user
    return found
