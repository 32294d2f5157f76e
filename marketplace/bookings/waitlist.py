"""Waitlists of full shifts (contract v1.1 "Repeat work" and "Consent").

A worker may wait for a place on a shift that is full, if it could book it otherwise: joining
checks every rule of a booking but capacity (``services.check_bookable``), and asks instead that
no place be free. A job that requires approval has no waitlist: the employer chooses there.

Joining is the worker's yes. When a place frees — a cancel of a held place, a declined or
lapsed offer, a raised headcount (``events.PLACES_FREED``) — the first waiting worker who can
still take it is booked ``confirmed`` in the same transaction, as its own booking would be: the
worker's row locked, every rule checked again at that moment, the place taken by the same
conditional UPDATE, the agreement made, the booking audited (``from_waitlist``) and the worker
told. Then the next place, if more are free.

Decisions where the contract is silent:

- A waiting worker who cannot take the place now (it overlaps a booking made since, the week's
  part-time hours are full, a skill is missing, the employer blocked it) is passed over and
  **keeps** its turn, untold. Each of those can change again (a cancel, a new week, a skill
  added, a block lifted), the contract says the others keep their turn, and dropping would take
  away, without warning, a place in line the worker could not see coming. A worker who no
  longer wants to wait leaves.
- A waiting worker whose row another transaction holds at that instant (its own booking or
  joining under way) is passed over for this place and keeps its turn: waiting for that lock
  while holding the shift's row could deadlock with the very request that holds it.
- A booking of the shift made any other way — booked directly on a free place, offered by the
  employer — ends the worker's wait (``services.create_booking``): it has what it waited for.
- When nothing is free to fill (the shift cancelled, held for review, started), nobody is booked
  and the list stays; cancelling a shift or its job ends its list and tells the waiting workers.
- Worker ids in the employer side's list are shown as candidates show them (``people``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import agreements, tell
from marketplace.bookings.models import Booking, WaitlistEntry
from marketplace.bookings.services import (
    check_shift_open,
    check_worker_may_take,
    create_booking,
    record_transition,
)
from marketplace.brokers import delegations
from marketplace.cities import catalogue
from marketplace.database import execute_core
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs import audience
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job, Shift
from marketplace.notifications.services import notify
from marketplace.workers import services as workers
from marketplace.workers.models import Worker

NOT_WAITING = N_("waitlist entry")


def _ahead_of(entry: WaitlistEntry) -> Any:
    """The entries of the same shift whose turn comes before ``entry``'s, or is it."""
    return and_(
        WaitlistEntry.shift_id == entry.shift_id,
        or_(
            WaitlistEntry.joined_at < entry.joined_at,
            and_(WaitlistEntry.joined_at == entry.joined_at, WaitlistEntry.id <= entry.id),
        ),
    )


def position(entry: WaitlistEntry) -> int:
    """The entry's turn on its shift's waitlist, from 1."""
    ahead = select(func.count()).select_from(WaitlistEntry).where(_ahead_of(entry))
    return int(db.session.scalar(ahead) or 0)


def _places(shift_id: int) -> tuple[int, int]:
    """The shift's places held and headcount, read afresh with its row locked: a place freed or
    taken meanwhile by another transaction is waited for, then counted."""
    row = execute_core(
        select(Shift.booked, Shift.headcount).where(Shift.id == shift_id).with_for_update()
    ).one()
    return row.booked, row.headcount


def join(user: User, shift_id: int) -> WaitlistEntry:
    """The worker waits for a place on a full shift (409 when it may not, saying why).

    Refused when the job requires approval, when the shift has a free place (book it instead),
    when a booking of it would be refused for any rule but capacity, and when the worker waits
    already. Audited (``waitlist.joined``): the worker's yes to be booked, kept after the entry.
    """
    worker = workers.require_profile(user, lock=True)
    shift = audience.require_visible(user, jobs.get_shift(shift_id))
    if shift.job.requires_approval:
        raise Conflict("this job takes bookings by approval: it has no waitlist")
    check_shift_open(shift)
    # The shift's row locked: a place freed by a cancel under way is seen once it commits, so
    # nobody joins the list of a shift with a free place.
    booked, headcount = _places(shift.id)
    if booked < headcount:
        raise Conflict("this shift has a free place: book it instead")
    if check_worker_may_take(worker, shift) is not None:
        raise Conflict("you are already on this shift's waitlist")
    entry = WaitlistEntry(shift_id=shift.id, worker_id=worker.id, joined_at=clock.now())
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # the same worker's entry, committed meanwhile
        raise Conflict("you are already on this shift's waitlist") from None
    audit.record(
        "waitlist.joined",
        "waitlist_entry",
        entry.id,
        {"shift_id": shift.id, "worker_id": worker.id},
        actor_id=user.id,
        city=shift.job.city,
    )
    return entry


