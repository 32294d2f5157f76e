"""A small seeded 无锡 market for the tests that throw input at every operation.

Seeded once per module inside a transaction rolled back at its end (``connection``, ``market``);
each test takes a savepoint of its own and rolls it back, so what one test's calls change never
reaches another. Used by the schemathesis fuzz test and the hostile-input test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import select

from marketplace import clock
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.brokers import delegations
from marketplace.brokers import services as brokers
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.schemas import JobInSchema
from marketplace.notifications.models import Notification
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

ROLES = ("anonymous", "worker", "employer", "broker", "official", "admin")


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


def checked_out_booking(
    worker_id: int, shift_id: int, employer_id: int, days_ago: int = 1
) -> Booking:
    """A booking worked ``days_ago`` days ago (09:00–17:00) and checked out, waiting for the
    employer's approval; flushed. Written directly: the API books only shifts ahead."""
    start = datetime.combine(
        clock.local_now().date() - timedelta(days=days_ago),
        time(9),
        tzinfo=clock.local_now().tzinfo,
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
    return booking


def seed() -> Market:
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
    delegations.delegate(employer_user, broker.id)
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
    checked_out = checked_out_booking(worker.id, worked_job.shifts[1].id, employer.id).id

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
        seeded = seed()
        db.session.commit()
        db.session.remove()
        return seeded
