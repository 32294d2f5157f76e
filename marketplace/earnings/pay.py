"""Pay: approving a booking's worked hours into an earning, marking it paid.

In the earnings package, after the bookings it reads and moves on: a booking's earning is the
earnings' business (``services.record_booking_earning``). Approving resolves an alert of the
hours never approved, paying one of the wages unpaid (``ALERTS_RESOLVED``: their cases settle).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import access, tell
from marketplace.bookings.models import Booking
from marketplace.bookings.services import record_transition, require_state
from marketplace.brokers.delegations import Acting
from marketplace.cities import catalogue
from marketplace.earnings import services
from marketplace.earnings.models import Alert, Earning
from marketplace.errors import Conflict, Invalid, field_error
from marketplace.extensions import db
from marketplace.i18n import N_

QUARTER_HOUR = Decimal("0.25")


def _rounded_to_quarter(hours: Decimal) -> Decimal:
    return (
        (hours / QUARTER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP) * QUARTER_HOUR
    ).quantize(services.CENT)


def default_hours(booking: Booking) -> Decimal:
    """The checked-in time, to the nearest quarter hour, never above the shift's length."""
    assert booking.checked_in_at is not None and booking.checked_out_at is not None
    worked = Decimal(int((booking.checked_out_at - booking.checked_in_at).total_seconds())) / 3600
    return min(_rounded_to_quarter(worked), shift_hours(booking))


def shift_hours(booking: Booking) -> Decimal:
    """The shift's scheduled length in hours."""
    seconds = int((booking.ends_at - booking.starts_at).total_seconds())
    return (Decimal(seconds) / Decimal(3600)).quantize(services.CENT)


def approve(user: User, booking_id: int, hours: Decimal | None) -> Booking:
    """The employer's side approves a checked-out booking: it is completed and paid out."""
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, "checked_out", N_("approve"))
    length = shift_hours(booking)
    if hours is None:
        hours = default_hours(booking)
    elif hours > length:
        message = N_("%(hours)s hours is more than the shift's %(length)s hours")
        params = {"hours": hours, "length": length}
        raise Invalid(message, field_error("json", "hours", message, **params), **params)
    if hours <= 0:
        message = N_("approved hours must be more than zero")
        raise Invalid(message, field_error("json", "hours", message))
    complete(booking, hours, user, acting, acting.audit_data)
    return booking


def complete(
    booking: Booking,
    hours: Decimal,
    user: User,
    acting: Acting | None,
    audit_data: dict[str, Any],
    amount: Decimal | None = None,
) -> Earning:
    """Complete a checked-out booking with ``hours`` (paid hours × wage, or the ``amount`` an
    official decided): its earning is recorded, the worker told, an alert of its hours never
    approved resolved."""
    job = booking.shift.job
    booking.status = "completed"
    booking.approved_hours = hours
    extra = {} if acting is not None else audit_data
    record_transition(booking, "completed", user, acting, city=job.city, hours=str(hours), **extra)
    earning = services.record_booking_earning(
        booking,
        hours,
        job.hourly_wage,
        city=job.city,
        actor=user,
        audit_data=audit_data,
        amount=amount,
    )
    tell.worker(
        booking,
        "booking_approved",
        f"{tell.shift_text(booking)} 的工时已核定：{hours} 小时，应得 {earning.amount} 元",
        {"earning_id": earning.id},
    )
    _resolve_alerts(
        (Alert.booking_id == booking.id, Alert.type == "unapproved_timesheet"),
        f"工时已核定：{hours} 小时，应得 {earning.amount} 元",
    )
    return earning


def _resolve_alerts(where: tuple[Any, ...], reason: str) -> None:
    alerts = list(db.session.scalars(select(Alert).where(*where, Alert.resolved_at.is_(None))))
    if not alerts:
        return
    now = clock.now()
    for alert in alerts:
        alert.resolved_at = now
    db.session.flush()
    events.emit(events.ALERTS_RESOLVED, alerts=alerts, reason=reason)


def mark_paid(user: User, booking_id: int, paid_at: datetime | None) -> Earning:
    """The employer's side records that the booking's earning, and any adjustment of it not paid
    yet, were paid; resolves their wage-arrears alerts. Answers the first earning it marked."""
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, "completed", N_("mark as paid"))
    earning = booking.earning
    assert earning is not None  # every completed booking has one
    unpaid = list(
        db.session.scalars(
            select(Earning)
            .where(Earning.booking_id == booking.id, Earning.paid_at.is_(None))
            .order_by(Earning.id)
            .with_for_update()
        )
    )
    if not unpaid:
        assert earning.paid_at is not None
        paid = catalogue.wall_clock(earning.paid_at, booking.shift.job.city)
        raise Conflict("this earning was already marked paid at %(at)s", at=paid)
    now = clock.now()
    paid_at = paid_at or now
    if paid_at > now:
        raise Invalid("paid_at is in the future", field_error("json", "paid_at", "in the future"))
    if paid_at < booking.ends_at:
        raise Invalid(
            "paid_at is before the work ended",
            field_error("json", "paid_at", "before %(day)s", day=booking.ends_at),
        )
    for each in unpaid:
        each.paid_at = paid_at
    db.session.flush()
    for each in unpaid:
        audit.record(
            "earning.paid",
            "earning",
            each.id,
            {"booking_id": booking.id, "paid_at": paid_at.isoformat(), **acting.audit_data},
            actor_id=user.id,
            city=booking.shift.job.city,
        )
    total = sum((each.amount for each in unpaid), Decimal("0.00"))
    _resolve_alerts(
        (Alert.earning_id.in_([each.id for each in unpaid]), Alert.type == "wage_arrears"),
        f"用工方已登记支付 {total} 元",
    )
    tell.worker(
        booking,
        "earning_paid" if earning in unpaid else "adjustment_paid",
        f"{tell.shift_text(booking)} 班次的工资 {total} 元已由用工单位登记支付",
        {"earning_id": unpaid[0].id},
    )
    return unpaid[0]
