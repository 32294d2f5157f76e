"""Matching's index learns of every change of a worker, exactly, and reads nothing it has seen.

The database stamps every write of a worker (``workers.change_stamp``); the index reads its
horizon before each read of workers and asks next for the stamps at or past it
(``marketplace/matching/index.py``). These tests commit for real, on a database of their own,
with a second connection for the writer whose transaction outlives the index's read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from marketplace import clock
from marketplace.auth import services as auth_services
from marketplace.database import set_write_intent
from marketplace.extensions import db
from marketplace.matching import index, pool
from marketplace.workers import services as workers
from marketplace.workers.models import Worker
from marketplace.workers.schemas import WorkerProfileInSchema
from tests.conftest import SECRETS, committed_app, next_phone, worker_body

CITY = "wuxi"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with committed_app(tmp_path_factory.mktemp("feed"), "change_feed", SECRETS) as (live, _):
        yield live


@pytest.fixture
def make_workers(app: Flask) -> Callable[[int], list[int]]:
    """``count`` workers of 无锡, committed: their ids."""

    def make(count: int) -> list[int]:
        with app.app_context():
            made = []
            for _ in range(count):
                user = auth_services.create_user(next_phone(), "correct-horse-42", "worker")
                made.append(workers.put_profile(user, WorkerProfileInSchema().load(worker_body())))
            db.session.commit()
            return [worker.id for worker in made]

    return make


@pytest.fixture
def look(app: Flask) -> Callable[[], tuple[pool.Pool, pool.Pool]]:
    """The index's pools of 无锡, read as a request reads them (its own transaction, no write
    intent: on SQLite a reader, which a writer holding the write lock does not hold up)."""

    def pools() -> tuple[pool.Pool, pool.Pool]:
        set_write_intent(False)
        try:
            with app.app_context():
                return index.pools(CITY)
        finally:
            set_write_intent(True)

    return pools


@pytest.fixture
def rows_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each look's question "which workers changed" answered, in order."""
    counts: list[int] = []
    asked = index._changed_since

    def counted(city: str, horizon: int) -> list[Any]:
        rows = asked(city, horizon)
        counts.append(len(rows))
        return rows

    monkeypatch.setattr(index, "_changed_since", counted)
    return counts


def reach_of(pools: tuple[pool.Pool, pool.Pool], worker_id: int) -> float:
    """The worker's reach as ranking sees it: the overlay's row, else the base's."""
    base, overlay = pools
    seen = overlay if overlay.position_of(worker_id) is not None else base
    position = seen.position_of(worker_id)
    assert position is not None
    return float(seen.reach[position])


def stamp_of(app: Flask, worker_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Worker.change_stamp).where(Worker.id == worker_id))


def horizon(app: Flask) -> int:
    with app.app_context():
        return index._horizon()


def settled(app: Flask, stamp: int, seconds: float = 60) -> None:
    """Wait until every transaction as old as ``stamp`` has ended (PostgreSQL: other sessions
    of the server, other tests' among them, may hold the horizon back while they run)."""
    deadline = time.monotonic() + seconds
    while horizon(app) <= stamp:
        if time.monotonic() > deadline:
            pytest.skip("a transaction of another session stayed open for a minute")
        time.sleep(0.2)


def test_a_change_begun_before_the_look_and_committed_after_it_is_seen(app, make_workers, look):
    """The late commit the margin of time was for: now whenever it commits, however long ago
    its row was stamped ``updated_at``."""
    [late, _other] = make_workers(2)
    with app.app_context():
        writer = db.engine.connect()
    try:
        writer.begin()  # on SQLite BEGIN IMMEDIATE: it holds the write lock until it commits
        writer.execute(
            update(Worker)
            .where(Worker.id == late)
            .values(max_distance_km=3.0, updated_at=clock.now() - timedelta(minutes=10))
        )
        assert reach_of(look(), late) == 20.0  # built while the change is uncommitted
        assert reach_of(look(), late) == 20.0  # and looked again
        writer.commit()
    finally:
        writer.close()
    pools = look()
    assert pools[1].position_of(late) is not None  # the overlay
    assert reach_of(pools, late) == 3.0


def test_a_look_after_nothing_changed_reads_no_rows_also_after_a_bulk_change(
    app, make_workers, look, rows_read
):
    """The first minute after a bulk load used to re-read every row of the load on every
    request; now a look reads a change once."""
    ids = make_workers(30)
    settled(app, max(stamp_of(app, worker_id) for worker_id in ids))
    look()  # built
    look()
    assert rows_read == [0]
    with app.app_context():
        db.session.execute(update(Worker).where(Worker.id.in_(ids)).values(max_distance_km=7.0))
        db.session.commit()
    settled(app, max(stamp_of(app, worker_id) for worker_id in ids))
    pools = look()
    assert rows_read[-1] == 30
    assert {reach_of(pools, worker_id) for worker_id in ids} == {7.0}
    look()
    look()
    assert rows_read[-2:] == [0, 0]


