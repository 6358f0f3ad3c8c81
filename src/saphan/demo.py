"""Demo data for every service, and what ``saphan serve --demo`` prints."""

from __future__ import annotations

from rich.console import Console

from saphan.core import demo_mark
from saphan.core.runtime import Runtime
from saphan.depa import demo as depa_demo
from saphan.easyslip import demo as easyslip_demo
from saphan.moi import demo as moi_demo
from saphan.rakmao import demo as rakmao_demo

#: Services with an operator API at /admin/<service>.
OPERATED = ("moi", "depa", "rakmao", "easyslip", "webhooks")


def seed(rt: Runtime) -> bool:
    """Seed every service and mark the database a demo database (``core.demo_mark``: the
    operator commands then work on it without SAPHAN_SECRET_KEY); True when anything was
    added."""
    with rt.db.write() as session:
        now = rt.clock.now()
        moi = moi_demo.seed(session, rt.secret, now)
        depa = depa_demo.seed(session, rt.secret, now)
        rakmao = rakmao_demo.seed(session, now)
        easyslip = easyslip_demo.seed(session, rt.secret, now)
        demo_mark.mark(session, rt.secret, now)
        return moi or depa or rakmao or easyslip


def print_banner(base_url: str, admin_token: str | None, console: Console | None = None) -> None:
    """Each service's base URL, docs and demo credentials, unwrapped so they can be copied."""
    console = console or Console(soft_wrap=True)
    console.print(f"[bold]Saphan demo[/bold] on {base_url}  (health {base_url}/healthz)")
    console.print()
    console.print("[bold]MOI central electricity data[/bold]")
    console.print(f"  base URL  {base_url}/moi")
    console.print(f"  docs      {base_url}/moi/docs")
    console.print(
        f"  ClientID {moi_demo.CLIENT_ID}  ClientSecret {moi_demo.CLIENT_SECRET}"
        f"  (also {moi_demo.SCREENSHOT_CLIENT_ID} / {moi_demo.SCREENSHOT_CLIENT_SECRET});"
        " any 13-digit AgentID"
    )
    console.print(f"  CitizenID {moi_demo.EXAMPLE_CITIZEN}  (the spec's example record)")
    console.print(f"  CitizenID {moi_demo.COMPANY_CITIZEN}  (a company, CAList layout)")
    console.print()
    console.print("[bold]depa AI-Transformation[/bold]")
    console.print(f"  base URL  {base_url}/depa")
    console.print(f"  docs      {base_url}/depa/docs")
    console.print(f"  x-api-key {depa_demo.DEMO_KEY}  (DP with DV-97WHHUXXXX, DV-BHRDV9XXXX)")
    console.print(f"  x-api-key {depa_demo.SECOND_DEMO_KEY}  (a second DP)")
    console.print()
    console.print("[bold]Rakmao auth and PO[/bold]")
    console.print(f"  base URLs {base_url}/rakmao (auth)  {base_url}/rakmao-po (POs)")
    console.print(f"  docs      {base_url}/rakmao/docs  {base_url}/rakmao-po/docs")
    console.print(
        f"  buyer  {rakmao_demo.BUYER_USERNAME} / {rakmao_demo.BUYER_PASSWORD}"
        f"  (OrgId {rakmao_demo.ORG_ID}, BuyerTaxId {rakmao_demo.BUYER_TAX_ID})"
    )
    console.print(
        f"  seller {rakmao_demo.SELLER_USERNAME} / {rakmao_demo.SELLER_PASSWORD}"
        f"  (TaxId {rakmao_demo.SELLER_TAX_ID})"
    )
    console.print(f"  authenString buyer  {rakmao_demo.BUYER_AUTHEN}")
    console.print(f"  authenString seller {rakmao_demo.SELLER_AUTHEN}")
    console.print()
    console.print("[bold]EasySlip v2[/bold]")
    console.print(f"  base URL  {base_url}/easyslip")
    console.print(f"  docs      {base_url}/easyslip/docs")
    console.print(
        f"  Authorization: Bearer {easyslip_demo.DEMO_KEY}"
        f"  ({easyslip_demo.MONTHLY_QUOTA} verifications a month)"
    )
    console.print(f"  Authorization: Bearer {easyslip_demo.INACTIVE_KEY}  (inactive branch)")
    console.print(
        "  a slip to verify: .venv/bin/saphan easyslip make-slip --amount 250.00 --out slip.png"
    )
    console.print()
    if admin_token:
        console.print("[bold]Operator API[/bold]")
        console.print(f"  Authorization: Bearer {admin_token}")
        for service in OPERATED:
            console.print(f"  docs      {base_url}/admin/{service}/docs")
    console.print(
        "[bold]Operator commands[/bold] (from this directory: a demo database needs no"
        " SAPHAN_SECRET_KEY)"
    )
    console.print("  .venv/bin/saphan --help  (moi, depa, rakmao, easyslip, webhooks ...)")
    console.print(f"Reset demo data: curl -X POST {base_url}/_saphan/reset")
