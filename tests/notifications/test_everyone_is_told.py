"""Notifications for everyone (contract v1.1 "Everyday use"): every role lists its own, unread
first; marks several read at once; employers and brokers are told what waits for them, workers
of what happened to their work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notify
from tests.conftest import shift_times

LIST = "/api/v1/notifications"
READ = "/api/v1/notifications/read"


def kinds(database, user_id) -> list[str]:
    return list(
        database.scalars(
            select(Notification.kind)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        )
    )


@pytest.mark.parametrize("role", ["worker", "employer", "broker", "official", "admin"])
def test_every_role_lists_its_own_unread_first_and_marks_several_read(
    client, auth_headers, make_user, database, role
):
    user = make_user(role, city="wuxi") if role == "official" else make_user(role)
    other = make_user("worker")
    for n in range(3):
        notify(user.id, "note", f"n{n}", f"第{n}条", {})
    notify(other.id, "note", "x", "别人的", {})
    database.commit()
    headers = auth_headers(user)
    mine = client.get(LIST, headers=headers).get_json()
    assert [n["message"] for n in mine] == ["第2条", "第1条", "第0条"]
    theirs = database.scalar(select(Notification.id).where(Notification.user_id == other.id))
    read = client.post(READ, json={"ids": [mine[0]["id"], theirs]}, headers=headers)
    assert read.status_code == 200
    [marked] = read.get_json()
    assert marked["id"] == mine[0]["id"] and marked["read_at"] is not None
    listed = client.get(LIST, headers=headers).get_json()
    assert [n["message"] for n in listed] == ["第1条", "第0条", "第2条"]  # unread first
    assert [
        n["message"]
        for n in client.get(LIST, headers=headers, query_string={"unread": 1}).get_json()
    ] == ["第1条", "第0条"]
    again = client.post(READ, json={"ids": [mine[0]["id"]]}, headers=headers).get_json()
    assert again == [marked]  # already read: its time stays
    database.expire_all()
    assert database.scalar(select(Notification.read_at).where(Notification.id == theirs)) is None


def test_reading_needs_ids(client, auth_headers, make_user):
    headers = auth_headers(make_user("worker"))
    assert client.post(READ, json={}, headers=headers).status_code == 422
    assert client.post(READ, json={"ids": []}, headers=headers).status_code == 422
    assert client.post(READ, json={"ids": [0]}, headers=headers).status_code == 422
    assert client.post(READ, json={"ids": [1]}).status_code == 401


@pytest.fixture
def approval_job(make_job, make_broker, database):
    """A job that needs the employer's approval, posted by a broker acting for the employer."""
    from marketplace.employers.models import Employer
    from marketplace.jobs import services as jobs
    from marketplace.jobs.schemas import JobInSchema
    from tests.conftest import job_body

    job = make_job(requires_approval=True)
    employer = database.get(Employer, job.employer_id)
    broker = make_broker()
    delegations.delegate(database.get(User, employer.user_id), broker.id)
    body = JobInSchema().load(
        job_body(
            employer_id=employer.id,
            requires_approval=True,
            shifts=[{**shift_times(days_ahead=2, start_hour=9, hours=4), "headcount": 2}],
        )
    )
    brokered = jobs.post_job(database.get(User, broker.user_id), body)
    database.commit()
    return brokered, employer, broker


def test_the_employer_and_its_posting_broker_are_told_of_a_booking_to_accept_and_a_cancel(
    client, headers_of, make_worker, database, approval_job
):
    job, employer, broker = approval_job
    worker = make_worker()
    booked = client.post(f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(worker))
    assert booked.get_json()["status"] == "pending"
    for user_id in (employer.user_id, broker.user_id):
        assert kinds(database, user_id) == ["booking_to_accept"]
    client.post(
        f"/api/v1/bookings/{booked.get_json()['id']}/cancel",
        json={"reason": "临时有事"},
        headers=headers_of(worker),
    )
    [message] = database.scalars(
        select(Notification.message).where(
            Notification.user_id == employer.user_id, Notification.kind == "worker_cancelled"
        )
    )
    assert "临时有事" in message and "09:00" in message
