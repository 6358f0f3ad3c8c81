"""Operator wire models (``/admin/rakmao``): not Rakmao's wire, Saphan's own."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from saphan.core.boundary import NameText
from saphan.rakmao.schemas import Guid

#: Names and tax ids: one line, no control or bidi formatting characters (``core.boundary``).
Text = Annotated[str, NameText]
#: A user name: no white space (Python's and JSON Schema's, spelled out so both read it alike)
#: and none of what Text refuses.
USERNAME_PATTERN = (
    r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f\u3000"
    r"\u2066-\u2069]+$"
)


class AccountCreate(BaseModel):
    #: orgId, sellerTaxId or both (``_acts_for_someone``): null is neither.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["orgId"], "properties": {"orgId": {"type": "string"}}},
                {"required": ["sellerTaxId"], "properties": {"sellerTaxId": {"type": "string"}}},
            ]
        }
    )

    username: Text = Field(
        min_length=1, max_length=100, pattern=USERNAME_PATTERN, examples=["acme-buyer"]
    )
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
