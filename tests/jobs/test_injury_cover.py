"""Injury cover (职业伤害保障, 无锡 第八条): a job states it; shifts, search and recommendations say
whether the work is covered on the shift's day (city time); booked workers keep their cover."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.jobs.cover import covered
from tests.conftest import job_body, shift_times

JOBS = "/api/v1/jobs"


def cover(valid_to: date, **overrides) -> dict:
    return {
        "insurer": "中国人民财产保险股份有限公司无锡市分公司",
        "policy_number": "PEAC202632020000000123",
        "valid_to": valid_to.isoformat(),
        **overrides,
    }


def local_day(days_ahead: int) -> date:
    return clock.local_now().date() + timedelta(days=days_ahead)


@pytest.fixture
def employer_headers(make_employer, headers_of):
    return headers_of(make_employer())


def post(client, headers, **overrides):
    return client.post(JOBS, json=job_body(**overrides), headers=headers)


# --- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_to", "starts_at", "expected"),
    [
        # 07:00 in 无锡 on 3 March is 23:00 UTC on 2 March: the shift's day is the city's.
        (date(2027, 3, 3), datetime(2027, 3, 2, 23, 0, tzinfo=UTC), True),
        (date(2027, 3, 2), datetime(2027, 3, 2, 23, 0, tzinfo=UTC), False),
        (date(2027, 3, 4), datetime(2027, 3, 2, 23, 0, tzinfo=UTC), True),
        (None, datetime(2027, 3, 2, 23, 0, tzinfo=UTC), False),
    ],
)
def test_a_shift_is_covered_through_the_covers_last_day_in_city_time(valid_to, starts_at, expected):
    assert covered(valid_to, starts_at, "wuxi") is expected


# --- posting ----------------------------------------------------------------------------------


def test_a_job_states_its_cover_and_each_shift_says_whether_it_is_covered(client, employer_headers):
    response = post(
        client,
        employer_headers,
        injury_cover=cover(local_day(3)),
        shifts=[
            {**shift_times(days_ahead=3), "headcount": 1},  # the cover's last day
            {**shift_times(days_ahead=4), "headcount": 1},  # the day after
        ],
    )
    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    assert job["injury_cover"] == cover(local_day(3))
    assert [shift["injury_covered"] for shift in job["shifts"]] == [True, False]
    read = client.get(f"{JOBS}/{job['id']}", headers=employer_headers).get_json()
    assert read["injury_cover"] == cover(local_day(3))
    shift = client.get(f"/api/v1/shifts/{job['shifts'][0]['id']}", headers=employer_headers)
    assert shift.get_json()["injury_covered"] is True


def test_a_job_without_cover_says_so_and_covers_no_shift(client, employer_headers):
    response = post(client, employer_headers)
    assert response.status_code == 201
    job = response.get_json()
    assert job["injury_cover"] is None
    assert [shift["injury_covered"] for shift in job["shifts"]] == [False]


@pytest.mark.parametrize(
    "bad",
    [
        cover(date(2026, 1, 1)),  # already ended
        {"insurer": "人保财险", "valid_to": "2099-01-01"},  # no policy number
        cover(date(2099, 1, 1), insurer=""),
        cover(date(2099, 1, 1)) | {"valid_to": "2027-02-30"},
        cover(date(2099, 1, 1)) | {"valid_to": "9999-12-31"},
    ],
)
def test_a_cover_that_ended_or_is_incomplete_is_422_naming_it(
    client, employer_headers, database, bad
):
    response = post(client, employer_headers, injury_cover=bad)
    assert response.status_code == 422
    assert "injury_cover" in response.get_json()["errors"]["json"]


# --- search and recommendations ------------------------------------------------------------------


def test_search_results_say_whether_the_shift_is_covered(client, employer_headers):
    covered_job = post(client, employer_headers, injury_cover=cover(local_day(30))).get_json()
    bare_job = post(client, employer_headers).get_json()
    found = client.get("/api/v1/shifts", headers=employer_headers).get_json()
    by_job = {item["job_id"]: item["injury_covered"] for item in found}
    assert by_job == {covered_job["id"]: True, bare_job["id"]: False}


def test_a_covered_result_is_written_exactly_as_the_shift_schema_writes_it(make_job, database):
    from marketplace.jobs import search
    from marketplace.jobs.schemas import ShiftDetailSchema

    job = make_job(injury_cover=cover(local_day(30)))
    shift = job.shifts[0]
    [item] = search.items([(shift.id, job.id)], clock.now()).values()
    assert item["injury_covered"] is True
    assert item == ShiftDetailSchema().dump(search.ShiftView(shift))


def test_recommendations_say_whether_the_shift_is_covered(
    client, make_job, make_worker, headers_of
):
    job = make_job(injury_cover=cover(local_day(30)))
    worker = make_worker()
    found = client.get("/api/v1/workers/me/recommended-shifts", headers=headers_of(worker))
    assert found.status_code == 200
    [item] = [row for row in found.get_json() if row["job_id"] == job.id]
    assert item["injury_covered"] is True


# --- editing ----------------------------------------------------------------------------------


def patch(client, headers, job_id, **body):
    return client.patch(f"{JOBS}/{job_id}", json=body, headers=headers)


def book(client, headers_of, worker, shift_id):
    response = client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=headers_of(worker))
    assert response.status_code == 201, response.get_json()


def test_the_employer_states_a_cover_later_and_it_is_audited(
    client, make_job, auth_headers, database
):
    job = make_job()
    employer = database.get(User, job.posted_by)
    response = patch(client, auth_headers(employer), job.id, injury_cover=cover(local_day(30)))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["injury_cover"] == cover(local_day(30))
    assert response.get_json()["shifts"][0]["injury_covered"] is True
    [event] = database.scalars(select(AuditEvent).where(AuditEvent.action == "job.updated"))
    assert event.data["changes"] == {"injury_cover": [None, cover(local_day(30))]}


def test_without_bookings_the_cover_may_be_withdrawn(
    client, make_job, headers_of, database, auth_headers
):
    job = make_job(injury_cover=cover(local_day(30)))
    response = patch(
        client, auth_headers(database.get(User, job.posted_by)), job.id, injury_cover=None
    )
    assert response.status_code == 200
    assert response.get_json()["injury_cover"] is None


def test_a_patch_with_an_ended_cover_is_422(client, make_job, headers_of, database, auth_headers):
    job = make_job()
    response = patch(
        client,
        auth_headers(database.get(User, job.posted_by)),
        job.id,
        injury_cover=cover(local_day(-1)),
    )
    assert response.status_code == 422
    assert "injury_cover" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("new", "status"),
    [
        (None, 409),  # withdrawn
        (cover(local_day(10)), 409),  # ends earlier
        (cover(local_day(60), insurer="中国平安财产保险股份有限公司"), 200),  # renewed, longer
    ],
)
def test_once_booked_the_cover_is_renewed_or_extended_never_taken_away(
    client, make_job, make_worker, headers_of, database, new, status, auth_headers
):
    job = make_job(injury_cover=cover(local_day(30)))
    book(client, headers_of, make_worker(), job.shifts[0].id)
    response = patch(
        client, auth_headers(database.get(User, job.posted_by)), job.id, injury_cover=new
    )
    assert response.status_code == status, response.get_json()
    database.expire_all()
    kept = client.get(f"{JOBS}/{job.id}", headers=auth_headers(database.get(User, job.posted_by)))
    assert kept.get_json()["injury_cover"] == (new if status == 200 else cover(local_day(30)))


def test_booked_workers_are_told_the_cover_changed(
    client, make_job, make_worker, headers_of, database, auth_headers
):
    from marketplace.notifications.models import Notification

    job = make_job()
    worker = make_worker()
    book(client, headers_of, worker, job.shifts[0].id)
    patch(
        client,
        auth_headers(database.get(User, job.posted_by)),
        job.id,
        injury_cover=cover(local_day(30)),
    )
    [message] = database.scalars(
        select(Notification.message).where(
            Notification.user_id == worker.user_id, Notification.kind == "job_changed"
        )
    )
    assert "职业伤害保障" in message


@pytest.mark.parametrize("role", ["worker", "employer", "official", "admin"])
def test_only_the_jobs_side_changes_its_cover(client, make_job, make_user, auth_headers, role):
    job = make_job()
    caller = make_user(role, city="wuxi" if role == "official" else None)
    response = patch(client, auth_headers(caller), job.id, injury_cover=cover(local_day(30)))
    assert response.status_code == 403
