"""Risk signals on flags: each raised by the pattern it names, absent up to its threshold.

The base case is a clean run: an unemployed worker registered (and entered) in December 2025
earns 2700.00 in each month of 2026-01 … 2026-06 from two shifts of 8 hours a month, at two
employers, checked in and out near the shift. Its flag carries no signal; each test then changes
one thing.
"""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.subsidies.evaluation import evaluator
from tests.subsidies.conftest import (
    FIRST_HALF,
    add_booking_earning,
    add_employment_registration,
    add_income,
    add_premium,
    codes,
    entered_on,
    flags_of,
)

JULY_1 = date(2026, 7, 1)


@pytest.fixture
def worker(person, database):
    someone = person(unemployment_registered_on=date(2025, 12, 10))
    entered_on(database, someone.id, date(2025, 12, 11))
    return someone


@pytest.fixture
def employers(shift_of, make_employer):
    return shift_of(make_employer()), shift_of(make_employer())


def run(database, worker, employers, first="1350.00", second="1350.00", **booking):
    """Two bookings a month (one at each employer) on the 10th and 20th of 2026-01 … 2026-06."""
    a, b = employers
    for month in FIRST_HALF:
        year, number = map(int, month.split("-"))
        add_booking_earning(database, worker.id, a, date(year, number, 10), first, **booking)
        if second != "0.00":
            add_booking_earning(database, worker.id, b, date(year, number, 20), second)


def flag(database, worker):
    evaluator.evaluate("wuxi", JULY_1)
    [found] = [f for f in flags_of(database, worker.id) if f.program == "platform_service"]
    return found


def test_a_clean_run_raises_no_signal(database, worker, employers):
    run(database, worker, employers)
    assert flag(database, worker).risk_signals == []


# --- income with no attendance behind it ------------------------------------------------------


def test_imported_income_has_no_attendance_behind_it(database, worker):
    add_income(database, worker.id, FIRST_HALF, "2700.00")
    [signal] = [s for s in flag(database, worker).risk_signals if s.startswith("no_attendance")]
    assert "16200.00 元没有考勤记录" in signal and "导入收入 16200.00 元" in signal


def test_a_booking_without_check_in_and_out_has_no_attendance_behind_it(
    database, worker, employers
):
    run(database, worker, employers, checked=False)
    [signal] = flag(database, worker).risk_signals
    assert signal.startswith("no_attendance: 2026-01 … 2026-06")
    assert "缺少签到或签退的预约 8100.00 元" in signal


# --- most income from one employer ------------------------------------------------------------


def test_more_than_80_percent_from_one_employer_is_a_signal(database, worker, employers):
    run(database, worker, employers, first="2200.00", second="500.00")
    [signal] = flag(database, worker).risk_signals
    assert signal.startswith("single_employer:") and "（81%）" in signal


def test_all_income_from_one_employer_is_a_signal(database, worker, employers):
    run(database, worker, employers, first="2700.00", second="0.00")
    assert codes(flag(database, worker)) == ["single_employer"]


def test_exactly_80_percent_from_one_employer_is_not(database, worker, employers):
    run(database, worker, employers, first="2160.00", second="540.00")
    assert flag(database, worker).risk_signals == []


# --- implausible hours ------------------------------------------------------------------------


def test_more_than_16_hours_in_a_day_is_implausible(database, worker, employers):
    run(database, worker, employers)
    add_booking_earning(database, worker.id, employers[0], date(2026, 3, 10), "10.00", hours="9")
    [signal] = flag(database, worker).risk_signals
    assert signal.startswith("implausible_hours:") and "2026-03-10 共 17.00 小时" in signal


def test_16_hours_in_a_day_are_not(database, worker, employers):
    run(database, worker, employers)
    add_booking_earning(database, worker.id, employers[0], date(2026, 3, 10), "10.00", hours="8")
    assert flag(database, worker).risk_signals == []


def test_more_than_300_hours_in_a_month_is_implausible(database, worker, employers):
    run(database, worker, employers)
    add_income(database, worker.id, ["2026-04"], "10.00", hours="285")  # 16 + 285 = 301
    signals = flag(database, worker).risk_signals
    assert "implausible_hours" in [s.split(":")[0] for s in signals]
    assert any("2026-04 共 301.00 小时" in s for s in signals)


def test_300_hours_in_a_month_are_not(database, worker, employers):
    run(database, worker, employers)
    add_income(database, worker.id, ["2026-04"], "10.00", hours="284")  # 16 + 284 = 300
    assert "implausible_hours" not in codes(flag(database, worker))


