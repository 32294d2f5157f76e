"""Candidates for a shift, shifts for a worker, and the optimal filling of many shifts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, not_, or_, select
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings import part_time
from marketplace.bookings.models import LIVE_STATUSES, OVERLAP_BLOCKING_STATUSES, Booking
from marketplace.brokers import delegations
from marketplace.cities import catalogue
from marketplace.common import geo
from marketplace.database import execute_core, prebuilt
from marketplace.errors import Forbidden, Invalid, field_error
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job, JobSkill, Shift
from marketplace.jobs.schemas import MAX_SHIFT_HOURS
from marketplace.matching import assignment, index, pool, scoring, topk
from marketplace.workers import availability
from marketplace.workers import services as workers
from marketplace.workers.models import REACH_BUCKETS_KM, Worker, WorkerSkill


def _today(city: str) -> date:
    place = catalogue.find(city)
    return place.today() if place else clock.today()


def require_shift_side(user: User, shift: Shift) -> None:
    """Only the shift's employer, its delegated brokers and admins see its candidates."""
    if user.role == "admin":
        return
    if (
        user.role not in ("employer", "broker")
        or delegations.may_act_for(user, shift.job.employer_id) is None
    ):
        raise Forbidden("only the shift's employer, its brokers or an admin may see candidates")


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


def _ranked(eligible: pool.Eligible, workers_pool: pool.Pool, shift: Shift) -> list[Ranked]:
    # Best score first; ties: nearer first, then the lower worker id (deterministic).
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
    """Workers with a booking that overlaps the shift (pending, confirmed or under way)."""
    values = {
        "earliest": shift.starts_at - timedelta(hours=MAX_SHIFT_HOURS),
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
    }
    return list(execute_core(_blocking_statement(), values).scalars())


def _top(
    eligible: pool.Eligible, workers_pool: pool.Pool, shift: Shift, limit: int
) -> list[Ranked]:
    order = np.lexsort((workers_pool.ids[eligible.index], eligible.distance_km, -eligible.score))
    return _ranked(eligible.subset(order[:limit]), workers_pool, shift)


def candidates(user: User, shift_id: int, limit: int) -> list[Ranked]:
    """The workers who can take the shift, best first.

    With ``MATCHING_INDEX`` on (the default) every worker of the city within reach is scored
    from the process's index of the city (``index``); off, the database pre-filters and ranks
    (``topk``). Either way the bookings that rule workers out are read fresh, and the final
    checks and scores are the exact ones of ``pool.Pool.eligible``.
    """
    shift = jobs.get_shift(shift_id)
    require_shift_side(user, shift)
    as_of = _today(shift.job.city)
    if current_app.config["MATCHING_INDEX"]:
        return _from_index(shift, as_of, limit)
    return _from_database(shift, as_of, limit)


def _from_index(shift: Shift, as_of: date, limit: int) -> list[Ranked]:
    base, overlay = index.pools(shift.job.city)
    excluded = np.array(_blocked(shift) + part_time.workers_over_limit(shift), dtype=np.int64)
    stale = np.concatenate([excluded, overlay.ids])
    found = _top(base.eligible(shift, as_of, stale), base, shift, limit)
    found += _top(overlay.eligible(shift, as_of, excluded), overlay, shift, limit)
    found.sort(key=lambda match: (-match.score, match.distance_km, match.worker_id))
    return found[:limit]


def _from_database(shift: Shift, as_of: date, limit: int) -> list[Ranked]:
    conditions = shift_conditions(shift)
    over = part_time.workers_over_limit(shift)
    if over:
        conditions.append(Worker.id.not_in(over))
    fetch = 2 * limit + 10
    while True:
        # The database ranks with a margin; the exact checks may still drop a few.
        ids = topk.best_ids(shift, as_of, fetch, conditions)
        workers_pool = pool.load([Worker.id.in_(ids)], as_of)
        ranked = _top(workers_pool.eligible(shift, as_of), workers_pool, shift, limit)
        if len(ranked) >= limit or len(ids) < fetch:
            return ranked
        fetch *= 4


def recommended_shifts(user: User, limit: int) -> list[tuple[Shift, Ranked]]:
    """Open shifts the worker can take, best first (the same rules, seen from the worker)."""
    worker = workers.my_profile(user)
    as_of = _today(worker.city)
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
    found = []
    for shift in shifts:
        eligible = workers_pool.eligible(shift, as_of)
        if len(eligible.index):
            found.append((shift, _ranked(eligible, workers_pool, shift)[0]))
    found.sort(key=lambda pair: (-pair[1].score, pair[1].distance_km, pair[0].id))
    return found[:limit]


# At city scale each shift keeps only its best candidates per free place before solving; below
# these sizes nothing is cut and the plan is exactly optimal (the response says which).
CANDIDATES_PER_PLACE = 10
MIN_CANDIDATES = 30


