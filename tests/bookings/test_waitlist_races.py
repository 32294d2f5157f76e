"""Waitlists under concurrency: cancels, bookings, joins and leaves of one shift at once.

Whatever the interleaving, the shift never holds more places than its headcount, ``booked``
equals the bookings that hold a place, and each freed place goes to exactly one waiting worker,
in turn. Committed for real on a database of their own (a SQLite file, or a schema of the
PostgreSQL test database), with threads in this process and then over HTTP against gunicorn
with several worker processes (``test_concurrency``'s fixture, on this module's database).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.auth import services as auth_services
from marketplace.bookings.models import PLACE_HOLDING_STATUSES, Booking, WaitlistEntry
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Shift
from marketplace.jobs.schemas import JobInSchema
from marketplace.workers import services as workers
from marketplace.workers.schemas import WorkerProfileInSchema
from tests.bookings.test_concurrency import SECRETS, gunicorn
from tests.conftest import (
    committed_app,
    employer_body,
    job_body,
    shift_times,
    together,
    worker_body,
)

pytestmark = pytest.mark.slow  # racing threads and gunicorn: `make test-fast` leaves it out

__all__ = ["gunicorn"]  # test_concurrency's fixture, serving this module's `live` database

SCHEMA = "live_waitlist_races"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """An app on its own committed database, and that database's URL."""
    with committed_app(tmp_path_factory.mktemp("waitlist"), SCHEMA, SECRETS) as (app, url):
        yield app, url


_phones = iter(range(17_000_000_000, 17_999_999_999))


class Market:
    """One employer's shift of ``headcount`` places, another shift overlapping it, and workers
    (each its profile id and a token)."""

    def __init__(self, app, headcount: int, workers_count: int) -> None:
        self.app = app
        with app.app_context():
            employer_user = auth_services.create_user(str(next(_phones)), "password-1", "employer")
            employers.put_profile(employer_user, EmployerProfileInSchema().load(employer_body()))
            times = shift_times(days_ahead=4, start_hour=9, hours=4)
            job = jobs.post_job(
                employer_user,
                JobInSchema().load(
                    job_body(
                        employment_type="full_time", shifts=[{**times, "headcount": headcount}]
                    )
                ),
            )
            other = jobs.post_job(
                employer_user,
                JobInSchema().load(
                    job_body(
                        employment_type="full_time",
                        shifts=[{**shift_times(days_ahead=4, start_hour=11), "headcount": 50}],
                    )
                ),
            )
            self.employer_token = auth_services.create_token(employer_user).access_token
            self.workers: list[tuple[int, str]] = []
            for _ in range(workers_count):
                user = auth_services.create_user(str(next(_phones)), "password-1", "worker")
                worker = workers.put_profile(user, WorkerProfileInSchema().load(worker_body()))
                self.workers.append((worker.id, auth_services.create_token(user).access_token))
            self.shift_id, self.overlapping_id = job.shifts[0].id, other.shifts[0].id
            db.session.commit()
            db.session.remove()
        self.client = app.test_client()

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        """A request through the app's test client: (status, JSON body)."""
        response = self.client.open(
            f"/api/v1{path}",
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code, response.get_json(silent=True)

    def book(self, token: str, shift_id: int | None = None) -> tuple[int, Any]:
        return self.call("POST", f"/shifts/{shift_id or self.shift_id}/bookings", token)

    def join(self, token: str) -> tuple[int, Any]:
        return self.call("POST", f"/shifts/{self.shift_id}/waitlist", token)

    def leave(self, token: str) -> tuple[int, Any]:
        return self.call("DELETE", f"/shifts/{self.shift_id}/waitlist", token)

    def cancel(self, token: str, booking_id: int) -> tuple[int, Any]:
        return self.call("POST", f"/bookings/{booking_id}/cancel", token, {"reason": "临时有事"})

    def holders(self, count: int) -> list[tuple[int, str, int]]:
        """The first ``count`` workers book the shift: (worker id, token, booking id)."""
        held = []
        for worker_id, token in self.workers[:count]:
            status, body = self.book(token)
            assert status == 201, body
            held.append((worker_id, token, body["id"]))
        return held

    def waiting(self, first: int, count: int) -> list[tuple[int, str]]:
        """Workers ``first`` … join the waitlist, one after the other (their turn)."""
        joined = self.workers[first : first + count]
        for _, token in joined:
            status, body = self.join(token)
            assert status == 201, body
        return joined


class Outcome:
    """What the database holds of the shift once the race is over."""

    def __init__(self, market: Market) -> None:
        with market.app.app_context():
            shift = db.session.get(Shift, market.shift_id)
            assert shift is not None
            self.booked, self.headcount = shift.booked, shift.headcount
            self.holding = set(
                db.session.scalars(
                    select(Booking.worker_id).where(
                        Booking.shift_id == market.shift_id,
                        Booking.status.in_(PLACE_HOLDING_STATUSES),
                    )
                )
            )
            self.holding_count = db.session.scalar(
                select(func.count())
                .select_from(Booking)
                .where(
                    Booking.shift_id == market.shift_id,
                    Booking.status.in_(PLACE_HOLDING_STATUSES),
                )
            )
            self.overlapping = set(
                db.session.scalars(
                    select(Booking.worker_id).where(
                        Booking.shift_id == market.overlapping_id,
                        Booking.status == "confirmed",
                    )
                )
            )
            self.entries = list(
                db.session.scalars(
                    select(WaitlistEntry.worker_id)
                    .where(WaitlistEntry.shift_id == market.shift_id)
                    .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
                )
            )
            confirmed = db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "booking.confirmed")
            ).all()
            self.from_waitlist = [
                event.data["worker_id"]
                for event in confirmed
                if event.data.get("from_waitlist") and event.data["shift_id"] == market.shift_id
            ]
            db.session.remove()

    def holds(self) -> None:
        """The invariants every interleaving keeps."""
        assert self.holding_count <= self.headcount
        assert self.booked == self.holding_count == len(self.holding)
        # Each freed place went to one waiting worker, never twice to the same.
        assert len(self.from_waitlist) == len(set(self.from_waitlist))
        # A worker who holds a place waits for nothing, and nobody holds overlapping work.
        assert not self.holding & set(self.entries)
        assert not self.holding & self.overlapping


