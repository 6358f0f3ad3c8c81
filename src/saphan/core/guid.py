"""Random GUIDs as text, for the ids a request makes.

``str(uuid.uuid4())`` costs ~8 us, almost all of it in building and printing the ``UUID``
object; a Rakmao create makes five. ``new_guid`` writes the same thing, a version-4 RFC 4122
UUID from ``os.urandom``'s bytes, straight from the bytes: ~2 us.

The bytes are drawn 4 KiB at a time: ``os.urandom`` lets go of the GIL for its system call, and
on a SQLite server, whose writer thread wants the GIL whenever it is not in SQLite's C code,
the event loop then waits to get it back (``core.hashing.key_digest`` measured ~75 us such a
wait). A forked process draws its own: two server workers never share bytes.
"""

from __future__ import annotations

import os
import threading

__all__ = ["new_guid"]

_DRAW = 4096


class _Bytes:
    """``os.urandom``'s bytes, 16 at a time, drawn in bulk per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._held = b""
        self._at = 0

    def take(self) -> bytes:
        with self._lock:
            if self._at == len(self._held) or self._pid != os.getpid():
                self._held, self._at, self._pid = os.urandom(_DRAW), 0, os.getpid()
            start = self._at
            self._at += 16
            return self._held[start : start + 16]


_RANDOM = _Bytes()


def new_guid() -> str:
    """A random (version 4) UUID, lower-case with dashes, as ``str(uuid.uuid4())`` writes it."""
    raw = bytearray(_RANDOM.take())
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
