"""``runway``: a worker's own recommendations favour the shifts that close a subsidy's gap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketplace.matching import scoring
from tests.conftest import shift_times
from tests.subsidies.conftest import add_income

RECOMMENDED = "/api/v1/workers/me/recommended-shifts"
# 10 July 2026 in China: the worker still needs 660.00 this month (2660.00 − 2000.00).
NOW = datetime(2026, 7, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def short(make_worker, database):
    """Unemployed since 2025-12, stable in 2026-03 … 2026-06, 2000.00 so far in 2026-07."""
    worker = make_worker(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, worker.id, ["2026-03", "2026-04", "2026-05", "2026-06"])
    add_income(database, worker.id, ["2026-07"], "2000.00")
    return worker


def job_at(make_job, wage: str, days_ahead: int):
    return make_job(
        hourly_wage=wage, shifts=[{**shift_times(days_ahead=days_ahead, hours=4), "headcount": 2}]
    ).shifts[0]


def test_the_shift_that_closes_the_gap_ranks_first(client, headers_of, make_job, short):
    small = job_at(make_job, "30.00", 3)  # 120.00 of the 660.00 still needed
    closing = job_at(make_job, "170.00", 4)  # 680.00: closes it
    next_month = job_at(make_job, "170.00", 25)  # August: no gap pending there
    items = client.get(RECOMMENDED, headers=headers_of(short)).get_json()
    runway = {item["shift_id"]: item["components"]["runway"] for item in items}
    assert runway[closing.id] == 1.0
    assert runway[small.id] == pytest.approx(120 / 660, abs=1e-6)
    assert runway[next_month.id] == 0.0
    assert items[0]["shift_id"] == closing.id


def test_without_a_pending_threshold_runway_is_zero(client, headers_of, make_job, make_worker):
    worker = make_worker()  # in no group: no subsidy threshold to reach
    job_at(make_job, "170.00", 3)
    [item] = client.get(RECOMMENDED, headers=headers_of(worker)).get_json()
    assert item["components"]["runway"] == 0.0


def test_candidates_never_show_runway(client, auth_headers, headers_of, make_user, make_job, short):
    # It would tell the employer how far the worker's income is from a subsidy's bar.
    shift = job_at(make_job, "170.00", 4)
    admin = auth_headers(make_user("admin"))
    [candidate] = client.get(f"/api/v1/shifts/{shift.id}/candidates", headers=admin).get_json()
    assert "runway" not in candidate["components"]
    [mine] = client.get(RECOMMENDED, headers=headers_of(short)).get_json()
    assert mine["components"]["runway"] == 1.0
    # The candidates' score is the score without runway; the worker's weighs it in.
    weights = scoring.weights_for("wuxi", NOW.date())
    assert weights.runway == 0.10
    assert mine["score"] == pytest.approx(
        scoring.with_runway(candidate["score"], 1.0, weights), abs=1e-5
    )


@pytest.mark.parametrize(
    ("pay", "gap", "expected"),
    [("120.00", "660.00", 120 / 660), ("700.00", "660.00", 1.0), ("1", None, 0.0), ("1", "0", 0.0)],
)
def test_the_runway_component(pay, gap, expected):
    found = scoring.runway_component(Decimal(pay), None if gap is None else Decimal(gap))
    assert found == pytest.approx(expected)
