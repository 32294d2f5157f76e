"""Booking a shift and the decisions before work starts: accept, reject, cancel.

Places are counted by the database: taking one is a conditional ``UPDATE … SET booked =
booked + 1 WHERE booked < headcount`` whose row count says whether a place was left, so two
requests for the last place can never both win. Per-worker rules (no overlapping bookings, the
part-time weekly limit) run after locking the worker's row, so one worker's concurrent requests
are checked one after the other.

A place given back by a cancel is announced (``events.PLACES_FREED``) once the cancel is
recorded: the shift's waitlist (``bookings.waitlist``) fills it in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    Update,
    and_,
    bindparam,
    delete,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import access, agreements, part_time, relations, tell
from marketplace.bookings.models import (
    LIVE_STATUSES,
    OVERLAP_BLOCKING_STATUSES,
    STATE_WORDS,
    Booking,
    WaitlistEntry,
)
from marketplace.bookings.reputation import refresh_reliability
from marketplace.brokers.delegations import Acting
from marketplace.cities import catalogue
from marketplace.database import execute_core, prebuilt
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs import audience
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job, Shift
from marketplace.notifications.services import notify
from marketplace.workers import services as workers
from marketplace.workers.models import Worker

LATE_CANCEL = timedelta(hours=12)


def record_transition(
    booking: Booking,
    action: str,
    actor: User | None,
    acting: Acting | None,
    *,
    city: str | None = None,
    also: Sequence[audit.Entry] = (),
    **data: Any,
) -> None:
    """Audit a booking's change and tell the other domains.

    ``city`` is the shift's city when the caller already has it (it is looked up otherwise).
    ``also``: events that go with the change (the agreement the worker accepted), appended
    right after it with one lock and one read of the chain's tail.
    """
    db.session.flush()
    details = {
        "shift_id": booking.shift_id,
        "worker_id": booking.worker_id,
        "employer_id": booking.employer_id,
        "status": booking.status,
        **data,
    }
    if acting is not None and acting.broker is not None:
        details["broker_id"] = acting.broker.id
    if city is None:
        city = db.session.scalar(select(Job.city).join(Shift).where(Shift.id == booking.shift_id))
    event = audit.Entry(
        f"booking.{action}",
        "booking",
        booking.id,
        details,
        actor_id=actor.id if actor else None,
        city=city,
    )
    if also:
        audit.record_many([event, *also])
    else:
        audit.record(
            event.action,
            event.entity,
            event.entity_id,
            event.data,
            actor_id=event.actor_id,
            city=event.city,
        )


# The statements of every booking.
@prebuilt
def _take_place_statement() -> Update:
    return (
        update(Shift)
        .where(
            Shift.id == bindparam("shift_id"),
            Shift.booked < Shift.headcount,
            Shift.cancelled_at.is_(None),
        )
        .values(booked=Shift.booked + 1)
        .execution_options(synchronize_session=False)
    )


# What the worker already has of a shift, in one look-up: its live booking of the shift, the
# bookings that overlap it, and its place on the shift's waitlist (status ``WAITLISTED``).
WAITLISTED = "waitlisted"


@prebuilt
def _held_statement() -> CompoundSelect:
    bookings = select(Booking.id, Booking.shift_id, Booking.status).where(
        Booking.worker_id == bindparam("worker_id"),
        or_(
            and_(Booking.shift_id == bindparam("shift_id"), Booking.status.in_(LIVE_STATUSES)),
            and_(
                Booking.status.in_(OVERLAP_BLOCKING_STATUSES),
                Booking.starts_at < bindparam("ends_at"),
                Booking.ends_at > bindparam("starts_at"),
            ),
        ),
    )
    waiting = select(
        WaitlistEntry.id, WaitlistEntry.shift_id, literal(WAITLISTED, String(16))
    ).where(
        WaitlistEntry.worker_id == bindparam("worker_id"),
        WaitlistEntry.shift_id == bindparam("shift_id"),
    )
    return union_all(bookings, waiting)


def take_place(shift_id: int) -> None:
    """Hold one place of the shift, or 409 when none is left (decided by the database)."""
    result = execute_core(_take_place_statement(), {"shift_id": shift_id})
    if result.rowcount != 1:
        raise Conflict("this shift is full")
    _forget_booked(shift_id)


def release_place(shift_id: int) -> None:
    """Give one held place of the shift back."""
    db.session.execute(
        update(Shift)
        .where(Shift.id == shift_id, Shift.booked > 0)
        .values(booked=Shift.booked - 1)
        .execution_options(synchronize_session=False)
    )
    _forget_booked(shift_id)


def _forget_booked(shift_id: int) -> None:
    # The UPDATE went around the ORM: a loaded shift must read its count again.
    shift = db.session.identity_map.get(db.session.identity_key(Shift, shift_id))
    if shift is not None:
        db.session.expire(shift, ["booked"])


def lock_worker(worker: Worker) -> None:
    """Lock the worker's row for this transaction, so its bookings are checked one at a time.

    FOR UPDATE on PostgreSQL; on SQLite the writing transaction already holds the lock.
    """
    db.session.execute(select(Worker.id).where(Worker.id == worker.id).with_for_update())


@prebuilt
def _overlapping_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(Booking.id)
        .where(
            Booking.worker_id == bindparam("worker_id"),
            Booking.status.in_(OVERLAP_BLOCKING_STATUSES),
            Booking.starts_at < bindparam("ends_at"),
            Booking.ends_at > bindparam("starts_at"),
        )
        .order_by(Booking.id)
        .limit(1)
    )


def overlapping_booking(worker_id: int, starts_at: datetime, ends_at: datetime) -> int | None:
    """The id of a booking of the worker that blocks ``starts_at``–``ends_at``, if any."""
    values = {"worker_id": worker_id, "starts_at": starts_at, "ends_at": ends_at}
    return execute_core(_overlapping_statement(), values).scalar()


def _check_skills(worker: Worker, shift: Shift) -> None:
    missing = sorted(set(shift.job.required_skills) - set(worker.skills))
    if missing:
        raise Conflict(
            "this shift requires skills you do not have: %(skills)s", skills=", ".join(missing)
        )


def check_shift_open(shift: Shift) -> None:
    """The rules of the shift itself, the same for every worker (409 otherwise): not cancelled,
    its job post published, not started."""
    if shift.cancelled_at is not None:
        raise Conflict("this shift is cancelled")
    if shift.job.review_status != "published":
        raise Conflict("this job post is held for review")
    if shift.starts_at <= clock.now():
        raise Conflict("this shift has already started")


def check_worker_may_take(worker: Worker, shift: Shift) -> int | None:
    """The rules of this worker on the shift (409 otherwise): not blocked by the employer, no
    live booking of the shift yet, every required skill, no overlapping booking, the part-time
    weekly limit.

    Answers the id of the worker's entry on the shift's waitlist, if it waits there (found in
    the same look-up as the bookings): a booking ends the wait, a second entry is refused.
    """
    if relations.is_blocked(shift.job.employer_id, worker.id):
        raise Conflict("this employer does not take bookings from you")
    if shift.job.audience == "invited" and not audience.is_invited(shift.job_id, worker.id):
        raise Conflict("this job is open only to the workers it invited")
    values = {
        "worker_id": worker.id,
        "shift_id": shift.id,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
    }
    rows = execute_core(_held_statement(), values).all()
    waiting = next((row.id for row in rows if row.status == WAITLISTED), None)
    held = sorted((row for row in rows if row.status != WAITLISTED), key=lambda row: row.id)
    for row in held:
        if row.shift_id == shift.id and row.status in LIVE_STATUSES:
            raise Conflict("you already hold booking %(booking)s for this shift", booking=row.id)
    _check_skills(worker, shift)
    if held:
        raise Conflict("this shift overlaps your booking %(booking)s", booking=held[0].id)
    part_time.check(worker.id, shift)
    return waiting


def check_bookable(worker: Worker, shift: Shift) -> int | None:
    """Every rule a new booking of ``shift`` by ``worker`` must pass but capacity (409 otherwise).

    Capacity is the one rule left out: a booking takes a place (``take_place``, decided by the
    database), while joining the shift's waitlist asks that there be none. The caller holds the
    worker's row lock. Answers the worker's waitlist entry of the shift, if any
    (``check_worker_may_take``).
    """
    check_shift_open(shift)
    return check_worker_may_take(worker, shift)


def create_booking(
    worker: Worker, shift: Shift, status: str, waiting: int | None = None
) -> Booking:
    """Insert a booking in ``status`` (confirmed ones and offers take their place first).

    ``waiting``: the worker's waitlist entry of the shift (``check_bookable`` found it), which
    ends now that the worker has a booking of the shift — or, were it kept, cancelling this
    booking later would book the same worker again from the waitlist.

    Run it in a savepoint, as every caller does: should a live booking of the same worker and
    shift slip past ``check_bookable``, the database's unique index refuses it, the flush fails
    and the savepoint undoes this booking's writes.
    """
    if status in ("confirmed", "offered"):
        take_place(shift.id)
    elif shift.booked >= shift.headcount:
        raise Conflict("this shift is full")
    now = clock.now()
    booking = Booking(
        shift_id=shift.id,
        worker_id=worker.id,
        employer_id=shift.job.employer_id,
        status=status,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        created_at=now,
        updated_at=now,
        confirmed_at=now if status == "confirmed" else None,
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("you already hold a booking for this shift") from None
    if waiting is not None:
        execute_core(delete(WaitlistEntry).where(WaitlistEntry.id == waiting))
    return booking


def book(user: User, shift_id: int) -> Booking:
    """A worker books a shift: confirmed at once, or pending when the job requires approval.

    Either way the worker has said yes: the booking's agreement is made with it.

    Run it in a savepoint (see ``create_booking``).
    """
    worker = workers.require_profile(user, lock=True)
    shift = audience.require_visible(user, jobs.get_shift(shift_id))
    waiting = check_bookable(worker, shift)
    status = "pending" if shift.job.requires_approval else "confirmed"
    booking = create_booking(worker, shift, status, waiting)
    # The worker says yes here, pending or not: the agreement is fixed now.
    accepted = agreements.make(booking, user)
    record_transition(booking, status, user, None, city=shift.job.city, also=[accepted])
    if status == "pending":
        tell.employer_side(
            booking,
            "booking_to_accept",
            f"{tell.shift_text(booking)} 的班次有新的报名，请确认或拒绝",
        )
    return booking


def accept(user: User, booking_id: int) -> Booking:
    """The employer's side accepts a pending booking (409 when the shift is full by then)."""
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, "pending", N_("accept"))
    take_place(booking.shift_id)
    booking.status = "confirmed"
    booking.confirmed_at = clock.now()
    record_transition(booking, "confirmed", user, acting)
    notify(
        booking.worker.user_id,
        "booking_accepted",
        f"booking:{booking.id}:accepted",
        "您的报名已被录用",
        {"booking_id": booking.id, "shift_id": booking.shift_id},
    )
    return booking


