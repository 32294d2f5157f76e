"""Employment registration by commitment (就业登记承诺制, contract v1.1): registered at once on
the worker's word, revocable by an official of the worker's city; 西宁's subsidy rests on it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.audit.models import AuditEvent
from marketplace.subsidies.evaluation import evaluator
from tests.subsidies import conftest as subsidy_fixtures
from tests.subsidies.conftest import FIRST_HALF, add_income, add_premium, codes, flags_of

# The subsidy tests' fixtures: the clock frozen on 2 July 2026, and people with group dates.
frozen_clock = subsidy_fixtures.frozen_clock
person = subsidy_fixtures.person

MINE = "/api/v1/workers/me/employment-registrations"
CITY = "/api/v1/employment-registrations"
FLEXIBLE = {"form": "flexible", "started_on": "2026-01-01", "commitment": True}


@pytest.fixture
def xining_worker(person, database):
    """A 西宁 worker, unemployed (2025-12-10) and difficulty, with income and a January premium."""
    worker = person(
        city="xining",
        unemployment_registered_on=date(2025, 12, 10),
        difficulty_certified_on=date(2025, 12, 20),
    )
    add_income(database, worker.id, FIRST_HALF, "2000.00")
    add_premium(database, worker.id, "2026-01", "600.00", "240.00")
    return worker


def test_a_worker_registers_on_their_commitment_and_it_is_registered_at_once(
    client, auth_headers, xining_worker, database
):
    headers = auth_headers(xining_worker.user)
    response = client.post(MINE, json=FLEXIBLE, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["form"], body["started_on"], body["status"]) == (
        "flexible",
        "2026-01-01",
        "registered",
    )
    assert [r["id"] for r in client.get(MINE, headers=headers).get_json()] == [body["id"]]
    event = database.scalar(
        select(AuditEvent).where(AuditEvent.action == "employment_registration.registered")
    )
    assert event.entity_id == str(body["id"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FLEXIBLE, "commitment": False}, "commitment"),
        ({k: v for k, v in FLEXIBLE.items() if k != "commitment"}, "commitment"),
        ({**FLEXIBLE, "started_on": "2026-07-03"}, "started_on"),  # after today (2 July)
        ({**FLEXIBLE, "form": "employed"}, "employer_id"),  # employed names the employer
        ({**FLEXIBLE, "employer_id": 1}, "employer_id"),  # flexible work names none
        ({**FLEXIBLE, "form": "employed", "employer_id": 999_999}, "employer_id"),
        ({**FLEXIBLE, "form": "gig"}, "form"),
    ],
    ids=[
        "no commitment",
        "commitment missing",
        "future",
        "employed without employer",
        "employer for flexible work",
        "unknown employer",
        "unknown form",
    ],
)
def test_a_registration_needs_the_commitment_a_past_start_and_the_right_employer(
    client, auth_headers, xining_worker, body, field
):
    headers = auth_headers(xining_worker.user)
    response = client.post(MINE, json=body, headers=headers)
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])
    assert client.get(MINE, headers=headers).get_json() == []


def test_xining_social_insurance_rests_on_the_registration_and_its_revocation_takes_it_away(
    client, auth_headers, make_user, xining_worker, database
):
    evaluator.evaluate("xining", date(2026, 7, 1))
    database.commit()
    assert [
        f for f in flags_of(database, xining_worker.id) if f.program == "social_insurance"
    ] == []

    registered = client.post(MINE, json=FLEXIBLE, headers=auth_headers(xining_worker.user))
    [flag] = flags_of(database, xining_worker.id)  # evaluated again at once
    assert (flag.program, flag.key) == ("social_insurance", "2026-01")
    assert flag.evidence["employment_registered_on"] == "2026-01-01"

    official = auth_headers(make_user("official", city="xining"))
    revoke = f"{CITY}/{registered.get_json()['id']}/revoke"
    assert client.post(revoke, json={}, headers=official).status_code == 422  # a reason
    revoked = client.post(revoke, json={"reason": "核查无灵活就业"}, headers=official)
    assert revoked.get_json()["status"] == "revoked"
    [flag] = flags_of(database, xining_worker.id)
    assert "no_longer_proposed" in codes(flag)  # the rules no longer propose it
    assert client.post(revoke, json={"reason": "again"}, headers=official).status_code == 409


def test_the_worker_ends_a_registration_and_no_month_after_it_counts(
    client, auth_headers, xining_worker, database
):
    for month in FIRST_HALF[1:]:
        add_premium(database, xining_worker.id, month, "600.00", "240.00")
    headers = auth_headers(xining_worker.user)
    registration = client.post(MINE, json=FLEXIBLE, headers=headers).get_json()
    ended = client.post(
        f"{MINE}/{registration['id']}/end", json={"ended_on": "2026-02-20"}, headers=headers
    )
    assert ended.status_code == 200 and ended.get_json()["ended_on"] == "2026-02-20"
    evaluator.evaluate("xining", date(2026, 7, 1))
    database.commit()
    # The months flagged while it stood stay pending, marked: the rules no longer propose them.
    proposed = sorted(
        f.key for f in flags_of(database, xining_worker.id) if "no_longer_proposed" not in codes(f)
    )
    assert proposed == ["2026-01", "2026-02"]
    too_early = client.post(
        f"{MINE}/{registration['id']}/end", json={"ended_on": "2025-12-31"}, headers=headers
    )
    assert too_early.status_code == 422


def test_who_may_list_revoke_and_end(client, auth_headers, make_user, person, xining_worker):
    registration = client.post(
        MINE, json=FLEXIBLE, headers=auth_headers(xining_worker.user)
    ).get_json()
    revoke = f"{CITY}/{registration['id']}/revoke"
    reason = {"reason": "x"}
    assert (
        client.post(revoke, json=reason, headers=auth_headers(make_user("admin"))).status_code
        == 403
    )
    for role in ("worker", "employer", "broker"):
        assert (
            client.post(revoke, json=reason, headers=auth_headers(make_user(role))).status_code
            == 403
        )
        assert client.get(CITY, headers=auth_headers(make_user(role))).status_code == 403
    wuxi = auth_headers(make_user("official", city="wuxi"))
    assert client.post(revoke, json=reason, headers=wuxi).status_code == 404
    assert client.get(CITY, query_string={"city": "xining"}, headers=wuxi).status_code == 403
    assert client.get(CITY, headers=wuxi).get_json() == []
    xining = auth_headers(make_user("official", city="xining"))
    assert [r["id"] for r in client.get(CITY, headers=xining).get_json()] == [registration["id"]]
    admin = auth_headers(make_user("admin"))
    assert client.get(CITY, headers=admin).status_code == 422  # which city?
    assert (
        len(
            client.get(
                CITY, query_string={"city": "xining", "status": "registered"}, headers=admin
            ).get_json()
        )
        == 1
    )
    # Another worker does not find it to end it.
    other = person()
    end = f"{MINE}/{registration['id']}/end"
    assert (
        client.post(
            end, json={"ended_on": "2026-02-01"}, headers=auth_headers(other.user)
        ).status_code
        == 404
    )
