"""What every service app is built from: settings, the database, the clock, and the turns at
CPU-heavy work (``core.cpu``): ``cpu`` for steps that leave the GIL to the loop while they run
(argon2, image decoding), ``bodies`` for reading large request bodies, pure Python that holds
it (one at a time, so the event loop takes the GIL back at each switch interval)."""

from __future__ import annotations

from dataclasses import dataclass, field

from saphan.config import Settings
from saphan.core.clock import Clock
from saphan.core.cpu import CpuWork
from saphan.core.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=Clock)
    cpu: CpuWork = field(default_factory=CpuWork)
    bodies: CpuWork = field(default_factory=lambda: CpuWork(1))

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        return cls(settings=settings, db=db, clock=clock or Clock())

    @property
    def secret(self) -> bytes:
        return self.settings.secret
