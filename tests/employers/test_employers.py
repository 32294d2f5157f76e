"""Employers, brokers and delegations."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.brokers.models import Broker, Delegation
from marketplace.employers.models import Employer
from tests.conftest import credit_code, employer_body, job_body

ME = "/api/v1/employers/me"


def count(database, model) -> int:
    return database.scalar(select(func.count()).select_from(model))


def user_of(database, profile) -> User:
    return database.get(User, profile.user_id)


def test_an_employer_creates_and_reads_its_profile(client, auth_headers, make_user):
    user = make_user("employer")
    headers = auth_headers(user)
    assert client.get(ME, headers=headers).status_code == 404
    code = credit_code()
    response = client.put(ME, json=employer_body(credit_code=code), headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["credit_code"], body["user_id"], body["city"]) == (code, user.id, "wuxi")
    assert client.get(ME, headers=headers).get_json() == body


def test_a_credit_code_is_normalised_to_upper_case(client, auth_headers, make_user):
    code = "91350100M000100Y43"  # a published code with letters in it
    response = client.put(
        ME,
        json=employer_body(credit_code=code.lower()),
        headers=auth_headers(make_user("employer")),
    )
    assert response.status_code == 200
    assert response.get_json()["credit_code"] == code


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100YI3", "", "X" * 18],
)
def test_a_credit_code_with_a_wrong_check_character_or_form_is_422(
    client, auth_headers, make_user, database, code
):
    response = client.put(
        ME, json=employer_body(credit_code=code), headers=auth_headers(make_user("employer"))
    )
    assert response.status_code == 422
    assert "credit_code" in response.get_json()["errors"]["json"]
    assert count(database, Employer) == 0


def test_a_credit_code_belongs_to_one_employer(client, auth_headers, make_user, database):
    code = credit_code()
    assert (
        client.put(
            ME, json=employer_body(credit_code=code), headers=auth_headers(make_user("employer"))
        ).status_code
        == 200
    )
    second = client.put(
        ME, json=employer_body(credit_code=code), headers=auth_headers(make_user("employer"))
    )
    assert second.status_code == 409
    assert count(database, Employer) == 1


@pytest.mark.parametrize("role", ["worker", "broker"])
def test_only_employers_have_employer_profiles(client, auth_headers, make_user, role):
    response = client.put(ME, json=employer_body(), headers=auth_headers(make_user(role)))
    assert response.status_code == 403


def test_a_broker_creates_its_profile_with_an_optional_licence(client, auth_headers, make_user):
    headers = auth_headers(make_user("broker"))
    assert client.get("/api/v1/brokers/me", headers=headers).status_code == 404
    response = client.put(
        "/api/v1/brokers/me",
        json={"name": "刘经纪", "city": "xining", "licence_number": "QH-001"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json()["licence_number"] == "QH-001"
    bare = client.put(
        "/api/v1/brokers/me", json={"name": "刘经纪", "city": "xining"}, headers=headers
    )
    assert bare.get_json()["licence_number"] is None


# --- delegation -----------------------------------------------------------------------------


def test_an_employer_delegates_to_a_broker_who_then_acts_for_it(
    client, auth_headers, make_employer, make_broker, database
):
    employer, broker = make_employer(), make_broker()
    employer_headers = auth_headers(user_of(database, employer))
    broker_headers = auth_headers(user_of(database, broker))
    response = client.post(f"{ME}/brokers", json={"broker_id": broker.id}, headers=employer_headers)
    assert response.status_code == 201
    assert response.get_json()["broker_id"] == broker.id
    mine = client.get("/api/v1/brokers/me/employers", headers=broker_headers).get_json()
    assert [e["id"] for e in mine] == [employer.id]

    posted = client.post(
        "/api/v1/jobs", json=job_body(employer_id=employer.id), headers=broker_headers
    )
    assert posted.status_code == 201
    job = posted.get_json()
    assert (job["employer_id"], job["broker_id"], job["posted_by"]) == (
        employer.id,
        broker.id,
        broker.user_id,
    )
    [event] = database.scalars(select(AuditEvent).where(AuditEvent.action == "job.posted"))
    assert event.data["employer_id"] == employer.id and event.data["broker_id"] == broker.id


def test_a_revoked_delegation_ends_at_once(
    client, auth_headers, make_employer, make_broker, database
):
    employer, broker = make_employer(), make_broker()
    employer_headers = auth_headers(user_of(database, employer))
    broker_headers = auth_headers(user_of(database, broker))
    client.post(f"{ME}/brokers", json={"broker_id": broker.id}, headers=employer_headers)
    revoked = client.delete(f"{ME}/brokers/{broker.id}", headers=employer_headers)
    assert revoked.status_code == 204
    assert client.get("/api/v1/brokers/me/employers", headers=broker_headers).get_json() == []
    posted = client.post(
        "/api/v1/jobs", json=job_body(employer_id=employer.id), headers=broker_headers
    )
    assert posted.status_code == 403
    assert client.delete(f"{ME}/brokers/{broker.id}", headers=employer_headers).status_code == 404
    actions = database.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity == "delegation")
        .order_by(AuditEvent.seq)  # without it PostgreSQL answers in whatever order its heap has
    ).all()
    assert actions == ["delegation.granted", "delegation.revoked"]


def test_a_second_live_delegation_to_the_same_broker_is_409(
    client, auth_headers, make_employer, make_broker, database
):
    employer, broker = make_employer(), make_broker()
    headers = auth_headers(user_of(database, employer))
    client.post(f"{ME}/brokers", json={"broker_id": broker.id}, headers=headers)
    again = client.post(f"{ME}/brokers", json={"broker_id": broker.id}, headers=headers)
    assert again.status_code == 409
    assert count(database, Delegation) == 1
    # After a revoke the same broker can be delegated to again.
    client.delete(f"{ME}/brokers/{broker.id}", headers=headers)
    assert (
        client.post(f"{ME}/brokers", json={"broker_id": broker.id}, headers=headers).status_code
        == 201
    )


def test_delegating_to_an_unknown_broker_is_422(client, auth_headers, make_employer, database):
    employer = make_employer()
    response = client.post(
        f"{ME}/brokers",
        json={"broker_id": 99999},
        headers=auth_headers(user_of(database, employer)),
    )
    assert response.status_code == 422
    assert count(database, Delegation) == 0


def test_delegating_needs_an_employer_profile(
    client, auth_headers, make_user, make_broker, database
):
    broker = make_broker()
    response = client.post(
        f"{ME}/brokers", json={"broker_id": broker.id}, headers=auth_headers(make_user("employer"))
    )
    assert response.status_code == 409
    assert count(database, Broker) == 1 and count(database, Delegation) == 0


def test_a_broker_cannot_act_for_an_employer_that_never_delegated(
    client, auth_headers, make_employer, make_broker, database
):
    employer, broker = make_employer(), make_broker()
    response = client.post(
        "/api/v1/jobs",
        json=job_body(employer_id=employer.id),
        headers=auth_headers(user_of(database, broker)),
    )
    assert response.status_code == 403
