"""Migration 0017: a SHA-256 chain of an existing database is re-chained under the HMAC key.

Each test runs on a database of its own with real commits (SQLite file, or a PostgreSQL schema
of the test database): the migration is taken back to 0016, a log is written as 0016 wrote it,
and the migration runs forward (and back) on it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask, current_app

from marketplace.audit import keys
from marketplace.audit import services as audit
from marketplace.extensions import db
from tests.conftest import committed_app

BEFORE = "0016"
AFTER = "0017"  # the migration under test: upgrades stop there, whatever comes after
MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0017_audit_proof.py"
# The table as 0016 left it: no key id.
OLD_EVENTS = sa.table(
    "audit_events",
    sa.column("seq", sa.BigInteger()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("city", sa.String()),
    sa.column("data", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


@pytest.fixture
def at_0016(tmp_path: Path) -> Iterator[Flask]:
    """An app whose committed database is migrated up to 0016 only."""
    with committed_app(tmp_path, "audit_migration", {}) as (app, _url), app.app_context():
        flask_migrate.downgrade(revision=BEFORE)
        yield app
        db.session.remove()


def sha256_chain(count: int) -> list[SimpleNamespace]:
    """Events chained the way 0016 chained them: plain SHA-256 of the canonical content."""
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    events, prev_hash = [], audit.GENESIS_HASH
    for seq in range(1, count + 1):
        event = SimpleNamespace(
            seq=seq,
            at=start + timedelta(minutes=seq, microseconds=seq),
            actor_id=seq if seq % 2 else None,
            action="booking.confirmed",
            entity="booking",
            entity_id=str(seq),
            city="wuxi",
            data={"seq": seq, "amount": "240.00", "note": "确认"},
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = hashlib.sha256(audit.canonical_content(event)).hexdigest()
        events.append(event)
    return events


def write_old_log(events: list[SimpleNamespace]) -> None:
    rows = [vars(event) for event in events]
    with db.engine.begin() as connection:
        connection.execute(OLD_EVENTS.insert(), rows)


def stored_events() -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(sa.select(OLD_EVENTS).order_by(OLD_EVENTS.c.seq)))


def version() -> str:
    with db.engine.connect() as connection:
        return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def verified() -> dict:
    """The report of ``verify``, its transaction ended (SQLite: the write lock let go)."""
    report = audit.verify().as_dict()
    db.session.rollback()
    return report


def alembic_config():
    return current_app.extensions["migrate"].migrate.get_config()


def test_the_upgrade_re_chains_a_sha256_chain_under_the_hmac_key(at_0016):
    old = sha256_chain(12)
    write_old_log(old)
    flask_migrate.upgrade(revision=AFTER)

    assert verified() == {"ok": True, "count": 12, "checkpoints": 0}
    key = keys.chain_key()
    with db.engine.connect() as connection:
        key_ids = set(connection.scalars(sa.text("SELECT key_id FROM audit_events")))
    assert key_ids == {key.key_id}
    migrated = stored_events()
    # The content stays; every hash is now the HMAC, every link the new previous hash.
    assert [(event.seq, event.data) for event in migrated] == [(e.seq, e.data) for e in old]
    assert migrated[0].prev_hash == audit.GENESIS_HASH
    for previous, event in itertools.pairwise(migrated):
        assert event.prev_hash == previous.hash
    assert all(event.hash == audit.event_hash(event, key) for event in migrated)
    assert not {event.hash for event in migrated} & {event.hash for event in old}


def test_the_upgrade_carries_the_chain_across_its_batches(at_0016):
    spec = importlib.util.spec_from_file_location("migration_0017", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    count = migration.BATCH + 3  # two batches: the link across their border must hold
    write_old_log(sha256_chain(count))
    flask_migrate.upgrade(revision=AFTER)
    assert verified() == {"ok": True, "count": count, "checkpoints": 0}


def test_the_upgrade_refuses_a_broken_sha256_chain_and_changes_nothing(at_0016):
    events = sha256_chain(6)
    events[2].data = {"seq": 3, "amount": "2400.00", "note": "确认"}  # altered after the fact
    write_old_log(events)
    before = stored_events()

    with pytest.raises(RuntimeError, match="broken at seq 3"):
        command.upgrade(alembic_config(), "head")
    with pytest.raises(SystemExit):  # what `flask db upgrade` does with it: exit status 1
        flask_migrate.upgrade()

    assert version() == BEFORE
    assert stored_events() == before
    with db.engine.connect() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("audit_events")}
    assert "key_id" not in columns


def test_the_downgrade_recomputes_plain_sha256(at_0016):
    old = sha256_chain(7)
    write_old_log(old)
    flask_migrate.upgrade(revision=AFTER)
    flask_migrate.downgrade(revision=BEFORE)
    assert [(event.seq, event.prev_hash, event.hash) for event in stored_events()] == [
        (event.seq, event.prev_hash, event.hash) for event in old
    ]


def test_the_downgrade_refuses_a_broken_hmac_chain(at_0016):
    write_old_log(sha256_chain(5))
    flask_migrate.upgrade(revision=AFTER)
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET data = :data WHERE seq = 4"),
            {"data": json.dumps({"seq": 4, "amount": "9999.00"})},
        )
    with pytest.raises(RuntimeError, match="broken at seq 4"):
        command.downgrade(alembic_config(), BEFORE)
    assert version() == AFTER
