"""Faults: the database gone and back, and crashes in the middle of multi-row work.

The outage tests run an app of its own on a committed database (a SQLite file, or a schema of the
PostgreSQL test database), since a lost connection cannot be staged inside the rolled-back test
transaction. The outage is made in-process — new connections sent to a dead port (or, on SQLite,
to a file that cannot be opened) and the app's own open ones dropped (on PostgreSQL killed with
``pg_terminate_backend``, found by their application name) — so the shared PostgreSQL server is
never stopped. The crash tests inject an exception after part of the work was written (and once
kill the scheduler's process outright) and show that none of it remains and that running again
does each thing once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import create_engine, event, func, select, text

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import verify
from marketplace.auth import services as auth_services
from marketplace.bookings import attendance
from marketplace.bookings import offers as booking_offers
from marketplace.bookings import reminders as booking_reminders
from marketplace.bookings import services as booking_services
from marketplace.bookings.models import Booking
from marketplace.config import normalise_database_url
from marketplace.disputes import parties
from marketplace.earnings import imports
from marketplace.earnings.models import Alert, Earning
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Shift
from marketplace.jobs.schemas import JobInSchema
from marketplace.notifications.models import Notification
from marketplace.scheduler import run_job
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers import services as workers
from marketplace.workers.schemas import WorkerProfileInSchema
from tests.conftest import (
    TEST_DATABASE_URL,
    committed_app,
    employer_body,
    job_body,
    next_phone,
    shift_times,
    worker_body,
)
from tests.subsidies.conftest import NOW as SUBSIDY_NOW
from tests.subsidies.conftest import (
    add_booking_earning,
    due_in_both_cities,
    person,
)

pytestmark = pytest.mark.slow  # processes killed and restarted: `make test-fast` leaves it out

__all__ = ["person"]  # a fixture of the subsidy tests: a worker with the ID number it was given

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "live_faults"
APPLICATION_NAME = f"marketplace-faults-{os.getpid()}"
SECRETS = {
    "SECRET_KEY": "faults-secret-key-0123456789abcdef",
    "ID_KEY": "faults-id-number-key-0123456789abcdef",
    "AUDIT_KEY": "faults-audit-key-0123456789abcdef",
    "AUDIT_SIGNING_KEY": "faults-audit-signing-key-0123456789abcdef",
}
on_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL")


class Crash(RuntimeError):
    """The injected failure (a process killed, a bug, the disk gone) in the middle of work."""


# --- an app on a committed database, and the outage ------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """An app on its own committed database, and that database's URL."""
    # The application name lets a test find (and kill) this app's own PostgreSQL connections.
    with committed_app(
        tmp_path_factory.mktemp("faults"), SCHEMA, SECRETS, f"&application_name={APPLICATION_NAME}"
    ) as (app, url):
        yield app, url


def _kill_app_connections() -> int:
    """Terminate the PostgreSQL backends of this module's app (as a database restart would)."""
    assert TEST_DATABASE_URL
    admin = create_engine(normalise_database_url(TEST_DATABASE_URL))
    try:
        with admin.begin() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name"
                    ),
                    {"name": APPLICATION_NAME},
                ).all()
            )
    finally:
        admin.dispose()


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """The database unreachable: new connections fail for real, the app's open ones are gone.

    New connections go to a dead port (PostgreSQL) or a file that cannot be opened (SQLite),
    so the driver raises its own error, as it would in an outage.
    """
    with app.app_context():
        engine = db.engine

    def unreachable(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if TEST_DATABASE_URL:
            cparams.update(host="127.0.0.1", port=9)  # discard: nothing listens there
        else:
            cargs[:] = ["/nonexistent/marketplace/faults.db"]

    event.listen(engine, "do_connect", unreachable)
    try:
        if TEST_DATABASE_URL:
            _kill_app_connections()
        else:
            engine.dispose()
        yield
    finally:
        event.remove(engine, "do_connect", unreachable)


def seed(app: Flask, headcount: int = 2, workers_count: int = 1) -> tuple[int, list[str]]:
    """Commit a job with one shift and some workers; answer the shift id and workers' tokens."""
    with app.app_context():
        employer_user = auth_services.create_user(next_phone(), "password-1", "employer")
        employers.put_profile(employer_user, EmployerProfileInSchema().load(employer_body()))
        body = job_body(shifts=[{**shift_times(days_ahead=4), "headcount": headcount}])
        job = jobs.post_job(employer_user, JobInSchema().load(body))
        tokens = []
        for _ in range(workers_count):
            user = auth_services.create_user(next_phone(), "password-1", "worker")
            workers.put_profile(user, WorkerProfileInSchema().load(worker_body()))
            tokens.append(auth_services.create_token(user).access_token)
        shift_id = job.shifts[0].id
        db.session.commit()
        db.session.remove()
    return shift_id, tokens


def bearer(token: str) -> dict[str, str]:
    """Authorization headers for a token."""
    return {"Authorization": f"Bearer {token}"}


def bookings_of(app: Flask, shift_id: int) -> tuple[int, int]:
    """The shift's ``booked`` and the number of its bookings, read afresh."""
    with app.app_context():
        booked = db.session.scalar(select(Shift.booked).where(Shift.id == shift_id))
        count = db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.shift_id == shift_id)
        )
        db.session.remove()
    return booked, count


