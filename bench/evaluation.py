"""Subsidy evaluation at city scale: seconds for a whole city, creating flags, then again; and
the simulation of a draft over the same city (``--simulate``), which writes nothing."""

from __future__ import annotations

import platform
import time
from typing import Any

from sqlalchemy import func, select

from bench.harness import fresh_app, save, seed
from marketplace.audit.models import AuditEvent
from marketplace.auth import services as auth_services
from marketplace.cities import catalogue
from marketplace.extensions import db
from marketplace.subsidies.evaluation import evaluator, simulation
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import POLICY_DIR

# The draft simulated: 无锡's published file with one amount changed (article 二's 800 yuan).
POLICY = "wuxi-2021-26"
PUBLISHED_AMOUNT = 'value = "800.00"'
DRAFT_AMOUNT = 'value = "900.00"'


def evaluate_city(city: str) -> tuple[float, dict[str, int]]:
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
            first_seconds, first = evaluate_city(city)
            second_seconds, second = evaluate_city(city)
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


def _counts() -> tuple[int, int]:
    flags = db.session.scalar(select(func.count()).select_from(SubsidyFlag)) or 0
    events = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return flags, events


def run_simulation(backend: str, workers: int, months: int = 12) -> dict[str, Any]:
    """Seed the city as ``run`` does, evaluate it once (its flags are real records), upload a
    draft of 无锡's policy with one amount changed, and time one simulation of the draft."""
    city = "wuxi"
    with fresh_app(backend, f"simulation-{workers}") as app:
        seconds = seed(app, city, workers, shifts=1000, months=months, seed_value=1)
        with app.app_context():
            evaluation_seconds, _ = evaluate_city(city)
            admin = auth_services.create_user(
                "13900009999", "benchmark-password-0123", "admin", None
            )
            text = (POLICY_DIR / f"{POLICY}.toml").read_text(encoding="utf-8")
            assert text.count(PUBLISHED_AMOUNT) == 1
            draft, _ = versions.create_draft(
                admin, text.replace(PUBLISHED_AMOUNT, DRAFT_AMOUNT).encode("utf-8")
            )
            db.session.commit()
            before = _counts()
            place = catalogue.find(city)
            assert place is not None
            started = time.perf_counter()
            answer = simulation.simulate(admin, POLICY, draft.version, place.today())
            simulation_seconds = time.perf_counter() - started
            db.session.rollback()
            assert _counts() == before, "a simulation wrote something"
    result = {
        "backend": backend,
        "workers": workers,
        "months": months,
        "seed_seconds": round(seconds, 1),
        "evaluation_seconds": round(evaluation_seconds, 1),
        "simulation_seconds": round(simulation_seconds, 1),
        "simulated": {"flags": answer["flags"], "amount": answer["amount"]},
        "compared_with_current": answer["compared_with_current"],
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    save("simulation", f"{backend}-{workers}", result)
    return result