def test_cancels_bookings_joins_and_leaves_at_once_give_each_place_to_the_next_in_turn(live):
    app, _ = live
    market = Market(app, headcount=4, workers_count=30)
    holders = market.holders(4)
    waiters = market.waiting(4, 8)
    bookers = market.workers[12:18]
    joiners = market.workers[18:24]
    leavers = [waiters[5], waiters[6]]  # after the places freed: their turn never comes
    calls = (
        [lambda t=t, b=b: ("cancel", market.cancel(t, b)) for _, t, b in holders[:3]]
        + [lambda t=t: ("book", market.book(t)) for _, t in bookers]
        + [lambda t=t: ("join", market.join(t)) for _, t in joiners]
        + [lambda t=t: ("leave", market.leave(t)) for _, t in leavers]
    )
    answers = Counter((kind, status) for kind, (status, _) in together(calls))
    outcome = Outcome(market)
    outcome.holds()
    # Every freed place was filled in the cancel's own transaction: nobody booked around the
    # waitlist, and nobody joined the list of a shift with a free place.
    assert answers == {
        ("cancel", 200): 3,
        ("book", 409): 6,
        ("join", 201): 6,
        ("leave", 204): 2,
    }
    assert outcome.booked == 4
    first_three = [worker_id for worker_id, _ in waiters[:3]]
    assert sorted(outcome.from_waitlist) == sorted(first_three)
    assert outcome.holding == {holders[3][0], *first_three}
    kept = [waiters[3][0], waiters[4][0], waiters[7][0]]
    assert outcome.entries[:3] == kept
    assert set(outcome.entries[3:]) == {worker_id for worker_id, _ in joiners}


