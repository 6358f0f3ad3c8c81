"""Operator wire models (``/admin/rakmao``): not Rakmao's wire, Saphan's own."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

from saphan.core.boundary import NameText
from saphan.rakmao.schemas import Guid

#: Names and tax ids: one line, no control or bidi formatting characters (``core.boundary``).
Text = Annotated[str, NameText]


class AccountCreate(BaseModel):
    username: Text = Field(min_length=1, max_length=100, pattern=r"^\S+$", examples=["acme-buyer"])
    password: str = Field(min_length=12, max_length=1024)
    orgId: Guid | None = Field(default=None, description="The buyer organisation it acts for")
    orgName: Text = Field(default="", max_length=300)
    buyerTaxId: Text | None = Field(default=None, min_length=1, max_length=20)
    sellerTaxId: Text | None = Field(
        default=None, min_length=1, max_length=20, description="The seller it acts for"
    )

    @model_validator(mode="after")
    def _acts_for_someone(self) -> Self:
        if self.orgId is None and self.sellerTaxId is None:
            raise ValueError("give orgId (a buyer), sellerTaxId (a seller), or both")
        return self


class AccountOut(BaseModel):
    id: int
    username: str
    orgId: str | None
    orgName: str
    buyerTaxId: str | None
    sellerTaxId: str | None
    createdAt: str
    disabledAt: str


class AccountCreated(AccountOut):
    authenString: str = Field(
        description="What the account sends to RequestAPIToken. Shown this once."
    )


class AuthenStringRequest(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


class AuthenStringOut(BaseModel):
    authenString: str


class KeyOut(BaseModel):
    kid: str
    createdAt: str
    retiredAt: str


class EventOut(BaseModel):
    id: int
    type: int
    typeName: str
    poId: str
    audience: str
    target: str
    payload: object
    createdAt: str
    deliveredAt: str
