"""The evaluator: proposals become flags once, pending flags follow the facts, decisions stay."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace.audit.models import AuditEvent
from marketplace.earnings.models import Earning
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers.models import Worker
from tests.subsidies.conftest import (
    FIRST_HALF,
    TODAY,
    add_income,
    add_premium,
    codes,
    flags_of,
)

JULY_1 = date(2026, 7, 1)


def events(database, action: str) -> list[AuditEvent]:
    return list(
        database.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by("seq"))
    )


def test_six_stable_months_raise_one_platform_flag_with_its_evidence(database, person):
    # POLICIES.md worked example 2: 2700.00 in each of 2026-01 … 2026-06, registered 2025-12-10.
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")

    outcome = evaluator.evaluate("wuxi", JULY_1)

    assert outcome.created == 1 and outcome.updated == 0
    [flag] = flags_of(database, worker.id)
    assert (flag.program, flag.policy_id, flag.key) == (
        "platform_service",
        "wuxi-2021-26",
        "platform_service",
    )
    assert flag.amount == Decimal("800.00") and flag.beneficiary == "platform"
    assert (flag.period_start, flag.period_end) == ("2026-01", "2026-06")
    assert flag.status == "pending" and flag.city == "wuxi" and flag.evaluated_on == JULY_1
    assert [m["month"] for m in flag.evidence["months"]] == FIRST_HALF
    assert flag.explanation[0].startswith("规则：锡政办发〔2021〕26号 第二条")
    [created] = events(database, "flag.created")
    assert created.entity_id == str(flag.id) and created.city == "wuxi"
    assert created.data["amount"] == "800.00" and created.data["fingerprint"] == flag.fingerprint


def test_income_below_the_minimum_wage_raises_nothing(database, person):
    # Worked example 1: 2500.00 < 2660.00 in every month.
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2500.00")
    assert evaluator.evaluate("wuxi", JULY_1).created == 0
    assert flags_of(database, worker.id) == []


def test_a_month_not_yet_over_raises_nothing(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    assert evaluator.evaluate("wuxi", date(2026, 6, 30)).created == 0


def test_platform_income_sums_booking_and_imported_earnings_of_the_month(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "1400.00", source="migration")
    add_income(database, worker.id, FIRST_HALF, "1300.00", source="partner")
    evaluator.evaluate("wuxi", JULY_1)
    [flag] = flags_of(database, worker.id)
    assert {m["income"] for m in flag.evidence["months"]} == {"2700.00"}


def test_evaluating_twice_creates_and_changes_nothing_the_second_time(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10), graduated_on=date(2025, 6, 30))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    add_premium(database, worker.id, "2026-01", "600.00", "240.00")
    first = evaluator.evaluate("wuxi", JULY_1)
    logged = database.scalar(select(func.count()).select_from(AuditEvent))

    second = evaluator.evaluate("wuxi", JULY_1)

    assert first.created == 2
    assert (second.created, second.updated) == (0, 0)
    assert second.evaluated == first.evaluated
    assert database.scalar(select(func.count()).select_from(AuditEvent)) == logged


def test_the_database_holds_one_flag_per_worker_programme_policy_and_key(
    database, person, monkeypatch
):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", JULY_1)
    [flag] = flags_of(database, worker.id)
    copy = {
        column.key: getattr(flag, column.key)
        for column in SubsidyFlag.__table__.columns
        if column.key != "id"
    }
    with pytest.raises(IntegrityError), database.begin_nested():
        database.add(SubsidyFlag(**copy))
        database.flush()

    # A concurrent run that read the flags before this one's were stored creates nothing either.
    seen = evaluator.gather

    def blind(*args, **kwargs):
        data = seen(*args, **kwargs)
        data.flags.clear()
        data.existing.clear()
        return data

    monkeypatch.setattr(evaluator, "gather", blind)
    assert evaluator.evaluate("wuxi", JULY_1).created == 0
    assert len(flags_of(database, worker.id)) == 1


def test_a_pending_flag_follows_changed_facts_with_an_event_saying_what_changed(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", JULY_1)
    # The same run now qualifies under difficulty too (POLICIES.md: updated to 1000.00).
    database.execute(
        update(Worker)
        .where(Worker.id == worker.id)
        .values(difficulty_certified_on=date(2025, 12, 1))
    )
    database.commit()

    outcome = evaluator.evaluate("wuxi", JULY_1)

    assert (outcome.created, outcome.updated) == (0, 1)
    [flag] = flags_of(database, worker.id)
    assert flag.amount == Decimal("1000.00") and flag.evidence["group"] == "difficulty"
    [updated] = events(database, "flag.updated")
    changes = updated.data["changes"]
    assert changes["amount"] == {"from": "800.00", "to": "1000.00"}
    assert changes["evidence"]["group"] == {"from": "unemployed", "to": "difficulty"}
    assert changes["explanation"]["added"] and changes["explanation"]["removed"]


def test_a_decided_flag_never_changes(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", JULY_1)
    database.execute(update(SubsidyFlag).values(status="approved"))
    database.execute(
        update(Worker)
        .where(Worker.id == worker.id)
        .values(difficulty_certified_on=date(2025, 12, 1))
    )
    database.commit()

    outcome = evaluator.evaluate("wuxi", JULY_1)

    assert (outcome.created, outcome.updated) == (0, 0)
    [flag] = flags_of(database, worker.id)
    assert flag.amount == Decimal("800.00") and flag.status == "approved"


def test_a_pending_flag_the_rules_no_longer_support_is_kept_and_marked(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", JULY_1)
    # The March income is corrected downwards: the run is broken.
    database.execute(
        update(Earning).where(Earning.month == "2026-03").values(amount=Decimal("1000.00"))
    )
    database.commit()

    assert evaluator.evaluate("wuxi", JULY_1).updated == 1
    [flag] = flags_of(database, worker.id)
    assert flag.status == "pending" and flag.amount == Decimal("800.00")
    assert "no_longer_proposed" in codes(flag)
    # Said once: a further run changes nothing.
    assert evaluator.evaluate("wuxi", JULY_1).updated == 0


def test_an_evaluation_of_an_earlier_day_does_not_mark_newer_flags(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    evaluator.evaluate("wuxi", JULY_1)
    assert evaluator.evaluate("wuxi", date(2026, 6, 1)).updated == 0
    assert "no_longer_proposed" not in codes(flags_of(database, worker.id)[0])


def test_only_the_citys_workers_are_evaluated(database, person):
    wuxi = person(unemployment_registered_on=date(2025, 12, 10))
    xining = person(city="xining", unemployment_registered_on=date(2025, 12, 10))
    add_income(database, wuxi.id, FIRST_HALF, "2700.00")
    add_income(database, xining.id, FIRST_HALF, "2700.00")
    outcome = evaluator.evaluate("wuxi", JULY_1)
    assert outcome.created == 1
    assert flags_of(database, xining.id) == []


def test_evaluate_workers_takes_each_city_as_of_its_today(database, person):
    worker = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    assert evaluator.evaluate_workers([worker.id]).as_dict() == {
        "evaluated": 1,
        "created": 1,
        "updated": 0,
    }
    assert flags_of(database, worker.id)[0].evaluated_on == TODAY


def test_a_city_costs_the_same_queries_for_three_workers_or_thirty(database, person, count_queries):
    def queries() -> int:
        before = count_queries()
        evaluator.evaluate("wuxi", JULY_1)
        return count_queries() - before

    def workers(count: int) -> None:
        for _ in range(count):
            worker = person(unemployment_registered_on=date(2025, 12, 10))
            add_income(database, worker.id, FIRST_HALF, "2700.00")

    queries()  # publishes the policy files once
    workers(3)
    writing_three = queries()
    reading_three = queries()
    workers(27)
    writing_27 = queries()
    reading_thirty = queries()
    assert reading_thirty == reading_three
    assert writing_27 == writing_three
