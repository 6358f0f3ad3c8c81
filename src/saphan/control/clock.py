"""Moving the server's clock (``core.clock.Clock``), which every service reads.

The clock belongs to the process: a demo or test server runs one (``saphan serve --demo``'s
default), and the control API moves that one. After any move, this process's caches of state
read from the database (``core.fresh``) are emptied, as a write empties them: what they hold
was judged under the old time, and nothing read under it is served under the new one.
"""

from __future__ import annotations

import datetime as dt

from saphan.control.errors import Invalid
from saphan.control.schemas import EARLIEST, LATEST, ClockState
from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime


def state(rt: Runtime) -> ClockState:
    clock = rt.clock
    mode = "frozen" if clock.frozen else "moved" if clock.moved else "real"
    return ClockState(now=clock.now(), real=clock.real(), mode=mode)


def move_to(rt: Runtime, at: dt.datetime, *, frozen: bool) -> ClockState:
    at = at if at.tzinfo else at.replace(tzinfo=BANGKOK)
    _within_range(at, "at")
    rt.clock.move_to(at, frozen=frozen)
    return _moved(rt)


def advance(rt: Runtime, step: dt.timedelta) -> ClockState:
    if not step:
        raise Invalid("Give days, hours, minutes or seconds to advance by, more than 0")
    _within_range(rt.clock.now() + step, "the clock after advancing")
    rt.clock.advance(step)
    return _moved(rt)


def to_real_time(rt: Runtime) -> ClockState:
    rt.clock.to_real_time()
    return _moved(rt)


def _within_range(at: dt.datetime, what: str) -> None:
    if not EARLIEST <= at <= LATEST:
        raise Invalid(
            f"The clock can be put between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} ({what})"
        )


def _moved(rt: Runtime) -> ClockState:
    rt.db.generation += 1
    return state(rt)
