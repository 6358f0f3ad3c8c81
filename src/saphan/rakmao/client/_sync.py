"""``RakmaoClient``: the synchronous client (see ``saphan.rakmao.client``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from saphan.core.http_client import SyncAPIClient
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


class RakmaoClient(SyncAPIClient, Shared):
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

    # -- tokens --

    def login(self) -> str:
        """RequestAPIToken with the username and password; the token is kept and returned."""
        response = self.request("POST", self._auth_url("RequestAPIToken"), json=self._authen())
        return self._tokens.keep(self._data(response, TokenData))

    def renew(self) -> str:
        """RenewAPIToken with the latest refresh token; logs in again if that is refused."""
        if self._tokens.refresh is None:
            return self.login()
        try:
            response = self.request(
                "POST", self._auth_url("RenewAPIToken"), json=self._tokens.refresh
            )
        except AuthenticationError:
            return self.login()
        return self._tokens.keep(self._data(response, TokenData))

    def _token(self) -> str:
        if self._tokens.fresh():
            return str(self._tokens.token)
        return self.renew() if self._tokens.refresh else self.login()

    def _call(
        self, method: str, path: str, body: Any = None, *, read: bool = False
    ) -> httpx.Response:
        try:
            return self.request(
                method, path, json=body, headers={"Authorization": self._token()}, idempotent=read
            )
        except AuthenticationError:
            # Refused before anything was done: safe to repeat once with a new token.
            token = self.renew()
            return self.request(
                method, path, json=body, headers={"Authorization": token}, idempotent=read
            )

    # -- Buyer --

    def create_po(self, po: CreatePo) -> Created:
        """A Draft PO; never retried (a repeat would create a second PO)."""
        created: Created = self._data(self._call("POST", "/api/v1/Buyer", body_of(po)), Created)
        return created

    def change_status(self, po_id: str, change: ChangeStatus) -> bool:
        path = f"/api/v1/Buyer/{po_id}/Status"
        return bool(self._data(self._call("PUT", path, body_of(change)), bool))

    def edit_po(self, po_id: str, edit: EditPo) -> bool:
        return bool(self._data(self._call("PUT", f"/api/v1/Buyer/{po_id}", body_of(edit)), bool))

    def list_buyer_pos(
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
            self._call("GET", path, read=True), Page[BuyerListItem]
        )
        return result

    def iter_buyer_pos(
        self,
        org_id: str,
        *,
        keyword: str | None = None,
        status: int | None = None,
        perpage: int = 100,
    ) -> Iterator[BuyerListItem]:
        """Every matching PO, page after page."""
        page = 1
        while True:
            found = self.list_buyer_pos(
                org_id, keyword=keyword, status=status, page=page, perpage=perpage
            )
            yield from found.item
            if not found.item or page * perpage >= found.count:
                return
            page += 1

    def buyer_documents(
        self,
        org_id: str,
        *,
        po_id: str | None = None,
        quotation_id: str | None = None,
        rfq_id: str | None = None,
    ) -> list[BuyerDocument]:
        path = query(f"/api/v1/Buyer/{org_id}/Document", self._refs(po_id, quotation_id, rfq_id))
        result: list[BuyerDocument] = self._data(
            self._call("GET", path, read=True), list[BuyerDocument]
        )
        return result

    # -- Seller --

    def list_seller_pos(
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
            self._call("GET", path, read=True), Page[SellerListItem]
        )
        return result

    def iter_seller_pos(
        self,
        tax_id: str,
        *,
        keyword: str | None = None,
        status: int | None = None,
        perpage: int = 100,
    ) -> Iterator[SellerListItem]:
        page = 1
        while True:
            found = self.list_seller_pos(
                tax_id, keyword=keyword, status=status, page=page, perpage=perpage
            )
            yield from found.item
            if not found.item or page * perpage >= found.count:
                return
            page += 1

    def seller_documents(
        self,
        tax_id: str,
        *,
        po_id: str | None = None,
        quotation_id: str | None = None,
        rfq_id: str | None = None,
    ) -> list[SellerDocument]:
        path = query(f"/api/v1/Seller/{tax_id}/Document", self._refs(po_id, quotation_id, rfq_id))
        result: list[SellerDocument] = self._data(
            self._call("GET", path, read=True), list[SellerDocument]
        )
        return result

    def request_cancel(self, po_id: str, action: SellerAction) -> bool:
        path = f"/api/v1/Seller/{po_id}/RequestCancel"
        return bool(self._data(self._call("POST", path, body_of(action)), bool))

    def reject(self, po_id: str, action: SellerAction) -> bool:
        path = f"/api/v1/Seller/{po_id}/Reject"
        return bool(self._data(self._call("POST", path, body_of(action)), bool))
