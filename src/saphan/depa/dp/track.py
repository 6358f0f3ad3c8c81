"""Track (spec 4.1 step 2): the DP's app records opens and session time per user through the day;
they add up per (user, Bangkok day). Used by ``POST /dp/usage`` and directly from Python:

    from saphan.depa.dp.track import UsageEvent, record
    record(db, [UsageEvent(appUserId="u1", opens=1)], clock.now())
    record(db, [UsageEvent(appUserId="u1", seconds=1800)], clock.now())  # a session that just ended

A session's time is counted back from ``at`` (when it ended) and split at Bangkok midnight, so a
session from 23:50 to 00:20 adds 10 minutes to one day and 20 to the next. Opens count on the day
of ``at``. Users not loaded yet are created on first sight (their phone and national ID can come
later from ``saphan depa-dp users import``): usage is never dropped for a late import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection, func, select

from saphan.core.clock import BANGKOK, to_utc_naive
from saphan.core.db import Database
from saphan.core.statement import upsert_into
from saphan.depa.dp.errors import DPInvalid
from saphan.depa.dp.models import AppUser, DailyUsage

DAY_SECONDS = 86_400
MAX_EVENTS = 1000
#: How far ahead of the server's clock an event's ``at`` may be (device clocks drift).
CLOCK_SKEW = dt.timedelta(minutes=5)


class UsageEvent(BaseModel):
    """What happened for one user: ``opens`` app opens and/or a session of ``seconds`` (or
    ``minutes``) that ended at ``at`` (default: now; ISO 8601, a time without offset is Bangkok)."""

    model_config = ConfigDict(extra="forbid", strict=False)

    appUserId: str = Field(min_length=1, max_length=100)
    at: dt.datetime | None = None
    opens: int = Field(default=0, ge=0, le=10_000)
    seconds: int = Field(default=0, ge=0, le=DAY_SECONDS)
    minutes: int = Field(default=0, ge=0, le=1440)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("appUserId")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:  # in no user id, and PostgreSQL text cannot hold it
            raise ValueError("Must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together: give both or neither")
        if self.session_seconds > DAY_SECONDS:
            raise ValueError("a session is at most 86400 seconds (seconds + 60 * minutes)")
        if not self.opens and not self.session_seconds:
            raise ValueError("an event records opens, session time, or both")
        return self

    @property
    def session_seconds(self) -> int:
        return self.seconds + 60 * self.minutes


@dataclass(frozen=True)
class DayTotal:
    app_user_id: str
    access_date: dt.date
    access_count: int
    seconds: int


def split_by_day(end: dt.datetime, seconds: int) -> dict[dt.date, int]:
    """``seconds`` of session ending at ``end``, per Bangkok day it covers."""
    end = end.astimezone(BANGKOK)
    start = end - dt.timedelta(seconds=seconds)
    parts: dict[dt.date, int] = {}
    cursor = end
    while cursor > start:
        midnight = cursor.replace(hour=0, minute=0, second=0, microsecond=0)
        if midnight == cursor:  # exactly midnight: the time before it is the previous day's
            midnight -= dt.timedelta(days=1)
        piece_start = max(start, midnight)
        day = piece_start.date()
        parts[day] = parts.get(day, 0) + round((cursor - piece_start).total_seconds())
        cursor = piece_start
    return parts


def _when(event: UsageEvent, now: dt.datetime, index: int) -> dt.datetime:
    at = event.at or now
    at = at if at.tzinfo else at.replace(tzinfo=BANGKOK)
    if at > now + CLOCK_SKEW:
        raise DPInvalid(f"{at.isoformat()} is in the future (events[{index}].at)")
    return at.astimezone(BANGKOK)


def _user_ids(conn: Connection, app_user_ids: set[str], at: dt.datetime) -> dict[str, int]:
    """Ids of these users, creating the ones not seen before (safely under concurrency)."""
    rows = [
        {
            "app_user_id": u,
            "phone": None,
            "id_card_digest": None,
            "created_at": at,
            "updated_at": at,
        }
        for u in sorted(app_user_ids)
    ]
    conn.execute(
        upsert_into(conn.dialect.name, AppUser).on_conflict_do_nothing(
            index_elements=["app_user_id"]
        ),
        rows,
    )
    found = conn.execute(
        select(AppUser.app_user_id, AppUser.id).where(AppUser.app_user_id.in_(sorted(app_user_ids)))
    )
    return {str(name): int(id_) for name, id_ in found}


def record(db: Database, events: Sequence[UsageEvent], now: dt.datetime) -> list[DayTotal]:
    """Add the events to their users' day totals, in one transaction; the new totals of every
    (user, day) touched."""
    if not events:
        return []
    if len(events) > MAX_EVENTS:
        raise DPInvalid(f"at most {MAX_EVENTS} events per request")
    deltas: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for index, event in enumerate(events):
        at = _when(event, now, index)
        pieces = split_by_day(at, event.session_seconds) if event.session_seconds else {}
        days = set(pieces)
        if event.opens or event.lat is not None:
            days.add(at.date())
        for day in days:
            delta = deltas.setdefault(
                (event.appUserId, day), {"access_count": 0, "seconds": 0, "lat": None, "lon": None}
            )
            delta["seconds"] += pieces.get(day, 0)
            if day == at.date():
                delta["access_count"] += event.opens
                if event.lat is not None:
                    delta["lat"], delta["lon"] = event.lat, event.lon
    stamp = to_utc_naive(now)
    with db.begin() as conn:
        ids = _user_ids(conn, {name for name, _day in deltas}, stamp)
        rows = [
            {"user_id": ids[name], "access_date": day, "updated_at": stamp, **delta}
            for (name, day), delta in sorted(deltas.items())
        ]
        statement = upsert_into(conn.dialect.name, DailyUsage)
        table = DailyUsage.__table__.c
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "access_date"],
                set_={
                    "access_count": table.access_count + statement.excluded.access_count,
                    "seconds": table.seconds + statement.excluded.seconds,
                    "lat": func.coalesce(statement.excluded.lat, table.lat),
                    "lon": func.coalesce(statement.excluded.lon, table.lon),
                    "updated_at": statement.excluded.updated_at,
                },
            ),
            rows,
        )
        totals = conn.execute(
            select(
                AppUser.app_user_id,
                DailyUsage.access_date,
                DailyUsage.access_count,
                DailyUsage.seconds,
            )
            .join(AppUser, AppUser.id == DailyUsage.user_id)
            .where(
                DailyUsage.user_id.in_(sorted(set(ids.values()))),
                DailyUsage.access_date.in_(sorted({day for _name, day in deltas})),
            )
            .order_by(AppUser.app_user_id, DailyUsage.access_date)
        ).all()
    touched = set(deltas)
    return [DayTotal(*row) for row in totals if (row[0], row[1]) in touched]
