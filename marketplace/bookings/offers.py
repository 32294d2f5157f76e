"""Offers: a place the employer's side chose a worker for, held until the worker says yes.

Nobody is booked without consent (API.md v1.1 "Consent"). A batch assignment that commits its
plan makes ``offered`` bookings: each holds its place (``booked`` counts it) and its hours toward
the part-time limit, and the worker is notified. The worker accepts it (``confirmed``), declines
it (``declined``), or lets it expire (``expired``) — 24 hours after it was made or 2 hours before
the shift starts, whichever comes first (the scheduled job ``offers``). A declined or expired
offer frees its place — for the shift's waitlist first (``bookings.waitlist``), in the same
transaction — and never counts against the worker's reliability: only bookings the worker made
or accepted can become no-shows or late cancels.

An offer blocks nothing the worker does: they may book other work overlapping it, and accepting
is then refused (409) for the overlap, as a booking of their own would be.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from marketplace import clock, events
from marketplace.auth.models import User
from marketplace.bookings import access, agreements, tell
from marketplace.bookings.models import Booking
from marketplace.bookings.services import (
    check_bookable,
    create_booking,
    lock_worker,
    overlapping_booking,
    record_transition,
    release_place,
    require_state,
)
from marketplace.brokers import delegations
from marketplace.cities.catalogue import wall_clock as local
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs.models import Job, Shift
from marketplace.notifications.services import notify
from marketplace.workers import services as workers
from marketplace.workers.models import Worker

ANSWER_WITHIN = timedelta(hours=24)
ANSWER_BEFORE_START = timedelta(hours=2)


def expiry(made_at: datetime, starts_at: datetime) -> datetime:
    """When an offer made at ``made_at`` lapses: 24 h later, or 2 h before the start if sooner."""
    return min(made_at + ANSWER_WITHIN, starts_at - ANSWER_BEFORE_START)


def offer(user: User, worker: Worker, shift: Shift) -> Booking:
    """The employer's side (or an admin) offers ``worker`` a place on ``shift``.

    The same rules as a booking of the worker's own (skills, overlaps, the part-time limit, a
    free place); refused (409) when too little time is left for the worker to answer.
    """
    job = shift.job
    acting = delegations.acting_for(user, job.employer_id) if user.role != "admin" else None
    now = clock.now()
    expires_at = expiry(now, shift.starts_at)
    if expires_at <= now:
        raise Conflict(
            "too late to offer this shift: an offer must leave the worker time to answer "
            "(it lapses 2 hours before the start)"
        )
    lock_worker(worker)
    waiting = check_bookable(worker, shift)
    booking = create_booking(worker, shift, "offered", waiting)
    booking.offered_by = user.id
    booking.expires_at = expires_at
    record_transition(
        booking, "offered", user, acting, city=job.city, expires_at=expires_at.isoformat()
    )
    notify(
        worker.user_id,
        "booking_offered",
        f"booking:{booking.id}:offered",
        f"您收到一个班次邀约：「{job.title}」，{local(shift.starts_at, job.city)} 开始，"
        f"地点：{job.address}。请在 {local(expires_at, job.city)} 前接受或拒绝，"
        "逾期邀约自动失效，不影响您的信用。",
        {"booking_id": booking.id, "shift_id": shift.id, "job_id": job.id},
    )
    return booking


def _tell_offerer(booking: Booking, kind: str, message: str) -> None:
    """Tell the employer's side: the user who made the offer, the employer, its broker."""
    tell.employer_side(booking, kind, message)


def _job_of(booking: Booking) -> Job:
    return booking.shift.job


