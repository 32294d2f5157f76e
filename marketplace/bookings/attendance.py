"""Attendance: check-in inside the window and the geofence, check-out, no-shows.

No worked shift is left unpayable (contract v1.1 "Attendance that can be closed"): a worker who
checked in and forgot to check out is checked out at the shift's end by the scheduled job
``attendance``; the employer's side may record the attendance of a booking whose shift has ended
(a forgotten check-in, a no-show marked by mistake), with a reason, and the worker is told.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, select

from marketplace import clock, events
from marketplace.auth.models import User
from marketplace.bookings import access, tell
from marketplace.bookings.models import LIVE_STATUSES, Booking
from marketplace.bookings.reputation import refresh_reliability
from marketplace.bookings.services import (
    record_transition,
    release_place,
    require_state,
    take_place,
)
from marketplace.cities import catalogue
from marketplace.common import geo
from marketplace.database import prebuilt
from marketplace.errors import Conflict, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs.models import Job, Shift
from marketplace.workers.models import Worker

CHECK_IN_EARLY = timedelta(minutes=30)
# The scheduled job checks a forgotten check-out out this long after the shift's end.
AUTO_CHECKOUT_AFTER = timedelta(hours=2)
# The employer's side may record the attendance of a shift that ended up to this long ago.
RECORD_WITHIN = timedelta(days=7)
RECORDABLE_STATES = ("confirmed", "checked_in", "no_show")
NO_SHOW_AFTER = timedelta(minutes=30)
GEOFENCE_METRES = 500
# A check-out later than this after the shift's end (or, clocks being what they are, before the
# check-in) is not a time the work could have ended: it is recorded at the shift's end.
LATE_CHECKOUT = timedelta(hours=2)


@prebuilt
def _booking_at_work() -> Select[Booking, float, float, str]:
    # Check-in is on the hot path.
    return (
        select(Booking, Job.lat, Job.lon, Job.city)
        .join(Worker, Worker.id == Booking.worker_id)
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(Booking.id == bindparam("booking_id"), Worker.user_id == bindparam("user_id"))
    )


def _own_booking_at_work(user: User, booking_id: int) -> tuple[Booking, tuple[float, float, str]]:
    """The caller's own booking (workers only; 404 otherwise), where its work is and the city.

    One look-up instead of the booking, the caller's profile, the shift and the job.
    """
    found = None
    if user.role == "worker":
        values = {"booking_id": booking_id, "user_id": user.id}
        found = db.session.execute(_booking_at_work(), values).first()
    if found is None:
        raise NotFound("booking")
    booking, lat, lon, city = found
    return booking, (lat, lon, city)


def _distance_m(workplace: tuple[float, float, str], lat: float, lon: float) -> float:
    return round(geo.haversine_km(lat, lon, workplace[0], workplace[1]) * 1000, 1)


def check_in(user: User, booking_id: int, lat: float, lon: float) -> Booking:
    """The worker arrives: from 30 minutes before the start until the end, within 500 m."""
    booking, workplace = _own_booking_at_work(user, booking_id)
    require_state(booking, "confirmed", N_("check in to"))
    now = clock.now()
    if now < booking.starts_at - CHECK_IN_EARLY:
        raise Conflict(
            "check-in opens 30 minutes before the start (%(start)s)",
            start=catalogue.wall_clock(booking.starts_at, workplace[2]),
        )
    if now > booking.ends_at:
        raise Conflict("the shift has ended")
    distance = _distance_m(workplace, lat, lon)
    if distance > GEOFENCE_METRES:
        message = N_("you are %(distance)s m from the workplace; check in within %(limit)s m")
        params = {"distance": format(distance, ".0f"), "limit": GEOFENCE_METRES}
        raise Invalid(message, field_error("json", "_schema", message, **params), **params)
    booking.status = "checked_in"
    booking.checked_in_at = now
    booking.check_in_lat, booking.check_in_lon = lat, lon
    booking.check_in_distance_m = distance
    record_transition(booking, "checked_in", user, None, city=workplace[2], distance_m=distance)
    return booking


def check_out(user: User, booking_id: int, lat: float, lon: float) -> Booking:
    """The worker leaves; the time and place are kept for the pay and for the officials.

    A check-out more than 2 hours after the shift's end (days later, say) or before the check-in
    is recorded at the shift's end and marked ``checkout_adjusted``; one far from the workplace
    is recorded as it is, its distance shown to the approver.
    """
    booking, workplace = _own_booking_at_work(user, booking_id)
    require_state(booking, "checked_in", N_("check out of"))
    distance = _distance_m(workplace, lat, lon)
    now = clock.now()
    assert booking.checked_in_at is not None  # checked in
    adjusted = now > booking.ends_at + LATE_CHECKOUT or now < booking.checked_in_at
    booking.status = "checked_out"
    booking.checked_out_at = booking.ends_at if adjusted else now
    booking.checkout_adjusted = adjusted
    booking.checkout_source = "worker"
    booking.check_out_lat, booking.check_out_lon = lat, lon
    booking.check_out_distance_m = distance
    record_transition(
        booking,
        "checked_out",
        user,
        None,
        city=workplace[2],
        distance_m=distance,
        adjusted=adjusted,
        reported_at=now.isoformat(),
    )
    refresh_reliability(booking.worker_id)
    _timesheet_to_approve(booking)
    return booking


def _timesheet_to_approve(booking: Booking) -> None:
    tell.employer_side(
        booking, "timesheet_to_approve", f"{tell.shift_text(booking)} 的班次已签退，请核定工时"
    )


def _mark_no_show(booking: Booking, user: User | None, acting: object | None) -> None:
    booking.status = "no_show"
    booking.ended_at = clock.now()
    booking.ended_by = user.id if user else None
    release_place(booking.shift_id)
    record_transition(booking, "no_show", user, acting)  # type: ignore[arg-type]
    refresh_reliability(booking.worker_id)
    tell.worker(
        booking,
        "no_show",
        f"您在{tell.shift_text(booking)} 的班次未签到，已记为缺勤。如您实际到岗，"
        "请联系用工单位在班次结束后 7 天内补录考勤。",
    )
    # Announced like every freed place; the shift has started, so no waiting worker takes it.
    events.emit(events.PLACES_FREED, shift_id=booking.shift_id)


def no_show(user: User, booking_id: int) -> Booking:
    """The employer's side records that a confirmed worker did not come (30 min after start)."""
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, "confirmed", N_("mark as no-show"))
    if clock.now() < booking.starts_at + NO_SHOW_AFTER:
        raise Conflict("a no-show can be recorded from 30 minutes after the start")
    _mark_no_show(booking, user, acting)
    return booking


