"""Attendance: check-in inside the window and the geofence, check-out, no-shows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, bindparam, select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings import access
from marketplace.bookings.models import Booking
from marketplace.bookings.reputation import refresh_reliability
from marketplace.bookings.services import record_transition, release_place, require_state
from marketplace.common import geo
from marketplace.database import prebuilt
from marketplace.errors import Conflict, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.workers.models import Worker

CHECK_IN_EARLY = timedelta(minutes=30)
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
    require_state(booking, "confirmed", "check in to")
    now = clock.now()
    if now < booking.starts_at - CHECK_IN_EARLY:
        raise Conflict(
            f"check-in opens 30 minutes before the start ({booking.starts_at.isoformat()})"
        )
    if now > booking.ends_at:
        raise Conflict("the shift has ended")
    distance = _distance_m(workplace, lat, lon)
    if distance > GEOFENCE_METRES:
        message = (
            f"you are {distance:.0f} m from the workplace; check in within {GEOFENCE_METRES} m"
        )
        raise Invalid(message, field_error("json", "_schema", message))
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
    require_state(booking, "checked_in", "check out of")
    distance = _distance_m(workplace, lat, lon)
    now = clock.now()
    assert booking.checked_in_at is not None  # checked in
    adjusted = now > booking.ends_at + LATE_CHECKOUT or now < booking.checked_in_at
    booking.status = "checked_out"
    booking.checked_out_at = booking.ends_at if adjusted else now
    booking.checkout_adjusted = adjusted
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
    return booking


def _mark_no_show(booking: Booking, user: User | None, acting: object | None) -> None:
    booking.status = "no_show"
    booking.ended_at = clock.now()
    booking.ended_by = user.id if user else None
    release_place(booking.shift_id)
    record_transition(booking, "no_show", user, acting)  # type: ignore[arg-type]
    refresh_reliability(booking.worker_id)


def no_show(user: User, booking_id: int) -> Booking:
    """The employer's side records that a confirmed worker did not come (30 min after start)."""
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, "confirmed", "mark as no-show")
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
