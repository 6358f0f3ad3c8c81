"""``saphan moi import``: the utilities' accounts and bills from CSV or JSON, checked whole and
loaded in one transaction, upserting by account number and bill date; what it loads is what
PowerCapital answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from saphan.core.runtime import Runtime
from saphan.moi import importing
from saphan.moi.models import Account, Bill
from tests.moi.conftest import CITIZEN, MoiClient, Run, ok, power_capital, token_for

COMPANY = "0105558000014"
HEADER = (
    "citizen_id,layout,account_no,bill_date,units,amount,"
    "name1,distict,province,Name,Province,RegisDate,BillPeriod,InvoiceNo,DueDate,Paydate"
)
ROWS = [
    f"{CITIZEN},customerinfo,55500011,2025-09-03,120,480.50,นายหนึ่ง,บางรัก,กรุงเทพ,,,,,,,",
    f"{CITIZEN},customerinfo,55500011,2025-10-03,130,520,นายหนึ่ง,บางรัก,กรุงเทพ,,,,,,,",
    f"{COMPANY},CAList,020099990001,2025-10-25,4496,18793.28,,,,"
    "บริษัท ทดสอบ จำกัด,เชียงใหม่,2015-03-02T00:00:00,202510,INV-1,"
    "2025-11-08T00:00:00,2025-11-05T00:00:00",
    f"{COMPANY},CAList,020099990002,,,,,,,บริษัท ทดสอบ จำกัด,เชียงใหม่,,,,,",
]


def write_csv(tmp_path: Path, *rows: str, header: str = HEADER, bom: bool = False) -> Path:
    file = tmp_path / "bills.csv"
    text = "\n".join([header, *rows]) + "\n"
    file.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return file


def counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.read() as session:
        return session.query(Account).count(), session.query(Bill).count()


async def test_a_csv_of_both_layouts_loads_and_powercapital_answers_it(
    run: Run, client: httpx.AsyncClient, moi_client: MoiClient, tmp_path: Path
) -> None:
    out = ok(run("moi", "import", str(write_csv(tmp_path, *ROWS, bom=True))))
    assert "3 accounts created, 0 updated, 3 bills loaded" in out
    token = await token_for(client, moi_client)
    [info] = (await power_capital(client, CITIZEN, token)).json()["customerinfo"]
    assert (info["installationNumber"], info["name1"], info["distict"]) == (
        "55500011",
        "นายหนึ่ง",
        "บางรัก",
    )
    assert info["usageHistory"][:2] == [
        {"kwh": 130, "Amount": 520, "billDate": "2025-10-03T00:00:00"},
        {"kwh": 120, "Amount": 480.5, "billDate": "2025-09-03T00:00:00"},
    ]
    company = (await power_capital(client, COMPANY, token)).json()
    assert company["rowCount"] == "2"
    first, second = sorted(company["CAList"], key=lambda a: a["CANo"])
    assert first["Name"] == "บริษัท ทดสอบ จำกัด"
    assert first["RegisDate"] == "2015-03-02T00:00:00"
    assert first["BillList"][0] == {
        "BillPeriod": "202510",
        "Cost": 18793.28,
        "DueDate": "2025-11-08T00:00:00",
        "InvoiceNo": "INV-1",
        "Paydate": "2025-11-05T00:00:00",
        "RecordDate": "2025-10-25T00:00:00",
        "Unit": 4496,
    }
    assert second["RegisDate"] is None


async def test_a_second_csv_upserts_by_account_number_and_bill_date(
    run: Run, client: httpx.AsyncClient, moi_client: MoiClient, runtime: Runtime, tmp_path: Path
) -> None:
    ok(run("moi", "import", str(write_csv(tmp_path, *ROWS))))
    again = write_csv(
        tmp_path,
        f"{CITIZEN},customerinfo,55500011,2025-10-03,131,524.00,นายหนึ่ง ใหม่,บางรัก,กรุงเทพ,,,,,,,",
        f"{CITIZEN},customerinfo,55500011,2025-11-03,140,560,นายหนึ่ง ใหม่,บางรัก,กรุงเทพ,,,,,,,",
    )
    out = ok(run("moi", "import", str(again)))
    assert "0 accounts created, 1 updated, 2 bills loaded" in out
    assert counts(runtime) == (3, 4)
    token = await token_for(client, moi_client)
    [info] = (await power_capital(client, CITIZEN, token)).json()["customerinfo"]
    assert info["name1"] == "นายหนึ่ง ใหม่"
    assert [h["kwh"] for h in info["usageHistory"][:3]] == [140, 131, 120]


def test_an_account_that_appears_twice_in_one_json_file_is_merged(
    run: Run, runtime: Runtime, tmp_path: Path
) -> None:
    def account(name: str) -> dict[str, Any]:
        info = {"name1": name}
        return {"citizen_id": CITIZEN, "layout": "customerinfo", "account_no": "7", "info": info}

    first = account("ก") | {
        "bills": [
            {"bill_date": "2025-01-01", "units": "1", "amount": "1"},
            {"bill_date": "2025-02-01", "units": "2", "amount": "2"},
        ]
    }
    second = account("ข") | {"bills": [{"bill_date": "2025-02-01", "units": "3", "amount": "3"}]}
    file = tmp_path / "accounts.json"
    file.write_text(json.dumps([first, second]))
    assert "1 account created, 0 updated, 2 bills loaded" in ok(run("moi", "import", str(file)))
    with runtime.db.read() as session:
        [stored] = session.query(Account).all()
        assert stored.info == {"name1": "ข"}
        assert sorted((b.bill_date.month, int(b.units)) for b in session.query(Bill)) == [
            (1, 1),
            (2, 3),
        ]


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([ROWS[0].replace(CITIZEN, "12345")], HEADER, "row 2, column citizen_id: must be 13"),
        ([ROWS[0].replace("customerinfo", "MEA")], HEADER, "row 2, column layout: must be"),
        ([ROWS[0].replace("2025-09-03", "03/09/2025")], HEADER, "row 2, column bill_date"),
        ([ROWS[0].replace(",120,", ",-1,")], HEADER, "row 2, column units: must not be negative"),
        ([ROWS[0].replace("480.50", "480.505")], HEADER, "row 2, column amount: must be a number"),
        ([ROWS[0].replace("480.50", "lots")], HEADER, "row 2, column amount: must be a number"),
        ([ROWS[0].replace(",,,,,,,", ",เชียงใหม่,,,,,,")], HEADER, "column Name: not a field"),
        ([ROWS[0], ROWS[1].replace("นายหนึ่ง", "นายสอง")], HEADER, "differs from row 2"),
        ([ROWS[0] + ",extra"], HEADER, "row 2: 17 cells, the header has 16"),
        ([ROWS[0]], HEADER + ",colour", "row 1: unknown column 'colour'"),
        ([ROWS[0]], HEADER.replace("citizen_id,", "cid,"), "unknown column 'cid'"),
        ([ROWS[0]], HEADER.replace("units,", "units,units,"), "column 'units' appears twice"),
        (["1,2"], "citizen_id,layout", "the column 'account_no' is required"),
        (["1,2,3,4"], "citizen_id,layout,account_no,units", "bill_date, units and amount come"),
        ([ROWS[0], f'{CITIZEN},"bad'], HEADER, "row 3:"),
    ],
    ids=[
        "short citizen id",
        "unknown layout",
        "date not ISO",
        "negative units",
        "three decimals",
        "amount not a number",
        "other layout's column filled",
        "an account's rows disagree",
        "too many cells",
        "unknown column",
        "key column missing",
        "duplicate column",
        "account_no missing",
        "bill columns incomplete",
        "unterminated quote",
    ],
)
def test_a_bad_csv_names_the_row_and_column_and_loads_nothing(
    run: Run, runtime: Runtime, tmp_path: Path, rows: list[str], header: str, message: str
) -> None:
    result = run("moi", "import", str(write_csv(tmp_path, *rows, *ROWS[2:], header=header)))
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split()), result.output
    assert "nothing loaded" in result.output
    assert counts(runtime) == (0, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"citizen_id,layout,account_no\n\xff\xfe\n", "not UTF-8"),
        (b"citizen_id,layout,account_no\n3102400001917,customerinfo,9\x00\n", "line 2: NUL"),
    ],
    ids=["empty", "not UTF-8", "NUL (PostgreSQL refuses it in text)"],
)
def test_an_empty_or_undecodable_csv_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(importing.ImportFailed, match=message):
        importing.parse_csv(data)


@pytest.mark.parametrize(
    ("info", "bill_info", "message"),
    [
        ({"colour": "red"}, {}, "[0].info.colour: not a field of the customerinfo layout"),
        ({"name1": 5}, {}, "[0].info.name1: must be a string"),
        ({}, {"InvoiceNo": "1"}, "[0].bills[0].info.InvoiceNo: not a bill field"),
        ({"name1": "a\u0000"}, {}, "[0].info.name1: must not contain NUL"),
    ],
)
def test_a_json_file_with_fields_of_no_layout_loads_nothing(
    run: Run,
    runtime: Runtime,
    tmp_path: Path,
    info: dict[str, Any],
    bill_info: dict[str, str],
    message: str,
) -> None:
    account = {
        "citizen_id": CITIZEN,
        "layout": "customerinfo",
        "account_no": "1",
        "info": info,
        "bills": [{"bill_date": "2025-01-01", "units": "1", "amount": "1", "info": bill_info}],
    }
    file = tmp_path / "accounts.json"
    file.write_text(json.dumps([account]))
    result = run("moi", "import", str(file))
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert counts(runtime) == (0, 0)


def test_the_format_comes_from_the_extension_or_the_option(run: Run, tmp_path: Path) -> None:
    file = tmp_path / "bills.txt"
    file.write_text("\n".join([HEADER, *ROWS]))
    refused = run("moi", "import", str(file))
    assert (refused.exit_code, "--format" in refused.output) == (2, True)
    assert "3 accounts created" in ok(run("moi", "import", str(file), "--format", "csv"))


def test_the_progress_bar_counts_one_account_in_the_singular(run: Run, tmp_path: Path) -> None:
    out = ok(run("moi", "import", str(write_csv(tmp_path, ROWS[0]))))
    assert re.search(r"^1 account\b", out, re.MULTILINE), out
    assert "1 accounts" not in out
    assert "1 account created, 0 updated, 1 bill loaded" in out
