"""Pay: approving a booking's worked hours into an earning, marking it paid, wage arrears.

In the earnings package, after the bookings it reads and moves on: a booking's earning is the
earnings' business (``services.record_booking_earning``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import access, tell
from marketplace.bookings.models import Booking
from marketplace.bookings.services import record_transition, require_state
from marketplace.cities import catalogue
from marketplace.earnings import services
from marketplace.earnings.models import Alert, Earning
from marketplace.errors import Conflict, Invalid, field_error
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs.models import Job, Shift
from marketplace.notifications.services import notify
from marketplace.workers.models import Worker

QUARTER_HOUR = Decimal("0.25")
ARREARS_AFTER = timedelta(days=15)  # 西宁 第十六条; 劳动合同法 第七十二条 (非全日制 ≤ 15 日结算)


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
    job = booking.shift.job
    booking.status = "completed"
    booking.approved_hours = hours
    record_transition(booking, "completed", user, acting, city=job.city, hours=str(hours))
    earning = services.record_booking_earning(
        booking, hours, job.hourly_wage, city=job.city, actor=user, audit_data=acting.audit_data
    )
    tell.worker(
        booking,
        "booking_approved",
        f"{tell.shift_text(booking)} 的工时已核定：{hours} 小时，应得 {earning.amount} 元",
        {"earning_id": earning.id},
    )
    return booking


def mark_paid(user: User, booking_id: int, paid_at: datetime | None) -> Earning:
    """The employer's side records that the booking's earning was paid; resolves arrears."""
    booking, acting = access.as_employer_side(user, booking_id)
    require_state(booking, "completed", N_("mark as paid"))
    earning = booking.earning
    assert earning is not None  # every completed booking has one
    if earning.paid_at is not None:
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
    earning.paid_at = paid_at
    for alert in db.session.scalars(
        select(Alert).where(Alert.earning_id == earning.id, Alert.resolved_at.is_(None))
    ):
        alert.resolved_at = now
    db.session.flush()
    audit.record(
        "earning.paid",
        "earning",
        earning.id,
        {"booking_id": booking.id, "paid_at": paid_at.isoformat(), **acting.audit_data},
        actor_id=user.id,
        city=booking.shift.job.city,
    )
    tell.worker(
        booking,
        "earning_paid",
        f"{tell.shift_text(booking)} 班次的工资 {earning.amount} 元已由用工单位登记支付",
        {"earning_id": earning.id},
    )
    return earning


def raise_wage_arrears() -> int:
    """Scheduled: part-time earnings unpaid 15 days after approval raise a wage_arrears alert."""
    now = clock.now()
    overdue = db.session.execute(
        select(
            Earning.id,
            Earning.booking_id,
            Earning.worker_id,
            Earning.employer_id,
            Job.city,
            Worker.user_id,
        )
        .join(Booking, Booking.id == Earning.booking_id)
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .join(Worker, Worker.id == Earning.worker_id)
        .where(
            Earning.paid_at.is_(None),
            Earning.recorded_at < now - ARREARS_AFTER,
            Job.employment_type == "part_time",
            ~select(Alert.id)
            .where(Alert.type == "wage_arrears", Alert.earning_id == Earning.id)
            .exists(),
        )
    ).all()
    for row in overdue:
        alert = Alert(
            type="wage_arrears",
            booking_id=row.booking_id,
            earning_id=row.id,
            worker_id=row.worker_id,
            employer_id=row.employer_id,
            city=row.city,
            created_at=now,
        )
        db.session.add(alert)
        db.session.flush()
        audit.record(
            "alert.raised",
            "alert",
            alert.id,
            {"type": "wage_arrears", "earning_id": row.id, "booking_id": row.booking_id},
            city=row.city,
        )
        notify(
            row.user_id,
            "wage_arrears",
            f"earning:{row.id}",
            "您有一笔工资超过15天未支付，已通知用工方和人社部门",
            {"earning_id": row.id},
        )
    return len(overdue)
