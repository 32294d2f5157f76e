"""An in-process index of each city's workers for ranking candidates.

Ranking a shift's candidates in a city of 100k workers means looking at every worker within
reach — often half the city — and no query that reads that many rows answers in tens of
milliseconds. So each process keeps the workers of a city as a ``pool.Pool`` of arrays (the
*base*) with the stamps each row had when read. Every request first asks the database which
workers of the city changed since the last look — an index range scan of ids and stamps, empty
most of the time — and reloads only workers whose stamps are new to it (the *overlay*, kept
between requests); their fresh rows replace the stale ones. When the overlay passes a share of
the base, the base is read again in a thread beside the requests, which meanwhile go on with the
old base and the overlay (all the changed workers, read whole); the new index takes the old one's
place once read (``settle`` waits for that). Bookings, which change all the time, are never
cached: each request looks up those that rule workers out.

The feed is exact, with no margin of time. The database stamps every write of a worker
(``workers.change_stamp``, set by triggers: PostgreSQL's id of the writing transaction, SQLite's
count of changes), and before each read of workers the index reads a *horizon* in a statement
of its own: on PostgreSQL the oldest transaction id still running (``pg_snapshot_xmin``; any
transaction below it has ended, so its rows are in the read that follows, and any change the
read misses carries an id at or above it), on SQLite the counter plus one (one writer at a time:
every change the read misses is counted later). The next look asks for the stamps at or past
that horizon, and keeps the new one. A look after nothing changed reads no rows, also right
after a bulk load — except on PostgreSQL while a writing transaction older than the load stays
open: the horizon cannot pass it, and each look re-reads the load's stamps (finding nothing new)
until it ends. A transaction may change a worker twice under one id, and SQL may leave
``updated_at`` as it was, so which rows are new is told by the pair of stamp and ``updated_at``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import BigInteger, Select, Text, bindparam, cast, func, select

from marketplace.database import execute_core, prebuilt, set_write_intent
from marketplace.extensions import db
from marketplace.matching import columns, pool
from marketplace.workers.models import Worker, WorkerChangeCounter, WorkerSkill

REBUILD_SHARE = 0.05
REBUILD_MIN_ROWS = 500
CHUNK_ROWS = 50_000  # workers read (and turned into arrays) at a time
IDS_PER_READ = 10_000  # ids bound in one read of the overlay

Stamps = tuple[int, int]  # a worker's change_stamp and updated_at (epoch microseconds)


@dataclass
class _CityIndex:
    base: pool.Pool  # with each worker's stamps as read (``change_stamp``, ``updated_us``)
    horizon: int  # every change stamped below it has been seen
    # The newest stamps seen of each worker changed since the base was read (the overlay's).
    changed: dict[int, Stamps] = field(default_factory=dict)
    overlay: pool.Pool = field(default_factory=lambda: pool.Pool([], [], [], stamped=True))
    lock: threading.Lock = field(default_factory=threading.Lock)
    rebuilding: threading.Thread | None = None  # reading a new base beside the requests


_indexes: dict[tuple[str, str], _CityIndex] = {}
_lock = threading.Lock()


# Read before every read of workers: a SELECT, so that it goes where the read goes.
@prebuilt
def _horizon_statement(dialect: str) -> Select[*tuple[Any, ...]]:
    if dialect == "postgresql":
        # The snapshot's xmin counts the reading transaction too, when it has written: a
        # request that changes a worker between two looks sees its own later changes.
        oldest = func.pg_snapshot_xmin(func.pg_current_snapshot())
        return select(cast(cast(oldest, Text), BigInteger))
    return select(WorkerChangeCounter.value + 1).where(WorkerChangeCounter.id == 1)


def _horizon() -> int:
    dialect = db.session.get_bind().dialect.name
    return int(execute_core(_horizon_statement(dialect)).scalar_one())


def _chunks(statement: Select[*tuple[Any, ...]]) -> Iterator[Sequence[Any]]:
    """The rows of ``statement``, streamed in chunks (read when first asked for)."""
    yield from execute_core(statement.execution_options(yield_per=CHUNK_ROWS)).partitions()


# What the index reads of each worker: what a pool holds, and the stamps it compares.
_STAMPED_COLUMNS = (*pool.WORKER_COLUMNS, Worker.change_stamp, Worker.updated_at)


def _load(conditions: list[Any]) -> pool.Pool:
    rows = select(*_STAMPED_COLUMNS).where(*conditions)
    chosen = select(Worker.id).where(*conditions)
    skills = select(WorkerSkill.worker_id, WorkerSkill.skill).where(
        WorkerSkill.worker_id.in_(chosen)
    )
    return pool.Pool(_chunks(rows), _chunks(skills), [], stamped=True)


def _load_ids(worker_ids: list[int]) -> pool.Pool:
    """These workers, read a bounded number of ids at a time."""
    parts = [
        worker_ids[start : start + IDS_PER_READ]
        for start in range(0, len(worker_ids), IDS_PER_READ)
    ]
    rows = (
        chunk
        for part in parts
        for chunk in _chunks(select(*_STAMPED_COLUMNS).where(Worker.id.in_(part)))
    )
    skills = (
        chunk
        for part in parts
        for chunk in _chunks(
            select(WorkerSkill.worker_id, WorkerSkill.skill).where(WorkerSkill.worker_id.in_(part))
        )
    )
    return pool.Pool(rows, skills, [], stamped=True)


def _build(city: str) -> _CityIndex:
    horizon = _horizon()
    return _CityIndex(_load([Worker.city == city]), horizon)


def _fresh(index: _CityIndex, recent: list[Any]) -> dict[int, Stamps]:
    """Those of ``recent`` (ids and stamps) whose stamps the index has not seen, with them."""
    found, present = columns.positions(index.base.ids, [row.id for row in recent])
    base_stamps = zip(
        index.base.change_stamp[found[present]].tolist(),
        index.base.updated_us[found[present]].tolist(),
        strict=True,
    )
    fresh = {}
    for row, in_base in zip(recent, present.tolist(), strict=True):
        seen = next(base_stamps) if in_base else None
        seen = index.changed.get(row.id, seen)
        stamps = (row.change_stamp, columns.epoch_microseconds(row.updated_at))
        if seen != stamps:
            fresh[row.id] = stamps
    return fresh


# Every look-up of a pool asks it.
@prebuilt
def _changed_since_statement() -> Select[*tuple[Any, ...]]:
    return select(Worker.id, Worker.change_stamp, Worker.updated_at).where(
        Worker.city == bindparam("city"), Worker.change_stamp >= bindparam("horizon")
    )


def _changed_since(city: str, horizon: int) -> list[Any]:
    """The ids and stamps of the city's workers stamped at or past ``horizon``."""
    values = {"city": city, "horizon": horizon}
    return list(execute_core(_changed_since_statement(), values).all())


