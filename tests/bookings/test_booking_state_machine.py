"""The booking state machine under random sequences of every transition (Hypothesis, stateful).

Steps drive the real HTTP API — book, accept, reject, an offer accepted or declined by its
worker, cancel (either side), check in (on site or far away), check out, no-show, approve (with
default, odd or impossible hours), mark paid, batch assignment (offers), cancelling a job, the
scheduled jobs — for three workers and five shifts with one or
two places (most overlapping in time, one job requiring approval), while the frozen clock moves
forward through the shifts' windows. After every step the database must hold:

- each shift's ``booked`` is within 0..headcount and equals its place-holding bookings;
- no worker holds two overlapping bookings that block each other (pending, confirmed, checked in);
- every booking's earning belongs to a completed booking (one each), of hours within the shift;
- a refused request (4xx, the rate limit's 429 included) changed nothing, and no request is 500;
- a scheduled job run twice in a row does nothing the second time.

Each example runs inside a savepoint of the test's transaction that is rolled back after it, so
examples start from the same empty market and Hypothesis's shrinking replays them faithfully.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask.testing import FlaskClient
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, scoped_session

from marketplace.audit.models import AuditEvent
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.bookings.models import (
    OVERLAP_BLOCKING_STATUSES,
    PLACE_HOLDING_STATUSES,
    Booking,
)
from marketplace.earnings.models import Earning
from marketplace.jobs.models import Job, Shift
from marketplace.matching import index
from marketplace.notifications.models import Notification
from marketplace.scheduler import run_job
from marketplace.workers.models import Worker
from tests.conftest import CITY_POINTS

pytestmark = pytest.mark.slow  # Hypothesis's state machine: `make test-fast` leaves it out

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday: all shifts fall inside one week for the part-time limit. Examples start two
# hours before the first shift.
DAY = datetime(2030, 3, 6, tzinfo=SHANGHAI)
BASE = DAY + timedelta(hours=7)
# (job, start hour, end hour, headcount). Job 0 confirms at once, job 1 requires approval, and
# job 2 (one shift overlapping most others) is the one a rule may cancel whole.
SHIFTS = [(0, 9, 13, 1), (0, 11, 15, 2), (1, 12, 16, 1), (1, 17, 19, 2), (2, 10, 12, 2)]
APPROVAL_JOB, CANCELLABLE_JOB = 1, 2
WORKERS = 3
SITE = dict(CITY_POINTS["wuxi"])
FAR = {"lat": SITE["lat"] + 0.05, "lon": SITE["lon"]}  # about 5.5 km away


def _instants() -> list[datetime]:
    """The moments the clock steps through: each shift's check-in opening, the time from which
    a no-show may be recorded, and the moment after its end."""
    moments = set()
    for _, start_hour, end_hour, _ in SHIFTS:
        start, end = DAY + timedelta(hours=start_hour), DAY + timedelta(hours=end_hour)
        moments.update({start - timedelta(minutes=30), start + timedelta(minutes=30)})
        moments.add(end + timedelta(minutes=1))
    return sorted(moments)


INSTANTS = _instants()
# action: (who takes it, the states it suits, the state it leads to).
TRANSITIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "accept": ("employer", ("pending",), "confirmed"),
    "accept-offer": ("worker", ("offered",), "confirmed"),
    "decline": ("worker", ("offered",), "declined"),
    "reject": ("employer", ("pending",), "rejected"),
    "cancel-by-worker": ("worker", ("pending", "confirmed"), "cancelled"),
    "cancel-by-employer": ("employer", ("offered", "pending", "confirmed"), "cancelled"),
    "check-in": ("worker", ("confirmed",), "checked_in"),
    "check-out": ("worker", ("checked_in",), "checked_out"),
    "no-show": ("employer", ("confirmed",), "no_show"),
    "approve": ("employer", ("checked_out",), "completed"),
    "paid": ("employer", ("completed",), "completed"),
}
# The natural next steps of a booking in each state.
NEXT: dict[str, tuple[str, ...]] = {
    "offered": ("accept-offer", "accept-offer", "decline", "cancel-by-employer"),
    "pending": ("accept", "accept", "reject", "cancel-by-worker"),
    "confirmed": ("check-in", "check-in", "check-in", "no-show", "cancel-by-employer"),
    "checked_in": ("check-out",),
    "checked_out": ("approve",),
    "completed": ("paid",),
}
# The moment an action is meant for, when a rule waits for it.
MOMENTS: dict[str, Callable[[Any], datetime]] = {
    "check-in": lambda booking: booking.starts_at - timedelta(minutes=30),
    "check-out": lambda booking: booking.ends_at,
    "no-show": lambda booking: booking.starts_at + timedelta(minutes=30),
}
# The kinds of step, weighted: booking and a booking's natural next step come most often.
STEPS = [
    *["book"] * 4,
    *["advance"] * 6,
    *sorted(TRANSITIONS),
    "wait",
    "wait",
    "assign",
    "cancel_job",
    "scheduled_job",
]
# Steps that act on every shift at once, at most this often per example.
CAPS = {"assign": 2, "cancel_job": 2, "scheduled_job": 3}
# Which booking a step acts on: an index into the bookings it may choose from.
PICK = st.integers(0, 63)
# A token lives 12 hours: one is issued again after 11.
TOKEN_REUSE = timedelta(hours=11)


@dataclass
class Market:
    """The fixtures one test hands to every example of the machine."""

    client: FlaskClient
    database: scoped_session
    make_worker: Callable[..., Any]
    make_employer: Callable[..., Any]
    make_job: Callable[..., Any]


# The machine's queries, built once (building a statement costs more than running it here).
BOOKINGS = (
    select(Booking.id, Booking.status, Booking.starts_at, Booking.ends_at, Worker.user_id)
    .join(Worker, Worker.id == Booking.worker_id)
    .order_by(Booking.id)
)
# What a refused request must leave as it was.
SNAPSHOT = (
    select(Booking.id, Booking.status).order_by(Booking.id),
    select(Shift.id, Shift.booked, Shift.cancelled_at).order_by(Shift.id),
    select(Earning.id, Earning.hours, Earning.paid_at).order_by(Earning.id),
    select(func.count()).select_from(AuditEvent),
    select(func.count()).select_from(Notification),
)
SHIFT_PLACES = select(
    Shift.id,
    Shift.booked,
    Shift.headcount,
    select(func.count())
    .where(Booking.shift_id == Shift.id, Booking.status.in_(PLACE_HOLDING_STATUSES))
    .scalar_subquery(),
)
_mine, _other = aliased(Booking), aliased(Booking)
OVERLAPPING = select(_mine.id, _other.id).where(
    _mine.worker_id == _other.worker_id,
    _mine.id < _other.id,
    _mine.status.in_(OVERLAP_BLOCKING_STATUSES),
    _other.status.in_(OVERLAP_BLOCKING_STATUSES),
    _mine.starts_at < _other.ends_at,
    _other.starts_at < _mine.ends_at,
)
BOOKING_EARNINGS = (
    select(
        Earning.booking_id,
        Earning.hours,
        Earning.amount,
        Booking.status,
        Booking.approved_hours,
        Booking.starts_at,
        Booking.ends_at,
        Job.hourly_wage,
    )
    .join(Booking, Booking.id == Earning.booking_id)
    .join(Shift, Shift.id == Booking.shift_id)
    .join(Job, Job.id == Shift.job_id)
)
COMPLETED = select(func.count()).select_from(Booking).where(Booking.status == "completed")


class BookingMachine(RuleBasedStateMachine):
    """A small market whose bookings move through every transition the API has."""

    market: Market  # set by the test

    def __init__(self) -> None:
        super().__init__()
        database = self.market.database
        database.remove()
        self.savepoint = database.get_bind().begin_nested()
        self.travel = time_machine.travel(BASE, tick=False)
        self.traveller = self.travel.start()
        self.now = BASE
        employer = self.market.make_employer()
        self.employer_user_id = employer.user_id
        jobs = [
            self.market.make_job(
                employer=employer,
                requires_approval=number == APPROVAL_JOB,
                shifts=[
                    {
                        "starts_at": (DAY + timedelta(hours=start)).isoformat(),
                        "ends_at": (DAY + timedelta(hours=end)).isoformat(),
                        "headcount": headcount,
                    }
                    for job, start, end, headcount in SHIFTS
                    if job == number
                ],
            )
            for number in range(3)
        ]
        self.job_ids = [job.id for job in jobs]
        self.shift_ids = [shift.id for job in jobs for shift in job.shifts]
        self.worker_user_ids = [self.market.make_worker().user_id for _ in range(WORKERS)]
        self.tokens: dict[int, tuple[str, datetime]] = {}
        self.last_snapshot: tuple[Any, ...] | None = None
        self.calls: Counter[str] = Counter()

    def teardown(self) -> None:
        """Undo the example: the market and everything done to it."""
        self.travel.stop()
        self.market.database.remove()
        self.savepoint.rollback()
        index.forget()

    # --- helpers ------------------------------------------------------------------------

    def _headers(self, user_id: int) -> dict[str, str]:
        """A bearer token of the user, issued again once the clock nears its expiry."""
        token, issued_at = self.tokens.get(user_id, ("", BASE - TOKEN_REUSE))
        if self.now - issued_at >= TOKEN_REUSE:
            database = self.market.database
            user = database.get(User, user_id)
            assert user is not None
            token = auth_services.create_token(user).access_token
            database.commit()
            self.tokens[user_id] = (token, self.now)
        return {"Authorization": f"Bearer {token}"}

    def _choose(self, pick: int, fitting: bool, statuses: tuple[str, ...]) -> Any:
        """A booking: one in ``statuses`` when ``fitting`` and there is one, else any at all.

        Picking among the bookings the action suits most of the time lets a run go deep (book,
        check in, check out, approve, pay); picking any at all checks the refusals.
        """
        rows = self.market.database.execute(BOOKINGS).all()
        suited = [row for row in rows if row.status in statuses] if fitting else []
        chosen = suited or rows
        return chosen[pick % len(chosen)] if chosen else None

    def _snapshot(self) -> tuple[Any, ...]:
        database = self.market.database
        return tuple(database.execute(query).all() for query in SNAPSHOT)

    def _post(
        self, user_id: int, path: str, allowed: set[int], body: dict[str, Any] | None = None
    ) -> Any:
        """POST as ``user_id``; the status must be allowed, and a refusal must change nothing."""
        headers = self._headers(user_id)
        before = self.last_snapshot or self._snapshot()
        response = self.market.client.post(path, json=body, headers=headers)
        assert response.status_code in allowed, (path, response.status_code, response.get_json())
        # Only these requests change the snapshot's rows between steps, so the one taken after a
        # request is the one before the next (the scheduled jobs forget it).
        self.last_snapshot = self._snapshot()
        if response.status_code >= 400:
            assert self.last_snapshot == before, (path, response.get_json())
            assert set(response.get_json()) >= {"code", "status", "message"}
        return response

    def _move_to(self, instant: datetime) -> None:
        """Time passes to ``instant`` (it never goes back)."""
        if instant > self.now:
            self.traveller.move_to(instant)
            self.now = instant

    # --- the rule ---------------------------------------------------------------------

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """One step of the market, of a kind drawn from ``STEPS``.

        A single rule on purpose: Hypothesis's swarm testing switches whole rules off per
        example, and a deep path (book, check in, check out, approve, pay) needs all of them.
        """
        kind = data.draw(st.sampled_from(STEPS), label="kind")
        if kind == "book":
            worker = data.draw(st.integers(0, WORKERS - 1), label="worker")
            self._book(worker, data.draw(st.integers(0, len(SHIFTS) - 1), label="shift"))
        elif kind == "advance":
            booking = self._choose(data.draw(PICK, label="pick"), True, tuple(NEXT))
            if booking is not None and booking.status in NEXT:
                action = data.draw(st.sampled_from(NEXT[booking.status]), label="action")
                self._transition(booking, action, data)
        elif kind in TRANSITIONS:
            fitting = data.draw(st.booleans(), label="fitting")
            booking = self._choose(data.draw(PICK, label="pick"), fitting, TRANSITIONS[kind][1])
            if booking is not None:
                self._transition(booking, kind, data)
        elif kind == "wait":
            later = [instant for instant in INSTANTS if instant > self.now]
            if later:
                self._move_to(later[0])
        elif self.calls[kind] < CAPS[kind]:
            self.calls[kind] += 1
            getattr(self, f"_{kind}")(data)

    def _book(self, worker: int, shift: int) -> None:
        """A worker books a shift (429 once the rate limit is reached: nothing changes)."""
        path = f"/api/v1/shifts/{self.shift_ids[shift]}/bookings"
        response = self._post(self.worker_user_ids[worker], path, {201, 409, 429})
        if response.status_code == 201:
            expected = "pending" if SHIFTS[shift][0] == APPROVAL_JOB else "confirmed"
            assert response.get_json()["status"] == expected

    def _transition(self, booking: Any, action: str, data: st.DataObject) -> None:
        """Take ``action`` on the booking, by the side that may; maybe at the action's moment.

        A check-in may be 5 km away (422); approved hours may be zero or more than the shift's
        (422); a check-out far away is recorded, never refused.
        """
        side, _, then = TRANSITIONS[action]
        if action in MOMENTS and data.draw(st.booleans(), label="on time"):
            self._move_to(MOMENTS[action](booking))
        path_action, body, also = action, None, ()
        if action == "accept-offer":
            path_action = "accept"
        elif action.startswith("cancel"):
            path_action, body = "cancel", {"reason": "有事"}
        elif action in ("reject", "decline"):
            body = {"reason": "满员"}
        elif action == "check-in":
            body, also = (FAR if data.draw(st.booleans(), label="far") else SITE), (422,)
        elif action == "check-out":
            body = FAR if data.draw(st.booleans(), label="far") else SITE
        elif action == "approve":
            hours = data.draw(st.sampled_from([None, "0.25", "2.00", "0", "99.00"]), label="hours")
            body, also = ({} if hours is None else {"hours": hours}), (422,)
        elif action == "paid":
            # Paying before the work ended (a worker who left early) is 422 (v1.1).
            body, also = {}, (422,)
        user_id = booking.user_id if side == "worker" else self.employer_user_id
        path = f"/api/v1/bookings/{booking.id}/{path_action}"
        response = self._post(user_id, path, {200, 409, *also}, body)
        if response.status_code == 200 and action == "paid":
            assert response.get_json()["paid_at"] is not None
        elif response.status_code == 200:
            assert response.get_json()["status"] == then

    def _assign(self, data: st.DataObject) -> None:
        """The employer fills shifts with the batch assignment: offers the workers answer."""
        chosen = data.draw(st.sets(st.integers(0, len(SHIFTS) - 1), min_size=1), label="shifts")
        body = {"shift_ids": [self.shift_ids[i] for i in sorted(chosen)], "commit": True}
        self._post(self.employer_user_id, "/api/v1/matching/assignments", {200}, body)

    def _cancel_job(self, data: st.DataObject) -> None:
        """The employer cancels job 2 with its future shifts and their bookings (then 409)."""
        path = f"/api/v1/jobs/{self.job_ids[CANCELLABLE_JOB]}/cancel"
        self._post(self.employer_user_id, path, {200, 409})

    def _scheduled_job(self, data: st.DataObject) -> None:
        """A scheduled job runs (now, or 16 days on), and again at once: the second does nothing."""
        names = ["no_shows", "offers", "reminders", "wage_arrears"]
        name = data.draw(st.sampled_from(names), label="job")
        self._move_to(self.now + timedelta(days=data.draw(st.sampled_from([0, 16]), label="days")))
        self.last_snapshot = None
        assert run_job(name).ran
        assert run_job(name).result == 0

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def places_are_counted_exactly(self) -> None:
        """``booked`` is within the headcount and equals the place-holding bookings."""
        for shift_id, booked, headcount, held in self.market.database.execute(SHIFT_PLACES):
            assert 0 <= booked <= headcount, (shift_id, booked, headcount)
            assert booked == held, (shift_id, booked, held)

    @invariant()
    def no_worker_holds_overlapping_bookings(self) -> None:
        """No worker has two overlapping bookings that are pending, confirmed or checked in."""
        assert self.market.database.execute(OVERLAPPING).all() == []

    @invariant()
    def earnings_belong_to_completed_bookings(self) -> None:
        """Each booking earning has a completed booking, each completed booking one earning."""
        database = self.market.database
        rows = database.execute(BOOKING_EARNINGS).all()
        for row in rows:
            assert row.status == "completed", row
            length = Decimal(int((row.ends_at - row.starts_at).total_seconds())) / 3600
            assert 0 < row.hours <= length and row.hours == row.approved_hours, row
            assert row.amount == (row.hours * row.hourly_wage).quantize(Decimal("0.01")), row
        assert database.scalar(COMPLETED) == len(rows)


# Bounded (about 600 steps) and the same every run: derandomised, no example database, and no
# deadline, since a step's time depends on a shared machine.
SETTINGS = settings(
    max_examples=20, stateful_step_count=30, deadline=None, derandomize=True, database=None
)


def test_the_booking_state_machine_keeps_its_invariants(
    client: FlaskClient,
    database: scoped_session,
    make_worker: Callable[..., Any],
    make_employer: Callable[..., Any],
    make_job: Callable[..., Any],
) -> None:
    BookingMachine.market = Market(client, database, make_worker, make_employer, make_job)
    run_state_machine_as_test(BookingMachine, settings=SETTINGS)
