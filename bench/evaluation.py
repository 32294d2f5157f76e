"""Subsidy evaluation at city scale: seconds for a whole city, creating flags, then again."""

from __future__ import annotations

import platform
import time
from typing import Any

from sqlalchemy import func, select

from bench.harness import fresh_app, save, seed
from marketplace.audit.models import AuditEvent
from marketplace.cities import catalogue
from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator
from marketplace.subsidies.models import SubsidyFlag


def _evaluate(city: str) -> tuple[float, dict[str, int]]:
    """One full evaluation of ``city`` as of its today, committed; seconds and its outcome."""
    place = catalogue.find(city)
    assert place is not None
    started = time.perf_counter()
    outcome = evaluator.evaluate(city, place.today(), trigger="benchmark")
    db.session.commit()
    return time.perf_counter() - started, outcome.as_dict()


def run(backend: str, workers: int, months: int = 12, city: str = "wuxi") -> dict[str, Any]:
    """Seed ``workers`` with ``months`` of income and premiums, then evaluate the city twice."""
    with fresh_app(backend, f"evaluation-{workers}") as app:
        seconds = seed(app, city, workers, shifts=1000, months=months, seed_value=1)
        with app.app_context():
            first_seconds, first = _evaluate(city)
            second_seconds, second = _evaluate(city)
            flags = db.session.scalar(select(func.count()).select_from(SubsidyFlag))
            events = db.session.scalar(select(func.count()).select_from(AuditEvent))
            db.session.commit()
    result = {
        "backend": backend,
        "workers": workers,
        "months": months,
        "seed_seconds": round(seconds, 1),
        "first_run_seconds": round(first_seconds, 1),
        "first_run": first,
        "second_run_seconds": round(second_seconds, 1),
        "second_run": second,
        "flags": flags,
        "audit_events": events,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    save("evaluation", f"{backend}-{workers}", result)
    return result
