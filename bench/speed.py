"""``speed`` (issue 12): six routes of the four services, one after another, on one database
seeded for all of them, each measured with wrk ``-t2 -c64`` back to back with the floor (the
bare Starlette app of bench/floor.py under granian: ASGI, uvloop, HTTP/1, one worker), while
``/healthz`` is probed from Python every 200 ms.

The run goes floor, route, floor, route, ..., floor; a route's ratio is its req/s over the mean
of the two floor runs beside it. Unlike the other scenarios, a non-2xx answer, a socket error
or a route that cannot be measured does not stop the run: it is reported in the table, the
next route runs, and ``python -m bench`` exits 1 at the end.
"""

from __future__ import annotations

import http.client
import secrets
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from bench import easyslip, harness, moi, rakmao, seed
from bench import scenarios as sc
from bench.harness import BenchError, Server, WrkResult
from saphan.rakmao import demo

SCENARIO = "speed"
#: wrk's threads and connections unless --threads / --connections say otherwise.
THREADS = 2
CONNECTIONS = 64
#: wrk's own default --timeout, as in the issue's measurements: a request slower than this
#: counts as a timeout (and is left out of the latencies).
WRK_TIMEOUT = "2s"
#: /healthz is probed this often during each route's measured run, a new connection each
#: time (as a liveness probe does), and must answer within HEALTHZ_LIMIT_MS.
PROBE_EVERY = 0.2
PROBE_TIMEOUT = 5.0
HEALTHZ_LIMIT_MS = 100.0
#: p99 must stay within this multiple of p50.
TAIL_LIMIT = 10.0
#: PostgreSQL's ratio must be at least this fraction of SQLite's, route by route.
PG_OVER_SQLITE = 0.8

#: Saphan's settings for the run: MOI quota off (a trusted back office), Rakmao's
#: register-before-use gate off (bench/rakmao.py): the routes are measured, not the gates.
SETTINGS = {
    "SAPHAN_MOI_QUOTA_PER_MINUTE": "0",
    "SAPHAN_MOI_QUOTA_PER_DAY": "0",
    **rakmao.NO_GATE,
}


# -- seeding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """One database holding what every route needs."""

    url: str
    secret_key: str
    depa_key: str
    vouchers: int
    moi_client: tuple[str, str]
    citizens: int
    pos: int
    keywords: list[str]
    easyslip_key: str
    payload_file: Path
    transfers: int
    timings: list[tuple[str, float, int, str]]
    seconds: float


def _scaled(count: int, scale: float) -> int:
    return max(1, round(count * scale))


