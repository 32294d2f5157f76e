"""Fixtures: one app per session, a database that rolls back after each test, factories.

The suite runs on a SQLite file by default and on PostgreSQL when TEST_DATABASE_URL is set.
The schema is built once per session by the real migrations.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, text
from sqlalchemy.orm import scoped_session

from marketplace import create_app
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-42"


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
            "SECRET_KEY": "test-secret-key-not-for-production",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
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


@pytest.fixture
def client(app: Flask, database: scoped_session) -> FlaskClient:
    """A test client whose requests share the test's rolled-back transaction."""
    return app.test_client()


_phones = itertools.count(1)


def next_phone() -> str:
    """A fresh, valid mainland mobile number."""
    return f"135{next(_phones):08d}"


@pytest.fixture
def make_user(database: scoped_session) -> Callable[..., User]:
    """Create an account: ``make_user("official", city="wuxi")``; password ``PASSWORD``."""

    def make(role: str = "worker", city: str | None = None, phone: str | None = None) -> User:
        user = auth_services.create_user(phone or next_phone(), PASSWORD, role, city)
        database.flush()
        return user

    return make


@pytest.fixture
def auth_headers(database: scoped_session) -> Callable[[User], dict[str, str]]:
    """Bearer headers for a user."""

    def headers(user: User) -> dict[str, str]:
        token = auth_services.create_token(user)
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
