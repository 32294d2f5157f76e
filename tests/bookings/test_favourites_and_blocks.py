"""An employer's favourites and blocks (contract v1.1 "Repeat work"): kept by the employer and
its brokers, only of workers it knows; a block holds everywhere the worker meets its shifts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.bookings.models import Block, Booking
from marketplace.employers.models import Employer
from tests.conftest import shift_times

FAVOURITES = "/api/v1/employers/me/favourites"
BLOCKS = "/api/v1/employers/me/blocks"


@pytest.fixture
def known(make_worker, make_job, client, headers_of, database):
    """An employer's two shifts and a worker who booked the first: (employer, worker, job)."""
    job = make_job(
        shifts=[
            {**shift_times(days_ahead=2, hours=4), "headcount": 3},
            {**shift_times(days_ahead=3, hours=4), "headcount": 3},
        ]
    )
    worker = make_worker()
    booked = client.post(f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(worker))
    assert booked.status_code == 201
    return database.get(Employer, job.employer_id), worker, job


def _put(client, headers, url, **body):
    return client.put(url, json=body or None, headers=headers)


# --- the lists --------------------------------------------------------------------------------


def test_an_employer_keeps_favourites_of_workers_it_knows(known, client, headers_of, database):
    employer, worker, _ = known
    me = headers_of(employer)
    added = _put(client, me, f"{FAVOURITES}/{worker.id}")
    assert added.status_code == 200 and added.get_json()["worker_id"] == worker.id
    assert _put(client, me, f"{FAVOURITES}/{worker.id}").status_code == 200
    [listed] = client.get(FAVOURITES, headers=me).get_json()
    assert listed["worker_id"] == worker.id and listed["name"] == worker.name
    assert client.delete(f"{FAVOURITES}/{worker.id}", headers=me).status_code == 204
    assert client.delete(f"{FAVOURITES}/{worker.id}", headers=me).status_code == 404
    assert client.get(FAVOURITES, headers=me).get_json() == []
    actions = database.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("favourite.%"))
    ).all()
    assert sorted(actions) == ["favourite.put", "favourite.put", "favourite.removed"]


def test_a_worker_the_employer_does_not_know_is_404(known, client, headers_of, make_worker):
    employer, _, _ = known
    me = headers_of(employer)
    stranger = make_worker()
    assert _put(client, me, f"{FAVOURITES}/{stranger.id}").status_code == 404
    assert _put(client, me, f"{BLOCKS}/{stranger.id}", reason="无").status_code == 404
    assert _put(client, me, f"{FAVOURITES}/999999").status_code == 404


def test_a_block_needs_a_reason(known, client, headers_of, database):
    employer, worker, _ = known
    response = _put(client, headers_of(employer), f"{BLOCKS}/{worker.id}")
    assert response.status_code == 422
    assert database.scalar(select(func.count()).select_from(Block)) == 0


def test_a_delegated_broker_keeps_the_lists_naming_the_employer(
    known, client, headers_of, make_broker
):
    employer, worker, _ = known
    broker = make_broker()
    client.post(
        "/api/v1/employers/me/brokers", json={"broker_id": broker.id}, headers=headers_of(employer)
    )
    as_broker = headers_of(broker)
    url = f"{BLOCKS}/{worker.id}?employer_id={employer.id}"
    assert _put(client, as_broker, url, reason="多次迟到").status_code == 200
    assert _put(client, as_broker, f"{BLOCKS}/{worker.id}", reason="多次迟到").status_code == 422
    [listed] = client.get(BLOCKS, headers=headers_of(employer)).get_json()
    assert listed["reason"] == "多次迟到"


def test_other_roles_and_undelegated_brokers_are_refused(
    known, client, headers_of, make_broker, make_user, auth_headers
):
    employer, worker, _ = known
    url = f"{FAVOURITES}/{worker.id}?employer_id={employer.id}"
    assert _put(client, headers_of(make_broker()), url).status_code == 403
    for role in ("worker", "official", "admin"):
        headers = auth_headers(make_user(role, city="wuxi" if role == "official" else None))
        assert _put(client, headers, url).status_code == 403
        assert client.get(BLOCKS, headers=headers).status_code == 403


# --- a block holds everywhere ----------------------------------------------------------------


