"""Who may act on a booking: the worker who holds it, or the shift's employer and its brokers.

Anyone else gets 404 — they are not told that the booking exists.
"""

from __future__ import annotations

from sqlalchemy import select

from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.brokers import delegations
from marketplace.brokers.delegations import Acting
from marketplace.brokers.models import Delegation
from marketplace.employers import services as employers
from marketplace.errors import N_, Conflict, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.jobs.models import Job
from marketplace.workers import services as workers
from marketplace.workers.models import Worker


def _get(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("booking")
    return booking


def as_worker(user: User, booking_id: int) -> Booking:
    """The caller's own booking (workers only)."""
    booking = _get(booking_id)
    worker_id = workers.profile_id_of(user) if user.role == "worker" else None
    if worker_id is None or booking.worker_id != worker_id:
        raise NotFound("booking")
    return booking


def as_employer_side(user: User, booking_id: int) -> tuple[Booking, Acting]:
    """A booking on a shift of an employer the caller is or acts for."""
    if user.role not in ("employer", "broker"):
        raise Forbidden("only the shift's employer or its brokers may do this")
    booking = _get(booking_id)
    acting = delegations.may_act_for(user, booking.employer_id)
    if acting is None:
        raise NotFound("booking")
    return booking, acting


def as_either_side(user: User, booking_id: int) -> tuple[Booking, Acting | None]:
    """The booking, for its worker (no acting) or its employer's side."""
    if user.role == "worker":
        return as_worker(user, booking_id), None
    return as_employer_side(user, booking_id)


def employer_ids_of(user: User) -> list[int]:
    """The employers an employer account is, or a broker account acts for now."""
    if user.role == "employer":
        employer = employers.profile_of(user)
        return [employer.id] if employer else []
    if user.role == "broker":
        from marketplace.brokers import services as brokers

        broker = brokers.profile_of(user)
        if broker is None:
            return []
        return list(
            db.session.scalars(
                select(Delegation.employer_id).where(
                    Delegation.broker_id == broker.id, Delegation.revoked_at.is_(None)
                )
            )
        )
    return []


def visible_worker(user: User, worker_id: int) -> tuple[Worker, bool]:
    """The worker ``user`` may read, and whether only the limited view (employers) applies.

    The worker itself, an official of its city and admins read the profile; an employer or
    broker only while the worker has a booking on one of its shifts — which is why this rule
    lives with the bookings, not with the workers. Anyone else gets 404, whether or not the
    worker exists.
    """
    worker = db.session.get(Worker, worker_id)
    if worker is None:
        raise NotFound("worker")
    if user.role == "admin" or (user.role == "worker" and worker.user_id == user.id):
        return worker, False
    if user.role == "official" and user.city == worker.city:
        return worker, False
    if user.role in ("employer", "broker") and works_with(user, worker):
        return worker, True
    raise NotFound("worker")


def works_with(user: User, worker: Worker) -> bool:
    """Whether the worker has a booking on a shift of an employer the caller is or acts for."""
    employer_ids = employer_ids_of(user)
    if not employer_ids:
        return False
    query = select(Booking.id).where(
        Booking.worker_id == worker.id, Booking.employer_id.in_(employer_ids)
    )
    return db.session.scalar(query.limit(1)) is not None


def live_job_as_employer_side(user: User, job_id: int) -> tuple[Job, Acting]:
    """A job of an employer the caller is or acts for (404 otherwise), not cancelled (409)."""
    job = db.session.get(Job, job_id)
    acting = delegations.may_act_for(user, job.employer_id) if job else None
    if job is None or acting is None:
        raise NotFound(N_("job"))
    if job.cancelled_at is not None:
        raise Conflict("this job is cancelled")
    return job, acting
