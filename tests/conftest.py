"""Fixtures: one app per session, a database that rolls back after each test, factories.

The suite runs on a SQLite file by default and on PostgreSQL when TEST_DATABASE_URL is set.
The schema is built once per session by the real migrations.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import flask_migrate
import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session, scoped_session
from sqlalchemy.sql.util import find_tables

from marketplace import clock, create_app
from marketplace.audit import services as audit_services
from marketplace.audit.models import AuditEvent
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.common.ids import make_credit_code, make_resident_id
from marketplace.config import normalise_database_url
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs.schemas import JobInSchema
from marketplace.workers.schemas import WorkerProfileInSchema

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-42"
# The secrets of every app the tests build (on PostgreSQL the service refuses to start without).
SECRETS = {
    "SECRET_KEY": "test-secret-key-not-for-production",
    "ID_KEY": "test-id-number-key-not-for-production",
    "AUDIT_KEY": "test-audit-key-not-for-production",
    "AUDIT_SIGNING_KEY": "test-audit-signing-key-not-for-production",
}


_sequencing = threading.local()


@event.listens_for(Session, "do_orm_execute")
def _chain_before_reading_the_log(state: ORMExecuteState) -> None:
    """A test that reads ``audit_events`` reads what the sequencer has chained of what committed.

    The service's readers of the log chain the outbox first (audit.services.catch_up); tests
    read the table directly, so the session does it for them, in the test's own transaction.
    """
    if not state.is_select or getattr(_sequencing, "active", False) or not has_app_context():
        return
    if AuditEvent.__table__ not in find_tables(state.statement, check_columns=True):
        return
    if not inspect(state.session.connection()).has_table("audit_outbox"):
        return  # a migration test's database, at a revision older than the outbox
    _sequencing.active = True
    try:
        audit_services.sequence()
    finally:
        _sequencing.active = False


def _postgres_url(url: str) -> bool:
    return url.startswith(("postgres", "postgresql"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application, with a fresh schema built by the migrations."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            **SECRETS,
        }
    )
    with application.app_context():
        if _postgres_url(url):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """``app`` served over HTTP (werkzeug, in a thread) on a free loopback port: its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def committed_app(
    tmp_path: Path, schema: str, config: dict[str, Any], url_parameters: str = ""
) -> Iterator[tuple[Flask, str]]:
    """An app on a database of its own whose commits are real, and that database's URL.

    A SQLite file under ``tmp_path``, or on PostgreSQL the schema ``schema`` of the test
    database (made afresh, dropped afterwards). For tests that need several connections or
    processes: concurrency, faults, a live server.
    """
    admin = None
    if TEST_DATABASE_URL:
        base = normalise_database_url(TEST_DATABASE_URL)
        admin = create_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in base else "?"
        url = f"{base}{separator}options=-csearch_path%3D{schema}{url_parameters}"
    else:
        url = f"sqlite:///{tmp_path / f'{schema}.db'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_PROFILE": "CHEAPEST", **SECRETS, **config}
    )
    with app.app_context():
        flask_migrate.upgrade()
    try:
        yield app, url
    finally:
        with app.app_context():
            db.engine.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


def committed_token(app: Flask, role: str, **extra: Any) -> str:
    """A new user of ``role`` (``city=`` for an official) on a ``committed_app``, and a token
    of theirs, both committed."""
    with app.app_context():
        user = auth_services.create_user(next_phone(), PASSWORD, role, **extra)
        token = auth_services.create_token(user).access_token
        db.session.commit()
    return token


class _JoinedSession(FlaskSession):
    """A session that always uses the test's connection (Flask-SQLAlchemy's picks an engine)."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


@pytest.fixture
def database(app: Flask) -> Iterator[scoped_session]:
    """The session of one test: everything it does is rolled back at the end.

    The test's connection holds an outer transaction; the app's commits and rollbacks work on
    savepoints inside it (SQLAlchemy's "join a session into an external transaction").
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": _JoinedSession,
            }
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _forget_matching_indexes() -> Iterator[None]:
    """Matching's in-process index must not outlive a test's rolled-back workers."""
    yield
    from marketplace.matching import index

    index.forget()


