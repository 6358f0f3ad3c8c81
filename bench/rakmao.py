"""Rakmao scenarios: ``rakmao-create`` (POST /Buyer) and ``rakmao-list`` (GET /Buyer/{OrgId}
over 100,000 POs, plain pages and keyword and status filters), each against the floor."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
from faker import Faker

from bench import harness
from bench.harness import BenchError
from saphan.config import Settings
from saphan.core import migrate
from saphan.core.clock import to_utc_naive
from saphan.core.runtime import Runtime
from saphan.rakmao import demo, operator
from saphan.rakmao.admin_schemas import AccountCreate
from saphan.rakmao.logic import search_text
from saphan.rakmao.schemas import STATUS_NAMES
from saphan.rakmao.tokens import authen_string

if TYPE_CHECKING:  # bench.scenarios imports this module to register its scenarios
    from bench.scenarios import Options, Report

CREATE = "/rakmao-po/api/v1/Buyer"
LOGIN = "/rakmao/api/v1/Authentication/RequestAPIToken"
USERNAME, PASSWORD = "bench-buyer", "bench-buyer-password"
PERPAGE = 10

#: The bench measures PO routes, not the register-before-use gate (docs/rakmao.md, Webhooks).
NO_GATE = {"SAPHAN_RAKMAO_REQUIRE_WEBHOOK": "false"}


def _pool(seed: int) -> tuple[list[str], list[str]]:
    """Believable project and vendor names (Faker is too slow to call 100,000 times)."""
    fake = Faker("th_TH")
    fake.seed_instance(seed)
    projects = [f"โครงการ{fake.city_name()} {fake.last_name()}" for _ in range(400)]
    vendors = [f"ร้าน{fake.last_name()}วัสดุก่อสร้าง" for _ in range(400)]
    return projects, vendors


def seed_pos(url: str, secret_key: str, count: int) -> tuple[float, list[str]]:
    """The bench buyer and ``count`` POs of its org over the last 365 days (2 items each);
    returns the seconds it took and some keywords that match."""
    started = time.monotonic()
    migrate.upgrade(url)
    settings = Settings(database_url=url, secret_key=secret_key)  # type: ignore[arg-type]
    rt = Runtime.from_settings(settings)
    rng = random.Random(7)
    projects, vendors = _pool(7)
    now = rt.clock.now()
    pos: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    per_day: dict[str, int] = {}
    stamps = sorted(
        to_utc_naive(now) - dt.timedelta(seconds=rng.randint(3600, 365 * 86400))
        for _ in range(count)
    )
    statuses = list(STATUS_NAMES)
    for stamp in stamps:
        day = (stamp + dt.timedelta(hours=7)).strftime("%y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        code = f"PO-{day}-{per_day[day]:04d}"
        po_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        project, vendor = rng.choice(projects), rng.choice(vendors)
        total = Decimal(rng.randint(1000, 5_000_000)) / 100
        status = rng.choice(statuses)
        pos.append(
            {
                **_base_row(),
                "id": po_id,
                "po_code": code,
                "status": status,
                "project_name": project,
                "vendor_name": vendor,
                "sub_total": total,
                "beforvat": total,
                "grand_total": total,
                "grand_total_delivery_fee": total,
                "search_text": search_text(code, project, vendor, None),
                "created_at": stamp,
                "sent_at": None if status == 3 else stamp,
                "updated_at": stamp,
            }
        )
        for line in range(2):
            items.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "po_id": po_id,
                    "line": line,
                    "rfq_item_id": None,
                    "quotation_item_id": None,
                    "quantity": Decimal(rng.randint(1, 100)),
                    "price": Decimal(rng.randint(100, 100_000)) / 100,
                    "unit": "ชิ้น",
                    "description": "ปูนซีเมนต์" if line == 0 else "เหล็กเส้น",
                    "note": None,
                }
            )
    with rt.db.write() as session:
        operator.create_account(
            session,
            AccountCreate(
                username=USERNAME,
                password=PASSWORD,
                orgId=demo.ORG_ID,
                orgName=demo.ORG_NAME,
                buyerTaxId=demo.BUYER_TAX_ID,
            ),
            now,
        )
    # A transaction per 2,000 POs: on PostgreSQL every insert statement bumps the same few
    # rakmao_po_tally rows, and one transaction holding 100,000 versions of them is quadratic.
    for start in range(0, len(pos), 2000):
        with rt.db.write() as session:
            demo.insert_pos(
                session, pos[start : start + 2000], items[2 * start : 2 * (start + 2000)]
            )
    rt.db.dispose()
    keywords = [vendors[0].removeprefix("ร้าน")[:6], projects[1][-5:], pos[-1]["po_code"], "po-25"]
    return time.monotonic() - started, keywords


def _base_row() -> dict[str, Any]:
    return {
        "org_id": demo.ORG_ID,
        "org_name": demo.ORG_NAME,
        "buyer_tax_id": demo.BUYER_TAX_ID,
        "seller_tax_id": demo.SELLER_TAX_ID,
        "create_by_user_id": "1",
        "create_by_user_name": "bench",
        "rfq_id": "cf7aba83-468d-41e1-9af8-3465189f3143",
        "quotation_id": "e3a551af-cae9-432c-adfb-77fb3f812a08",
        "project_id": "2b1be735-e90f-4700-b1d1-514ba8710a56",
        "vendor_id": "490f4f7a-761a-4595-990a-ba128d7dc6f0",
        "document_file_url": None,
        "contact_name": "bench",
        "contact_phone": "0800000000",
        "address": "Bangkok",
        "note": None,
        "create_type": 1,
        "document_reference": None,
        "total_item": Decimal(2),
        "discount": None,
        "vat_type": 3,
        "vat_rate": Decimal(0),
        "vat_amount": Decimal(0),
        "delivery_fee": None,
        "delivery_vat_type": None,
        "delivery_vat_rate": None,
        "delivery_vat_amount": None,
    }


def _login(base_url: str) -> str:
    status, body = harness.post_json(
        base_url + LOGIN, orjson.dumps(authen_string(USERNAME, PASSWORD)), {}
    )
    if status != 200:
        raise BenchError(f"RequestAPIToken: {status} {body[:300]!r}")
    return str(orjson.loads(body)["data"]["token"])


def _get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": token})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return int(response.status), response.read()


def _prepare(db: str, scenario: str, opts: Options) -> tuple[str, str, list[str]]:
    from bench import scenarios as sc

    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, scenario)
    sc._log(f"{scenario}/{db}: fresh database {sc._safe(url)}; seeding {opts.vouchers:,} POs")
    seconds, keywords = seed_pos(url, secret_key, opts.vouchers)
    sc._settle(url, db)
    sc._log(f"{scenario}/{db}: seeded in {seconds:.1f}s")
    return url, secret_key, keywords


def rakmao_create(db: str, opts: Options) -> Report:
    """POST /api/v1/Buyer with the spec's create example, over 100,000 existing POs."""
    from bench import scenarios as sc

    scenario = "rakmao-create"
    report = sc.Report(scenario, db)
    url, secret_key, _ = _prepare(db, scenario, opts)
    floors = sc._floor(scenario, opts, [opts.connections])
    body_file = harness.OUT / "rakmao-create-body.json"
    body_file.write_bytes(
        (harness.REPO / "tests/rakmao/spec_examples/CreatePo.request.json").read_bytes()
    )
    with harness.saphan_server(url, secret_key, f"{scenario}-{db}-saphan", NO_GATE) as server:
        token = _login(server.base_url)
        status, answer = harness.post_json(
            server.base_url + CREATE, body_file.read_bytes(), {"Authorization": token}
        )
        if status != 200 or not orjson.loads(answer)["data"]["PoCode"].startswith("PO-"):
            raise BenchError(f"create: {status} {answer[:300]!r}")
        run = sc._measure(
            "create",
            server.base_url + CREATE,
            "rakmao_create.lua",
            opts,
            opts.connections,
            headers={"Authorization": token},
            args=(str(body_file),),
            hide=(token,),
            server_pid=server.process.pid,
        )
    floor = floors[opts.connections]
    report.rows = [sc.Row("create", run, floor), sc.Row("floor", floor, None)]
    report.commands = [run.command, floor.command]
    ratio = run.rps / floor.rps
    report.targets.append(
        sc.Target("create req/s vs floor", f"{ratio:.3f}x", ">= 0.10x", ratio >= 0.10)
    )
    report.notes.append(
        f"{opts.vouchers:,} POs before the run; each request: the spec's create example "
        "(4 items), one transaction: PoCode counter upsert, PO row, 4 item rows"
    )
    return report


