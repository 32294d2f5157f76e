"""Who is on the other side (contract v1.1 "Everyday use"): an employer's public profile.

Any signed-in user reads an employer's name, place, whether its credit code was checked, the
stars workers gave it, the shifts completed on its jobs and the share of confirmed bookings its
side cancelled less than 12 hours before the start.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.employers.models import Employer
from tests.bookings.conftest import SITE, Story, at
from tests.conftest import employer_body, shift_times

PUBLIC = "/api/v1/employers/{}"


def profile(client, headers, employer_id):
    response = client.get(PUBLIC.format(employer_id), headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_a_new_employer_has_no_record_yet(client, auth_headers, make_user, make_employer):
    employer = make_employer()
    body = profile(client, auth_headers(make_user("worker")), employer.id)
    assert body == {
        "id": employer.id,
        "name": employer.name,
        "city": "wuxi",
        "district": None,
        "credit_code_verified": False,
        "rating": None,
        "ratings": 0,
        "completed_shifts": 0,
        "cancel_rate": None,
    }
    assert "credit_code" not in body and "address" not in body  # not for every user


def test_the_record_counts_completed_shifts_ratings_and_late_cancels(
    client, headers_of, database, make_worker, make_job, auth_headers, make_user
):
    job = make_job(
        hourly_wage="30.00",
        shifts=[
            {**shift_times(days_ahead=2, start_hour=9, hours=4), "headcount": 3},
            {**shift_times(days_ahead=4, start_hour=9, hours=4), "headcount": 3},
        ],
    )
    worked = Story(client, headers_of, database, make_worker(), job.shifts[0])
    worked.book()
    with at(worked.shift.starts_at):
        worked.as_worker("check-in", **SITE)
    with at(worked.shift.ends_at):
        worked.as_worker("check-out", **SITE)
        worked.as_employer("approve")
        rated = worked.as_worker("ratings", stars=4, comment="准时结算")
        assert rated.status_code == 201
    # Two bookings on the second shift: the employer cancels the job 6 h before it starts
    # (late), after one worker had cancelled her own (not the employer's doing).
    late = Story(client, headers_of, database, make_worker(), job.shifts[1])
    late.book()
    own = Story(client, headers_of, database, make_worker(), job.shifts[1])
    own.book()
    own.as_worker("cancel", reason="有事")
    with at(late.shift.starts_at - timedelta(hours=6)):
        cancelled = client.post(
            f"/api/v1/jobs/{job.id}/cancel", headers=headers_of(worked.employer)
        )
        assert cancelled.status_code == 200
    body = profile(client, auth_headers(make_user("worker")), job.employer_id)
    assert body["rating"] == 4.0 and body["ratings"] == 1
    assert body["completed_shifts"] == 1
    assert body["cancel_rate"] == pytest.approx(1 / 3, abs=0.001)


def test_an_early_cancel_by_the_employer_does_not_count(
    client, headers_of, database, make_worker, make_job, auth_headers, make_user
):
    job = make_job(shifts=[{**shift_times(days_ahead=3), "headcount": 2}])
    story = Story(client, headers_of, database, make_worker(), job.shifts[0])
    story.book()
    assert (
        client.post(f"/api/v1/jobs/{job.id}/cancel", headers=headers_of(story.employer)).status_code
        == 200
    )
    assert profile(client, auth_headers(make_user("worker")), job.employer_id)["cancel_rate"] == 0.0


def test_an_unknown_employer_is_404_and_a_visitor_401(
    client, auth_headers, make_user, make_employer
):
    assert (
        client.get(PUBLIC.format(999_999), headers=auth_headers(make_user("worker"))).status_code
        == 404
    )
    assert client.get(PUBLIC.format(make_employer().id)).status_code == 401


def test_the_district_is_the_employers_own_and_must_be_of_its_city(client, make_user, auth_headers):
    headers = auth_headers(make_user("employer"))
    wrong = client.put(
        "/api/v1/employers/me", json=employer_body(district="城东区"), headers=headers
    )
    assert wrong.status_code == 422 and "district" in wrong.get_json()["errors"]["json"]
    put = client.put("/api/v1/employers/me", json=employer_body(district="梁溪区"), headers=headers)
    assert put.status_code == 200 and put.get_json()["district"] == "梁溪区"


# --- the credit code's check ----------------------------------------------------------------

VERIFY = "/api/v1/employers/{}/credit-code-verification"


def test_an_official_of_the_city_checks_the_credit_code_once_and_it_is_audited(
    client, auth_headers, make_user, make_employer, database
):
    employer = make_employer()
    official = auth_headers(make_user("official", city="wuxi"))
    response = client.post(VERIFY.format(employer.id), headers=official)
    assert response.status_code == 200 and response.get_json()["credit_code_verified"] is True
    assert client.post(VERIFY.format(employer.id), headers=official).status_code == 200
    events = database.scalars(
        select(AuditEvent).where(AuditEvent.action == "employer.credit_code_verified")
    ).all()
    assert len(events) == 1 and events[0].entity_id == str(employer.id)
    assert profile(client, official, employer.id)["credit_code_verified"] is True


def test_a_new_credit_code_must_be_checked_again(client, auth_headers, make_user, database):
    user = make_user("employer")
    headers = auth_headers(user)
    body = employer_body()
    employer_id = client.put("/api/v1/employers/me", json=body, headers=headers).get_json()["id"]
    client.post(VERIFY.format(employer_id), headers=auth_headers(make_user("admin")))
    renamed = client.put("/api/v1/employers/me", json=body | {"name": "新名称"}, headers=headers)
    assert renamed.get_json()["credit_code_verified"] is True  # same code: still checked
    recoded = client.put("/api/v1/employers/me", json=employer_body(), headers=headers)
    assert recoded.get_json()["credit_code_verified"] is False


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_only_officials_and_admins_check_credit_codes(
    client, auth_headers, make_user, make_employer, database, role
):
    employer = make_employer()
    response = client.post(VERIFY.format(employer.id), headers=auth_headers(make_user(role)))
    assert response.status_code == 403
    database.expire_all()
    assert database.get(Employer, employer.id).credit_code_verified_at is None


def test_another_citys_official_does_not_find_the_employer(
    client, auth_headers, make_user, make_employer
):
    employer = make_employer()
    other = auth_headers(make_user("official", city="xining"))
    assert client.post(VERIFY.format(employer.id), headers=other).status_code == 404
