"""Load: gunicorn on PostgreSQL under a mix of requests, next to the bare health endpoint.

``python -m bench load`` (``make load``) builds a dedicated database with a synthetic city
(``bench.load_city``), starts gunicorn on a free loopback port, checks that every kind of request
answers 2xx, and then alternates, ``--rounds`` times, a run of ``GET /api/v1/health`` and a run of
the mix (search, candidates, booking, check-in), each for ``--duration`` seconds with the same
connections. The figure is the mix's throughput over the bare endpoint's, on the same machine in
the same minutes: it says how much of what the server can do at all is left for real work.
Then a run of bookings alone gives the write throughput, and the audit chain is checked: the
scheduler process runs beside gunicorn, as in production, and its sequencer chains the events
the requests write into the outbox; a sampler reads how long the oldest event waited, and after
the runs every event must be chained and the chain must verify. ``--server-workers 4 8`` repeats
everything (on a fresh database) for each number of gunicorn workers.

The client is wrk (C, an event loop; the mix is a LuaJIT script, ``bench/load.lua``): on a machine
of two cores shared by client, gunicorn and PostgreSQL, a Python client (locust) would take a
good part of the CPU the server needs and cap both figures at the client's own speed. wrk is a
Debian package; when it is missing the run installs it with apt-get (as root) or says how.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gunicorn.config import KNOWN_SETTINGS
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.harness import DATA, RESULTS, fresh_app
from bench.load_city import prepare
from marketplace.extensions import db

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/marketplace_load"
ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_name("load.lua")
# Shares of the mix, in requests: a market is mostly people looking.
WEIGHTS = {"search": 10, "candidates": 4, "book": 3, "checkin": 3}
# Each of these requests can be sent once (a booking, a check-in): wrk takes fresh lines.
CONSUMABLE = ("book", "checkin")
GOAL_RATIO = 0.30
GOAL_P99_MS = 250.0
GOAL_SEQUENCER_S = 2.0
ENVIRONMENT = {
    "SECRET_KEY": "load-secret-key-0123456789abcdef",
    "MARKETPLACE_ID_KEY": "benchmark-id-number-key-0123456789",
    "MARKETPLACE_AUDIT_KEY": "benchmark-audit-key-0123456789",
    "MARKETPLACE_AUDIT_SIGNING_KEY": "benchmark-audit-signing-key-0123456789",
}


class LoadError(RuntimeError):
    """The run cannot measure anything meaningful (no wrk, a failing endpoint, a bad database)."""


def require_wrk() -> str:
    """The path of wrk, installing the Debian package first when it is missing and we may."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", flush=True)
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, check=False).returncode != 0:  # noqa: S603
            subprocess.run(["apt-get", "update", "-q"], check=False)  # noqa: S607
            subprocess.run(install, check=False)  # noqa: S603
        found = shutil.which("wrk")
        if found:
            return found
    raise LoadError(
        "the load run needs wrk: install it with `sudo apt-get install wrk` (Debian/Ubuntu) "
        "or `brew install wrk` (macOS), then run `make load` again"
    )


def database_url(url: str) -> str:
    """The run's PostgreSQL database, never the test suite's nor the server's own."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise LoadError(f"the load run needs PostgreSQL, not {parsed.drivername}")
    if parsed.database in (None, "", "test", "postgres", "template0", "template1"):
        raise LoadError(f"refusing to load into database {parsed.database!r}: name a dedicated one")
    return url


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask ``process`` to stop (SIGTERM), and kill it when it has not within 30 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn(url: str, port: int, workers: int, threads: int, log: Path) -> Iterator[str]:
    """Serve ``wsgi:app`` on 127.0.0.1:``port`` against ``url``; answers the base URL."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:marketplace.serving",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        "--error-logfile",
        str(log),
        "wsgi:app",
    ]
    if "control_socket_disable" in {setting.name for setting in KNOWN_SETTINGS}:
        # gunicorn 24+ opens a control socket at one fixed path per user: not ours to take.
        command.insert(-1, "--no-control-socket")
    environment = {**os.environ, **ENVIRONMENT, "DATABASE_URL": url}
    with log.open("w") as sink:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise LoadError(f"gunicorn exited with {process.returncode}: see {log}")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass  # still booting
            if time.monotonic() > deadline:
                raise LoadError(f"gunicorn did not answer within 60 s: see {log}")
            time.sleep(0.2)
        yield base
    finally:
        stop(process)


