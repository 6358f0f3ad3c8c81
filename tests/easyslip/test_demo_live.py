"""``saphan serve --demo`` in a subprocess: the demo keys answer, the published vectors verify,
and in demo mode a slip image served from this machine can be verified by ``url``."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from saphan.easyslip import demo
from saphan.easyslip.models import Transfer
from saphan.easyslip.slips import slip_image
from tests.conftest import ADMIN_TOKEN, start_live_server
from tests.easyslip.test_miniqr import VECTOR_1
from tests.http_standin import serve

pytestmark = pytest.mark.live
HEADERS = {"Authorization": f"Bearer {demo.DEMO_KEY}"}


def test_the_demo_server(database_url: str) -> None:
    server = start_live_server(database_url, demo=True)
    try:
        base = server.base_url + "/easyslip/v2"
        info = httpx.get(f"{base}/info", headers=HEADERS, timeout=10)
        assert info.status_code == 200
        assert info.json()["data"]["application"]["quota"]["max"] == demo.MONTHLY_QUOTA
        inactive = httpx.get(
            f"{base}/info", headers={"Authorization": f"Bearer {demo.INACTIVE_KEY}"}, timeout=10
        )
        assert inactive.json()["error"]["code"] == "BRANCH_INACTIVE"
        verified = httpx.post(
            f"{base}/verify/bank", json={"payload": VECTOR_1}, headers=HEADERS, timeout=10
        )
        assert verified.status_code == 200, verified.text
        assert verified.json()["data"]["rawSlip"]["transRef"] == "0002123123121200011"

        transfers = httpx.get(
            f"{server.base_url}/admin/easyslip/transfers?limit=1000",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        ).json()
        wallet = next(t for t in transfers if t["kind"] == "truewallet")
        assert wallet["transRef"] == demo.TRUEWALLET_REF
        row = Transfer(
            kind="bank",
            bank_code="014",
            trans_ref="00111222233344ABCD12",
            occurred_at=demo.LEDGER_END.replace(tzinfo=None),
            amount=1000,
            sender_bank_code="014",
            receiver_bank_code="004",
            receiver_account="1234567890",
        )
        image = slip_image(row, "PNG")

        async def slip(_request: Request) -> Response:
            return Response(image, media_type="image/png")

        with serve(Starlette(routes=[Route("/slip.png", slip)])) as local:
            by_url = httpx.post(
                f"{base}/verify/bank",
                json={"url": f"{local}/slip.png"},
                headers=HEADERS,
                timeout=20,
            )
        assert by_url.status_code == 200, by_url.text
        assert by_url.json()["data"]["rawSlip"]["transRef"] == "00111222233344ABCD12"
    finally:
        server.stop()
