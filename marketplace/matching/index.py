"""An in-process index of each city's workers for ranking candidates.

Ranking a shift's candidates in a city of 100k workers means looking at every worker within
reach — often half the city — and no query that reads that many rows answers in tens of
milliseconds. So each process keeps the workers of a city as a ``pool.Pool`` of arrays (the
*base*) with the ``updated_at`` each row had when read. Every request first asks the database
which workers of the city were stamped since the last look (less a margin for transactions that
commit late) — an index range scan of ids and stamps, empty most of the time — and reloads only
workers whose stamp is new to it (the *overlay*, kept between requests); their fresh rows replace
the stale ones. When the overlay passes a share of the base, the base is read again. Bookings, which
change all the time, are never cached: each request looks up those that rule workers out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select

from marketplace import clock
from marketplace.database import execute_core, prebuilt
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
    stamps: dict[int, datetime]  # the newest updated_at seen of each worker
    checked_until: datetime  # every change stamped up to here has been seen
    changed: set[int] = field(default_factory=set)
    overlay: pool.Pool = field(default_factory=lambda: pool.Pool([], [], []))
    lock: threading.Lock = field(default_factory=threading.Lock)


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
    return _CityIndex(base, stamps, read_at - LATE_COMMIT_MARGIN)


# Every look-up of a pool asks it.
@prebuilt
def _changed_since_statement() -> Select[*tuple[Any, ...]]:
    return select(Worker.id, Worker.updated_at).where(
        Worker.city == bindparam("city"), Worker.updated_at > bindparam("since")
    )


def pools(city: str) -> tuple[pool.Pool, pool.Pool]:
    """The city's base pool and the overlay of workers changed since it was read.

    The caller must ignore the base's rows of the overlay's ids.
    """
    key = (str(db.engine.url), city)
    with _lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = _build(city)
    with index.lock:
        now = clock.now()
        values = {"city": city, "since": index.checked_until}
        recent = execute_core(_changed_since_statement(), values).all()
        fresh = [row for row in recent if index.stamps.get(row.id) != row.updated_at]
        # Changes stamped before now − margin have all committed by now: no need to look again.
        index.checked_until = max(index.checked_until, now - LATE_COMMIT_MARGIN)
        if fresh:
            for row in fresh:
                index.stamps[row.id] = row.updated_at
                index.changed.add(row.id)
            if len(index.changed) > max(REBUILD_MIN_ROWS, REBUILD_SHARE * index.base.size):
                rebuilt = _build(city)
                with _lock:
                    _indexes[key] = rebuilt
                return rebuilt.base, rebuilt.overlay
            index.overlay, _ = _load([Worker.id.in_(index.changed)])
        return index.base, index.overlay


def forget() -> None:
    """Drop every cached index (tests whose rolled-back rows must not linger use this)."""
    with _lock:
        _indexes.clear()
