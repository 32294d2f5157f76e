"""Month: a calendar month as a value."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.common.months import Month, months_between


def test_construction_and_text() -> None:
    assert str(Month(2026, 1)) == "2026-01"
    assert str(Month(987, 12)) == "0987-12"
    assert Month.parse("2026-01") == Month(2026, 1)
    assert Month.parse(str(Month(2027, 8))) == Month(2027, 8)


@pytest.mark.parametrize(
    "text",
    ["2026-1", "2026-13", "2026-00", "2026-01-05", " 2026-01", "2026-01 ", "26-01", "2026/01", ""],
)
def test_parse_is_strict(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        Month.parse(text)


def test_parse_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="not a month"):
        Month.parse(202601)  # type: ignore[arg-type]


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (0, 1), (10000, 1)])
def test_out_of_range(year: int, month: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        Month(year, month)


def test_types_are_checked() -> None:
    with pytest.raises(TypeError):
        Month(2026, "01")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Month(True, 1)


def test_frozen_hashable_ordered() -> None:
    month = Month(2026, 1)
    with pytest.raises(AttributeError):
        month.month = 2  # type: ignore[misc]
    assert {Month(2026, 1), Month(2026, 1), Month(2026, 2)} == {Month(2026, 1), Month(2026, 2)}
    assert Month(2025, 12) < Month(2026, 1) < Month(2026, 2)
    assert sorted([Month(2026, 3), Month(2025, 12), Month(2026, 1)]) == [
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 3),
    ]


def test_arithmetic() -> None:
    assert Month(2025, 6) + 24 == Month(2027, 6)  # POLICIES.md: G + 24 of 2025-06 is 2027-06
    assert Month(2025, 9) + 23 == Month(2027, 8)
    assert 1 + Month(2025, 12) == Month(2026, 1)
    assert Month(2026, 1) - 1 == Month(2025, 12)
    assert Month(2026, 1) + -13 == Month(2024, 12)
    assert Month(2027, 6) - Month(2025, 6) == 24
    assert Month(2025, 6) - Month(2027, 6) == -24
    assert Month(2026, 1) - Month(2026, 1) == 0
    assert Month(2025, 12).next() == Month(2026, 1)


def test_arithmetic_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        Month(2026, 1) + 1.0  # type: ignore[operator]
    with pytest.raises(TypeError):
        Month(2026, 1) - "1"  # type: ignore[operator]
    with pytest.raises(TypeError):
        Month(2026, 1) + True


def test_days() -> None:
    assert Month(2026, 1).first_day == date(2026, 1, 1)
    assert Month(2026, 1).last_day == date(2026, 1, 31)
    assert Month(2024, 2).last_day == date(2024, 2, 29)
    assert Month(2026, 2).last_day == date(2026, 2, 28)
    assert Month(2026, 4).last_day == date(2026, 4, 30)
    assert Month.of(date(2025, 6, 30)) == Month(2025, 6)
    assert Month.of(date(2026, 1, 1)) == Month(2026, 1)


def test_months_between() -> None:
    assert list(months_between(Month(2025, 11), Month(2026, 2))) == [
        Month(2025, 11),
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 2),
    ]
    assert list(months_between(Month(2026, 1), Month(2026, 1))) == [Month(2026, 1)]
    assert list(months_between(Month(2026, 2), Month(2026, 1))) == []
    assert len(list(months_between(Month(2025, 9), Month(2027, 8)))) == 24
