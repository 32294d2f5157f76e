"""Booking a shift: capacity, overlap, skills, part-time limits, approval, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.bookings.models import Booking
from marketplace.brokers import delegations
from marketplace.jobs.models import Shift
from marketplace.notifications.models import Notification
from tests.conftest import shift_times


def book(client, headers, shift_id):
    return client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=headers)


def booking_count(database) -> int:
    return database.scalar(select(func.count()).select_from(Booking))


def booked(database, shift_id) -> int:
    return database.scalar(select(Shift.booked).where(Shift.id == shift_id))


@pytest.fixture
def shift(make_job):
    return make_job(shifts=[{**shift_times(days_ahead=3), "headcount": 2}]).shifts[0]


def test_a_worker_books_an_open_shift_and_holds_a_place(
    client, headers_of, make_worker, shift, database
):
    worker = make_worker()
    response = book(client, headers_of(worker), shift.id)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["shift_id"], body["worker_id"], body["status"]) == (
        shift.id,
        worker.id,
        "confirmed",
    )
    assert booked(database, shift.id) == 1
    [event] = database.scalars(select(AuditEvent).where(AuditEvent.action == "booking.confirmed"))
    assert event.entity_id == str(body["id"])


def test_a_full_shift_is_409_and_changes_nothing(
    client, headers_of, make_worker, make_job, database
):
    shift = make_job(shifts=[{**shift_times(), "headcount": 1}]).shifts[0]
    assert book(client, headers_of(make_worker()), shift.id).status_code == 201
    before = booking_count(database)
    response = book(client, headers_of(make_worker()), shift.id)
    assert response.status_code == 409
    assert "full" in response.get_json()["message"]
    assert booking_count(database) == before and booked(database, shift.id) == 1


def test_a_second_booking_of_the_same_shift_is_409(
    client, headers_of, make_worker, shift, database
):
    headers = headers_of(make_worker())
    book(client, headers, shift.id)
    assert book(client, headers, shift.id).status_code == 409
    assert booking_count(database) == 1 and booked(database, shift.id) == 1


def test_after_a_cancel_the_worker_may_book_again(client, headers_of, make_worker, shift, database):
    headers = headers_of(make_worker())
    first = book(client, headers, shift.id).get_json()
    client.post(f"/api/v1/bookings/{first['id']}/cancel", json={"reason": "改期"}, headers=headers)
    again = book(client, headers, shift.id)
    assert again.status_code == 201
    assert booked(database, shift.id) == 1


def test_overlapping_bookings_are_refused_but_back_to_back_is_fine(
    client, headers_of, make_worker, make_job, database
):
    morning = make_job(shifts=[{**shift_times(start_hour=8, hours=4), "headcount": 1}]).shifts[0]
    overlapping = make_job(shifts=[{**shift_times(start_hour=11, hours=4), "headcount": 1}]).shifts[
        0
    ]
    afternoon = make_job(shifts=[{**shift_times(start_hour=12, hours=4), "headcount": 1}]).shifts[0]
    headers = headers_of(make_worker())
    assert book(client, headers, morning.id).status_code == 201
    clash = book(client, headers, overlapping.id)
    assert clash.status_code == 409 and "overlaps" in clash.get_json()["message"]
    assert book(client, headers, afternoon.id).status_code == 201
    assert booking_count(database) == 2


def test_a_pending_booking_also_blocks_an_overlapping_one(
    client, headers_of, make_worker, make_job
):
    approval = make_job(
        requires_approval=True, shifts=[{**shift_times(start_hour=8, hours=4), "headcount": 1}]
    )
    other = make_job(shifts=[{**shift_times(start_hour=9, hours=4), "headcount": 1}])
    headers = headers_of(make_worker())
    assert book(client, headers, approval.shifts[0].id).get_json()["status"] == "pending"
    assert book(client, headers, other.shifts[0].id).status_code == 409


def test_required_skills_are_needed(client, headers_of, make_worker, make_job, database):
    shift = make_job(required_skills=["elderly_care"]).shifts[0]
    response = book(client, headers_of(make_worker(skills=["cleaning"])), shift.id)
    assert response.status_code == 409 and "elderly_care" in response.get_json()["message"]
    assert booking_count(database) == 0
    carer = make_worker(skills=["elderly_care"])
    assert book(client, headers_of(carer), shift.id).status_code == 201


def test_a_worker_without_a_profile_gets_409(client, auth_headers, make_user, shift, database):
    response = book(client, auth_headers(make_user("worker")), shift.id)
    assert response.status_code == 409
    assert booking_count(database) == 0


@pytest.mark.parametrize("role", ["employer", "broker", "official", "admin"])
def test_only_workers_book(client, auth_headers, make_user, shift, role):
    user = make_user(role, city="wuxi" if role == "official" else None)
    assert book(client, auth_headers(user), shift.id).status_code == 403


def test_a_missing_shift_is_404(client, headers_of, make_worker):
    assert book(client, headers_of(make_worker()), 999999).status_code == 404


def test_started_and_cancelled_shifts_cannot_be_booked(
    client, headers_of, make_worker, make_job, database
):
    job = make_job(
        shifts=[
            {**shift_times(days_ahead=1), "headcount": 1},
            {**shift_times(days_ahead=2), "headcount": 1},
        ]
    )
    headers = headers_of(make_worker())
    with time_machine.travel(job.shifts[0].starts_at + timedelta(minutes=1), tick=False):
        headers = headers_of(make_worker())
        assert book(client, headers, job.shifts[0].id).status_code == 409
    job.shifts[1].cancelled_at = job.created_at
    database.commit()
    assert book(client, headers, job.shifts[1].id).status_code == 409
    assert booking_count(database) == 0


# --- part-time limits (劳动合同法 第六十八条) ---------------------------------------------


def weekly_job(make_job, employer, employment_type="part_time", hours=8, days=(7, 8, 9, 10)):
    """Shifts on a calendar week's Monday onwards (days counted from the next Monday)."""
    from marketplace import clock

    today = clock.local_now().date()
    next_monday = 7 - today.weekday()
    shifts = [
        {**shift_times(days_ahead=next_monday + day - 7, start_hour=8, hours=hours), "headcount": 5}
        for day in days
    ]
    return make_job(employer=employer, employment_type=employment_type, shifts=shifts)


