"""Candidates for a shift and shifts for a worker (the optimal filling of many: ``plans``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from sqlalchemy import ColumnElement, exists, not_, or_, select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings import people as bookings_people
from marketplace.bookings import relations
from marketplace.bookings.models import LIVE_STATUSES, Block, Booking
from marketplace.cities import catalogue
from marketplace.common import geo
from marketplace.common.months import Month
from marketplace.earnings.services import pay_for
from marketplace.extensions import db
from marketplace.jobs import audience
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job, JobSkill, Shift
from marketplace.matching import pool, ranking, scoring
from marketplace.matching.access import require_shift_side
from marketplace.matching.ranking import Ranked
from marketplace.subsidies import progress
from marketplace.workers import services as workers
from marketplace.workers.models import Worker

# Candidates are the best this many workers of a shift, paged.
MAX_CANDIDATES = 100


def candidates(user: User, shift_id: int, first: int, count: int) -> tuple[int, list[Ranked]]:
    """The workers who can take the shift, best first: how many (at most ``MAX_CANDIDATES``),
    and the ``count`` from the ``first`` (0-based).

    With ``MATCHING_INDEX`` on (the default) from the process's index of the city; off, ranked
    by the database (``ranking``), which ranks the best ``MAX_CANDIDATES`` to count them.
    """
    shift = jobs.get_shift(shift_id)
    require_shift_side(user, shift)
    as_of = catalogue.today_in(shift.job.city)
    wanted = min(first + count, MAX_CANDIDATES)
    if current_app.config["MATCHING_INDEX"]:
        found, total = ranking.from_index(shift, as_of, wanted)
    else:
        found = ranking.from_database(shift, as_of, MAX_CANDIDATES)
        total = len(found)
    return min(total, MAX_CANDIDATES), found[first:wanted]


def _with_runway(
    match: Ranked,
    base: float,
    shift: Shift,
    gap: progress.Gap | None,
    timezone: str,
    weights: scoring.Weights,
) -> Ranked:
    """The worker's own match: ``runway`` added (the shift's pay against the income the worker
    still needs in the shift's month), and weighed into the score (``scoring.with_runway``)."""
    runway = 0.0
    if gap is not None and Month.of(shift.starts_at.astimezone(ZoneInfo(timezone)).date()) == (
        gap.month
    ):
        runway = scoring.runway_component(pay_for(shift.hours, shift.job.hourly_wage), gap.amount)
    return replace(
        match,
        score=round(scoring.with_runway(base, runway, weights), 6),
        components={**match.components, "runway": round(runway, 6)},
    )


def recommended_shifts(user: User) -> list[tuple[Shift, Ranked]]:
    """Open shifts the worker can take, best first (the same rules, seen from the worker).

    Seen from the worker, a shift also scores ``runway``: how much of the income the worker
    still needs this month for a subsidy its pay covers (``subsidies.progress``). Only here:
    candidates, which employers see, never have it.
    """
    worker = workers.my_profile(user)
    as_of = catalogue.today_in(worker.city)
    skills = worker.skills
    south, north, west, east = geo.bounding_box(worker.lat, worker.lon, worker.max_distance_km)
    conditions: list[ColumnElement[bool]] = [
        Job.city == worker.city,
        Shift.cancelled_at.is_(None),
        Shift.starts_at > clock.now(),
        Shift.booked < Shift.headcount,
        Job.lat.between(south, north),
        Job.lon.between(west, east),
        # every required skill of the job is one of the worker's
        not_(exists().where(JobSkill.job_id == Job.id, JobSkill.skill.not_in(skills or [""]))),
        # a public job's, or an invited job's that invited the worker
        audience.open_to(worker.id),
        # not a shift of an employer that blocked the worker
        not_(exists().where(Block.employer_id == Job.employer_id, Block.worker_id == worker.id)),
        # not a shift the worker already holds (an offer on it included)
        not_(
            exists().where(
                Booking.shift_id == Shift.id,
                Booking.worker_id == worker.id,
                Booking.status.in_(LIVE_STATUSES),
            )
        ),
    ]
    ranges = geo.cell_ranges(worker.lat, worker.lon, worker.max_distance_km)
    if ranges:
        conditions.append(or_(*(Job.cell.between(low, high) for low, high in ranges)))
    shifts = list(db.session.scalars(select(Shift).join(Shift.job).where(*conditions)))
    if not shifts:
        return []
    workers_pool = pool.load([Worker.id == worker.id], as_of)
    favouring = relations.employers_favouring(worker.id)
    gap = progress.runway_gap(worker.id, worker.city)
    place = catalogue.find(worker.city)
    timezone = place.timezone if place else clock.DEFAULT_TIMEZONE
    me, nobody = np.array([worker.id], np.int64), np.array([], np.int64)
    found = []
    for shift in shifts:
        favourites = me if shift.job.employer_id in favouring else nobody
        eligible = workers_pool.eligible(shift, as_of, favourites=favourites)
        if len(eligible.index):
            match = ranking.ranked(eligible, workers_pool, shift)[0]
            base = float(eligible.score[0])
            found.append((shift, _with_runway(match, base, shift, gap, timezone, eligible.weights)))
    found.sort(key=lambda pair: (-pair[1].score, pair[1].distance_km, pair[0].id))
    return found


def people(user: User, pairs: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Who each (worker, shift) pair's worker is, as ``user`` may see it (``bookings.people``)."""
    return bookings_people.as_seen_by(user, pairs)
