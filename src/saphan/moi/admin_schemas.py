"""What the operator loads: accounts of either layout, with their bills."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from saphan.moi.models import MEA, PEA


class BillIn(BaseModel):
    #: ``billDate`` (customerinfo) or ``RecordDate`` (CAList).
    bill_date: dt.date
    #: ``kwh`` / ``Unit``.
    units: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    #: ``Amount`` / ``Cost``.
    amount: Decimal = Field(max_digits=16, decimal_places=2)
    #: CAList only: BillPeriod, DueDate, InvoiceNo, Paydate.
    info: dict[str, str] = Field(default_factory=dict)


class AccountIn(BaseModel):
    citizen_id: str = Field(pattern=r"^[0-9]{13}$")
    layout: Literal["customerinfo", "CAList"]
    #: ``installationNumber`` or ``CANo``.
    account_no: str = Field(min_length=1, max_length=50)
    #: The layout's other fields, by their wire names.
    info: dict[str, Any] = Field(default_factory=dict)
    bills: list[BillIn] = Field(default_factory=list)


LAYOUTS = (MEA, PEA)
