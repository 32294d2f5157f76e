"""Database plumbing: exact money, UTC instants, SQLite's locking and the commit point."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, event, select, text

from marketplace import create_app
from marketplace.auth import services as auth_services
from marketplace.config import build
from marketplace.database import Money, UTCDateTime, make_sqlite_file_private
from marketplace.extensions import db
from tests.conftest import SECRETS

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def scratch(app, database):
    """A temporary table with a money and an instant column, inside the test's transaction."""
    table = Table(
        "scratch_values",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("amount", Money()),
        Column("at", UTCDateTime()),
    )
    connection = database.connection()
    table.create(connection)
    return table, connection


def test_money_is_stored_exactly_and_sums_exactly_in_sql(scratch):
    table, connection = scratch
    # 0.1 + 0.2 is the classic floating-point trap; in fen it is exact.
    for amount in ("0.10", "0.20", "1999999.99"):
        connection.execute(table.insert().values(amount=Decimal(amount)))
    values = connection.execute(select(table.c.amount).order_by(table.c.id)).scalars().all()
    assert values == [Decimal("0.10"), Decimal("0.20"), Decimal("1999999.99")]
    total_fen = connection.execute(text("SELECT SUM(amount) FROM scratch_values")).scalar()
    assert total_fen == 200000029


def test_money_rounds_half_up_to_the_fen(scratch):
    table, connection = scratch
    connection.execute(table.insert().values(amount=Decimal("2.345")))
    assert connection.execute(select(table.c.amount)).scalar() == Decimal("2.35")


def test_instants_come_back_in_utc_whatever_offset_they_went_in_with(scratch):
    table, connection = scratch
    morning_in_wuxi = datetime(2026, 3, 2, 8, 0, tzinfo=CHINA)
    connection.execute(table.insert().values(at=morning_in_wuxi))
    stored = connection.execute(select(table.c.at)).scalar()
    assert stored == morning_in_wuxi
    assert stored.tzinfo == UTC
    assert stored.hour == 0


def test_naive_instants_are_refused(scratch):
    table, connection = scratch
    with pytest.raises(Exception, match="naive datetime"):
        connection.execute(table.insert().values(at=datetime(2026, 3, 2, 8, 0)))  # noqa: DTZ001


@pytest.fixture
def sqlite_app(tmp_path: Path):
    """An app on its own SQLite file, for behaviour the rolled-back fixture would hide."""
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'locking.db'}",
            **SECRETS,
            "TESTING": True,
        }
    )
    with application.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE counter (value INTEGER NOT NULL)"))
            connection.execute(text("INSERT INTO counter VALUES (0)"))
    yield application
    with application.app_context():
        db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_writers_queue_instead_of_failing(sqlite_app):
    """Read-then-write transactions from many threads: BEGIN IMMEDIATE makes them wait in turn.

    With SQLite's default deferred BEGIN, two readers that both try to upgrade to writers
    deadlock and one fails at once with "database is locked".
    """
    errors: list[BaseException] = []
    writers = 8

    def increment() -> None:
        try:
            with sqlite_app.app_context(), db.engine.begin() as connection:
                value = connection.execute(text("SELECT value FROM counter")).scalar()
                time.sleep(0.02)
                connection.execute(text("UPDATE counter SET value = :v"), {"v": value + 1})
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=increment) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM counter")).scalar() == writers


def test_reads_begin_deferred_and_writes_begin_immediate(sqlite_app):
    begun: list[str] = []

    with sqlite_app.app_context():
        engine = db.engine

    def remember(_conn, _cursor, statement, *_args):
        if statement.startswith("BEGIN"):
            begun.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        client = sqlite_app.test_client()
        client.get("/api/v1/health")
        client.post("/api/v1/auth/token", json={"phone": "13500000000", "password": "x" * 8})
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert begun == ["BEGIN", "BEGIN IMMEDIATE"]


# --- the embedded database's file is private --------------------------------------------------


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def wide_umask():
    """The umask most systems run with (0022): files are made world-readable unless told not."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_embedded_database_and_its_journals_are_readable_by_their_owner_only(
    tmp_path: Path, wide_umask
):
    path = tmp_path / "private.db"
    application = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", **SECRETS})
    with application.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:  # the journals live while a connection is open
            auth_services.create_user("13500000001", "correct-horse-42", "worker")
            db.session.commit()
            connection.execute(text("SELECT count(*) FROM users")).scalar()
            journals = [tmp_path / "private.db-wal", tmp_path / "private.db-shm"]
            assert all(journal.exists() for journal in journals)
            assert {journal.name: _mode(journal) for journal in [path, *journals]} == {
                "private.db": 0o600,
                "private.db-wal": 0o600,
                "private.db-shm": 0o600,
            }
        db.session.remove()
        db.engine.dispose()


def test_an_existing_database_file_with_a_wider_mode_is_narrowed(tmp_path: Path, wide_umask):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # made by an older release: 0644
    (tmp_path / "old.db-wal").touch()
    assert _mode(path) == 0o644
    application = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", **SECRETS})
    assert _mode(path) == 0o600 and _mode(tmp_path / "old.db-wal") == 0o600
    with application.app_context():
        db.engine.dispose()


def test_the_instance_folder_holding_the_database_is_its_owners_only(tmp_path: Path, wide_umask):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    make_sqlite_file_private(folder / "marketplace.db", folder)
    assert _mode(folder) == 0o700 and _mode(folder / "marketplace.db") == 0o600
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir(mode=0o755)
    make_sqlite_file_private(elsewhere / "marketplace.db", folder)
    assert _mode(elsewhere) == 0o755  # a folder the operator chose is theirs to set


def test_a_fresh_instance_folder_is_made_for_its_owner_only(tmp_path: Path, wide_umask):
    build(tmp_path / "instance", {}, None)
    assert _mode(tmp_path / "instance") == 0o700
