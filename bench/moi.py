"""MOI scenarios.

- ``moi-import``: a CSV of one million bills (100,000 accounts of both layouts, 10 bills each)
  through ``saphan moi import``, as an operator runs it: once into an empty hub, then the same
  file again (every account updated, every bill replaced).
- ``moi-lookup``: one agent session, PowerCapital for a random one of 100,000 citizens each
  time (quota off, as for a trusted back office), against the bare-Starlette floor.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import resource
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import orjson
from faker import Faker
from sqlalchemy import create_engine, text

from bench import harness
from bench.harness import BenchError
from bench.scenarios import Options, Report, Row, Target, _floor, _log, _measure, _settle
from bench.seed import settings_for
from saphan.core import migrate
from saphan.core.clock import BANGKOK
from saphan.core.db import normalise_url
from saphan.core.runtime import Runtime
from saphan.moi import importing, operator
from saphan.moi.admin_schemas import AccountIn, BillIn
from saphan.moi.models import MEA, PEA

#: Citizen n (1..N) is this prefix and n in 11 digits; bench/lua/power_capital.lua relies on it.
CITIZEN_PREFIX = "11"
CITIZENS = 100_000
IMPORT_BILLS_PER_ACCOUNT = 10
LOOKUP_BILLS_PER_ACCOUNT = 8
AGENT = "1100000000001"
POWER_CAPITAL = "/moi/api/v1/PowerCapital/"
MEA_COLUMNS = ("name1", "homeNum1", "street", "subDistrict", "distict", "province", "postalCode")
PEA_COLUMNS = ("Name", "HomeNo", "Moo", "SubDistrict", "District", "Province", "PostCode")
PEA_BILL_COLUMNS = ("BillPeriod", "DueDate", "InvoiceNo", "Paydate")


@dataclass(frozen=True)
class Holding:
    citizen_id: str
    layout: Literal["customerinfo", "CAList"]
    account_no: str
    info: dict[str, Any]
    #: (date, units, amount, the CAList layout's other bill fields)
    bills: list[tuple[dt.date, Decimal, Decimal, dict[str, str]]]


def holdings(count: int, bills: int, today: dt.date, seed: int = 7) -> Iterator[Holding]:
    """Citizen n holds one account: seven in ten of the metropolitan layout, the rest of the
    provincial one, each with ``bills`` monthly bills before ``today``."""
    rng = random.Random(seed)
    fake = Faker("th_TH")
    fake.seed_instance(seed)
    people = [f"{fake.first_name()} {fake.last_name()}" for _ in range(300)]
    places = [(fake.tambon(), fake.amphoe(), fake.province(), fake.postcode()) for _ in range(300)]
    for n in range(1, count + 1):
        name = people[rng.randrange(len(people))]
        tambon, amphoe, province, postcode = places[rng.randrange(len(places))]
        layout: Literal["customerinfo", "CAList"] = "customerinfo" if n % 10 < 7 else "CAList"
        number = f"{'9' if layout == MEA else '02'}{n:010d}"
        if layout == MEA:
            cells = (name, str(n % 500 + 1), "", tambon, amphoe, "กรุงเทพ", postcode)
            info = dict(zip(MEA_COLUMNS, cells, strict=True))
        else:
            cells = (name, str(n % 300 + 1), str(n % 12 + 1), tambon, amphoe, province, postcode)
            info = dict(zip(PEA_COLUMNS, cells, strict=True))
        base = rng.randint(80, 900)
        history = []
        for month in range(bills, 0, -1):
            day = (today.replace(day=1) - dt.timedelta(days=31 * month - 1)).replace(day=25)
            units = Decimal(int(base * rng.uniform(0.7, 1.35)))
            amount = (units * Decimal("4.4726")).quantize(Decimal("0.01"))
            extra = (
                {
                    "BillPeriod": f"{day:%Y%m}",
                    "DueDate": f"{day + dt.timedelta(days=14):%Y-%m-%d}T00:00:00",
                    "InvoiceNo": f"{number}{day:%y%m}",
                    "Paydate": f"{day + dt.timedelta(days=10):%Y-%m-%d}T00:00:00",
                }
                if layout == PEA
                else {}
            )
            history.append((day, units, amount, extra))
        yield Holding(f"{CITIZEN_PREFIX}{n:011d}", layout, number, info, history)


def write_csv(path: Path, count: int, bills: int, today: dt.date) -> int:
    """The import format of docs/moi.md, one row per bill; returns the bill rows written."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                *importing.KEY_COLUMNS,
                *importing.BILL_COLUMNS,
                *MEA_COLUMNS,
                *PEA_COLUMNS,
                *PEA_BILL_COLUMNS,
            ]
        )
        blank_mea, blank_pea = [""] * len(MEA_COLUMNS), [""] * len(PEA_COLUMNS)
        for h in holdings(count, bills, today):
            mea = [h.info[c] for c in MEA_COLUMNS] if h.layout == MEA else blank_mea
            pea = [h.info[c] for c in PEA_COLUMNS] if h.layout == PEA else blank_pea
            for day, units, amount, extra in h.bills:
                extra_cells = [extra.get(c, "") for c in PEA_BILL_COLUMNS]
                key = [h.citizen_id, h.layout, h.account_no]
                writer.writerow([*key, day, units, amount, *mea, *pea, *extra_cells])
                rows += 1
    return rows