def assert_unavailable(response: Any) -> None:
    """503 in the error shape, with no traceback."""
    assert response.status_code == 503
    body = response.get_json()
    assert (body["code"], body["status"]) == (503, "Service Unavailable")
    assert body["message"].startswith("Service unavailable: the database does not answer")
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" not in response.get_data(as_text=True)


# --- the database gone, and back -----------------------------------------------------------


def test_health_is_503_while_the_database_is_down_and_ok_again_after_without_a_restart(live):
    app, _ = live
    client = app.test_client()
    assert client.get("/api/v1/health").status_code == 200
    with database_down(app):
        down = client.get("/api/v1/health")
        assert down.status_code == 503
        assert down.get_json() == {"status": "unavailable", "database": "unreachable"}
    back = client.get("/api/v1/health")
    assert back.status_code == 200 and back.get_json() == {"status": "ok", "database": "ok"}


def test_api_requests_are_503_while_the_database_is_down_and_work_again_after(live):
    app, _ = live
    shift_id, [token] = seed(app)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages as written
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    with database_down(app):
        assert_unavailable(client.get("/api/v1/auth/me", headers=bearer(token)))
        assert_unavailable(
            client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=bearer(token))
        )
    # The same process, no restart: the pool connects again by itself.
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    assert bookings_of(app, shift_id) == (0, 0)  # the refused booking left nothing
    booked = client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=bearer(token))
    assert booked.status_code == 201
    assert bookings_of(app, shift_id) == (1, 1)


@on_postgres
@pytest.mark.postgres
def test_connections_killed_under_the_app_cost_no_failed_request(live):
    app, _ = live
    _, [token] = seed(app)
    client = app.test_client()
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    assert _kill_app_connections() >= 1
    # The pooled connection is dead; the pre-ping notices and connects again.
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200


@on_postgres
@pytest.mark.postgres
def test_a_connection_lost_mid_request_is_503_changes_nothing_and_the_next_request_works(
    live, monkeypatch
):
    app, _ = live
    shift_id, [token] = seed(app)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages as written
    real = booking_services.check_bookable

    def lose_the_connection(*args: Any) -> None:
        real(*args)
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    monkeypatch.setattr(booking_services, "check_bookable", lose_the_connection)
    assert_unavailable(client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=bearer(token)))
    monkeypatch.undo()
    assert bookings_of(app, shift_id) == (0, 0)
    booked = client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=bearer(token))
    assert booked.status_code == 201
    assert bookings_of(app, shift_id) == (1, 1)


def test_a_database_error_that_is_a_bug_stays_a_500_without_details(live, monkeypatch):
    app, _ = live
    shift_id, [token] = seed(app)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages as written

    def broken_query(*_args: Any) -> None:
        db.session.execute(text("SELECT no_such_column FROM bookings"))

    monkeypatch.setattr(booking_services, "check_bookable", broken_query)
    response = client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=bearer(token))
    assert response.status_code == 500
    assert response.get_json()["message"] == "Internal server error: the failure was logged."
    assert "no_such_column" not in response.get_data(as_text=True)


# --- an import that crashes halfway --------------------------------------------------------


