"""Re-evaluate a worker at once when their facts change (POLICIES.md "Hooks and schedule").

Income recorded from a booking, income, premiums or training imported, group dates changed: each
is a domain event, and the handlers here evaluate the workers it names, as of today in their city,
inside the same transaction — so the flag appears (or is updated) with the change that caused it,
or not at all when that change is rolled back. Imported by ``create_app``.
"""

from __future__ import annotations

from typing import Any

from marketplace import events
from marketplace.subsidies.evaluation import evaluator


@events.subscribe(events.EARNING_RECORDED)
def on_earning_recorded(earning: Any, **_payload: Any) -> None:
    """A booking's earning was recorded: evaluate its worker."""
    evaluator.evaluate_workers([earning.worker_id], trigger=events.EARNING_RECORDED.name)


@events.subscribe(events.EARNINGS_IMPORTED)
@events.subscribe(events.CONTRIBUTIONS_IMPORTED)
@events.subscribe(events.TRAINING_IMPORTED)
def on_import(worker_ids: list[int], **_payload: Any) -> None:
    """Records were imported: evaluate every worker they belong to, set-based."""
    evaluator.evaluate_workers(worker_ids, trigger="import")


@events.subscribe(events.WORKER_GROUPS_CHANGED)
def on_groups_changed(worker: Any, **_payload: Any) -> None:
    """A worker's group dates changed: evaluate the worker."""
    evaluator.evaluate_workers([worker.id], trigger=events.WORKER_GROUPS_CHANGED.name)