@pytest.fixture
def client(app: Flask, database: scoped_session) -> FlaskClient:
    """A test client whose requests share the test's rolled-back transaction.

    It asks for English (``Accept-Language: en``), the language the rules are written in here;
    Chinese, every user's default, is tested in tests/test_i18n.py and the desk's tests.
    """
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


_phones = itertools.count(1)


def next_phone() -> str:
    """A fresh, valid mainland mobile number."""
    return f"135{next(_phones):08d}"


@pytest.fixture
def make_user(database: scoped_session) -> Callable[..., User]:
    """Create an account: ``make_user("official", city="wuxi")``; password ``PASSWORD``."""

    def make(role: str = "worker", city: str | None = None, phone: str | None = None) -> User:
        user = auth_services.create_user(phone or next_phone(), PASSWORD, role, city)
        # Committed (to a savepoint of the test's transaction) like a real earlier request, so
        # that a later failing request's rollback does not take the test's data with it.
        database.commit()
        return user

    return make


@pytest.fixture
def auth_headers(database: scoped_session) -> Callable[[User], dict[str, str]]:
    """Bearer headers for a user."""

    def headers(user: User) -> dict[str, str]:
        token = auth_services.create_token(user)
        database.commit()
        return {"Authorization": f"Bearer {token.access_token}"}

    return headers


@pytest.fixture
def count_queries(app: Flask) -> Iterator[Callable[[], int]]:
    """Count the SQL statements sent while the test runs: ``count_queries()`` so far."""
    statements: list[str] = []

    def record(*args: Any, **_kwargs: Any) -> None:
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield lambda: len([s for s in statements if "SAVEPOINT" not in s.upper()])
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- profiles and jobs ----------------------------------------------------------------------

_sequences = itertools.count(1)

# Points inside each city (a district centre) used as defaults.
CITY_POINTS = {
    "wuxi": {"lat": 31.5700, "lon": 120.3000},  # 梁溪区
    "xining": {"lat": 36.6200, "lon": 101.7800},  # 城中区
}


def resident_id(birth: date = date(1990, 5, 17), gender: str = "female") -> str:
    """A fresh valid resident ID number (无锡 梁溪区 region code)."""
    number = next(_sequences)
    return make_resident_id(f"3202{number // 100 % 100:02d}", birth, number % 100, gender)


def credit_code() -> str:
    """A fresh valid unified social credit code."""
    return make_credit_code(f"91320200{next(_sequences):09d}")


def worker_body(**overrides: Any) -> dict[str, Any]:
    """A valid PUT /workers/me body."""
    body: dict[str, Any] = {
        "name": "张三",
        "id_number": resident_id(),
        "city": "wuxi",
        "resident": True,
        "district": "梁溪区",
        "location": dict(CITY_POINTS["wuxi"]),
        "skills": ["cleaning"],
        "availability": [],
    }
    body.update(overrides)
    return body


def employer_body(**overrides: Any) -> dict[str, Any]:
    """A valid PUT /employers/me body."""
    body: dict[str, Any] = {
        "name": "无锡洁净保洁有限公司",
        "credit_code": credit_code(),
        "city": "wuxi",
        "address": "无锡市梁溪区中山路1号",
        "location": dict(CITY_POINTS["wuxi"]),
    }
    body.update(overrides)
    return body


def shift_times(days_ahead: int = 3, start_hour: int = 9, hours: int = 8) -> dict[str, str]:
    """Start and end of a shift ``days_ahead`` days from now, in China time."""
    local_day = clock.local_now().date() + timedelta(days=days_ahead)
    start = datetime.combine(local_day, time(start_hour), tzinfo=ZoneInfo("Asia/Shanghai"))
    return {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
    }


