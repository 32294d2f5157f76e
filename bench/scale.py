"""Issue #19 at city scale: ONE market per database and size, seeded once, measured for all.

Each market (``workers``, 200k shifts, 12 months of income and premiums) is seeded by the real
command, ``flask seed synthetic``, in its own process under ``/usr/bin/time -v`` (its wall time
and peak memory are measured); then, in this process, on that database:

1. candidates (``GET /shifts/{id}/candidates``) for 60 s right after the bulk load: the first
   request builds the matching index (its memory: RSS before and after);
2. candidates in the steady state, then the shift search;
3. a bulk update of the profiles of every ``update_every``-th worker (~7 %), committed while the
   index is warm, and candidates for the 60 s after it;
4. the index's memory once more, by tracemalloc around a build of it;
5. one evaluation of the whole city (it creates the flags).

Results go to ``bench/results/scale.json`` under ``<backend>-<workers>``; ``--table`` prints the
README's table of them against issue #19's goals.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy import func, select, update

from bench import evaluation, matching, search
from bench.harness import CONFIG, RESULTS, analyze, database_url, percentiles, save
from marketplace import clock, create_app
from marketplace.extensions import db
from marketplace.matching import index
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers.models import Worker, reach_bucket

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scale"
CITY = "wuxi"

# Issue #19's goals, at 1M workers / 200k shifts / 12 months.
CANDIDATES_P50_MS = 50.0
CANDIDATES_MOONSHOT_MS = 10.0
SEARCH_P50_MS = 10.0
EVALUATION_SECONDS = 300.0
EVALUATION_GROWTH = 11.0
INDEX_MB = 300.0


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict[str, Any]:
    """What the numbers were measured on (the machine is shared: see the load averages)."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "note": "2 cores shared with other agents running their tests at the same time",
    }


