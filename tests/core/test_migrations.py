"""Alembic owns the schema: ``saphan.core.migrate.upgrade`` builds every table on an empty
database, SQLite and PostgreSQL alike, and what it builds is exactly what the models declare."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import saphan.depa.models  # registers the depa tables on Base.metadata
import saphan.rakmao.models  # noqa: F401  (and the unmodelled names of its search indexes)
from saphan.core import migrate
from saphan.core.db import Base
from tests.conftest import PG_URL


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"saphan_migrations_{uuid.uuid4().hex[:12]}"
    server = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


#: Tables and indexes a migration creates on purpose outside the models (a service lists them in
#: ``Base.metadata.info["unmodelled"]``), e.g. a full-text index the ORM cannot declare.
UNMODELLED: set[str] = Base.metadata.info.get("unmodelled", set())


def _modelled(name: str | None, type_: str, parent_names: Any) -> bool:
    return name not in UNMODELLED


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - UNMODELLED
    finally:
        engine.dispose()


def differences(url: str) -> list[Any]:
    """What alembic's autogenerate would write to bring the database to the models."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_name": _modelled,
                },
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


HEAD = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


def test_the_models_declare_tables() -> None:
    assert {"depa_dp", "depa_api_key", "depa_voucher", "depa_usage"} <= set(Base.metadata.tables)


def test_upgrade_creates_every_table_on_an_empty_database(empty_database: str) -> None:
    assert tables(empty_database) == set()

    migrate.upgrade(empty_database)

    assert tables(empty_database) == set(Base.metadata.tables) | {"alembic_version"}
    assert revision_of(empty_database) == HEAD


def test_the_migrated_schema_matches_the_models(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    assert differences(empty_database) == []


def test_the_test_databases_match_the_models(database_url: str) -> None:
    """The databases every other test runs on (a migrated template / a migrated PostgreSQL)."""
    assert differences(database_url) == []
    assert revision_of(database_url) == HEAD


def test_upgrade_again_changes_nothing(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    migrate.upgrade(empty_database)
    assert revision_of(empty_database) == HEAD
    assert differences(empty_database) == []


def test_downgrade_to_base_and_upgrade_again(empty_database: str) -> None:
    migrate.upgrade(empty_database)

    command.downgrade(migrate.alembic_config(empty_database), "base")
    assert tables(empty_database) == {"alembic_version"}
    assert revision_of(empty_database) is None

    migrate.upgrade(empty_database)
    assert differences(empty_database) == []


def test_the_comparison_does_see_a_schema_that_drifted(empty_database: str) -> None:
    """The check above is not vacuous: an index missing from the database shows up."""
    migrate.upgrade(empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_depa_api_key_dp_id"))
    finally:
        engine.dispose()

    [(kind, index)] = differences(empty_database)

    assert (kind, index.name) == ("add_index", "ix_depa_api_key_dp_id")


def test_the_moi_day_counter_is_backfilled_from_the_audit(empty_database: str) -> None:
    """0002b_moi_lookup_quota counts the lookups already audited, per client and Bangkok day,
    so a day's quota holds across the upgrade."""
    migrate.upgrade(empty_database, "0002_moi")
    engine = create_engine(empty_database)
    audit = (
        "INSERT INTO moi_audit (at, client_id, agent_id, citizen_digest, citizen_last4, rows) "
        "VALUES (:at, :client, '1100000000001', 'x', '1917', 1)"
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO moi_client (id, client_id, secret_digest, name, any_agent, "
                    "created_at) VALUES (1, 'a', 'x', '', true, '2025-11-01 00:00:00'), "
                    "(2, 'b', 'x', '', true, '2025-11-01 00:00:00')"
                )
            )
            for at, client in [
                ("2025-11-20 16:59:59", 1),  # 23:59:59 in Bangkok: the 20th
                ("2025-11-20 17:00:00", 1),  # midnight in Bangkok: the 21st
                ("2025-11-21 03:00:00", 1),
                ("2025-11-21 03:00:00", 2),
            ]:
                conn.execute(text(audit), {"at": at, "client": client})
        migrate.upgrade(empty_database)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT client_id, day, lookups FROM moi_lookup_day ORDER BY client_id, day")
            ).all()
    finally:
        engine.dispose()
    assert [(c, str(d), n) for c, d, n in rows] == [
        (1, "2025-11-20", 1),
        (1, "2025-11-21", 2),
        (2, "2025-11-21", 1),
    ]


def test_the_easyslip_extra_verify_booleans_become_options(empty_database: str) -> None:
    """0015_easyslip_extra_verify turns each account's boolean into the option it stood for:
    false none; true at a bank NAME_NUMBER, at PromptPay the proxy type its number's length
    tells, at KShop none. Going back, an option is true."""
    migrate.upgrade(empty_database, "0014b_rakmao_list_shown_columns")
    accounts = [
        ("004", "1234567890", True, "NAME_NUMBER"),
        ("014", "4567891230", False, None),
        ("PROMPTPAY", "0812345678", True, "MSISDN"),
        ("PROMPTPAY", "1234567890123", True, "NATID"),
        ("PROMPTPAY", "123456789012345", True, "EWALLETID"),
        ("PROMPTPAY", "081234567890", True, None),  # a length no proxy has
        ("PROMPTPAY", "0899999999", False, None),
        ("KSHOP", "1112223334", True, None),
    ]
    engine = create_engine(empty_database)
    select_accounts = text("SELECT extra_verify FROM easyslip_bank_account ORDER BY id")
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO easyslip_application (id, name, email, product_name, "
                    "auto_renew_expired, auto_renew_quota, credit, status, allowed_ips, "
                    "created_at, expires_at) VALUES (1, 'a', 'a@example.com', 'Pro', false, "
                    "false, 0, 'active', '', '2025-11-01 00:00:00', '2026-11-01 00:00:00')"
                )
            )
            for i, (bank, number, flag, _) in enumerate(accounts, 1):
                conn.execute(
                    text(
                        "INSERT INTO easyslip_bank_account (id, application_id, bank_code, "
                        "bank_number, name_th, name_en, type, extra_verify, created_at) VALUES "
                        "(:id, 1, :bank, :number, 'ร้าน', 'SHOP', 'JURISTIC', :flag, "
                        "'2025-11-01 00:00:00')"
                    ),
                    {"id": i, "bank": bank, "number": number, "flag": flag},
                )
        migrate.upgrade(empty_database)
        with engine.connect() as conn:
            upgraded = conn.execute(select_accounts).scalars().all()
        command.downgrade(migrate.alembic_config(empty_database), "0014b_rakmao_list_shown_columns")
        with engine.connect() as conn:
            downgraded = conn.execute(select_accounts).scalars().all()
    finally:
        engine.dispose()
    assert upgraded == [option for *_, option in accounts]
    assert [bool(flag) for flag in downgraded] == [option is not None for *_, option in accounts]
