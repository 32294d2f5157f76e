"""Crews (contract v1.1 "Repeat work"): chosen workers offered every future shift of a job
they can take, under every booking rule, each place not offered named with its reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.bookings.models import Booking
from marketplace.employers.models import Employer
from marketplace.jobs.models import Shift
from tests.conftest import shift_times


def _crew(client, headers, job_id, worker_ids):
    return client.post(
        f"/api/v1/jobs/{job_id}/crew", json={"worker_ids": worker_ids}, headers=headers
    )


@pytest.fixture
def series(make_job):
    """Three 4-hour shifts on three days, one place each."""
    return make_job(
        shifts=[{**shift_times(days_ahead=d, hours=4), "headcount": 1} for d in (2, 3, 4)]
    )


def _employer(database, job):
    return database.get(Employer, job.employer_id)


def test_the_crew_is_offered_every_shift_it_can_take_and_the_rest_is_named(
    series, client, headers_of, make_worker, database
):
    first, second = make_worker(), make_worker()
    response = _crew(
        client, headers_of(_employer(database, series)), series.id, [first.id, second.id]
    )
    assert response.status_code == 200
    body = response.get_json()
    shift_ids = [shift.id for shift in series.shifts]
    assert [(p["shift_id"], p["worker_id"]) for p in body["booked"]] == [
        (shift_id, first.id) for shift_id in shift_ids
    ]
    assert [(s["shift_id"], s["worker_id"], s["reason"]) for s in body["skipped"]] == [
        (shift_id, second.id, "full") for shift_id in shift_ids
    ]
    assert all(s["message"] for s in body["skipped"])
    database.expire_all()
    offers = database.scalars(select(Booking).where(Booking.worker_id == first.id)).all()
    assert {b.status for b in offers} == {"offered"}
    assert all(database.get(Shift, shift_id).booked == 1 for shift_id in shift_ids)
    # The worker says yes to the whole series in one call.
    accepted = client.post(f"/api/v1/jobs/{series.id}/offers/accept", headers=headers_of(first))
    assert accepted.status_code == 200 and {b["status"] for b in accepted.get_json()} == {
        "confirmed"
    }


def test_an_overlap_skips_only_that_shift(
    series, client, headers_of, make_worker, make_job, database
):
    worker = make_worker()
    middle = series.shifts[1]
    elsewhere = make_job(
        shifts=[
            {
                "starts_at": middle.starts_at.isoformat(),
                "ends_at": middle.ends_at.isoformat(),
                "headcount": 1,
            }
        ]
    )
    client.post(f"/api/v1/shifts/{elsewhere.shifts[0].id}/bookings", headers=headers_of(worker))
    body = _crew(client, headers_of(_employer(database, series)), series.id, [worker.id]).get_json()
    assert len(body["booked"]) == 2
    assert [(s["shift_id"], s["reason"]) for s in body["skipped"]] == [(middle.id, "overlap")]


def test_the_part_time_week_limit_holds_for_a_crew(
    make_job, client, headers_of, make_worker, database
):
    # Seven 8-hour shifts on seven days in a row: whatever the weekdays, four of them share a
    # week — 32 hours, more than 24 with one employer.
    job = make_job(
        shifts=[
            {**shift_times(days_ahead=d, start_hour=8, hours=8), "headcount": 1}
            for d in range(8, 15)
        ]
    )
    worker = make_worker()
    body = _crew(client, headers_of(_employer(database, job)), job.id, [worker.id]).get_json()
    reasons = [s["reason"] for s in body["skipped"]]
    assert len(body["booked"]) + len(reasons) == 7
    assert reasons and set(reasons) == {"part_time_limit"}


def test_blocked_uninvited_and_unknown_workers_are_skipped(
    make_job, client, headers_of, make_worker, make_employer, database
):
    employer = make_employer()
    me = headers_of(employer)
    past = make_job(employer=employer, shifts=[{**shift_times(days_ahead=2), "headcount": 2}])
    blocked = make_worker()
    client.post(f"/api/v1/shifts/{past.shifts[0].id}/bookings", headers=headers_of(blocked))
    client.put(f"/api/v1/employers/me/blocks/{blocked.id}", json={"reason": "迟到"}, headers=me)
    invited_only = make_job(
        employer=employer,
        audience="invited",
        shifts=[{**shift_times(days_ahead=5), "headcount": 2}],
    )
    stranger = make_worker()
    body = _crew(client, me, invited_only.id, [blocked.id, stranger.id, 999999]).get_json()
    assert body["booked"] == []
    assert {(s["worker_id"], s["reason"]) for s in body["skipped"]} == {
        (blocked.id, "blocked"),
        (stranger.id, "not_invited"),
        (999999, "unknown"),
    }


def test_only_the_job_s_employer_side_offers_a_crew(
    series, client, headers_of, make_employer, make_worker, make_user, auth_headers, database
):
    worker = make_worker()
    assert _crew(client, headers_of(make_employer()), series.id, [worker.id]).status_code == 404
    for headers in (headers_of(worker), auth_headers(make_user("admin"))):
        assert _crew(client, headers, series.id, [worker.id]).status_code == 403
    me = headers_of(_employer(database, series))
    assert _crew(client, me, series.id, []).status_code == 422
    assert client.post(f"/api/v1/jobs/{series.id}/cancel", headers=me).status_code == 200
    assert _crew(client, me, series.id, [worker.id]).status_code == 409


def test_a_delegated_broker_runs_a_crew_for_its_employer(
    series, client, headers_of, make_worker, make_broker, database
):
    broker, worker = make_broker(), make_worker()
    employer = headers_of(_employer(database, series))
    client.post("/api/v1/employers/me/brokers", json={"broker_id": broker.id}, headers=employer)
    response = _crew(client, headers_of(broker), series.id, [worker.id])
    assert response.status_code == 200 and len(response.get_json()["booked"]) == 3
    undelegated = _crew(client, headers_of(make_broker()), series.id, [worker.id])
    assert undelegated.status_code == 404
