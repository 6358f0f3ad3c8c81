"""App users: phone normalisation, national-ID digests, and loading that updates by id."""

from __future__ import annotations

import datetime as dt
import random

import phonenumbers
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from saphan.core.db import Database
from saphan.depa.dp.models import AppUser
from saphan.depa.dp.sync import wire_time
from saphan.depa.dp.users import UserIn, id_card_digest, normalise_phone, upsert_users
from tests.depa_dp.conftest import DP_NOW, SECRET_BYTES


@pytest.mark.parametrize(
    "written",
    [
        "0812345678",
        "+66812345678",
        "66-81-234-5678",
        "081 234 5678",
        "(081) 234-5678",
        "66812345678",
    ],
)
def test_thai_mobile_numbers_in_every_usual_form_are_one_number(written: str) -> None:
    assert normalise_phone(written) == "+66812345678"


@pytest.mark.parametrize("written", [None, "", "   ", "AAAAAA", "12", "not a phone"])
def test_what_is_no_phone_number_normalises_to_none(written: str | None) -> None:
    assert normalise_phone(written) is None


def test_national_id_digests_ignore_formatting_and_depend_on_the_key() -> None:
    digest = id_card_digest(SECRET_BYTES, "1101700203451")
    assert digest == id_card_digest(SECRET_BYTES, "1-1017-00203-45-1")
    assert digest != id_card_digest(b"another-secret-key-0123", "1101700203451")
    assert digest is not None
    assert "1101700203451" not in digest
    assert id_card_digest(SECRET_BYTES, "") is None
    assert id_card_digest(SECRET_BYTES, "ZZZZZ") is None  # the spec's placeholder


def test_a_user_needs_an_id_and_a_real_phone() -> None:
    with pytest.raises(ValidationError, match="appUserId"):
        UserIn(appUserId="")
    with pytest.raises(ValidationError, match="not a phone number"):
        UserIn(appUserId="u1", phone="12")


def test_loading_again_updates_and_empty_fields_keep_what_is_stored(dp_db: Database) -> None:
    with dp_db.write() as session:
        first = upsert_users(
            session,
            SECRET_BYTES,
            [UserIn(appUserId="u1", phone="0812345678", idCard="1101700203451")],
            DP_NOW,
        )
    with dp_db.write() as session:
        second = upsert_users(
            session,
            SECRET_BYTES,
            [UserIn(appUserId="u1", phone="0898765432"), UserIn(appUserId="u2")],
            DP_NOW,
        )
    with dp_db.read() as session:
        users = session.scalars(select(AppUser).order_by(AppUser.app_user_id)).all()
        stored = [(u.app_user_id, u.phone, u.id_card_digest) for u in users]

    assert (first.created, first.updated, second.created, second.updated) == (1, 0, 1, 1)
    assert stored == [
        ("u1", "+66898765432", id_card_digest(SECRET_BYTES, "1101700203451")),
        ("u2", None, None),
    ]


def test_the_fast_path_for_local_mobile_numbers_agrees_with_phonenumbers() -> None:
    rng = random.Random(20251116)
    for _ in range(3000):
        local = "0" + rng.choice("689") + "".join(rng.choice("0123456789") for _ in range(8))
        parsed = phonenumbers.parse(local, "TH")
        assert phonenumbers.is_possible_number(parsed)
        expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert normalise_phone(local) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-07 18:52:38", dt.datetime(2025, 11, 7, 11, 52, 38)),  # Bangkok -> UTC
        ("2025-11-07T18:52:38+07:00", dt.datetime(2025, 11, 7, 11, 52, 38)),
        ("2025-11-07T11:52:38Z", dt.datetime(2025, 11, 7, 11, 52, 38)),
        ("", None),
        ("  ", None),
        ("not a time", None),
    ],
)
def test_depas_times_are_read_as_bangkok_and_stored_as_utc(
    text: str, expected: dt.datetime | None
) -> None:
    assert wire_time(text) == expected
