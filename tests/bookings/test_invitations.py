"""Invited-only jobs (contract v1.1 "Repeat work"): only the workers invited see, are
recommended, are candidates for and may book their shifts; everyone else gets 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.employers.models import Employer
from marketplace.notifications.models import Notification
from tests.conftest import shift_times


@pytest.fixture
def invited_job(make_job):
    return make_job(audience="invited", shifts=[{**shift_times(days_ahead=3), "headcount": 2}])


def _invite(client, headers, job_id, **body):
    return client.post(f"/api/v1/jobs/{job_id}/invitations", json=body, headers=headers)


def _employer(database, job):
    return database.get(Employer, job.employer_id)


def _sees(client, headers, shift_id) -> dict[str, bool]:
    """Where a worker meets the shift: reading it, the search, its recommendations."""
    found = client.get("/api/v1/shifts", headers=headers).get_json()
    recommended = client.get("/api/v1/workers/me/recommended-shifts", headers=headers).get_json()
    return {
        "read": client.get(f"/api/v1/shifts/{shift_id}", headers=headers).status_code == 200,
        "search": shift_id in {item["id"] for item in found},
        "recommended": shift_id in {item["shift_id"] for item in recommended},
    }


def test_an_uninvited_worker_meets_the_shift_nowhere_and_cannot_book_it(
    invited_job, client, headers_of, make_worker
):
    shift = invited_job.shifts[0]
    stranger = headers_of(make_worker())
    assert _sees(client, stranger, shift.id) == {
        "read": False,
        "search": False,
        "recommended": False,
    }
    assert client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=stranger).status_code == 404


def test_an_invited_worker_is_told_meets_the_shift_everywhere_and_books_it(
    invited_job, client, headers_of, make_worker, database
):
    shift = invited_job.shifts[0]
    worker = make_worker()
    employer = headers_of(_employer(database, invited_job))
    candidates_url = f"/api/v1/shifts/{shift.id}/candidates"
    assert client.get(candidates_url, headers=employer).get_json() == []
    answer = _invite(client, employer, invited_job.id, worker_ids=[worker.id]).get_json()
    assert answer == {"invited": [worker.id], "skipped": []}
    told = database.scalar(
        select(Notification.message).where(
            Notification.user_id == worker.user_id, Notification.kind == "job_invited"
        )
    )
    assert "邀请您参加" in told
    mine = headers_of(worker)
    assert _sees(client, mine, shift.id) == {"read": True, "search": True, "recommended": True}
    assert [c["worker_id"] for c in client.get(candidates_url, headers=employer).get_json()] == [
        worker.id
    ]
    assert client.post(f"/api/v1/shifts/{shift.id}/bookings", headers=mine).status_code == 201


def test_favourites_are_invited_in_one_call_and_refusals_are_skipped_with_reasons(
    make_job, make_worker, make_employer, client, headers_of, database
):
    employer = make_employer()
    past = make_job(employer=employer, shifts=[{**shift_times(days_ahead=2), "headcount": 3}])
    favourite, blocked = make_worker(), make_worker()
    for worker in (favourite, blocked):
        client.post(f"/api/v1/shifts/{past.shifts[0].id}/bookings", headers=headers_of(worker))
    me = headers_of(employer)
    client.put(f"/api/v1/employers/me/favourites/{favourite.id}", headers=me)
    client.put(f"/api/v1/employers/me/blocks/{blocked.id}", json={"reason": "迟到"}, headers=me)
    job = make_job(employer=employer, audience="invited")
    answer = _invite(
        client, me, job.id, worker_ids=[blocked.id, 999999], favourites=True
    ).get_json()
    assert answer["invited"] == [favourite.id]
    assert {(s["worker_id"], s["reason"]) for s in answer["skipped"]} == {
        (blocked.id, "blocked"),
        (999999, "unknown"),
    }
    again = _invite(client, me, job.id, favourites=True).get_json()
    assert again == {
        "invited": [],
        "skipped": [{"worker_id": favourite.id, "reason": "already_invited"}],
    }


def test_a_public_job_takes_no_invitations_and_nobody_named_is_422(
    make_job, invited_job, client, headers_of, database, make_worker
):
    public = make_job()
    worker = make_worker()
    me = headers_of(_employer(database, public))
    assert _invite(client, me, public.id, worker_ids=[worker.id]).status_code == 409
    theirs = headers_of(_employer(database, invited_job))
    assert _invite(client, theirs, invited_job.id, worker_ids=[]).status_code == 422


def test_only_the_job_s_employer_side_invites(
    invited_job, client, headers_of, make_employer, make_worker, make_user, auth_headers
):
    worker = make_worker()
    assert (
        _invite(
            client, headers_of(make_employer()), invited_job.id, worker_ids=[worker.id]
        ).status_code
        == 404
    )
    for headers in (headers_of(worker), auth_headers(make_user("admin"))):
        assert _invite(client, headers, invited_job.id, worker_ids=[worker.id]).status_code == 403


def test_officials_of_the_city_read_an_invited_job_s_shift_others_not(
    invited_job, client, make_user, auth_headers
):
    url = f"/api/v1/shifts/{invited_job.shifts[0].id}"
    assert (
        client.get(url, headers=auth_headers(make_user("official", city="wuxi"))).status_code == 200
    )
    assert (
        client.get(url, headers=auth_headers(make_user("official", city="xining"))).status_code
        == 404
    )


def test_an_assignment_offers_an_invited_job_only_to_invited_workers(
    invited_job, client, headers_of, make_worker, database
):
    shift = invited_job.shifts[0]
    invited, _stranger = make_worker(), make_worker()
    me = headers_of(_employer(database, invited_job))
    _invite(client, me, invited_job.id, worker_ids=[invited.id])
    plan = client.post(
        "/api/v1/matching/assignments", json={"shift_ids": [shift.id]}, headers=me
    ).get_json()
    assert [a["worker_id"] for a in plan["assignments"]] == [invited.id]


def test_an_uninvited_worker_cannot_wait_for_an_invited_job_s_shift(
    invited_job, client, headers_of, make_worker
):
    url = f"/api/v1/shifts/{invited_job.shifts[0].id}/waitlist"
    assert client.post(url, headers=headers_of(make_worker())).status_code == 404