@contextmanager
def scheduler(url: str, log: Path) -> Iterator[None]:
    """The scheduled jobs' process against ``url`` (the audit sequencer among them)."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "serve"]
    environment = {**os.environ, **ENVIRONMENT, "DATABASE_URL": url}
    with log.open("w") as sink:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        time.sleep(1)
        if process.poll() is not None:
            raise LoadError(f"the scheduler exited with {process.returncode}: see {log}")
        yield
    finally:
        stop(process)


class OutboxSampler:
    """Reads, a few times a second, how many audit events wait and how long the oldest has."""

    def __init__(self, url: str, every: float = 0.25) -> None:
        self.engine = create_engine(url, pool_size=1)
        self.every = every
        self.samples: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = text(
            "SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(at)), 0) "
            "FROM audit_outbox"
        )
        with self.engine.connect() as connection:
            while not self._stop.wait(self.every):
                count, age = connection.execute(query).one()
                connection.rollback()
                self.samples.append((int(count), float(age)))

    def __enter__(self) -> OutboxSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def summary(self) -> dict[str, Any]:
        """The largest wait and backlog seen, and the median wait."""
        ages = [age for _count, age in self.samples] or [0.0]
        return {
            "samples": len(self.samples),
            "oldest_wait_max_s": round(max(ages), 2),
            "oldest_wait_p50_s": round(statistics.median(ages), 2),
            "waiting_max": max((count for count, _age in self.samples), default=0),
            "goal_s": GOAL_SEQUENCER_S,
        }


def chain_report(url: str) -> dict[str, Any]:
    """Chain what still waits, then verify the whole audit chain (as ``flask audit verify``)."""
    from marketplace import create_app
    from marketplace.audit import services as audit

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": ENVIRONMENT["SECRET_KEY"],
            "ID_KEY": ENVIRONMENT["MARKETPLACE_ID_KEY"],
            "AUDIT_KEY": ENVIRONMENT["MARKETPLACE_AUDIT_KEY"],
            "AUDIT_SIGNING_KEY": ENVIRONMENT["MARKETPLACE_AUDIT_SIGNING_KEY"],
        }
    )
    with app.app_context():
        left = audit.catch_up()
        report = audit.verify().as_dict()
        db.session.rollback()
        db.engine.dispose()
    return {**report, "chained_after_the_runs": left}


def smoke(base: str, requests_dir: Path) -> dict[str, int]:
    """Send the first prepared request of each kind; any non-2xx stops the run before measuring.

    The consumable kinds' first lines are spent here, so the measured runs start after them.
    """
    statuses = {}
    for kind in WEIGHTS:
        line = (requests_dir / f"{kind}.tsv").open().readline().rstrip("\n")
        method, path, token, body = line.split("\t")
        request = urllib.request.Request(  # noqa: S310 — our own loopback server
            base + path,
            data=body.encode() if body else (b"" if method == "POST" else None),
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                statuses[kind] = answer.status
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise LoadError(f"{kind}: {method} {path} answered {error.code}: {detail}") from None
    return statuses


def wrk(
    binary: str,
    base: str,
    mode: str,
    requests_dir: Path,
    seconds: int,
    connections: int,
    threads: int,
    starts: dict[str, int],
    shares: dict[str, int] = WEIGHTS,
) -> dict[str, Any]:
    """One wrk run; answers its result (see ``bench/load.lua``) with the figures worked out.

    ``shares``: the kinds of the mix and their weights (``{"book": 1}``: bookings alone).
    """
    weights = ",".join(f"{kind}={weight}" for kind, weight in shares.items())
    command = [
        binary,
        "--threads",
        str(threads),
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "5s",
        "--script",
        str(SCRIPT),
        base,
        "--",
        mode,
        str(requests_dir),
        str(threads),
        weights,
        ",".join(f"{kind}={start}" for kind, start in starts.items()),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    lines = [line for line in finished.stdout.splitlines() if line.startswith("LOAD-RESULT ")]
    if finished.returncode != 0 or not lines:
        raise LoadError(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
    raw = json.loads(lines[-1].removeprefix("LOAD-RESULT "))
    return summarise(raw, mode)


def summarise(raw: dict[str, Any], mode: str) -> dict[str, Any]:
    """Throughput, latency and errors of one wrk result, and its statuses by request kind."""
    by_kind: dict[str, dict[str, int]] = {}
    used: dict[str, int] = {}
    wrapped = 0
    for thread in raw["threads"].values():
        for key, count in (thread.get("statuses") or {}).items():
            kind, status = key.split(" ")
            into = by_kind.setdefault(kind, {})
            into[status] = into.get(status, 0) + count
        for kind, count in (thread.get("used") or {}).items():
            used[kind] = max(used.get(kind, 0), count)
        wrapped += sum((thread.get("wrapped") or {}).values())
    non_2xx = sum(
        count
        for counts in by_kind.values()
        for status, count in counts.items()
        if not 200 <= int(status) < 300
    )
    conflicts = sum(counts.get("409", 0) for counts in by_kind.values())
    sockets = raw["socket_errors"]
    socket_errors = sum(sockets[name] for name in ("connect", "read", "write", "timeout"))
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    return {
        "mode": mode,
        "seconds": round(seconds, 2),
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"] / 1000, 1),
        "p90_ms": round(latency["p90"] / 1000, 1),
        "p99_ms": round(latency["p99"] / 1000, 1),
        "max_ms": round(latency["max"] / 1000, 1),
        "errors": non_2xx + socket_errors,
        "non_2xx": non_2xx,
        "conflicts_409": conflicts,
        "socket_errors": sockets,
        "pool_reused": wrapped,
        "statuses_by_kind": by_kind,
        "lines_used_per_thread": used,
    }


def commit() -> str | None:
    """The commit of the code measured, when it is a git checkout."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git
        return None
    return found.stdout.strip() or None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in load],
    }


