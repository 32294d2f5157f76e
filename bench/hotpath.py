"""The load mix's requests one kind at a time, in-process: milliseconds and statements each.

``python -m bench hotpath`` replays the requests ``make load`` prepared (``bench/.data/
load-requests``) through the app's test client against the load's database, kind by kind, and
prints the mean wall time of a request and the SQL statements it sent (savepoints apart). It is
the quick way to see what a change does to the mix before a load run: no server, no client, one
process. The health check runs first, as the floor every request stands on.

A booking or a check-in can be sent once: those kinds take lines from ``--from-line`` on (by
default far past what a load run of the default length uses), and a second run needs another
``--from-line`` or a fresh ``make load``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from bench.harness import DATA
from bench.load import DEFAULT_DATABASE, ENVIRONMENT, WEIGHTS, database_url

KINDS = ("health", *WEIGHTS)
CONSUMABLE = ("book", "checkin")


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
    """Mean milliseconds and statements per request of each kind, and of the weighted mix."""
    statements: list[str] = []

    def count_statement(*args: Any, **_kwargs: Any) -> None:
        if "SAVEPOINT" not in args[2].upper():
            statements.append(args[2])

    results: dict[str, dict[str, float]] = {}
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        for kind in KINDS:
            requests = _requests(directory, kind, warmup + count, from_line)
            for method, path, token, *body in requests[:warmup]:
                _send(client, kind, method, path, token, body)
            statements.clear()
            started = time.perf_counter()
            for method, path, token, *body in requests[warmup:]:
                _send(client, kind, method, path, token, body)
            elapsed = time.perf_counter() - started
            results[kind] = {
                "ms": round(elapsed / count * 1000, 2),
                "statements": round(len(statements) / count, 1),
            }
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    shares = sum(WEIGHTS.values())
    results["mix"] = {
        key: round(sum(results[k][key] * w for k, w in WEIGHTS.items()) / shares, 2)
        for key in ("ms", "statements")
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


def run(url: str, count: int, warmup: int, from_line: int) -> dict[str, dict[str, float]]:
    """Measure against the load's database and print the figures as a Markdown table."""
    from marketplace import create_app
    from marketplace.extensions import db

    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(url)})
    with app.app_context():
        engine = db.engine
    results = measure(app.test_client(), engine, DATA / "load-requests", count, warmup, from_line)
    print("| request | ms | statements |\n|---|---:|---:|")
    for kind, figures in results.items():
        name = "the mix (weighted)" if kind == "mix" else kind
        print(f"| {name} | {figures['ms']:.2f} | {figures['statements']:.1f} |")
    return results


def default_database() -> str:
    """The load's database (``LOAD_DATABASE_URL`` names another)."""
    return os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE)
