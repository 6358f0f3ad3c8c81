"""``python -m bench SCENARIO [--db sqlite|postgresql|both] [--duration S] [--connections N]``

Scenarios: see SCENARIOS below, or all. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time

from bench import depa_dp, easyslip, harness, moi, rakmao, scenarios, speed, webhooks
from bench.harness import BenchError
from bench.scenarios import Options, Report

#: Every scenario: depa's in bench/scenarios.py, each other service's in its own module.
SCENARIOS = {
    **scenarios.SCENARIOS,
    **depa_dp.SCENARIOS,
    **moi.SCENARIOS,
    **rakmao.SCENARIOS,
    **easyslip.SCENARIOS,
    **webhooks.SCENARIOS,
    **speed.SCENARIOS,
}
#: Run after every database of a scenario ran, with its reports: a cross-database report.
SUMMARIES = {**speed.SUMMARIES}
#: Scenarios whose wrk threads and connections differ from the defaults (1 and 16).
WRK_DEFAULTS = {"speed": (speed.THREADS, speed.CONNECTIONS)}


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD") or "unknown",
        "src": "uncommitted changes in src/" if _git("status", "--porcelain", "src") else "clean",
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=harness.REPO, capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def render(report: Report) -> str:
    lines = [f"### {report.scenario} on {report.database}", ""]
    if report.table:
        header, *body = report.table
        lines += [
            "| " + " | ".join(header) + " |",
            "|---|" + "---:|" * (len(header) - 1),
            *("| " + " | ".join(cells) + " |" for cells in body),
        ]
        if report.rows:
            lines.append("")
    if report.rows:
        lines += [
            "| scenario | database | connections | req/s | p50 ms | p99 ms | ratio to floor "
            "| cores: server / postgres / wrk / other |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
    for row in report.rows:
        run = row.run
        database = "-" if row.floor is None else report.database
        lines.append(
            f"| {row.name} | {database} | {run.connections} | {run.rps:,.0f} | "
            f"{run.p50_ms:.2f} | {run.p99_ms:.2f} | {row.ratio:.3f} | "
            f"{run.cpu.server:.2f} / {run.cpu.postgres:.2f} / {run.cpu.wrk:.2f} / "
            f"{run.cpu.other:.2f} |"
        )
    if report.throughput:
        lines += [
            "",
            "| writer | rows/s | p50 ms | p99 ms | ratio to raw |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, rows_per_s, p50, p99, ratio in report.throughput:
            lines.append(f"| {label} | {rows_per_s:,.0f} | {p50:.2f} | {p99:.2f} | {ratio:.3f} |")
    if report.timings:
        lines += ["", "| step | seconds | items | items/s |", "|---|---:|---:|---:|"]
        for what, seconds, items, unit in report.timings:
            rate = items / seconds if seconds > 0 else 0.0
            lines.append(f"| {what} | {seconds:.1f} | {items:,} {unit} | {rate:,.0f} |")
    if report.targets:
        lines += ["", "| target | measured | goal | |", "|---|---:|---|---|"]
        for t in report.targets:
            lines.append(f"| {t.what} | {t.measured} | {t.goal} | {'met' if t.met else 'MISSED'} |")
    notes = list(report.notes)
    busy = [r for r in report.rows if r.run.cpu.other > 0.2]
    if busy:
        worst = max(r.run.cpu.other for r in busy)
        notes.append(
            f"WARNING: other programs used up to {worst:.2f} cores during "
            f"{len(busy)} of these runs; their figures are lower than the code deserves"
        )
    notes += [f"wrk: `{command}`" for command in report.commands]
    if notes:
        lines.append("")
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Saphan benchmarks (see bench/README.md)."
    )
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgresql", "both"],
        default=None,
        help="database (default: sqlite for one scenario, both for 'all')",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per run")
    parser.add_argument(
        "--connections",
        type=int,
        default=None,
        help="wrk connections (default 16, speed 64; depa-usage also runs at 1)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="wrk threads (default 1, speed 2)"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="seconds to wait for other programs' CPU load to pass before each run (0: don't)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="speed only: the fraction of the full seed sizes to load (default 1.0)",
    )
    parser.add_argument("--vouchers", type=int, default=100_000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be above 0")

    try:
        harness.require_wrk()
    except BenchError as exc:
        print(exc, file=sys.stderr)
        return 2
    opts = Options(
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections or 16,
        threads=args.threads or 1,
        vouchers=args.vouchers,
        quiet_wait=args.quiet_wait,
        scale=args.scale,
    )

    def options_for(name: str) -> Options:
        threads, connections = WRK_DEFAULTS.get(name, (1, 16))
        return dataclasses.replace(
            opts,
            threads=args.threads or threads,
            connections=args.connections or connections,
        )

    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    db_choice = args.db or ("both" if args.scenario == "all" else "sqlite")
    databases = ["sqlite", "postgresql"] if db_choice == "both" else [db_choice]

    info = machine()
    print(
        f"# Saphan bench, {info['date']}: {info['nproc']} CPUs ({info['cpu']}), "
        f"Python {info['python']}; commit {info['commit']} ({info['src']}); "
        f"wrk runs of {opts.duration:g}s after {opts.warmup:g}s warm-up",
        flush=True,
    )
    reports: list[Report] = []
    options: dict[int, Options] = {}  # id(report) -> the options it ran with
    failures: list[str] = []
    for name in names:
        ran: list[Report] = []
        for db in databases:
            if db == "postgresql" and not harness.postgresql_reachable():
                message = (
                    f"{name}/postgresql: skipped, no PostgreSQL at {harness.pg_bench_url()} "
                    "(set SAPHAN_BENCH_PG_URL)"
                )
                print(message, flush=True)
                if args.db == "postgresql":
                    failures.append(message)
                continue
            try:
                report = SCENARIOS[name](db, options_for(name))
            except BenchError as exc:
                print(f"{name}/{db}: FAILED: {exc}", file=sys.stderr, flush=True)
                failures.append(f"{name}/{db}")
                continue
            reports.append(report)
            ran.append(report)
            options[id(report)] = options_for(name)
            print("\n" + render(report) + "\n", flush=True)
            if report.failed:
                print(
                    f"{name}/{db}: NOT CLEAN: " + "; ".join(report.failed),
                    file=sys.stderr,
                    flush=True,
                )
                failures.append(f"{name}/{db} (not clean)")
        summary = SUMMARIES[name](ran) if name in SUMMARIES else None
        if summary is not None:
            reports.append(summary)
            options[id(summary)] = options_for(name)
            print("\n" + render(summary) + "\n", flush=True)

    if reports:
        print("## All results\n")
        for report in reports:
            print(render(report) + "\n")
        harness.OUT.mkdir(parents=True, exist_ok=True)
        saved = harness.OUT / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
        saved.write_text(
            json.dumps(
                {
                    "machine": info,
                    "options": dataclasses.asdict(opts),
                    "reports": [
                        {**dataclasses.asdict(r), "options": dataclasses.asdict(options[id(r)])}
                        for r in reports
                    ],
                },
                indent=2,
                default=str,
            )
        )
        print(f"(saved as {saved.relative_to(harness.REPO)})")
    if failures:
        print("FAILED: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