def seed_all(db: str, opts: sc.Options) -> Seeded:
    """A fresh database, seeded by the other scenarios' own seeding code, then settled."""
    started = time.perf_counter()
    secret_key = secrets.token_urlsafe(32)
    url = harness.fresh_database(db, SCENARIO)
    vouchers = max(sc.PAGE_SIZE, _scaled(opts.vouchers, opts.scale))
    citizens = _scaled(moi.CITIZENS, opts.scale)
    pos = max(rakmao.PERPAGE, _scaled(opts.vouchers, opts.scale))
    transfers = _scaled(easyslip.TRANSFERS, opts.scale)
    timings: list[tuple[str, float, int, str]] = []
    sc._log(
        f"{SCENARIO}/{db}: fresh database {sc._safe(url)}; seeding {vouchers:,} vouchers, "
        f"{citizens:,} citizens, {pos:,} POs, {transfers:,} transfers (scale {opts.scale:g})"
    )

    depa = seed.seed(url, secret_key, vouchers, all_active=False)
    timings.append(("depa: a DP, its key, vouchers", depa.seconds, vouchers, "vouchers"))
    sc._log(f"{SCENARIO}/{db}: depa seeded in {depa.seconds:.1f}s")

    client_id, client_secret, seconds = moi._seed_lookup(url, secret_key, citizens)
    timings.append(
        (
            f"MOI: a client, accounts ({moi.LOOKUP_BILLS_PER_ACCOUNT} bills each)",
            seconds,
            citizens,
            "citizens",
        )
    )
    sc._log(f"{SCENARIO}/{db}: MOI seeded in {seconds:.1f}s")

    seconds, keywords = rakmao.seed_pos(url, secret_key, pos)
    timings.append(("Rakmao: the bench buyer, POs (2 items each)", seconds, pos, "POs"))
    sc._log(f"{SCENARIO}/{db}: Rakmao seeded in {seconds:.1f}s")

    begun = time.perf_counter()
    easyslip_key, payloads, rt = easyslip._seed(url, secret_key, transfers)
    rt.db.dispose()
    seconds = time.perf_counter() - begun
    timings.append(
        ("EasySlip: an application, a branch, transfers", seconds, transfers, "transfers")
    )
    sc._log(f"{SCENARIO}/{db}: EasySlip seeded in {seconds:.1f}s")
    harness.OUT.mkdir(parents=True, exist_ok=True)
    payload_file = harness.OUT / f"{SCENARIO}-{db}-payloads.txt"
    payload_file.write_text("\n".join(payloads) + "\n")

    begun = time.perf_counter()
    sc._settle(url, db)
    seconds = time.perf_counter() - begun
    total = time.perf_counter() - started
    sc._log(f"{SCENARIO}/{db}: settled in {seconds:.1f}s; seeding took {total:.1f}s in all")
    return Seeded(
        url=url,
        secret_key=secret_key,
        depa_key=depa.api_key,
        vouchers=vouchers,
        moi_client=(client_id, client_secret),
        citizens=citizens,
        pos=pos,
        keywords=keywords,
        easyslip_key=easyslip_key,
        payload_file=payload_file,
        transfers=transfers,
        timings=timings,
        seconds=total,
    )


# -- the routes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What wrk needs to put one route under load."""

    url: str
    script: str
    headers: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    #: Secrets the printed command shows as $KEY.
    hide: tuple[str, ...] = ()