def _count(url: str, table: str) -> int:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _import(url: str, secret_key: str, path: Path) -> tuple[float, str]:
    command = [*harness.saphan_command(), "moi", "import", str(path)]
    env = harness.clean_env({"SAPHAN_DATABASE_URL": url, "SAPHAN_SECRET_KEY": secret_key})
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(
            f"saphan moi import failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return seconds, done.stdout.strip().splitlines()[-1]


def moi_import(db: str, opts: Options) -> Report:
    scenario = "moi-import"
    report = Report(scenario, db)
    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, scenario)
    migrate.upgrade(url)
    harness.OUT.mkdir(parents=True, exist_ok=True)
    path = harness.OUT / "moi-import.csv"
    today = dt.datetime.now(BANGKOK).date()
    bills = write_csv(path, CITIZENS, IMPORT_BILLS_PER_ACCOUNT, today)
    size = path.stat().st_size / 2**20
    _log(f"{scenario}/{db}: wrote {path.name}: {bills:,} bills, {size:.0f} MiB")
    if opts.quiet_wait > 0:
        harness.wait_until_quiet(opts.quiet_wait)
    first, said = _import(url, secret_key, path)
    _log(f"{scenario}/{db}: first import {first:.1f}s: {said}")
    expected = f"{CITIZENS} accounts created, 0 updated, {bills} bills loaded"
    if said != expected:
        raise BenchError(f"first import said {said!r}, expected {expected!r}")
    if opts.quiet_wait > 0:
        harness.wait_until_quiet(opts.quiet_wait)
    again, said = _import(url, secret_key, path)
    _log(f"{scenario}/{db}: second import {again:.1f}s: {said}")
    stored = _count(url, "moi_bill")
    if stored != bills:
        raise BenchError(f"{stored:,} bills stored after two imports of {bills:,}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report.timings = [
        (f"saphan moi import, empty hub ({CITIZENS:,} new accounts)", first, bills, "bills"),
        (f"same file again ({CITIZENS:,} accounts updated)", again, bills, "bills"),
    ]
    report.targets.append(
        Target("one million bills, empty hub", f"{first:.1f} s", "report the figure", True)
    )
    report.notes += [
        f"{path.name}: {size:.0f} MiB, {CITIZENS:,} accounts (7 in 10 customerinfo, the rest "
        f"CAList), {IMPORT_BILLS_PER_ACCOUNT} bills each; {stored:,} bills stored after both",
        f"wall time of the whole command (start-up, reading and checking the file, writing, "
        f"commit); peak RSS of the import process {peak:,.0f} MiB",
        f"command: saphan moi import {path.relative_to(harness.REPO)}",
    ]
    return report


