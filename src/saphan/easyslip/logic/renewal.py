"""Renewals of an application's plan, paid from its account's credit.

EasySlip's ``/v2/info`` shows ``autoRenew.expired`` ("renew automatically when it expires"),
``autoRenew.quota`` ("renew automatically when the quota runs out") and ``account.credit``
("credit available"). A renewal costs ``renew_price`` credit. On expiry it moves ``expires_at``
``renew_months`` on and starts the month's quota again; when the month's quota is spent it
starts the month's quota again. Without the flag, or without the credit, nothing renews: an
expired plan's verifications are APPLICATION_EXPIRED, a spent month's QUOTA_EXCEEDED.

Both run in the verification's (or ``/v2/info``'s) write, off the hot path: a plan that has
not expired and a month not spent never come here. Each payment is one conditional ``UPDATE``
(credit enough, the flag on, for expiry the expiry it read), so concurrent requests, in any
process, pay one renewal once.
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import ColumnElement, Connection, Update, select, update

from saphan.core.clock import to_bangkok, to_utc_naive
from saphan.easyslip.models import Application, QuotaUsage

#: At most this many periods are renewed at once (a plan expired for years, renewed for free).
MAX_PERIODS = 1000


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    """A stored (naive UTC) time ``months`` later on Bangkok's calendar, the day kept (or the
    month's last day)."""
    local = to_bangkok(value)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return to_utc_naive(local.replace(year=year, month=month, day=day))


def _restart_month(conn: Connection, app_id: int, start: dt.date) -> None:
    """Start the application's count for the billing month at ``start`` again."""
    conn.execute(
        update(QuotaUsage)
        .where(
            QuotaUsage.kind == "app",
            QuotaUsage.owner_id == app_id,
            QuotaUsage.month_start == start,
        )
        .values(base=QuotaUsage.used)
    )


def _pay(flag: ColumnElement[bool]) -> Update:
    """The payment: ``renew_price`` from the credit, if the credit covers it and ``flag``."""
    return (
        update(Application)
        .where(flag, Application.credit >= Application.renew_price)
        .values(credit=Application.credit - Application.renew_price)
        .returning(Application.id)
    )


def renew_quota(conn: Connection, app_id: int, start: dt.date) -> bool:
    """The month at ``start`` is spent: renew it when the application auto-renews on quota and
    its credit covers a renewal. True when renewed."""
    paid = conn.execute(
        _pay(Application.auto_renew_quota.is_(True)).where(Application.id == app_id)
    ).first()
    if paid is None:
        return False
    _restart_month(conn, app_id, start)
    return True


def renew_expired(
    conn: Connection, app_id: int, now: dt.datetime, start: dt.date
) -> dt.datetime | None:
    """The plan has expired by ``now``: renew it, period after period until it runs past
    ``now``, when the application auto-renews on expiry and its credit covers each. The
    expiry then (naive UTC), or None when the plan stays expired."""
    at = to_utc_naive(now)
    renewed = False
    for _ in range(MAX_PERIODS):
        row = conn.execute(
            select(
                Application.expires_at,
                Application.renew_months,
                Application.auto_renew_expired,
                Application.credit,
                Application.renew_price,
            ).where(Application.id == app_id)
        ).one()
        if row.expires_at > at:
            break
        if not row.auto_renew_expired or row.credit < row.renew_price:
            return None
        conn.execute(
            _pay(Application.expires_at == row.expires_at)
            .where(Application.id == app_id)
            .values(expires_at=add_months(row.expires_at, row.renew_months))
        )
        renewed = True
    else:
        return None
    if renewed:
        _restart_month(conn, app_id, start)
    expires: dt.datetime = row.expires_at
    return expires
