"""The SQL pre-filter of matching: what the database can check of the hard rules for a shift.

Used when ranking in the database (``MATCHING_INDEX=false``, ``topk``); the exact checks of
``pool.Pool.eligible`` apply after it either way.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select

from marketplace import clock
from marketplace.bookings.models import OVERLAP_BLOCKING_STATUSES, Booking
from marketplace.cities import catalogue
from marketplace.common import geo
from marketplace.jobs.models import Shift
from marketplace.workers import availability
from marketplace.workers.models import REACH_BUCKETS_KM, Worker, WorkerSkill


def _reach_condition(lat: float, lon: float) -> ColumnElement[bool]:
    """Workers whose reach bucket could cover the point: a cell range pre-filter per bucket."""
    terms = []
    for bound in REACH_BUCKETS_KM:
        south, north, west, east = geo.bounding_box(lat, lon, bound)
        near = [
            Worker.reach_bucket == bound,
            Worker.lat.between(south, north),
            Worker.lon.between(west, east),
        ]
        ranges = geo.cell_ranges(lat, lon, bound)
        if ranges:
            near.append(or_(*(Worker.cell.between(low, high) for low, high in ranges)))
        terms.append(and_(*near))
    return or_(*terms)


def shift_conditions(shift: Shift) -> list[ColumnElement[bool]]:
    """What the database can check of the hard rules for ``shift``, as WHERE conditions."""
    job = shift.job
    place = catalogue.find(job.city)
    timezone = place.timezone if place else clock.DEFAULT_TIMEZONE
    conditions: list[ColumnElement[bool]] = [
        Worker.city == job.city,
        Worker.closed_at.is_(None),
        _reach_condition(job.lat, job.lon),
    ]
    segments = availability.day_segments(shift.starts_at, shift.ends_at, timezone)
    for weekday, needed in availability.needed_masks(segments).items():
        column = getattr(Worker, availability.MASK_COLUMNS[weekday])
        conditions.append(column.op("&")(needed) == needed)
    required = job.required_skills
    if required:
        conditions.append(
            Worker.id.in_(
                select(WorkerSkill.worker_id)
                .where(WorkerSkill.skill.in_(required))
                .group_by(WorkerSkill.worker_id)
                .having(func.count() == len(required))
            )
        )
    conditions.append(
        not_(
            exists().where(
                Booking.worker_id == Worker.id,
                Booking.status.in_(OVERLAP_BLOCKING_STATUSES),
                Booking.starts_at < shift.ends_at,
                Booking.ends_at > shift.starts_at,
            )
        )
    )
    return conditions
