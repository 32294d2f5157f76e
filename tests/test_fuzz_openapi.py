"""Fuzzing the API against its own OpenAPI document with schemathesis, in-process through WSGI.

The document is loaded from the app (``/api/v1/openapi.json``) and every call goes to the test
app through WSGI. Two tests per operation:

- ``test_every_role_gets_documented_answers``: random valid and invalid input, once as each
  role (anonymous, worker, employer, broker, official, admin); path ids point at seeded objects
  about half the time, so calls reach real jobs, shifts, bookings, flags and notifications.
- ``test_boundary_inputs_get_documented_answers``: schemathesis's deterministic boundary and
  invalid values (its coverage phase) and the document's examples, as a role the operation lets
  in — any other role is turned away before its input is even read.

Every response must be no server error and have a documented status code, content type and
body; every 4xx and 5xx must be JSON in the project's error shape (``marketplace/errors.py``).
``negative_data_rejection`` is not among the checks: the schemas keep marshmallow's coercions
(``"commit": 0`` is false, ``"5"`` an integer), which it reports as invalid input accepted;
making input strict would change the contract, a decision of its own.

The market is seeded once per module inside a transaction that is rolled back at its end; each
test runs in a savepoint rolled back after it, so what one test's calls change (a booking
cancelled, a token revoked) never reaches another, while the examples of one test share their
state as a client's successive calls would.

Bounded for CI: a few examples per operation and role, derandomised, no example database
written. To fuzz longer locally, raise the examples, and draw new inputs on every run::

    FUZZ_MAX_EXAMPLES=200 FUZZ_RANDOM=1 pytest tests/test_fuzz_openapi.py -x
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from marketplace import clock, create_app
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking, Notification
from marketplace.brokers import services as brokers
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.schemas import JobInSchema
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers import services as workers
from marketplace.workers.schemas import WorkerProfileInSchema
from tests.conftest import (
    PASSWORD,
    employer_body,
    job_body,
    next_phone,
    shift_times,
    worker_body,
)
from tests.subsidies.conftest import add_booking_earning

OPENAPI_PATH = "/api/v1/openapi.json"
ROLES = ("anonymous", "worker", "employer", "broker", "official", "admin")
# Path parameters that name objects the market seeds.
SEEDED = (
    "job_id",
    "shift_id",
    "booking_id",
    "flag_id",
    "worker_id",
    "broker_id",
    "notification_id",
)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))
# Reproducible unless asked otherwise: CI must fail, or pass, the same way every run.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") != "1"


def _schema_app() -> Flask:
    """An app built only to serve its OpenAPI document (the document needs no data)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "TESTING": True,
            "SECRET_KEY": "fuzz-schema-secret-not-for-production",
            "ID_KEY": "fuzz-schema-id-key-not-for-production",
            "AUDIT_KEY": "fuzz-schema-audit-key-not-for-production",
            "AUDIT_SIGNING_KEY": "fuzz-schema-audit-signing-key-not-for-production",
        }
    )


def _load(phases: dict[str, Any]) -> BaseSchema:
    return schemathesis.openapi.from_wsgi(
        OPENAPI_PATH, SCHEMA_APP, config=schemathesis.Config.from_dict({"phases": phases})
    )


SCHEMA_APP = _schema_app()
# Random inputs, valid and invalid, as every role: max_examples per (operation, role).
fuzzed = _load({"examples": {"enabled": False}, "coverage": {"enabled": False}})
# Schemathesis's deterministic boundary and invalid values, the documented examples, as a role
# that may call the operation (any other role is turned away before its input is read).
covered = _load(
    {
        "fuzzing": {"enabled": False},
        # One undeclared method per path shows that its 405 is an error of the project's shape;
        # each further one would only repeat that.
        "coverage": {"unexpected-methods": ["patch"]},
    }
)


@dataclass
class Market:
    """The seeded objects: each role's bearer token and the ids paths may point at."""

    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, list[int]] = field(default_factory=dict)


class _JoinedSession(FlaskSession):
    """A session that always uses the module's connection."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


def _user(role: str, city: str | None = None) -> User:
    return auth_services.create_user(next_phone(), PASSWORD, role, city)


def _checked_out_booking(worker_id: int, shift_id: int, employer_id: int) -> int:
    """A booking worked yesterday and checked out, waiting for the employer's approval."""
    start = datetime.combine(
        clock.local_now().date() - timedelta(days=1), time(9), tzinfo=clock.local_now().tzinfo
    )
    end = start + timedelta(hours=8)
    booking = Booking(
        shift_id=shift_id,
        worker_id=worker_id,
        employer_id=employer_id,
        status="checked_out",
        starts_at=start,
        ends_at=end,
        created_at=start - timedelta(days=1),
        updated_at=end,
        checked_in_at=start,
        check_in_distance_m=40.0,
        checked_out_at=end,
        check_out_distance_m=45.0,
    )
    db.session.add(booking)
    db.session.flush()
    return booking.id