def leave(user: User, shift_id: int) -> None:
    """The worker stops waiting for a place on the shift (404 when it was not waiting).

    The entry is deleted before the audit event is written: a freed place being given to this
    very worker holds the entry's row (``_book``), and the DELETE then waits for it and finds
    nothing — the worker was booked first, and is told it no longer waits.
    """
    shift = jobs.get_shift(shift_id)
    worker_id = workers.profile_id_of(user)
    entry_id = (
        db.session.scalar(
            select(WaitlistEntry.id).where(
                WaitlistEntry.shift_id == shift.id, WaitlistEntry.worker_id == worker_id
            )
        )
        if worker_id is not None
        else None
    )
    gone = (
        execute_core(delete(WaitlistEntry).where(WaitlistEntry.id == entry_id)).rowcount
        if entry_id is not None
        else 0
    )
    if not gone:
        raise NotFound(NOT_WAITING)
    assert entry_id is not None and worker_id is not None
    audit.record(
        "waitlist.left",
        "waitlist_entry",
        entry_id,
        {"shift_id": shift.id, "worker_id": worker_id},
        actor_id=user.id,
        city=shift.job.city,
    )


def of_shift(user: User, shift_id: int) -> Select[Any]:
    """The query of a shift's waitlist in turn, for its employer side or an admin.

    Another company's employer or broker gets 404: who waits for a shift is the employer's to
    see, and the caller is not told whether anyone does.
    """
    shift = jobs.get_shift(shift_id)
    if user.role != "admin" and delegations.may_act_for(user, shift.job.employer_id) is None:
        raise NotFound(N_("shift"))
    return (
        select(WaitlistEntry)
        .where(WaitlistEntry.shift_id == shift.id)
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
    )