class CrashOnSecondCall:
    """``owner.name`` does its work the first time and crashes the second.

    ``seen`` keeps what ``read()`` answered at the crash: what the doomed transaction held then.
    """

    def __init__(self, monkeypatch: Any, owner: Any, name: str, read: Any) -> None:
        self.real, self.read, self.calls, self.seen = getattr(owner, name), read, 0, None
        self.name = name
        monkeypatch.setattr(owner, name, self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 2:
            self.seen = self.read()
            raise Crash(f"killed in the middle of {self.name}")
        return self.real(*args, **kwargs)


def imported_count(database: Any) -> int:
    """Imported (not booking) earnings stored."""
    query = select(func.count()).select_from(Earning).where(Earning.booking_id.is_(None))
    return database.scalar(query)


def events_count(database: Any, action: str) -> int:
    """Audit events of ``action``."""
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    return database.scalar(query)


def test_a_crash_in_the_middle_of_an_import_leaves_none_of_its_rows_and_a_retry_succeeds(
    client, make_user, auth_headers, person, database, monkeypatch
):
    headers = auth_headers(make_user("admin"))
    body = {
        "source": "migration",
        "records": [
            {"id_number": person().id_number, "month": "2026-01", "hours": "80", "income": "2400"}
            for _ in range(3)
        ],
    }
    # The second record's audit entry: every record is in the table by then (flushed).
    crash = CrashOnSecondCall(monkeypatch, imports, "_shown", lambda: imported_count(database))
    with pytest.raises(Crash):
        client.post("/api/v1/earnings/import", json=body, headers=headers)
    assert crash.seen == 3
    assert imported_count(database) == 0
    assert events_count(database, "earning.imported") == 0

    monkeypatch.undo()
    retry = client.post("/api/v1/earnings/import", json=body, headers=headers)
    assert retry.status_code == 200 and retry.get_json() == {"imported": 3, "replaced": 0}
    assert imported_count(database) == 3
    assert events_count(database, "earning.imported") == 3
    assert verify().ok


# --- a batch assignment that crashes halfway -----------------------------------------------


def test_a_crash_in_the_middle_of_a_batch_assignment_leaves_no_booking_from_it(
    client, headers_of, make_job, make_employer, make_worker, database, monkeypatch
):
    employer = make_employer()
    shift = make_job(employer=employer, shifts=[{**shift_times(), "headcount": 3}]).shifts[0]
    for _ in range(3):
        make_worker()
    assign = {"shift_ids": [shift.id], "commit": True}
    # The second booking's notice: the first booking is complete and the second has its place.
    crash = CrashOnSecondCall(
        monkeypatch, booking_offers, "notify", lambda: booked_now(database, shift.id)
    )
    with pytest.raises(Crash):
        client.post("/api/v1/matching/assignments", json=assign, headers=headers_of(employer))
    assert crash.seen == (2, 2)
    assert booked_now(database, shift.id) == (0, 0)
    assert events_count(database, "booking.offered") == 0
    assert database.scalar(select(func.count()).select_from(Notification)) == 0

    monkeypatch.undo()
    retry = client.post("/api/v1/matching/assignments", json=assign, headers=headers_of(employer))
    assert retry.status_code == 200 and retry.get_json()["not_booked"] == []
    assert booked_now(database, shift.id) == (3, 3)
    assert events_count(database, "booking.offered") == 3


def booked_now(database: Any, shift_id: int) -> tuple[int, int]:
    """The shift's ``booked`` and its bookings, inside the current transaction."""
    booked = database.scalar(select(Shift.booked).where(Shift.id == shift_id))
    count = database.scalar(
        select(func.count()).select_from(Booking).where(Booking.shift_id == shift_id)
    )
    return booked, count


# --- the scheduler killed mid-run, and run again --------------------------------------------


@pytest.fixture
def three_booked(client, headers_of, make_job, make_worker):
    """One shift, three days ahead, booked by three workers."""
    shift = make_job(shifts=[{**shift_times(), "headcount": 3}]).shifts[0]
    for worker in [make_worker() for _ in range(3)]:
        response = client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=headers_of(worker))
        assert response.status_code == 201
    return shift


def statuses(database: Any, shift_id: int) -> list[str]:
    """The statuses of the shift's bookings, freshly read."""
    query = select(Booking.status).where(Booking.shift_id == shift_id).order_by(Booking.id)
    return list(database.scalars(query))


def test_no_shows_killed_halfway_leave_nothing_and_the_rerun_marks_each_booking_once(
    three_booked, database, monkeypatch
):
    shift = three_booked
    crash = CrashOnSecondCall(
        monkeypatch,
        attendance,
        "refresh_reliability",
        lambda: statuses(database, shift.id).count("no_show"),
    )
    with time_machine.travel(shift.starts_at + timedelta(minutes=31), tick=False):
        with pytest.raises(Crash):
            run_job("no_shows")
        assert crash.seen == 2  # two were marked in the transaction the crash undid
        assert statuses(database, shift.id) == ["confirmed"] * 3
        assert booked_now(database, shift.id) == (3, 3)
        assert events_count(database, "booking.no_show") == 0

        monkeypatch.undo()
        assert run_job("no_shows").result == 3
        assert run_job("no_shows").result == 0
    assert statuses(database, shift.id) == ["no_show"] * 3
    assert booked_now(database, shift.id) == (0, 3)
    assert events_count(database, "booking.no_show") == 3
    assert verify().ok