def test_part_time_hours_for_one_employer_stop_at_24_a_week(
    client, headers_of, make_worker, make_employer, make_job, database
):
    employer = make_employer()
    job = weekly_job(make_job, employer, days=(7, 8, 9, 10))  # Monday to Thursday, 8 h each
    headers = headers_of(make_worker())
    for shift in job.shifts[:3]:
        assert book(client, headers, shift.id).status_code == 201  # 24 h
    fourth = book(client, headers, job.shifts[3].id)
    assert fourth.status_code == 409
    assert "24" in fourth.get_json()["message"] and "article 68" in fourth.get_json()["message"]
    assert booking_count(database) == 3


def test_the_part_time_limit_is_per_employer_and_per_week(
    client, headers_of, make_worker, make_employer, make_job
):
    first, second = make_employer(), make_employer()
    headers = headers_of(make_worker())
    for shift in weekly_job(make_job, first, days=(7, 8, 9)).shifts:
        assert book(client, headers, shift.id).status_code == 201
    other_employer = weekly_job(make_job, second, days=(11,)).shifts[0]
    assert book(client, headers, other_employer.id).status_code == 201
    next_week = weekly_job(make_job, first, days=(14,)).shifts[0]
    assert book(client, headers, next_week.id).status_code == 201


def test_full_time_work_is_not_under_the_part_time_limit(
    client, headers_of, make_worker, make_employer, make_job
):
    employer = make_employer()
    job = weekly_job(make_job, employer, employment_type="full_time", hours=10, days=(7, 8, 9, 10))
    headers = headers_of(make_worker())
    assert all(book(client, headers, shift.id).status_code == 201 for shift in job.shifts)


# --- approval flow ----------------------------------------------------------------------------


@pytest.fixture
def approval_shift(make_job):
    return make_job(requires_approval=True, shifts=[{**shift_times(), "headcount": 1}]).shifts[0]


def test_a_pending_booking_holds_no_place_until_accepted(
    client, headers_of, make_worker, approval_shift, database
):
    worker = make_worker()
    pending = book(client, headers_of(worker), approval_shift.id).get_json()
    assert pending["status"] == "pending" and booked(database, approval_shift.id) == 0
    employer_headers = employer_headers_of(database, approval_shift, headers_of)
    accepted = client.post(f"/api/v1/bookings/{pending['id']}/accept", headers=employer_headers)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "confirmed"
    assert booked(database, approval_shift.id) == 1
    notice = database.scalar(select(Notification).where(Notification.kind == "booking_accepted"))
    assert notice.user_id == worker.user_id


def employer_headers_of(database, shift, headers_of):
    from marketplace.employers.models import Employer

    return headers_of(database.get(Employer, shift.job.employer_id))