def pools(city: str) -> tuple[pool.Pool, pool.Pool]:
    """The city's base pool and the overlay of workers changed since it was read.

    The caller must ignore the base's rows of the overlay's ids.
    """
    key = (str(db.engine.url), city)
    with _lock:
        index = _indexes.get(key)
        if index is None:
            # Just read whole: a look now could only find what the read already holds.
            index = _indexes[key] = _build(city)
            return index.base, index.overlay
    with index.lock:
        horizon = _horizon()
        recent = _changed_since(city, index.horizon)
        fresh = _fresh(index, recent)
        # Every change the read above missed is stamped at or past the new horizon.
        index.horizon = max(index.horizon, horizon)
        if fresh:
            index.changed.update(fresh)
            index.overlay = _load_ids(sorted(index.changed))
            too_many = len(index.changed) > max(REBUILD_MIN_ROWS, REBUILD_SHARE * index.base.size)
            if too_many and index.rebuilding is None:
                index.rebuilding = _rebuild_beside(key, index)
        return index.base, index.overlay


def _rebuild_beside(key: tuple[str, str], old: _CityIndex) -> threading.Thread:
    """Read the city's base again in a thread of its own, and put it in place of ``old``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def rebuild() -> None:
        # A read: on SQLite it must not hold the write lock for the seconds it takes.
        set_write_intent(False)
        try:
            with app.app_context():  # its own session and transaction
                rebuilt = _build(key[1])
        except Exception:
            app.logger.exception("matching index: rebuilding %s failed", key[1])
            with old.lock:
                old.rebuilding = None  # a later look tries again
            return
        with _lock:
            if _indexes.get(key) is old:  # not forgotten meanwhile
                _indexes[key] = rebuilt

    thread = threading.Thread(target=rebuild, name=f"matching-index-{key[1]}", daemon=True)
    thread.start()
    return thread


def settle(timeout: float | None = None) -> None:
    """Wait for the rebuilds under way to end (tests, benchmarks)."""
    with _lock:
        threads = [index.rebuilding for index in _indexes.values() if index.rebuilding]
    for thread in threads:
        thread.join(timeout)


def forget() -> None:
    """Drop every cached index (tests whose rolled-back rows must not linger use this)."""
    settle()
    with _lock:
        _indexes.clear()
