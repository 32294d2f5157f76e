"""Group statuses (contract v1.1): the worker declares, an official of the worker's city checks.

A status holds from its start month through its end month; a rejected one never holds. Flags may
rest on a declared status (符合即享受), but cannot be approved until it is verified.
"""

from __future__ import annotations

from datetime import date

import flask_migrate
import pytest
from sqlalchemy import delete, func, select

from marketplace import create_app
from marketplace.audit import services as audit_services
from marketplace.audit.models import AuditEvent
from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator
from marketplace.workers.models import GroupStatus, Worker
from tests.conftest import SECRETS, worker_body
from tests.subsidies import conftest as subsidy_fixtures
from tests.subsidies.conftest import (
    FIRST_HALF,
    add_employment_registration,
    add_income,
    add_premium,
    codes,
    flags_of,
)

# The subsidy tests' fixtures: the clock frozen on 2 July 2026, and people with group dates.
frozen_clock = subsidy_fixtures.frozen_clock
person = subsidy_fixtures.person

MINE = "/api/v1/workers/me/group-statuses"
PROFILE = "/api/v1/workers/me"


def statuses(client, headers, url=MINE):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return {s["group"]: s for s in response.get_json()}


def act(client, headers, status_id, verb, **body):
    return client.post(f"/api/v1/group-statuses/{status_id}/{verb}", json=body, headers=headers)


@pytest.fixture
def declared(client, make_user, auth_headers):
    """A 无锡 worker who declared registered unemployment (2025-12-10) through the profile."""
    user = make_user("worker")
    headers = auth_headers(user)
    body = worker_body(unemployment_registered_on="2025-12-10")
    assert client.put(PROFILE, json=body, headers=headers).status_code == 200
    return user, headers, body


def test_a_profile_date_declares_a_status_that_is_redated_and_withdrawn_while_declared(
    client, declared
):
    _user, headers, body = declared
    [status] = statuses(client, headers).values()
    assert (status["group"], status["started_on"], status["status"]) == (
        "unemployed",
        "2025-12-10",
        "declared",
    )
    assert (
        client.put(
            PROFILE, json={**body, "unemployment_registered_on": "2025-12-01"}, headers=headers
        ).status_code
        == 200
    )
    assert statuses(client, headers)["unemployed"]["started_on"] == "2025-12-01"
    assert (
        client.put(
            PROFILE, json={**body, "unemployment_registered_on": None}, headers=headers
        ).status_code
        == 200
    )
    assert statuses(client, headers) == {}


def test_an_official_of_the_city_verifies_with_corrected_dates_and_it_is_audited(
    client, declared, make_user, auth_headers, database
):
    user, headers, _body = declared
    status_id = statuses(client, headers)["unemployed"]["id"]
    official = make_user("official", city="wuxi")

    response = act(
        client,
        auth_headers(official),
        status_id,
        "verify",
        started_on="2025-12-08",
        reference="3202000012345",
    )

    assert response.status_code == 200
    verified = response.get_json()
    assert (verified["status"], verified["started_on"], verified["reference"]) == (
        "verified",
        "2025-12-08",
        "3202000012345",
    )
    assert verified["decided_by"] == official.id
    worker = database.scalar(select(Worker).where(Worker.user_id == user.id))
    assert worker.unemployment_registered_on == date(2025, 12, 8)  # what the rules read
    assert (
        client.get(PROFILE, headers=headers).get_json()["unemployment_registered_on"]
        == "2025-12-08"
    )
    event = database.scalar(select(AuditEvent).where(AuditEvent.action == "group_status.verified"))
    assert event.actor_id == official.id and event.data["started_on"] == "2025-12-08"