def test_accept_is_409_when_the_shift_filled_up_meanwhile(
    client, headers_of, make_worker, approval_shift, database
):
    first = book(client, headers_of(make_worker()), approval_shift.id).get_json()
    second = book(client, headers_of(make_worker()), approval_shift.id).get_json()
    headers = employer_headers_of(database, approval_shift, headers_of)
    assert client.post(f"/api/v1/bookings/{first['id']}/accept", headers=headers).status_code == 200
    late = client.post(f"/api/v1/bookings/{second['id']}/accept", headers=headers)
    assert late.status_code == 409
    assert database.get(Booking, second["id"]).status == "pending"
    assert booked(database, approval_shift.id) == 1


def test_reject_ends_a_pending_booking_and_only_pending_ones(
    client, headers_of, make_worker, approval_shift, database
):
    pending = book(client, headers_of(make_worker()), approval_shift.id).get_json()
    headers = employer_headers_of(database, approval_shift, headers_of)
    rejected = client.post(
        f"/api/v1/bookings/{pending['id']}/reject", json={"reason": "人已招满"}, headers=headers
    )
    assert rejected.get_json()["status"] == "rejected"
    again = client.post(f"/api/v1/bookings/{pending['id']}/accept", headers=headers)
    assert again.status_code == 409


def test_only_the_shifts_side_may_accept(
    client, headers_of, make_worker, make_employer, make_broker, approval_shift, database
):
    worker = make_worker()
    pending = book(client, headers_of(worker), approval_shift.id).get_json()
    path = f"/api/v1/bookings/{pending['id']}/accept"
    # v1.1: a worker accepts offers made to it; its own pending booking is the shift side's.
    own = client.post(path, headers=headers_of(worker))
    assert own.status_code == 409 and "an offer waiting for the worker" in own.get_json()["message"]
    assert client.post(path, headers=headers_of(make_employer())).status_code == 404
    assert client.post(path, headers=headers_of(make_broker())).status_code == 404
    assert database.get(Booking, pending["id"]).status == "pending"


def test_a_delegated_broker_may_accept(
    client, headers_of, make_worker, make_broker, approval_shift, database
):
    from marketplace.auth.models import User
    from marketplace.employers.models import Employer

    broker = make_broker()
    employer = database.get(Employer, approval_shift.job.employer_id)
    delegations.delegate(database.get(User, employer.user_id), broker.id)
    database.commit()
    pending = book(client, headers_of(make_worker()), approval_shift.id).get_json()
    response = client.post(f"/api/v1/bookings/{pending['id']}/accept", headers=headers_of(broker))
    assert response.status_code == 200
    event = database.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "booking.confirmed")
        .order_by(AuditEvent.seq.desc())
    )
    assert event.data["broker_id"] == broker.id and event.data["employer_id"] == employer.id


# --- cancelling -----------------------------------------------------------------------------


def test_a_workers_cancel_frees_the_place(client, headers_of, make_worker, shift, database):
    headers = headers_of(make_worker())
    booking = book(client, headers, shift.id).get_json()
    response = client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "生病"}, headers=headers
    )
    assert response.status_code == 200
    assert (
        response.get_json()["status"] == "cancelled" and response.get_json()["late_cancel"] is False
    )
    assert booked(database, shift.id) == 0


def test_a_cancel_less_than_12_hours_before_the_start_is_late(
    client, headers_of, make_worker, shift, database
):
    worker = make_worker()
    with time_machine.travel(shift.starts_at - timedelta(hours=11, minutes=59), tick=False):
        headers = headers_of(worker)
        booking = book(client, headers, shift.id).get_json()
        cancelled = client.post(
            f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "临时有事"}, headers=headers
        )
    assert cancelled.get_json()["late_cancel"] is True
    database.refresh(worker)
    assert worker.reliability == 0.0


def test_cancel_needs_a_reason(client, headers_of, make_worker, shift, database):
    headers = headers_of(make_worker())
    booking = book(client, headers, shift.id).get_json()
    response = client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=headers)
    assert response.status_code == 422
    assert database.get(Booking, booking["id"]).status == "confirmed"


def test_another_worker_cannot_touch_my_booking(client, headers_of, make_worker, shift, database):
    booking = book(client, headers_of(make_worker()), shift.id).get_json()
    stranger = headers_of(make_worker())
    assert (
        client.post(
            f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "x"}, headers=stranger
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=stranger).status_code == 404
    assert database.get(Booking, booking["id"]).status == "confirmed"


def test_cancelling_a_job_cancels_its_bookings(client, headers_of, make_worker, make_job, database):
    job = make_job(shifts=[{**shift_times(), "headcount": 3}])
    workers = [make_worker() for _ in range(2)]
    ids = [book(client, headers_of(w), job.shifts[0].id).get_json()["id"] for w in workers]
    employer_headers = employer_headers_of(database, job.shifts[0], headers_of)
    assert client.post(f"/api/v1/jobs/{job.id}/cancel", headers=employer_headers).status_code == 200
    assert {database.get(Booking, i).status for i in ids} == {"cancelled"}
    assert booked(database, job.shifts[0].id) == 0
    kinds = database.scalars(
        select(Notification.kind).where(Notification.user_id.in_([w.user_id for w in workers]))
    )
    assert set(kinds) == {"booking_cancelled"}