class Prepare:
    """Checks each route with one request of its own (status 200, the expected answer) and
    says how to load it; logs in to MOI and Rakmao once, when first needed."""

    def __init__(self, server: Server, seeded: Seeded) -> None:
        self.base = server.base_url
        self.seeded = seeded
        self._moi_token: str | None = None
        self._rakmao_token: str | None = None

    def moi_token(self) -> str:
        if self._moi_token is None:
            self._moi_token = moi._authenticate(self.base, *self.seeded.moi_client)
        return self._moi_token

    def rakmao_token(self) -> str:
        if self._rakmao_token is None:
            self._rakmao_token = rakmao._login(self.base)
        return self._rakmao_token

    def info(self) -> Load:
        headers = {"Authorization": f"Bearer {self.seeded.easyslip_key}"}
        status, body = _get(self.base + easyslip.INFO, headers)
        sc._check_answer(status, body, "info", lambda a: "data" in a)
        return Load(
            self.base + easyslip.INFO,
            "easyslip_info.lua",
            headers,
            hide=(self.seeded.easyslip_key,),
        )

    def vouchers(self) -> Load:
        headers = {"x-api-key": self.seeded.depa_key}
        pages = self.seeded.vouchers // sc.PAGE_SIZE
        url = self.base + sc.GET_DP_VOUCHERS
        request = orjson.dumps({"pageNumber": pages, "pageSize": sc.PAGE_SIZE})
        status, body = harness.post_json(url, request, headers)
        sc._check_answer(
            status,
            body,
            "GetDPVouchers (last page)",
            lambda a: (
                a.get("totalRecords") == self.seeded.vouchers
                and isinstance(a.get("data"), list)
                and len(a["data"]) == sc.PAGE_SIZE
            ),
        )
        return Load(
            url,
            "get_dp_vouchers.lua",
            headers,
            (str(pages), str(sc.PAGE_SIZE)),
            (self.seeded.depa_key,),
        )

    def power_capital(self) -> Load:
        token = self.moi_token()
        moi._check_lookup(self.base, token, self.seeded.citizens)
        return Load(
            self.base + moi.POWER_CAPITAL,
            "power_capital.lua",
            {"Token": token},
            (str(self.seeded.citizens), moi.CITIZEN_PREFIX),
            (token,),
        )

    def rakmao_list(self) -> Load:
        token = self.rakmao_token()
        url = f"{self.base}{rakmao.CREATE}/{demo.ORG_ID}"
        status, body = _get(url + f"?perpage={rakmao.PERPAGE}", {"Authorization": token})
        if status != 200 or orjson.loads(body)["data"]["count"] != self.seeded.pos:
            raise BenchError(f"Rakmao list: {status} {body[:300]!r}")
        pages = max(1, min(1000, self.seeded.pos // rakmao.PERPAGE))
        keywords = ",".join(urllib.parse.quote(k) for k in self.seeded.keywords)
        return Load(
            url,
            "rakmao_list.lua",
            {"Authorization": token},
            (str(pages), str(rakmao.PERPAGE), keywords),
            (token,),
        )

    def rakmao_create(self) -> Load:
        token = self.rakmao_token()
        body_file = harness.OUT / f"{SCENARIO}-rakmao-create-body.json"
        body_file.write_bytes(
            (harness.REPO / "tests/rakmao/spec_examples/CreatePo.request.json").read_bytes()
        )
        url = self.base + rakmao.CREATE
        status, body = harness.post_json(url, body_file.read_bytes(), {"Authorization": token})
        if status != 200 or not orjson.loads(body)["data"]["PoCode"].startswith("PO-"):
            raise BenchError(f"Rakmao create: {status} {body[:300]!r}")
        return Load(url, "rakmao_create.lua", {"Authorization": token}, (str(body_file),), (token,))

    def verify_payload(self) -> Load:
        headers = {"Authorization": f"Bearer {self.seeded.easyslip_key}"}
        url = self.base + easyslip.VERIFY
        first = self.seeded.payload_file.read_text().split("\n", 1)[0]
        status, body = harness.post_json(url, orjson.dumps({"payload": first}), headers)
        sc._check_answer(status, body, "verify", lambda a: "rawSlip" in a.get("data", {}))
        return Load(
            url,
            "easyslip_verify_payload.lua",
            headers,
            (str(self.seeded.payload_file),),
            (self.seeded.easyslip_key,),
        )


@dataclass(frozen=True)
class Route:
    name: str
    request: str
    #: The least ratio to the floor's req/s the route must reach.
    target: float
    prepare: Callable[[Prepare], Load]
    #: What each request of the load does, for the report's notes.
    load: str


ROUTES = (
    Route(
        "EasySlip info",
        "GET /easyslip/v2/info",
        0.35,
        Prepare.info,
        "the bench application's key; the answer: quota used and left, the application",
    ),
    Route(
        "depa GetDPVouchers",
        "POST /depa/api/dp/GetDPVouchers",
        0.15,
        Prepare.vouchers,
        "pageSize 100, a random page of the DP's vouchers (~73 KiB of JSON each)",
    ),
    Route(
        "MOI PowerCapital",
        "GET /moi/api/v1/PowerCapital/{CitizenID}",
        0.20,
        Prepare.power_capital,
        "one session, a random citizen (one account, 8 bills), quota off, every lookup audited",
    ),
    Route(
        "Rakmao list",
        "GET /rakmao-po/api/v1/Buyer/{OrgId}",
        0.15,
        Prepare.rakmao_list,
        "1/3 a random page of all POs, 1/3 a random status, 1/3 a keyword; perpage 10",
    ),
    Route(
        "Rakmao create",
        "POST /rakmao-po/api/v1/Buyer",
        0.10,
        Prepare.rakmao_create,
        "the spec's create example: a new Draft PO with 4 items and the day's next PoCode",
    ),
    Route(
        "EasySlip verify payload",
        "POST /easyslip/v2/verify/bank",
        0.15,
        Prepare.verify_payload,
        "a random one of the ledger's transfers by QR payload, matchAmount set, unlimited quota",
    ),
)


def _get(url: str, headers: Mapping[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=dict(headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# -- /healthz under load -----------------------------------------------------------------------


@dataclass(frozen=True)
class Healthz:
    """``GET /healthz`` probes during one measured run; latencies in ms, failed probes (not
    200, or no answer within PROBE_TIMEOUT) included."""

    probes: int
    failed: int
    p50_ms: float
    p99_ms: float
    max_ms: float


class Prober:
    """Probes ``/healthz`` every PROBE_EVERY seconds from a thread, each time on a new
    connection, until ``finish()``."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.latencies: list[float] = []
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthz-prober", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _probe(self) -> bool:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=PROBE_TIMEOUT)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            return response.status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            started = time.perf_counter()
            ok = self._probe()
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.failed += not ok
            due += PROBE_EVERY
            self._stop.wait(max(0.0, due - time.monotonic()))

    def finish(self) -> Healthz:
        self._stop.set()
        self._thread.join(PROBE_TIMEOUT + 1)
        seen = sorted(self.latencies) or [0.0]
        p99 = (
            statistics.quantiles(seen, n=100, method="inclusive")[98] if len(seen) > 1 else seen[0]
        )
        return Healthz(len(self.latencies), self.failed, statistics.median(seen), p99, seen[-1])


# -- measuring ---------------------------------------------------------------------------------


def _run(
    label: str, load: Load, opts: sc.Options, server_pid: int, *, probe: str | None = None
) -> tuple[WrkResult, Healthz | None]:
    """A warm-up run, then the measured run (with ``/healthz`` of ``probe`` probed during
    it); never raises for non-2xx answers or socket errors: the result counts them."""
    if opts.quiet_wait > 0:
        harness.wait_until_quiet(opts.quiet_wait)

    def wrk(what: str, duration: float, pid: int | None) -> WrkResult:
        return harness.run_wrk(
            what,
            load.url,
            load.script,
            connections=opts.connections,
            duration=duration,
            threads=opts.threads,
            headers=load.headers,
            args=load.args,
            check=False,
            hide=load.hide,
            server_pid=pid,
            timeout=WRK_TIMEOUT,
        )

    if opts.warmup > 0:
        wrk(label + " (warm-up)", opts.warmup, None)
    prober = Prober(probe) if probe else None
    if prober:
        prober.start()
    try:
        run = wrk(label, opts.duration, server_pid)
    finally:
        healthz = prober.finish() if prober else None
    errors = "" if run.clean else f"; {run.non_2xx} non-2xx, {run.socket_errors} socket errors"
    probed = f"; healthz max {healthz.max_ms:.1f} ms" if healthz else ""
    sc._log(
        f"{label}: {run.rps:,.0f} req/s, p50 {run.p50_ms:.2f} ms, p99 {run.p99_ms:.2f} ms "
        f"({run.requests:,} requests{errors}{probed}; {sc._cpu(run)})"
    )
    return run, healthz


@dataclass(frozen=True)
class Measured:
    """One route's result (or why it has none)."""

    route: str
    request: str
    target: float
    run: WrkResult | None = None
    floor_before: WrkResult | None = None
    floor_after: WrkResult | None = None
    healthz: Healthz | None = None
    #: Mean req/s of the two floor runs beside this one.
    floor_rps: float = 0.0
    ratio: float = 0.0
    #: The targets this route missed (empty: all met).
    missed: tuple[str, ...] = ()
    #: Why the route was not measured.
    error: str = ""


def measured(
    route: Route, run: WrkResult, before: WrkResult, after: WrkResult, healthz: Healthz | None
) -> Measured:
    floor_rps = (before.rps + after.rps) / 2
    ratio = run.rps / floor_rps if floor_rps > 0 else 0.0
    missed = []
    if ratio < route.target:
        missed.append("ratio")
    if run.timeouts:
        missed.append("timeouts")
    if run.socket_errors > run.timeouts:
        missed.append("socket errors")
    if run.non_2xx:
        missed.append("non-2xx")
    if run.requests == 0 or run.p99_ms > TAIL_LIMIT * run.p50_ms:
        missed.append("p99/p50")
    if healthz is None or healthz.failed or healthz.max_ms >= HEALTHZ_LIMIT_MS:
        missed.append("healthz")
    return Measured(
        route.name,
        route.request,
        route.target,
        run,
        before,
        after,
        healthz,
        floor_rps,
        ratio,
        tuple(missed),
    )


def speed(db: str, opts: sc.Options) -> sc.Report:
    """Seed one database for every route, start the granian floor and Saphan, then measure
    floor, route, floor, route, ..., floor."""
    report = sc.Report(SCENARIO, db)
    seeded = seed_all(db, opts)
    report.timings = seeded.timings
    results: list[Measured] = []
    floors: list[WrkResult] = []
    with (
        harness.granian_floor_server(f"{SCENARIO}-{db}-floor") as floor,
        harness.saphan_server(
            seeded.url, seeded.secret_key, f"{SCENARIO}-{db}-saphan", SETTINGS
        ) as server,
    ):
        floor_load = Load(floor.base_url + "/", "floor.lua")

        def measure_floor() -> WrkResult:
            run, _ = _run(f"floor {len(floors) + 1}", floor_load, opts, floor.process.pid)
            if not run.clean:
                report.failed.append(
                    f"floor run {len(floors) + 1}: {run.non_2xx} non-2xx, "
                    f"{run.socket_errors} socket errors"
                )
            floors.append(run)
            return run

        prepare = Prepare(server, seeded)
        before = measure_floor()
        for route in ROUTES:
            try:
                load = route.prepare(prepare)
                run, healthz = _run(
                    route.name, load, opts, server.process.pid, probe=server.base_url
                )
            except Exception as exc:  # reported in the table; the next route still runs
                error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300].replace("|", "/")
                sc._log(f"{route.name}: NOT MEASURED: {error} (server log: {server.log})")
                results.append(Measured(route.name, route.request, route.target, error=error))
                report.failed.append(f"{route.name}: not measured ({error})")
                continue
            after = measure_floor()
            result = measured(route, run, before, after, healthz)
            results.append(result)
            report.commands.append(run.command)
            if not run.clean:
                report.failed.append(
                    f"{route.name}: {run.non_2xx} non-2xx, {run.timeouts} timeouts, "
                    f"{run.socket_errors - run.timeouts} other socket errors "
                    f"(server log: {server.log.relative_to(harness.REPO)})"
                )
            before = after
        if server.process.poll() is not None:
            report.failed.append(f"Saphan exited ({server.process.returncode}); see {server.log}")
    report.commands.append(floors[0].command)
    report.table = table(results)
    report.data = {"routes": results, "floors": floors, "seed_seconds": seeded.seconds}
    report.notes += notes(seeded, opts, results, floors)
    return report


def table(results: list[Measured]) -> list[list[str]]:
    rows = [
        [
            "route",
            "req/s",
            "p50 ms",
            "p99 ms",
            "p99/p50",
            "floor req/s",
            "ratio to floor",
            "target",
            "met/missed",
            "timeouts",
            "non-2xx",
            "healthz max ms",
            "cores: server / postgres / wrk / other",
        ]
    ]
    for m in results:
        if m.run is None:
            rows.append(
                [m.route, *["-"] * 6, f">= {m.target:.2f}x", f"NOT MEASURED: {m.error[:120]}"]
                + ["-"] * 4
            )
            continue
        run, cpu, h = m.run, m.run.cpu, m.healthz
        tail = run.p99_ms / run.p50_ms if run.p50_ms > 0 else float("inf")
        timeouts = f"{run.timeouts:,}"
        if run.socket_errors > run.timeouts:
            timeouts += f" (+{run.socket_errors - run.timeouts:,} other socket errors)"
        healthz = "-" if h is None else f"{h.max_ms:.1f}"
        if h is not None and h.failed:
            healthz += f" ({h.failed} of {h.probes} failed)"
        rows.append(
            [
                m.route,
                f"{run.rps:,.0f}",
                f"{run.p50_ms:.2f}",
                f"{run.p99_ms:.2f}",
                f"{tail:.1f}",
                f"{m.floor_rps:,.0f}",
                f"{m.ratio:.3f}",
                f">= {m.target:.2f}x",
                "met" if not m.missed else "MISSED: " + ", ".join(m.missed),
                timeouts,
                f"{run.non_2xx:,}",
                healthz,
                f"{cpu.server:.2f} / {cpu.postgres:.2f} / {cpu.wrk:.2f} / {cpu.other:.2f}",
            ]
        )
    return rows


def notes(
    seeded: Seeded, opts: sc.Options, results: list[Measured], floors: list[WrkResult]
) -> list[str]:
    out = [
        f"wrk -t{opts.threads} -c{opts.connections}, {opts.duration:g}s measured after "
        f"{opts.warmup:g}s warm-up, --timeout {WRK_TIMEOUT} (wrk's default); each route "
        "between two floor runs, ratio = its req/s / the mean of the two",
        "floor: bench/floor.py's app under granian "
        + " ".join(harness.GRANIAN_FLOOR_ARGS)
        + "; runs in order: "
        + " / ".join(f"{f.rps:,.0f}" for f in floors)
        + " req/s (p50 "
        + " / ".join(f"{f.p50_ms:.2f}" for f in floors)
        + " ms)",
        f"targets, each route: ratio as shown, 0 timeouts, 0 non-2xx, p99 <= {TAIL_LIMIT:g}x "
        f"p50, /healthz (probed every {PROBE_EVERY * 1000:.0f} ms on a new connection during "
        f"the measured run) always 200 within {HEALTHZ_LIMIT_MS:g} ms",
        f"seeded ({seeded.seconds:.0f}s in all, settle included): {seeded.vouchers:,} vouchers, "
        f"{seeded.citizens:,} citizens, {seeded.pos:,} POs, {seeded.transfers:,} transfers"
        + ("" if opts.scale == 1 else f" (--scale {opts.scale:g}: NOT the full-size seed)"),
    ]
    for route, m in zip(ROUTES, results, strict=True):
        size = f"; mean response {m.run.response_bytes / 1024:.1f} KiB" if m.run else ""
        out.append(f"{route.name} (`{route.request}`): {route.load}{size}")
    runs = [m.run for m in results if m.run is not None] + floors
    busy = [r.cpu.other for r in runs if r.cpu.other > 0.2]
    if busy:
        out.append(
            f"WARNING: other programs used up to {max(busy):.2f} cores during {len(busy)} of "
            f"these {len(runs)} runs; their figures are lower than the code deserves"
        )
    return out


def compare(reports: list[sc.Report]) -> sc.Report | None:
    """PostgreSQL's ratio against SQLite's, route by route, when both databases ran."""
    by_db = {r.database: r for r in reports if r.scenario == SCENARIO}
    if "sqlite" not in by_db or "postgresql" not in by_db:
        return None
    report = sc.Report(SCENARIO, "PostgreSQL vs SQLite")
    report.table = [
        ["route", "SQLite ratio", "PostgreSQL ratio", "PostgreSQL / SQLite", "goal", "met/missed"]
    ]
    lite = {m.route: m for m in by_db["sqlite"].data["routes"]}
    pg = {m.route: m for m in by_db["postgresql"].data["routes"]}
    compared = []
    for route in ROUTES:
        a, b = lite.get(route.name), pg.get(route.name)
        if a is None or b is None or a.run is None or b.run is None or a.ratio <= 0:
            report.table.append([route.name, "-", "-", "-", f">= {PG_OVER_SQLITE:g}x", "n/a"])
            continue
        share = b.ratio / a.ratio
        met = share >= PG_OVER_SQLITE
        compared.append({"route": route.name, "sqlite": a.ratio, "postgresql": b.ratio})
        report.table.append(
            [
                route.name,
                f"{a.ratio:.3f}",
                f"{b.ratio:.3f}",
                f"{share:.2f}",
                f">= {PG_OVER_SQLITE:g}x",
                "met" if met else "MISSED",
            ]
        )
    report.data = {"compared": compared}
    return report


SCENARIOS = {SCENARIO: speed}
#: Run by ``python -m bench`` after every database of the scenario ran.
SUMMARIES = {SCENARIO: compare}