def job_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /jobs body (part-time cleaning in 无锡, one shift of 2 places)."""
    body: dict[str, Any] = {
        "title": "商场保洁",
        "description": "日常保洁",
        "category": "保洁绿化",
        "employment_type": "part_time",
        "hourly_wage": "30.00",
        "required_skills": [],
        "requires_approval": False,
        "city": "wuxi",
        "district": "梁溪区",
        "address": "无锡市梁溪区人民中路139号",
        "location": dict(CITY_POINTS["wuxi"]),
        "shifts": [{**shift_times(), "headcount": 2}],
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_worker(make_user: Callable[..., User]) -> Callable[..., Any]:
    """A worker account with a profile: ``make_worker(city="xining", skills=[...])``."""
    from marketplace.workers import services as workers

    def make(**overrides: Any) -> Any:
        user = make_user("worker")
        body = worker_body(**overrides)
        if "city" in overrides and "location" not in overrides:
            body["location"] = dict(CITY_POINTS[overrides["city"]])
            body["district"] = overrides.get("district")
        worker = workers.put_profile(user, WorkerProfileInSchema().load(body))
        db.session.commit()
        return worker

    return make


@pytest.fixture
def make_employer(make_user: Callable[..., User]) -> Callable[..., Any]:
    """An employer account with a profile."""
    from marketplace.employers import services as employers

    def make(**overrides: Any) -> Any:
        user = make_user("employer")
        body = EmployerProfileInSchema().load(employer_body(**overrides))
        employer = employers.put_profile(user, body)
        db.session.commit()
        return employer

    return make


@pytest.fixture
def make_broker(make_user: Callable[..., User]) -> Callable[..., Any]:
    """A broker account with a profile."""
    from marketplace.brokers import services as brokers

    def make(city: str = "wuxi", licence_number: str | None = None) -> Any:
        user = make_user("broker")
        broker = brokers.put_profile(
            user, {"name": "李经纪", "city": city, "licence_number": licence_number}
        )
        db.session.commit()
        return broker

    return make


@pytest.fixture
def make_job(make_employer: Callable[..., Any], database: scoped_session) -> Callable[..., Any]:
    """A posted job: ``make_job(employer=..., shifts=[...], hourly_wage="30.00")``."""
    from marketplace.jobs import services as jobs

    def make(employer: Any = None, **overrides: Any) -> Any:
        employer = employer or make_employer()
        user = database.get(User, employer.user_id)
        job = jobs.post_job(user, JobInSchema().load(job_body(**overrides)))
        database.commit()
        return job

    return make


@pytest.fixture
def make_dispatch_job(
    make_employer: Callable[..., Any], make_broker: Callable[..., Any], database: scoped_session
) -> Callable[..., Any]:
    """A ``dispatch`` job, posted as contract v1.1 asks: by a broker holding a labour-dispatch
    licence, acting for the employer that delegated to it. The job's ``broker`` is that broker."""
    from marketplace.brokers import delegations
    from marketplace.jobs import services as jobs

    def make(employer: Any = None, **overrides: Any) -> Any:
        employer = employer or make_employer()
        broker = make_broker(licence_number="苏劳派许字第320200001号")
        delegations.delegate(database.get(User, employer.user_id), broker.id)
        body = JobInSchema().load(job_body(employment_type="dispatch", **overrides))
        poster = database.get(User, broker.user_id)
        job = jobs.post_job(poster, {**body, "employer_id": employer.id})
        database.commit()
        job.broker = broker  # for the tests, not mapped
        return job

    return make


@pytest.fixture
def headers_of(
    auth_headers: Callable[[User], dict[str, str]], database: scoped_session
) -> Callable[[Any], dict[str, str]]:
    """Bearer headers for the account behind a profile (worker, employer or broker)."""

    def headers(profile: Any) -> dict[str, str]:
        return auth_headers(database.get(User, profile.user_id))

    return headers


def together(calls: list[Any]) -> list[Any]:
    """Run the calls in threads released at the same instant; answer their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