def rakmao_list(db: str, opts: Options) -> Report:
    """GET /api/v1/Buyer/{OrgId} over 100,000 POs of one org: plain pages, status and keyword."""
    from bench import scenarios as sc

    scenario = "rakmao-list"
    report = sc.Report(scenario, db)
    url, secret_key, keywords = _prepare(db, scenario, opts)
    floors = sc._floor(scenario, opts, [opts.connections])
    target = f"{CREATE}/{demo.ORG_ID}"
    encoded = ",".join(urllib.parse.quote(k) for k in keywords)
    pages = max(1, min(1000, opts.vouchers // PERPAGE))
    with harness.saphan_server(url, secret_key, f"{scenario}-{db}-saphan", NO_GATE) as server:
        token = _login(server.base_url)
        status, answer = _get(server.base_url + target + "?perpage=10", token)
        if status != 200 or orjson.loads(answer)["data"]["count"] != opts.vouchers:
            raise BenchError(f"list: {status} {answer[:300]!r}")
        run = sc._measure(
            "list",
            server.base_url + target,
            "rakmao_list.lua",
            opts,
            opts.connections,
            headers={"Authorization": token},
            args=(str(pages), str(PERPAGE), encoded),
            hide=(token,),
            server_pid=server.process.pid,
        )
    floor = floors[opts.connections]
    report.rows = [sc.Row("list", run, floor), sc.Row("floor", floor, None)]
    report.commands = [run.command, floor.command]
    ratio = run.rps / floor.rps
    report.targets.append(
        sc.Target("list req/s vs floor", f"{ratio:.3f}x", ">= 0.15x", ratio >= 0.15)
    )
    report.notes.append(
        f"{opts.vouchers:,} POs of one org; requests: 1/3 a random page (1..{pages}) of all, "
        f"1/3 a random status (pages 1..5), 1/3 a keyword ({', '.join(keywords)}); perpage "
        f"{PERPAGE}; mean response {run.response_bytes / 1024:.1f} KiB"
    )
    return report


SCENARIOS = {"rakmao-create": rakmao_create, "rakmao-list": rakmao_list}
