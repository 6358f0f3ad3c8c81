"""GET /v2/info: the application, the branch, the account's credit and the plan.

Two statements, both built once: the application and branch row, and both quota counters'
this-month and all-time sums."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from saphan.core.clock import to_bangkok
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.quota import APP, BRANCH, billing_start
from saphan.easyslip.models import Application, Branch, QuotaUsage


def iso(value: dt.datetime) -> str:
    """ISO 8601 in Bangkok time with its offset: ``2024-01-01T00:00:00+07:00``."""
    return to_bangkok(value).isoformat(timespec="seconds")


_ACCOUNT = (
    select(
        Application.name,
        Application.email,
        Application.product_name,
        Application.quota_max,
        Application.auto_renew_expired,
        Application.auto_renew_quota,
        Application.credit,
        Application.created_at,
        Application.expires_at,
        Branch.name.label("branch_name"),
        Branch.is_active,
    )
    .join(Application, Application.id == Branch.application_id)
    .where(Branch.id == bindparam("branch_id"))
)

_USAGE = (
    select(
        QuotaUsage.kind,
        func.coalesce(
            func.sum(QuotaUsage.used - QuotaUsage.base).filter(
                QuotaUsage.month_start == bindparam("start")
            ),
            0,
        ),
        func.sum(QuotaUsage.used),
    )
    .where(
        or_(
            and_(QuotaUsage.kind == APP, QuotaUsage.owner_id == bindparam("app_id")),
            and_(QuotaUsage.kind == BRANCH, QuotaUsage.owner_id == bindparam("branch_id")),
        )
    )
    .group_by(QuotaUsage.kind)
)


def info(conn: Connection, caller: Caller, now: dt.datetime) -> dict[str, Any]:
    row = conn.execute(_ACCOUNT, {"branch_id": caller.branch_id}).one()
    params = {
        "start": billing_start(caller, now),
        "app_id": caller.application_id,
        "branch_id": caller.branch_id,
    }
    sums = {kind: (int(month), int(total)) for kind, month, total in conn.execute(_USAGE, params)}
    app_used, app_total = sums.get(APP, (0, 0))
    branch_used, branch_total = sums.get(BRANCH, (0, 0))
    maximum = row.quota_max
    return {
        "success": True,
        "data": {
            "application": {
                "name": row.name,
                "autoRenew": {
                    "expired": row.auto_renew_expired,
                    "quota": row.auto_renew_quota,
                    "createdAt": iso(row.created_at),
                    "expiresAt": iso(row.expires_at),
                },
                "quota": {
                    "used": app_used,
                    "max": maximum,
                    "remaining": None if maximum is None else max(0, maximum - app_used),
                    "totalUsed": app_total,
                },
            },
            "branch": {
                "name": row.branch_name,
                "isActive": row.is_active,
                "quota": {"used": branch_used, "totalUsed": branch_total},
            },
            "account": {"email": row.email, "credit": row.credit},
            "product": {"name": row.product_name},
        },
        "message": "Information retrieved successfully",
    }