# --- reading bookings -----------------------------------------------------------------------


def test_lists_of_bookings_for_the_worker_and_for_the_shift(
    client, headers_of, make_worker, make_employer, shift, database
):
    worker = make_worker()
    mine = book(client, headers_of(worker), shift.id).get_json()
    book(client, headers_of(make_worker()), shift.id)
    assert [
        b["id"]
        for b in client.get("/api/v1/workers/me/bookings", headers=headers_of(worker)).get_json()
    ] == [mine["id"]]
    employer_headers = employer_headers_of(database, shift, headers_of)
    listed = client.get(f"/api/v1/shifts/{shift.id}/bookings", headers=employer_headers)
    assert len(listed.get_json()) == 2
    assert (
        client.get(
            f"/api/v1/shifts/{shift.id}/bookings", headers=headers_of(make_employer())
        ).status_code
        == 403
    )
    assert (
        client.get(f"/api/v1/shifts/{shift.id}/bookings", headers=headers_of(worker)).status_code
        == 403
    )


def test_an_employer_sees_a_worker_once_booked_and_only_the_limited_view(
    client, headers_of, make_worker, shift, database
):
    worker = make_worker()
    employer_headers = employer_headers_of(database, shift, headers_of)
    assert client.get(f"/api/v1/workers/{worker.id}", headers=employer_headers).status_code == 404
    book(client, headers_of(worker), shift.id)
    seen = client.get(f"/api/v1/workers/{worker.id}", headers=employer_headers)
    assert seen.status_code == 200
    assert set(seen.get_json()) == {"id", "name", "skills", "rating", "reliability"}


def test_booking_loads_the_worker_and_the_shift_with_what_it_checks(
    client, make_worker, make_job, headers_of, count_queries
):
    worker = make_worker(skills=["cleaning"])
    job = make_job(required_skills=["cleaning"])
    headers = headers_of(worker)
    url = f"/api/v1/shifts/{job.shifts[0].id}/bookings"
    before = count_queries()
    response = client.post(url, headers=headers)
    statements = count_queries() - before
    assert response.status_code == 201
    # token, the rate limit (user lock, attempts in the window, this attempt), worker with
    # skills and its row lock, shift with job and skills, the live and overlapping bookings,
    # the part-time hours (part-time jobs only), place, insert, the agreement (its parties in
    # one look-up, its insert), audit of both events at once (lock on PostgreSQL, tail, one
    # write): 15 on PostgreSQL (22 before the hot-path work; 13 before agreements, v1.1).
    assert statements <= 15


def test_a_worker_without_the_skill_is_still_refused(client, make_worker, make_job, headers_of):
    worker = make_worker(skills=["delivery"])
    job = make_job(required_skills=["cleaning"])
    response = client.post(
        f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(worker)
    )
    assert response.status_code == 409
    assert "cleaning" in response.get_json()["message"]


def test_the_booking_lists_cost_the_same_few_queries_however_many_earnings_they_show(
    client, headers_of, make_worker, make_job, database, count_queries
):
    """Each booking's earning is loaded with the list, not looked up once per booking."""
    from datetime import date

    from marketplace.employers.models import Employer
    from tests.subsidies.conftest import add_booking_earning

    worker = make_worker()
    job = make_job(shifts=[{**shift_times(days_ahead=d), "headcount": 5} for d in (3, 4, 5, 6)])
    employer = database.get(Employer, job.employer_id)
    shift = job.shifts[0]

    def queries(path: str, headers: dict[str, str], expected: int) -> int:
        before = count_queries()
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and len(response.get_json()) == expected
        return count_queries() - before

    def add_completed(count: int) -> None:
        for n in range(count):
            add_booking_earning(
                database, worker.id, (shift.id, employer.id), date(2026, 1, 1 + n), "240.00"
            )
        database.commit()

    worker_headers, employer_headers = headers_of(worker), headers_of(employer)
    mine, theirs = "/api/v1/workers/me/bookings", f"/api/v1/shifts/{shift.id}/bookings"
    add_completed(1)
    few = queries(mine, worker_headers, 1), queries(theirs, employer_headers, 1)
    add_completed(4)
    many = queries(mine, worker_headers, 5), queries(theirs, employer_headers, 5)
    assert many == few
    listed = client.get(mine, headers=worker_headers).get_json()
    assert all(item["earning"]["amount"] == "240.00" for item in listed)
