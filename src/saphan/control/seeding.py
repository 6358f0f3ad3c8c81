"""A seed document, added to the state through each service's own operator functions, so every
rule an operator API applies (unique codes, keys and usernames, a voucher's times, a MOI
account's layout, a PO's buyer) applies here, with the same words; all or nothing, in the
caller's transaction. An error's message ends with where in the document it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from saphan.control.errors import Conflict, Invalid
from saphan.control.schemas import (
    ApplicationSeeded,
    DepaSeed,
    DepaSeeded,
    EasySlipSeed,
    EasySlipSeeded,
    MoiSeed,
    MoiSeeded,
    Named,
    RakmaoAccountSeeded,
    RakmaoPoSeeded,
    RakmaoSeed,
    RakmaoSeeded,
    SeedDocument,
    Seeded,
    TransferSeeded,
)
from saphan.core.errors import ServiceError
from saphan.depa import operator as depa
from saphan.easyslip import operator as easyslip
from saphan.moi import operator as moi
from saphan.moi.importing import ImportFailed, field_problem, import_accounts
from saphan.rakmao import operator as rakmao
from saphan.rakmao.logic import change_status, create_po
from saphan.rakmao.schemas import ChangeStatus
from saphan.rakmao.status import DRAFT
from saphan.rakmao.tokens import Caller


def seed(session: Session, secret: bytes, document: SeedDocument, now: dt.datetime) -> Seeded:
    return Seeded(
        depa=_depa(session, secret, document.depa, now),
        moi=_moi(session, secret, document.moi, now),
        rakmao=_rakmao(session, document.rakmao, now),
        easyslip=_easyslip(session, secret, document.easyslip, now),
    )


@contextmanager
def _at(where: str) -> Iterator[None]:
    """A service's error, with where it happened: a conflict stays a conflict; anything else the
    document asked for that the service refuses (a missing account, a buyer's PO for another
    org) is the document's fault, 422."""
    try:
        yield
    except ServiceError as exc:
        kind = Conflict if exc.status == 409 else Invalid
        raise kind(f"{exc.message} ({where})") from exc


def _depa(session: Session, secret: bytes, seed: DepaSeed, now: dt.datetime) -> DepaSeeded:
    made = []
    for i, given in enumerate(seed.dps):
        dp = depa.create_dp(session, given.name, now)
        for j, key in enumerate(given.keys):
            if depa.key_exists(session, secret, key.key):
                raise Conflict(f"The key is issued already (depa.dps[{i}].keys[{j}].key)")
            depa.issue_key(session, secret, dp.id, now, label=key.label, key=key.key)
        with _at(f"depa.dps[{i}].vouchers"):
            depa.create_vouchers(session, dp.id, given.vouchers, now)
        made.append(Named(id=dp.id, name=dp.name))
    return DepaSeeded(dps=made)


def _moi(session: Session, secret: bytes, seed: MoiSeed, now: dt.datetime) -> MoiSeeded:
    for i, client in enumerate(seed.clients):
        with _at(f"moi.clients[{i}]"):
            moi.register_client(
                session,
                secret,
                now,
                client_id=client.clientId,
                name=client.name,
                any_agent=client.anyAgent,
                agents=client.agents,
                client_secret=client.clientSecret,
            )
    for i, account in enumerate(seed.accounts):
        problem = field_problem(account)
        if problem is not None:
            raise Invalid(f"{problem} (moi.accounts[{i}])")
    try:
        result = import_accounts(session, seed.accounts, now)
    except ImportFailed as exc:
        raise Invalid(f"{exc} (moi.accounts)") from exc
    return MoiSeeded(
        clients=[c.clientId for c in seed.clients],
        accounts=result.accounts_created + result.accounts_updated,
        bills=result.bills,
    )


def _rakmao(session: Session, seed: RakmaoSeed, now: dt.datetime) -> RakmaoSeeded:
    accounts = []
    for i, account in enumerate(seed.accounts):
        with _at(f"rakmao.accounts[{i}]"):
            created = rakmao.create_account(session, account, now)
        accounts.append(
            RakmaoAccountSeeded(
                id=created.id, username=created.username, authenString=created.authenString
            )
        )
    pos = []
    for i, given in enumerate(seed.pos):
        with _at(f"rakmao.pos[{i}]"):
            buyer = rakmao.get_account(session, given.buyer)
            caller = Caller(
                buyer.id, buyer.org_id, buyer.org_name, buyer.buyer_tax_id, buyer.seller_tax_id
            )
            # The statements in turn (what SQLite's writer runs): one PO at a time needs no
            # pipeline, and they run on this session's connection on either database.
            write = create_po(caller, given.po, now, postgresql=False)
            assert callable(write)
            made = write(session.connection())
            if given.status is not None and given.status != DRAFT:
                status = ChangeStatus(
                    Status=given.status,
                    CreateByUserId=given.po.CreateByUserId,
                    CreateByUserName=given.po.CreateByUserName,
                )
                change_status(session, caller, made["PoId"], None, status, now)
        pos.append(RakmaoPoSeeded(PoId=made["PoId"], PoCode=made["PoCode"]))
    return RakmaoSeeded(accounts=accounts, pos=pos)


def _easyslip(
    session: Session, secret: bytes, seed: EasySlipSeed, now: dt.datetime
) -> EasySlipSeeded:
    applications = []
    for i, given in enumerate(seed.applications):
        app = easyslip.create_application(session, given, now)
        branches = []
        for j, branch in enumerate(given.branches):
            if easyslip.key_exists(session, secret, branch.key):
                raise Conflict(
                    f"The key is issued already (easyslip.applications[{i}].branches[{j}].key)"
                )
            created = easyslip.create_branch(session, secret, app.id, branch, now, key=branch.key)
            branches.append(Named(id=created.id, name=created.name))
        applications.append(ApplicationSeeded(id=app.id, name=app.name, branches=branches))
    with _at("easyslip.transfers"):
        transfers = easyslip.record_transfers(session, seed.transfers, now)
    return EasySlipSeeded(
        applications=applications,
        transfers=[TransferSeeded(id=t.id, payload=easyslip.payload_of(t)) for t in transfers],
    )