def test_a_decided_status_cannot_be_redated_by_the_profile(
    client, declared, make_user, auth_headers
):
    _user, headers, body = declared
    status_id = statuses(client, headers)["unemployed"]["id"]
    act(client, auth_headers(make_user("official", city="wuxi")), status_id, "verify")

    moved = client.put(
        PROFILE, json={**body, "unemployment_registered_on": "2025-11-01"}, headers=headers
    )
    assert moved.status_code == 409
    assert "unemployment_registered_on" in str(moved.get_json()["errors"])
    assert statuses(client, headers)["unemployed"]["started_on"] == "2025-12-10"
    # Sent back as read, the profile is fine.
    assert client.put(PROFILE, json=body, headers=headers).status_code == 200


def test_a_rejected_status_never_holds_but_the_profile_still_shows_the_declaration(
    client, declared, make_user, auth_headers, database
):
    user, headers, body = declared
    status_id = statuses(client, headers)["unemployed"]["id"]
    official = auth_headers(make_user("official", city="wuxi"))
    assert act(client, official, status_id, "reject").status_code == 422  # a reason is required

    rejected = act(client, official, status_id, "reject", reason="无失业登记记录")

    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    worker = database.scalar(select(Worker).where(Worker.user_id == user.id))
    assert worker.unemployment_registered_on is None  # nothing for the rules
    assert (
        client.get(PROFILE, headers=headers).get_json()["unemployment_registered_on"]
        == "2025-12-10"
    )
    assert (
        client.put(
            PROFILE, json={**body, "unemployment_registered_on": None}, headers=headers
        ).status_code
        == 409
    )


def test_others_may_not_check_a_status(client, declared, make_user, auth_headers, database):
    _user, headers, _body = declared
    status_id = statuses(client, headers)["unemployed"]["id"]
    for verb, body in (
        ("verify", {}),
        ("reject", {"reason": "x"}),
        ("end", {"ended_on": "2026-01-31"}),
    ):
        assert (
            act(client, auth_headers(make_user("admin")), status_id, verb, **body).status_code
            == 403
        )
        for role in ("worker", "employer", "broker"):
            assert (
                act(client, auth_headers(make_user(role)), status_id, verb, **body).status_code
                == 403
            )
        other = auth_headers(make_user("official", city="xining"))
        assert act(client, other, status_id, verb, **body).status_code == 404
    assert (
        act(client, auth_headers(make_user("official", city="wuxi")), 999_999, "verify").status_code
        == 404
    )
    assert statuses(client, headers)["unemployed"]["status"] == "declared"


def test_a_workers_statuses_are_read_by_the_officials_of_its_city_and_admins(
    client, declared, make_user, auth_headers, database
):
    user, _headers, _body = declared
    worker_id = database.scalar(select(Worker.id).where(Worker.user_id == user.id))
    url = f"/api/v1/workers/{worker_id}/group-statuses"
    for reader in (make_user("official", city="wuxi"), make_user("admin")):
        assert list(statuses(client, auth_headers(reader), url)) == ["unemployed"]
    assert (
        client.get(url, headers=auth_headers(make_user("official", city="xining"))).status_code
        == 404
    )
    for role in ("worker", "employer", "broker"):
        assert client.get(url, headers=auth_headers(make_user(role))).status_code == 403


# --- what the rules make of statuses ----------------------------------------------------------


def test_a_flag_on_a_declared_status_is_raised_signalled_and_approved_only_once_verified(
    client, person, auth_headers, make_user, database
):
    worker = person(unemployment_registered_on=date(2025, 12, 10), verified=False)
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", date(2026, 7, 1))
    database.commit()
    [flag] = flags_of(database, worker.id)
    assert "group_unverified" in codes(flag)  # 符合即享受: raised all the same
    official = auth_headers(make_user("official", city="wuxi"))

    refused = client.post(
        f"/api/v1/subsidies/flags/{flag.id}/decision",
        json={"decision": "approve"},
        headers=official,
    )
    assert refused.status_code == 409
    [unverified] = refused.get_json()["errors"]["unverified"]
    assert unverified["group"] == "unemployed"

    assert act(client, official, unverified["id"], "verify").status_code == 200
    [flag] = flags_of(database, worker.id)
    assert "group_unverified" not in codes(flag)  # evaluated again at once
    approved = client.post(
        f"/api/v1/subsidies/flags/{flag.id}/decision",
        json={"decision": "approve"},
        headers=official,
    )
    assert approved.status_code == 200


