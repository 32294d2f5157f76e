"""Ratings both ways, and a worker's ``rating`` and ``reliability`` derived from them.

Reliability is the share of the worker's last ``RELIABILITY_WINDOW`` settled bookings — those
whose outcome was the worker's doing: worked (checked out or completed), no-show, or cancelled
by the worker — that were neither a no-show nor a late cancel. Rejections and cancels by the
employer do not count either way.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings.models import Booking, Rating
from marketplace.employers.models import Employer
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db
from marketplace.workers.models import Worker

RELIABILITY_WINDOW = 30


def refresh_reliability(worker_id: int) -> None:
    """Recompute the worker's reliability from its most recent settled bookings."""
    settled = or_(
        Booking.status.in_(("checked_out", "completed", "no_show")),
        and_(Booking.status == "cancelled", Booking.ended_by == _user_of(worker_id)),
    )
    recent = db.session.execute(
        select(Booking.status, Booking.late_cancel)
        .where(Booking.worker_id == worker_id, settled)
        .order_by(Booking.starts_at.desc(), Booking.id.desc())
        .limit(RELIABILITY_WINDOW)
    ).all()
    worker = db.session.get(Worker, worker_id)
    assert worker is not None
    if not recent:
        worker.reliability = None
        return
    failed = sum(1 for row in recent if row.status == "no_show" or row.late_cancel)
    worker.reliability = round(1 - failed / len(recent), 4)


def _user_of(worker_id: int) -> int:
    return db.session.scalar(select(Worker.user_id).where(Worker.id == worker_id)) or 0


def refresh_rating(worker_id: int) -> None:
    """The worker's rating: the mean of the stars employers gave it, to two decimals."""
    total, count = db.session.execute(
        select(func.sum(Rating.stars), func.count()).where(
            Rating.worker_id == worker_id, Rating.direction == "employer_to_worker"
        )
    ).one()
    worker = db.session.get(Worker, worker_id)
    assert worker is not None
    # Sum and count, divided as decimals: AVG would come back as a float on SQLite.
    worker.rating = Decimal(int(total)) / Decimal(count) if count else None
    if worker.rating is not None:
        worker.rating = worker.rating.quantize(Decimal("0.01"), ROUND_HALF_UP)


def rate(booking: Booking, direction: str, stars: int, comment: str, user_id: int) -> Rating:
    """Record one side's rating of a completed booking (once per side: 409 after that)."""
    if booking.status != "completed":
        raise Conflict("only a completed booking can be rated")
    rating = Rating(
        booking_id=booking.id,
        direction=direction,
        worker_id=booking.worker_id,
        employer_id=booking.employer_id,
        stars=stars,
        comment=comment,
        created_by=user_id,
        created_at=clock.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        raise Conflict("this side has already rated this booking") from None
    if direction == "employer_to_worker":
        refresh_rating(booking.worker_id)
    return rating


# An employer's cancel this close to the start counts in its public cancel rate.
LATE_EMPLOYER_CANCEL = timedelta(hours=12)


def employer_record(employer_id: int) -> dict[str, Any]:
    """What any user may know of an employer: who, where, checked, and its track record.

    ``rating`` and ``ratings``: the stars workers gave it. ``completed_shifts``: its bookings
    worked and approved. ``cancel_rate``: of its bookings ever confirmed, the share its own side
    (the employer or a broker) cancelled less than 12 hours before the start.
    """
    employer = db.session.get(Employer, employer_id)
    if employer is None:
        raise NotFound("employer")
    total, count = db.session.execute(
        select(func.sum(Rating.stars), func.count()).where(
            Rating.employer_id == employer_id, Rating.direction == "worker_to_employer"
        )
    ).one()
    mine = (Booking.employer_id == employer_id, Booking.confirmed_at.is_not(None))
    confirmed, completed = db.session.execute(
        select(func.count(), func.count().filter(Booking.status == "completed")).where(*mine)
    ).one()
    # Cancels by its own side (not the worker's, not an official's); how close to the start
    # is compared here, as date arithmetic differs between the databases.
    cancels = db.session.execute(
        select(Booking.starts_at, Booking.ended_at)
        .join(User, User.id == Booking.ended_by)
        .where(*mine, Booking.status == "cancelled", User.role.in_(("employer", "broker")))
    ).all()
    late = sum(
        1
        for starts_at, ended_at in cancels
        if ended_at is not None and ended_at > starts_at - LATE_EMPLOYER_CANCEL
    )
    rating = None
    if count:
        rating = float(
            (Decimal(int(total)) / Decimal(count)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        )
    return {
        "id": employer.id,
        "name": employer.name,
        "city": employer.city,
        "district": employer.district,
        "credit_code_verified": employer.credit_code_verified_at is not None,
        "rating": rating,
        "ratings": count,
        "completed_shifts": completed,
        "cancel_rate": round(late / confirmed, 3) if confirmed else None,
    }
