"""Reading earnings: a worker's own, from bookings and imported."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from marketplace.auth.models import User
from marketplace.earnings.models import Earning
from marketplace.extensions import db
from marketplace.workers.services import my_profile


def my_earnings(
    user: User, month: str | None, offset: int, limit: int
) -> tuple[int, Sequence[Earning]]:
    """The caller's earnings (of ``month`` when given), newest month first, and their count."""
    worker = my_profile(user)
    conditions = [Earning.worker_id == worker.id]
    if month is not None:
        conditions.append(Earning.month == month)
    total = db.session.scalar(select(func.count()).select_from(Earning).where(*conditions)) or 0
    rows = db.session.scalars(
        select(Earning)
        .where(*conditions)
        .order_by(Earning.month.desc(), Earning.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return total, rows
