"""Reset, load and export: the whole state at once.

Reset to the demo data must be fast (the test kit resets before every test): the first reset in
a process empties the tables and seeds the demo data as ``saphan serve --demo`` does (a second
or two: generated records, password hashing), then keeps what it wrote (``demo_copy``); every
later reset puts that back, the same ids, times and hashes. A reset also puts the clock back to
real time and clears the armed faults, so nothing a test did is left for the next one.
"""

from __future__ import annotations

import threading
from typing import Literal

from saphan import demo
from saphan.control import demo_copy, snapshot
from saphan.control.schemas import Snapshot
from saphan.core.faults import Faults
from saphan.core.runtime import Runtime

Target = Literal["demo", "empty"]


class State:
    """One process's resets, loads and exports of its runtime's database."""

    def __init__(self, rt: Runtime, faults: Faults | None = None) -> None:
        self.rt = rt
        self.faults = faults
        #: The demo data, once this process has seeded it.
        self._demo: demo_copy.DemoCopy | None = None
        #: One reset at a time: two first resets would both seed.
        self._lock = threading.Lock()

    def reset(self, to: Target) -> None:
        self.rt.clock.to_real_time()
        if self.faults is not None:
            self.faults.clear()
        with self._lock:
            if to == "empty":
                with self.rt.db.begin() as conn:
                    snapshot.empty(conn)
            elif self._demo is not None:
                self._demo.restore()
            else:
                with self.rt.db.begin() as conn:
                    snapshot.empty(conn)
                demo.seed(self.rt)
                self._demo = demo_copy.keep(self.rt.db)

    def export(self) -> dict[str, object]:
        with self.rt.db.connect() as conn:
            return snapshot.export(conn)

    def load(self, document: Snapshot) -> int:
        with self._lock, self.rt.db.begin() as conn:
            return snapshot.load(conn, document)
