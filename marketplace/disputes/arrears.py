"""Wages unpaid and hours never approved, counted from the end of the work (contract v1.1).

- ``wage_arrears``: a part-time earning unpaid more than 15 days after the shift ended
  (劳动合同法 第七十二条: 非全日制用工劳动报酬结算支付周期最长不得超过十五日); any other type
  unpaid once the month after the shift's month has ended (wages are paid at least monthly,
  劳动法 第五十条). An adjustment's clock starts when it was recorded.
- ``unapproved_timesheet``: a checked-out booking still not approved 7 days after the shift ended.

Each alert opens a case for the officials of the city and tells both parties. Idempotent: an
alert exists once per (type, earning) or (type, booking).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, select

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.bookings.models import Booking
from marketplace.cities import catalogue
from marketplace.common.months import Month
from marketplace.disputes import cases
from marketplace.earnings.models import Alert, Earning
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift

PART_TIME_PAY_WITHIN = timedelta(days=15)
APPROVE_WITHIN = timedelta(days=7)


def _first_instant_of_last_month(city: str, now: datetime) -> datetime:
    """Midnight (city time) of the first day of the month before ``now``'s month: work that
    ended before it is past the end of its following month."""
    place = catalogue.find(city)
    zone = ZoneInfo(place.timezone if place else clock.DEFAULT_TIMEZONE)
    first = (Month.of(now.astimezone(zone).date()) - 1).first_day
    return datetime(first.year, first.month, first.day, tzinfo=zone)


def _raise(kind: str, row: Any, now: datetime, cause: str) -> None:
    alert = Alert(
        type=kind,
        booking_id=row.booking_id,
        earning_id=getattr(row, "earning_id", None),
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
        {"type": kind, "earning_id": alert.earning_id, "booking_id": alert.booking_id},
        city=row.city,
    )
    cases.open_for_alert(alert, cause)


def _unpaid(now: datetime) -> list[Any]:
    clock_start = case((Earning.adjusts.is_(None), Booking.ends_at), else_=Earning.recorded_at)
    part_time = (Job.employment_type == "part_time") & (clock_start < now - PART_TIME_PAY_WITHIN)
    rows: list[Any] = []
    for city in catalogue.codes():
        monthly = (Job.employment_type != "part_time") & (
            clock_start < _first_instant_of_last_month(city, now)
        )
        rows += db.session.execute(
            select(
                Earning.id.label("earning_id"),
                Earning.booking_id,
                Earning.worker_id,
                Earning.employer_id,
                Earning.amount,
                Job.city,
                Job.title,
            )
            .join(Booking, Booking.id == Earning.booking_id)
            .join(Shift, Shift.id == Booking.shift_id)
            .join(Job, Job.id == Shift.job_id)
            .where(
                Job.city == city,
                Earning.paid_at.is_(None),
                part_time | monthly,
                ~select(Alert.id)
                .where(Alert.type == "wage_arrears", Alert.earning_id == Earning.id)
                .exists(),
            )
            .order_by(Earning.id)
        ).all()
    return rows


def _unapproved(now: datetime) -> list[Any]:
    return list(
        db.session.execute(
            select(
                Booking.id.label("booking_id"),
                Booking.worker_id,
                Booking.employer_id,
                Job.city,
                Job.title,
            )
            .join(Shift, Shift.id == Booking.shift_id)
            .join(Job, Job.id == Shift.job_id)
            .where(
                Booking.status == "checked_out",
                Booking.ends_at < now - APPROVE_WITHIN,
                ~select(Alert.id)
                .where(Alert.type == "unapproved_timesheet", Alert.booking_id == Booking.id)
                .exists(),
            )
            .order_by(Booking.id)
        ).all()
    )


def raise_pay_alerts() -> int:
    """Scheduled (``wage_arrears``): raise every alert due now, each with its case."""
    now = clock.now()
    raised = 0
    for row in _unpaid(now):
        _raise("wage_arrears", row, now, f"「{row.title}」的工资 {row.amount} 元逾期未支付")
        raised += 1
    for row in _unapproved(now):
        _raise(
            "unapproved_timesheet",
            row,
            now,
            f"「{row.title}」的工时在班次结束 7 天后仍未核定",
        )
        raised += 1
    return raised
