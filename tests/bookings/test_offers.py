"""Nobody is booked without saying yes: a committed plan makes offers the worker answers.

Contract v1.1 ("Consent") changes v1, where ``commit: true`` booked workers as confirmed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.bookings.models import Booking
from marketplace.jobs.models import Shift
from marketplace.notifications.models import Notification
from marketplace.scheduler import run_job
from marketplace.workers.models import Worker
from tests.conftest import shift_times

ASSIGN = "/api/v1/matching/assignments"


def at(instant: datetime):
    return time_machine.travel(instant, tick=False)


def booked(database, shift_id: int) -> int:
    return database.scalar(select(Shift.booked).where(Shift.id == shift_id))


def status_of(database, booking_id: int) -> str:
    database.expire_all()
    return database.scalar(select(Booking.status).where(Booking.id == booking_id))


def notices(database, user_id: int, kind: str) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
    return list(database.scalars(query))


@pytest.fixture
def market(make_employer, make_job, make_worker):
    """An employer with a job of two shifts four and five days ahead, and one worker."""
    employer = make_employer()
    job = make_job(
        employer=employer,
        requires_approval=True,
        shifts=[
            {**shift_times(days_ahead=4, start_hour=9, hours=4), "headcount": 1},
            {**shift_times(days_ahead=5, start_hour=9, hours=4), "headcount": 1},
        ],
    )
    return employer, job, make_worker()


def offer_all(client, headers_of, employer, shifts) -> list[int]:
    """Commit a plan for each of ``shifts`` in turn: the ids of the offers made.

    One request a shift: a plan gives each worker one place of its request.
    """
    ids = []
    for shift in shifts:
        response = client.post(
            ASSIGN, json={"shift_ids": [shift.id], "commit": True}, headers=headers_of(employer)
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["not_booked"] == [] and body["committed"] is True
        ids += [assignment["booking_id"] for assignment in body["assignments"]]
    return ids


def test_a_committed_plan_offers_each_place_and_the_offer_holds_it(
    client, headers_of, market, database
):
    employer, job, worker = market
    ids = offer_all(client, headers_of, employer, job.shifts)
    bookings = database.scalars(select(Booking).where(Booking.id.in_(ids))).all()
    # Even where the job requires approval: the employer chose, the worker has not yet said yes.
    assert {b.status for b in bookings} == {"offered"}
    assert all(booked(database, shift.id) == 1 for shift in job.shifts)
    assert {b.offered_by for b in bookings} == {employer.user_id}
    assert len(notices(database, worker.user_id, "booking_offered")) == 2
    actions = database.scalars(select(AuditEvent.action).where(AuditEvent.entity == "booking"))
    assert set(actions) == {"booking.offered"}


def test_an_offer_lapses_24_hours_after_it_was_made_or_2_hours_before_the_start(
    client, headers_of, make_job, make_employer, make_worker, database
):
    employer = make_employer()
    soon = make_job(employer=employer, shifts=[{**shift_times(days_ahead=1), "headcount": 1}])
    later = make_job(employer=employer, shifts=[{**shift_times(days_ahead=4), "headcount": 1}])
    make_worker()
    made = datetime.now().astimezone()
    with at(made):
        [near_id] = offer_all(client, headers_of, employer, soon.shifts)
        [far_id] = offer_all(client, headers_of, employer, later.shifts)
    near, far = database.get(Booking, near_id), database.get(Booking, far_id)
    assert near.expires_at == min(made + timedelta(hours=24), near.starts_at - timedelta(hours=2))
    assert far.expires_at == made + timedelta(hours=24)


def test_the_worker_accepts_an_offer_and_is_booked(client, headers_of, market, database):
    employer, job, worker = market
    [first, _] = offer_all(client, headers_of, employer, job.shifts)
    response = client.post(f"/api/v1/bookings/{first}/accept", headers=headers_of(worker))
    assert response.status_code == 200
    assert response.get_json()["status"] == "confirmed"
    event = database.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "booking.confirmed", AuditEvent.entity_id == str(first)
        )
    )
    assert event.data["accepted_offer"] is True
    assert notices(database, employer.user_id, "offer_accepted")


def test_the_worker_declines_an_offer_its_place_is_free_and_it_costs_nothing(
    client, headers_of, market, database
):
    employer, job, worker = market
    [first, _] = offer_all(client, headers_of, employer, job.shifts)
    response = client.post(
        f"/api/v1/bookings/{first}/decline", json={"reason": "那天有事"}, headers=headers_of(worker)
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "declined"
    assert booked(database, job.shifts[0].id) == 0
    assert database.scalar(select(Worker.reliability).where(Worker.id == worker.id)) is None
    assert notices(database, employer.user_id, "offer_declined")


def test_an_offer_nobody_answered_expires_instead_of_becoming_a_no_show(
    client, headers_of, market, database, app
):
    """The attack: book any worker of the city, then punish them for not coming."""
    employer, job, worker = market
    [first, second] = offer_all(client, headers_of, employer, job.shifts)
    after_both = job.shifts[1].ends_at + timedelta(hours=1)
    with at(after_both), app.app_context():
        assert run_job("offers").result == 2
        assert run_job("no_shows").result == 0
    assert {status_of(database, first), status_of(database, second)} == {"expired"}
    assert booked(database, job.shifts[0].id) == 0
    assert database.scalar(select(Worker.reliability).where(Worker.id == worker.id)) is None
    assert len(notices(database, worker.user_id, "offer_expired")) == 2
    assert notices(database, employer.user_id, "offer_expired")


def test_a_lapsed_offer_cannot_be_accepted_even_before_the_job_ran(
    client, headers_of, market, database
):
    employer, job, worker = market
    [first, _] = offer_all(client, headers_of, employer, job.shifts)
    with at(datetime.now().astimezone() + timedelta(hours=25)):
        response = client.post(f"/api/v1/bookings/{first}/accept", headers=headers_of(worker))
    assert response.status_code == 409 and "lapsed" in response.get_json()["message"]
    assert status_of(database, first) == "offered"


def test_an_offer_blocks_nothing_but_accepting_it_over_a_booking_of_ones_own_is_409(
    client, headers_of, market, make_job, database
):
    employer, job, worker = market
    [first, _] = offer_all(client, headers_of, employer, job.shifts)
    same_time = make_job(shifts=[{**shift_times(days_ahead=4, start_hour=10), "headcount": 1}])
    own = client.post(
        f"/api/v1/shifts/{same_time.shifts[0].id}/bookings", headers=headers_of(worker)
    )
    assert own.status_code == 201
    response = client.post(f"/api/v1/bookings/{first}/accept", headers=headers_of(worker))
    assert (
        response.status_code == 409 and str(own.get_json()["id"]) in response.get_json()["message"]
    )
    assert status_of(database, first) == "offered"


def test_the_worker_accepts_every_offer_of_a_job_at_once(client, headers_of, market, database):
    employer, job, worker = market
    ids = offer_all(client, headers_of, employer, job.shifts)
    response = client.post(f"/api/v1/jobs/{job.id}/offers/accept", headers=headers_of(worker))
    assert response.status_code == 200
    assert sorted(b["id"] for b in response.get_json()) == sorted(ids)
    assert {status_of(database, i) for i in ids} == {"confirmed"}


def test_accepting_a_jobs_offers_is_all_or_none(client, headers_of, market, make_job, database):
    employer, job, worker = market
    ids = offer_all(client, headers_of, employer, job.shifts)
    clash = make_job(shifts=[{**shift_times(days_ahead=5, start_hour=10), "headcount": 1}])
    client.post(f"/api/v1/shifts/{clash.shifts[0].id}/bookings", headers=headers_of(worker))
    response = client.post(f"/api/v1/jobs/{job.id}/offers/accept", headers=headers_of(worker))
    assert response.status_code == 409
    assert {status_of(database, i) for i in ids} == {"offered"}


def test_accepting_a_jobs_offers_without_any_is_409_and_an_unknown_job_404(
    client, headers_of, market
):
    _, job, worker = market
    response = client.post(f"/api/v1/jobs/{job.id}/offers/accept", headers=headers_of(worker))
    assert response.status_code == 409
    response = client.post("/api/v1/jobs/999999/offers/accept", headers=headers_of(worker))
    assert response.status_code == 404


def test_only_the_worker_offered_answers_the_offer(
    client, headers_of, market, make_worker, make_employer, database
):
    employer, job, _ = market
    [first, _] = offer_all(client, headers_of, employer, job.shifts)
    stranger = headers_of(make_worker())
    assert client.post(f"/api/v1/bookings/{first}/accept", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/bookings/{first}/decline", headers=stranger).status_code == 404
    # The employer's side accepts pending bookings, never an offer on the worker's behalf.
    own_side = headers_of(employer)
    assert client.post(f"/api/v1/bookings/{first}/accept", headers=own_side).status_code == 409
    assert client.post(f"/api/v1/bookings/{first}/decline", headers=own_side).status_code == 403
    other = headers_of(make_employer())
    assert client.post(f"/api/v1/jobs/{job.id}/offers/accept", headers=other).status_code == 403
    assert status_of(database, first) == "offered"


def test_the_worker_declines_rather_than_cancels_and_the_employer_may_withdraw(
    client, headers_of, market, database
):
    employer, job, worker = market
    [first, second] = offer_all(client, headers_of, employer, job.shifts)
    reason = {"reason": "改主意"}
    refused = client.post(
        f"/api/v1/bookings/{first}/cancel", json=reason, headers=headers_of(worker)
    )
    assert refused.status_code == 409 and "decline" in refused.get_json()["message"]
    withdrawn = client.post(
        f"/api/v1/bookings/{second}/cancel", json=reason, headers=headers_of(employer)
    )
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "cancelled"
    assert booked(database, job.shifts[1].id) == 0
    assert notices(database, worker.user_id, "booking_cancelled")


def test_a_shift_too_close_to_its_start_is_not_offered(
    client, headers_of, make_job, make_employer, make_worker, database
):
    employer = make_employer()
    job = make_job(employer=employer, shifts=[{**shift_times(days_ahead=1), "headcount": 1}])
    make_worker()
    shift = job.shifts[0]
    with at(shift.starts_at - timedelta(hours=1)):
        response = client.post(
            ASSIGN, json={"shift_ids": [shift.id], "commit": True}, headers=headers_of(employer)
        )
    [refused] = response.get_json()["not_booked"]
    assert "too late" in refused["reason"]
    assert database.scalar(select(func.count()).select_from(Booking)) == 0


def test_the_workers_bookings_list_shows_offers_with_their_expiry(client, headers_of, market):
    employer, job, worker = market
    offer_all(client, headers_of, employer, job.shifts)
    response = client.get("/api/v1/workers/me/bookings?status=offered", headers=headers_of(worker))
    items = response.get_json()
    assert len(items) == 2 and all(item["expires_at"] for item in items)
    assert {item["offered_by"] for item in items} == {employer.user_id}


def test_offered_hours_count_toward_the_part_time_week(
    client, headers_of, make_job, make_employer, make_worker
):
    """24 hours a week with one employer (劳动合同法 第六十八条): an offer holds its hours."""
    employer = make_employer()
    today = clock.local_now().date()
    monday = today + timedelta(days=7 - today.weekday())
    days = [(monday - today).days + day for day in range(3)]
    twelve_hours = [
        {**shift_times(days_ahead=day, start_hour=8, hours=12), "headcount": 1} for day in days
    ]
    job = make_job(employer=employer, shifts=twelve_hours)
    worker = make_worker()
    offer_all(client, headers_of, employer, job.shifts[:2])
    third = job.shifts[2]
    response = client.post(
        ASSIGN, json={"shift_ids": [third.id], "commit": True}, headers=headers_of(employer)
    )
    assert response.get_json()["unfilled"] == {str(third.id): 1}
    own = client.post(f"/api/v1/shifts/{third.id}/bookings", headers=headers_of(worker))
    assert own.status_code == 409 and "24 hours" in own.get_json()["message"]
