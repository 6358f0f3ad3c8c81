"""Secret hashing.

High-entropy secrets (API keys, session and refresh tokens) get a keyed SHA-256 with the
server secret: fast enough for every request, useless to anyone who steals the table without
the key, and indexable so a key finds its row in one lookup. Human-chosen passwords get argon2.
Comparisons are constant-time.

Argon2 is slow on purpose (about 0.1 s of a core at the production cost, with its 4 lanes on
threads of their own), so it never runs on the event loop, and at most ``CONCURRENCY`` hashes or
verifications run at once in a process, whoever asks (a semaphore in ``hash_password`` and
``verify_password``): 20 logins at once no longer take every core from the event loop (they
pushed ``/healthz`` to 1-4 s). Requests use ``PasswordWork`` (``Runtime.passwords``), which waits
for a turn as a coroutine, so waiting logins hold neither the loop nor a worker thread.
"""

from __future__ import annotations

import functools
import hmac
import os
import threading
from collections.abc import Callable
from typing import TypeVar

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_passwords = PasswordHasher()

#: Argon2 hashes and verifications at once in a process: half the CPUs, at least one.
CONCURRENCY = max(1, (os.cpu_count() or 1) // 2)
_turns = threading.BoundedSemaphore(CONCURRENCY)

T = TypeVar("T")


#: An argon2 hash made with the parameters above (of "saphan-timing-equaliser"), written here
#: rather than made on import: every ``saphan`` command and server process imports this module,
#: and one hash is most of a second on a busy 2-core machine.
_WRITTEN_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$lzx4Fgr/p3O/lVdzTm0seA"
    "$iIFf5yQfGklnbsbA1hAT242/z91t2Qdc+UEdrBdtFJI"
)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so both paths cost the same: the written one
    while its parameters are the hasher's (argon2-cffi may change its defaults), else a new one."""
    if _passwords.check_needs_rehash(_WRITTEN_DUMMY_HASH):
        return _passwords.hash("saphan-timing-equaliser")
    return _WRITTEN_DUMMY_HASH


def key_digest(secret: bytes, value: str) -> str:
    """Keyed digest of a high-entropy secret, hex; store this, never the value."""
    return hmac.digest(secret, value.encode(), "sha256").hex()  # one C call, every request


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    """Blocks (argon2): on a worker thread, or through ``PasswordWork`` from a request."""
    with _turns:
        return _passwords.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user (``stored=None``) costs the same.
    Blocks (argon2), as ``hash_password``."""
    dummy = _dummy_hash() if stored is None else ""
    with _turns:
        try:
            return _passwords.verify(stored or dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


class PasswordWork:
    """Argon2 for requests: on a worker thread, at most ``CONCURRENCY`` at once from the event
    loop (a limiter of its own, not the worker threads' shared one); the rest wait as
    coroutines."""

    def __init__(self) -> None:
        self._limiter = anyio.CapacityLimiter(CONCURRENCY)

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        return await self._run(verify_password, stored, password)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        return await anyio.to_thread.run_sync(work, *args, limiter=self._limiter)