def reject(user: User, booking_id: int, reason: str | None) -> Booking:
    """The employer's side turns a pending booking down."""
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, "pending", N_("reject"))
    _end(booking, "rejected", user, reason)
    record_transition(booking, "rejected", user, acting, reason=reason)
    notify(
        booking.worker.user_id,
        "booking_rejected",
        f"booking:{booking.id}:rejected",
        "您的报名未被录用",
        {"booking_id": booking.id, "reason": reason},
    )
    return booking


def cancel(user: User, booking_id: int, reason: str) -> Booking:
    """Cancel before check-in, by the worker or the employer's side (who may withdraw an offer).

    A worker's cancel less than 12 hours before the start counts against reliability.
    """
    booking, acting = access.as_either_side(user, booking_id)
    by_worker = acting is None
    if by_worker and booking.status == "offered":
        raise Conflict("this is an offer: decline it (POST /bookings/{id}/decline)")
    require_state(booking, ("offered", "pending", "confirmed"), N_("cancel"))
    held_place = booking.status in ("offered", "confirmed")
    _end(booking, "cancelled", user, reason)
    booking.late_cancel = by_worker and booking.starts_at - clock.now() < LATE_CANCEL
    if held_place:
        release_place(booking.shift_id)
    record_transition(
        booking,
        "cancelled",
        user,
        acting,
        reason=reason,
        late=booking.late_cancel,
        by="worker" if by_worker else "employer",
    )
    if by_worker:
        refresh_reliability(booking.worker_id)
        tell.employer_side(
            booking,
            "worker_cancelled",
            f"劳动者取消了{tell.shift_text(booking)} 的班次（理由：{reason}），名额已空出",
        )
    else:
        notify(
            booking.worker.user_id,
            "booking_cancelled",
            f"booking:{booking.id}:cancelled",
            "您的班次已被用工方取消",
            {"booking_id": booking.id, "reason": reason},
        )
    if held_place:
        # Recorded first, then the place goes to the shift's waitlist, in this transaction.
        events.emit(events.PLACES_FREED, shift_id=booking.shift_id)
    return booking