def _seed() -> Market:
    """A small 无锡 market with every kind of object the API's paths name."""
    market = Market()
    worker_user = _user("worker")
    worker = workers.put_profile(worker_user, WorkerProfileInSchema().load(worker_body()))
    other_worker = workers.put_profile(
        _user("worker"), WorkerProfileInSchema().load(worker_body(name="李四"))
    )
    employer_user = _user("employer")
    employer = employers.put_profile(employer_user, EmployerProfileInSchema().load(employer_body()))
    broker_user = _user("broker")
    broker = brokers.put_profile(
        broker_user, {"name": "李经纪", "city": "wuxi", "licence_number": None}
    )
    employers.delegate(employer_user, broker.id)
    official = _user("official", "wuxi")
    admin = _user("admin")

    open_job = jobs.post_job(employer_user, JobInSchema().load(job_body()))
    approval_job = jobs.post_job(
        employer_user,
        JobInSchema().load(
            job_body(requires_approval=True, shifts=[{**shift_times(5), "headcount": 3}])
        ),
    )
    # Two shifts whose bookings are written as worked in the past (the API books only ahead).
    worked_job = jobs.post_job(
        employer_user,
        JobInSchema().load(
            job_body(
                shifts=[
                    {**shift_times(7), "headcount": 1},
                    {**shift_times(8), "headcount": 1},
                ]
            )
        ),
    )
    confirmed = bookings.book(worker_user, open_job.shifts[0].id)
    pending = bookings.book(worker_user, approval_job.shifts[0].id)
    accepted_job = jobs.post_job(
        employer_user,
        JobInSchema().load(
            job_body(requires_approval=True, shifts=[{**shift_times(9), "headcount": 2}])
        ),
    )
    # Accepting notifies the worker: the market has a notification to read.
    accepted = bookings.accept(
        employer_user, bookings.book(worker_user, accepted_job.shifts[0].id).id
    )
    completed = add_booking_earning(
        db.session,
        worker.id,
        (worked_job.shifts[0].id, employer.id),
        clock.local_now().date() - timedelta(days=40),
        "240.00",
    ).booking_id
    checked_out = _checked_out_booking(worker.id, worked_job.shifts[1].id, employer.id)

    flag = SubsidyFlag(
        worker_id=worker.id,
        city="wuxi",
        policy_id="wuxi-2021-26",
        program="platform_service",
        key="fuzz",
        beneficiary="worker",
        amount=Decimal("800.00"),
        period_start="2026-01",
        period_end="2026-06",
        status="pending",
        evidence={"months": ["2026-01"]},
        explanation=["平台服务补贴"],
        risk_signals=[],
        fingerprint="0" * 64,
        evaluated_on=clock.local_now().date(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    db.session.add(flag)
    db.session.flush()

    users = {
        "worker": worker_user,
        "employer": employer_user,
        "broker": broker_user,
        "official": official,
        "admin": admin,
    }
    for role, user in users.items():
        market.tokens[role] = auth_services.create_token(user).access_token
    market.ids = {
        "job_id": [open_job.id, approval_job.id, worked_job.id, accepted_job.id],
        "shift_id": [
            shift.id
            for job in (open_job, approval_job, worked_job, accepted_job)
            for shift in job.shifts
        ],
        "booking_id": [confirmed.id, pending.id, completed, checked_out, accepted.id],
        "flag_id": [flag.id],
        "worker_id": [worker.id, other_worker.id],
        "broker_id": [broker.id],
        "notification_id": list(db.session.scalars(select(Notification.id))),
    }
    return market


@pytest.fixture(scope="module")
def connection(app: Flask) -> Iterator[Any]:
    """One connection for the module, in a transaction that is rolled back at its end."""
    with app.app_context():
        conn = db.engine.connect()
        outer = conn.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": conn, "join_transaction_mode": "create_savepoint", "class_": _JoinedSession}
        )
        try:
            yield conn
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            conn.close()


@pytest.fixture(scope="module")
def market(app: Flask, connection: Any) -> Market:
    """The seeded market, kept for every test of the module."""
    with app.app_context():
        seeded = _seed()
        db.session.commit()
        db.session.remove()
        return seeded


@pytest.fixture
def fuzz_state(app: Flask, connection: Any, market: Market) -> Iterator[Market]:
    """The market, and a savepoint that undoes whatever the test's calls changed."""
    with app.app_context():
        savepoint = connection.begin_nested()
        _current.append(market)
        try:
            yield market
        finally:
            _current.pop()
            db.session.remove()
            savepoint.rollback()


_current: list[Market] = []


def _seeded_id(name: str, pick: int) -> int:
    ids = _current[-1].ids[name]
    return ids[pick % len(ids)]


def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    """Point path ids at seeded objects about half the time, so that some calls find something."""
    names = [name for name in case.path_parameters or {} if name in SEEDED]
    if not names:
        return st.just(case)

    def aim(picks: tuple[int | None, ...]) -> schemathesis.Case:
        parameters = dict(case.path_parameters or {})
        for name, pick in zip(names, picks, strict=True):
            if pick is not None:
                parameters[name] = _seeded_id(name, pick)
        case.path_parameters = parameters
        return case

    return st.tuples(*(st.none() | st.integers(0, 7) for _ in names)).map(aim)


fuzzed.hook(flatmap_case)


def error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """Every 4xx and 5xx is JSON in the project's error shape (``marketplace/errors.py``)."""
    if response.status_code < 400:
        return True
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), (
        f"{response.status_code} answered as {content_type!r}"
    )
    body = response.json()
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert set(body) <= {"code", "status", "message", "errors", "request_id"}, body
    assert body.get("code") == response.status_code, body
    assert body.get("status") == HTTPStatus(response.status_code).phrase, body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert isinstance(body.get("request_id"), str) and body["request_id"], body
    assert isinstance(body.get("errors", {}), dict), body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_shape,
]


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=[
        # The examples of one test share the seeded market on purpose; see the module doc.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


def _call(case: schemathesis.Case, role: str, market: Market, app: Flask) -> None:
    if role != "anonymous":
        token = market.tokens[role]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    case.call_and_validate(app=app, checks=CHECKS)


@pytest.mark.parametrize("role", ROLES)
@fuzzed.parametrize()
@FUZZ_SETTINGS
def test_every_role_gets_documented_answers(
    case: schemathesis.Case, role: str, app: Flask, fuzz_state: Market
) -> None:
    """Random calls, valid and invalid, as each role, answer as the document says."""
    _call(case, role, fuzz_state, app)


def _caller(operation: APIOperation) -> str:
    """A role the operation lets in: anonymous for public ones, else the first of ``x-roles``."""
    if operation.definition.raw.get("security") == []:
        return "anonymous"
    return str(operation.definition.raw["x-roles"][0])


@covered.parametrize()
@FUZZ_SETTINGS
def test_boundary_inputs_get_documented_answers(
    case: schemathesis.Case, app: Flask, fuzz_state: Market
) -> None:
    """Schemathesis's boundary and invalid values, and the examples, answer as documented."""
    _call(case, _caller(case.operation), fuzz_state, app)


def _response(status: int, body: Any, content_type: str = "application/json") -> Any:
    """What ``error_shape`` reads of a schemathesis response."""
    return SimpleNamespace(
        status_code=status, headers={"content-type": [content_type]}, json=lambda: body
    )


GOOD_ERROR = {"code": 404, "status": "Not Found", "message": "job not found", "request_id": "r1"}


def test_the_error_shape_check_passes_the_project_error_and_any_success() -> None:
    assert error_shape(None, _response(404, GOOD_ERROR), None)
    assert error_shape(None, _response(200, ["anything"], "text/csv"), None)


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (404, "<h1>Not Found</h1>", "text/html"),
        (404, {k: v for k, v in GOOD_ERROR.items() if k != "request_id"}, "application/json"),
        (404, {**GOOD_ERROR, "code": 400}, "application/json"),
        (404, {**GOOD_ERROR, "status": "Missing"}, "application/json"),
        (404, {**GOOD_ERROR, "message": ""}, "application/json"),
        (404, {**GOOD_ERROR, "trace": "Traceback ..."}, "application/json"),
        (422, {**GOOD_ERROR, "code": 422, "errors": ["x"]}, "application/json"),
        (500, ["an error"], "application/json"),
    ],
)
def test_the_error_shape_check_rejects_other_errors(
    status: int, body: Any, content_type: str
) -> None:
    with pytest.raises(AssertionError):
        error_shape(None, _response(status, body, content_type), None)


def test_the_fuzzed_document_is_the_one_the_app_serves(app: Flask) -> None:
    served = app.test_client().get(OPENAPI_PATH).get_json()
    assert fuzzed.raw_schema == served
    assert len(list(fuzzed.get_all_operations())) == sum(
        method in {"get", "put", "post", "delete"}
        for item in served["paths"].values()
        for method in item
    )
