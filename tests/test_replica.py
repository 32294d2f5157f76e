"""Read replicas for real: a PostgreSQL primary and a hot standby of its own, streaming.

The service runs on the primary with ``DATABASE_READ_URL`` pointing at the standby. A search
is served by the standby; an unmarked request and a write go to the primary; and with the
standby's replay paused — a standby that lags — a search does not see a job just posted,
while a request that wrote reads its own writes from the primary. ``docs/operations.md`` says
how to run such a replica.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from marketplace import create_app, replicas
from marketplace.audit import services as audit
from marketplace.auth import services as auth_services
from marketplace.config import REPLICA_BIND
from marketplace.extensions import db
from marketplace.jobs.models import Job
from marketplace.replicas import reads_from_replica
from tests.conftest import PASSWORD, SECRETS, job_body, next_phone
from tests.replication import (
    DATABASE,
    Cluster,
    Market,
    Statements,
    cluster_folder,
    replay_paused,
    seed_market,
    wait_for_replay,
    why_no_clusters,
    writes,
)

WHY_NOT = why_no_clusters()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]


@dataclass
class Pair:
    """A primary, its hot standby, and the service on both with a small market."""

    primary: Cluster
    standby: Cluster
    app: Flask
    market: Market


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """Start a primary and a standby (``pg_basebackup -R``); migrate and seed through the
    service; wait until the standby has replayed it all. Both are stopped afterwards."""
    with cluster_folder() as root:
        started: list[Cluster] = []
        app = None
        try:
            primary = Cluster.create(root, "primary")
            started.append(primary)
            primary.start()
            primary.sql(f"CREATE DATABASE {DATABASE}")
            standby = Cluster(root, "standby")
            primary.base_backup(standby.data, standby=True)
            started.append(standby)
            standby.start()
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": primary.url(),
                    "DATABASE_READ_URL": standby.url(),
                    "PASSWORD_HASH_PROFILE": "CHEAPEST",
                    **SECRETS,
                }
            )
            with app.app_context():
                flask_migrate.upgrade()
                market = seed_market()
                db.session.remove()
            wait_for_replay(primary, standby)
            yield Pair(primary, standby, app, market)
        finally:
            if app is not None:
                with app.app_context():
                    for engine in db.engines.values():
                        engine.dispose()
            for cluster in reversed(started):
                cluster.stop()


def _search(pair: Pair) -> list[int]:
    found = pair.app.test_client().get(
        "/api/v1/shifts?city=wuxi&per_page=100", headers=pair.market.headers("worker")
    )
    assert found.status_code == 200, found.get_json()
    return [item["id"] for item in found.get_json()]


def _post_job(pair: Pair) -> tuple[int, int]:
    posted = pair.app.test_client().post(
        "/api/v1/jobs", json=job_body(title="夜班保洁"), headers=pair.market.headers("employer")
    )
    assert posted.status_code == 201, posted.get_json()
    return posted.get_json()["id"], posted.get_json()["shifts"][0]["id"]


def test_the_read_url_is_the_standby_and_the_service_url_the_primary(pair):
    with pair.app.app_context():
        for bind, in_recovery in ((None, False), (REPLICA_BIND, True)):
            with db.engines[bind].connect() as connection:
                assert connection.scalar(text("SELECT pg_is_in_recovery()")) is in_recovery


def test_a_search_is_served_by_the_standby(pair):
    with Statements(pair.app) as seen:
        found = _search(pair)
    assert set(pair.market.shift_ids) <= set(found)
    assert any("shifts" in statement for statement in seen.replica)
    # Only the bearer token was read on the primary (before the view's body began).
    assert all("access_tokens" in statement for statement in seen.primary), seen.primary


def test_an_unmarked_request_and_a_write_go_to_the_primary(pair):
    with Statements(pair.app) as seen:
        _job_id, shift_id = _post_job(pair)
        shown = pair.app.test_client().get(
            f"/api/v1/shifts/{shift_id}", headers=pair.market.headers("worker")
        )
        assert shown.status_code == 200
    assert seen.replica == []
    assert writes(seen.primary)


def test_a_lagging_standby_serves_stale_searches_and_writers_read_their_own_writes(pair):
    app, market = pair.app, pair.market
    with replay_paused(pair.standby):
        job_id, shift_id = _post_job(pair)
        # The standby has not replayed the post: the search, served by it, does not find it,
        # while the shift itself, read from the primary, is there.
        assert shift_id not in _search(pair)
        shown = app.test_client().get(
            f"/api/v1/shifts/{shift_id}", headers=market.headers("worker")
        )
        assert shown.status_code == 200

        # Two downloads, each an audit event: each chains onto the tail read on the primary,
        # the other's event included, which the standby does not have.
        with Statements(app) as seen:
            for _ in range(2):
                exported = app.test_client().get(
                    "/api/v1/subsidies/flags/export?format=csv", headers=market.headers("official")
                )
                assert exported.status_code == 200, exported.get_data(as_text=True)
        assert any("subsidy_flags" in statement for statement in seen.replica)
        assert writes(seen.replica) == []
        assert sum(s.startswith("INSERT INTO audit_outbox") for s in seen.primary) == 2

        # Inside one marked request: the standby until the first write, the primary after it.
        with app.test_request_context("/api/v1/shifts"):
            try:
                reads_from_replica(lambda: None)()
                assert db.session.get(Job, job_id) is None
                auth_services.create_user(next_phone(), PASSWORD, "worker")
                db.session.flush()
                assert db.session.get(Job, job_id) is not None
            finally:
                db.session.rollback()
                replicas.reset()

    wait_for_replay(pair.primary, pair.standby)
    assert shift_id in _search(pair)
    with app.app_context():
        assert audit.verify().ok


def test_the_standby_refuses_a_write_loudly(pair):
    with (
        pair.app.app_context(),
        pytest.raises(DBAPIError, match="read-only transaction"),
        db.engines[REPLICA_BIND].begin() as connection,
    ):
        connection.execute(text("DELETE FROM access_tokens"))


def test_with_the_standby_down_only_the_marked_requests_fail(pair):
    pair.standby.stop()
    try:
        client, headers = pair.app.test_client(), pair.market.headers("worker")
        search = client.get("/api/v1/shifts?city=wuxi", headers=headers)
        assert search.status_code == 503, search.get_json()
        shown = client.get(f"/api/v1/shifts/{pair.market.shift_ids[0]}", headers=headers)
        assert shown.status_code == 200
    finally:
        pair.standby.start()
    assert pair.market.shift_ids[0] in _search(pair)
