"""Waitlists of full shifts (contract v1.1 "Repeat work"; "Consent": a freed place goes to the
waitlist first)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.bookings import offers
from marketplace.bookings.models import Agreement, Booking, WaitlistEntry
from marketplace.employers.models import Employer
from marketplace.jobs.models import Shift
from marketplace.notifications.models import Notification
from marketplace.scheduler import run_job
from tests.conftest import shift_times


def waitlist_url(shift_id: int) -> str:
    return f"/api/v1/shifts/{shift_id}/waitlist"


class Full:
    """A shift of two places, both booked, and helpers to wait for it."""

    def __init__(self, client, headers_of, database, make_worker, job, holders):
        self.client, self.headers_of, self.database = client, headers_of, database
        self.make_worker = make_worker
        self.job, self.shift = job, job.shifts[0]
        self.employer = database.get(Employer, job.employer_id)
        self.holders = holders  # (worker, booking id) of the two places

    def join(self, worker, **headers):
        return self.client.post(
            waitlist_url(self.shift.id), headers={**self.headers_of(worker), **headers}
        )

    def waiting(self, count: int) -> list:
        workers = []
        for _ in range(count):
            worker = self.make_worker()
            assert self.join(worker).status_code == 201
            workers.append(worker)
        return workers

    def listed(self, as_profile=None) -> list[dict]:
        response = self.client.get(
            waitlist_url(self.shift.id), headers=self.headers_of(as_profile or self.employer)
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def cancel(self, booking_id: int, by=None):
        return self.client.post(
            f"/api/v1/bookings/{booking_id}/cancel",
            json={"reason": "家中有事"},
            headers=self.headers_of(by or self.employer),
        )

    def booking_of(self, worker) -> Booking | None:
        self.database.expire_all()
        return self.database.scalar(
            select(Booking).where(
                Booking.shift_id == self.shift.id,
                Booking.worker_id == worker.id,
                Booking.status == "confirmed",
            )
        )

    def booked(self) -> int:
        self.database.expire_all()
        return self.database.scalar(select(Shift.booked).where(Shift.id == self.shift.id))

    def entries(self) -> list[int]:
        self.database.expire_all()
        return list(
            self.database.scalars(
                select(WaitlistEntry.worker_id)
                .where(WaitlistEntry.shift_id == self.shift.id)
                .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
            )
        )


def book(client, headers_of, worker, shift_id: int):
    return client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=headers_of(worker))


@pytest.fixture
def full(client, headers_of, database, make_worker, make_job):
    job = make_job(shifts=[{**shift_times(days_ahead=3, start_hour=9, hours=4), "headcount": 2}])
    holders = []
    for _ in range(2):
        worker = make_worker()
        response = book(client, headers_of, worker, job.shifts[0].id)
        assert response.status_code == 201
        holders.append((worker, response.get_json()["id"]))
    return Full(client, headers_of, database, make_worker, job, holders)


def notices(database, user_id: int, kind: str) -> list[Notification]:
    return list(
        database.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        )
    )


# --- joining and leaving ----------------------------------------------------------------------


def test_a_worker_waits_only_for_a_full_shift(client, headers_of, make_worker, make_job):
    job = make_job(shifts=[{**shift_times(days_ahead=3), "headcount": 1}])
    first, second = make_worker(), make_worker()
    refused = client.post(waitlist_url(job.shifts[0].id), headers=headers_of(first))
    assert refused.status_code == 409
    assert "book it instead" in refused.get_json()["message"]
    assert book(client, headers_of, first, job.shifts[0].id).status_code == 201
    joined = client.post(waitlist_url(job.shifts[0].id), headers=headers_of(second))
    assert joined.status_code == 201
    body = joined.get_json()
    assert set(body) == {"shift_id", "position", "joined_at"}
    assert body["shift_id"] == job.shifts[0].id and body["position"] == 1
    assert body["joined_at"].endswith("+08:00")


def test_the_turns_follow_the_order_of_joining(full):
    first, second, third = full.waiting(3)
    assert full.join(full.make_worker()).get_json()["position"] == 4
    listed = full.listed()
    assert [item["worker_id"] for item in listed[:3]] == [first.id, second.id, third.id]
    assert [item["position"] for item in listed] == [1, 2, 3, 4]
    mine = full.client.get("/api/v1/workers/me/waitlists", headers=full.headers_of(third))
    [entry] = mine.get_json()
    assert entry["shift_id"] == full.shift.id and entry["position"] == 3
    assert entry["title"] == full.job.title and entry["starts_at"]


def test_the_employer_sees_waiting_workers_as_it_sees_candidates(full):
    [waiting] = full.waiting(1)
    [item] = full.listed()
    # No full name (not known to the employer yet), nothing of where the worker lives.
    assert item["display_name"] == "张*" and item["name"] is None
    assert set(item) == {
        "position",
        "worker_id",
        "joined_at",
        "display_name",
        "name",
        "skills",
        "rating",
        "reliability",
        "completed_shifts",
    }
    assert item["worker_id"] == waiting.id and item["skills"] == ["cleaning"]


def test_a_worker_known_to_the_employer_shows_its_full_name(full, make_job):
    worker = full.make_worker(name="李小红")
    other = make_job(employer=full.employer, shifts=[{**shift_times(days_ahead=5), "headcount": 1}])
    assert book(full.client, full.headers_of, worker, other.shifts[0].id).status_code == 201
    assert full.join(worker).status_code == 201
    [item] = full.listed()
    assert item["display_name"] == "李*" and item["name"] == "李小红"


def test_a_job_that_requires_approval_has_no_waitlist(client, headers_of, make_worker, make_job):
    job = make_job(requires_approval=True, shifts=[{**shift_times(days_ahead=3), "headcount": 1}])
    response = client.post(waitlist_url(job.shifts[0].id), headers=headers_of(make_worker()))
    assert response.status_code == 409
    assert "no waitlist" in response.get_json()["message"]


def test_twice_on_the_list_is_409(full, database):
    [worker] = full.waiting(1)
    again = full.join(worker)
    assert again.status_code == 409
    assert "already on this shift's waitlist" in again.get_json()["message"]
    assert full.entries() == [worker.id]


def test_a_holder_of_the_shift_cannot_wait_for_it(full):
    holder, booking_id = full.holders[0]
    response = full.join(holder)
    assert response.status_code == 409
    assert f"booking {booking_id}" in response.get_json()["message"]


def test_a_blocked_worker_cannot_join(full, make_job):
    worker = full.make_worker()
    other = make_job(employer=full.employer, shifts=[{**shift_times(days_ahead=5), "headcount": 1}])
    assert book(full.client, full.headers_of, worker, other.shifts[0].id).status_code == 201
    blocked = full.client.put(
        f"/api/v1/employers/me/blocks/{worker.id}",
        json={"reason": "上次未按要求作业"},
        headers=full.headers_of(full.employer),
    )
    assert blocked.status_code == 200
    response = full.join(worker)
    assert response.status_code == 409
    assert "does not take bookings from you" in response.get_json()["message"]


def test_joining_checks_the_rules_of_a_booking(full, make_job):
    # A required skill, and an overlap with the worker's own booking elsewhere.
    unskilled = full.make_worker(skills=["delivery"])
    skilled = make_job(
        required_skills=["cleaning"], shifts=[{**shift_times(days_ahead=4), "headcount": 1}]
    )
    assert book(full.client, full.headers_of, full.make_worker(), skilled.shifts[0].id)
    refused = full.client.post(
        waitlist_url(skilled.shifts[0].id), headers=full.headers_of(unskilled)
    )
    assert refused.status_code == 409 and "cleaning" in refused.get_json()["message"]
    busy = full.make_worker()
    overlapping = make_job(shifts=[{**shift_times(days_ahead=3, start_hour=10), "headcount": 1}])
    assert book(full.client, full.headers_of, busy, overlapping.shifts[0].id).status_code == 201
    response = full.join(busy)
    assert response.status_code == 409 and "overlaps" in response.get_json()["message"]


def test_a_cancelled_or_started_shift_has_no_waitlist(full):
    worker = full.make_worker()
    with time_machine.travel(full.shift.starts_at + timedelta(minutes=1), tick=False):
        started = full.join(worker)
    assert started.status_code == 409 and "started" in started.get_json()["message"]
    full.client.post(
        f"/api/v1/shifts/{full.shift.id}/cancel",
        json={"reason": "商场停业"},
        headers=full.headers_of(full.employer),
    )
    cancelled = full.join(worker)
    assert cancelled.status_code == 409 and "cancelled" in cancelled.get_json()["message"]


def test_a_worker_leaves_and_those_after_it_move_up(full):
    first, second = full.waiting(2)
    url = waitlist_url(full.shift.id)
    assert full.client.delete(url, headers=full.headers_of(first)).status_code == 204
    assert full.client.delete(url, headers=full.headers_of(first)).status_code == 404
    assert [item["worker_id"] for item in full.listed()] == [second.id]
    assert full.listed()[0]["position"] == 1
    stranger = full.make_worker()
    assert full.client.delete(url, headers=full.headers_of(stranger)).status_code == 404
    assert (
        full.client.delete(waitlist_url(999999), headers=full.headers_of(second)).status_code == 404
    )
    actions = full.database.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("waitlist.%"))
    ).all()
    assert sorted(actions) == ["waitlist.joined", "waitlist.joined", "waitlist.left"]


# --- a freed place goes to the first who can still take it -----------------------------------


def test_a_cancel_books_the_first_waiting_worker_in_the_same_transaction(full, database):
    first, second = full.waiting(2)
    holder, booking_id = full.holders[0]
    response = full.cancel(booking_id, by=holder)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    booking = full.booking_of(first)
    assert booking is not None and full.booked() == 2
    assert full.booking_of(second) is None
    assert full.entries() == [second.id]
    assert full.listed()[0]["position"] == 1
    event = database.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "booking.confirmed", AuditEvent.entity_id == str(booking.id)
        )
    )
    assert event.data["from_waitlist"] is True
    [notice] = notices(database, first.user_id, "waitlist_booked")
    starts = booking.starts_at.astimezone(clock.local_now().tzinfo).strftime("%m月%d日 %H:%M")
    assert starts in notice.message and "候补" in notice.message
    assert notice.data["booking_id"] == booking.id
    # Joining was the worker's yes: the booking has its agreement, as the worker's own would.
    agreement = database.scalar(select(Agreement).where(Agreement.booking_id == booking.id))
    assert agreement is not None and agreement.kind == "part_time"
    seen = full.client.get(
        f"/api/v1/bookings/{booking.id}/agreement", headers=full.headers_of(first)
    )
    assert seen.status_code == 200
    assert notices(database, full.employer.user_id, "waitlist_filled")


def test_an_employer_cancel_fills_from_the_waitlist_too(full):
    [waiting] = full.waiting(1)
    _, booking_id = full.holders[1]
    assert full.cancel(booking_id).status_code == 200
    assert full.booking_of(waiting) is not None and full.entries() == []


def test_one_who_now_overlaps_is_passed_over_and_keeps_its_turn(full, make_job):
    first, second = full.waiting(2)
    clash = make_job(shifts=[{**shift_times(days_ahead=3, start_hour=11), "headcount": 1}])
    assert book(full.client, full.headers_of, first, clash.shifts[0].id).status_code == 201
    _, booking_id = full.holders[0]
    assert full.cancel(booking_id).status_code == 200
    assert full.booking_of(first) is None
    assert full.booking_of(second) is not None
    assert full.entries() == [first.id]  # kept, first in line for the next place
    assert full.listed()[0]["worker_id"] == first.id


def test_a_place_nobody_can_take_stays_free_and_the_list_stays(full, make_job):
    [waiting] = full.waiting(1)
    clash = make_job(shifts=[{**shift_times(days_ahead=3, start_hour=11), "headcount": 1}])
    clash_booking = book(full.client, full.headers_of, waiting, clash.shifts[0].id).get_json()
    _, booking_id = full.holders[0]
    assert full.cancel(booking_id).status_code == 200
    assert full.booked() == 1 and full.entries() == [waiting.id]
    # The clash ends; the worker books the free place itself, which ends its wait; cancelling
    # that booking later does not book it again from a wait it no longer has.
    assert full.cancel(clash_booking["id"], by=waiting).status_code == 200
    own = book(full.client, full.headers_of, waiting, full.shift.id)
    assert own.status_code == 201 and full.entries() == []
    assert full.cancel(own.get_json()["id"], by=waiting).status_code == 200
    assert full.booking_of(waiting) is None and full.booked() == 1


def test_an_offer_to_a_waiting_worker_ends_its_wait(full, make_job, database):
    [waiting] = full.waiting(1)
    _, booking_id = full.holders[0]
    clash = make_job(shifts=[{**shift_times(days_ahead=3, start_hour=11), "headcount": 1}])
    clash_id = book(full.client, full.headers_of, waiting, clash.shifts[0].id).get_json()["id"]
    assert full.cancel(booking_id).status_code == 200  # passed over: overlapping
    assert full.cancel(clash_id, by=waiting).status_code == 200
    employer_user = database.get(User, full.employer.user_id)
    offered = offers.offer(employer_user, database.get(type(waiting), waiting.id), full.shift)
    database.commit()
    assert offered.status == "offered" and full.entries() == []


def test_a_declined_offer_goes_to_the_waitlist(full, make_job, database):
    _, booking_id = full.holders[0]
    assert full.cancel(booking_id).status_code == 200
    chosen = full.make_worker()
    employer_user = database.get(User, full.employer.user_id)
    offer = offers.offer(employer_user, chosen, database.get(Shift, full.shift.id))
    database.commit()
    [waiting] = full.waiting(1)
    declined = full.client.post(
        f"/api/v1/bookings/{offer.id}/decline", json={}, headers=full.headers_of(chosen)
    )
    assert declined.status_code == 200
    assert full.booking_of(waiting) is not None and full.booked() == 2


def test_an_expired_offer_goes_to_the_waitlist(full, database, app):
    _, booking_id = full.holders[0]
    assert full.cancel(booking_id).status_code == 200
    chosen = full.make_worker()
    employer_user = database.get(User, full.employer.user_id)
    offer = offers.offer(employer_user, chosen, database.get(Shift, full.shift.id))
    database.commit()
    [waiting] = full.waiting(1)
    lapsed = time_machine.travel(offer.expires_at + timedelta(minutes=1), tick=False)
    with lapsed, app.app_context():
        assert run_job("offers").result == 1
    assert full.booking_of(waiting) is not None and full.booked() == 2
    assert notices(database, waiting.user_id, "waitlist_booked")


def test_a_raised_headcount_fills_from_the_waitlist_in_turn(full):
    first, second, third = full.waiting(3)
    raised = full.client.patch(
        f"/api/v1/shifts/{full.shift.id}",
        json={"headcount": 4},
        headers=full.headers_of(full.employer),
    )
    assert raised.status_code == 200
    assert raised.get_json()["booked"] == 4
    assert full.booking_of(first) and full.booking_of(second)
    assert full.booking_of(third) is None and full.entries() == [third.id]


def test_a_no_show_frees_a_place_nobody_waiting_can_take(full, app):
    [waiting] = full.waiting(1)
    started = time_machine.travel(full.shift.starts_at + timedelta(hours=1), tick=False)
    with started, app.app_context():
        assert run_job("no_shows").result == 2
    assert full.booking_of(waiting) is None and full.booked() == 0


def test_cancelling_the_shift_tells_the_waiting_workers_and_ends_the_list(full, database):
    first, second = full.waiting(2)
    response = full.client.post(
        f"/api/v1/shifts/{full.shift.id}/cancel",
        json={"reason": "商场停业"},
        headers=full.headers_of(full.employer),
    )
    assert response.status_code == 200
    assert full.entries() == [] and full.booked() == 0
    assert full.booking_of(first) is None and full.booking_of(second) is None
    for worker in (first, second):
        [notice] = notices(database, worker.user_id, "waitlist_cancelled")
        assert "已被用工方取消" in notice.message and "商场停业" in notice.message


def test_cancelling_the_job_ends_its_waitlists(full, database):
    [waiting] = full.waiting(1)
    response = full.client.post(
        f"/api/v1/jobs/{full.job.id}/cancel", headers=full.headers_of(full.employer)
    )
    assert response.status_code == 200
    assert full.entries() == []
    assert notices(database, waiting.user_id, "waitlist_cancelled")
    assert not notices(database, waiting.user_id, "waitlist_booked")


def test_closing_the_account_ends_its_waits(full, database):
    from tests.conftest import PASSWORD

    [waiting] = full.waiting(1)
    closed = full.client.post(
        "/api/v1/users/me/close", json={"password": PASSWORD}, headers=full.headers_of(waiting)
    )
    assert closed.status_code == 200, closed.get_json()
    assert full.entries() == []


# --- who may call what -------------------------------------------------------------------------


def test_roles_that_may_not_call_the_endpoints_get_403(full, make_user, auth_headers):
    [waiting] = full.waiting(1)
    url = waitlist_url(full.shift.id)
    official = auth_headers(make_user("official", city="wuxi"))
    admin = auth_headers(make_user("admin"))
    employer = full.headers_of(full.employer)
    for headers in (official, admin, employer):
        assert full.client.post(url, headers=headers).status_code == 403
        assert full.client.delete(url, headers=headers).status_code == 403
        assert full.client.get("/api/v1/workers/me/waitlists", headers=headers).status_code == 403
    for headers in (full.headers_of(waiting), official):
        assert full.client.get(url, headers=headers).status_code == 403
    assert full.client.get(url).status_code == 401


def test_only_the_shifts_own_side_and_admins_read_its_waitlist(
    full, make_employer, make_broker, make_user, auth_headers
):
    full.waiting(1)
    url = waitlist_url(full.shift.id)
    other = make_employer()
    stranger_broker = make_broker()
    assert full.client.get(url, headers=full.headers_of(other)).status_code == 404
    assert full.client.get(url, headers=full.headers_of(stranger_broker)).status_code == 404
    assert (
        full.client.get(waitlist_url(999999), headers=full.headers_of(full.employer)).status_code
        == 404
    )
    admin = auth_headers(make_user("admin"))
    assert len(full.client.get(url, headers=admin).get_json()) == 1
    broker = make_broker()
    full.client.post(
        "/api/v1/employers/me/brokers",
        json={"broker_id": broker.id},
        headers=full.headers_of(full.employer),
    )
    assert len(full.listed(broker)) == 1


def test_a_worker_without_a_profile_cannot_wait(full, make_user, auth_headers):
    headers = auth_headers(make_user("worker"))
    assert full.client.post(waitlist_url(full.shift.id), headers=headers).status_code == 409
    assert full.client.get("/api/v1/workers/me/waitlists", headers=headers).status_code == 404


def test_joining_honours_an_idempotency_key(full, database):
    worker = full.make_worker()
    first = full.join(worker, **{"Idempotency-Key": "join-1"})
    again = full.join(worker, **{"Idempotency-Key": "join-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    count = database.scalar(select(func.count()).select_from(WaitlistEntry))
    assert count == 1