def _git(*arguments: str) -> str:
    git = shutil.which("git") or "/usr/bin/git"
    answer = subprocess.run([git, *arguments], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    return answer.stdout.strip()


def commit() -> str:
    """The commit measured, with ``+dirty`` when the code differs from it."""
    changed = _git("status", "--porcelain", "--", "marketplace", "seeds", "bench/*.py")
    return _git("rev-parse", "--short", "HEAD") + ("+dirty" if changed else "")


def seed_command(url: str, workers: int, shifts: int, months: int) -> dict[str, Any]:
    """Run ``flask seed synthetic`` on ``url`` under ``/usr/bin/time -v``, its progress lines
    passed through; its wall seconds and peak resident memory."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": CONFIG["SECRET_KEY"],
        **{f"MARKETPLACE_{k}": v for k, v in CONFIG.items() if k != "SECRET_KEY"},
    }
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        command = [
            "/usr/bin/time",
            "-v",
            "-o",
            report.name,
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "seed",
            "synthetic",
            "--city",
            CITY,
            "--workers",
            str(workers),
            "--shifts",
            str(shifts),
            "--months",
            str(months),
        ]
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=environment, check=True)  # noqa: S603
        seconds = time.perf_counter() - started
        stats = dict(
            line.strip().rsplit(": ", 1) for line in report.read().splitlines() if ": " in line
        )
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(int(stats["Maximum resident set size (kbytes)"]) / 1024),
    }


def window(
    request: Callable[[int], int],
    shift_ids: Iterator[int],
    seconds: float,
    started: float | None = None,
    samples: list[float] | None = None,
) -> dict:
    """Candidates requests, one after another, until ``seconds`` after ``started`` (now by
    default; at least three requests), after the ``samples`` already taken in it."""
    started = time.perf_counter() if started is None else started
    samples = [] if samples is None else samples
    while time.perf_counter() - started < seconds or len(samples) < 3:
        begun = time.perf_counter()
        request(next(shift_ids))
        samples.append((time.perf_counter() - begun) * 1000)
    return {"first_ms": round(samples[0], 1), "window_s": seconds, **percentiles(samples)}


def bulk_update(app: Flask, every: int) -> dict[str, Any]:
    """Change the reach of every ``every``-th worker (a profile edit, stamped now) in one
    committed statement."""
    with app.app_context():
        reach = 25.0
        started = time.perf_counter()
        changed = db.session.execute(  # type: ignore[attr-defined]
            update(Worker)
            .where(Worker.id % every == 0)
            .values(max_distance_km=reach, reach_bucket=reach_bucket(reach), updated_at=clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(Worker))
    return {
        "workers": changed,
        "share": round(changed / total, 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


def index_memory(app: Flask) -> dict[str, float]:
    """tracemalloc around one build of the city's index: what it keeps, and its peak."""
    with app.app_context():
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        built = index._build(CITY)
        seconds = time.perf_counter() - started
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del built
        db.session.rollback()
    return {
        "kept_mb": round((kept - before) / 2**20),
        "peak_mb": round((peak - before) / 2**20),
        "build_seconds_traced": round(seconds, 1),
    }


def run(
    backend: str,
    workers: int,
    shifts: int,
    months: int,
    repeat: int,
    window_seconds: float,
    update_every: int,
    postgres_url: str,
    evaluate: bool = True,
    trace_index: bool = True,
    reuse: bool = False,
) -> dict[str, Any]:
    """Seed one market of ``workers`` on ``backend`` and measure everything on it.

    ``reuse``: measure again on the market an earlier run seeded (its database kept), keeping
    that run's seed figures — and its evaluation when ``evaluate`` is off — in the result.
    """
    load_before = os.getloadavg()
    url = database_url(backend, f"scale-{workers}", postgres_url, empty=not reuse)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **CONFIG})
    with app.app_context():
        flask_migrate.upgrade()
    result: dict[str, Any] = {
        "backend": backend,
        "workers": workers,
        "shifts": shifts,
        "months": months,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "change_feed": not hasattr(index, "LATE_COMMIT_MARGIN"),
        "machine": machine(),
    }
    earlier = earlier_result(backend, workers) if reuse else None
    if earlier is not None:
        with app.app_context():
            seeded = db.session.scalar(select(func.count()).select_from(Worker))
        if seeded != workers:
            raise SystemExit(f"scale: --reuse found {seeded} workers in {url}, not {workers}")
        print(f"scale {backend} {workers}: reusing the market seeded {earlier['date']}", flush=True)
        result["seed"] = {**earlier["seed"], "reused_from": earlier["date"]}
        if not evaluate and "evaluation" in earlier:
            result["evaluation"] = {**earlier["evaluation"], "from": earlier["date"]}
    else:
        print(f"scale {backend} {workers}: seeding", flush=True)
        result["seed"] = seed_command(url, workers, shifts, months)
    started = time.perf_counter()
    analyze(app)
    result["seed"]["analyze_seconds"] = round(time.perf_counter() - started, 1)

    def step(name: str) -> None:
        print(f"scale {backend} {workers}: {name}", flush=True)

    step("candidates in the first minute after the bulk load")
    loaded = time.perf_counter()
    request = matching.candidates_request(app)
    open_shifts = matching._open_shift_ids(app, 5000, random.Random(7))
    shift_ids = itertools.cycle(open_shifts)
    rss_before = rss_mb()
    begun = time.perf_counter()
    request(next(shift_ids))  # builds the index: the window's first sample
    first = (time.perf_counter() - begun) * 1000
    rss_after = rss_mb()
    result["candidates_after_load"] = window(request, shift_ids, window_seconds, loaded, [first])
    result["index_rss_mb"] = {
        "before": round(rss_before),
        "after_first_request": round(rss_after),
        "grew": round(rss_after - rss_before),
    }

    step("candidates, steady state")
    result["candidates_steady"] = matching.measure_candidates(app, request, repeat)
    step("search")
    result["search"] = search.measure(app, CITY, repeat=300)

    step("bulk update of the workers' profiles")
    result["bulk_update"] = bulk_update(app, update_every)
    step("candidates in the first minute after the bulk update")
    result["candidates_after_update"] = window(request, shift_ids, window_seconds)
    result["candidates_after_update"]["rss_mb"] = round(rss_mb())

    if trace_index:
        step("index memory (tracemalloc)")
        result["index_tracemalloc"] = index_memory(app)

    if evaluate:
        step("evaluation")
        with app.app_context():
            seconds, outcome = evaluation.evaluate_city(CITY)
            flags = db.session.scalar(select(func.count()).select_from(SubsidyFlag))
            db.session.commit()
        result["evaluation"] = {"seconds": round(seconds, 1), "outcome": outcome, "flags": flags}
    result["peak_rss_mb"] = round(peak_rss())
    result["machine"]["load_average_before"] = [round(x, 2) for x in load_before]
    result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    with app.app_context():
        db.engine.dispose()
    index.forget()
    save("scale", f"{backend}-{workers}", result)
    return result


