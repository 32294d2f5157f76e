"""Reads routed to a replica (``DATABASE_READ_URL``, ``marketplace/replicas.py``), on SQLite.

The "replica" here is a copy of the primary's file taken after the seed: whatever is written
later is missing there, as on a standby that lags, so which database answered shows in what a
request finds. ``tests/test_replica.py`` shows the same with a real PostgreSQL hot standby.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from marketplace import create_app, replicas
from marketplace.audit import services as audit
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.config import REPLICA_BIND
from marketplace.database import driver_rows, execute_core
from marketplace.extensions import db
from marketplace.replicas import reads_from_replica, replica_views
from tests.conftest import PASSWORD, SECRETS, TEST_DATABASE_URL, job_body, next_phone
from tests.replication import Market, Statements, seed_market, writes

ROOT = Path(__file__).resolve().parents[1]
# The operations whose reads tolerate a little staleness; docs/operations.md says why each does.
REPLICA_VIEWS = [
    "GET /api/v1/shifts",
    "GET /api/v1/stats/monthly",
    "GET /api/v1/stats/workers/export",
    "GET /api/v1/subsidies/flags/export",
    "GET /api/v1/subsidies/ledger",
    "GET /api/v1/workers/me/recommended-shifts",
]

on_sqlite = pytest.mark.skipif(
    bool(TEST_DATABASE_URL),
    reason="a copied SQLite file stands in for a lagging replica; on PostgreSQL "
    "tests/test_replica.py runs a real hot standby",
)


@pytest.fixture
def lagging(tmp_path: Path) -> Iterator[tuple[Flask, Market]]:
    """An app whose replica is a copy of its SQLite file taken after the seed."""
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{primary}",
            "DATABASE_READ_URL": f"sqlite:///{replica}",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            **SECRETS,
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        market = seed_market()
        db.session.remove()
    with closing(sqlite3.connect(primary)) as source, closing(sqlite3.connect(replica)) as copy:
        source.backup(copy)
    yield app, market
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def _late_job(app: Flask, market: Market) -> int:
    """A job posted after the copy (the replica never sees it): its shift's id."""
    response = app.test_client().post(
        "/api/v1/jobs", json=job_body(title="夜班保洁"), headers=market.headers("employer")
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["shifts"][0]["id"])


@on_sqlite
def test_a_search_reads_the_replica_and_an_unmarked_request_the_primary(lagging):
    app, market = lagging
    late_shift = _late_job(app, market)
    with app.app_context():
        worker = db.session.get(User, market.user_ids["worker"])
        fresh_token = auth_services.create_token(worker).access_token
        db.session.commit()
    client = app.test_client()
    fresh = {"Authorization": f"Bearer {fresh_token}"}

    with Statements(app) as seen:
        found = client.get("/api/v1/shifts?city=wuxi", headers=fresh)
    # The token, issued after the copy, was looked up on the primary: the caller is known.
    assert found.status_code == 200, found.get_json()
    # The search itself read the replica, which lags: the late job is not there yet.
    assert [item["id"] for item in found.get_json()] == market.shift_ids
    assert any("shifts" in statement for statement in seen.replica)
    assert all("access_tokens" in statement for statement in seen.primary), seen.primary
    assert writes(seen.replica) == []

    with Statements(app) as seen:
        assert client.get(f"/api/v1/shifts/{late_shift}", headers=fresh).status_code == 200
    assert seen.replica == []


@on_sqlite
def test_a_marked_request_that_writes_writes_to_the_primary_and_reads_its_writes_there(lagging):
    app, market = lagging
    _late_job(app, market)  # an audit event the replica lacks: its chain's tail is behind
    client = app.test_client()
    with Statements(app) as seen:
        for _ in range(2):
            exported = client.get(
                "/api/v1/subsidies/flags/export?format=csv", headers=market.headers("official")
            )
            assert exported.status_code == 200, exported.get_data(as_text=True)
    # The flags were read from the replica; each download's audit event went to the primary's
    # outbox, and the chain it joins is the primary's.
    assert any("subsidy_flags" in statement for statement in seen.replica)
    assert writes(seen.replica) == []
    assert sum(s.startswith("INSERT INTO audit_outbox") for s in seen.primary) == 2
    with app.app_context():
        assert audit.verify().ok


@on_sqlite
def test_after_its_first_write_a_marked_request_reads_the_primary(lagging):
    app, _market = lagging
    with app.app_context():
        late_id = auth_services.create_user(next_phone(), PASSWORD, "worker").id
        db.session.commit()
        db.session.remove()
    only_this = select(User.id).where(User.id == late_id)
    with Statements(app) as seen, app.test_request_context("/api/v1/shifts"):
        try:
            reads_from_replica(lambda: None)()  # as a marked view's body begins
            # Every way of reading asks the replica, which has no such account yet.
            assert db.session.get(User, late_id) is None
            assert execute_core(only_this).all() == []
            assert driver_rows(only_this) == []
            assert seen.primary == []
            # A write goes to the primary, and so does every read after it.
            written = auth_services.create_user(next_phone(), PASSWORD, "worker")
            db.session.flush()
            assert execute_core(only_this).scalar() == late_id
            assert db.session.scalar(select(User.id).where(User.id == written.id)) == written.id
        finally:
            db.session.rollback()
            replicas.reset()
    assert writes(seen.replica) == []
    assert any(s.startswith("INSERT INTO users") for s in seen.primary)


@on_sqlite
def test_locking_reads_and_text_go_to_the_primary(lagging):
    app, _market = lagging
    with Statements(app) as seen, app.test_request_context("/api/v1/shifts"):
        try:
            reads_from_replica(lambda: None)()
            db.session.execute(select(User.id).limit(1).with_for_update())
            execute_core(text("SELECT count(*) FROM users"))
        finally:
            db.session.rollback()
            replicas.reset()
    assert seen.replica == []
    assert len(seen.primary) == 2


@on_sqlite
def test_the_replica_refuses_writes(lagging):
    app, _market = lagging
    with (
        app.app_context(),
        pytest.raises(OperationalError, match="readonly"),
        db.engines[REPLICA_BIND].begin() as connection,
    ):
        connection.execute(text("DELETE FROM access_tokens"))


@on_sqlite
def test_outside_a_marked_view_nothing_reads_the_replica(lagging):
    app, market = lagging
    client = app.test_client()
    with Statements(app) as seen:
        assert client.get("/api/v1/employers/me/jobs", headers=market.headers("employer")).json
        with app.app_context():
            assert db.session.scalars(select(User.id)).all()
    assert seen.replica == []


def test_without_a_read_url_there_is_one_engine(app):
    with app.app_context():
        assert set(db.engines) == {None}
        with app.test_request_context("/api/v1/shifts"):
            try:
                reads_from_replica(lambda: None)()
                assert db.session.get_bind(clause=select(User.id)) is db.engine
            finally:
                replicas.reset()


def test_the_views_that_read_from_the_replica_are_the_documented_ones(app):
    assert replica_views(app) == REPLICA_VIEWS
    documented = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [operation for operation in REPLICA_VIEWS if f"`{operation}`" not in documented]
    assert missing == []
