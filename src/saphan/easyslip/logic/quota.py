"""Quota: verifications per billing month, counted for the application and for the branch.

A billing month starts on the application's creation day-of-month (Bangkok; a day past a
month's end is that month's last day). What counts against the limit is ``used - base``
(``base``: ``used`` when the month's quota was last renewed, ``logic.renewal``). Spending is one
conditional ``UPDATE ... WHERE used - base < max RETURNING`` per counter (the month's first
also inserts the row), in the verification's transaction, so it is exact under concurrency:
PostgreSQL re-checks the condition on the row it waited for, SQLite writes one transaction at
a time (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select, update

from saphan.core.clock import bangkok_date
from saphan.core.statement import Statement, upsert_into
from saphan.easyslip.errors import QuotaExceeded
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.renewal import renew_quota
from saphan.easyslip.models import QuotaUsage

APP, BRANCH = "app", "branch"


def _anchor(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def month_start(created: dt.date, today: dt.date) -> dt.date:
    """The first day of the billing month holding ``today``."""
    if today <= created:
        return created
    start = _anchor(today.year, today.month, created.day)
    if start > today:
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        start = _anchor(year, month, created.day)
    return start


def next_month_start(created: dt.date, start: dt.date) -> dt.date:
    year, month = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
    return _anchor(year, month, created.day)


@dataclass(frozen=True, slots=True)
class Usage:
    used: int
    total: int


def usage(conn: Connection, kind: str, owner_id: int, start: dt.date) -> Usage:
    """This month's use (since its last renewal) and the use of every month."""
    row = conn.execute(
        select(
            func.coalesce(
                func.sum(QuotaUsage.used - QuotaUsage.base).filter(QuotaUsage.month_start == start),
                0,
            ),
            func.coalesce(func.sum(QuotaUsage.used), 0),
        ).where(QuotaUsage.kind == kind, QuotaUsage.owner_id == owner_id)
    ).one()
    return Usage(used=int(row[0]), total=int(row[1]))


#: The conditional increment with and without a limit, and the month row's creation.
_WHERE = (
    QuotaUsage.kind == bindparam("q_kind"),
    QuotaUsage.owner_id == bindparam("q_owner"),
    QuotaUsage.month_start == bindparam("q_start"),
)
_INCREMENT = (
    update(QuotaUsage).where(*_WHERE).values(used=QuotaUsage.used + 1).returning(QuotaUsage.used)
)
_UNLIMITED = Statement(_INCREMENT)
_LIMITED = Statement(_INCREMENT.where(QuotaUsage.used - QuotaUsage.base < bindparam("q_limit")))
_CREATE = Statement(
    lambda name: (
        upsert_into(name, QuotaUsage)
        .values(
            kind=bindparam("q_kind"),
            owner_id=bindparam("q_owner"),
            month_start=bindparam("q_start"),
            used=0,
            base=0,
        )
        .on_conflict_do_nothing(index_elements=["kind", "owner_id", "month_start"])
    )
)


def _take(conn: Connection, kind: str, owner_id: int, start: dt.date, limit: int | None) -> bool:
    """Add 1 to the counter unless it is at ``limit``; True when added. The month's row is
    created by its first verification (then the update is tried once more)."""
    params: dict[str, object] = {"q_kind": kind, "q_owner": owner_id, "q_start": start}
    statement = _UNLIMITED
    if limit is not None:
        statement, params["q_limit"] = _LIMITED, limit
    if statement.first(conn, **params) is not None:
        return True
    _CREATE.run(conn, **params)
    return statement.first(conn, **params) is not None


def billing_start(caller: Caller, now: dt.datetime) -> dt.date:
    return month_start(bangkok_date(caller.app_created_at), now.date())


def spend(
    conn: Connection,
    caller: Caller,
    now: dt.datetime,
    *,
    app_taken: bool = False,
    branch_taken: bool = False,
) -> None:
    """Use one verification of this month's quota, the application's and the branch's, or
    QUOTA_EXCEEDED (the caller's transaction rolls back whatever was taken). A spent
    application month is renewed from credit first when the application auto-renews on quota
    (``renewal.renew_quota``). ``app_taken``, ``branch_taken``: already taken by the caller's
    own statement (``logic.verify``)."""
    start = billing_start(caller, now)
    app_id, app_max = caller.application_id, caller.app_quota_max
    if not (
        app_taken
        or _take(conn, APP, app_id, start, app_max)
        or (renew_quota(conn, app_id, start) and _take(conn, APP, app_id, start, app_max))
    ):
        raise QuotaExceeded()
    if not branch_taken and not _take(
        conn, BRANCH, caller.branch_id, start, caller.branch_quota_max
    ):
        raise QuotaExceeded()
