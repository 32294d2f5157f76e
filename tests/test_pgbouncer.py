"""The service through PgBouncer in transaction mode, for real (issue #19).

A PgBouncer of the test's own (``pool_mode = transaction``, two server connections) stands in
front of the test database; the service, configured with ``DATABASE_POOLER =
"pgbouncer-transaction"``, serves a small market day through it from more threads than there
are server connections, so that transactions of different clients take turns on the same two
server connections: workers register, sign in and write their profiles, an employer posts a job,
the workers race for its places, check in, search; the audit chain verifies at the end, and a
scheduled job still skips while another process holds its lock. The same day with psycopg's
prepared statements left on (its default) fails through the same PgBouncer, which is why the
setting exists. docs/scaling.md, "Connection pooling", says when to use it.

PgBouncer refuses to run as root: it runs as the ``postgres`` system user (``runuser``), in a
temporary folder owned by it, on a free loopback port. Its database ``market`` is the test
database with ``search_path`` set to a schema of this module's by ``connect_query`` on every
server connection: PgBouncer before 1.20 refuses the ``options`` startup parameter that
``committed_app`` sets the schema with.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.audit.services import verify
from marketplace.extensions import db
from marketplace.scheduler import _lock_key, run_job
from tests.conftest import (
    CITY_POINTS,
    PASSWORD,
    SECRETS,
    TEST_DATABASE_URL,
    committed_app,
    employer_body,
    job_body,
    next_phone,
    shift_times,
    worker_body,
)
from tests.replication import PG_BIN, SYSTEM_USER, cluster_folder, free_port, run_as_postgres

SCHEMA = "pooled_by_pgbouncer"
SERVER_CONNECTIONS = 2  # default_pool_size: every client shares these two
WORKERS = 8  # threads at once, each with a client connection of its own
PLACES = 3  # of the one shift the workers race for
SITE = CITY_POINTS["wuxi"]
# What psycopg's server-side prepared statements do through a transaction-mode pooler: one
# prepared on a server connection is missing on the next one, or clashes with another client's
# of the same name on the same one.
PREPARED_STATEMENT_LOST = re.compile(
    r'prepared statement "_pg3_\d+" (does not exist|already exists)'
)


def _pgbouncer() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if Path(p).exists()), None
    )


def _psql() -> str | None:
    return str(PG_BIN / "psql") if (PG_BIN / "psql").exists() else shutil.which("psql")


def why_no_pgbouncer() -> str | None:
    """Why this module cannot run here, or None when it can."""
    if not TEST_DATABASE_URL or not TEST_DATABASE_URL.startswith("postgres"):
        return "needs PostgreSQL behind the pooler: set TEST_DATABASE_URL to a postgresql:// URL"
    if _pgbouncer() is None:
        return "pgbouncer is not installed (`make pgbouncer` installs Debian's package)"
    if _psql() is None:
        return "psql (PgBouncer's admin console is read with it) is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root without a {SYSTEM_USER!r} user (pgbouncer refuses root)"
        if shutil.which("runuser") is None:
            return "running as root without runuser, which pgbouncer is started through"
    return None


WHY_NOT = why_no_pgbouncer()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]


class Bouncer:
    """A PgBouncer in transaction mode in ``root``, in front of TEST_DATABASE_URL's server."""

    def __init__(self, root: Path, schema: str) -> None:
        assert TEST_DATABASE_URL
        self.root, self.port = root, free_port()
        self.upstream = make_url(TEST_DATABASE_URL)
        self.user = self.upstream.username or SYSTEM_USER
        self.ini = root / "pgbouncer.ini"
        self.log = root / "pgbouncer.log"
        self.pidfile = root / "pgbouncer.pid"
        password = f" password={self.upstream.password}" if self.upstream.password else ""
        (root / "users.txt").write_text(f'"{self.user}" "{self.upstream.password or ""}"\n')
        self.ini.write_text(
            "[databases]\n"
            f"market = host={self.upstream.host or '127.0.0.1'} port={self.upstream.port or 5432}"
            f" dbname={self.upstream.database} user={self.user}{password}"
            f" connect_query='SET search_path TO {schema}'\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {root / 'users.txt'}\n"
            f"admin_users = {self.user}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {SERVER_CONNECTIONS}\n"
            "max_client_conn = 100\n"
            # A client waits this long for a free server connection before it is failed.
            "query_wait_timeout = 60\n"
            f"logfile = {self.log}\n"
            f"pidfile = {self.pidfile}\n"
        )
        if os.geteuid() == 0:
            for path in root.iterdir():
                shutil.chown(path, SYSTEM_USER, SYSTEM_USER)

    def start(self) -> None:
        """Start it as a daemon; wait until it accepts connections."""
        program = _pgbouncer()
        assert program is not None
        run_as_postgres(program, "-d", str(self.ini))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pgbouncer did not listen on {self.port}:\n{self._log()}")

    def stop(self) -> None:
        """Stop the PgBouncer this object started (by the pid it wrote)."""
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def url(self) -> str:
        """The service's URL of the pooled database."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/market"

    def show(self, what: str) -> list[dict[str, str]]:
        """``SHOW <what>`` of the admin console, as rows (psql: the console speaks only the
        simple query protocol)."""
        psql = _psql()
        assert psql is not None
        connection = ["-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "pgbouncer"]
        done = subprocess.run(
            [psql, "--no-psqlrc", "--csv", *connection, "-c", f"SHOW {what}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        header, *lines = done.stdout.strip().splitlines()
        names = header.split(",")
        return [dict(zip(names, line.split(","), strict=False)) for line in lines]

    def _log(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


@pytest.fixture(scope="module")
def bouncer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bouncer]:
    """The schema, migrated over a direct connection, and a PgBouncer in front of it."""
    with (
        committed_app(tmp_path_factory.mktemp("pgbouncer"), SCHEMA, {}),
        cluster_folder() as root,
    ):
        pooler = Bouncer(root, SCHEMA)
        pooler.start()
        try:
            yield pooler
        finally:
            pooler.stop()


@pytest.fixture
def pooled(bouncer: Bouncer) -> Iterator[Callable[[str], Flask]]:
    """``pooled(pooler)``: an app whose every connection goes through the PgBouncer, with
    ``DATABASE_POOLER = pooler``; its connections are closed after the test."""
    apps: list[Flask] = []

    def make(pooler: str) -> Flask:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": bouncer.url(),
                "DATABASE_POOLER": pooler,
                "PASSWORD_HASH_PROFILE": "CHEAPEST",
                "TESTING": True,  # an unexpected exception reaches the caller, not just a 500
                **SECRETS,
            }
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


# --- a market day from many threads ---------------------------------------------------------


class Person:
    """Someone with an account, who signs in for each request."""

    def __init__(self, app: Flask, role: str) -> None:
        self.client, self.phone = app.test_client(), next_phone()
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        body = {"phone": self.phone, "password": PASSWORD, "role": role}
        self.expect(self.client.post("/api/v1/auth/register", json=body), 201)

    @staticmethod
    def expect(response: Any, *statuses: int) -> Any:
        assert response.status_code in statuses, (response.status_code, response.get_json())
        return response

    def call(self, method: str, path: str, *statuses: int, **kwargs: Any) -> Any:
        """One request after signing in; asserts its status (200 or 201 unless given)."""
        token = self.expect(
            self.client.post(
                "/api/v1/auth/token", json={"phone": self.phone, "password": PASSWORD}
            ),
            200,
        ).get_json()["access_token"]
        response = getattr(self.client, method)(
            path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        return self.expect(response, *(statuses or (200, 201)))


@dataclass
class Day:
    """What the day left: the booked workers' check-ins, searches, and any thread's failure."""

    booked: list[int] = field(default_factory=list)  # booking ids
    full: int = 0  # workers told the shift is full
    checked_in: list[int] = field(default_factory=list)
    found: list[int] = field(default_factory=list)  # shifts each search found
    errors: list[BaseException] = field(default_factory=list)
    most_connections: int = 0  # client connections checked out at once


def _at_once(day: Day, task: Callable[[int], None], count: int = WORKERS) -> None:
    """Run ``task(0…count-1)`` in threads together (started at one barrier); failures kept."""
    barrier, lock = threading.Barrier(count), threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            task(index)
        except BaseException as error:  # kept for the test's assertion
            with lock:
                day.errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)


def market_day(app: Flask) -> Day:
    """An employer posts a shift of ``PLACES`` places and another; ``WORKERS`` workers at once
    register, write their profiles, race for the places, check in (those who got one) and
    search."""
    day, lock = Day(), threading.Lock()
    with app.app_context():
        engine = db.engine
    checked_out = 0

    def checkout(*_args: Any) -> None:
        nonlocal checked_out
        with lock:
            checked_out += 1
            day.most_connections = max(day.most_connections, checked_out)

    def checkin(*_args: Any) -> None:
        nonlocal checked_out
        with lock:
            checked_out -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        employer = Person(app, "employer")
        employer.call("put", "/api/v1/employers/me", json=employer_body())
        shift = {**shift_times(days_ahead=2), "headcount": PLACES}
        # A second shift, left open, for the searches to find once the first is full.
        shifts = [shift, {**shift_times(days_ahead=3), "headcount": 5}]
        job = employer.call("post", "/api/v1/jobs", json=job_body(shifts=shifts)).get_json()
        shift_id = job["shifts"][0]["id"]
        workers: list[Person | None] = [None] * WORKERS
        bookings: dict[int, int] = {}

        def sign_up(index: int) -> None:
            worker = workers[index] = Person(app, "worker")
            worker.call("put", "/api/v1/workers/me", json=worker_body())

        def book(index: int) -> None:
            worker = workers[index]
            assert worker is not None
            answer = worker.call("post", f"/api/v1/shifts/{shift_id}/bookings", 201, 409)
            with lock:
                if answer.status_code == 201:
                    bookings[index] = answer.get_json()["id"]
                else:
                    day.full += 1

        def check_in(index: int) -> None:
            worker = workers[index]
            if worker is not None and index in bookings:
                path = f"/api/v1/bookings/{bookings[index]}/check-in"
                worker.call("post", path, json=dict(SITE))
                with lock:
                    day.checked_in.append(bookings[index])

        def search(index: int) -> None:
            worker = workers[index]
            assert worker is not None
            for _ in range(3):
                found = worker.call("get", "/api/v1/shifts?city=wuxi&per_page=50").get_json()
                with lock:
                    day.found.append(len(found))

        _at_once(day, sign_up)
        if not day.errors:
            _at_once(day, book)
            day.booked = sorted(bookings.values())
        if not day.errors:
            # The clock at the shift's start (every thread's: time_machine patches the process).
            with time_machine.travel(datetime.fromisoformat(shift["starts_at"]), tick=False):
                _at_once(day, check_in)
        if not day.errors:
            _at_once(day, search)
    except BaseException as error:  # the main thread's, likewise
        day.errors.append(error)
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
    return day


def _servers(bouncer: Bouncer) -> list[dict[str, str]]:
    return [row for row in bouncer.show("SERVERS") if row.get("database") == "market"]


# --- the tests ------------------------------------------------------------------------------


def test_a_market_day_through_pgbouncer_in_transaction_mode(bouncer, pooled):
    app = pooled("pgbouncer-transaction")
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        with db.engine.connect() as connection:
            # The pooled database is this module's schema (PgBouncer's connect_query).
            assert connection.scalar(text("SELECT current_schema()")) == SCHEMA

    day = market_day(app)

    assert day.errors == [], day.errors
    # More clients than server connections at once: their transactions took turns on the two.
    assert day.most_connections > SERVER_CONNECTIONS
    assert 0 < len(_servers(bouncer)) <= SERVER_CONNECTIONS
    # The database counted the places: exactly PLACES won, every other worker was told no.
    assert len(day.booked) == PLACES and day.full == WORKERS - PLACES
    assert sorted(day.checked_in) == day.booked
    assert day.found and all(count >= 1 for count in day.found)
    with app.app_context():
        report = verify()
        assert report.ok, report
        db.session.remove()


def test_a_scheduled_job_skips_while_another_process_holds_its_lock(bouncer, pooled):
    """The job's lock is transaction-scoped: it holds through the pooler, and it is gone once
    the transaction that took it ends — on whichever server connection that was."""
    app = pooled("pgbouncer-transaction")
    with app.app_context():
        with db.engine.connect() as other, other.begin():
            assert other.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key("purge")}
            )
            assert run_job("purge").ran is False
        assert run_job("purge").ran is True
        db.session.remove()


def test_with_prepared_statements_on_the_same_day_fails_through_pgbouncer(bouncer, pooled):
    """Why DATABASE_POOLER exists: PgBouncer 1.18 (Debian 12's) does not track prepared
    statements, and psycopg prepares a statement once it ran five times on a connection."""
    app = pooled("")
    with app.app_context():
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]

    day = market_day(app)

    lost = [e for e in day.errors if PREPARED_STATEMENT_LOST.search(str(e))]
    assert lost, f"expected a lost prepared statement, got: {day.errors!r}"
    # (the audit chain is not checked here: the failed requests rolled back, as they should)
