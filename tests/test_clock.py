"""The clock: the one place that reads the time, in UTC and in a city's local time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from marketplace import clock
from marketplace.cities import catalogue


def test_now_is_aware_utc():
    assert clock.now().tzinfo == UTC


def test_a_citys_day_turns_at_its_local_midnight():
    # 16:30 UTC on 31 December is already 00:30 on 1 January in Wuxi.
    with time_machine.travel(datetime(2025, 12, 31, 16, 30, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 1, 1)
        assert catalogue.find("wuxi").today() == date(2026, 1, 1)
    with time_machine.travel(datetime(2025, 12, 31, 15, 59, tzinfo=UTC), tick=False):
        assert catalogue.find("xining").today() == date(2025, 12, 31)


def test_minimum_wage_holds_from_its_date_until_the_next():
    rows = catalogue.find("wuxi").minimum_wages
    assert catalogue.wage_on(rows, date(2025, 12, 31)).hourly == 24
    assert catalogue.wage_on(rows, date(2026, 1, 1)).hourly == 25
    assert str(catalogue.wage_on(rows, date(2026, 1, 1)).monthly) == "2660.00"
    assert catalogue.wage_on(rows, date(2018, 7, 31)) is None