def cancel_for_shifts(shifts: list[Shift], actor: User, reason: str | None) -> None:
    """Cancel every live booking of cancelled shifts (a job, or one shift, was cancelled)."""
    if not shifts:
        return
    bookings = db.session.scalars(
        select(Booking).where(
            Booking.shift_id.in_([shift.id for shift in shifts]),
            Booking.status.in_(("offered", "pending", "confirmed")),
        )
    ).all()
    by_id = {shift.id: shift for shift in shifts}
    for booking in bookings:
        held_place = booking.status in ("offered", "confirmed")
        _end(booking, "cancelled", actor, reason or "the job was cancelled")
        if held_place:
            release_place(booking.shift_id)
        record_transition(
            booking, "cancelled", actor, None, reason=reason or "job cancelled", by="employer"
        )
        job = by_id[booking.shift_id].job
        starts = catalogue.wall_clock(booking.starts_at, job.city)
        why = f"，理由：{reason}" if reason else ""
        notify(
            booking.worker.user_id,
            "booking_cancelled",
            f"booking:{booking.id}:cancelled",
            f"您报名的「{job.title}」{starts} 的班次已被用工方取消{why}",
            {"booking_id": booking.id, "reason": reason},
        )


@events.subscribe(events.JOB_CHANGED)
def _on_job_changed(job: Job, changes: dict[str, list[Any]]) -> None:
    """Tell the workers booked on the job's future shifts what changed."""
    names = {
        "title": "名称",
        "description": "说明",
        "address": "地址",
        "required_skills": "所需技能",
        "hourly_wage": "时薪",
        "injury_cover": "职业伤害保障",
    }
    told = "、".join(names[name] for name in changes if name in names)
    rows = db.session.execute(
        select(Booking.id, Worker.user_id)
        .join(Worker, Worker.id == Booking.worker_id)
        .join(Shift, Shift.id == Booking.shift_id)
        .where(
            Shift.job_id == job.id,
            Booking.status.in_(("offered", "pending", "confirmed")),
            Booking.starts_at > clock.now(),
        )
    ).all()
    wage = f"，新时薪 {job.hourly_wage} 元" if "hourly_wage" in changes else ""
    stamp = clock.now().isoformat()
    for booking_id, user_id in rows:
        notify(
            user_id,
            "job_changed",
            f"booking:{booking_id}:changed:{stamp}",
            f"您报名的「{job.title}」修改了{told}{wage}，请查看。",
            {"booking_id": booking_id, "job_id": job.id, "changed": list(changes)},
        )


def _end(booking: Booking, status: str, user: User | None, reason: str | None) -> None:
    booking.status = status
    booking.ended_at = clock.now()
    booking.ended_by = user.id if user else None
    booking.end_reason = reason


class WrongState(Conflict):
    """409: the booking's state does not allow the action (named in the reader's language)."""

    translated_params = ("action", "status", "allowed")


def require_state(booking: Booking, allowed: str | tuple[str, ...], action: str) -> None:
    """409 unless the booking is in one of the ``allowed`` states.

    ``action`` is a verb of the catalogue (``N_("cancel")``): the message is translated whole.
    """
    states = (allowed,) if isinstance(allowed, str) else allowed
    if booking.status not in states:
        raise WrongState(
            N_("cannot %(action)s a booking that is %(status)s (only when %(allowed)s)"),
            action=action,
            status=STATE_WORDS[booking.status],
            allowed=tuple(STATE_WORDS[state] for state in states),
        )


@events.subscribe(events.SHIFTS_CANCELLED)
def _on_shifts_cancelled(shifts: list[Shift], actor: User, reason: str | None) -> None:
    cancel_for_shifts(shifts, actor, reason)
