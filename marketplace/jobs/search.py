"""The search for open shifts: filters in SQL, a grid pre-filter, exact distances in numpy.

See ``marketplace/common/geo.py`` for why a grid of integer cells: it needs no database
extension and turns a circle into a handful of index range scans on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import contains_eager

from marketplace import clock
from marketplace.common import geo
from marketplace.extensions import db
from marketplace.jobs.models import Job, JobSkill, Shift
from marketplace.jobs.schemas import ShiftDetailSchema, ShiftSchema

DEFAULT_RADIUS_KM = 10.0
# What ShiftDetailSchema shows: the shift's own fields, then its job's.
_SHIFT_FIELDS = tuple(ShiftSchema().fields)
_JOB_FIELDS = tuple(
    name
    for name in ShiftDetailSchema().fields
    if name not in _SHIFT_FIELDS and name != "distance_km"
)


class ShiftView:
    """A shift seen with its job's fields (and, in a search around a point, its distance).

    The fields are read once into plain attributes: the serialiser looks up every field of
    every item (and probes each item for ``__getitem__``), and a delegating ``__getattr__``
    turned each of those look-ups into one or two raised AttributeErrors — a good part of a
    search's CPU time.
    """

    def __init__(self, shift: Shift, distance_km: float | None = None) -> None:
        for name in _SHIFT_FIELDS:
            setattr(self, name, getattr(shift, name))
        job = shift.job
        for name in _JOB_FIELDS:
            setattr(self, name, getattr(job, name))
        if distance_km is not None:
            self.distance_km = round(distance_km, 3)


@dataclass(frozen=True)
class SearchPage:
    """One page of results and the total number of matches."""

    items: list[ShiftView]
    total: int


# The optional filters, each a condition on a value bound when the statement runs.
_FILTERS = ("city", "category", "min_wage", "starts_after", "starts_before", "skill")


def _conditions(filters: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """What an open shift must meet, with ``filters`` (names of ``_FILTERS``) as bound values."""
    conditions: list[ColumnElement[bool]] = [
        Shift.cancelled_at.is_(None),
        Shift.starts_at > bindparam("now"),
        Shift.booked < Shift.headcount,
    ]
    if "city" in filters:
        conditions.append(Job.city == bindparam("city"))
    if "category" in filters:
        conditions.append(Job.category == bindparam("category"))
    if "min_wage" in filters:
        conditions.append(Job.hourly_wage >= bindparam("min_wage"))
    if "starts_after" in filters:
        conditions.append(Shift.starts_at >= bindparam("starts_after"))
    if "starts_before" in filters:
        conditions.append(Shift.starts_at < bindparam("starts_before"))
    if "skill" in filters:
        conditions.append(
            Job.id.in_(select(JobSkill.job_id).where(JobSkill.skill == bindparam("skill")))
        )
    return conditions


def _values(filters: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The names of the filters given, and the values to bind (the time included)."""
    names = tuple(name for name in _FILTERS if name in filters)
    return names, {"now": clock.now(), **{name: filters[name] for name in names}}


@lru_cache(maxsize=256)
def _around_point(filters: tuple[str, ...], row_ranges: int) -> Select[int, float, float]:
    """The pre-filter around a point for one shape of search, built once.

    A box and one cell range per grid row (see ``geo``), all bound when it runs: building and
    hashing a statement of a few dozen BETWEENs on every search cost more CPU than running it.
    """
    conditions = [
        *_conditions(filters),
        Job.lat.between(bindparam("south"), bindparam("north")),
        Job.lon.between(bindparam("west"), bindparam("east")),
    ]
    if row_ranges:
        conditions.append(
            or_(
                *(
                    Job.cell.between(bindparam(f"low_{n}"), bindparam(f"high_{n}"))
                    for n in range(row_ranges)
                )
            )
        )
    return select(Shift.id, Job.lat, Job.lon).join(Shift.job).where(*conditions)


def _spatial_values(lat: float, lon: float, radius_km: float) -> tuple[int, dict[str, Any]]:
    """How many cell ranges the circle needs, and the box's and the ranges' bounds."""
    south, north, west, east = geo.bounding_box(lat, lon, radius_km)
    values: dict[str, Any] = {"south": south, "north": north, "west": west, "east": east}
    ranges = geo.cell_ranges(lat, lon, radius_km)
    for n, (low, high) in enumerate(ranges):
        values[f"low_{n}"], values[f"high_{n}"] = low, high
    return len(ranges), values


def _load(shift_ids: list[int]) -> dict[int, Shift]:
    # Shifts, jobs and the jobs' skills in one round trip (the skills' own selectin load
    # would be a second one).
    query = (
        select(Shift)
        .join(Shift.job)
        .options(contains_eager(Shift.job).joinedload(Job.skill_rows))
        .where(Shift.id.in_(shift_ids))
    )
    return {shift.id: shift for shift in db.session.scalars(query).unique()}


def search(filters: dict[str, Any], page: int, per_page: int) -> SearchPage:
    """Open shifts starting in the future with free places, filtered and paged.

    Around a point (``lat``, ``lon``, ``radius_km``) they are sorted by distance, nearest first;
    otherwise by start time.
    """
    names, values = _values(filters)
    conditions = _conditions(names)
    first = (page - 1) * per_page
    if "lat" not in filters:
        total = db.session.scalar(
            select(func.count()).select_from(Shift).join(Shift.job).where(*conditions), values
        )
        query = (
            select(Shift)
            .join(Shift.job)
            .options(contains_eager(Shift.job))
            .where(*conditions)
            .order_by(Shift.starts_at, Shift.id)
            .offset(first)
            .limit(per_page)
        )
        return SearchPage([ShiftView(s) for s in db.session.scalars(query, values)], total or 0)

    lat, lon = filters["lat"], filters["lon"]
    radius_km = filters.get("radius_km", DEFAULT_RADIUS_KM)
    # Only ids and coordinates come back: no ORM objects, no timestamps to parse, no sort in
    # SQL (which would tempt the planner into the start-time index over every shift). Through
    # the session's connection: hundreds of plain rows, without the ORM's per-row work.
    row_ranges, spatial = _spatial_values(lat, lon, radius_km)
    statement = _around_point(names, row_ranges)
    rows = db.session.connection().execute(statement, values | spatial).all()
    if not rows:
        return SearchPage([], 0)
    # fromiter over the flattened rows: np.array on Row objects probes each for an array API.
    flat = chain.from_iterable(rows)
    columns = np.fromiter(flat, dtype=np.float64, count=3 * len(rows)).reshape(-1, 3)
    distances = geo.haversine_km_many(lat, lon, columns[:, 1], columns[:, 2])
    inside = np.flatnonzero(distances <= radius_km)
    # Nearest first; equal distances (shifts of one job) by id, so that paging is stable.
    ranked = inside[np.lexsort((columns[inside, 0], distances[inside]))]
    page_rows = ranked[first : first + per_page]
    loaded = _load([int(columns[i, 0]) for i in page_rows])
    items = [ShiftView(loaded[int(columns[i, 0])], float(distances[i])) for i in page_rows]
    return SearchPage(items, len(inside))
