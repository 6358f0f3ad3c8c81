"""The DP side's errors. They use the operator envelope ``{"error": {"code", "message"}}``
(``saphan.core.admin``): the track API is the DP's own, not depa's wire."""

from __future__ import annotations

from saphan.core.admin import AdminConflict, AdminError, AdminInvalid, AdminNotFound


class DPError(AdminError):
    pass


class DPInvalid(AdminInvalid):
    """Input that does not validate (a user file's row, a tracked event)."""


class DPNotFound(AdminNotFound):
    """No such voucher or user."""


class DPConflict(AdminConflict):
    """A link that would replace another without ``force``."""