def test_reminders_killed_halfway_leave_nothing_and_the_rerun_sends_each_once(
    three_booked, database, monkeypatch
):
    shift = three_booked

    def reminders() -> int:
        query = select(func.count()).where(Notification.kind == "shift_reminder")
        return database.scalar(query.select_from(Notification))

    crash = CrashOnSecondCall(monkeypatch, booking_reminders, "notify", reminders)
    with time_machine.travel(shift.starts_at - timedelta(hours=2), tick=False):
        with pytest.raises(Crash):
            run_job("reminders")
        assert crash.seen == 1
        assert reminders() == 0

        monkeypatch.undo()
        assert run_job("reminders").result == 3
        assert run_job("reminders").result == 0
    assert reminders() == 3


def test_wage_arrears_killed_halfway_leave_nothing_and_the_rerun_raises_each_alert_once(
    make_job, make_worker, database, monkeypatch
):
    job = make_job()
    shift = (job.shifts[0].id, job.employer_id)
    month_ago = clock.today() - timedelta(days=30)
    for worker in [make_worker() for _ in range(3)]:
        add_booking_earning(database, worker.id, shift, month_ago, "240.00")

    def alerts() -> tuple[int, int]:
        raised = database.scalar(select(func.count()).select_from(Alert))
        told = database.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "wage_arrears")
        )
        return raised, told

    # v1.1: each alert is a case, told to the worker and then to the employer's side.
    crash = CrashOnSecondCall(monkeypatch, parties, "notify", alerts)
    with pytest.raises(Crash):
        run_job("wage_arrears")
    assert crash.seen == (1, 1)
    assert alerts() == (0, 0)
    assert events_count(database, "alert.raised") == 0

    monkeypatch.undo()
    assert run_job("wage_arrears").result == 3
    assert run_job("wage_arrears").result == 0
    assert alerts() == (3, 6)
    assert events_count(database, "alert.raised") == 3
    assert verify().ok


def test_subsidy_evaluation_killed_halfway_leaves_nothing_and_the_rerun_flags_each_once(
    person, database, monkeypatch
):
    with time_machine.travel(SUBSIDY_NOW, tick=False):
        due_in_both_cities(person, database)

        def flags() -> int:
            return database.scalar(select(func.count()).select_from(SubsidyFlag))

        # Cities are evaluated in turn: 无锡 done, the crash comes in 西宁.
        crash = CrashOnSecondCall(monkeypatch, evaluator, "evaluate", flags)
        with pytest.raises(Crash):
            run_job("subsidy_evaluation")
        assert crash.seen == 1
        assert flags() == 0
        assert events_count(database, "flag.created") == 0

        monkeypatch.undo()
        assert run_job("subsidy_evaluation").result["created"] == 2
        again = run_job("subsidy_evaluation").result
        assert (again["created"], again["updated"]) == (0, 0)
        assert flags() == 2
        assert events_count(database, "flag.created") == 2
        assert verify().ok


# --- the scheduler's process killed with SIGKILL mid-run ------------------------------------

KILLED_RUN = """
import os, signal, sys
from datetime import datetime

import time_machine

from marketplace import create_app
from marketplace.bookings import attendance
from marketplace.scheduler import run_job

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], **SECRETS})
real, calls = attendance.refresh_reliability, []


def refresh_then_die(worker_id):
    real(worker_id)
    calls.append(worker_id)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # as an OOM kill or a power cut would


attendance.refresh_reliability = refresh_then_die
with time_machine.travel(datetime.fromisoformat(sys.argv[2]), tick=False), app.app_context():
    run_job("no_shows")
"""


def test_the_scheduler_process_killed_mid_run_leaves_nothing_and_the_rerun_is_exact(live):
    app, url = live
    shift_id, tokens = seed(app, headcount=3, workers_count=3)
    client = app.test_client()
    for token in tokens:
        assert (
            client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=bearer(token)).status_code
            == 201
        )
    with app.app_context():
        starts_at = db.session.scalar(select(Shift.starts_at).where(Shift.id == shift_id))
        db.session.remove()
    when = starts_at + timedelta(minutes=31)
    script = f"SECRETS = {SECRETS!r}\n" + textwrap.dedent(KILLED_RUN)
    killed = subprocess.run(
        [sys.executable, "-c", script, url, when.isoformat()],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]

    def live_statuses() -> list[str]:
        with app.app_context():
            found = statuses(db.session, shift_id)
            db.session.remove()
        return found

    assert live_statuses() == ["confirmed"] * 3
    assert bookings_of(app, shift_id) == (3, 3)
    with time_machine.travel(when, tick=False), app.app_context():
        assert run_job("no_shows").result >= 3  # with other tests' overdue bookings, if any
        assert run_job("no_shows").result == 0
        assert verify().ok
        db.session.remove()
    assert live_statuses() == ["no_show"] * 3
    assert bookings_of(app, shift_id) == (0, 3)
