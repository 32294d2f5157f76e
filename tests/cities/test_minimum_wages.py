"""Minimum wages as data an admin adds (API.md v1.1 "Living policies"), never one that would
change decided flags: a row from day D changes the wage of every month whose first day is on or
after D, so D must come after the first day of the latest month a decided flag rests on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update

from marketplace.audit.models import AuditEvent
from marketplace.cities import wages
from marketplace.cities.models import AddedMinimumWage
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import SubsidyFlag
from tests.conftest import job_body
from tests.subsidies.conftest import (
    FIRST_HALF,
    SHANGHAI,
    add_income,
    admin,
    codes,
    flags_of,
    frozen_clock,
    person,
)

__all__ = ["admin", "frozen_clock", "person"]  # the subsidy tests' fixtures, used here

JULY_1 = date(2026, 7, 1)
BODY = {
    "effective_from": "2026-07-10",
    "monthly": "2800.00",
    "hourly": "26.50",
    "source": "测试通知",
}


def add(client, auth_headers, user, code: str = "wuxi", **changes: Any) -> Any:
    return client.post(
        f"/api/v1/cities/{code}/minimum-wages",
        json={**BODY, **changes},
        headers=auth_headers(user),
    )


@pytest.fixture
def flagged(person, database) -> Any:
    """A 无锡 worker with 2700.00 in each month of 2026-01 … 06: a pending platform flag."""
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", JULY_1)
    database.commit()
    return worker


def decide(database, worker_id: int, status: str) -> None:
    database.execute(
        update(SubsidyFlag).where(SubsidyFlag.worker_id == worker_id).values(status=status)
    )
    database.commit()


def test_an_admin_adds_a_wage_that_holds_from_its_day(client, auth_headers, admin, database):
    response = add(client, auth_headers, admin)
    assert response.status_code == 201
    assert response.get_json() == {**BODY, "city": "wuxi"}
    [stored] = database.scalars(select(AddedMinimumWage)).all()
    assert str(stored.monthly) == "2800.00" and str(stored.hourly) == "26.50"
    event = database.scalar(select(AuditEvent).where(AuditEvent.action == "minimum_wage.added"))
    assert event.city == "wuxi" and event.actor_id == admin.id
    assert event.data["monthly"] == "2800.00" and event.data["effective_from"] == "2026-07-10"
    assert str(wages.in_force("wuxi", date(2026, 7, 9)).monthly) == "2660.00"
    assert str(wages.in_force("wuxi", date(2026, 7, 10)).monthly) == "2800.00"
    with time_machine.travel(datetime(2026, 7, 10, 9, tzinfo=SHANGHAI), tick=False):
        cities = {city["code"]: city for city in client.get("/api/v1/cities").get_json()}
    assert cities["wuxi"]["minimum_wage"] == {
        "monthly": "2800.00",
        "hourly": "26.50",
        "effective_from": "2026-07-10",
    }


def test_jobs_are_held_to_the_added_wage(client, auth_headers, admin, make_employer, headers_of):
    assert add(client, auth_headers, admin).status_code == 201
    headers = headers_of(make_employer())
    start = datetime(2026, 7, 15, 9, tzinfo=SHANGHAI)
    shift = {
        "starts_at": start.isoformat(),
        "ends_at": start.replace(hour=17).isoformat(),
        "headcount": 1,
    }
    low = job_body(hourly_wage="26.00", shifts=[shift])
    response = client.post("/api/v1/jobs", json=low, headers=headers)
    assert response.status_code == 422 and "26.50" in response.get_json()["message"]
    enough = job_body(hourly_wage="26.50", shifts=[shift])
    assert client.post("/api/v1/jobs", json=enough, headers=headers).status_code == 201


@pytest.mark.parametrize("role", ["worker", "employer", "broker", "official"])
def test_only_admins_add_wages(client, auth_headers, make_user, role, database):
    user = make_user(role, city="wuxi" if role == "official" else None)
    assert add(client, auth_headers, user).status_code == 403
    assert database.scalars(select(AddedMinimumWage)).all() == []


def test_adding_a_wage_needs_a_token(client):
    assert client.post("/api/v1/cities/wuxi/minimum-wages", json=BODY).status_code == 401


def test_an_unknown_city_is_404(client, auth_headers, admin):
    assert add(client, auth_headers, admin, code="suzhou").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"monthly": 2800.0}, "monthly"),  # a float: money is an exact decimal string
        ({"monthly": "2800.005"}, "monthly"),
        ({"hourly": "0.00"}, "hourly"),
        ({"hourly": "2900.00"}, "hourly"),  # above the monthly wage
        ({"effective_from": "2026-02-30"}, "effective_from"),
        ({"source": ""}, "source"),
    ],
)
def test_invalid_wages_are_422(client, auth_headers, admin, changes, field, database):
    response = add(client, auth_headers, admin, **changes)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert database.scalars(select(AddedMinimumWage)).all() == []


def test_a_day_that_already_has_a_wage_is_409(client, auth_headers, admin):
    # 苏人社规〔2025〕3号's row of the catalogue file, then an added one.
    assert add(client, auth_headers, admin, effective_from="2026-01-01").status_code == 409
    assert add(client, auth_headers, admin).status_code == 201
    assert add(client, auth_headers, admin, monthly="2900.00").status_code == 409


@pytest.mark.parametrize("decision", ["approved", "rejected"])
def test_a_wage_from_the_first_day_of_a_decided_month_is_409(
    client, auth_headers, admin, flagged, database, decision
):
    decide(database, flagged.id, decision)  # the flag's months: 2026-01 … 2026-06
    response = add(client, auth_headers, admin, effective_from="2026-06-01")
    assert response.status_code == 409
    body = response.get_json()
    assert body["errors"]["latest_decided_month"] == "2026-06"
    assert "2026-06" in body["message"]
    # Earlier still: a month before the run changes which run is the first (POLICIES.md).
    assert add(client, auth_headers, admin, effective_from="2025-01-01").status_code == 409
    assert database.scalars(select(AddedMinimumWage)).all() == []


def test_a_wage_after_the_latest_decided_month_s_first_day_is_added(
    client, auth_headers, admin, flagged, database
):
    decide(database, flagged.id, "approved")
    # June's threshold was read on 2026-06-01: a wage from the 2nd changes July on, not June.
    assert add(client, auth_headers, admin, effective_from="2026-06-02").status_code == 201
    [flag] = flags_of(database, flagged.id)
    evaluator.evaluate("wuxi", JULY_1)
    [same] = flags_of(database, flagged.id)
    assert same.fingerprint == flag.fingerprint and same.status == "approved"


def test_a_past_wage_under_pending_flags_only_is_added_and_they_follow(
    client, auth_headers, admin, flagged, database
):
    assert add(client, auth_headers, admin, effective_from="2026-04-01").status_code == 201
    evaluator.evaluate("wuxi", JULY_1)
    [flag] = flags_of(database, flagged.id)
    # 2700.00 is below 2800.00 from April on: the run of six stable months is gone.
    assert flag.status == "pending" and "no_longer_proposed" in codes(flag)


def test_an_evaluation_reads_the_added_wage_as_the_threshold(
    client, auth_headers, admin, person, database
):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    assert (
        add(client, auth_headers, admin, effective_from="2026-06-01", monthly="2690.00").status_code
        == 201
    )
    evaluator.evaluate("wuxi", JULY_1)
    [flag] = flags_of(database, worker.id)
    june = flag.evidence["months"][-1]
    assert (june["month"], june["threshold"], june["threshold_from"]) == (
        "2026-06",
        "2690.00",
        "2026-06-01",
    )
