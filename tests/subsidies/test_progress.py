"""A worker's progress towards each subsidy (``GET /workers/me/subsidy-progress``)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from marketplace.common.months import Month, months_between
from marketplace.subsidies import progress
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.policy.catalogue import load_policies
from marketplace.subsidies.rules.facts import WorkerFacts
from marketplace.subsidies.rules.programs import platform_service
from tests.subsidies.conftest import add_income, due_in_both_cities

PROGRESS = "/api/v1/workers/me/subsidy-progress"
LATIN = re.compile(r"[A-Za-z]")


def by_program(items: list[dict]) -> dict[str, dict]:
    return {item["program"]: item for item in items}


def texts(items: list[dict]) -> list[str]:
    return [text for item in items for text in item["met"] + item["missing"]]


@pytest.fixture
def short(person, database):
    """Unemployed since 2025-12, stable in 2026-03 … 2026-06: two months short on 2026-07-02."""
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, ["2026-01"], "1000.00")
    add_income(
        database, worker.id, [str(m) for m in months_between(Month(2026, 3), Month(2026, 6))]
    )
    return worker


def test_a_worker_two_months_short_sees_what_is_missing(client, auth_headers, short):
    response = client.get(PROGRESS, headers=auth_headers(short.user))
    assert response.status_code == 200
    items = by_program(response.get_json())
    item = items["platform_service"]
    assert item["policy_id"] == "wuxi-2021-26"
    assert item["status"] == "in_progress"
    assert "已在平台连续 4 个月收入不低于最低工资" in item["met"]
    assert "还需 2 个月收入不低于 2660.00 元" in item["missing"]
    assert item["next_threshold"] == {"month": "2026-07", "income": "2660.00"}
    # Registered unemployed only: the social-insurance subsidy is not for this group.
    assert items["social_insurance"]["status"] == "not_eligible"
    assert items["social_insurance"]["next_threshold"] is None
    assert not any(LATIN.search(text) for text in texts(response.get_json()))


def test_a_flagged_worker_sees_the_flag(client, auth_headers, person, database):
    wuxi, _ = due_in_both_cities(person, database)
    evaluator.evaluate("wuxi", date(2026, 7, 1))
    database.commit()
    items = by_program(client.get(PROGRESS, headers=auth_headers(wuxi.user)).get_json())
    item = items["platform_service"]
    assert item["status"] == "flagged" and item["next_threshold"] is None
    assert item["met"] == ["已有补助标记：待审核，金额 800.00 元"]


def test_a_non_resident_is_not_eligible_and_told_why(client, auth_headers, person, database):
    worker = person(unemployment_registered_on=date(2025, 12, 10), resident=False)
    add_income(database, worker.id, ["2026-06"])
    response = client.get(PROGRESS, headers=auth_headers(worker.user))
    items = by_program(response.get_json())
    item = items["platform_service"]
    assert item["status"] == "not_eligible"
    assert item["missing"] == ["常住地不在本市（须常住本市）"]
    assert item["next_threshold"] is None
    assert not any(LATIN.search(text) for text in texts(response.get_json()))


def test_an_expired_policy_says_so(client, auth_headers, person):
    worker = person(city="xining", difficulty_certified_on=date(2025, 12, 20))
    items = by_program(client.get(PROGRESS, headers=auth_headers(worker.user)).get_json())
    assert items["social_insurance"]["status"] == "not_eligible"
    assert items["social_insurance"]["missing"] == ["政策有效期已于 2026-05-07 结束"]


@pytest.mark.parametrize("role", ["employer", "official", "admin"])
def test_only_workers_see_their_progress(client, auth_headers, make_user, role):
    user = make_user(role, city="wuxi" if role == "official" else None)
    assert client.get(PROGRESS, headers=auth_headers(user)).status_code == 403


def test_a_worker_without_a_profile_gets_404(client, auth_headers, make_user):
    assert client.get(PROGRESS, headers=auth_headers(make_user("worker"))).status_code == 404


# --- the helper beside the rule agrees with the rule --------------------------------------------

WUXI = next(policy for policy in load_policies() if policy.id == "wuxi-2021-26")
BAR = Decimal("2660.00")


def facts_with(income: dict[Month, Decimal], resident: bool = True) -> WorkerFacts:
    return WorkerFacts(
        worker_id=1,
        city="wuxi",
        resident=resident,
        unemployment_registered_on=date(2025, 12, 10),
        income=income,
    )


@pytest.mark.parametrize("stable", range(6))
def test_reaching_each_next_threshold_raises_the_flag_exactly_then(stable):
    """After ``stable`` stable months, income at ``next_threshold`` each month raises the flag
    after exactly ``remaining`` more months — and not one month earlier."""
    start = Month(2026, 7) - stable
    income = {month: BAR for month in months_between(start, Month(2026, 6))} if stable else {}
    as_of = date(2026, 7, 2)
    reach = platform_service.reach(facts_with(income), WUXI, as_of)
    assert reach is not None and reach.streak == stable and reach.remaining == 6 - stable
    [item] = [
        p
        for p in progress.progress_of(facts_with(income), [WUXI], as_of)
        if p.program == "platform_service"
    ]
    month = Month(2026, 7)
    for step in range(reach.remaining):
        assert item.next_threshold is not None and item.next_threshold.month == month
        income[month] = item.next_threshold.income
        before = month.next().first_day
        done = step == reach.remaining - 1
        assert bool(platform_service.evaluate(facts_with(income), WUXI, before)) is done
        [item] = [
            p
            for p in progress.progress_of(facts_with(income), [WUXI], before)
            if p.program == "platform_service"
        ]
        month = month.next()


def test_a_month_under_way_that_reached_the_bar_moves_the_next_threshold():
    income = {Month(2026, 6): BAR, Month(2026, 7): Decimal("3000.00")}
    [item] = [
        p
        for p in progress.progress_of(facts_with(income), [WUXI], date(2026, 7, 20))
        if p.program == "platform_service"
    ]
    assert item.next_threshold == progress.Threshold(Month(2026, 8), BAR)
    assert "还需 4 个月收入不低于 2660.00 元" in item.missing


def test_the_gap_of_the_month_under_way_counts_its_income_so_far():
    income = {Month(2026, 7): Decimal("1000.50")}
    [item] = [
        p
        for p in progress.progress_of(facts_with(income), [WUXI], date(2026, 7, 20))
        if p.program == "platform_service"
    ]
    assert item.gap == Decimal("1659.50")
    assert "本月（2026-07）还差 1659.50 元（已有 1000.50 元）" in item.missing


def test_a_month_under_way_that_completes_the_run_leaves_nothing_to_reach():
    income = {month: BAR for month in months_between(Month(2026, 2), Month(2026, 7))}
    [item] = [
        p
        for p in progress.progress_of(facts_with(income), [WUXI], date(2026, 7, 20))
        if p.program == "platform_service"
    ]
    assert item.status == "in_progress" and item.next_threshold is None and item.gap is None
    assert item.missing == ["2026-07 结束后即满足条件，待评估后生成补助标记"]
