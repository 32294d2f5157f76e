"""An in-process index of each city's workers for ranking candidates.

Ranking a shift's candidates in a city of 100k workers means looking at every worker within
reach — often half the city — and no query that reads that many rows answers in tens of
milliseconds. So each process keeps the workers of a city as a ``pool.Pool`` of arrays (the
*base*) with the ``updated_at`` each row had when read. Every request first asks the database
which workers of the city were stamped recently (since the base was read, less a margin for
transactions that committed late) — an index-only look-up of ids and stamps — and loads just the
ones whose stamp differs from the base's (the *overlay*); their fresh rows replace the stale
ones. When the overlay grows past a share of the base, the base is read again. Bookings, which
change all the time, are never cached: each request looks up those that rule workers out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from marketplace import clock
from marketplace.extensions import db
from marketplace.matching import pool
from marketplace.workers.models import Worker, WorkerSkill

# Transactions that began before the base was read may commit rows stamped a little earlier.
LATE_COMMIT_MARGIN = timedelta(seconds=60)
REBUILD_SHARE = 0.05
REBUILD_MIN_ROWS = 500


@dataclass
class _CityIndex:
    base: pool.Pool
    stamps: dict[int, datetime]
    read_at: datetime


_indexes: dict[tuple[str, str], _CityIndex] = {}
_lock = threading.Lock()


def _load(conditions: list[Any]) -> tuple[pool.Pool, dict[int, datetime]]:
    rows = db.session.execute(
        select(*pool.WORKER_COLUMNS, Worker.updated_at).where(*conditions)
    ).all()
    chosen = select(Worker.id).where(*conditions)
    skills = db.session.execute(
        select(WorkerSkill.worker_id, WorkerSkill.skill).where(WorkerSkill.worker_id.in_(chosen))
    ).all()
    return pool.Pool(rows, skills, []), {row.id: row.updated_at for row in rows}


def _build(city: str) -> _CityIndex:
    read_at = clock.now()
    base, stamps = _load([Worker.city == city])
    return _CityIndex(base, stamps, read_at)


def pools(city: str) -> tuple[pool.Pool, pool.Pool]:
    """The city's base pool and the overlay of workers changed since; the caller must ignore
    the base's rows of the overlay's ids."""
    key = (str(db.engine.url), city)
    with _lock:
        index = _indexes.get(key)
    if index is None:
        index = _build(city)
        with _lock:
            _indexes[key] = index
    recent = db.session.execute(
        select(Worker.id, Worker.updated_at).where(
            Worker.city == city, Worker.updated_at > index.read_at - LATE_COMMIT_MARGIN
        )
    ).all()
    changed = [row.id for row in recent if index.stamps.get(row.id) != row.updated_at]
    if len(changed) > max(REBUILD_MIN_ROWS, REBUILD_SHARE * index.base.size):
        index = _build(city)
        with _lock:
            _indexes[key] = index
        changed = []
    overlay, _ = _load([Worker.id.in_(changed)]) if changed else (pool.Pool([], [], []), {})
    return index.base, overlay


def forget() -> None:
    """Drop every cached index (tests whose rolled-back rows must not linger use this)."""
    with _lock:
        _indexes.clear()
