"""``AsyncRakmaoClient``: the asynchronous client (see ``saphan.rakmao.client``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from saphan.core.http_client import AsyncAPIClient
from saphan.rakmao.client._common import (
    ERRORS,
    AuthenticationError,
    Shared,
    Tokens,
    body_of,
    config_from,
    query,
)
from saphan.rakmao.schemas import (
    BuyerDocument,
    BuyerListItem,
    ChangeStatus,
    Created,
    CreatePo,
    EditPo,
    Page,
    SellerAction,
    SellerDocument,
    SellerListItem,
    TokenData,
)


class AsyncRakmaoClient(AsyncAPIClient, Shared):
    errors = ERRORS
    service = "rakmao"

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        base_url: str | None = None,
        auth_base_url: str | None = None,
        **options: Any,
    ) -> None:
        self._config = config_from(auth_base_url, base_url, username, password)
        super().__init__(base_url=self._config.base_url, **options)
        self._tokens = Tokens()

    async def login(self) -> str:
        response = await self.request(
            "POST", self._auth_url("RequestAPIToken"), json=self._authen()
        )
        return self._tokens.keep(self._data(response, TokenData))

    async def renew(self) -> str:
        if self._tokens.refresh is None:
            return await self.login()
        try:
            response = await self.request(
                "POST", self._auth_url("RenewAPIToken"), json=self._tokens.refresh
            )
        except AuthenticationError:
            return await self.login()
        return self._tokens.keep(self._data(response, TokenData))

    async def _token(self) -> str:
        if self._tokens.fresh():
            return str(self._tokens.token)
        return await (self.renew() if self._tokens.refresh else self.login())

    async def _call(
        self, method: str, path: str, body: Any = None, *, read: bool = False
    ) -> httpx.Response:
        try:
            return await self.request(
                method,
                path,
                json=body,
                headers={"Authorization": await self._token()},
                idempotent=read,
            )
        except AuthenticationError:
            token = await self.renew()
            return await self.request(
                method, path, json=body, headers={"Authorization": token}, idempotent=read
            )

    async def create_po(self, po: CreatePo) -> Created:
        response = await self._call("POST", "/api/v1/Buyer", body_of(po))
        created: Created = self._data(response, Created)
        return created

    async def change_status(self, po_id: str, change: ChangeStatus) -> bool:
        response = await self._call("PUT", f"/api/v1/Buyer/{po_id}/Status", body_of(change))
        return bool(self._data(response, bool))

    async def edit_po(self, po_id: str, edit: EditPo) -> bool:
        response = await self._call("PUT", f"/api/v1/Buyer/{po_id}", body_of(edit))
        return bool(self._data(response, bool))

    async def list_buyer_pos(
        self,
        org_id: str,
        *,
        keyword: str | None = None,
        status: int | None = None,
        page: int = 1,
        perpage: int = 100,
    ) -> Page[BuyerListItem]:
        path = query(f"/api/v1/Buyer/{org_id}", self._list_params(keyword, status, page, perpage))
        result: Page[BuyerListItem] = self._data(
            await self._call("GET", path, read=True), Page[BuyerListItem]
        )
        return result

    async def iter_buyer_pos(
        self,
        org_id: str,
        *,
        keyword: str | None = None,
        status: int | None = None,
        perpage: int = 100,
    ) -> AsyncIterator[BuyerListItem]:
        page = 1
        while True:
            found = await self.list_buyer_pos(
                org_id, keyword=keyword, status=status, page=page, perpage=perpage
            )
            for item in found.item:
                yield item
            if not found.item or page * perpage >= found.count:
                return
            page += 1

    async def buyer_documents(
        self,
        org_id: str,
        *,
        po_id: str | None = None,
        quotation_id: str | None = None,
        rfq_id: str | None = None,
    ) -> list[BuyerDocument]:
        path = query(f"/api/v1/Buyer/{org_id}/Document", self._refs(po_id, quotation_id, rfq_id))
        result: list[BuyerDocument] = self._data(
            await self._call("GET", path, read=True), list[BuyerDocument]
        )
        return result

    async def list_seller_pos(
        self,
        tax_id: str,
        *,
        keyword: str | None = None,
        status: int | None = None,
        page: int = 1,
        perpage: int = 100,
    ) -> Page[SellerListItem]:
        path = query(f"/api/v1/Seller/{tax_id}", self._list_params(keyword, status, page, perpage))
        result: Page[SellerListItem] = self._data(
            await self._call("GET", path, read=True), Page[SellerListItem]
        )
        return result

    async def iter_seller_pos(
        self,
        tax_id: str,
        *,
        keyword: str | None = None,
        status: int | None = None,
        perpage: int = 100,
    ) -> AsyncIterator[SellerListItem]:
        page = 1
        while True:
            found = await self.list_seller_pos(
                tax_id, keyword=keyword, status=status, page=page, perpage=perpage
            )
            for item in found.item:
                yield item
            if not found.item or page * perpage >= found.count:
                return
            page += 1

    async def seller_documents(
        self,
        tax_id: str,
        *,
        po_id: str | None = None,
        quotation_id: str | None = None,
        rfq_id: str | None = None,
    ) -> list[SellerDocument]:
        path = query(f"/api/v1/Seller/{tax_id}/Document", self._refs(po_id, quotation_id, rfq_id))
        result: list[SellerDocument] = self._data(
            await self._call("GET", path, read=True), list[SellerDocument]
        )
        return result

    async def request_cancel(self, po_id: str, action: SellerAction) -> bool:
        response = await self._call(
            "POST", f"/api/v1/Seller/{po_id}/RequestCancel", body_of(action)
        )
        return bool(self._data(response, bool))

    async def reject(self, po_id: str, action: SellerAction) -> bool:
        response = await self._call("POST", f"/api/v1/Seller/{po_id}/Reject", body_of(action))
        return bool(self._data(response, bool))