def _seed_lookup(url: str, secret_key: str, count: int = CITIZENS) -> tuple[str, str, float]:
    """Accounts for ``count`` citizens and one client open to any agent; (id, secret, s)."""
    started = time.perf_counter()
    migrate.upgrade(url)
    now = dt.datetime.now(BANGKOK)
    accounts = [
        AccountIn.model_construct(
            citizen_id=h.citizen_id,
            layout=h.layout,
            account_no=h.account_no,
            info=h.info,
            bills=[
                BillIn.model_construct(bill_date=d, units=u, amount=a, info=i)
                for d, u, a, i in h.bills
            ],
        )
        for h in holdings(count, LOOKUP_BILLS_PER_ACCOUNT, now.date())
    ]
    client_id, client_secret = "bench-client", secrets.token_urlsafe(24)
    rt = Runtime.from_settings(settings_for(url, secret_key))
    try:
        with rt.db.write() as session:
            operator.create_client(
                session, rt.secret, client_id, client_secret, now, name="bench", any_agent=True
            )
            importing.import_accounts(session, accounts, now)
    finally:
        rt.db.dispose()
    return client_id, client_secret, time.perf_counter() - started


def _authenticate(base_url: str, client_id: str, client_secret: str) -> str:
    request = urllib.request.Request(  # noqa: S310
        f"{base_url}/moi/api/v1/Authenticate/{AGENT}",
        data=orjson.dumps({"ClientID": client_id, "ClientSecret": client_secret}),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        token = response.headers.get("Token")
    if not token:
        raise BenchError("Authenticate answered without a Token header")
    return str(token)


def _check_lookup(base_url: str, token: str, count: int = CITIZENS) -> None:
    citizen = f"{CITIZEN_PREFIX}{count:011d}"
    request = urllib.request.Request(base_url + POWER_CAPITAL + citizen, headers={"Token": token})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        answer = orjson.loads(response.read())
    accounts = answer.get("customerinfo", []) + answer.get("CAList", [])
    if answer.get("rowCount") != "1" or len(accounts) != 1 or answer.get("id") != citizen:
        raise BenchError(f"PowerCapital for {citizen}: unexpected answer {answer}")


def moi_lookup(db: str, opts: Options) -> Report:
    scenario = "moi-lookup"
    report = Report(scenario, db)
    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, scenario)
    _log(f"{scenario}/{db}: seeding {CITIZENS:,} citizens' accounts")
    client_id, client_secret, seconds = _seed_lookup(url, secret_key)
    _settle(url, db)
    _log(f"{scenario}/{db}: seeded in {seconds:.1f}s")
    floor = _floor(scenario, opts, [opts.connections])[opts.connections]
    quota_off = {"SAPHAN_MOI_QUOTA_PER_MINUTE": "0", "SAPHAN_MOI_QUOTA_PER_DAY": "0"}
    name = f"{scenario}-{db}-saphan"
    with harness.saphan_server(url, secret_key, name, quota_off) as server:
        token = _authenticate(server.base_url, client_id, client_secret)
        _check_lookup(server.base_url, token)
        run = _measure(
            "PowerCapital",
            server.base_url + POWER_CAPITAL,
            "power_capital.lua",
            opts,
            opts.connections,
            headers={"Token": token},
            args=(str(CITIZENS), CITIZEN_PREFIX),
            hide=(token,),
            server_pid=server.process.pid,
        )
    audited = _count(url, "moi_audit")
    report.rows = [Row("PowerCapital", run, floor), Row("floor", floor, None)]
    report.commands = [run.command.replace("$KEY", "$TOKEN"), floor.command]
    ratio = run.rps / floor.rps
    report.targets.append(
        Target("PowerCapital req/s vs floor", f"{ratio:.3f}x", ">= 0.2x", ratio >= 0.2)
    )
    report.notes += [
        f"{CITIZENS:,} citizens, one account each (7 in 10 customerinfo, the rest CAList), "
        f"{LOOKUP_BILLS_PER_ACCOUNT} bills each; one session; citizen uniform at random; "
        f"quota off; mean response {run.response_bytes / 1024:.1f} KiB",
        f"every lookup is audited: {audited:,} audit rows written during the runs",
    ]
    return report


SCENARIOS = {"moi-import": moi_import, "moi-lookup": moi_lookup}
