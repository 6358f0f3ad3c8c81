"""GET /v2/info: the application, the branch, the account's credit and the plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select

from saphan.core.clock import to_bangkok
from saphan.easyslip.logic.auth import Caller
from saphan.easyslip.logic.quota import APP, BRANCH, billing_start, usage
from saphan.easyslip.models import Application, Branch


def iso(value: dt.datetime) -> str:
    """ISO 8601 in Bangkok time with its offset: ``2024-01-01T00:00:00+07:00``."""
    return to_bangkok(value).isoformat(timespec="seconds")


def info(conn: Connection, caller: Caller, now: dt.datetime) -> dict[str, Any]:
    app = conn.execute(select(Application).where(Application.id == caller.application_id)).one()
    branch = conn.execute(
        select(Branch.name, Branch.is_active).where(Branch.id == caller.branch_id)
    ).one()
    start = billing_start(caller, now)
    app_usage = usage(conn, APP, caller.application_id, start)
    branch_usage = usage(conn, BRANCH, caller.branch_id, start)
    maximum = app.quota_max
    return {
        "success": True,
        "data": {
            "application": {
                "name": app.name,
                "autoRenew": {
                    "expired": app.auto_renew_expired,
                    "quota": app.auto_renew_quota,
                    "createdAt": iso(app.created_at),
                    "expiresAt": iso(app.expires_at),
                },
                "quota": {
                    "used": app_usage.used,
                    "max": maximum,
                    "remaining": None if maximum is None else max(0, maximum - app_usage.used),
                    "totalUsed": app_usage.total,
                },
            },
            "branch": {
                "name": branch.name,
                "isActive": branch.is_active,
                "quota": {"used": branch_usage.used, "totalUsed": branch_usage.total},
            },
            "account": {"email": app.email, "credit": app.credit},
            "product": {"name": app.product_name},
        },
        "message": "Information retrieved successfully",
    }
