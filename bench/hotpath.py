"""The load mix's requests one kind at a time, in-process: milliseconds and statements each.

``python -m bench hotpath`` replays the mix's requests through the app's test client, kind by
kind, and prints per request the wall time in the app (mean, p50, p95), the SQL statements it
sent (savepoints apart) and the time spent in them (from sending a statement to its result, the
driver's round trip included). It is the quick way to see what a change does to the mix before
a load run, and what each request kind costs when sizing a deployment (docs/scaling.md): no
server, no client, one process. The health check runs first, as the floor every request stands
on.

The requests are those ``make load`` prepared (``bench/.data/load-requests``, on the load's
database), or with ``--prepare`` a city of its own seeded into a dedicated database (default
``marketplace_hotpath``; never ``test`` nor the load run's ``marketplace_load``) and its requests
written to ``bench/.data/hotpath-requests``.

A booking or a check-in can be sent once: those kinds take lines from ``--from-line`` on (by
default far past what a load run of the default length uses), and a second run needs another
``--from-line`` or a fresh ``make load``.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event, make_url

from bench.harness import DATA
from bench.load import DEFAULT_DATABASE, ENVIRONMENT, WEIGHTS, LoadError, database_url

KINDS = ("health", *WEIGHTS)
CONSUMABLE = ("book", "checkin")
OWN_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/marketplace_hotpath"
OWN_REQUESTS = DATA / "hotpath-requests"


def _requests(directory: Path, kind: str, count: int, from_line: int) -> list[list[str]]:
    if kind == "health":
        return [["GET", "/api/v1/health", ""]] * count
    path = directory / f"{kind}.tsv"
    if not path.exists():
        raise SystemExit(f"hotpath: {path} is missing: run `make load` first")
    lines = path.read_text().splitlines()
    chosen = lines[from_line : from_line + count] if kind in CONSUMABLE else lines[:count]
    if len(chosen) < count:
        raise SystemExit(f"hotpath: not enough {kind} lines from line {from_line}")
    return [line.split("\t") for line in chosen]


def measure(
    client: FlaskClient,
    engine: Engine,
    directory: Path,
    count: int,
    warmup: int,
    from_line: int,
) -> dict[str, dict[str, float]]:
    """Per request of each kind, and of the weighted mix: mean, p50 and p95 milliseconds in the
    app, statements, and milliseconds in those statements."""
    statements: list[str] = []
    in_database = [0.0]
    started_at: list[float] = []

    def before(*args: Any, **_kwargs: Any) -> None:
        if "SAVEPOINT" not in args[2].upper():
            statements.append(args[2])
        started_at.append(time.perf_counter())

    def after(*_args: Any, **_kwargs: Any) -> None:
        if started_at:
            in_database[0] += time.perf_counter() - started_at.pop()

    results: dict[str, dict[str, float]] = {}
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for kind in KINDS:
            requests = _requests(directory, kind, warmup + count, from_line)
            for method, path, token, *body in requests[:warmup]:
                _send(client, kind, method, path, token, body)
            statements.clear()
            in_database[0] = 0.0
            samples = []
            for method, path, token, *body in requests[warmup:]:
                started = time.perf_counter()
                _send(client, kind, method, path, token, body)
                samples.append((time.perf_counter() - started) * 1000)
            cut = statistics.quantiles(samples, n=100, method="inclusive")
            results[kind] = {
                "ms": round(statistics.fmean(samples), 2),
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(cut[94], 2),
                "statements": round(len(statements) / count, 1),
                "db_ms": round(in_database[0] / count * 1000, 2),
            }
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    shares = sum(WEIGHTS.values())
    results["mix"] = {
        key: round(sum(results[k][key] * w for k, w in WEIGHTS.items()) / shares, 2)
        for key in ("ms", "statements", "db_ms")
    }
    return results


def _send(
    client: FlaskClient, kind: str, method: str, path: str, token: str, body: list[str]
) -> None:
    payload = body[0] if body and body[0] else None
    response = client.open(
        path,
        method=method,
        headers={"Authorization": f"Bearer {token}"} if token else {},
        data=payload,
        content_type="application/json" if payload else None,
    )
    if response.status_code >= 300:
        raise SystemExit(
            f"hotpath: {kind} {method} {path} answered {response.status_code}: "
            f"{response.get_data(as_text=True)[:200]} (try another --from-line)"
        )


def run(
    url: str, count: int, warmup: int, from_line: int, prepare: int = 0, shifts: int = 5_000
) -> dict[str, dict[str, float]]:
    """Measure and print the figures as a Markdown table.

    ``prepare``: first seed a city of that many workers (and ``shifts`` shifts) into ``url``,
    emptied, and replay its requests instead of the load run's.
    """
    from marketplace import create_app
    from marketplace.extensions import db

    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    url = database_url(url)
    # The load run's database, with the load run's requests; any other, with the hot path's own.
    own = make_url(url).database != make_url(DEFAULT_DATABASE).database
    directory = OWN_REQUESTS if own else DATA / "load-requests"
    if prepare:
        if not own:
            raise LoadError("--prepare seeds a database of its own: not the load run's")
        _prepare(url, prepare, shifts)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        engine = db.engine
    results = measure(app.test_client(), engine, directory, count, warmup, from_line)
    print(
        "| request | mean ms | p50 ms | p95 ms | statements | ms in statements |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    for kind, figures in results.items():
        name = "the mix (weighted)" if kind == "mix" else kind
        p50, p95 = (f"{figures[k]:.2f}" if k in figures else "" for k in ("p50_ms", "p95_ms"))
        print(
            f"| {name} | {figures['ms']:.2f} | {p50} | {p95} | {figures['statements']:.1f} "
            f"| {figures['db_ms']:.2f} |"
        )
    return results


def _prepare(url: str, workers: int, shifts: int) -> None:
    from sqlalchemy import text

    from bench.harness import fresh_app
    from bench.load_city import prepare
    from marketplace.extensions import db

    started = time.perf_counter()
    with fresh_app("postgres", "hotpath", postgres_url=url) as app, app.app_context():
        prepared = prepare("wuxi", workers, shifts, months=6, out=OWN_REQUESTS)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(f"seeded {prepared.lines} in {time.perf_counter() - started:.0f} s", flush=True)


def default_database() -> str:
    """The load's database (``LOAD_DATABASE_URL`` names another); with ``--prepare``, give a
    database of the hot path's own (``marketplace_hotpath``, say)."""
    return os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE)
