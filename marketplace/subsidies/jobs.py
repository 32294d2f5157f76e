"""The scheduled subsidy evaluation: every worker of every city, each city as of its own today."""

from __future__ import annotations

from datetime import date
from typing import Any

from marketplace.cities import catalogue
from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator


def subsidy_evaluation(as_of: date | None = None) -> dict[str, Any]:
    """Evaluate every city (as of ``as_of``, or each city's today) and commit.

    Runs inside an app context and owns its transaction: everything or, on any error, nothing.
    Answers the totals and each city's ``{"as_of", "evaluated", "created", "updated"}``.
    """
    total = evaluator.Outcome()
    cities: dict[str, Any] = {}
    try:
        for city in catalogue.all_cities():
            day = as_of or city.today()
            outcome = evaluator.evaluate(city.code, day, trigger="schedule")
            cities[city.code] = {"as_of": day.isoformat(), **outcome.as_dict()}
            total += outcome
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return {**total.as_dict(), "cities": cities}