# --- group dates entered after the income they unlock -----------------------------------------


def test_a_group_date_entered_after_the_months_it_unlocks_is_a_signal(database, worker, employers):
    entered_on(database, worker.id, date(2026, 7, 1))
    run(database, worker, employers)
    [signal] = flag(database, worker).risk_signals
    assert signal == (
        "group_entered_late: 失业登记日期 2025-12-10 于 2026-07-01 录入，晚于其计入的收入月 2026-01"
    )


def test_a_group_date_entered_the_day_after_the_first_month_ended_is_a_signal(
    database, worker, employers
):
    entered_on(database, worker.id, date(2026, 2, 1))
    run(database, worker, employers)
    assert codes(flag(database, worker)) == ["group_entered_late"]


def test_a_group_date_entered_within_the_first_month_is_not(database, worker, employers):
    entered_on(database, worker.id, date(2026, 1, 31))
    run(database, worker, employers)
    assert flag(database, worker).risk_signals == []


# --- check-ins far from the shift -------------------------------------------------------------


def test_a_check_out_far_from_the_shift_is_a_signal(database, worker, employers):
    run(database, worker, employers, check_out_m=620.0)
    [signal] = flag(database, worker).risk_signals
    assert signal.startswith("far_check_in: 2026-01 … 2026-06 有 6 次") and "最远 620 米" in signal


def test_a_check_in_at_500_metres_is_not(database, worker, employers):
    run(database, worker, employers, check_in_m=500.0, check_out_m=500.0)
    assert flag(database, worker).risk_signals == []


# --- signals are computed whenever the flag is written ----------------------------------------


def test_a_signal_that_appears_later_updates_the_pending_flag(database, worker, employers):
    run(database, worker, employers)
    assert flag(database, worker).risk_signals == []
    add_booking_earning(
        database, worker.id, employers[0], date(2026, 5, 12), "1.00", hours="1", check_in_m=900.0
    )
    updated = flag(database, worker)
    assert codes(updated) == ["far_check_in"]


# --- token income and a run that was stable already -------------------------------------------


@pytest.fixture
def registered_in_january(person, database):
    """Registered unemployed on 2026-01-05: a run can start in January at the earliest."""
    someone = person(unemployment_registered_on=date(2026, 1, 5))
    entered_on(database, someone.id, date(2026, 1, 5))
    return someone


def test_a_stable_month_just_before_the_run_is_a_signal(database, registered_in_january, employers):
    worker = registered_in_january
    run(database, worker, employers)
    add_income(database, worker.id, ["2025-12"], "2490.00")  # December's minimum wage: stable
    [signal] = [s for s in flag(database, worker).risk_signals if s.startswith("stable_before")]
    assert "之前的 2025-12 收入已达 2490.00 元（不低于当月最低工资 2490.00 元）" in signal


def test_a_month_before_the_run_below_the_minimum_wage_is_not(
    database, registered_in_january, employers
):
    worker = registered_in_january
    run(database, worker, employers)
    add_income(database, worker.id, ["2025-12"], "2489.99")
    assert "stable_before_group" not in codes(flag(database, worker))


def social_insurance_flag(database, person, income: str):
    """A 西宁 difficulty worker with premiums for 2026-01 and ``income`` that month."""
    someone = person(
        city="xining",
        unemployment_registered_on=date(2025, 12, 10),
        difficulty_certified_on=date(2025, 12, 20),
    )
    add_income(database, someone.id, ["2026-01"], income)
    add_income(database, someone.id, FIRST_HALF[1:], "2000.00")
    add_premium(database, someone.id, "2026-01", "600.00", "240.00")
    add_employment_registration(database, someone.id, date(2026, 1, 1))
    evaluator.evaluate("xining", JULY_1)
    [found] = [f for f in flags_of(database, someone.id) if f.program == "social_insurance"]
    return found


def test_premiums_with_less_than_a_days_pay_behind_them_are_a_signal(database, person):
    # 西宁's hourly minimum wage in January 2026 × 8 is the bar; 10.00 yuan is far below it.
    found = social_insurance_flag(database, person, "10.00")
    [signal] = [s for s in found.risk_signals if s.startswith("token_income")]
    assert "2026-01 收入 10.00 元，不足一天的最低工资" in signal


def test_a_days_pay_or_more_is_not_token_income(database, person):
    found = social_insurance_flag(database, person, "2000.00")
    assert "token_income" not in codes(found)