def run(
    url: str,
    workers: int,
    shifts: int,
    seconds: int,
    rounds: int,
    connections: int,
    wrk_threads: int,
    server_workers: int,
    server_threads: int,
    label: str = "",
    booking_seconds: int = 10,
) -> dict[str, Any]:
    """Prepare the city, serve it, measure, and save ``bench/results/load-[label-]<time>.json``."""
    binary = require_wrk()
    url = database_url(url)
    requests_dir = DATA / "load-requests"
    started = datetime.now(UTC)
    host = machine()
    seed_started = time.perf_counter()
    with fresh_app("postgres", "load", postgres_url=url) as app, app.app_context():
        prepared = prepare("wuxi", workers, shifts, months=6, out=requests_dir)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        server_version = db.session.scalar(text("SHOW server_version"))
        served_url = db.engine.url.render_as_string(hide_password=False)
    seed_seconds = time.perf_counter() - seed_started
    print(f"seeded {prepared.lines} in {seed_seconds:.0f} s", flush=True)

    rounds_done: list[dict[str, Any]] = []
    starts = {kind: 1 for kind in CONSUMABLE}  # line 0 of each goes to the smoke test
    log = DATA / "load-gunicorn.log"
    with (
        scheduler(served_url, DATA / "load-scheduler.log"),
        gunicorn(served_url, free_port(), server_workers, server_threads, log) as base,
        OutboxSampler(served_url) as sampler,
    ):
        checked = smoke(base, requests_dir)
        print(f"every kind answers 2xx: {checked}", flush=True)

        def measure(mode: str, duration: int, shares: dict[str, int] = WEIGHTS) -> dict[str, Any]:
            result = wrk(
                binary, base, mode, requests_dir, duration, connections, wrk_threads, starts, shares
            )
            for kind, count in result["lines_used_per_thread"].items():
                if kind in starts:
                    starts[kind] += count * wrk_threads
            return result

        # Warm up: every gunicorn worker connects and builds its matching index (which then
        # reads only the workers changed since: no wait after the seed).
        measure("bare", 3)
        measure("mix", 5)
        for number in range(1, rounds + 1):
            bare = measure("bare", seconds)
            mix = measure("mix", seconds)
            pair = {
                "round": number,
                "bare": bare,
                "mix": mix,
                "ratio": round(mix["rps"] / bare["rps"], 3),
            }
            rounds_done.append(pair)
            print(table_row(pair), flush=True)
        # Writes alone: each line a real booking of a place that is free.
        bookings = measure("mix", booking_seconds, {"book": 1})
        print(
            f"bookings alone  {bookings['rps']:8.1f} rps  p50 {bookings['p50_ms']:6.1f} ms  "
            f"p99 {bookings['p99_ms']:6.1f} ms  errors {bookings['errors']}",
            flush=True,
        )
    chain = chain_report(served_url)
    print(f"audit chain after the runs: {chain}", flush=True)

    result = {
        "date": started.isoformat(timespec="seconds"),
        "label": label,
        "commit": commit(),
        "machine": {**host, "postgresql": server_version},
        "setup": {
            "city": "wuxi",
            "workers": workers,
            "shifts": shifts,
            "seed_seconds": round(seed_seconds, 1),
            "requests_prepared": prepared.lines,
            "mix_weights": WEIGHTS,
            "duration_s": seconds,
            "connections": connections,
            "wrk_threads": wrk_threads,
            "gunicorn_workers": server_workers,
            "gunicorn_threads": server_threads,
        },
        "rounds": rounds_done,
        "bookings_alone": bookings,
        "audit_outbox": sampler.summary(),
        "audit_chain": chain,
        "summary": summary(rounds_done),
    }
    RESULTS.mkdir(exist_ok=True)
    name = "-".join(part for part in ("load", label, started.strftime("%Y%m%d-%H%M%S")) if part)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(report(result), flush=True)
    print(f"saved {path.relative_to(ROOT)}", flush=True)
    return result


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds, and whether the goal is met in every round."""

    def median(mode: str, key: str) -> float:
        return round(statistics.median(r[mode][key] for r in rounds), 1)

    return {
        "bare": {k: median("bare", k) for k in ("rps", "p50_ms", "p99_ms")}
        | {"errors": sum(r["bare"]["errors"] for r in rounds)},
        "mix": {k: median("mix", k) for k in ("rps", "p50_ms", "p99_ms")}
        | {"errors": sum(r["mix"]["errors"] for r in rounds)},
        "ratio": round(statistics.median(r["ratio"] for r in rounds), 3),
        "goal_met": all(
            r["ratio"] >= GOAL_RATIO and r["mix"]["p99_ms"] < GOAL_P99_MS and not r["mix"]["errors"]
            for r in rounds
        ),
    }


def table_row(pair: dict[str, Any]) -> str:
    """One round as two lines of the printed table."""
    lines = []
    for mode in ("bare", "mix"):
        r = pair[mode]
        lines.append(
            f"round {pair['round']} {mode:4}  {r['rps']:8.1f} rps  p50 {r['p50_ms']:6.1f} ms  "
            f"p99 {r['p99_ms']:6.1f} ms  errors {r['errors']}"
        )
    lines.append(f"round {pair['round']} ratio mix/bare {pair['ratio']:.2f}")
    return "\n".join(lines)


def report(result: dict[str, Any]) -> str:
    """The summary as a Markdown table."""
    s = result["summary"]
    rows = [
        "| run | requests/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
        f"| bare `GET /api/v1/health` | {s['bare']['rps']} | {s['bare']['p50_ms']} | "
        f"{s['bare']['p99_ms']} | {s['bare']['errors']} |",
        f"| mix | {s['mix']['rps']} | {s['mix']['p50_ms']} | {s['mix']['p99_ms']} | "
        f"{s['mix']['errors']} |",
        "",
        f"mix/bare = {s['ratio']:.2f} (goal ≥ {GOAL_RATIO:.2f}, p99 < {GOAL_P99_MS:.0f} ms, "
        f"no errors: {'met' if s['goal_met'] else 'NOT met'})",
        f"bookings alone: {result['bookings_alone']['rps']} requests/s, p99 "
        f"{result['bookings_alone']['p99_ms']} ms, errors {result['bookings_alone']['errors']}",
        f"audit events waited at most {result['audit_outbox']['oldest_wait_max_s']} s for the "
        f"sequencer (goal ≤ {GOAL_SEQUENCER_S:.0f} s); the chain after the runs: "
        f"{'verifies' if result['audit_chain']['ok'] else 'DOES NOT verify'} "
        f"({result['audit_chain']['count']} events)",
    ]
    return "\n".join(rows)


def by_workers(results: list[dict[str, Any]]) -> str:
    """The runs side by side, one row per number of gunicorn workers (Markdown)."""
    rows = [
        "| gunicorn workers | bare rps | mix rps | mix/bare | mix p99 ms | errors | bookings "
        "alone rps | bookings p99 ms | oldest audit wait s | chain |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        s, booking = result["summary"], result["bookings_alone"]
        rows.append(
            f"| {result['setup']['gunicorn_workers']} | {s['bare']['rps']} | {s['mix']['rps']} | "
            f"{s['ratio']:.2f} | {s['mix']['p99_ms']} | {s['mix']['errors']} | {booking['rps']} | "
            f"{booking['p99_ms']} | {result['audit_outbox']['oldest_wait_max_s']} | "
            f"{'verifies' if result['audit_chain']['ok'] else 'BROKEN'} |"
        )
    return "\n".join(rows)
