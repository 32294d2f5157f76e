"""Candidates ranked in the database: the score is computed in SQL and only the best come back.

A shift in a city of 100k workers can have tens of thousands of eligible workers; loading them
all to rank them would dominate the request. So the database, after the pre-filters of
``prefilter.shift_conditions``, computes each survivor's score — with the distance measured on
the local tangent plane (exact to a fraction of a per mille at city scale), which needs only
arithmetic and ``sqrt`` — and returns the best ids with a margin. Those few are then loaded as a
``pool.Pool``, checked exactly against every hard rule and scored again exactly with numpy,
which decides the final order.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
)

from marketplace.common import geo
from marketplace.common.months import Month
from marketplace.extensions import db
from marketplace.jobs.categories import skill_tags
from marketplace.jobs.models import Shift
from marketplace.matching import scoring
from marketplace.subsidies.rules import priority
from marketplace.workers import group_statuses
from marketplace.workers.models import Worker, WorkerSkill


def priority_sql(as_of: date, graduate_window_months: int) -> Any:
    """``priority`` in SQL over ``Worker``'s group dates (held equal to the rule by a test)."""
    month = Month.of(as_of)
    graduates_from = (month - graduate_window_months).first_day
    return case(
        (
            group_statuses.held_in("difficulty", month),
            literal(float(priority.DIFFICULTY)),
        ),
        (
            or_(
                group_statuses.held_in("unemployed", month),
                and_(
                    group_statuses.held_in("graduate", month),
                    Worker.graduated_on >= graduates_from,
                ),
            ),
            literal(float(priority.UNEMPLOYED_OR_GRADUATE)),
        ),
        else_=literal(0.0),
    )


def best_ids(shift: Shift, as_of: date, count: int, conditions: list[Any]) -> list[int]:
    """The ``count`` workers meeting ``conditions`` with the best scores by the database's sums."""
    job = shift.job
    weights = scoring.weights_for(job.city, as_of)
    tags = sorted(skill_tags(job.category, job.required_skills))
    dx = (Worker.lon - job.lon) * (
        geo.KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(job.lat))
    )
    dy = (Worker.lat - job.lat) * geo.KM_PER_DEGREE_LAT
    distance = func.sqrt(dx * dx + dy * dy)
    matched = (
        select(WorkerSkill.worker_id, func.count().label("matched"))
        .where(WorkerSkill.skill.in_(tags or [""]))
        .group_by(WorkerSkill.worker_id)
        .subquery()
    )
    skills = (
        func.coalesce(matched.c.matched, 0) * (1.0 / len(tags))
        if tags
        else literal(scoring.NEUTRAL)
    )
    stars = type_coerce(Worker.rating, Integer)  # stored as hundredths of a star
    score = (
        weights.distance * (1.0 - distance / Worker.max_distance_km)
        + weights.skills * skills
        + weights.reliability * func.coalesce(Worker.reliability, scoring.NEUTRAL)
        + weights.rating * func.coalesce((stars / 100.0 - 1.0) / 4.0, scoring.NEUTRAL)
        + weights.priority * priority_sql(as_of, weights.graduate_window_months)
    )
    query = (
        select(Worker.id)
        .outerjoin(matched, matched.c.worker_id == Worker.id)
        # the margin covers the tangent plane's error; the exact check follows
        .where(*conditions, distance <= Worker.max_distance_km * 1.002)
        .order_by(type_coerce(score, Float).desc(), distance, Worker.id)
        .limit(count)
    )
    return list(db.session.scalars(query))
