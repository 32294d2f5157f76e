"""The optimal filling of many shifts at once, and the offers that carry a plan out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings import part_time, relations
from marketplace.cities import catalogue
from marketplace.errors import Invalid, field_error
from marketplace.extensions import db
from marketplace.jobs.models import Shift
from marketplace.matching import assignment, pool
from marketplace.matching.access import require_shift_side
from marketplace.matching.ranking import employer_view
from marketplace.workers.models import Worker

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
            "unknown shifts",
            field_error("json", "shift_ids", "no such shift: %(ids)s", ids=missing),
        )
    for shift in found.values():
        require_shift_side(user, shift)
    return [found[i] for i in dict.fromkeys(shift_ids)]


def assign(user: User, shift_ids: list[int], commit: bool, time_limit_s: float = 10) -> Outcome:
    """Fill the shifts optimally — a worker may take several places on shifts that do not
    overlap, within the part-time limit — and with ``commit`` offer each planned place."""
    shifts = _shifts_for(user, shift_ids)
    now = clock.now()
    free = {
        s.id: max(0, s.headcount - s.booked)
        for s in shifts
        if s.cancelled_at is None and s.starts_at > now
    }
    cities = sorted({s.job.city for s in shifts})
    as_of = {city: catalogue.today_in(city) for city in cities}
    workers_pool = pool.load([Worker.city.in_(cities)], min(as_of.values()))
    edge_shifts, edge_workers, edge_scores = [], [], []
    kept_of: dict[int, pool.Eligible] = {}
    known: dict[int, tuple[pool.IntArray, pool.IntArray]] = {}
    exact = True
    for shift in shifts:
        if not free.get(shift.id):
            continue
        blocked, favourites = _relations(shift.job.employer_id, known)
        eligible = workers_pool.eligible(shift, as_of[shift.job.city], blocked, favourites)
        keep = max(CANDIDATES_PER_PLACE * free[shift.id], MIN_CANDIDATES)
        best = np.arange(len(eligible.index))
        if len(best) > keep:
            exact = False
            best = np.argpartition(-eligible.score, keep - 1)[:keep]
        kept = kept_of[shift.id] = eligible.subset(best)
        edge_shifts.append(np.full(len(best), shift.id, dtype=np.int64))
        edge_workers.append(workers_pool.ids[kept.index])
        edge_scores.append(np.round(kept.score, 6))
    edges = [
        assignment.Edge(int(shift_id), int(worker_id), float(score))
        for shift_id, worker_id, score in zip(
            np.concatenate(edge_shifts).tolist() if edge_shifts else [],
            np.concatenate(edge_workers).tolist() if edge_workers else [],
            np.concatenate(edge_scores).tolist() if edge_scores else [],
            strict=True,
        )
    ]
    slots = [_slot(shift, free.get(shift.id, 0)) for shift in shifts]
    plan = assignment.solve_week(slots, edges, _seconds_left(workers_pool, slots), time_limit_s)
    offered, not_booked = _offer(user, plan) if commit else ({}, [])
    by_id = {shift.id: shift for shift in shifts}
    return Outcome(plan, exact, commit, not_booked, offered, kept_of, workers_pool, by_id)


def _relations(
    employer_id: int, known: dict[int, tuple[pool.IntArray, pool.IntArray]]
) -> tuple[pool.IntArray, pool.IntArray]:
    """The employer's blocked and favourite workers, looked up once per employer."""
    if employer_id not in known:
        blocked, favourites = relations.of_employer(employer_id)
        known[employer_id] = (np.array(blocked, np.int64), np.array(favourites, np.int64))
    return known[employer_id]


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _slot(shift: Shift, free: int) -> assignment.Slot:
    """The shift as the plan's rules read it; a part-time shift's limit group is its employer
    and the start of its week (the city's calendar week)."""
    group = None
    if part_time.applies_to(shift):
        group = (shift.job.employer_id, _epoch(part_time.week_of(shift)[0]))
    return assignment.Slot(shift.id, _epoch(shift.starts_at), _epoch(shift.ends_at), free, group)


def _seconds_left(
    workers_pool: pool.Pool, slots: list[assignment.Slot]
) -> dict[tuple[int, tuple[int, int]], int]:
    """Per (worker, limit group) of the plan, what the part-time limit leaves after the
    worker's bookings with that employer in that week (exact whole seconds)."""
    groups = {slot.limit_group for slot in slots if slot.limit_group is not None}
    left: dict[tuple[int, tuple[int, int]], int] = {}
    for employer_id, week_start in groups:
        week_end = week_start + 7 * 24 * 3600
        for booking in workers_pool.part_time.get(employer_id, []):
            if week_start <= _epoch(booking.starts_at) < week_end:
                key = (booking.worker_id, (employer_id, week_start))
                used = _epoch(booking.ends_at) - _epoch(booking.starts_at)
                left[key] = left.get(key, assignment.WEEKLY_LIMIT_SECONDS) - used
    return left


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
                {
                    "shift_id": edge.shift_id,
                    "worker_id": edge.worker_id,
                    "reason": error.translated(),  # in the reader's language, like an error
                }
            )
            continue
        db.session.flush()
        offered[edge.shift_id, edge.worker_id] = booking.id
    return offered, failed
