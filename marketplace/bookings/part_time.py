"""The part-time weekly limit: the one home of the rule, for booking and for matching alike.

劳动合同法 第六十八条: 非全日制用工每周工作时间累计不超过二十四小时. Per employer, the hours of its
part-time bookings starting in one calendar week (Monday 00:00 to Monday 00:00 in the shift's
city) may not pass 24. Hours are exact (``Decimal`` of whole seconds), so a booking that brings
the week to exactly 24 h is allowed and one second more is not. Booking checks one worker
(``check``); matching drops every worker the rule refuses (``workers_over_limit`` in SQL, and
``workers_over`` on the bookings a matching pool already holds).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, select

from marketplace import clock
from marketplace.bookings.models import HOURS_COUNTED_STATUSES, Booking
from marketplace.cities import catalogue
from marketplace.database import execute_core, prebuilt
from marketplace.errors import Conflict
from marketplace.jobs.models import Job, Shift

WEEKLY_HOURS = 24


class Timed(Protocol):
    """A booking as the rule reads it: whose, and when."""

    @property
    def worker_id(self) -> int: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


# The bookings whose hours count: an employer's part-time work starting in a week
# (``employer_id``, ``week_start``, ``week_end`` bound).
@prebuilt
def _week_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(Booking.worker_id, Booking.starts_at, Booking.ends_at)
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(
            Booking.employer_id == bindparam("employer_id"),
            Booking.status.in_(HOURS_COUNTED_STATUSES),
            Job.employment_type == "part_time",
            Booking.starts_at >= bindparam("week_start"),
            Booking.starts_at < bindparam("week_end"),
        )
    )


@prebuilt
def _one_workers_week_statement() -> Select[*tuple[Any, ...]]:
    return _week_statement().where(Booking.worker_id == bindparam("worker_id"))


def applies_to(shift: Shift) -> bool:
    """Whether the limit concerns ``shift`` at all (part-time jobs only)."""
    return shift.job.employment_type == "part_time"


def week_of(shift: Shift) -> tuple[datetime, datetime]:
    """The calendar week of the shift's start, in its city's time zone."""
    city = catalogue.find(shift.job.city)
    return clock.week_of(shift.starts_at, city.timezone if city else clock.DEFAULT_TIMEZONE)


def hours(start: datetime, end: datetime) -> Decimal:
    """The exact hours between two instants (whole seconds)."""
    return Decimal(int((end - start).total_seconds())) / Decimal(3600)


def booked_hours(bookings: Iterable[Timed]) -> dict[int, Decimal]:
    """Hours booked per worker among ``bookings`` (already those of one employer and week)."""
    booked: dict[int, Decimal] = {}
    for booking in bookings:
        booked[booking.worker_id] = booked.get(booking.worker_id, Decimal(0)) + hours(
            booking.starts_at, booking.ends_at
        )
    return booked


def leaves_room(booked: Decimal, wanted: Decimal) -> bool:
    """Whether ``wanted`` more hours fit beside ``booked`` in the week."""
    return booked + wanted <= WEEKLY_HOURS


def workers_over(shift: Shift, bookings: Iterable[Timed]) -> list[int]:
    """The workers among ``bookings`` (the employer's part-time week) with no room for ``shift``."""
    wanted = hours(shift.starts_at, shift.ends_at)
    return [
        worker
        for worker, booked in booked_hours(bookings).items()
        if not leaves_room(booked, wanted)
    ]


def _values(shift: Shift, week: tuple[datetime, datetime]) -> dict[str, object]:
    return {"employer_id": shift.job.employer_id, "week_start": week[0], "week_end": week[1]}


def workers_over_limit(shift: Shift) -> list[int]:
    """Every worker whose part-time hours with the shift's employer leave no room for it."""
    if not applies_to(shift):
        return []
    return workers_over(
        shift, execute_core(_week_statement(), _values(shift, week_of(shift))).all()
    )


def check(worker_id: int, shift: Shift) -> None:
    """Refuse ``shift`` to the worker when it would take their week past the limit."""
    if not applies_to(shift):
        return
    week = week_of(shift)
    values = {**_values(shift, week), "worker_id": worker_id}
    booked = sum(
        booked_hours(execute_core(_one_workers_week_statement(), values).all()).values(), Decimal(0)
    )
    wanted = hours(shift.starts_at, shift.ends_at)
    if not leaves_room(booked, wanted):
        raise Conflict(
            "part-time work for one employer is limited to %(limit)s hours a week (Labour "
            "Contract Law, article 68): %(booked)s h already booked in the week of %(week)s, "
            "this shift adds %(wanted)s h",
            limit=WEEKLY_HOURS,
            booked=format(booked, ".2f"),
            week=week[0].date().isoformat(),
            wanted=format(wanted, ".2f"),
        )
