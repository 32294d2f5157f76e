"""Disputes at the same instant: one dispute open per booking, one answer per dispute, one
adjustment however many arrive together (committed for real: a SQLite file, or a schema of the
PostgreSQL test database, where the row locks and the partial unique index decide)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.earnings.models import Earning
from marketplace.extensions import db
from tests.bookings.conftest import SITE
from tests.conftest import committed_app, employer_body, job_body, together, worker_body

pytestmark = pytest.mark.slow  # racing threads on a database of their own

SECRETS = {
    "SECRET_KEY": "dispute-races-secret-key-0123456789",
    "ID_KEY": "dispute-races-id-number-key-0123456789",
    "AUDIT_KEY": "dispute-races-audit-key-0123456789",
    "AUDIT_SIGNING_KEY": "dispute-races-audit-signing-key-0123456789",
}
_phones = iter(range(17_800_000_000, 17_899_999_999))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    with committed_app(tmp_path_factory.mktemp("disputes"), "dispute_races", SECRETS) as (app, _):
        yield app


def _user(app: Flask, role: str) -> int:
    with app.app_context():
        user = auth_services.create_user(str(next(_phones)), "password-1", role)
        db.session.commit()
        return user.id


def _headers(app: Flask, user_id: int) -> dict[str, str]:
    """A token minted now (tokens expire: mint them at the travelled time)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        token = auth_services.create_token(user).access_token
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _approved_booking(app: Flask) -> tuple[int, datetime, int, int]:
    """A booking worked and approved at 6 of its 8 hours: its id, when it was approved, and
    the worker's and the employer's user ids."""
    client = app.test_client()
    employer_id, worker_id = _user(app, "employer"), _user(app, "worker")
    employer, worker = _headers(app, employer_id), _headers(app, worker_id)
    assert client.put(
        "/api/v1/employers/me", json=employer_body(), headers=employer
    ).status_code in (200, 201)
    assert client.put("/api/v1/workers/me", json=worker_body(), headers=worker).status_code in (
        200,
        201,
    )
    job = client.post("/api/v1/jobs", json=job_body(), headers=employer).get_json()
    shift = job["shifts"][0]
    booking = client.post(f"/api/v1/shifts/{shift['id']}/bookings", headers=worker).get_json()
    starts, ends = (datetime.fromisoformat(shift[name]) for name in ("starts_at", "ends_at"))
    url = f"/api/v1/bookings/{booking['id']}"
    with time_machine.travel(starts, tick=False):
        worker = _headers(app, worker_id)
        assert client.post(f"{url}/check-in", json=SITE, headers=worker).status_code == 200
    with time_machine.travel(ends, tick=False):
        worker, employer = _headers(app, worker_id), _headers(app, employer_id)
        assert client.post(f"{url}/check-out", json=SITE, headers=worker).status_code == 200
        approved = client.post(f"{url}/approve", json={"hours": "6.00"}, headers=employer)
        assert approved.status_code == 200
    return booking["id"], ends, worker_id, employer_id


def _adjustments(app: Flask, booking_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(
                Earning.booking_id == booking_id, Earning.source == "adjustment"
            )
        )
        db.session.remove()
    return count or 0


def _post(app: Flask, url: str, body: dict[str, Any], headers: dict[str, str]):
    client = app.test_client()
    return lambda: client.post(url, json=body, headers=headers).status_code


def test_two_disputes_of_one_booking_at_once_open_one(live):
    booking_id, ended, worker_id, _ = _approved_booking(live)
    url = f"/api/v1/bookings/{booking_id}/disputes"
    body = {"kind": "hours", "claimed_hours": "8.00", "detail": "实际工作8小时"}
    with time_machine.travel(ended + timedelta(days=1), tick=False):
        worker = _headers(live, worker_id)
        statuses = together([_post(live, url, body, worker) for _ in range(4)])
    assert Counter(statuses) == Counter({201: 1, 409: 3})


def test_many_acceptances_of_one_dispute_at_once_record_one_adjustment(live):
    booking_id, ended, worker_id, employer_id = _approved_booking(live)
    with time_machine.travel(ended + timedelta(days=1), tick=False):
        worker, employer = _headers(live, worker_id), _headers(live, employer_id)
        dispute = (
            live.test_client()
            .post(
                f"/api/v1/bookings/{booking_id}/disputes",
                json={"kind": "pay", "claimed_amount": "240.00", "detail": "少算了工资"},
                headers=worker,
            )
            .get_json()
        )
        url = f"/api/v1/disputes/{dispute['id']}/respond"
        calls = [_post(live, url, {"accept": True, "detail": "同意"}, employer) for _ in range(3)]
        calls.append(_post(live, url, {"accept": False, "detail": "不同意"}, employer))
        statuses = together(calls)
    assert Counter(statuses) == Counter({200: 1, 409: 3})
    assert _adjustments(live, booking_id) == (1 if statuses.index(200) < 3 else 0)
