"""Secret hashing: keyed digests for API keys and tokens, argon2 for passwords."""

from __future__ import annotations

import hashlib
import hmac

from saphan.core import hashing
from saphan.core.hashing import digests_equal, hash_password, key_digest, verify_password


def test_key_digest_is_hmac_sha256_keyed_with_the_server_secret() -> None:
    expected = hmac.new(b"server-secret", b"3d9a2d47", hashlib.sha256).hexdigest()
    assert key_digest(b"server-secret", "3d9a2d47") == expected
    assert key_digest(b"another-secret", "3d9a2d47") != expected
    assert "3d9a2d47" not in expected


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


def test_an_unknown_user_costs_a_verification_with_the_hashers_own_parameters() -> None:
    """The hash an unknown user is verified against is written in the code (none is made on
    import); its parameters are those every password is hashed with, so both paths cost alike."""
    stored = hash_password("demo-buyer-password")
    dummy = hashing._dummy_hash()
    assert dummy == hashing._WRITTEN_DUMMY_HASH
    assert not hashing._passwords.check_needs_rehash(dummy)
    assert dummy.split("$")[:4] == stored.split("$")[:4]  # variant, version, m/t/p
    assert hashing._passwords.verify(dummy, "saphan-timing-equaliser")
