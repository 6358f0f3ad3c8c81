"""EasySlip scenarios: ``easyslip-info`` and ``easyslip-verify-payload`` (wrk against the floor
in the same run), and ``easyslip-verify-image`` (server time per image verification against a
bare zxing-cpp decode of the same images, measured in the same run)."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import statistics
import time
from decimal import Decimal

import httpx
import zxingcpp
from PIL import Image, ImageFilter

import bench.scenarios as base
from bench import harness
from bench.harness import BenchError
from bench.seed import settings_for
from saphan.core import migrate
from saphan.core.clock import BANGKOK
from saphan.core.runtime import Runtime
from saphan.easyslip import operator
from saphan.easyslip.admin_schemas import ApplicationCreate, BranchCreate, TransferIn
from saphan.easyslip.slipimage import encode
from saphan.easyslip.slips import slip_image

INFO = "/easyslip/v2/info"
VERIFY = "/easyslip/v2/verify/bank"
TRANSFERS = 20_000
IMAGES = 30


def _seed(url: str, secret_key: str, count: int) -> tuple[str, list[str], Runtime]:
    """An unlimited application and its key, and ``count`` transfers; their payloads."""
    migrate.upgrade(url)
    now = dt.datetime.now(BANGKOK)
    rt = Runtime.from_settings(settings_for(url, secret_key))
    transfers = [
        TransferIn(
            bankCode=("002", "004", "006", "014", "025")[i % 5],
            transRef=f"BENCH{i:012d}",
            date=now - dt.timedelta(minutes=i),
            amount=Decimal("250.00"),
            senderNameEn="BENCH SENDER",
            senderAccount="1112223334",
            receiverBankCode="004",
            receiverNameEn="BENCH SHOP",
            receiverAccount="1234567890",
        )
        for i in range(count)
    ]
    with rt.db.write() as session:
        app = operator.create_application(
            session, ApplicationCreate(name="bench", email="b@example.com", quotaMax=None), now
        )
        key = operator.create_branch(session, rt.secret, app.id, BranchCreate(name="b"), now).key
        rows = operator.record_transfers(session, transfers, now)
        payloads = [operator.payload_of(r) for r in rows]
    return key, payloads, rt


def easyslip_info(db: str, opts: base.Options) -> base.Report:
    """GET /v2/info: key lookup, two quota sums, one application row."""
    scenario = "easyslip-info"
    report = base.Report(scenario, db)
    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, scenario)
    key, _payloads, rt = _seed(url, secret_key, 10)
    rt.db.dispose()
    floors = base._floor(scenario, opts, [opts.connections])
    headers = {"Authorization": f"Bearer {key}"}
    with harness.saphan_server(url, secret_key, f"{scenario}-{db}-saphan") as server:
        answer = httpx.get(server.base_url + INFO, headers=headers, timeout=30)
        base._check_answer(answer.status_code, answer.content, "info", lambda a: "data" in a)
        run = base._measure(
            "info",
            server.base_url + INFO,
            "easyslip_info.lua",
            opts,
            opts.connections,
            headers=headers,
            hide=(key,),
            server_pid=server.process.pid,
        )
    floor = floors[opts.connections]
    report.rows = [base.Row("GET /v2/info", run, floor), base.Row("floor", floor, None)]
    report.commands = [run.command, floor.command]
    ratio = run.rps / floor.rps
    report.targets.append(
        base.Target("info req/s vs floor", f"{ratio:.3f}x", ">= 0.35x", ratio >= 0.35)
    )
    return report


def easyslip_verify_payload(db: str, opts: base.Options) -> base.Report:
    """POST /v2/verify/bank by QR payload, a random one of 20,000 transfers each time (mostly
    first verifications: ledger lookup, verification insert, two quota updates)."""
    scenario = "easyslip-verify-payload"
    report = base.Report(scenario, db)
    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, scenario)
    base._log(f"{scenario}/{db}: seeding {TRANSFERS:,} transfers")
    key, payloads, rt = _seed(url, secret_key, TRANSFERS)
    rt.db.dispose()
    harness.OUT.mkdir(parents=True, exist_ok=True)
    payload_file = harness.OUT / f"{scenario}-{db}-payloads.txt"
    payload_file.write_text("\n".join(payloads) + "\n")
    floors = base._floor(scenario, opts, [opts.connections])
    headers = {"Authorization": f"Bearer {key}"}
    with harness.saphan_server(url, secret_key, f"{scenario}-{db}-saphan") as server:
        status, body = harness.post_json(
            server.base_url + VERIFY, f'{{"payload":"{payloads[0]}"}}'.encode(), headers
        )
        base._check_answer(status, body, "verify", lambda a: "rawSlip" in a.get("data", {}))
        run = base._measure(
            "verify payload",
            server.base_url + VERIFY,
            "easyslip_verify_payload.lua",
            opts,
            opts.connections,
            headers=headers,
            args=(str(payload_file),),
            hide=(key,),
            server_pid=server.process.pid,
        )
    floor = floors[opts.connections]
    report.rows = [
        base.Row("POST /v2/verify/bank payload", run, floor),
        base.Row("floor", floor, None),
    ]
    report.commands = [run.command, floor.command]
    ratio = run.rps / floor.rps
    report.targets.append(
        base.Target("verify (payload) req/s vs floor", f"{ratio:.3f}x", ">= 0.15x", ratio >= 0.15)
    )
    report.notes.append(f"{TRANSFERS:,} transfers; payload uniform over them; unlimited quota")
    return report


def photo(data: bytes, seed: int) -> bytes:
    """A phone photo of a slip: tilted, scaled, blurred, noisy, JPEG (Pillow only)."""
    image = Image.open(io.BytesIO(data)).convert("RGB").rotate(4 + seed % 5, expand=True)
    image = image.resize((round(image.width * 0.9), round(image.height * 0.9)))
    image = image.filter(ImageFilter.GaussianBlur(0.7))
    noise = Image.effect_noise(image.size, 40).convert("RGB")
    return encode(Image.blend(image, noise, 0.12), "JPEG", quality=75)


def _bare(data: bytes) -> float:
    started = time.perf_counter()
    image = Image.open(io.BytesIO(data))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.barcode_formats_from_str("QRCode"))
    elapsed = time.perf_counter() - started
    if not found:
        raise BenchError("the bare decode found no QR code in a bench image")
    return elapsed


def easyslip_verify_image(db: str, opts: base.Options) -> base.Report:
    """Multipart image verifications one at a time (client-measured, so HTTP, multipart,
    decoding and the database are all in it) against a bare zxing-cpp decode of the same
    images, interleaved in the same run."""
    scenario = "easyslip-verify-image"
    report = base.Report(scenario, db)
    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, scenario)
    key, _payloads, rt = _seed(url, secret_key, IMAGES)
    with rt.db.read() as session:
        images = [photo(slip_image(t), i) for i, t in enumerate(operator.list_transfers(session))]
    rt.db.dispose()
    headers = {"Authorization": f"Bearer {key}"}
    served: list[float] = []
    bare: list[float] = []
    with (
        harness.saphan_server(url, secret_key, f"{scenario}-{db}-saphan") as server,
        httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as http,
    ):
        if opts.quiet_wait > 0:
            harness.wait_until_quiet(opts.quiet_wait)
        for rounds in range(3):
            for data in images:
                started = time.perf_counter()
                response = http.post(VERIFY, files={"image": ("slip.jpg", data, "image/jpeg")})
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise BenchError(f"verify image: {response.status_code} {response.text}")
                if rounds:  # the first round warms up (and makes every later one a re-check)
                    served.append(elapsed)
                    bare.append(_bare(data))
    server_ms, bare_ms = statistics.median(served) * 1000, statistics.median(bare) * 1000
    ratio = server_ms / bare_ms
    kib = sum(map(len, images)) // len(images) // 1024
    width = Image.open(io.BytesIO(images[0])).size[0]
    report.notes.append(
        f"{len(images)} photo-like JPEG slips (~{kib} KiB, {width}px wide); median of "
        f"{len(served)}: "
        f"verification {server_ms:.1f} ms round trip, bare decode {bare_ms:.1f} ms"
    )
    report.targets.append(
        base.Target(
            "image verification time vs bare decode", f"{ratio:.2f}x", "<= 1.3x", ratio <= 1.3
        )
    )
    report.commands = [f"python -m bench {scenario} --db {db}"]
    return report


SCENARIOS = {
    "easyslip-info": easyslip_info,
    "easyslip-verify-payload": easyslip_verify_payload,
    "easyslip-verify-image": easyslip_verify_image,
}
