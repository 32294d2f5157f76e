"""Earnings: recording a booking's, reading a worker's own (from bookings and imported), a
worker's months in brief."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.common.months import Month, months_between
from marketplace.earnings.models import (
    ADJUSTMENT_SOURCE,
    PLATFORM_SOURCE,
    Contribution,
    Earning,
)
from marketplace.extensions import db
from marketplace.workers.services import my_profile

CENT = Decimal("0.01")


def record_booking_earning(
    booking: Booking,
    hours: Decimal,
    hourly_wage: Decimal,
    *,
    city: str,
    actor: User,
    audit_data: dict[str, Any],
    amount: Decimal | None = None,
) -> Earning:
    """Record the earning of an approved booking: ``hours`` × ``hourly_wage``, exact (or the
    ``amount`` an official decided).

    Platform income counts in the month the shift started (city time). Audited as
    ``earning.recorded`` (with ``audit_data``: who acted for which employer) in the same
    transaction, and announced (``EARNING_RECORDED``: the subsidy hooks evaluate the worker).
    """
    earning = Earning(
        worker_id=booking.worker_id,
        booking_id=booking.id,
        employer_id=booking.employer_id,
        source=PLATFORM_SOURCE,
        month=str(Month.of(clock.local_date(booking.starts_at))),
        hours=hours,
        amount=amount if amount is not None else pay_for(hours, hourly_wage),
        recorded_at=clock.now(),
        recorded_by=actor.id,
    )
    db.session.add(earning)
    db.session.flush()  # the event below names the earning's id
    audit.record(
        "earning.recorded",
        "earning",
        earning.id,
        {
            "booking_id": booking.id,
            "worker_id": booking.worker_id,
            "month": earning.month,
            "hours": str(hours),
            "amount": str(earning.amount),
            **audit_data,
        },
        actor_id=actor.id,
        city=city,
    )
    events.emit(events.EARNING_RECORDED, earning=earning)
    return earning


def pay_for(hours: Decimal, hourly_wage: Decimal) -> Decimal:
    """What ``hours`` at ``hourly_wage`` come to, to the cent (half up)."""
    return (hours * hourly_wage).quantize(CENT, rounding=ROUND_HALF_UP)


def booked_totals(booking_id: int) -> tuple[Decimal, Decimal]:
    """The hours and pay recorded for a booking so far: its earning and every adjustment."""
    hours, amount = db.session.execute(
        select(func.sum(Earning.hours), func.sum(Earning.amount)).where(
            Earning.booking_id == booking_id
        )
    ).one()
    return Decimal(hours or 0), Decimal(amount or 0)


def record_adjustment(
    original: Earning,
    hours: Decimal,
    amount: Decimal,
    *,
    city: str,
    actor: User,
    audit_data: dict[str, Any],
) -> Earning:
    """Record what was found owed on top of ``original``: a new earning of the same booking,
    worker, employer and month, naming ``original`` in ``adjusts``; ``original`` never changes.

    Income like any other: audited as ``earning.adjusted`` and announced (``EARNING_RECORDED``:
    the worker is evaluated again at once).
    """
    assert amount > 0 and hours >= 0
    adjustment = Earning(
        worker_id=original.worker_id,
        booking_id=original.booking_id,
        employer_id=original.employer_id,
        source=ADJUSTMENT_SOURCE,
        adjusts=original.id,
        month=original.month,
        hours=hours,
        amount=amount,
        recorded_at=clock.now(),
        recorded_by=actor.id,
    )
    db.session.add(adjustment)
    db.session.flush()
    audit.record(
        "earning.adjusted",
        "earning",
        adjustment.id,
        {
            "adjusts": original.id,
            "booking_id": original.booking_id,
            "worker_id": original.worker_id,
            "month": original.month,
            "hours": str(hours),
            "amount": str(amount),
            **audit_data,
        },
        actor_id=actor.id,
        city=city,
    )
    events.emit(events.EARNING_RECORDED, earning=adjustment)
    return adjustment


def my_earnings(
    user: User, month: str | None, offset: int, limit: int
) -> tuple[int, Sequence[Earning]]:
    """The caller's earnings (of ``month`` when given), newest month first, and their count."""
    worker = my_profile(user)
    conditions = [Earning.worker_id == worker.id]
    if month is not None:
        conditions.append(Earning.month == month)
    total = db.session.scalar(select(func.count()).select_from(Earning).where(*conditions)) or 0
    rows = db.session.scalars(
        select(Earning)
        .where(*conditions)
        .order_by(Earning.month.desc(), Earning.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return total, rows


ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MonthRecord:
    """A worker's month as the rules see it: hours, platform income, premiums paid."""

    month: str
    hours: Decimal = ZERO
    income: Decimal = ZERO
    imported: Decimal = ZERO  # the part of ``income`` imported from partners, not booked here
    pension: Decimal = ZERO
    medical: Decimal = ZERO


def month_records(worker_id: int, first: Month, last: Month) -> list[MonthRecord]:
    """Each month from ``first`` to ``last`` of a worker, summed in SQL (exact integer sums)."""
    in_range = (Earning.worker_id == worker_id, Earning.month.between(str(first), str(last)))
    earned = {
        row.month: row
        for row in db.session.execute(
            select(
                Earning.month,
                func.sum(Earning.hours).label("hours"),
                func.sum(Earning.amount).label("income"),
                func.sum(
                    case((Earning.booking_id.is_(None), Earning.amount), else_=0),
                    type_=Earning.amount.type,
                ).label("imported"),
            )
            .where(*in_range)
            .group_by(Earning.month)
        )
    }
    paid = {
        row.month: row
        for row in db.session.execute(
            select(
                Contribution.month,
                func.sum(Contribution.pension).label("pension"),
                func.sum(Contribution.medical).label("medical"),
            )
            .where(
                Contribution.worker_id == worker_id,
                Contribution.month.between(str(first), str(last)),
            )
            .group_by(Contribution.month)
        )
    }
    records = []
    for month in map(str, months_between(first, last)):
        earning, premium = earned.get(month), paid.get(month)
        records.append(
            MonthRecord(
                month,
                hours=earning.hours if earning else ZERO,
                income=earning.income if earning else ZERO,
                imported=earning.imported if earning else ZERO,
                pension=premium.pension if premium else ZERO,
                medical=premium.medical if premium else ZERO,
            )
        )
    return records
