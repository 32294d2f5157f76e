"""The matching score's priority component and its weight (POLICIES.md "Matching priority")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.subsidies.policy import catalogue as parameters
from marketplace.subsidies.policy import versions
from marketplace.subsidies.rules.facts import WorkerFacts
from marketplace.subsidies.rules.priority import DEFAULT_TERMS, priority, terms

AS_OF = date(2026, 3, 15)


def worker(**dates: date) -> WorkerFacts:
    return WorkerFacts(worker_id=1, city="wuxi", resident=True, **dates)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (worker(), "0"),
        (worker(difficulty_certified_on=date(2026, 3, 31)), "1.0"),  # counts from its month
        (worker(difficulty_certified_on=date(2026, 4, 1)), "0"),  # not yet
        (worker(unemployment_registered_on=date(2025, 1, 1)), "0.5"),
        (
            worker(
                difficulty_certified_on=date(2025, 1, 1),
                unemployment_registered_on=date(2025, 1, 1),
            ),
            "1.0",
        ),
        (worker(graduated_on=date(2024, 3, 31)), "0.5"),  # 2026-03 is G+24
        (worker(graduated_on=date(2024, 2, 29)), "0"),  # 2026-03 is G+25
        (worker(graduated_on=date(2026, 6, 30)), "0"),  # not graduated yet
    ],
)
def test_priority(facts: WorkerFacts, expected: str) -> None:
    assert priority(facts, AS_OF, 24) == Decimal(expected)


def test_weight_from_the_policy_in_force(database) -> None:
    assert terms("wuxi", date(2026, 1, 1)).weight == Decimal("0.10")
    assert terms("xining", date(2026, 5, 7)).weight == Decimal("0.10")


def test_the_graduates_window_is_the_policys(database) -> None:
    """How long a graduate keeps the priority is a parameter of the policy, with its article."""
    assert terms("wuxi", date(2026, 1, 1)).graduate_window_months == 24
    assert terms("xining", date(2026, 5, 7)).graduate_window_months == 24
    wuxi = next(p for p in parameters.load_policies() if p.id == "wuxi-2021-26")
    [value] = wuxi.parameter("matching_graduate_window_months").values
    assert "离校2年内" in value.article
    assert priority(worker(graduated_on=date(2024, 3, 31)), AS_OF, 23) == Decimal("0")


def test_weight_is_data(database, make_user) -> None:
    """A new version of the policy, published, changes the weight: no code release."""
    text = (parameters.POLICY_DIR / "xining-2021-33.toml").read_text(encoding="utf-8")
    old = '{ from = 2021-05-08, value = "0.10", article'
    assert old in text
    text = text.replace(old, '{ from = 2021-05-08, value = "0.25", article')
    row, _ = versions.create_draft(make_user("admin"), text.encode())
    assert terms("xining", date(2026, 5, 7)).weight == Decimal("0.10")  # a draft changes nothing
    versions.publish(make_user("official", city="xining"), "xining-2021-33", row.version)
    assert terms("xining", date(2026, 5, 7)).weight == Decimal("0.25")
    # No policy in force (西宁's ended on 2026-05-07; none before 2021-05-08): the default.
    assert terms("xining", date(2026, 5, 8)).weight == DEFAULT_TERMS.weight
    assert terms("xining", date(2021, 5, 7)).weight == DEFAULT_TERMS.weight
    assert terms("nowhere", date(2026, 1, 1)).weight == DEFAULT_TERMS.weight
