"""Review of job posts and reports (contract v1.1 "Job-post review and reports"): posts that
ask workers for money, bait wages and reported posts are held — in no search, not bookable —
until an official of the city publishes or rejects them."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.bookings.models import Booking
from marketplace.cities import catalogue
from marketplace.jobs.models import Job
from marketplace.notifications.models import Notification
from tests.conftest import CITY_POINTS

QUEUE = "/api/v1/reviews/jobs"
SITE = CITY_POINTS["wuxi"]


def review(client, headers, job_id, **body):
    return client.post(f"/api/v1/jobs/{job_id}/review", json=body, headers=headers)


def report(client, headers, job_id, reason="fee", detail=""):
    return client.post(
        f"/api/v1/jobs/{job_id}/reports", json={"reason": reason, "detail": detail}, headers=headers
    )


def searched(client, headers) -> list[int]:
    found = client.get("/api/v1/shifts", query_string={**SITE, "radius_km": 5}, headers=headers)
    return [item["job_id"] for item in found.get_json()]


@pytest.fixture
def official(make_user, auth_headers):
    return auth_headers(make_user("official", city="wuxi"))


def actions(database, job_id) -> list[str]:
    return list(
        database.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "job", AuditEvent.entity_id == str(job_id))
            .order_by(AuditEvent.seq)
        )
    )


# --- the rules that hold a post -------------------------------------------------------------


def test_a_post_asking_for_a_deposit_is_held_naming_the_words(
    make_job, client, headers_of, make_worker, database
):
    job = make_job(description="入职需交押金200元，另收服装费")
    assert job.review_status == "held"
    [reason] = job.review_reasons
    assert reason.startswith("fee_words:") and "押金" in reason and "服装费" in reason
    assert actions(database, job.id) == ["job.posted", "job.held"]
    [told] = database.scalars(select(Notification.message).where(Notification.kind == "job_held"))
    assert "押金" in told and "fee_words" not in told  # the employer reads why, in words
    worker = make_worker()
    assert job.id not in searched(client, headers_of(worker))
    booked = client.post(f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(worker))
    assert booked.status_code == 409
    assert database.scalar(select(Booking.id)) is None


def test_an_honest_post_is_published_at_once_and_found(make_job, client, headers_of, make_worker):
    job = make_job(description="日常保洁，工作服由商场提供")
    assert (job.review_status, job.review_reasons) == ("published", [])
    assert job.id in searched(client, headers_of(make_worker()))


def test_a_held_post_has_no_candidates(make_job, client, make_user, auth_headers, make_worker):
    make_worker()
    job = make_job(title="保洁（需交保证金）")
    admin = auth_headers(make_user("admin"))
    listed = client.get(f"/api/v1/shifts/{job.shifts[0].id}/candidates", headers=admin)
    assert listed.status_code == 200 and listed.get_json() == []


@pytest.mark.parametrize(("wage", "held"), [("95.00", True), ("89.00", False)])
def test_a_wage_over_three_times_the_citys_median_is_held_as_bait(make_job, wage, held):
    for _ in range(20):
        make_job(hourly_wage="30.00")
    job = make_job(hourly_wage=wage)
    assert (job.review_status == "held") is held
    if held:
        assert job.review_reasons[0].startswith("bait_wage:") and "30.00" in job.review_reasons[0]


def test_no_bait_wage_rule_before_the_city_has_twenty_recent_posts(make_job):
    for _ in range(18):
        make_job(hourly_wage="30.00")
    assert make_job(hourly_wage="300.00").review_status == "published"


def test_the_words_are_the_citys_data_not_code(make_job, monkeypatch):
    real = catalogue.find

    def with_other_words(code: str):
        city = real(code)
        if city is None or city.job_review is None:
            return city
        words = dataclasses.replace(city.job_review, fee_words=("茶水费",))
        return dataclasses.replace(city, job_review=words)

    monkeypatch.setattr(catalogue, "find", with_other_words)
    assert make_job(description="每天收茶水费五元").review_status == "held"
    assert make_job(description="需交押金").review_status == "published"


# --- the review -----------------------------------------------------------------------------


def test_an_official_of_the_city_sees_the_queue_and_publishes(
    make_job, client, official, headers_of, make_worker, database
):
    held = make_job(description="先交培训费")
    make_job()  # published: not in the queue
    queue = client.get(QUEUE, headers=official).get_json()
    assert [job["id"] for job in queue] == [held.id]
    assert queue[0]["review_status"] == "held" and queue[0]["review_reasons"]
    published = review(client, official, held.id, decision="publish")
    assert published.status_code == 200 and published.get_json()["review_status"] == "published"
    worker = make_worker()
    assert held.id in searched(client, headers_of(worker))
    assert (
        client.post(
            f"/api/v1/shifts/{held.shifts[0].id}/bookings", headers=headers_of(worker)
        ).status_code
        == 201
    )
    assert review(client, official, held.id, decision="publish").status_code == 409
    assert actions(database, held.id)[-1] == "job.published"


def test_a_rejection_needs_a_reason_and_ends_the_posts_work(
    make_job, client, official, headers_of, make_worker, database
):
    job = make_job()
    workers = [make_worker() for _ in range(3)]
    booked = client.post(
        f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(workers[0])
    ).get_json()
    for worker in workers:
        assert report(client, headers_of(worker), job.id).status_code == 201
    database.expire_all()
    assert database.get(Job, job.id).review_status == "held"  # the third report holds it
    assert database.get(Booking, booked["id"]).status == "confirmed"  # until the review decides
    assert review(client, official, job.id, decision="reject").status_code == 422
    rejected = review(client, official, job.id, decision="reject", reason="收取押金，属违规招聘")
    assert rejected.status_code == 200 and rejected.get_json()["review_status"] == "rejected"
    database.expire_all()
    assert database.get(Booking, booked["id"]).status == "cancelled"
    [message] = database.scalars(
        select(Notification.message).where(
            Notification.user_id == workers[0].user_id, Notification.kind == "booking_cancelled"
        )
    )
    assert "收取押金" in message
    assert actions(database, job.id)[-1] == "job.rejected"
    assert review(client, official, job.id, decision="publish").status_code == 409


def test_only_officials_of_the_city_and_admins_review(
    make_job, client, make_user, auth_headers, headers_of
):
    job = make_job(description="需交押金")
    xining = auth_headers(make_user("official", city="xining"))
    assert review(client, xining, job.id, decision="publish").status_code == 403
    assert client.get(QUEUE, query_string={"city": "wuxi"}, headers=xining).status_code == 403
    for role in ("worker", "employer", "broker"):
        headers = auth_headers(make_user(role))
        assert review(client, headers, job.id, decision="publish").status_code == 403
        assert client.get(QUEUE, headers=headers).status_code == 403
    admin = auth_headers(make_user("admin"))
    assert [j["id"] for j in client.get(QUEUE, headers=admin).get_json()] == [job.id]
    assert review(client, admin, 999_999, decision="publish").status_code == 404
    assert review(client, admin, job.id, decision="publish").status_code == 200


# --- reports --------------------------------------------------------------------------------


def test_a_worker_reports_a_post_once(make_job, client, headers_of, make_worker, database):
    job = make_job()
    worker = make_worker()
    first = report(client, headers_of(worker), job.id, reason="fake", detail="现场没有这个岗位")
    assert first.status_code == 201 and first.get_json()["reason"] == "fake"
    assert report(client, headers_of(worker), job.id).status_code == 409
    assert report(client, headers_of(worker), 999_999).status_code == 404
    assert report(client, headers_of(worker), job.id, reason="spam").status_code == 422
    database.expire_all()
    assert database.get(Job, job.id).review_status == "published"  # one report holds nothing
    assert actions(database, job.id)[-1] == "job.reported"


def test_one_account_cannot_flood_a_post_into_review(make_job, client, headers_of, make_worker):
    job = make_job()
    worker = make_worker()
    for _ in range(5):
        report(client, headers_of(worker), job.id)
    assert (
        client.get(f"/api/v1/jobs/{job.id}", headers=headers_of(worker)).get_json()["review_status"]
        == "published"
    )


def test_only_workers_report(make_job, client, make_user, auth_headers):
    job = make_job()
    for role in ("employer", "official", "admin"):
        user = make_user(role, city="wuxi") if role == "official" else make_user(role)
        assert report(client, auth_headers(user), job.id).status_code == 403
