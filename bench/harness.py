"""Shared benchmark plumbing: a fresh database per run, a seeded market, timing, results."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.extensions import db

RESULTS = Path(__file__).with_name("results")
DATA = Path(__file__).with_name(".data")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/marketplace_bench"
# The keys of every benchmark's app (and of the seed commands a benchmark runs).
CONFIG = {
    "SECRET_KEY": "benchmark-secret-key-0123456789",
    "ID_KEY": "benchmark-id-number-key-0123456789",
    "AUDIT_KEY": "benchmark-audit-key-0123456789",
    "AUDIT_SIGNING_KEY": "benchmark-audit-signing-key-0123456789",
    "PASSWORD_HASH_PROFILE": "CHEAPEST",
}


def database_url(
    backend: str, label: str, postgres_url: str | None = None, *, empty: bool = True
) -> str:
    """A database just for this benchmark run (a SQLite file, or a PostgreSQL database).

    PostgreSQL's is ``postgres_url``, else BENCH_DATABASE_URL, else marketplace_bench; it is
    created when missing and its schema emptied. ``empty=False``: as an earlier run left it.
    """
    if backend == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / f"{label}.db"
        for suffix in ("", "-wal", "-shm") if empty else ():
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import os

    url = make_url(postgres_url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    if empty:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    return url.render_as_string(hide_password=False)


@contextmanager
def fresh_app(backend: str, label: str, postgres_url: str | None = None) -> Iterator[Flask]:
    """An app on an empty, migrated database of ``backend``."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url(backend, label, postgres_url), **CONFIG}
    )
    with app.app_context():
        flask_migrate.upgrade()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def seed(app: Flask, city: str, workers: int, shifts: int, months: int, seed_value: int) -> float:
    """Fill the database with a synthetic market; answers the seconds it took."""
    from seeds import synthetic

    started = time.perf_counter()
    with app.app_context():
        synthetic.generate(city, workers, shifts, months, seed_value, lambda _label, _rows: None)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - started


def analyze(app: Flask) -> None:
    """Refresh the planner's statistics after a bulk change."""
    with app.app_context():
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def timed(call: Callable[[], Any], repeat: int, warmup: int) -> list[float]:
    """Milliseconds of each of ``repeat`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and max of millisecond samples, rounded to 0.1 ms."""
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(cut[94], 1),
        "max_ms": round(ordered[-1], 1),
        "samples": len(ordered),
    }


def save(name: str, key: str, result: dict[str, Any]) -> Path:
    """Merge ``result`` under ``key`` into ``bench/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = result
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return path
