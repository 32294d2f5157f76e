"""The nightly job: every worker of every city, each city as of its own today; it commits."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.subsidies import jobs
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import SubsidyFlag
from tests.subsidies.conftest import due_in_both_cities, flags_of


@pytest.fixture
def city_workers(person, database):
    return due_in_both_cities(person, database)


def test_the_job_evaluates_every_city_as_of_its_today_and_commits(database, city_workers):
    wuxi, xining = city_workers
    result = jobs.subsidy_evaluation()
    assert result["created"] == 2 and result["updated"] == 0
    assert result["cities"]["wuxi"]["as_of"] == result["cities"]["xining"]["as_of"] == "2026-07-02"
    assert result["cities"]["wuxi"]["created"] == result["cities"]["xining"]["created"] == 1
    assert result["evaluated"] == (
        result["cities"]["wuxi"]["evaluated"] + result["cities"]["xining"]["evaluated"]
    )
    database.rollback()  # what the job committed stays
    assert [f.program for f in flags_of(database, wuxi.id)] == ["platform_service"]
    assert [f.key for f in flags_of(database, xining.id)] == ["2026-01"]


def test_the_job_run_again_creates_nothing(database, city_workers):
    jobs.subsidy_evaluation()
    again = jobs.subsidy_evaluation()
    assert (again["created"], again["updated"]) == (0, 0)


def test_the_job_takes_a_day_when_given(database, city_workers):
    result = jobs.subsidy_evaluation(as_of=date(2026, 6, 30))
    # June is not over on its last day: no six-month run yet in 无锡; 西宁's January is over.
    assert result["cities"]["wuxi"]["created"] == 0
    assert result["cities"]["xining"]["created"] == 1
    assert result["cities"]["wuxi"]["as_of"] == result["cities"]["xining"]["as_of"] == "2026-06-30"


def test_a_failing_job_leaves_nothing_behind(database, city_workers, monkeypatch):
    real = evaluator.evaluate

    def fail_in_xining(city, *args, **kwargs):
        if city == "xining":
            raise RuntimeError("database went away")
        return real(city, *args, **kwargs)

    monkeypatch.setattr(evaluator, "evaluate", fail_in_xining)
    with pytest.raises(RuntimeError):
        jobs.subsidy_evaluation()
    assert database.query(SubsidyFlag).count() == 0