def test_an_ended_status_holds_through_its_end_month_only(
    client, person, auth_headers, make_user, database
):
    """A 西宁 difficulty worker with premiums every month: ending the 就业困难 status in March
    leaves the months through March, and nothing after."""
    worker = person(
        city="xining",
        unemployment_registered_on=date(2025, 12, 10),
        difficulty_certified_on=date(2025, 12, 20),
    )
    add_income(database, worker.id, FIRST_HALF, "2000.00")
    add_employment_registration(database, worker.id, date(2026, 1, 1))
    for month in FIRST_HALF:
        add_premium(database, worker.id, month, "600.00", "240.00")
    difficulty = database.scalar(
        select(GroupStatus).where(
            GroupStatus.worker_id == worker.id, GroupStatus.group == "difficulty"
        )
    )
    official = auth_headers(make_user("official", city="xining"))
    assert act(client, official, difficulty.id, "end", ended_on="2026-03-15").status_code == 200

    evaluator.evaluate("xining", date(2026, 7, 1))
    database.commit()

    months = sorted(f.key for f in flags_of(database, worker.id) if f.program == "social_insurance")
    assert months == ["2026-01", "2026-02", "2026-03"]
    assert act(client, official, difficulty.id, "end", ended_on="2025-11-01").status_code == 422


def test_the_workers_row_holds_what_the_status_holds_for_matching_and_the_statistics(
    client, person, auth_headers, make_user, database
):
    """Matching's priority and the monthly statistics read the row: its start and end follow
    an official's end, and a rejection clears both."""
    worker = person(unemployment_registered_on=date(2025, 12, 10), verified=False)
    status = database.scalar(select(GroupStatus).where(GroupStatus.worker_id == worker.id))
    official = auth_headers(make_user("official", city="wuxi"))

    assert act(client, official, status.id, "end", ended_on="2026-03-15").status_code == 200
    database.expire_all()
    row = database.get(Worker, worker.id)
    assert (row.unemployment_registered_on, row.unemployed_ends_on) == (
        date(2025, 12, 10),
        date(2026, 3, 15),
    )
    assert act(client, official, status.id, "reject", reason="证件不符").status_code == 200
    database.expire_all()
    row = database.get(Worker, worker.id)
    assert (row.unemployment_registered_on, row.unemployed_ends_on) == (None, None)


# --- the migration --------------------------------------------------------------------------


def test_the_migration_makes_each_profile_date_a_declared_status(tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'statuses.db'}", **SECRETS}
    )
    with app.app_context():
        flask_migrate.upgrade()
        from marketplace.auth import services as auth_services
        from marketplace.workers import services as workers
        from marketplace.workers.schemas import WorkerProfileInSchema

        user = auth_services.create_user("13700000001", "password-1", "worker")
        body = worker_body(unemployment_registered_on="2025-12-10", graduated_on="2025-06-30")
        worker = workers.put_profile(user, WorkerProfileInSchema().load(body))
        db.session.execute(delete(GroupStatus))  # as before the statuses existed
        db.session.commit()
        audit_services.catch_up()  # the outbox is empty before a downgrade
        flask_migrate.downgrade(revision="0018")
        flask_migrate.upgrade()
        rows = db.session.execute(
            select(GroupStatus.group, GroupStatus.started_on, GroupStatus.status).where(
                GroupStatus.worker_id == worker.id
            )
        ).all()
        assert sorted(rows) == [
            ("graduate", date(2025, 6, 30), "declared"),
            ("unemployed", date(2025, 12, 10), "declared"),
        ]
        assert db.session.scalar(select(func.count()).select_from(GroupStatus)) == 2
        db.engine.dispose()
