"""evaluate_worker: every programme of every policy of the worker's city."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marketplace.common.months import Month, months_between
from marketplace.subsidies.policy.catalogue import load_policies
from marketplace.subsidies.rules.evaluate import evaluate_worker
from marketplace.subsidies.rules.facts import (
    EmploymentRegistration,
    Premium,
    TrainingRecord,
    WorkerFacts,
)


def _facts(city: str) -> WorkerFacts:
    months = list(months_between(Month(2026, 1), Month(2026, 6)))
    return WorkerFacts(
        worker_id=7,
        city=city,
        resident=True,
        unemployment_registered_on=date(2025, 12, 10),
        difficulty_certified_on=date(2025, 12, 20),
        income={month: Decimal("2700.00") for month in months},
        premiums={Month(2026, 1): Premium(Decimal("600.00"), Decimal("240.00"))},
        training=[TrainingRecord("t1", "家政服务", Decimal("20"), date(2026, 2, 1))],
        employment_registrations=[EmploymentRegistration("flexible", date(2026, 1, 1))],
    )


def test_all_programmes_of_the_city() -> None:
    proposals = evaluate_worker(_facts("wuxi"), load_policies(), date(2026, 7, 1))
    assert [(p.policy_id, p.program, p.key, str(p.amount)) for p in proposals] == [
        ("wuxi-2021-26", "platform_service", "platform_service", "1000.00"),
        ("wuxi-2021-26", "social_insurance", "2026-01", "560.00"),
        ("wuxi-2021-26", "training", "t1", "370.00"),
    ]
    assert [p.beneficiary for p in proposals] == ["platform", "worker", "platform"]


def test_other_cities_policies_are_skipped() -> None:
    proposals = evaluate_worker(_facts("xining"), load_policies(), date(2026, 7, 1))
    # 西宁: social insurance only; the period starts with the employment registration's month.
    assert [(p.policy_id, p.program, p.key) for p in proposals] == [
        ("xining-2021-33", "social_insurance", "2026-01")
    ]
    assert evaluate_worker(_facts("nowhere"), load_policies(), date(2026, 7, 1)) == []


def test_idempotent_and_stable_over_time() -> None:
    facts = _facts("wuxi")
    first = evaluate_worker(facts, load_policies(), date(2026, 7, 1))
    assert evaluate_worker(facts, load_policies(), date(2026, 7, 1)) == first
    assert evaluate_worker(facts, load_policies(), date(2027, 7, 1)) == first
    assert evaluate_worker(facts, load_policies(), date(2026, 1, 31)) == []