def test_a_blocked_worker_cannot_book_the_employer_s_shifts(
    known, client, headers_of, make_job, database
):
    employer, worker, job = known
    _put(client, headers_of(employer), f"{BLOCKS}/{worker.id}", reason="私自带走物品")
    refused = client.post(f"/api/v1/shifts/{job.shifts[1].id}/bookings", headers=headers_of(worker))
    assert refused.status_code == 409
    elsewhere = make_job(shifts=[{**shift_times(days_ahead=5, hours=4), "headcount": 1}])
    accepted = client.post(
        f"/api/v1/shifts/{elsewhere.shifts[0].id}/bookings", headers=headers_of(worker)
    )
    assert accepted.status_code == 201
    client.delete(f"{BLOCKS}/{worker.id}", headers=headers_of(employer))
    again = client.post(f"/api/v1/shifts/{job.shifts[1].id}/bookings", headers=headers_of(worker))
    assert again.status_code == 201
    assert database.scalar(select(func.count()).select_from(Booking)) == 3


@pytest.mark.parametrize("ranking", ["index", "database"])
def test_a_blocked_worker_is_no_candidate_and_sees_no_recommendation(
    known, client, headers_of, app, ranking
):
    employer, worker, job = known
    app.config["MATCHING_INDEX"] = ranking == "index"
    try:
        later = job.shifts[1]
        url = f"/api/v1/shifts/{later.id}/candidates"
        me = headers_of(employer)
        recommended = "/api/v1/workers/me/recommended-shifts"

        def shift_ids():
            return {
                item["shift_id"]
                for item in client.get(recommended, headers=headers_of(worker)).get_json()
            }

        assert worker.id in {c["worker_id"] for c in client.get(url, headers=me).get_json()}
        assert later.id in shift_ids()
        _put(client, me, f"{BLOCKS}/{worker.id}", reason="私自带走物品")
        assert worker.id not in {c["worker_id"] for c in client.get(url, headers=me).get_json()}
        assert later.id not in shift_ids()
    finally:
        app.config["MATCHING_INDEX"] = True


def test_a_blocked_worker_is_never_in_an_assignment_or_offered(known, client, headers_of):
    employer, worker, job = known
    me = headers_of(employer)
    later = job.shifts[1]
    planned = client.post(
        "/api/v1/matching/assignments", json={"shift_ids": [later.id]}, headers=me
    ).get_json()
    assert worker.id in {a["worker_id"] for a in planned["assignments"]}
    _put(client, me, f"{BLOCKS}/{worker.id}", reason="私自带走物品")
    planned = client.post(
        "/api/v1/matching/assignments", json={"shift_ids": [later.id], "commit": True}, headers=me
    ).get_json()
    assert worker.id not in {a["worker_id"] for a in planned["assignments"]}


# --- a favourite ranks higher ----------------------------------------------------------------


@pytest.mark.parametrize("ranking", ["index", "database"])
def test_a_favourite_ranks_above_an_equal_worker_with_its_component(
    known, client, headers_of, make_worker, app, ranking
):
    employer, first, job = known
    second = make_worker()
    assert (
        client.post(
            f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(second)
        ).status_code
        == 201
    )
    app.config["MATCHING_INDEX"] = ranking == "index"
    try:
        me = headers_of(employer)
        url = f"/api/v1/shifts/{job.shifts[1].id}/candidates"
        before = {c["worker_id"]: c for c in client.get(url, headers=me).get_json()}
        assert before[first.id]["score"] == before[second.id]["score"]
        favoured = max(first.id, second.id)  # ties go to the lower id: favour the other
        _put(client, me, f"{FAVOURITES}/{favoured}")
        ranked = client.get(url, headers=me).get_json()
        assert ranked[0]["worker_id"] == favoured
        assert ranked[0]["components"]["favourite"] == 1.0
        assert ranked[1]["components"]["favourite"] == 0.0
        assert ranked[0]["score"] - ranked[1]["score"] == pytest.approx(0.10, abs=1e-6)
    finally:
        app.config["MATCHING_INDEX"] = True


def test_a_one_place_assignment_goes_to_the_favourite(known, client, headers_of, make_worker):
    employer, first, job = known
    second = make_worker()
    client.post(f"/api/v1/shifts/{job.shifts[0].id}/bookings", headers=headers_of(second))
    favoured = max(first.id, second.id)
    me = headers_of(employer)
    _put(client, me, f"{FAVOURITES}/{favoured}")
    one_place = client.patch(
        f"/api/v1/shifts/{job.shifts[1].id}", json={"headcount": 1}, headers=me
    )
    assert one_place.status_code == 200
    plan = client.post(
        "/api/v1/matching/assignments", json={"shift_ids": [job.shifts[1].id]}, headers=me
    ).get_json()
    assert [a["worker_id"] for a in plan["assignments"]] == [favoured]
