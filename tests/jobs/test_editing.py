"""Editing posted work (contract v1.1 "Everyday use"): a job's fields, a shift's headcount, one
shift cancelled — and what booked workers keep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.brokers import delegations
from marketplace.employers.models import Employer
from marketplace.notifications.models import Notification
from tests.bookings.conftest import at
from tests.conftest import shift_times


@pytest.fixture
def posted(make_job, database):
    """A job of two future shifts (2 places each), 30.00 an hour, and its employer."""
    job = make_job(
        hourly_wage="30.00",
        shifts=[
            {**shift_times(days_ahead=2), "headcount": 2},
            {**shift_times(days_ahead=3), "headcount": 2},
        ],
    )
    job.employer = database.get(Employer, job.employer_id)  # for the tests, not mapped
    return job


def patch_job(client, headers, job_id, **body):
    return client.patch(f"/api/v1/jobs/{job_id}", json=body, headers=headers)


def book(client, headers_of, worker, shift_id):
    response = client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=headers_of(worker))
    assert response.status_code == 201
    return response.get_json()["id"]


def messages(database, user_id, kind):
    return list(
        database.scalars(
            select(Notification.message).where(
                Notification.user_id == user_id, Notification.kind == kind
            )
        )
    )


# --- PATCH /jobs/{id} -------------------------------------------------------------------------


def test_only_the_given_fields_change_and_the_change_is_audited(
    client, headers_of, posted, database
):
    employer = posted.employer
    response = patch_job(client, headers_of(employer), posted.id, title="商场夜间保洁")
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "商场夜间保洁" and body["address"] == posted.address
    assert body["hourly_wage"] == "30.00"
    [event] = database.scalars(select(AuditEvent).where(AuditEvent.action == "job.updated"))
    assert event.data["changes"] == {"title": ["商场保洁", "商场夜间保洁"]}


def test_skills_and_the_wage_change_too(client, headers_of, posted):
    response = patch_job(
        client,
        headers_of(posted.employer),
        posted.id,
        required_skills=["cleaning", "cleaning"],
        hourly_wage="28.00",
    )
    assert response.status_code == 200
    assert response.get_json()["required_skills"] == ["cleaning"]
    assert response.get_json()["hourly_wage"] == "28.00"


def test_once_booked_the_wage_only_goes_up_and_the_workers_are_told(
    client, headers_of, posted, make_worker, database
):
    worker = make_worker()
    book(client, headers_of, worker, posted.shifts[0].id)
    headers = headers_of(posted.employer)
    lower = patch_job(client, headers, posted.id, hourly_wage="29.00")
    assert lower.status_code == 409
    higher = patch_job(
        client, headers, posted.id, hourly_wage="32.00", address="无锡市梁溪区中山路2号"
    )
    assert higher.status_code == 200 and higher.get_json()["hourly_wage"] == "32.00"
    [message] = messages(database, worker.user_id, "job_changed")
    assert "时薪" in message and "32.00" in message and "地址" in message


def test_a_wage_below_the_minimum_on_a_shifts_day_is_422(client, headers_of, posted):
    response = patch_job(client, headers_of(posted.employer), posted.id, hourly_wage="10.00")
    assert response.status_code == 422 and "hourly_wage" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    "body",
    [{"title": ""}, {"hourly_wage": "abc"}, {"required_skills": ["a b"]}, {"city": "xining"}],
)
def test_bad_fields_are_422_and_change_nothing(client, headers_of, posted, database, body):
    response = patch_job(client, headers_of(posted.employer), posted.id, **body)
    assert response.status_code == 422
    assert database.scalar(select(AuditEvent).where(AuditEvent.action == "job.updated")) is None


def test_a_cancelled_job_is_not_edited(client, headers_of, posted):
    headers = headers_of(posted.employer)
    client.post(f"/api/v1/jobs/{posted.id}/cancel", headers=headers)
    assert patch_job(client, headers, posted.id, title="x").status_code == 409


def test_its_broker_edits_another_employer_may_not(
    client, headers_of, posted, make_broker, make_employer, database
):
    broker = make_broker()
    delegations.delegate(database.get(User, posted.employer.user_id), broker.id)
    database.commit()
    assert patch_job(client, headers_of(broker), posted.id, title="经纪人改").status_code == 200
    assert patch_job(client, headers_of(make_employer()), posted.id, title="x").status_code == 403
    assert patch_job(client, headers_of(make_employer()), 999_999, title="x").status_code == 404


@pytest.mark.parametrize("role", ["worker", "official", "admin"])
def test_other_roles_may_not_edit(client, auth_headers, make_user, posted, role):
    user = make_user(role, city="wuxi") if role == "official" else make_user(role)
    assert patch_job(client, auth_headers(user), posted.id, title="x").status_code == 403


# --- PATCH /shifts/{id} -----------------------------------------------------------------------


def test_a_headcount_changes_but_never_below_the_places_held(
    client, headers_of, posted, make_worker
):
    shift = posted.shifts[0]
    for _ in range(2):
        book(client, headers_of, make_worker(), shift.id)
    headers = headers_of(posted.employer)
    url = f"/api/v1/shifts/{shift.id}"
    below = client.patch(url, json={"headcount": 1}, headers=headers)
    assert below.status_code == 409 and "2" in below.get_json()["message"]
    more = client.patch(url, json={"headcount": 5}, headers=headers)
    assert more.status_code == 200
    assert (more.get_json()["headcount"], more.get_json()["booked"]) == (5, 2)
    assert client.patch(url, json={"headcount": 2}, headers=headers).status_code == 200
    assert client.patch(url, json={"headcount": 0}, headers=headers).status_code == 422
    assert (
        client.patch(url, json={"headcount": 2}, headers=headers_of(make_worker())).status_code
        == 403
    )


# --- POST /shifts/{id}/cancel -----------------------------------------------------------------


def test_one_shift_is_cancelled_with_its_bookings_and_its_workers_told(
    client, headers_of, posted, make_worker, database
):
    worker = make_worker()
    booking_id = book(client, headers_of, worker, posted.shifts[0].id)
    other_id = book(client, headers_of, make_worker(), posted.shifts[1].id)
    response = client.post(
        f"/api/v1/shifts/{posted.shifts[0].id}/cancel",
        json={"reason": "商场临时闭店"},
        headers=headers_of(posted.employer),
    )
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    database.expire_all()
    assert database.get(Booking, booking_id).status == "cancelled"
    assert database.get(Booking, other_id).status == "confirmed"  # the other shift holds
    [message] = messages(database, worker.user_id, "booking_cancelled")
    assert "商场临时闭店" in message and "09:00" in message  # the city's time, not UTC


def test_a_shift_cancel_needs_a_reason_a_future_shift_and_happens_once(client, headers_of, posted):
    shift = posted.shifts[0]
    headers = headers_of(posted.employer)
    url = f"/api/v1/shifts/{shift.id}/cancel"
    assert client.post(url, json={}, headers=headers).status_code == 422
    with at(shift.starts_at + timedelta(minutes=1)):
        started = client.post(url, json={"reason": "下雨"}, headers=headers_of(posted.employer))
        assert started.status_code == 409
    assert client.post(url, json={"reason": "下雨"}, headers=headers).status_code == 200
    assert client.post(url, json={"reason": "下雨"}, headers=headers).status_code == 409


def test_a_late_shift_cancel_counts_in_the_public_cancel_rate(
    client, headers_of, posted, make_worker
):
    shift = posted.shifts[0]
    book(client, headers_of, make_worker(), shift.id)
    with at(shift.starts_at - timedelta(hours=3)):
        client.post(
            f"/api/v1/shifts/{shift.id}/cancel",
            json={"reason": "人员已够"},
            headers=headers_of(posted.employer),
        )
    public = client.get(
        f"/api/v1/employers/{posted.employer_id}", headers=headers_of(make_worker())
    ).get_json()
    assert public["cancel_rate"] == 1.0
