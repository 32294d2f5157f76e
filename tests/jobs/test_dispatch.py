"""Dispatch work (劳务派遣, contract v1.1): posted only by a broker holding a labour-dispatch
licence (劳务派遣经营许可证), acting for the employer. Where v1.1 changes v1 (an employer posting
dispatch work itself), v1.1 holds."""

from __future__ import annotations

from marketplace.auth.models import User
from marketplace.brokers import delegations
from tests.conftest import job_body

JOBS = "/api/v1/jobs"


def test_a_licensed_broker_posts_dispatch_work_for_the_employer(
    client, make_employer, make_broker, headers_of, database
):
    employer = make_employer()
    broker = make_broker(licence_number="苏劳派许字第320200001号")
    delegations.delegate(database.get(User, employer.user_id), broker.id)
    database.commit()
    response = client.post(
        JOBS,
        json=job_body(employment_type="dispatch", employer_id=employer.id),
        headers=headers_of(broker),
    )
    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    assert (job["employment_type"], job["employer_id"], job["broker_id"]) == (
        "dispatch",
        employer.id,
        broker.id,
    )


def test_an_employer_posting_dispatch_work_itself_is_422_naming_the_field(
    client, make_employer, headers_of
):
    response = client.post(
        JOBS, json=job_body(employment_type="dispatch"), headers=headers_of(make_employer())
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"]["json"]["employment_type"] == [
        "dispatch is posted by a broker holding a labour-dispatch licence, acting for the employer"
    ]


def test_a_broker_without_a_licence_may_not_post_dispatch_work(
    client, make_employer, make_broker, headers_of, database
):
    employer = make_employer()
    broker = make_broker()  # no licence_number
    delegations.delegate(database.get(User, employer.user_id), broker.id)
    database.commit()
    response = client.post(
        JOBS,
        json=job_body(employment_type="dispatch", employer_id=employer.id),
        headers=headers_of(broker),
    )
    assert response.status_code == 422
    assert "licence_number" in response.get_json()["errors"]["json"]["employment_type"][0]


def test_the_same_broker_without_a_licence_still_posts_other_work(
    client, make_employer, make_broker, headers_of, database
):
    employer = make_employer()
    broker = make_broker()
    delegations.delegate(database.get(User, employer.user_id), broker.id)
    database.commit()
    response = client.post(
        JOBS,
        json=job_body(employment_type="outsourcing", employer_id=employer.id),
        headers=headers_of(broker),
    )
    assert response.status_code == 201


def test_a_licensed_broker_the_employer_did_not_delegate_to_is_403(
    client, make_employer, make_broker, headers_of
):
    employer = make_employer()
    broker = make_broker(licence_number="苏劳派许字第320200001号")
    response = client.post(
        JOBS,
        json=job_body(employment_type="dispatch", employer_id=employer.id),
        headers=headers_of(broker),
    )
    assert response.status_code == 403