def test_every_kind_of_write_is_stamped_past_the_horizon(app, make_workers, look):
    """Triggers, not the code that writes: an insert, the ORM's update, a bulk statement, and
    SQL that leaves ``updated_at`` as it was — each stamped at or past the horizon read before
    it, and each later than the one before."""
    before = horizon(app)
    [worker_id] = make_workers(1)  # insert (and the profile's own updates)
    stamps = [stamp_of(app, worker_id)]
    assert stamps[0] >= before

    def written(write: Callable[[], None]) -> int:
        before = horizon(app)
        with app.app_context():
            write()
            db.session.commit()
        stamp = stamp_of(app, worker_id)
        assert stamp >= before and stamp > stamps[-1]
        stamps.append(stamp)
        return stamp

    def orm_update() -> None:
        worker = db.session.get(Worker, worker_id)
        assert worker is not None
        worker.reliability = 0.9

    written(orm_update)
    written(lambda: db.session.execute(update(Worker).values(reliability=0.8)))
    look()  # built
    with app.app_context():
        updated_at = db.session.scalar(select(Worker.updated_at).where(Worker.id == worker_id))
    written(
        lambda: db.session.execute(
            text("UPDATE workers SET max_distance_km = 4 WHERE id = :id"), {"id": worker_id}
        )
    )
    with app.app_context():
        assert db.session.scalar(select(Worker.updated_at).where(Worker.id == worker_id)) == (
            updated_at
        )
    assert reach_of(look(), worker_id) == 4.0  # the stamp alone tells the index


def test_a_transaction_that_ranks_between_its_own_changes_sees_each(app, make_workers):
    """A request that changes a worker, ranks, changes it again and ranks again: its changes
    carry its own transaction's id, which its horizon must count as running (PostgreSQL), also
    when younger transactions have ended; and one id for two changes, told apart by
    ``updated_at``."""
    [worker_id, other_id] = make_workers(2)
    with app.app_context():
        db.session.execute(update(Worker).where(Worker.id == worker_id).values(reliability=0.1))
        if db.engine.dialect.name == "postgresql":
            # A younger transaction commits first: the snapshot's xmin passes this one's id.
            with db.engine.begin() as other:
                other.execute(update(Worker).where(Worker.id == other_id).values(rating=5))
        index.pools(CITY)  # built inside the transaction that wrote
        worker = db.session.get(Worker, worker_id)
        assert worker is not None
        worker.max_distance_km = 5.0
        db.session.flush()
        assert reach_of(index.pools(CITY), worker_id) == 5.0
        worker.max_distance_km = 6.0
        db.session.flush()
        assert reach_of(index.pools(CITY), worker_id) == 6.0
        db.session.rollback()


def test_a_bulk_change_past_the_share_is_served_while_the_base_is_read_again_beside(
    app, make_workers, look, monkeypatch
):
    """The request that meets the rebuild share does not read the city again (48 s at a million
    workers): it answers from the old base and the overlay, and a thread reads the new base,
    which takes the old one's place when done."""
    monkeypatch.setattr(index, "REBUILD_MIN_ROWS", 5)
    ids = make_workers(10)
    look()  # built
    read = index._build
    release = threading.Event()
    rebuilt_in: list[str] = []

    begun = threading.Event()

    def held_build(city: str) -> Any:
        index._horizon()  # its transaction has begun
        begun.set()
        assert release.wait(30), "the request did not answer while the base was read again"
        rebuilt_in.append(threading.current_thread().name)
        return read(city)

    monkeypatch.setattr(index, "_build", held_build)
    with app.app_context():
        db.session.execute(update(Worker).where(Worker.id.in_(ids)).values(max_distance_km=7.5))
        db.session.commit()
    settled(app, max(stamp_of(app, worker_id) for worker_id in ids))
    pools = look()  # meets the share: answers at once, from the overlay
    assert rebuilt_in == []
    assert {reach_of(pools, worker_id) for worker_id in ids} == {7.5}
    assert all(pools[1].position_of(worker_id) is not None for worker_id in ids)
    assert begun.wait(30)
    [meanwhile] = make_workers(1)  # a write: the rebuild's read does not hold the write lock
    release.set()
    index.settle(60)
    assert rebuilt_in == ["matching-index-wuxi"]
    base, overlay = look()
    # The new base holds the changes; the worker written meanwhile is seen too (in the overlay
    # when the rebuild's snapshot was older than it: SQLite's; PostgreSQL reads it in the base).
    assert set(overlay.ids.tolist()) <= {meanwhile}
    assert reach_of((base, overlay), meanwhile) == 20.0
    assert {reach_of((base, overlay), worker_id) for worker_id in ids} == {7.5}
