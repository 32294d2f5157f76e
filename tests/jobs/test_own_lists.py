"""Own lists (contract v1.1 "Everyday use"): the employer's side sees its jobs and bookings.

An employer lists its own; a broker those of an employer it acts for (naming it), or all of
its employers' jobs at once; nobody sees another employer's list.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace import clock
from marketplace.auth.models import User
from marketplace.brokers import delegations
from tests.conftest import shift_times

JOBS = "/api/v1/employers/me/jobs"
BOOKINGS = "/api/v1/employers/me/bookings"
BROKER_JOBS = "/api/v1/brokers/me/jobs"


@pytest.fixture
def market(database, make_employer, make_job, make_worker, make_broker, client, headers_of):
    """An employer with two jobs (one cancelled) and three bookings; another employer's job;
    a broker acting for both employers."""
    mine = make_employer()
    soon = make_job(employer=mine, shifts=[{**shift_times(days_ahead=2), "headcount": 3}])
    later = make_job(employer=mine, shifts=[{**shift_times(days_ahead=9), "headcount": 3}])
    other = make_employer()
    theirs = make_job(employer=other)
    workers = [make_worker() for _ in range(3)]
    for worker in workers[:2]:
        book = client.post(
            f"/api/v1/shifts/{soon.shifts[0].id}/bookings", headers=headers_of(worker)
        )
        assert book.status_code == 201
    booked = client.post(
        f"/api/v1/shifts/{later.shifts[0].id}/bookings", headers=headers_of(workers[2])
    )
    assert booked.status_code == 201
    cancelled = client.post(
        f"/api/v1/bookings/{booked.get_json()['id']}/cancel",
        json={"reason": "有事"},
        headers=headers_of(workers[2]),
    )
    assert cancelled.status_code == 200
    broker = make_broker()
    for employer in (mine, other):
        delegations.delegate(database.get(User, employer.user_id), broker.id)
    database.commit()
    return {
        "mine": mine,
        "other": other,
        "soon": soon,
        "later": later,
        "theirs": theirs,
        "broker": broker,
    }


def listed(client, headers, url, **query):
    response = client.get(url, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response


def ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()]


def test_an_employer_lists_its_own_jobs_newest_first_with_x_pagination(market, client, headers_of):
    response = listed(client, headers_of(market["mine"]), JOBS)
    assert ids(response) == [market["later"].id, market["soon"].id]
    assert '"total": 2' in response.headers["X-Pagination"]
    assert response.get_json()[0]["shifts"]


def test_the_jobs_filter_by_status_days_and_shift(market, client, headers_of):
    headers = headers_of(market["mine"])
    soon, later = market["soon"], market["later"]
    assert client.post(f"/api/v1/jobs/{later.id}/cancel", headers=headers).status_code == 200
    assert ids(listed(client, headers, JOBS, status="cancelled")) == [later.id]
    assert ids(listed(client, headers, JOBS, status="active")) == [soon.id]
    today = clock.local_now().date()
    window = {"from": str(today + timedelta(days=2)), "to": str(today + timedelta(days=2))}
    assert ids(listed(client, headers, JOBS, **window)) == [soon.id]
    assert ids(listed(client, headers, JOBS, shift_id=later.shifts[0].id)) == [later.id]


def test_an_employer_lists_the_bookings_on_its_shifts(market, client, headers_of):
    headers = headers_of(market["mine"])
    everything = listed(client, headers, BOOKINGS).get_json()
    assert len(everything) == 3
    assert [b["starts_at"] for b in everything] == sorted(b["starts_at"] for b in everything)
    assert {b["status"] for b in everything} == {"confirmed", "cancelled"}
    assert len(listed(client, headers, BOOKINGS, status="cancelled").get_json()) == 1
    soon_shift = market["soon"].shifts[0].id
    assert {
        b["shift_id"] for b in listed(client, headers, BOOKINGS, shift_id=soon_shift).get_json()
    } == {soon_shift}
    today = clock.local_now().date()
    after = listed(client, headers, BOOKINGS, **{"from": str(today + timedelta(days=5))})
    assert [b["status"] for b in after.get_json()] == ["cancelled"]


def test_a_broker_names_the_employer_and_sees_only_those_that_delegated(
    market, client, headers_of, make_employer
):
    headers = headers_of(market["broker"])
    mine = market["mine"]
    assert ids(listed(client, headers, JOBS, employer_id=mine.id)) == [
        market["later"].id,
        market["soon"].id,
    ]
    assert len(listed(client, headers, BOOKINGS, employer_id=mine.id).get_json()) == 3
    unnamed = client.get(JOBS, headers=headers)
    assert unnamed.status_code == 422 and "employer_id" in unnamed.get_json()["errors"]["query"]
    stranger = make_employer()
    assert (
        client.get(JOBS, headers=headers, query_string={"employer_id": stranger.id}).status_code
        == 403
    )
    assert (
        client.get(BOOKINGS, headers=headers, query_string={"employer_id": stranger.id}).status_code
        == 403
    )


def test_a_broker_lists_the_jobs_of_all_its_employers(market, client, headers_of, database):
    headers = headers_of(market["broker"])
    everyone = ids(listed(client, headers, BROKER_JOBS))
    assert set(everyone) == {market["soon"].id, market["later"].id, market["theirs"].id}
    just_other = ids(listed(client, headers, BROKER_JOBS, employer_id=market["other"].id))
    assert just_other == [market["theirs"].id]
    delegations.revoke_delegation(database.get(User, market["other"].user_id), market["broker"].id)
    database.commit()
    assert market["theirs"].id not in ids(listed(client, headers, BROKER_JOBS))


def test_an_employer_sees_nobody_elses_list(market, client, headers_of):
    headers = headers_of(market["other"])
    assert ids(listed(client, headers, JOBS)) == [market["theirs"].id]
    assert listed(client, headers, BOOKINGS).get_json() == []
    naming = client.get(JOBS, headers=headers, query_string={"employer_id": market["mine"].id})
    assert naming.status_code == 403


@pytest.mark.parametrize("role", ["worker", "official", "admin"])
def test_other_roles_are_refused(client, auth_headers, make_user, role):
    headers = auth_headers(make_user(role, city="wuxi") if role == "official" else make_user(role))
    assert client.get(JOBS, headers=headers).status_code == 403
    assert client.get(BOOKINGS, headers=headers).status_code == 403
    assert client.get(BROKER_JOBS, headers=headers).status_code == 403


def test_an_employer_is_not_a_broker(market, client, headers_of):
    assert client.get(BROKER_JOBS, headers=headers_of(market["mine"])).status_code == 403


@pytest.mark.parametrize(
    "query",
    [{"status": "open"}, {"from": "2026-13-01"}, {"from": "2026-12-10", "to": "2026-12-01"}],
    ids=["unknown status", "not a day", "to before from"],
)
def test_bad_filters_are_422(market, client, headers_of, query):
    response = client.get(JOBS, headers=headers_of(market["mine"]), query_string=query)
    assert response.status_code == 422
