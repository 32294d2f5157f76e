"""Personal information rights (个人信息保护法 第四十五、四十七条): one's data, and closing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from marketplace.audit.models import AuditEvent
from marketplace.auth.models import LoginFailure, User
from marketplace.bookings.models import Booking
from marketplace.brokers.models import Delegation
from marketplace.earnings.models import Earning
from marketplace.employers.models import Employer
from marketplace.workers.models import Worker
from tests.conftest import PASSWORD, resident_id, shift_times, worker_body

EXPORT = "/api/v1/users/me/export"
CLOSE = "/api/v1/users/me/close"


def events(database, action: str) -> list[AuditEvent]:
    return list(database.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def worked(client, headers_of, make_worker, make_job, database):
    """A worker with one booking and one imported month of income."""
    worker = make_worker(id_number=resident_id(birth=date(1990, 5, 17)))
    job = make_job()
    client.post(f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(worker))
    database.add(
        Earning(
            worker_id=worker.id,
            source="partner",
            month="2026-01",
            hours=Decimal("80.00"),
            amount=Decimal("2400.00"),
            recorded_at=job.created_at,
        )
    )
    database.commit()
    return worker


def test_a_worker_exports_all_of_its_data_and_the_export_is_audited(
    client, headers_of, worked, database
):
    response = client.get(EXPORT, headers=headers_of(worked))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["account"]["role"] == "worker"
    assert data["worker"]["name"] == "张三" and data["worker"]["birth_date"] == "1990-05-17"
    assert data["worker"]["id_number"].count("*") == 8  # its own 6 + 4 mask, never in full
    assert len(data["bookings"]) == 1 and data["bookings"][0]["status"] == "confirmed"
    assert [e["amount"] for e in data["earnings"]] == ["2400.00"]
    assert {"contributions", "training", "subsidy_flags", "notifications"} <= set(data)
    [event] = events(database, "export.downloaded")
    assert event.data["export"] == "personal_data" and event.actor_id == worked.user_id
    assert event.data["rows"] >= 2


def test_a_workers_export_holds_the_agreements_it_accepted(client, headers_of, worked):
    data = client.get(EXPORT, headers=headers_of(worked)).get_json()
    [agreement] = data["agreements"]
    assert agreement["booking_id"] == data["bookings"][0]["id"]
    assert agreement["kind"] == "part_time" and "张三" in agreement["text"]


def test_an_employer_exports_its_profile_jobs_and_delegations(
    client, headers_of, make_job, make_broker, database
):
    job = make_job()
    employer = database.get(Employer, job.employer_id)
    broker = make_broker()
    client.post(
        "/api/v1/employers/me/brokers", json={"broker_id": broker.id}, headers=headers_of(employer)
    )
    data = client.get(EXPORT, headers=headers_of(employer)).get_json()
    assert data["employer"]["credit_code"] == employer.credit_code
    assert [j["id"] for j in data["jobs_posted"]] == [job.id]
    assert [d["broker_id"] for d in data["delegations"]] == [broker.id]
    assert "worker" not in data


def close(client, headers):
    return client.post(CLOSE, json={"password": PASSWORD}, headers=headers)


def test_without_a_token_nobody_exports_or_closes(client):
    assert client.get(EXPORT).status_code == 401
    assert client.post(CLOSE, json={"password": PASSWORD}).status_code == 401


def test_a_worker_closes_its_account_and_no_one_signs_in_with_it_again(
    client, headers_of, worked, database, make_job
):
    user = database.get(User, worked.user_id)
    phone = user.phone
    headers = headers_of(worked)
    booking_id = database.scalar(select(Booking.id).where(Booking.worker_id == worked.id))
    client.post(f"/api/v1/bookings/{booking_id}/cancel", json={"reason": "搬家"}, headers=headers)

    response = client.post(CLOSE, json={"password": PASSWORD}, headers=headers)
    assert response.status_code == 200 and response.get_json()["closed_at"]
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    signing_in = client.post("/api/v1/auth/token", json={"phone": phone, "password": PASSWORD})
    assert signing_in.status_code == 401
    database.expire_all()
    row = (
        database.execute(text("SELECT * FROM workers WHERE id = :id"), {"id": worked.id})
        .mappings()
        .one()
    )
    assert row["closed_at"] is not None
    closed = database.get(Worker, worked.id)
    assert closed.name == "已注销用户" and closed.skills == [] and closed.availability == []
    # What the law and the subsidy audit keep stays, linked to the closed account.
    assert database.scalar(select(func.count()).select_from(Earning)) == 1
    assert database.get(User, worked.user_id).closed_at is not None
    [event] = events(database, "user.closed")
    assert event.entity_id == str(worked.user_id)


def test_a_closed_workers_phone_and_id_number_may_open_a_new_account(
    client, headers_of, worked, database, auth_headers
):
    from marketplace.workers.services import id_cipher

    phone = database.get(User, worked.user_id).phone
    worker = worked
    number = id_cipher().decrypt(database.get(Worker, worker.id).id_number_ciphertext)
    booking_id = database.scalar(select(Booking.id).where(Booking.worker_id == worker.id))
    headers = headers_of(worker)
    client.post(f"/api/v1/bookings/{booking_id}/cancel", json={"reason": "x"}, headers=headers)
    assert client.post(CLOSE, json={"password": PASSWORD}, headers=headers).status_code == 200
    again = client.post(
        "/api/v1/auth/register", json={"phone": phone, "password": PASSWORD, "role": "worker"}
    )
    assert again.status_code == 201
    new_user = database.get(User, again.get_json()["id"])
    profile = client.put(
        "/api/v1/workers/me", json=worker_body(id_number=number), headers=auth_headers(new_user)
    )
    assert profile.status_code == 200


def test_a_closed_worker_is_never_a_candidate_again(
    client, headers_of, make_worker, make_job, auth_headers, make_user, database
):
    stays, leaves = make_worker(), make_worker()
    job = make_job()
    assert (
        client.post(CLOSE, json={"password": PASSWORD}, headers=headers_of(leaves)).status_code
        == 200
    )
    admin = auth_headers(make_user("admin"))
    found = client.get(f"/api/v1/shifts/{job.shifts[0].id}/candidates", headers=admin).get_json()
    assert [c["worker_id"] for c in found] == [stays.id]


def test_closing_declines_the_workers_open_offers(
    client, headers_of, make_worker, make_job, database
):
    worker = make_worker()
    job = make_job()
    employer = database.get(Employer, job.employer_id)
    client.post(
        "/api/v1/matching/assignments",
        json={"shift_ids": [job.shifts[0].id], "commit": True},
        headers=headers_of(employer),
    )
    assert (
        client.post(CLOSE, json={"password": PASSWORD}, headers=headers_of(worker)).status_code
        == 200
    )
    assert database.scalar(select(Booking.status)) == "declined"


def test_a_wrong_password_closes_nothing_and_counts_as_a_failed_sign_in(
    client, headers_of, worked, database
):
    response = client.post(CLOSE, json={"password": "not-my-password"}, headers=headers_of(worked))
    assert response.status_code == 422 and "password" in response.get_json()["errors"]["json"]
    assert database.get(User, worked.user_id).closed_at is None
    assert database.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_work_under_way_must_be_finished_or_cancelled_first(client, headers_of, worked, database):
    response = client.post(CLOSE, json={"password": PASSWORD}, headers=headers_of(worked))
    assert response.status_code == 409 and "under way" in response.get_json()["message"]
    assert database.get(User, worked.user_id).closed_at is None


def test_an_employer_with_open_shifts_cancels_them_first_and_its_delegations_end(
    client, headers_of, make_job, make_broker, database
):
    job = make_job(shifts=[{**shift_times(days_ahead=5), "headcount": 1}])
    employer = database.get(Employer, job.employer_id)
    headers = headers_of(employer)
    broker = make_broker()
    client.post("/api/v1/employers/me/brokers", json={"broker_id": broker.id}, headers=headers)
    refused = client.post(CLOSE, json={"password": PASSWORD}, headers=headers)
    assert refused.status_code == 409 and "open" in refused.get_json()["message"]
    client.post(f"/api/v1/jobs/{job.id}/cancel", headers=headers)
    assert client.post(CLOSE, json={"password": PASSWORD}, headers=headers).status_code == 200
    assert database.scalar(select(Delegation.revoked_at)) is not None


@pytest.mark.parametrize("role", ["official", "admin"])
def test_officials_and_admins_are_closed_by_the_platform_not_by_themselves(
    client, auth_headers, make_user, role
):
    user = make_user(role, city="wuxi" if role == "official" else None)
    response = client.post(CLOSE, json={"password": PASSWORD}, headers=auth_headers(user))
    assert response.status_code == 403
