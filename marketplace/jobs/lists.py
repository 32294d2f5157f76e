"""The employer's side's own lists of jobs (contract v1.1 "Own lists").

An employer lists its jobs; a broker lists those of one employer it acts for (``employer_id``),
or with ``GET /brokers/me/jobs`` the jobs of every employer that delegated to it. Dates filter on
the days of the jobs' shifts in China Standard Time, the time of every city of the catalogue.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from marketplace import clock
from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.jobs.models import Job, Shift

JOB_STATES = ("active", "cancelled")


def day_start(day: date) -> datetime:
    """The instant a day begins in China Standard Time."""
    return datetime.combine(day, time(0), ZoneInfo(clock.DEFAULT_TIMEZONE))


def shift_in_days(start: date | None, end: date | None) -> list[Any]:
    """Conditions on ``Shift.starts_at``: from the first day through the last (each optional)."""
    conditions = []
    if start is not None:
        conditions.append(Shift.starts_at >= day_start(start))
    if end is not None:
        conditions.append(Shift.starts_at < day_start(end + timedelta(days=1)))
    return conditions


def _jobs_of(employer_ids: list[int], filters: dict[str, Any]) -> Select[Job]:
    query = (
        select(Job)
        .where(Job.employer_id.in_(employer_ids))
        .options(selectinload(Job.shifts), selectinload(Job.skill_rows))
        .order_by(Job.created_at.desc(), Job.id.desc())
    )
    state = filters.get("status")
    if state == "active":
        query = query.where(Job.cancelled_at.is_(None))
    elif state == "cancelled":
        query = query.where(Job.cancelled_at.is_not(None))
    days = shift_in_days(filters.get("start"), filters.get("end"))
    if days or "shift_id" in filters:
        wanted = [Shift.job_id == Job.id, *days]
        if "shift_id" in filters:
            wanted.append(Shift.id == filters["shift_id"])
        query = query.where(exists().where(*wanted))
    return query


def own_jobs(user: User, filters: dict[str, Any]) -> Select[Job]:
    """The jobs of the employer the caller is, or (a broker) names and acts for."""
    acting = delegations.acting_for(user, filters.get("employer_id"), location="query")
    return _jobs_of([acting.employer.id], filters)


def broker_jobs(user: User, filters: dict[str, Any]) -> Select[Job]:
    """The jobs of every employer that delegated to the calling broker (``employer_id``: one)."""
    employer_ids = [employer.id for employer in delegations.employers_of_broker(user)]
    if "employer_id" in filters:
        employer_ids = [e for e in employer_ids if e == filters["employer_id"]]
    return _jobs_of(employer_ids, filters)
