"""Jobs and shifts: who may post, the shift rules, the minimum wage, cancelling."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.jobs.models import Job, Shift
from tests.conftest import job_body, shift_times

JOBS = "/api/v1/jobs"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def counts(database) -> tuple[int, int]:
    return (
        database.scalar(select(func.count()).select_from(Job)),
        database.scalar(select(func.count()).select_from(Shift)),
    )


@pytest.fixture
def employer_headers(make_employer, auth_headers, database):
    employer = make_employer()
    return auth_headers(database.get(User, employer.user_id))


def test_an_employer_posts_a_job_with_its_shifts(client, employer_headers, make_employer):
    body = job_body(
        required_skills=["cleaning", "cleaning", "elderly_care"],
        shifts=[
            {**shift_times(days_ahead=2), "headcount": 3},
            {**shift_times(days_ahead=3), "headcount": 1},
        ],
    )
    response = client.post(JOBS, json=body, headers=employer_headers)
    assert response.status_code == 201
    job = response.get_json()
    assert job["hourly_wage"] == "30.00"
    assert job["required_skills"] == ["cleaning", "elderly_care"]
    assert job["broker_id"] is None
    assert [(s["headcount"], s["booked"], s["status"]) for s in job["shifts"]] == [
        (3, 0, "open"),
        (1, 0, "open"),
    ]
    assert job["shifts"][0]["starts_at"].endswith("+08:00")
    assert client.get(f"{JOBS}/{job['id']}", headers=employer_headers).get_json() == job
    shift = client.get(
        f"/api/v1/shifts/{job['shifts'][0]['id']}", headers=employer_headers
    ).get_json()
    assert (shift["title"], shift["job_id"], shift["hourly_wage"]) == (
        "商场保洁",
        job["id"],
        "30.00",
    )


def test_jobs_and_shifts_are_404_when_missing(client, employer_headers):
    assert client.get(f"{JOBS}/999999", headers=employer_headers).status_code == 404
    assert client.get("/api/v1/shifts/999999", headers=employer_headers).status_code == 404


@pytest.mark.parametrize("role", ["worker", "official", "admin"])
def test_only_employers_and_brokers_post_jobs(client, auth_headers, make_user, database, role):
    user = make_user(role, city="wuxi" if role == "official" else None)
    assert client.post(JOBS, json=job_body(), headers=auth_headers(user)).status_code == 403
    assert counts(database) == (0, 0)


def test_an_employer_without_a_profile_gets_409(client, auth_headers, make_user, database):
    response = client.post(JOBS, json=job_body(), headers=auth_headers(make_user("employer")))
    assert response.status_code == 409
    assert counts(database) == (0, 0)


def test_an_employer_cannot_post_for_another_employer(
    client, employer_headers, make_employer, database
):
    other = make_employer()
    before = counts(database)
    response = client.post(JOBS, json=job_body(employer_id=other.id), headers=employer_headers)
    assert response.status_code == 403
    assert counts(database) == before


def test_a_broker_must_name_the_employer(client, auth_headers, make_broker, database):
    broker = make_broker()
    response = client.post(
        JOBS, json=job_body(), headers=auth_headers(database.get(User, broker.user_id))
    )
    assert response.status_code == 422
    assert "employer_id" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("field", ["posted_by", "id", "broker_id", "booked"])
def test_derived_fields_cannot_be_set(client, employer_headers, database, field):
    response = client.post(JOBS, json=job_body(**{field: 1}), headers=employer_headers)
    assert response.status_code == 422
    assert counts(database) == (0, 0)


# --- shift rules ----------------------------------------------------------------------------


def shift(**overrides):
    return {**shift_times(), "headcount": 2, **overrides}


@pytest.mark.parametrize(
    ("shifts", "where"),
    [
        ([shift(**shift_times(days_ahead=-1))], "starts_at"),
        (
            [shift(starts_at=shift_times()["ends_at"], ends_at=shift_times()["starts_at"])],
            "ends_at",
        ),
        ([{"starts_at": shift_times()["starts_at"], "headcount": 2}], "ends_at"),
        ([{**shift_times(start_hour=6, hours=13), "headcount": 2}], "ends_at"),
        ([shift(headcount=0)], "headcount"),
        ([shift(headcount=501)], "headcount"),
        ([], "shifts"),
        ([shift()] * 101, "shifts"),
        ([shift(starts_at=shift_times()["starts_at"][:19])], "starts_at"),  # no offset
    ],
)
def test_shift_rules_are_checked_and_nothing_is_stored(
    client, employer_headers, database, shifts, where
):
    response = client.post(JOBS, json=job_body(shifts=shifts), headers=employer_headers)
    assert response.status_code == 422
    assert where in str(response.get_json()["errors"])
    assert counts(database) == (0, 0)


def test_a_shift_of_exactly_twelve_hours_is_fine(client, employer_headers):
    body = job_body(shifts=[{**shift_times(start_hour=6, hours=12), "headcount": 1}])
    assert client.post(JOBS, json=body, headers=employer_headers).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"employment_type": "gig"}, "employment_type"),
        ({"hourly_wage": 30.5}, "hourly_wage"),
        ({"hourly_wage": "30.555"}, "hourly_wage"),
        ({"hourly_wage": "-30.00"}, "hourly_wage"),
        ({"district": "城东区"}, "district"),
        ({"location": {"lat": 36.62, "lon": 101.78}}, "location"),  # 西宁's centre, not 无锡
        ({"title": ""}, "title"),
        ({"category": ""}, "category"),
    ],
)
def test_invalid_job_fields_are_422(client, employer_headers, database, overrides, field):
    response = client.post(JOBS, json=job_body(**overrides), headers=employer_headers)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert counts(database) == (0, 0)


# --- minimum wage ---------------------------------------------------------------------------


def at_local(day: str, hour: int = 9, hours: int = 8) -> dict[str, str]:
    start = datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def test_the_wage_must_reach_the_minimum_in_force_on_each_shift_date(
    client, employer_headers, database
):
    # 无锡's hourly minimum is 24.00 until 2025-12-31 and 25.00 from 2026-01-01.
    with time_machine.travel("2025-12-20T10:00:00+08:00", tick=False):
        old_rate = job_body(
            hourly_wage="24.50", shifts=[{**at_local("2025-12-31"), "headcount": 1}]
        )
        assert client.post(JOBS, json=old_rate, headers=employer_headers).status_code == 201
        across = job_body(
            hourly_wage="24.50",
            shifts=[
                {**at_local("2025-12-31"), "headcount": 1},
                {**at_local("2026-01-01"), "headcount": 1},
            ],
        )
        before = counts(database)
        response = client.post(JOBS, json=across, headers=employer_headers)
        assert response.status_code == 422
        message = response.get_json()["errors"]["json"]["hourly_wage"][0]
        assert "25.00" in message and "2026-01-01" in message
        assert counts(database) == before
        exact = job_body(hourly_wage="25.00", shifts=[{**at_local("2026-01-01"), "headcount": 1}])
        assert client.post(JOBS, json=exact, headers=employer_headers).status_code == 201


def test_the_minimum_wage_is_the_citys(client, auth_headers, make_employer, database):
    employer = make_employer(city="xining", location={"lat": 36.62, "lon": 101.78})
    headers = auth_headers(database.get(User, employer.user_id))
    xining = {"city": "xining", "district": "城中区", "location": {"lat": 36.62, "lon": 101.78}}
    assert (
        client.post(JOBS, json=job_body(hourly_wage="18.00", **xining), headers=headers).status_code
        == 201
    )
    low = client.post(JOBS, json=job_body(hourly_wage="17.99", **xining), headers=headers)
    assert low.status_code == 422
    assert "18.00" in low.get_json()["message"]


# --- cancelling -----------------------------------------------------------------------------


def test_cancelling_a_job_cancels_its_future_shifts_only(client, auth_headers, make_job, database):
    job = make_job(
        shifts=[
            {**shift_times(days_ahead=1), "headcount": 1},
            {**shift_times(days_ahead=5), "headcount": 1},
        ]
    )
    started = job.shifts[0]
    with time_machine.travel(started.starts_at + timedelta(minutes=10), tick=False):
        headers = auth_headers(database.get(User, job.posted_by))
        response = client.post(f"{JOBS}/{job.id}/cancel", headers=headers)
        assert response.status_code == 200
        statuses = [s["status"] for s in response.get_json()["shifts"]]
    assert statuses == ["open", "cancelled"]
    assert client.post(f"{JOBS}/{job.id}/cancel", headers=headers).status_code == 409


def test_only_the_employer_or_its_broker_may_cancel(
    client, auth_headers, make_job, make_employer, make_broker, make_user, database
):
    job = make_job()
    for user in (
        make_user("worker"),
        database.get(User, make_employer().user_id),
        database.get(User, make_broker().user_id),
    ):
        assert client.post(f"{JOBS}/{job.id}/cancel", headers=auth_headers(user)).status_code == 403
    assert database.get(Job, job.id).cancelled_at is None


def test_a_delegated_broker_may_cancel(client, auth_headers, make_job, make_broker, database):
    job = make_job()
    broker = make_broker()
    delegations.delegate(database.get(User, database.get(Job, job.id).posted_by), broker.id)
    database.commit()
    response = client.post(
        f"{JOBS}/{job.id}/cancel", headers=auth_headers(database.get(User, broker.user_id))
    )
    assert response.status_code == 200
