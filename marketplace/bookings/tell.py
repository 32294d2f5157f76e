"""Who is told what happened to a booking (contract v1.1 "Notifications for everyone").

The worker of the booking; and the employer's side: the employer's account, the broker that
posted the job, and whoever made the offer. Times in the texts are the city's wall clock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.bookings.models import Booking
from marketplace.brokers.models import Broker
from marketplace.cities import catalogue
from marketplace.employers.models import Employer
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.notifications.services import notify
from marketplace.workers.models import Worker


def _data(booking: Booking, extra: dict[str, Any] | None) -> dict[str, Any]:
    return {"booking_id": booking.id, "shift_id": booking.shift_id, **(extra or {})}


def shift_text(booking: Booking) -> str:
    """「商场保洁」12月06日 09:00 — the job and the shift's start, as people name a shift."""
    title, city = db.session.execute(
        select(Job.title, Job.city)
        .join(Shift, Shift.job_id == Job.id)
        .where(Shift.id == booking.shift_id)
    ).one()
    return f"「{title}」{catalogue.wall_clock(booking.starts_at, city)}"


def employer_side_users(booking: Booking) -> list[int]:
    """The accounts of the booking's employer side: the employer, the broker that posted the
    job, and the user who made the offer."""
    employer_user = db.session.scalar(
        select(Employer.user_id).where(Employer.id == booking.employer_id)
    )
    broker_user = db.session.scalar(
        select(Broker.user_id)
        .join(Job, Job.broker_id == Broker.id)
        .join(Shift, Shift.job_id == Job.id)
        .where(Shift.id == booking.shift_id)
    )
    users = {employer_user, broker_user, booking.offered_by}
    return sorted(user for user in users if user is not None)


def employer_side(
    booking: Booking, kind: str, message: str, extra: dict[str, Any] | None = None
) -> None:
    """Tell the booking's employer side, once per account and kind."""
    for user_id in employer_side_users(booking):
        notify(user_id, kind, f"booking:{booking.id}:{kind}", message, _data(booking, extra))


def worker(booking: Booking, kind: str, message: str, extra: dict[str, Any] | None = None) -> None:
    """Tell the booking's worker, once per kind."""
    user_id = db.session.scalar(select(Worker.user_id).where(Worker.id == booking.worker_id))
    assert user_id is not None  # every booking has its worker
    notify(user_id, kind, f"booking:{booking.id}:{kind}", message, _data(booking, extra))
