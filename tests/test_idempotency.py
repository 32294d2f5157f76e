"""Idempotency-Key on creating POSTs: replay, conflict, expiry, failures not remembered."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.jobs.models import Job
from tests.conftest import job_body

JOBS = "/api/v1/jobs"


def job_count(database) -> int:
    return database.scalar(select(func.count()).select_from(Job))


@pytest.fixture
def employer_user(make_employer, database):
    return database.get(User, make_employer().user_id)


def post(client, auth_headers, user, body, key):
    return client.post(JOBS, json=body, headers={**auth_headers(user), "Idempotency-Key": key})


def test_the_same_key_and_body_replays_the_first_response_and_creates_nothing(
    client, auth_headers, employer_user, database
):
    body = job_body()
    first = post(client, auth_headers, employer_user, body, "job-1")
    second = post(client, auth_headers, employer_user, body, "job-1")
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert job_count(database) == 1


def test_key_order_and_whitespace_of_the_body_do_not_matter(
    client, auth_headers, employer_user, database
):
    body = job_body()
    post(client, auth_headers, employer_user, body, "job-2")
    reordered = dict(reversed(list(body.items())))
    assert post(client, auth_headers, employer_user, reordered, "job-2").status_code == 201
    assert job_count(database) == 1


def test_the_same_key_with_another_body_is_422(client, auth_headers, employer_user, database):
    post(client, auth_headers, employer_user, job_body(), "job-3")
    other = post(client, auth_headers, employer_user, job_body(title="另一份工作"), "job-3")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["errors"]["headers"]
    assert job_count(database) == 1


def test_keys_belong_to_their_user(client, auth_headers, make_employer, database):
    body = job_body()
    for employer in (make_employer(), make_employer()):
        assert (
            post(
                client, auth_headers, database.get(User, employer.user_id), body, "same"
            ).status_code
            == 201
        )
    assert job_count(database) == 2


def test_a_failed_request_is_not_remembered(client, auth_headers, employer_user, database):
    failed = post(client, auth_headers, employer_user, job_body(hourly_wage="1.00"), "job-4")
    assert failed.status_code == 422
    fixed = post(client, auth_headers, employer_user, job_body(), "job-4")
    assert fixed.status_code == 201
    assert job_count(database) == 1


def test_a_key_is_remembered_for_24_hours(client, auth_headers, employer_user, database):
    body = job_body()
    with time_machine.travel(clock.now(), tick=False) as traveller:
        post(client, auth_headers, employer_user, body, "job-5")
        traveller.shift(timedelta(hours=23, minutes=59))
        assert post(client, auth_headers, employer_user, body, "job-5").headers.get(
            "Idempotent-Replayed"
        )
        assert job_count(database) == 1
        traveller.shift(timedelta(minutes=2))
        again = post(client, auth_headers, employer_user, body, "job-5")
        assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
        assert job_count(database) == 2


def test_an_overlong_key_is_422(client, auth_headers, employer_user, database):
    assert post(client, auth_headers, employer_user, job_body(), "k" * 256).status_code == 422
    assert job_count(database) == 0


def test_the_purge_job_drops_keys_past_the_replay_window_only(
    client, auth_headers, employer_user, database
):
    from marketplace.common.idempotency import IdempotencyRecord
    from marketplace.scheduler import run_job

    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        post(client, auth_headers, employer_user, job_body(), "old-key")
        traveller.shift(timedelta(hours=12))
        post(client, auth_headers, employer_user, job_body(), "new-key")
        traveller.shift(timedelta(hours=12, minutes=1))
        assert run_job("purge").result["idempotency_keys"] == 1
    kept = database.scalars(select(IdempotencyRecord.key)).all()
    assert kept == ["new-key"]