@pytest.mark.parametrize("round_", range(3))
def test_waiting_workers_busy_with_their_own_requests_never_get_two_places(live, round_):
    app, _ = live
    market = Market(app, headcount=2, workers_count=16)
    holders = market.holders(2)
    waiters = market.waiting(2, 8)
    bookers = market.workers[10:16]
    leaver, overlapper, again, direct = waiters[:4]
    calls = (
        [lambda t=t, b=b: ("cancel", market.cancel(t, b)) for _, t, b in holders]
        + [lambda t=t: ("book", market.book(t)) for _, t in bookers]
        + [
            lambda: ("leave", market.leave(leaver[1])),
            lambda: ("overlap", market.book(overlapper[1], market.overlapping_id)),
            lambda: ("again", market.join(again[1])),
            # Booking the very shift it waits for, while its place is being freed: the worker's
            # row is held by its own request, which waits for the shift's row held by the cancel.
            lambda: ("direct", market.book(direct[1])),
        ]
    )
    answers = dict(Counter((kind, status) for kind, (status, _) in together(calls)))
    outcome = Outcome(market)
    outcome.holds()
    assert answers.pop(("cancel", 200)) == 2
    assert answers.pop(("book", 409)) == 6
    # Joining twice is refused, whether the worker still waits or was booked meanwhile.
    assert answers.pop(("again", 409)) == 1
    # Never a free place to book around the waitlist: the cancel filled it in its transaction.
    assert answers.pop(("direct", 409)) == 1
    # The leaver either left before its turn came, or was booked and had nothing to leave.
    leave_status = next(status for kind, status in answers if kind == "leave")
    assert leave_status in (204, 404)
    assert (leave_status == 204) == (leaver[0] not in outcome.holding)
    # The overlapper got the other shift or this one's place, never both (holds() checks).
    overlap_status = next(status for kind, status in answers if kind == "overlap")
    assert (overlap_status == 201) == (overlapper[0] in outcome.overlapping)
    # Both places went to waiting workers, in turn among those free to take them.
    assert outcome.booked == 2 and len(outcome.from_waitlist) == 2
    assert set(outcome.from_waitlist) <= {worker_id for worker_id, _ in waiters}
    assert outcome.holding == set(outcome.from_waitlist)


def _http(method: str, url: str, token: str, body: Any = None) -> int:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(  # noqa: S310 — a loopback URL built by the test
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_gunicorn_processes_give_each_freed_place_to_the_next_waiting_worker(live, gunicorn):
    app, _ = live
    market = Market(app, headcount=3, workers_count=22)
    holders = market.holders(3)
    waiters = market.waiting(3, 5)
    bookers = market.workers[8:14]
    joiners = market.workers[14:20]
    crew = [worker_id for worker_id, _ in market.workers[20:22]]
    with app.app_context():
        job_id = db.session.get(Shift, market.shift_id).job_id
        db.session.remove()
    api = f"{gunicorn}/api/v1"
    calls = (
        [
            lambda t=t, b=b: (
                "cancel",
                _http("POST", f"{api}/bookings/{b}/cancel", t, {"reason": "临时有事"}),
            )
            for _, t, b in holders
        ]
        + [
            lambda t=t: ("book", _http("POST", f"{api}/shifts/{market.shift_id}/bookings", t))
            for _, t in bookers
        ]
        + [
            lambda t=t: ("join", _http("POST", f"{api}/shifts/{market.shift_id}/waitlist", t))
            for _, t in joiners
        ]
        # The employer offers a crew the same shift meanwhile: every place it could see freed
        # is already taken from the waitlist in the cancel's own transaction.
        + [
            lambda: (
                "crew",
                _http(
                    "POST",
                    f"{api}/jobs/{job_id}/crew",
                    market.employer_token,
                    {"worker_ids": crew},
                ),
            )
        ]
    )
    answers = Counter(together(calls))
    outcome = Outcome(market)
    outcome.holds()
    assert answers == {("cancel", 200): 3, ("book", 409): 6, ("join", 201): 6, ("crew", 200): 1}
    assert not outcome.holding & set(crew)
    first_three = [worker_id for worker_id, _ in waiters[:3]]
    assert outcome.booked == 3 and sorted(outcome.from_waitlist) == sorted(first_three)
    assert outcome.entries[:2] == [waiters[3][0], waiters[4][0]]
    assert set(outcome.entries[2:]) == {worker_id for worker_id, _ in joiners}
