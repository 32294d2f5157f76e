"""The search for open shifts: filters, a grid pre-filter and exact distances, all in SQL.

See ``marketplace/common/geo.py`` for why a grid of integer cells: it needs no database
extension and turns a circle into a handful of index range scans on SQLite and PostgreSQL alike.
Why the page is one statement and its items plain dicts: the README ("Why the hot paths look as
they do").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Row, Select, bindparam, func, or_, select

from marketplace import clock
from marketplace.common import geo
from marketplace.common.schemas import instant_text, money_text
from marketplace.database import execute_core, least, prebuilt
from marketplace.extensions import db
from marketplace.jobs import audience
from marketplace.jobs.cover import covered
from marketplace.jobs.models import Job, JobSkill, Shift, shift_status
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

    The fields are copied once into plain attributes, not delegated: the serialiser looks each
    field of each item up.
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
    """One page of results (as the API shows them) and the total number of matches."""

    items: list[dict[str, Any]]
    total: int


# The optional filters, each a condition on a value bound when the statement runs.
_FILTERS = ("city", "category", "min_wage", "starts_after", "starts_before", "skill", "invitee")


def _conditions(filters: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """What an open shift must meet, with ``filters`` (names of ``_FILTERS``) as bound values."""
    conditions: list[ColumnElement[bool]] = [
        Shift.cancelled_at.is_(None),
        Shift.starts_at > bindparam("now"),
        Shift.booked < Shift.headcount,
        Job.review_status == "published",  # a post held for review is in no search
    ]
    # An invited job's shifts only for the workers it invited (contract v1.1 "Repeat work").
    if "invitee" in filters:
        conditions.append(audience.open_to(bindparam("invitee")))
    else:
        conditions.append(Job.audience == "public")
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


def _distance_km() -> ColumnElement[float]:
    """The great-circle distance from the bound point to the job, as ``geo.haversine_km``.

    The point comes bound as ``phi`` (its latitude in radians), ``cos_phi`` and ``lon``.
    """
    phi = func.radians(Job.lat)
    half_dphi = func.sin((phi - bindparam("phi", type_=Float)) / 2)
    half_dlambda = func.sin(func.radians(Job.lon - bindparam("lon", type_=Float)) / 2)
    a = func.power(half_dphi, 2) + bindparam("cos_phi", type_=Float) * func.cos(phi) * func.power(
        half_dlambda, 2
    )
    return 2 * geo.EARTH_RADIUS_KM * func.asin(least(func.sqrt(a), 1.0))


@prebuilt
def _nearest(filters: tuple[str, ...], row_ranges: int) -> tuple[Select[Any], Select[Any]]:
    """A page of the shifts nearest a point, and the count of all, for one shape of search.

    The database measures, sorts and cuts the page, and answers it with the page's jobs and
    skills and the total in one statement. The grid's box and cell ranges (see ``geo``) keep
    the measuring to the circle's surroundings.
    """
    distance = _distance_km()
    conditions = [
        *_conditions(filters),
        Job.lat.between(bindparam("south"), bindparam("north")),
        Job.lon.between(bindparam("west"), bindparam("east")),
        distance <= bindparam("radius_km", type_=Float),
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
    distance_km = distance.label("distance_km")
    nearest = (
        select(Shift.id.label("shift_id"), distance_km, func.count().over().label("total"))
        .join(Shift.job)
        .where(*conditions)
        # Equal distances (shifts of one job) by id, so that paging is stable.
        .order_by(distance_km, Shift.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("nearest")
    )
    page = (
        select(nearest.c.distance_km, nearest.c.total, *_PAGE_COLUMNS, JobSkill.skill)
        .select_from(nearest)
        .join(Shift, Shift.id == nearest.c.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .outerjoin(JobSkill, JobSkill.job_id == Job.id)
        .order_by(nearest.c.distance_km, Shift.id, JobSkill.skill)
    )
    count = select(func.count()).select_from(Shift).join(Shift.job).where(*conditions)
    return page, count


def _spatial_values(lat: float, lon: float, radius_km: float) -> tuple[int, dict[str, Any]]:
    """How many cell ranges the circle needs, and the box's and the ranges' bounds."""
    south, north, west, east = geo.bounding_box(lat, lon, radius_km)
    values: dict[str, Any] = {"south": south, "north": north, "west": west, "east": east}
    ranges = geo.cell_ranges(lat, lon, radius_km)
    for n, (low, high) in enumerate(ranges):
        values[f"low_{n}"], values[f"high_{n}"] = low, high
    return len(ranges), values


# What a result shows, read as plain columns: the page's items are written straight from
# these rows (see ``_item``).
_PAGE_COLUMNS = (
    Shift.id,
    Shift.job_id,
    Shift.starts_at,
    Shift.ends_at,
    Shift.headcount,
    Shift.booked,
    Shift.cancelled_at,
    Job.title,
    Job.category,
    Job.employment_type,
    Job.hourly_wage,
    Job.requires_approval,
    Job.employer_id,
    Job.city,
    Job.district,
    Job.address,
    Job.lat,
    Job.lon,
    Job.injury_valid_to,  # whether the shift is covered: one column, decided in Python
)


@prebuilt
def _page_query() -> Select[*tuple[Any, ...]]:
    """The page's shifts with their jobs and each job's skills (a row per skill), built once."""
    return (
        select(*_PAGE_COLUMNS, JobSkill.skill)
        .join(Shift.job)
        .outerjoin(JobSkill, JobSkill.job_id == Job.id)
        # The jobs' ids too, although the shifts name them: with only the shifts' ids,
        # PostgreSQL hashed every job instead of looking the page's twenty up.
        .where(
            Shift.id.in_(bindparam("ids", expanding=True)),
            Job.id.in_(bindparam("job_ids", expanding=True)),
        )
        .order_by(JobSkill.skill)
    )


def _item(row: Row[Any], skills: list[str], now: datetime) -> dict[str, Any]:
    """One result exactly as ``ShiftDetailSchema`` dumps it (a test holds the two equal)."""
    return {
        "id": row.id,
        "job_id": row.job_id,
        "starts_at": instant_text(row.starts_at),
        "ends_at": instant_text(row.ends_at),
        "headcount": row.headcount,
        "booked": row.booked,
        "status": shift_status(row.cancelled_at, row.ends_at, row.booked, row.headcount, now),
        "title": row.title,
        "category": row.category,
        "employment_type": row.employment_type,
        "hourly_wage": money_text(row.hourly_wage),
        "required_skills": skills,
        "requires_approval": row.requires_approval,
        "employer_id": row.employer_id,
        "city": row.city,
        "district": row.district,
        "address": row.address,
        "location": {"lat": row.lat, "lon": row.lon},
        "injury_covered": covered(row.injury_valid_to, row.starts_at, row.city),
    }


def items(shifts: list[tuple[int, int]], now: datetime) -> dict[int, dict[str, Any]]:
    """The results for ``shifts`` (pairs of shift id and job id), by id, in one round trip."""
    if not shifts:
        return {}
    values = {"ids": [shift for shift, _ in shifts], "job_ids": sorted({job for _, job in shifts})}
    return _collect(execute_core(_page_query(), values), now)


def _collect(rows: Iterable[Row[Any]], now: datetime) -> dict[int, dict[str, Any]]:
    """Results from rows of ``_PAGE_COLUMNS`` and a skill (a row per skill), by shift id."""
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        item = found.get(row.id)
        if item is None:
            item = found[row.id] = _item(row, [], now)
        if row.skill is not None:
            item["required_skills"].append(row.skill)
    return found


def search(
    filters: dict[str, Any], page: int, per_page: int, invitee: int | None = None
) -> SearchPage:
    """Open shifts starting in the future with free places, filtered and paged: of public
    jobs, and of the invited jobs that invited the worker ``invitee``.

    Around a point (``lat``, ``lon``, ``radius_km``) they are sorted by distance, nearest first;
    otherwise by start time.
    """
    names, values = _values(filters if invitee is None else {**filters, "invitee": invitee})
    first = (page - 1) * per_page
    if "lat" not in filters:
        conditions = _conditions(names)
        total = db.session.scalar(
            select(func.count()).select_from(Shift).join(Shift.job).where(*conditions), values
        )
        query = (
            select(Shift.id, Shift.job_id)
            .join(Shift.job)
            .where(*conditions)
            .order_by(Shift.starts_at, Shift.id)
            .offset(first)
            .limit(per_page)
        )
        page_shifts = [(row.id, row.job_id) for row in db.session.execute(query, values)]
        found = items(page_shifts, values["now"])
        return SearchPage([found[shift_id] for shift_id, _ in page_shifts], total or 0)

    lat, lon = filters["lat"], filters["lon"]
    radius_km = filters.get("radius_km", DEFAULT_RADIUS_KM)
    row_ranges, spatial = _spatial_values(lat, lon, radius_km)
    page_query, count_query = _nearest(names, row_ranges)
    phi = math.radians(lat)
    values |= spatial | {
        "phi": phi,
        "cos_phi": math.cos(phi),
        "lon": lon,
        "radius_km": radius_km,
        "limit": per_page,
        "offset": first,
    }
    rows = execute_core(page_query, values).all()
    if not rows:
        # Past the last page (or nothing at all): the count came with the rows.
        total = execute_core(count_query, values).scalar() if first else 0
        return SearchPage([], total or 0)
    found = _collect(rows, values["now"])
    for row in rows:
        found[row.id]["distance_km"] = round(row.distance_km, 3)
    return SearchPage(list(found.values()), rows[0].total)