def mine(user: User) -> Select[Any]:
    """The query of the worker's own waitlists of shifts not yet started, soonest first: each
    with its turn and its shift (404 until the worker has a profile)."""
    worker = workers.my_profile(user)
    turn = (
        func.row_number()
        .over(
            partition_by=WaitlistEntry.shift_id,
            order_by=(WaitlistEntry.joined_at, WaitlistEntry.id),
        )
        .label("position")
    )
    # Every entry of the shifts the worker waits for, to count the turns before its own.
    ranked = (
        select(WaitlistEntry.shift_id, WaitlistEntry.worker_id, WaitlistEntry.joined_at, turn)
        .where(
            WaitlistEntry.shift_id.in_(
                select(WaitlistEntry.shift_id).where(WaitlistEntry.worker_id == worker.id)
            )
        )
        .subquery()
    )
    return (
        select(
            ranked.c.shift_id,
            ranked.c.position,
            ranked.c.joined_at,
            Shift.job_id,
            Shift.starts_at,
            Shift.ends_at,
            Job.title,
        )
        .join(Shift, Shift.id == ranked.c.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(ranked.c.worker_id == worker.id, Shift.starts_at > clock.now())
        .order_by(Shift.starts_at, ranked.c.shift_id)
    )


def _try_lock_worker(worker_id: int) -> bool:
    """Lock the worker's row like a booking does, unless another transaction holds it now.

    FOR UPDATE SKIP LOCKED on PostgreSQL: a fill holds the shift's row (and, after the cancel's
    audit event, the audit chain's lock), and the transaction holding the worker's row may be
    waiting for either — waiting for it in turn could deadlock. On SQLite the writing
    transaction holds the only lock already.
    """
    locked = db.session.scalar(
        select(Worker.id).where(Worker.id == worker_id).with_for_update(skip_locked=True)
    )
    return locked is not None


def _still_waiting(entry_id: int) -> bool:
    """Lock the entry's row, unless it is gone (the worker left since the list was read) or
    being deleted now (it is leaving): then it is not booked. SKIP LOCKED for the same reason
    as the worker's row; on SQLite nothing runs meanwhile."""
    found = db.session.scalar(
        select(WaitlistEntry.id)
        .where(WaitlistEntry.id == entry_id)
        .with_for_update(skip_locked=True)
    )
    return found is not None


def _book(entry: WaitlistEntry, shift: Shift) -> Booking | None:
    """Book the waiting worker on the shift as its own booking would be, or None when it
    cannot take the place now (it keeps its turn) or no longer waits."""
    if not _try_lock_worker(entry.worker_id) or not _still_waiting(entry.id):
        return None
    worker = db.session.get(Worker, entry.worker_id)
    assert worker is not None  # the entry's foreign key
    user = db.session.get(User, worker.user_id)
    assert user is not None
    joined_at = entry.joined_at
    try:
        # Every write of this worker's booking in a savepoint: a refusal undoes only them.
        with db.session.begin_nested():
            check_worker_may_take(worker, shift)
            booking = create_booking(worker, shift, "confirmed", entry.id)
            # Joining was the worker's yes: the agreement is fixed now, from today's job.
            accepted = agreements.make(booking, user)
    except Conflict:
        return None
    record_transition(
        booking,
        "confirmed",
        user,
        None,
        city=shift.job.city,
        also=[accepted],
        from_waitlist=True,
        waitlist_joined_at=joined_at.isoformat(),
    )
    tell.worker(
        booking,
        "waitlist_booked",
        f"您候补的{tell.shift_text(booking)} 班次有了空位，已按您的候补为您确认报名。"
        "如不能到岗，请及时取消。",
    )
    tell.employer_side(
        booking,
        "waitlist_filled",
        f"{tell.shift_text(booking)} 班次空出的名额已由候补名单中的劳动者补上",
    )
    return booking


def fill(shift_id: int) -> list[Booking]:
    """Give the shift's free places to its first waiting workers who can still take them, in
    turn; answers the bookings made. Those passed over keep their turn."""
    shift = jobs.get_shift(shift_id)
    try:
        check_shift_open(shift)
    except Conflict:
        return []  # nobody can take a place of it (cancelled, held, started)
    entries = db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.shift_id == shift.id)
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
    ).all()
    if not entries:
        return []
    booked, headcount = _places(shift.id)
    free = headcount - booked
    made: list[Booking] = []
    for entry in entries:
        if len(made) >= free:
            break
        booking = _book(entry, shift)
        if booking is not None:
            made.append(booking)
    return made


@events.subscribe(events.PLACES_FREED)
def _on_places_freed(shift_id: int) -> None:
    fill(shift_id)


def end_for_shifts(shifts: list[Shift], reason: str | None) -> int:
    """End the waitlists of cancelled shifts, telling each waiting worker; how many ended."""
    if not shifts:
        return 0
    by_id = {shift.id: shift for shift in shifts}
    rows = db.session.execute(
        select(WaitlistEntry.shift_id, Worker.user_id)
        .join(Worker, Worker.id == WaitlistEntry.worker_id)
        .where(WaitlistEntry.shift_id.in_(by_id))
        .order_by(WaitlistEntry.shift_id, WaitlistEntry.joined_at, WaitlistEntry.id)
    ).all()
    why = f"，理由：{reason}" if reason else ""
    for shift_id, user_id in rows:
        job = by_id[shift_id].job
        starts = catalogue.wall_clock(by_id[shift_id].starts_at, job.city)
        notify(
            user_id,
            "waitlist_cancelled",
            f"shift:{shift_id}:waitlist_cancelled",
            f"您候补的「{job.title}」{starts} 的班次已被用工方取消{why}，候补已结束",
            {"shift_id": shift_id, "reason": reason},
        )
    if rows:
        execute_core(delete(WaitlistEntry).where(WaitlistEntry.shift_id.in_(by_id)))
    return len(rows)


@events.subscribe(events.SHIFTS_CANCELLED)
def _on_shifts_cancelled(shifts: list[Shift], actor: User, reason: str | None) -> None:
    end_for_shifts(shifts, reason)


def end_for_worker(worker_id: int) -> int:
    """End every wait of a worker (its account closes); how many ended."""
    gone = execute_core(delete(WaitlistEntry).where(WaitlistEntry.worker_id == worker_id))
    return int(gone.rowcount or 0)