@dataclass
class Outcome:
    """A batch assignment: the plan, whether it is exact, and what booking it did."""

    plan: assignment.Plan
    exact: bool
    committed: bool
    not_booked: list[dict[str, Any]]
    # The offer made for each planned place, by (shift id, worker id), when committed.
    offered: dict[tuple[int, int], int] = field(default_factory=dict)
    # Each shift's kept candidates, the pool and the shifts: what the employer's view needs.
    _kept: dict[int, pool.Eligible] = field(default_factory=dict)
    _pool: pool.Pool | None = None
    _shifts: dict[int, Shift] = field(default_factory=dict)

    def employer_scores(self) -> dict[tuple[int, int], float]:
        """Each planned pair's score as the shift's employer sees it (without the priority).

        Computed for the planned pairs only, and only when an employer's side asks.
        """
        chosen: dict[int, list[int]] = {}
        for edge in self.plan.assignments:
            chosen.setdefault(edge.shift_id, []).append(edge.worker_id)
        scores: dict[tuple[int, int], float] = {}
        for shift_id, worker_ids in chosen.items():
            kept = self._kept[shift_id]
            assert self._pool is not None
            position = {int(w): i for i, w in enumerate(self._pool.ids[kept.index])}
            planned = kept.subset(np.array([position[w] for w in worker_ids], dtype=np.int64))
            _, _, shown = employer_view(planned, self._pool, self._shifts[shift_id].job)
            scores.update(
                ((shift_id, worker), round(float(score), 6))
                for worker, score in zip(worker_ids, shown, strict=True)
            )
        return scores


def _shifts_for(user: User, shift_ids: list[int]) -> list[Shift]:
    # With their jobs (and, through them, required skills) in two queries, not one per shift.
    query = select(Shift).options(joinedload(Shift.job)).where(Shift.id.in_(shift_ids))
    found = {s.id: s for s in db.session.scalars(query).unique()}
    missing = [i for i in shift_ids if i not in found]
    if missing:
        raise Invalid(
            "unknown shifts", field_error("json", "shift_ids", f"no such shift: {missing}")
        )
    for shift in found.values():
        require_shift_side(user, shift)
    return [found[i] for i in dict.fromkeys(shift_ids)]


def assign(user: User, shift_ids: list[int], commit: bool) -> Outcome:
    """Fill the shifts optimally; with ``commit``, offer each planned place to its worker."""
    shifts = _shifts_for(user, shift_ids)
    now = clock.now()
    free = {
        s.id: max(0, s.headcount - s.booked)
        for s in shifts
        if s.cancelled_at is None and s.starts_at > now
    }
    cities = sorted({s.job.city for s in shifts})
    as_of = {city: _today(city) for city in cities}
    workers_pool = pool.load([Worker.city.in_(cities)], min(as_of.values()))
    edge_shifts, edge_workers, edge_scores = [], [], []
    kept_of: dict[int, pool.Eligible] = {}
    exact = True
    for shift in shifts:
        if not free.get(shift.id):
            continue
        eligible = workers_pool.eligible(shift, as_of[shift.job.city])
        keep = max(CANDIDATES_PER_PLACE * free[shift.id], MIN_CANDIDATES)
        best = np.arange(len(eligible.index))
        if len(best) > keep:
            exact = False
            best = np.argpartition(-eligible.score, keep - 1)[:keep]
        kept = kept_of[shift.id] = eligible.subset(best)
        edge_shifts.append(np.full(len(best), shift.id, dtype=np.int64))
        edge_workers.append(workers_pool.ids[kept.index])
        edge_scores.append(np.round(kept.score, 6))
    plan = assignment.solve_arrays(
        free,
        np.concatenate(edge_shifts) if edge_shifts else np.zeros(0, dtype=np.int64),
        np.concatenate(edge_workers) if edge_workers else np.zeros(0, dtype=np.int64),
        np.concatenate(edge_scores) if edge_scores else np.zeros(0, dtype=np.float64),
    )
    offered, not_booked = _offer(user, plan) if commit else ({}, [])
    by_id = {shift.id: shift for shift in shifts}
    return Outcome(plan, exact, commit, not_booked, offered, kept_of, workers_pool, by_id)


def _offer(
    user: User, plan: assignment.Plan
) -> tuple[dict[tuple[int, int], int], list[dict[str, Any]]]:
    """Offer each planned place to its worker (the booking rules apply); report what could not be.

    Nobody is booked without saying yes: each place is an offer the worker accepts or declines.
    """
    from marketplace.bookings import offers
    from marketplace.errors import DomainError

    offered, failed = {}, []
    for edge in plan.assignments:
        shift = db.session.get(Shift, edge.shift_id)
        worker = db.session.get(Worker, edge.worker_id)
        assert shift is not None and worker is not None
        try:
            with db.session.begin_nested():
                booking = offers.offer(user, worker, shift)
        except DomainError as error:
            failed.append(
                {"shift_id": edge.shift_id, "worker_id": edge.worker_id, "reason": error.message}
            )
            continue
        db.session.flush()
        offered[edge.shift_id, edge.worker_id] = booking.id
    return offered, failed
