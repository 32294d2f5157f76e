"""The audit outbox and its sequencer: written with the change, chained without a global lock.

A change only inserts its events into the outbox; the sequencer chains what it finds committed,
in the order it finds it. Transactions that commit out of order, roll back, or race the
sequencer (and two sequencers racing each other) leave a chain with every committed event once,
contiguous seqs and each link to the one before: no gap, no fork. Committed for real on a
database of its own (a SQLite file, or a schema of the PostgreSQL test database).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from marketplace.audit import services as audit
from marketplace.audit.models import AuditEvent, AuditOutboxEntry
from marketplace.extensions import db
from marketplace.scheduler import JOBS, run_job
from tests.conftest import SECRETS, TEST_DATABASE_URL, committed_app

EVENTS = "/api/v1/audit-events"


def outbox_size() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditOutboxEntry)) or 0


# --- in the test's own transaction ------------------------------------------------------------


def test_a_change_inserts_its_event_into_the_outbox_and_nothing_else(app: Flask, database):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    before = database.scalar(select(func.count()).select_from(AuditOutboxEntry))
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        audit.record("test.happened", "test", 1, {"n": 1}, city="wuxi")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    # One insert: no lock, no read of the chain's tail.
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO audit_outbox")
    assert database.scalar(select(func.count()).select_from(AuditOutboxEntry)) == before + 1


def test_the_sequencer_chains_the_outbox_in_order_and_empties_it(database):
    for n in range(3):
        audit.record("test.happened", "test", n, {"n": n}, city="wuxi")
    assert audit.sequence() == 3
    assert outbox_size() == 0
    chained = list(
        database.scalars(select(AuditEvent).where(AuditEvent.entity == "test").order_by("seq"))
    )
    assert [event.entity_id for event in chained] == ["0", "1", "2"]
    assert audit.sequence() == 0  # nothing is chained twice
    assert audit.verify().ok


def test_the_sequencer_is_a_job_that_runs_every_second(database):
    assert JOBS["audit_sequencer"].trigger == {"trigger": "interval", "seconds": 1}
    audit.record("test.happened", "test", 1, {})
    assert run_job("audit_sequencer").result == 1
    assert run_job("audit_sequencer").result == 0


def test_readers_of_the_log_see_events_not_yet_sequenced(client, auth_headers, make_user, database):
    admin = auth_headers(make_user("admin"))
    audit.record("test.waiting", "test", 7, {}, city="wuxi")
    database.commit()
    listed = client.get(EVENTS, query_string={"action": "test.waiting"}, headers=admin)
    assert [event["entity_id"] for event in listed.get_json()] == ["7"]
    audit.record("test.waiting", "test", 8, {}, city="wuxi")
    database.commit()
    report = client.get(f"{EVENTS}/verify", headers=admin).get_json()
    assert report["ok"] and outbox_size() == 0


# --- committed for real -----------------------------------------------------------------------


@pytest.fixture
def live(tmp_path) -> Iterator[Flask]:
    with committed_app(tmp_path, "live_audit_sequencer", SECRETS) as (app, _url):
        yield app


def chain_of(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        audit.catch_up()
        return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def assert_whole(app: Flask, chain: list[AuditEvent]) -> None:
    """Contiguous seqs from 1, each linked to the one before, the chain verifying."""
    assert [event.seq for event in chain] == list(range(1, len(chain) + 1))
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    with app.app_context():
        assert audit.verify().ok
        assert outbox_size() == 0


@pytest.mark.skipif(
    not TEST_DATABASE_URL,
    reason="SQLite has one writer at a time: its transactions cannot commit out of order",
)
def test_events_whose_transactions_commit_out_of_order_are_all_chained(live: Flask):
    recorded, release = threading.Event(), threading.Event()

    def slow_change() -> None:
        # Records first (the lower outbox id), commits last.
        with live.app_context():
            audit.record("test.slow", "test", "slow", {})
            db.session.flush()
            recorded.set()
            release.wait(10)
            db.session.commit()

    slow = threading.Thread(target=slow_change)
    slow.start()
    assert recorded.wait(10)
    with live.app_context():
        audit.record("test.quick", "test", "quick", {})
        db.session.commit()
        # The slow change has not committed: its event is invisible, and waits.
        assert audit.catch_up() == 1
    release.set()
    slow.join()
    with live.app_context():
        assert audit.catch_up() == 1

    chain = chain_of(live)
    assert [event.entity_id for event in chain] == ["quick", "slow"]  # the order found committed
    assert_whole(live, chain)


@pytest.mark.slow
def test_changes_racing_each_other_and_two_sequencers_leave_no_gap_and_no_fork(live: Flask):
    writers, changes_each = 6, 12
    done = threading.Event()
    committed: list[str] = []
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        rng = random.Random(number)
        try:
            for change in range(changes_each):
                with live.app_context():
                    names = [f"{number}-{change}-{k}" for k in range(rng.randint(1, 3))]
                    for name in names:
                        audit.record("test.race", "test", name, {"writer": number})
                    time.sleep(rng.random() / 100)  # commits land in any order
                    if rng.random() < 0.2:
                        db.session.rollback()  # a change that fails takes its events along
                        continue
                    db.session.commit()
                    committed.extend(names)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def sequencer() -> None:
        try:
            while not done.is_set():
                with live.app_context():
                    audit.catch_up()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    sequencers = [threading.Thread(target=sequencer) for _ in range(2)]
    for thread in sequencers + threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for thread in sequencers:
        thread.join()
    assert errors == []

    chain = chain_of(live)
    assert sorted(event.entity_id for event in chain) == sorted(committed)  # each once
    assert_whole(live, chain)
