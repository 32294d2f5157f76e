"""Helpers of the replica and backup tests: a small market, statements counted per engine, and
throwaway PostgreSQL clusters (a primary, a hot standby, a restored copy) run from the server's
own binaries.

The machine's shared PostgreSQL accepts no replication connections, so the cluster tests start
their own: ``initdb``, ``pg_ctl`` and ``pg_basebackup`` run as the ``postgres`` system user
(``initdb`` refuses root), in a temporary folder owned by it, on free loopback ports.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.config import REPLICA_BIND
from marketplace.earnings import pay
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.schemas import JobInSchema
from marketplace.workers import services as workers
from marketplace.workers.schemas import WorkerProfileInSchema
from tests.conftest import PASSWORD, employer_body, job_body, next_phone, shift_times, worker_body
from tests.seeded_market import checked_out_booking

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup", "postgres", "psql")
SYSTEM_USER = "postgres"
DATABASE = "market"

# --- a small market ------------------------------------------------------------------------


@dataclass
class Market:
    """The seeded accounts (their bearer tokens) and objects of a small 无锡 market."""

    employer_user_id: int
    employer_id: int
    worker_id: int
    job_id: int
    shift_ids: list[int]
    user_ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        """Bearer headers of the market's ``role`` (worker, employer, official)."""
        return {"Authorization": f"Bearer {self.tokens[role]}", "Accept-Language": "en"}


def seed_market(shifts: int = 1) -> Market:
    """An employer with a job of ``shifts`` one-place shifts, a worker and an official of 无锡,
    each with a token; committed (inside an app context)."""
    employer_user = auth_services.create_user(next_phone(), PASSWORD, "employer")
    employer = employers.put_profile(employer_user, EmployerProfileInSchema().load(employer_body()))
    worker_user = auth_services.create_user(next_phone(), PASSWORD, "worker")
    worker = workers.put_profile(worker_user, WorkerProfileInSchema().load(worker_body()))
    official = auth_services.create_user(next_phone(), PASSWORD, "official", "wuxi")
    body = job_body(shifts=[{**shift_times(3 + n), "headcount": 1} for n in range(shifts)])
    job = jobs.post_job(employer_user, JobInSchema().load(body))
    users = {"employer": employer_user, "worker": worker_user, "official": official}
    tokens = {role: auth_services.create_token(user).access_token for role, user in users.items()}
    market = Market(
        employer_user.id,
        employer.id,
        worker.id,
        job.id,
        [shift.id for shift in job.shifts],
        {role: user.id for role, user in users.items()},
        tokens,
    )
    db.session.commit()
    return market


def approved_booking(market: Market, shift_id: int, days_ago: int) -> tuple[int, int]:
    """A booking of the market's worker worked ``days_ago`` days ago, approved through the
    service the employer's approval calls (completed, its earning recorded, both audited);
    flushed, not committed. Answers the booking's and the earning's ids.

    The booking is written as checked out first: the API books only shifts ahead.
    """
    booking = checked_out_booking(market.worker_id, shift_id, market.employer_id, days_ago)
    employer_user = db.session.get(User, market.employer_user_id)
    assert employer_user is not None
    pay.approve(employer_user, booking.id, Decimal("8"))
    assert booking.earning is not None
    return booking.id, booking.earning.id


# --- statements per engine -----------------------------------------------------------------

_SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class Statements:
    """The SQL statements (not BEGIN, SAVEPOINT, PRAGMA…) each engine of ``app`` runs while
    counting: ``with Statements(app) as seen: …; seen.primary, seen.replica``."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            self._engines = {"primary": db.engines[None], "replica": db.engines[REPLICA_BIND]}
        self.seen: dict[str, list[str]] = {name: [] for name in self._engines}
        self._listeners: dict[str, Any] = {}

    def __enter__(self) -> Statements:
        for name, engine in self._engines.items():

            def record(*args: Any, _name: str = name, **_kwargs: Any) -> None:
                statement = " ".join(str(args[2]).split())
                if statement.upper().startswith(_SQL_VERBS):
                    self.seen[_name].append(statement)

            self._listeners[name] = record
            event.listen(engine, "before_cursor_execute", record)
        return self

    def __exit__(self, *_exc: object) -> None:
        for name, engine in self._engines.items():
            event.remove(engine, "before_cursor_execute", self._listeners[name])

    @property
    def primary(self) -> list[str]:
        """The statements the primary ran."""
        return self.seen["primary"]

    @property
    def replica(self) -> list[str]:
        """The statements the replica ran."""
        return self.seen["replica"]

    def clear(self) -> None:
        """Start counting afresh."""
        for statements in self.seen.values():
            statements.clear()


def writes(statements: list[str]) -> list[str]:
    """The statements that write (or lock rows to write)."""
    return [
        s
        for s in statements
        if s.upper().startswith(("INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in s.upper()
    ]


# --- throwaway PostgreSQL clusters ---------------------------------------------------------


def why_no_clusters() -> str | None:
    """Why throwaway clusters cannot run on this machine, or None when they can."""
    missing = [name for name in SERVER_PROGRAMS if not (PG_BIN / name).exists()]
    if missing:
        return f"PostgreSQL server programs missing from {PG_BIN} (PG_BIN): {', '.join(missing)}"
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        return f"no {SYSTEM_USER!r} system user to run initdb and pg_ctl as (initdb refuses root)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser, which the servers are started through"
    elif pwd.getpwuid(os.geteuid()).pw_name != SYSTEM_USER:
        return f"needs root (to run the servers as {SYSTEM_USER!r}) or the {SYSTEM_USER!r} user"
    return None


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", SYSTEM_USER, "--", *command] if os.geteuid() == 0 else command


def run_as_postgres(*command: str, timeout: float = 120) -> str:
    """Run a program as the postgres user; its output (raises with it when it fails)."""
    done = subprocess.run(
        _as_postgres(list(command)), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def cluster_folder() -> Iterator[Path]:
    """A temporary folder owned by the postgres user (data folders, sockets, WAL archive)."""
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, SYSTEM_USER, SYSTEM_USER)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Cluster:
    """One PostgreSQL server of the tests: its data folder, port and log, in ``root``."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name = root, name
        self.data = root / name
        self.log = root / f"{name}.log"
        self.port = free_port()
        self.running = False

    @classmethod
    def create(cls, root: Path, name: str, **settings: str) -> Cluster:
        """A new cluster (``initdb``) set up for streaming replication and WAL archiving.

        ``settings`` are added to its ``postgresql.conf`` (``archive_command="…"``).
        """
        cluster = cls(root, name)
        run_as_postgres(
            str(PG_BIN / "initdb"),
            "--pgdata",
            str(cluster.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
            "--no-instructions",
        )
        with (cluster.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        cluster.configure(
            listen_addresses="'127.0.0.1'",
            wal_level="replica",
            max_wal_senders="5",
            hot_standby="on",
            max_connections="40",
            shared_buffers="32MB",
            # Throwaway clusters: nothing of them has to survive a crash of the machine.
            fsync="off",
            **settings,
        )
        return cluster

    @classmethod
    def from_backup(cls, root: Path, name: str, backup: Path) -> Cluster:
        """A cluster whose data folder is a copy of the base backup in ``backup``."""
        cluster = cls(root, name)
        shutil.copytree(backup, cluster.data, symlinks=True)
        if os.geteuid() == 0:
            for path in [cluster.data, *cluster.data.rglob("*")]:
                shutil.chown(path, SYSTEM_USER, SYSTEM_USER)
        return cluster

    def configure(self, **settings: str) -> None:
        """Add ``settings`` to postgresql.conf (a later line wins over an earlier one)."""
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))

    def start(self) -> None:
        """Start the server on its port, its socket in ``root``; wait until it accepts."""
        self.configure(port=str(self.port), unix_socket_directories=f"'{self.root}'")
        self.running = True
        try:
            run_as_postgres(
                str(PG_BIN / "pg_ctl"),
                "--pgdata",
                str(self.data),
                "--log",
                str(self.log),
                "--wait",
                "--timeout",
                "90",
                "start",
            )
        except RuntimeError as error:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{error}\n--- {self.name}'s log ---\n{log}") from None

    def stop(self) -> None:
        """Stop the server (fast shutdown) if it runs."""
        if self.running:
            self.running = False
            run_as_postgres(
                str(PG_BIN / "pg_ctl"), "--pgdata", str(self.data), "--mode", "fast", "stop"
            )

    def url(self, database: str = DATABASE) -> str:
        """The service's URL of ``database`` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run ``statement`` with psql; its output, unaligned, without headers."""
        done = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--quiet",
                "--set",
                "ON_ERROR_STOP=1",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--username",
                "postgres",
                "--dbname",
                database,
                "--command",
                statement,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql on {self.name}: {statement}\n{done.stderr}")
        return done.stdout.strip()

    def base_backup(self, target: Path, *, standby: bool = False) -> Path:
        """``pg_basebackup`` of this server into ``target`` (with its WAL; ``standby``: ``-R``,
        ready to start as a streaming replica of it)."""
        run_as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--username",
            "postgres",
            "--pgdata",
            str(target),
            "--wal-method",
            "stream",
            "--checkpoint",
            "fast",
            "--no-sync",
            *(["--write-recovery-conf"] if standby else []),
        )
        return target

    def wait_until(self, query: str, expected: str, timeout: float = 60) -> None:
        """Poll ``query`` (on the ``postgres`` database) until it answers ``expected``."""
        deadline = time.monotonic() + timeout
        answer = ""
        while time.monotonic() < deadline:
            answer = self.sql(query)
            if answer == expected:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: {query} answered {answer!r}, not {expected!r}")


def wait_for_replay(primary: Cluster, standby: Cluster, timeout: float = 60) -> None:
    """Wait until ``standby`` has replayed everything ``primary`` has written so far."""
    lsn = primary.sql("SELECT pg_current_wal_lsn()")
    standby.wait_until(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn", "t", timeout)


@contextmanager
def replay_paused(standby: Cluster) -> Iterator[None]:
    """``standby`` receives the primary's WAL but applies none of it in the block: it lags."""
    standby.sql("SELECT pg_wal_replay_pause()")
    standby.wait_until("SELECT pg_get_wal_replay_pause_state()", "paused")
    try:
        yield
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
