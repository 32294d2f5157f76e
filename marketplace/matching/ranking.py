"""Ranking the workers who can take a shift, two ways, and what a ranked match shows.

From the process's index of the city (``index``, the default), or ranked in the database after
the SQL pre-filter (``prefilter``, ``topk``; ``MATCHING_INDEX=false``). Either way the bookings
that rule workers out are read fresh, and the final checks and scores are the exact ones of
``pool.Pool.eligible``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Select, bindparam, select

from marketplace.bookings import part_time, relations
from marketplace.bookings.models import OVERLAP_BLOCKING_STATUSES, Booking
from marketplace.common import geo
from marketplace.database import execute_core, prebuilt
from marketplace.jobs import audience
from marketplace.jobs.models import Job, Shift
from marketplace.jobs.schemas import MAX_SHIFT_HOURS
from marketplace.matching import index, pool, scoring, topk
from marketplace.matching.prefilter import shift_conditions
from marketplace.workers.models import Worker


@dataclass(frozen=True)
class Shown:
    """What an employer sees of a match: a coarse distance, no priority, the score without it."""

    score: float
    distance_km: float
    components: dict[str, float]


@dataclass(frozen=True)
class Ranked:
    """One ranked match: exact, and as the shift's employer sees it."""

    worker_id: int
    shift_id: int
    score: float
    distance_km: float
    components: dict[str, float]
    to_employer: Shown


def employer_view(
    eligible: pool.Eligible, workers_pool: pool.Pool, job: Job
) -> tuple[scoring.Vector, dict[str, scoring.Vector], scoring.Vector]:
    """The coarse distances, components and scores the job's employer sees of ``eligible``."""
    lats, lons = workers_pool.lat[eligible.index], workers_pool.lon[eligible.index]
    coarse = geo.coarse_distance_km(job.lat, job.lon, lats, lons)
    reach = workers_pool.reach[eligible.index]
    components, score = scoring.employer_view(eligible.components, coarse, reach, eligible.weights)
    return coarse, components, score


def ranked(eligible: pool.Eligible, workers_pool: pool.Pool, shift: Shift) -> list[Ranked]:
    """``eligible`` as ranked matches: best score first; ties: nearer, then the lower worker id."""
    order = np.lexsort((workers_pool.ids[eligible.index], eligible.distance_km, -eligible.score))
    coarse, shown, shown_score = employer_view(eligible, workers_pool, shift.job)
    return [
        Ranked(
            worker_id=int(workers_pool.ids[eligible.index[i]]),
            shift_id=shift.id,
            score=round(float(eligible.score[i]), 6),
            distance_km=round(float(eligible.distance_km[i]), 3),
            components={k: round(float(v[i]), 6) for k, v in eligible.components.items()},
            to_employer=Shown(
                score=round(float(shown_score[i]), 6),
                distance_km=float(coarse[i]),
                components={k: round(float(v[i]), 6) for k, v in shown.items()},
            ),
        )
        for i in order
    ]


# Every candidates request reads it.
@prebuilt
def _blocking_statement() -> Select[*tuple[Any, ...]]:
    return select(Booking.worker_id).where(
        Booking.status.in_(OVERLAP_BLOCKING_STATUSES),
        # bounded below too, so that the start-time index serves the look-up
        Booking.starts_at > bindparam("earliest"),
        Booking.starts_at < bindparam("ends_at"),
        Booking.ends_at > bindparam("starts_at"),
    )


def _blocked(shift: Shift) -> list[int]:
    """Workers with a booking that overlaps the shift (pending, confirmed or under way).

    (Workers the employer blocked: ``relations.of_employer``.)
    """
    values = {
        "earliest": shift.starts_at - timedelta(hours=MAX_SHIFT_HOURS),
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
    }
    return list(execute_core(_blocking_statement(), values).scalars())


def top(eligible: pool.Eligible, workers_pool: pool.Pool, shift: Shift, limit: int) -> list[Ranked]:
    """The best ``limit`` of ``eligible``, ranked."""
    if limit <= 0:
        return []
    best = np.arange(len(eligible.index))
    if len(best) > limit:
        # Sorting every eligible worker costs more than the rest of a request: only those scoring
        # at least the ``limit``-th best score can be among the best (ties at the edge included).
        edge = -np.partition(-eligible.score, limit - 1)[limit - 1]
        best = np.flatnonzero(eligible.score >= edge)
    order = np.lexsort(
        (
            workers_pool.ids[eligible.index[best]],
            eligible.distance_km[best],
            -eligible.score[best],
        )
    )
    return ranked(eligible.subset(best[order][:limit]), workers_pool, shift)


def from_index(shift: Shift, as_of: date, limit: int) -> tuple[list[Ranked], int]:
    """The best ``limit`` workers for the shift from the index of its city, and how many
    workers can take it in all."""
    base, overlay = index.pools(shift.job.city)
    blocked, favoured = relations.of_employer(shift.job.employer_id)
    excluded = np.array(_blocked(shift) + part_time.workers_over_limit(shift) + blocked, np.int64)
    stale = np.concatenate([excluded, overlay.ids])
    favourites = np.array(favoured, np.int64)
    from_base = base.eligible(shift, as_of, stale, favourites)
    found, total = top(from_base, base, shift, limit), len(from_base.index)
    if overlay.size:  # most of the time nothing changed: no second look (its weights are a query)
        from_overlay = overlay.eligible(shift, as_of, excluded, favourites)
        found += top(from_overlay, overlay, shift, limit)
        total += len(from_overlay.index)
    # In the order of what is shown (rounded), also when only the base had any.
    found.sort(key=lambda match: (-match.score, match.distance_km, match.worker_id))
    return found[:limit], total


def from_database(shift: Shift, as_of: date, limit: int) -> list[Ranked]:
    """The best ``limit`` workers for the shift, pre-filtered and ranked by the database."""
    conditions = shift_conditions(shift)
    if shift.job.audience == "invited":
        conditions.append(Worker.id.in_(audience.invited_workers(shift.job_id)))
    blocked, favoured = relations.of_employer(shift.job.employer_id)
    over = part_time.workers_over_limit(shift) + blocked
    if over:
        conditions.append(Worker.id.not_in(over))
    favourites = np.array(favoured, np.int64)
    fetch = 2 * limit + 10
    while True:
        # The database ranks with a margin; the exact checks may still drop a few.
        ids = topk.best_ids(shift, as_of, fetch, conditions)
        workers_pool = pool.load([Worker.id.in_(ids)], as_of)
        eligible = workers_pool.eligible(shift, as_of, favourites=favourites)
        ranked = top(eligible, workers_pool, shift, limit)
        if len(ranked) >= limit or len(ids) < fetch:
            return ranked
        fetch *= 4
