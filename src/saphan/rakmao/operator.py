"""What an organisation running Rakmao's side does: accounts (provisioned by the operator, as
the spec says: "ask the developer to register you"), their authen strings, signing keys.

Used by the operator API, the ``saphan rakmao`` commands and the demo data alike.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from saphan.core.admin import AdminBadRequest, AdminConflict, AdminNotFound
from saphan.core.clock import to_utc_naive, wire_datetime
from saphan.core.hashing import hash_password, verify_password
from saphan.rakmao import keys
from saphan.rakmao.admin_schemas import AccountCreate, AccountCreated, AccountOut, EventOut, KeyOut
from saphan.rakmao.logic import event_body
from saphan.rakmao.models import Account, Event, RefreshFamily, SigningKey
from saphan.rakmao.status import EVENT_NAMES
from saphan.rakmao.tokens import authen_string


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        username=account.username,
        orgId=account.org_id,
        orgName=account.org_name,
        buyerTaxId=account.buyer_tax_id,
        sellerTaxId=account.seller_tax_id,
        createdAt=wire_datetime(account.created_at),
        disabledAt=wire_datetime(account.disabled_at),
    )


def create_account(session: Session, body: AccountCreate, now: dt.datetime) -> AccountCreated:
    """A new account; its authen string is in the answer (only its password hash is kept)."""
    username = body.username.strip().lower()
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise AdminConflict(f"Username {username} is taken")
    account = Account(
        username=username,
        password_hash=hash_password(body.password),
        org_id=body.orgId,
        org_name=body.orgName,
        buyer_tax_id=body.buyerTaxId,
        seller_tax_id=body.sellerTaxId,
        token_version=1,
        created_at=to_utc_naive(now),
    )
    session.add(account)
    session.flush()
    return AccountCreated(
        **account_out(account).model_dump(), authenString=authen_string(username, body.password)
    )


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.id)))


def get_account(session: Session, username: str) -> Account:
    account = session.scalar(select(Account).where(Account.username == username.strip().lower()))
    if account is None:
        raise AdminNotFound(f"No account {username}")
    return account


def disable_account(session: Session, username: str, now: dt.datetime) -> Account:
    """Disable an account and revoke every token it holds (access and refresh)."""
    account = get_account(session, username)
    stamp = to_utc_naive(now)
    if account.disabled_at is None:
        account.disabled_at = stamp
    account.token_version += 1
    session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.account_id == account.id, RefreshFamily.revoked_at.is_(None))
        .values(revoked_at=stamp)
    )
    return account


def authen_string_for(session: Session, username: str, password: str) -> str:
    """The authen string of an account, once its password is confirmed (the password itself is
    not stored, so the operator must know it)."""
    account = get_account(session, username)
    if not verify_password(account.password_hash, password):
        raise AdminBadRequest("That is not the account's password")
    return authen_string(account.username, password)


def key_out(key: SigningKey) -> KeyOut:
    return KeyOut(
        kid=key.kid,
        createdAt=wire_datetime(key.created_at),
        retiredAt=wire_datetime(key.retired_at),
    )


def list_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.id)))


def rotate_key(session: Session, secret: bytes, now: dt.datetime) -> SigningKey:
    return keys.rotate(session, secret, now)


def list_events(session: Session, *, pending: bool = False, limit: int = 100) -> list[EventOut]:
    query = select(Event).order_by(Event.id.desc()).limit(limit)
    if pending:
        query = query.where(Event.delivered_at.is_(None))
    return [
        EventOut(
            id=e.id,
            type=e.type,
            typeName=EVENT_NAMES.get(e.type, ""),
            poId=e.po_id,
            audience=e.audience,
            target=e.target,
            payload=event_body(e),
            createdAt=wire_datetime(e.created_at),
            deliveredAt=wire_datetime(e.delivered_at),
        )
        for e in session.scalars(query)
    ]
