"""Who sees which alerts: the worker, the employer and its brokers, the city's officials."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select

from marketplace.auth.models import User
from marketplace.bookings import access
from marketplace.earnings.models import Alert
from marketplace.workers import services as workers


def visible_alerts(user: User, filters: dict[str, Any]) -> Select[Any]:
    """The query of the alerts ``user`` may see, newest first."""
    query = select(Alert)
    if user.role == "worker":
        worker = workers.profile_of(user)
        query = query.where(Alert.worker_id == worker.id) if worker else query.where(false())
    elif user.role in ("employer", "broker"):
        query = query.where(Alert.employer_id.in_(access.employer_ids_of(user)))
    elif user.role == "official":
        query = query.where(Alert.city == user.city)
    if "resolved" in filters:
        resolved = Alert.resolved_at.is_not(None)
        query = query.where(resolved if filters["resolved"] else ~resolved)
    return query.order_by(Alert.created_at.desc(), Alert.id.desc())