def record_no_shows() -> int:
    """Scheduled: confirmed bookings never checked in 30 minutes after the start → no-show."""
    overdue = db.session.scalars(
        select(Booking)
        .where(Booking.status == "confirmed", Booking.starts_at <= clock.now() - NO_SHOW_AFTER)
        .order_by(Booking.id)
    ).all()
    for booking in overdue:
        _mark_no_show(booking, None, None)
    return len(overdue)


def close_forgotten_checkouts() -> int:
    """Scheduled (``attendance``): bookings checked in whose shift ended more than 2 hours ago
    are checked out at the shift's end, and their workers told, so that they can be approved."""
    rows = db.session.execute(
        select(Booking, Job.title, Job.city)
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(Booking.status == "checked_in", Booking.ends_at <= clock.now() - AUTO_CHECKOUT_AFTER)
        .order_by(Booking.id)
        .with_for_update(of=Booking)
    ).all()
    for booking, title, city in rows:
        booking.status = "checked_out"
        booking.checked_out_at = booking.ends_at
        booking.checkout_source = "auto"
        record_transition(booking, "checked_out", None, None, city=city, source="auto")
        refresh_reliability(booking.worker_id)
        _timesheet_to_approve(booking)
        ended = catalogue.wall_clock(booking.ends_at, city)
        tell.worker(
            booking,
            "auto_checkout",
            f"您在「{title}」的班次未签退，系统已按班次结束时间 {ended} 为您签退，"
            "等待用工单位核定工时。",
        )
    return len(rows)


def record_attendance(
    user: User, booking_id: int, checked_in_at: datetime, checked_out_at: datetime, reason: str
) -> Booking:
    """The employer's side records when the worker came and left, once the shift has ended.

    For a booking ``confirmed`` (the worker forgot to check in), ``checked_in`` (forgot to check
    out) or ``no_show`` (marked by mistake; the place is held again), within 7 days of the
    shift's end. The times must lie within the shift's check-in window and the late check-out
    margin, and not in the future. The worker is told, and may dispute the hours once approved.
    """
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, RECORDABLE_STATES, N_("record the attendance of"))
    now = clock.now()
    if now < booking.ends_at:
        raise Conflict("attendance can be recorded only once the shift has ended")
    if now > booking.ends_at + RECORD_WITHIN:
        raise Conflict(
            "the shift ended more than 7 days ago: its attendance can no longer be recorded"
        )
    earliest, latest = booking.starts_at - CHECK_IN_EARLY, booking.ends_at + LATE_CHECKOUT
    if not earliest <= checked_in_at < checked_out_at <= min(latest, now):
        message = N_(
            "the check-in must come before the check-out, both between 30 minutes before the "
            "shift's start and 2 hours after its end"
        )
        raise Invalid(message, field_error("json", "checked_out_at", message))
    city, title = db.session.execute(
        select(Job.city, Job.title).join(Shift).where(Shift.id == booking.shift_id)
    ).one()
    if booking.status == "no_show":
        _hold_place_again(booking)
    previous = booking.status
    booking.status = "checked_out"
    booking.checked_in_at, booking.checked_out_at = checked_in_at, checked_out_at
    booking.checkout_adjusted = False
    booking.checkout_source = "employer"
    booking.attendance_reason = reason
    record_transition(
        booking,
        "attendance_recorded",
        user,
        acting,
        city=city,
        previous_status=previous,
        checked_in_at=checked_in_at.isoformat(),
        checked_out_at=checked_out_at.isoformat(),
        reason=reason,
    )
    refresh_reliability(booking.worker_id)
    tell.worker(
        booking,
        "attendance_recorded",
        f"用工单位为您补录了「{title}」的考勤：{catalogue.wall_clock(checked_in_at, city)} 签到，"
        f"{catalogue.wall_clock(checked_out_at, city)} 签退（理由：{reason}）。"
        "如有异议，可在工时核定后提出。",
    )
    return booking


def _hold_place_again(booking: Booking) -> None:
    """A no-show corrected: its place, given back when it was marked, is held again."""
    other = db.session.scalar(
        select(Booking.id).where(
            Booking.shift_id == booking.shift_id,
            Booking.worker_id == booking.worker_id,
            Booking.id != booking.id,
            Booking.status.in_(LIVE_STATUSES),
        )
    )
    if other is not None:
        raise Conflict(
            "the worker holds another booking of this shift, %(booking)s: record the attendance "
            "on that one",
            booking=other,
        )
    try:
        take_place(booking.shift_id)
    except Conflict:
        raise Conflict(
            "the shift's places have been taken by others: raise the shift's headcount first, "
            "then record the attendance"
        ) from None
    booking.ended_at = booking.ended_by = None
