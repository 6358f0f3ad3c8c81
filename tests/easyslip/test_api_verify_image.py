"""POST /v2/verify/bank with images: real slips drawn by make-slip's code in every accepted
format, several sizes and rotations, a photo of one, base64 with and without a data URL, and
multipart with string options; the format is told by the bytes; every bad image 4xx with
nothing changed. A second QR reader (OpenCV) reads the same text from every image."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from PIL import Image

from saphan.core.runtime import Runtime
from saphan.easyslip import miniqr
from saphan.easyslip.images import MAX_IMAGE_BYTES
from saphan.easyslip.slipimage import encode
from saphan.easyslip.slips import slip_image
from tests.easyslip.conftest import PREFIX, Record, Tenant, error, state, used
from tests.easyslip.slips import (
    image_of,
    opencv_texts,
    photo_like,
    transformed,
    with_other_qr,
)

VERIFY = f"{PREFIX}/verify/bank"
MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


async def upload(
    client: httpx.AsyncClient,
    who: Tenant,
    data: bytes,
    *,
    filename: str = "slip.png",
    mime: str = "image/png",
    fields: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        VERIFY, files={"image": (filename, data, mime)}, data=fields or {}, headers=who.headers
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
async def test_each_format_uploaded(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record, fmt: str
) -> None:
    slip = record()
    data = image_of(runtime, slip, fmt)
    assert opencv_texts(data) == [slip.payload]  # an independent reader agrees
    response = await upload(client, tenant, data, filename=f"slip.{fmt.lower()}", mime=MIME[fmt])
    assert response.status_code == 200, response.text
    assert response.json()["data"]["rawSlip"]["payload"] == slip.payload
    assert response.json()["data"]["rawSlip"]["transRef"] == slip.transRef
    assert used(runtime, "app", tenant.app_id) == 1


def test_a_second_reader_reads_every_slip_make_slip_writes(runtime: Runtime) -> None:
    """OpenCV reads the same text as the server from make-slip's images: the demo ledger's
    first 12 transfers (both slip variants), in each format."""
    from saphan.easyslip import demo, operator

    with runtime.db.write() as session:
        demo.seed(session, runtime.secret, runtime.clock.now())
    with runtime.db.read() as session:
        rows = operator.list_transfers(session, limit=1000)[-12:]
        assert {r.kind for r in rows} == {"bank", "truewallet"}
        for row in rows:
            for fmt in MIME:
                data = slip_image(row, fmt)
                assert opencv_texts(data) == [operator.payload_of(row)], (row.trans_ref, fmt)


@pytest.mark.parametrize(
    ("scale", "rotate"),
    [(0.6, 0), (2.0, 0), (1.0, 90), (1.0, 180), (1.0, 270), (0.75, 90), (1.5, 270)],
)
async def test_sizes_and_rotations(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    record: Record,
    scale: float,
    rotate: int,
) -> None:
    slip = record()
    data = transformed(image_of(runtime, slip), "JPEG", scale=scale, rotate=rotate)
    response = await upload(client, tenant, data, filename="photo.jpg", mime="image/jpeg")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["rawSlip"]["transRef"] == slip.transRef


async def test_a_photo_of_a_slip(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    slip = record()
    data = photo_like(image_of(runtime, slip))
    response = await upload(client, tenant, data, filename="IMG_2041.jpg", mime="image/jpeg")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["rawSlip"]["transRef"] == slip.transRef


async def test_the_format_is_told_by_the_bytes_not_the_name(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    slip = record()
    jpeg = image_of(runtime, slip, "JPEG")
    response = await upload(client, tenant, jpeg, filename="slip.gif", mime="image/gif")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7 not an image", "INVALID_IMAGE_FORMAT"),
        (b"BM" + b"\0" * 100, "INVALID_IMAGE_FORMAT"),  # BMP is not taken
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "INVALID_IMAGE_FORMAT"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "INVALID_IMAGE_FORMAT"),
        (b"\xff\xd8\xff\xe0 truncated", "INVALID_IMAGE_FORMAT"),
        (b"", "INVALID_IMAGE_FORMAT"),
    ],
)
async def test_bad_images(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    record: Record,
    data: bytes,
    code: str,
) -> None:
    record()
    before = state(runtime)
    error(await upload(client, tenant, data), 400, code)
    assert state(runtime) == before


async def test_a_truncated_slip_image(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    data = image_of(runtime, record())
    before = state(runtime)
    error(await upload(client, tenant, data[: len(data) // 3]), 400, "INVALID_IMAGE_FORMAT")
    assert state(runtime) == before


async def test_an_image_over_4_mb(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    data = image_of(runtime, record())
    big = data + b"\0" * (MAX_IMAGE_BYTES + 1 - len(data))
    before = state(runtime)
    error(await upload(client, tenant, big), 400, "IMAGE_SIZE_TOO_LARGE")
    error(
        await client.post(
            VERIFY, json={"base64": base64.b64encode(big).decode()}, headers=tenant.headers
        ),
        400,
        "IMAGE_SIZE_TOO_LARGE",
    )
    huge = b"\0" * (8 * 1024 * 1024)
    error(await upload(client, tenant, huge), 400, "IMAGE_SIZE_TOO_LARGE")
    assert state(runtime) == before


async def test_exactly_4_mb_is_taken(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    slip = record()
    data = image_of(runtime, slip)
    padded = data + b"\0" * (MAX_IMAGE_BYTES - len(data))  # PNG readers ignore trailing bytes
    assert len(padded) == MAX_IMAGE_BYTES
    assert (await upload(client, tenant, padded)).status_code == 200


async def test_an_image_without_a_slip_qr(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    before = state(runtime)
    other_qr = with_other_qr(_blank_png(), "https://example.com")
    error(await upload(client, tenant, other_qr), 404, "SLIP_NOT_FOUND")
    error(await upload(client, tenant, _blank_png()), 404, "SLIP_NOT_FOUND")
    assert state(runtime) == before


def _blank_png() -> bytes:
    return encode(Image.new("RGB", (400, 600), (255, 255, 255)), "PNG")


PROMPTPAY = "00020101021129370016A000000677010111011300668123456785802TH53037645406100.0063046F3D"


async def test_a_slip_beside_a_promptpay_qr_is_found(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    slip = record()
    data = with_other_qr(image_of(runtime, slip), PROMPTPAY)
    assert set(opencv_texts(data)) == {slip.payload, PROMPTPAY}
    response = await upload(client, tenant, data)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["rawSlip"]["transRef"] == slip.transRef


async def test_a_promptpay_qr_alone_is_not_a_slip(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    before = state(runtime)
    error(
        await upload(client, tenant, with_other_qr(_blank_png(), PROMPTPAY)), 404, "SLIP_NOT_FOUND"
    )
    assert state(runtime) == before


@pytest.mark.parametrize("prefix", ["", "data:image/png;base64,", "DATA:image/png;base64,"])
async def test_base64(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record, prefix: str
) -> None:
    slip = record()
    text = prefix + base64.b64encode(image_of(runtime, slip)).decode()
    response = await client.post(
        VERIFY, json={"base64": text, "matchAmount": 250}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["isAmountMatched"] is True


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not base64 at all!", "INVALID_IMAGE_FORMAT"),
        ("data:text/plain;base64,aGVsbG8=", "INVALID_IMAGE_FORMAT"),
        ("data:image/png,rawbytes", "INVALID_IMAGE_FORMAT"),
        (base64.b64encode(b"GIF89a not really").decode(), "INVALID_IMAGE_FORMAT"),
        (base64.b64encode(b"hello world").decode(), "INVALID_IMAGE_FORMAT"),
        ("", "INVALID_IMAGE_FORMAT"),
    ],
)
async def test_bad_base64(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, text: str, code: str
) -> None:
    before = state(runtime)
    error(await client.post(VERIFY, json={"base64": text}, headers=tenant.headers), 400, code)
    assert state(runtime) == before


async def test_multipart_options_are_strings(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, record: Record
) -> None:
    await client.post(
        f"{PREFIX}/bank-accounts",
        json={
            "bankCode": "004",
            "bankNumber": "1234567890",
            "nameTh": "ร้าน",
            "nameEn": "SHOP",
            "type": "JURISTIC",
        },
        headers=tenant.headers,
    )
    slip = record()
    fields = {
        "remark": "ใบเสร็จ 42",
        "matchAccount": "true",
        "matchAmount": "250.00",
        "checkDuplicate": "true",
    }
    data: Any = (await upload(client, tenant, image_of(runtime, slip), fields=fields)).json()
    assert data["data"]["remark"] == "ใบเสร็จ 42"
    assert data["data"]["matchedAccount"]["bankNumber"] == "1234567890"
    assert data["data"]["isAmountMatched"] is True
    again = await upload(client, tenant, image_of(runtime, slip), fields=fields)
    assert again.json()["data"]["isDuplicate"] is True


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({"matchAccount": "perhaps"}, True, "matchAccount"),
        ({"matchAmount": "abc"}, True, "matchAmount"),
        ({"payload": miniqr.bank_payload("004", "X1")}, True, "exactly one"),
        ({"remark": "x"}, False, "exactly one"),
        ({"image": "not a file"}, False, "image must be sent as a file"),
    ],
)
async def test_bad_multipart(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    record: Record,
    fields: dict[str, str],
    files: bool,
    message: str,
) -> None:
    slip = record()
    before = state(runtime)
    response = await client.post(
        VERIFY,
        data=fields,
        files={"image": ("s.png", image_of(runtime, slip), "image/png")}
        if files
        else {"x": ("", b"")},
        headers=tenant.headers,
    )
    assert message in error(response, 400, "VALIDATION_ERROR")
    assert state(runtime) == before
