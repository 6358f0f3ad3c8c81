"""Secret hashing: keyed digests for API keys and tokens, argon2 for passwords."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from saphan.core import hashing
from saphan.core.hashing import digests_equal, hash_password, key_digest, verify_password
from tests.conftest import PRODUCTION_PASSWORD_HASHER


def test_key_digest_is_hmac_sha256_keyed_with_the_server_secret() -> None:
    expected = hmac.new(b"server-secret", b"3d9a2d47", hashlib.sha256).hexdigest()
    assert key_digest(b"server-secret", "3d9a2d47") == expected
    assert key_digest(b"another-secret", "3d9a2d47") != expected
    assert "3d9a2d47" not in expected


def test_key_digest_keeps_each_secrets_key_untouched_between_values() -> None:
    """The keyed HMAC is made once per secret and copied for each value: no value leaks into
    the next digest, whatever the order of secrets and values."""
    calls = [(b"a", "x"), (b"b", "x"), (b"a", "ทดสอบ" * 500), (b"a", "x"), (b"b", "y")]
    for secret, value in calls * 2:
        assert key_digest(secret, value) == hmac.digest(secret, value.encode(), "sha256").hex()


def test_digests_compare_by_value() -> None:
    digest = key_digest(b"k", "v")
    assert digests_equal(digest, key_digest(b"k", "v"))
    assert not digests_equal(digest, key_digest(b"k", "w"))


def test_passwords_are_stored_as_argon2_and_verified() -> None:
    stored = hash_password("demo-buyer-password")
    assert stored.startswith("$argon2id$")
    assert "demo-buyer-password" not in stored
    assert verify_password(stored, "demo-buyer-password")
    assert not verify_password(stored, "demo-buyer-passwore")
    assert hash_password("demo-buyer-password") != stored  # salted


def test_an_unknown_user_or_a_broken_hash_never_verifies() -> None:
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_an_unknown_user_costs_a_verification_with_the_production_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hash an unknown user is verified against is written in the code (none is made on
    import); its parameters are those every password is hashed with in production (the suite
    hashes cheaper, tests/conftest.py), so both paths cost alike."""
    production = PRODUCTION_PASSWORD_HASHER
    written = hashing._WRITTEN_DUMMY_HASH
    stored = production.hash("demo-buyer-password")
    assert stored.split("$")[:4] == ["", "argon2id", "v=19", "m=65536,t=3,p=4"]
    assert written.split("$")[:4] == stored.split("$")[:4]
    assert not production.check_needs_rehash(written)
    assert production.verify(written, "saphan-timing-equaliser")
    monkeypatch.setattr(hashing, "_passwords", production)
    hashing._dummy_hash.cache_clear()
    try:
        assert hashing._dummy_hash() == written
        assert not verify_password(None, "saphan-timing-equaliser")
    finally:
        hashing._dummy_hash.cache_clear()


def test_the_suite_hashes_with_argon2id_at_its_smallest_cost() -> None:
    assert hash_password("x").split("$")[1:4] == ["argon2id", "v=19", "m=8,t=1,p=1"]
