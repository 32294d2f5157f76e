"""An employer's week, end to end through the API (contract v1.1 "Everyday use"): a week of
shifts filled by one multi-shift plan, a forgotten check-out closed by the scheduled job, and
every worked shift paid."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from tests.week import DAYS, WAGE, live_the_week


@pytest.fixture
def week(client, app):
    return live_the_week(client)


def test_one_plan_fills_the_weeks_fourteen_places_with_three_workers(week):
    plan = week.plan
    assert len(plan["assignments"]) == 2 * DAYS and plan["unfilled"] == {}
    assert plan["optimal"] is True and plan["committed"] is True and plan["not_booked"] == []
    per_worker = Counter(a["worker_id"] for a in plan["assignments"])
    assert len(per_worker) == 3 and max(per_worker.values()) > 1
    # 4-hour part-time shifts: nobody above 24 hours a week with one employer.
    assert max(per_worker.values()) * 4 <= 24


def test_every_worked_shift_is_approved_and_paid_the_forgotten_check_out_too(week):
    assert len(week.bookings) == 2 * DAYS
    assert {b["status"] for b in week.bookings} == {"completed"}
    forgotten = next(b for b in week.bookings if b["id"] == week.forgotten_booking)
    assert forgotten["checkout_source"] == "auto"
    assert forgotten["checked_out_at"] == forgotten["ends_at"]
    assert forgotten["earning"]["amount"] == str(Decimal(WAGE) * 4)
    assert forgotten["earning"]["paid_at"] is not None
    sources = Counter(b["checkout_source"] for b in week.bookings)
    assert sources == {"worker": 2 * DAYS - 1, "auto": 1}


def test_everyone_was_told_what_concerned_them(week):
    forgetful = week.workers[week.forgetful]
    kinds = Counter(
        n["kind"]
        for n in forgetful.call("get", "/api/v1/notifications", query_string={"per_page": 100})
    )
    assert kinds["booking_offered"] >= 1 and kinds["auto_checkout"] == 1
    assert kinds["booking_approved"] == kinds["earning_paid"] >= 1
    told = Counter(
        n["kind"]
        for n in week.employer.call("get", "/api/v1/notifications", query_string={"per_page": 100})
    )
    assert told["timesheet_to_approve"] == 2 * DAYS and told["offer_accepted"] >= 1


def test_the_workers_earnings_show_the_week(week):
    for worker, worker_id in zip(week.workers, week.worker_ids, strict=True):
        earnings = worker.call("get", "/api/v1/workers/me/earnings", query_string={"per_page": 100})
        worked = sum(1 for a in week.plan["assignments"] if a["worker_id"] == worker_id)
        assert len(earnings) == worked
        assert all(e["amount"] == "120.00" for e in earnings)
