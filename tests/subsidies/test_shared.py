"""Helpers every programme uses: months that are over, first income, money and rounding."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction

import pytest

from marketplace.cities import catalogue
from marketplace.cities.catalogue import MinimumWage
from marketplace.common.months import Month
from marketplace.subsidies.policy.catalogue import policy
from marketplace.subsidies.rules.facts import ExistingFlag, WorkerFacts
from marketplace.subsidies.rules.programs import _shared

CENT = Decimal("0.01")


def test_is_over() -> None:
    assert not _shared.is_over(Month(2026, 6), date(2026, 6, 30))
    assert _shared.is_over(Month(2026, 6), date(2026, 7, 1))
    assert _shared.is_over(Month(2025, 12), date(2026, 1, 1))


def test_first_income_month_ignores_zero_and_earlier_months() -> None:
    facts = WorkerFacts(
        worker_id=1,
        city="wuxi",
        resident=True,
        income={
            Month(2025, 5): Decimal("10"),
            Month(2025, 7): Decimal("0.00"),
            Month(2025, 9): Decimal("1"),
        },
    )
    assert _shared.first_income_month(facts, Month(2025, 6)) == Month(2025, 9)
    assert _shared.first_income_month(facts, Month(2025, 10)) is None


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        (Fraction(200005, 1000), ROUND_HALF_UP, "200.01"),
        (Fraction(200005, 1000), ROUND_HALF_EVEN, "200.00"),
        (Fraction(2, 3), ROUND_HALF_UP, "0.67"),
        (Fraction(1, 300), ROUND_HALF_UP, "0.00"),
        (Fraction(1, 300), ROUND_UP, "0.01"),
        (Fraction(2, 300), ROUND_DOWN, "0.00"),
        (Fraction(560), ROUND_HALF_UP, "560.00"),
        (Fraction(Decimal("840.00")) * Fraction(2, 3), ROUND_HALF_UP, "560.00"),
    ],
)
def test_round_money_is_exact(value: Fraction, mode: str, expected: str) -> None:
    result = _shared.round_money(value, CENT, mode)
    assert result == Decimal(expected) and str(result) == expected


def test_money_text() -> None:
    assert _shared.money(Decimal("2700")) == "2700.00"
    assert _shared.money(Decimal("2700.5")) == "2700.50"
    assert _shared.money(Decimal("300.0075")) == "300.0075"


def test_existing_flag_status_is_checked() -> None:
    with pytest.raises(ValueError, match="status"):
        ExistingFlag("training", "wuxi-2021-26", "t1", "done", None)  # type: ignore[arg-type]


def test_threshold_is_the_minimum_wage_on_the_months_first_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wuxi = catalogue.find("wuxi")
    assert wuxi is not None
    # A wage that changes in the middle of a month applies from the next month on.
    mid_month = MinimumWage(date(2026, 1, 15), Decimal("2700.00"), Decimal("25.50"), "test")
    changed = dataclasses.replace(wuxi, minimum_wages=(*wuxi.minimum_wages, mid_month))
    monkeypatch.setattr(catalogue, "find", lambda code: changed if code == "wuxi" else None)
    the_policy = policy("wuxi-2021-26")
    program = the_policy.program("platform_service")
    assert program is not None
    january, february = Month(2026, 1), Month(2026, 2)
    assert _shared.threshold(the_policy, program, "wuxi", january) == (
        Decimal("2660.00"),
        date(2026, 1, 1),
    )
    assert _shared.threshold(the_policy, program, "wuxi", february) == (
        Decimal("2700.00"),
        date(2026, 1, 15),
    )
    with pytest.raises(LookupError, match="no minimum wage"):
        _shared.threshold(the_policy, program, "xining", january)