def earlier_result(backend: str, workers: int) -> dict[str, Any] | None:
    """The result stored for this backend and size, if any (``--reuse`` measures on its market)."""
    path = RESULTS / "scale.json"
    if not path.exists():
        return None
    found: dict[str, Any] | None = json.loads(path.read_text()).get(f"{backend}-{workers}")
    return found


def peak_rss() -> float:
    """This process's peak resident memory so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The table ----------------------------------------------------------------------------------

NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def _get(result: dict[str, Any] | None, *path: str) -> Any:
    value: Any = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _number(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f} {unit}" if isinstance(value, float) else f"{value:,} {unit}"


def table() -> str:
    """The README's table: 100k beside 1M, both databases, each goal met or not at 1M."""
    import json

    results = json.loads((RESULTS / "scale.json").read_text())
    backends = [b for b in ("sqlite", "postgres") if any(k.startswith(b) for k in results)]
    sizes = sorted({r["workers"] for r in results.values()})
    big = max(sizes)

    def growth(backend: str) -> float | None:
        small = _get(results.get(f"{backend}-{min(sizes)}"), "evaluation", "seconds")
        large = _get(results.get(f"{backend}-{big}"), "evaluation", "seconds")
        return round(large / small, 1) if small and large else None

    rows: list[tuple[str, Callable[[dict | None], Any], str, float | None, str]] = [
        ("seed: wall time", lambda r: _get(r, "seed", "seconds"), "s", None, ""),
        ("seed: peak memory (RSS)", lambda r: _get(r, "seed", "peak_rss_mb"), "MB", None, ""),
        (
            "candidates p50, steady",
            lambda r: _get(r, "candidates_steady", "p50_ms"),
            "ms",
            CANDIDATES_P50_MS,
            "≤ 50 ms (moonshot ≤ 10)",
        ),
        (
            "candidates p50, first 60 s after the bulk load",
            lambda r: _get(r, "candidates_after_load", "p50_ms"),
            "ms",
            CANDIDATES_P50_MS,
            "≤ 50 ms",
        ),
        (
            "candidates p50, first 60 s after a bulk update",
            lambda r: _get(r, "candidates_after_update", "p50_ms"),
            "ms",
            CANDIDATES_P50_MS,
            "≤ 50 ms",
        ),
        (
            "candidates p95, first 60 s after a bulk update",
            lambda r: _get(r, "candidates_after_update", "p95_ms"),
            "ms",
            None,
            "",
        ),
        ("search p50", lambda r: _get(r, "search", "p50_ms"), "ms", SEARCH_P50_MS, "≤ 10 ms"),
        (
            "index memory (tracemalloc, kept)",
            lambda r: _get(r, "index_tracemalloc", "kept_mb"),
            "MB",
            INDEX_MB,
            "≤ 300 MB",
        ),
        ("index memory (RSS growth)", lambda r: _get(r, "index_rss_mb", "grew"), "MB", None, ""),
        (
            "evaluation, whole city",
            lambda r: _get(r, "evaluation", "seconds"),
            "s",
            EVALUATION_SECONDS,
            "≤ 300 s",
        ),
    ]
    header = ["measure"]
    for backend in backends:
        header += [f"{NAMES[backend]} {size:,}" for size in sizes]
    header += ["goal at 1M", *(f"met ({NAMES[b]})" for b in backends)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cells = ["matching index's change feed"]
    for backend in backends:
        for size in sizes:
            feed = _get(results.get(f"{backend}-{size}"), "change_feed")
            cells.append("—" if feed is None else "exact" if feed else "60 s margin")
    lines.append("| " + " | ".join(cells + ["—"] * (1 + len(backends))) + " |")
    for name, value, unit, goal, goal_text in rows:
        cells = [name]
        for backend in backends:
            cells += [_number(value(results.get(f"{backend}-{size}")), unit) for size in sizes]
        cells.append(goal_text or "—")
        for backend in backends:
            measured = value(results.get(f"{backend}-{big}"))
            cells.append(
                "—"
                if goal is None
                else "not measured"
                if measured is None
                else "met"
                if measured <= goal
                else "not met"
            )
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["evaluation growth from the smallest"]
    for backend in backends:
        cells += ["—"] * (len(sizes) - 1) + [_number(growth(backend), "×")]
    cells.append("≤ ×11")
    for backend in backends:
        g = growth(backend)
        cells.append(
            "not measured" if g is None else "met" if g <= EVALUATION_GROWTH else "not met"
        )
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
