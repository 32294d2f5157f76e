"""Simulating a version of a policy (API.md v1.1 "Living policies", clarification "Simulation").

A version — usually a draft — runs over the real records as of a day and answers what it would
propose, beside what the published version proposes on the same records and day; nothing is
written.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import scoped_session

from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator
from tests.subsidies.conftest import FIRST_HALF, add_income, add_premium, flags_of
from tests.subsidies.test_policy_versions import (
    EIGHT_HUNDRED,
    NINE_HUNDRED,
    POLICIES,
    WUXI,
    WUXI_TEXT,
    changed,
)

JULY_1 = date(2026, 7, 1)


@pytest.fixture
def upload(client, auth_headers, admin):
    """``upload(text)``: the admin's draft of a policy file."""

    def post(text: str) -> Any:
        headers = {**auth_headers(admin), "Content-Type": "application/toml"}
        return client.post(POLICIES, data=text.encode("utf-8"), headers=headers)

    return post


def simulate(client, auth_headers, user, policy_id: str, version: int, **body: Any) -> Any:
    path = f"{POLICIES}/{policy_id}/versions/{version}/simulate"
    return client.post(path, json=body, headers=auth_headers(user))


@pytest.fixture
def city(person, database) -> list[Any]:
    """Two 无锡 workers with six stable months (one in 滨湖区) and one with a month of premiums."""
    first = person(unemployment_registered_on=date(2025, 12, 10))
    second = person(unemployment_registered_on=date(2025, 12, 10), district="滨湖区")
    for worker in (first, second):
        add_income(database, worker.id, FIRST_HALF, "2700.00")
    insured = person(difficulty_certified_on=date(2025, 12, 20))
    add_income(database, insured.id, FIRST_HALF, "1000.00")
    add_premium(database, insured.id, "2026-02", "600.00", "240.00")
    return [first, second, insured]


def counts(database: scoped_session) -> dict[str, int]:
    """The rows of every table."""
    return {
        table.name: database.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


def total(buckets: dict[str, dict[str, Any]]) -> tuple[int, Decimal]:
    return (
        sum(bucket["flags"] for bucket in buckets.values()),
        sum((Decimal(bucket["amount"]) for bucket in buckets.values()), Decimal("0")),
    )


def test_a_draft_that_raises_an_amount_shows_more_than_the_published_version(
    upload, client, auth_headers, wuxi_official, city
):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201

    response = simulate(client, auth_headers, wuxi_official, WUXI, 2, as_of="2026-07-01")

    assert response.status_code == 200
    body = response.get_json()
    assert body["by_program"]["platform_service"] == {"flags": 2, "amount": "1800.00"}
    assert body["compared_with_current"]["version"] == 1
    assert Decimal(body["amount"]) - Decimal(body["compared_with_current"]["amount"]) == Decimal(
        "200.00"
    )
    assert body["flags"] == body["compared_with_current"]["flags"] == 3
    assert body["by_month"]["2026-06"] == {"flags": 2, "amount": "1800.00"}
    assert body["by_month"]["2026-02"]["flags"] == 1
    assert body["by_district"]["滨湖区"] == {"flags": 1, "amount": "900.00"}
    assert (body["as_of"], body["version"], body["city"]) == ("2026-07-01", 2, "wuxi")


def test_the_buckets_add_up_to_the_totals(upload, client, auth_headers, admin, city):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201

    body = simulate(client, auth_headers, admin, WUXI, 2).get_json()

    for name in ("by_program", "by_month", "by_district"):
        assert total(body[name]) == (body["flags"], Decimal(body["amount"])), name
    assert body["amount"].count(".") == 1 and len(body["amount"].split(".")[1]) == 2


def test_a_simulation_writes_nothing(upload, client, auth_headers, wuxi_official, city, database):
    evaluator.evaluate("wuxi", JULY_1)  # some flags stored already: they must not move
    database.commit()
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    headers = auth_headers(wuxi_official)  # its access token stored before counting
    before = counts(database)
    stored = [(f.id, f.amount, f.fingerprint) for f in flags_of(database, city[0].id)]

    for version in (1, 2):
        response = simulate(client, lambda _: headers, wuxi_official, WUXI, version)
        assert response.status_code == 200

    database.expire_all()
    assert counts(database) == before
    assert [(f.id, f.amount, f.fingerprint) for f in flags_of(database, city[0].id)] == stored


def test_the_code_s_file_is_simulated_without_being_stored(
    client, auth_headers, wuxi_official, city, database
):
    headers = auth_headers(wuxi_official)
    before = counts(database)
    body = simulate(client, lambda _: headers, wuxi_official, WUXI, 1).get_json()
    assert (body["flags"], body["compared_with_current"]["flags"]) == (3, 3)
    assert body["amount"] == body["compared_with_current"]["amount"]
    assert counts(database) == before


def test_a_draft_of_a_new_policy_id_is_compared_with_nothing(
    upload, client, auth_headers, wuxi_official, city
):
    text = changed(WUXI_TEXT, f'id = "{WUXI}"', 'id = "wuxi-2026-draft"')
    assert upload(text).status_code == 201

    body = simulate(client, auth_headers, wuxi_official, "wuxi-2026-draft", 1).get_json()

    assert body["flags"] == 3 and body["amount"] == "2160.00"  # 800 + 800 + 2/3 of 840
    assert body["compared_with_current"] == {"flags": 0, "amount": "0.00", "version": None}
    # A version of another policy is not this one's.
    assert simulate(client, auth_headers, wuxi_official, WUXI, 2).status_code == 404


@pytest.mark.parametrize("role", ["worker", "employer", "broker"])
def test_only_officials_and_admins_simulate(upload, client, auth_headers, make_user, role):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    assert simulate(client, auth_headers, make_user(role), WUXI, 2).status_code == 403


def test_another_city_s_official_finds_no_policy(upload, client, auth_headers, xining_official):
    assert upload(changed(WUXI_TEXT, EIGHT_HUNDRED, NINE_HUNDRED)).status_code == 201
    assert simulate(client, auth_headers, xining_official, WUXI, 2).status_code == 404
    assert simulate(client, auth_headers, xining_official, WUXI, 1).status_code == 404


def test_an_unknown_policy_or_version_is_404(client, auth_headers, admin):
    assert simulate(client, auth_headers, admin, WUXI, 9).status_code == 404
    assert simulate(client, auth_headers, admin, "no-such", 1).status_code == 404


@pytest.mark.parametrize("as_of", ["1999-12-31", "2027-07-03", "2026-02-30", "soon"])
def test_a_bad_as_of_is_422(client, auth_headers, wuxi_official, as_of):
    response = simulate(client, auth_headers, wuxi_official, WUXI, 1, as_of=as_of)
    assert response.status_code == 422
    assert "as_of" in response.get_json()["errors"]["json"]


def test_as_of_up_to_a_year_ahead_is_simulated(client, auth_headers, wuxi_official, city):
    response = simulate(client, auth_headers, wuxi_official, WUXI, 1, as_of="2027-07-02")
    assert response.status_code == 200
    assert response.get_json()["as_of"] == "2027-07-02"