def _accept(user: User, booking: Booking, now: datetime) -> None:
    require_state(booking, "offered", N_("accept"))
    assert booking.expires_at is not None  # every offer has one
    if booking.expires_at <= now:
        lapsed = local(booking.expires_at, booking.shift.job.city)
        raise Conflict("this offer lapsed at %(at)s", at=lapsed)
    clash = overlapping_booking(booking.worker_id, booking.starts_at, booking.ends_at)
    if clash is not None:
        raise Conflict(
            "this offer overlaps your booking %(booking)s: cancel it or decline the offer",
            booking=clash,
        )
    booking.status = "confirmed"
    booking.confirmed_at = now
    job = _job_of(booking)
    accepted = agreements.make(booking, user)  # the worker said yes: the agreement is fixed now
    record_transition(
        booking, "confirmed", user, None, city=job.city, also=[accepted], accepted_offer=True
    )
    _tell_offerer(
        booking,
        "offer_accepted",
        f"劳动者已接受「{job.title}」{local(booking.starts_at, job.city)} 班次的邀约",
    )


def accept(user: User, booking_id: int) -> Booking:
    """The worker accepts an offer: the booking is confirmed and its agreement made (409 when
    it lapsed or overlaps)."""
    booking = access.as_worker(user, booking_id)
    lock_worker(booking.worker)
    _accept(user, booking, clock.now())
    return booking


def accept_job(user: User, job_id: int) -> list[Booking]:
    """The worker accepts every live offer it holds on one job at once — all or none."""
    worker = workers.require_profile(user, lock=True)
    now = clock.now()
    offers = list(
        db.session.scalars(
            select(Booking)
            .join(Shift, Shift.id == Booking.shift_id)
            .where(
                Shift.job_id == job_id,
                Booking.worker_id == worker.id,
                Booking.status == "offered",
                Booking.expires_at > now,
            )
            .order_by(Booking.starts_at, Booking.id)
        )
    )
    if not offers:
        if db.session.get(Job, job_id) is None:
            raise NotFound("job")
        raise Conflict("you hold no open offer on this job")
    for booking in offers:
        _accept(user, booking, now)
        db.session.flush()  # the next offer's overlap check sees this one confirmed
    return offers


def decline(user: User, booking_id: int, reason: str | None) -> Booking:
    """The worker declines an offer: its place is free again; it never counts against them."""
    booking = access.as_worker(user, booking_id)
    require_state(booking, "offered", N_("decline"))
    _end_offer(booking, "declined", user, reason)
    job = _job_of(booking)
    _tell_offerer(
        booking,
        "offer_declined",
        f"劳动者已拒绝「{job.title}」{local(booking.starts_at, job.city)} 班次的邀约，名额已释放",
    )
    events.emit(events.PLACES_FREED, shift_id=booking.shift_id)  # the waitlist first
    return booking


def _end_offer(booking: Booking, status: str, user: User | None, reason: str | None) -> None:
    booking.status = status
    booking.ended_at = clock.now()
    booking.ended_by = user.id if user else None
    booking.end_reason = reason
    release_place(booking.shift_id)
    record_transition(booking, status, user, None, city=_job_of(booking).city, reason=reason)


def expire_offers() -> int:
    """Scheduled (``offers``): offers whose time to answer is over lapse and free their places."""
    lapsed = db.session.scalars(
        select(Booking)
        .where(Booking.status == "offered", Booking.expires_at <= clock.now())
        .order_by(Booking.id)
    ).all()
    for booking in lapsed:
        _end_offer(booking, "expired", None, None)
        job = _job_of(booking)
        when = local(booking.starts_at, job.city)
        notify(
            booking.worker.user_id,
            "offer_expired",
            f"booking:{booking.id}:expired",
            f"「{job.title}」{when} 班次的邀约已过期失效，不影响您的信用",
            {"booking_id": booking.id, "shift_id": booking.shift_id},
        )
        _tell_offerer(
            booking,
            "offer_expired",
            f"「{job.title}」{when} 班次的邀约无人应答，已过期，名额已释放",
        )
        events.emit(events.PLACES_FREED, shift_id=booking.shift_id)  # the waitlist first
    return len(lapsed)
