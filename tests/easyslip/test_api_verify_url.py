"""POST /v2/verify/bank with a ``url``: fetched safely. A real HTTP server on 127.0.0.1 serves
the images; loopback is admitted only through the allow-list setting."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from saphan.app import create_app
from saphan.config import Settings
from saphan.core.clock import FixedClock
from saphan.core.netguard import BlockedURL, NetGuard
from saphan.core.runtime import Runtime
from saphan.easyslip.fetch import CREDENTIALS
from tests.easyslip.conftest import PREFIX, Record, Tenant, error, state, used
from tests.easyslip.slips import image_of
from tests.http_standin import serve

VERIFY = f"{PREFIX}/verify/bank"
IMAGES: dict[str, bytes] = {}


async def image(request: Request) -> Response:
    return Response(IMAGES[request.path_params["name"]], media_type="image/png")


async def text(_request: Request) -> Response:
    return Response("<html>not an image</html>", media_type="text/html")


async def lying(_request: Request) -> Response:
    return Response(b"<html>not an image</html>", media_type="image/png")


async def big(_request: Request) -> Response:
    return Response(b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024), media_type="image/png")


async def big_unannounced(_request: Request) -> Response:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"\x89PNG\r\n\x1a\n"
        for _ in range(80):
            yield b"\0" * 65536

    from starlette.responses import StreamingResponse

    return StreamingResponse(chunks(), media_type="image/png")


async def slow(_request: Request) -> Response:
    await anyio.sleep(3)
    return Response(b"", media_type="image/png")


def redirect(to: str):  # type: ignore[no-untyped-def]
    async def handler(_request: Request) -> Response:
        return RedirectResponse(to, status_code=302)

    return handler


STANDIN = Starlette(
    routes=[
        Route("/img/{name}", image),
        Route("/text", text),
        Route("/lying.png", lying),
        Route("/big.png", big),
        Route("/stream.png", big_unannounced),
        Route("/slow.png", slow),
        Route("/to-private", redirect("http://10.1.2.3/slip.png")),
        Route("/to-ftp", redirect("ftp://example.com/slip.png")),
        Route("/loop", redirect("/loop")),
    ]
)


@pytest.fixture(scope="module")
def standin() -> Iterator[str]:
    with serve(STANDIN) as url:
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-for-saphan",  # type: ignore[arg-type]
        demo=False,
        easyslip_url_allow_cidrs=["127.0.0.1/32"],
        easyslip_url_timeout=1.5,
    )


async def post_url(client: httpx.AsyncClient, who: Tenant, url: str) -> httpx.Response:
    return await client.post(VERIFY, json={"url": url}, headers=who.headers)


async def test_a_slip_image_by_url(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    record: Record,
    standin: str,
) -> None:
    slip = record()
    IMAGES[slip.transRef] = image_of(runtime, slip)
    response = await post_url(client, tenant, f"{standin}/img/{slip.transRef}")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["rawSlip"]["transRef"] == slip.transRef
    assert used(runtime, "app", tenant.app_id) == 1


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/text", "INVALID_IMAGE_TYPE"),
        ("/lying.png", "INVALID_IMAGE_TYPE"),
        ("/big.png", "IMAGE_SIZE_TOO_LARGE"),
        ("/stream.png", "IMAGE_SIZE_TOO_LARGE"),
        ("/slow.png", "IMAGE_URL_UNREACHABLE"),
        ("/missing", "IMAGE_URL_UNREACHABLE"),
        ("/to-private", "URL_INVALID_IP_RANGE"),
        ("/to-ftp", "URL_PROTOCOL_NOT_ALLOWED"),
        ("/loop", "IMAGE_URL_UNREACHABLE"),
    ],
)
async def test_bad_urls(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    standin: str,
    path: str,
    code: str,
) -> None:
    before = state(runtime)
    error(await post_url(client, tenant, standin + path), 400, code)
    assert state(runtime) == before


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/slip.png", "URL_PROTOCOL_NOT_ALLOWED"),
        ("file:///etc/passwd", "URL_PROTOCOL_NOT_ALLOWED"),
        ("javascript:alert(1)", "URL_PROTOCOL_NOT_ALLOWED"),
        ("http://10.0.0.1/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://192.168.1.1/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://169.254.169.254/latest/meta-data", "URL_INVALID_IP_RANGE"),
        ("http://[::1]/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://[::ffff:10.0.0.1]/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://0.0.0.0/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://127.0.0.2/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://no-such-host.invalid/slip.png", "IMAGE_URL_UNREACHABLE"),
        ("not a url", "URL_PROTOCOL_NOT_ALLOWED"),
        ("http://2130706433/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://0x7f.1/slip.png", "URL_INVALID_IP_RANGE"),
        ("http://[2002:a00:1::]/slip.png", "URL_INVALID_IP_RANGE"),  # 6to4 of 10.0.0.1
        ("http://\u2460\u2461\u2466.0.0.1/slip.png", "IMAGE_URL_UNREACHABLE"),
    ],
)
async def test_refused_urls(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, url: str, code: str
) -> None:
    before = state(runtime)
    error(await post_url(client, tenant, url), 400, code)
    assert state(runtime) == before


async def test_loopback_is_refused_without_the_allow_list(
    database_url: str, clock: FixedClock, tenant: Tenant, record: Record, standin: str
) -> None:
    strict = create_app(
        Settings(database_url=database_url, secret_key="test-secret-key-for-saphan"),  # type: ignore[arg-type]
        clock=clock,
    )
    transport = httpx.ASGITransport(app=strict, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        slip = record()
        IMAGES[slip.transRef] = b"unused"
        error(
            await post_url(http, tenant, f"{standin}/img/{slip.transRef}"),
            400,
            "URL_INVALID_IP_RANGE",
        )
    await strict.state.runtime.db.aclose()


@pytest.mark.parametrize("credentials", ["user:pw@", "user@", ":pw@"])
async def test_credentials_in_the_url_are_refused_and_never_sent(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    record: Record,
    standin: str,
    credentials: str,
) -> None:
    """httpx would turn ``user:pw@`` into an ``Authorization: Basic`` header for the host: the
    URL is refused before anything is fetched (issue 13 item 11), even from an admitted host."""
    slip = record()
    IMAGES[slip.transRef] = image_of(runtime, slip)
    url = standin.replace("http://", f"http://{credentials}") + f"/img/{slip.transRef}"
    before = state(runtime)
    message = error(await post_url(client, tenant, url), 400, "VALIDATION_ERROR")
    assert message == CREDENTIALS
    assert state(runtime) == before
    assert used(runtime, "app", tenant.app_id) == 0


def allowed(address: str, allow: list[str]) -> bool:
    """Whether the guard ``url`` inputs pass (``core.netguard``) admits the address."""
    try:
        NetGuard(allow).check_address(ipaddress.ip_address(address))
    except BlockedURL:
        return False
    return True


def test_the_address_rules() -> None:
    loopback = ["127.0.0.1/32"]
    assert allowed("8.8.8.8", [])
    assert allowed("2606:4700::1111", [])
    assert not allowed("127.0.0.1", [])
    assert allowed("127.0.0.1", loopback)
    assert not allowed("127.0.0.2", loopback)
    assert allowed("::ffff:127.0.0.1", loopback)
    for private in (
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "100.64.0.1",
        "224.0.0.1",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    ):
        assert not allowed(private, []), private
