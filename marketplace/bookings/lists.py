"""The employer's side's own list of bookings (contract v1.1 "Own lists").

Every booking on the shifts of the employer the caller is, or (a broker) names and acts for:
what to approve, who cancelled, who is coming — filtered by status, by the days of the shifts
(China Standard Time, inclusive) and by shift, soonest shift first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.brokers import delegations
from marketplace.jobs.lists import day_start


def with_earning() -> Any:
    """Load a list's earnings in one more query, not one per booking.

    Built when a request asks, not at import: building it configures every mapper.
    """
    return selectinload(Booking.earning)


def employer_bookings(user: User, filters: dict[str, Any]) -> Select[Booking]:
    """The bookings on the shifts of the employer the caller is or acts for."""
    acting = delegations.acting_for(user, filters.get("employer_id"), location="query")
    query = select(Booking).options(with_earning()).where(Booking.employer_id == acting.employer.id)
    if "status" in filters:
        query = query.where(Booking.status == filters["status"])
    if "shift_id" in filters:
        query = query.where(Booking.shift_id == filters["shift_id"])
    if "start" in filters:
        query = query.where(Booking.starts_at >= day_start(filters["start"]))
    if "end" in filters:
        query = query.where(Booking.starts_at < day_start(filters["end"] + timedelta(days=1)))
    return query.order_by(Booking.starts_at, Booking.id)
