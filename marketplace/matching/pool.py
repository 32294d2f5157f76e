"""Workers as numpy arrays, and which of them may take a shift, with their scores.

The database narrows the workers first (``load``'s conditions: city, reach around the shift,
availability masks, required skills, no overlapping booking); what survives is held as arrays
and every hard rule is then checked exactly, vectorised, for one shift at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, select

from marketplace import clock
from marketplace.bookings import part_time, relations
from marketplace.bookings.models import (
    HOURS_COUNTED_STATUSES,
    OVERLAP_BLOCKING_STATUSES,
    Booking,
)
from marketplace.cities import catalogue
from marketplace.common import geo
from marketplace.extensions import db
from marketplace.jobs import audience
from marketplace.jobs.categories import skill_tags
from marketplace.jobs.models import Job, Shift
from marketplace.matching import scoring
from marketplace.workers import availability
from marketplace.workers.models import Worker, WorkerSkill

IntArray = npt.NDArray[np.int64]


@dataclass
class Eligible:
    """The workers of a pool who may take one shift, with their score components."""

    index: IntArray  # positions in the pool
    distance_km: scoring.Vector
    components: dict[str, scoring.Vector]
    score: scoring.Vector
    weights: scoring.Weights

    def subset(self, positions: IntArray) -> Eligible:
        """These workers only (``positions`` index this object's arrays), in that order."""
        return Eligible(
            self.index[positions],
            self.distance_km[positions],
            {name: values[positions] for name, values in self.components.items()},
            self.score[positions],
            self.weights,
        )


def _epoch(instant: datetime) -> float:
    return instant.timestamp()


class Pool:
    """A set of workers as arrays: what matching needs of each, loaded in a few queries."""

    def __init__(self, rows: Sequence[Any], skills: Sequence[Any], bookings: Sequence[Any]) -> None:
        n = len(rows)
        self.size = n
        self.ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=n)
        # A closed account's row may still come (the index replaces it with its fresh one).
        self.open = np.fromiter((r.closed_at is None for r in rows), dtype=bool, count=n)
        self.position = {int(worker_id): i for i, worker_id in enumerate(self.ids)}
        # Fixed-width text, not objects: comparing it with a city code runs in C.
        self.city = np.array([r.city for r in rows], dtype=str)
        self.lat = np.fromiter((r.lat for r in rows), dtype=np.float64, count=n)
        self.lon = np.fromiter((r.lon for r in rows), dtype=np.float64, count=n)
        self.reach = np.fromiter((r.max_distance_km for r in rows), dtype=np.float64, count=n)
        self.reliability = np.fromiter(
            (np.nan if r.reliability is None else r.reliability for r in rows), np.float64, n
        )
        self.rating = np.fromiter(
            (np.nan if r.rating is None else float(r.rating) for r in rows), np.float64, n
        )

        def months(name: str) -> npt.NDArray[np.int64]:
            return np.fromiter((scoring.month_index(getattr(r, name)) for r in rows), np.int64, n)

        self.group_months = scoring.GroupMonths(
            difficulty=(months("difficulty_certified_on"), months("difficulty_ends_on")),
            unemployed=(months("unemployment_registered_on"), months("unemployed_ends_on")),
            graduate=(months("graduated_on"), months("graduate_ends_on")),
        )
        self._windows(rows)
        self._skills(skills)
        self._bookings(bookings)

    def _windows(self, rows: Sequence[Any]) -> None:
        # Windows per worker and weekday, padded: starts/ends in minutes, shape (n, 7, width).
        width = max(
            [1]
            + [sum(1 for w in r.availability if w["weekday"] == d) for r in rows for d in range(7)]
        )
        self.window_start = np.full((self.size, 7, width), 1, dtype=np.int16)
        self.window_end = np.zeros((self.size, 7, width), dtype=np.int16)  # empty: start > end
        for i, row in enumerate(rows):
            if not row.availability:
                self.window_start[i, :, 0], self.window_end[i, :, 0] = 0, 1440
                continue
            used = [0] * 7
            for window in row.availability:
                day = window["weekday"]
                self.window_start[i, day, used[day]] = availability.clock_minutes(window["start"])
                self.window_end[i, day, used[day]] = availability.clock_minutes(window["end"])
                used[day] += 1

    def _skills(self, skills: Sequence[Any]) -> None:
        self.vocabulary: dict[str, int] = {}
        self.skill_bits = np.zeros(self.size, dtype=np.int64)
        for row in skills:
            bit = self.vocabulary.setdefault(row.skill, len(self.vocabulary))
            if bit < 63:
                self.skill_bits[self.position[row.worker_id]] |= 1 << bit

    def bits(self, skills: set[str]) -> int | None:
        """The bit set of ``skills`` (None when one is a skill no worker of the pool has)."""
        result = 0
        for skill in skills:
            bit = self.vocabulary.get(skill)
            if bit is None or bit >= 63:
                return None
            result |= 1 << bit
        return result

    def _bookings(self, bookings: Sequence[Any]) -> None:
        blocking = [b for b in bookings if b.status in OVERLAP_BLOCKING_STATUSES]
        self.booked_worker = np.fromiter(
            (self.position[b.worker_id] for b in blocking), np.int64, len(blocking)
        )
        self.booked_start = np.fromiter((_epoch(b.starts_at) for b in blocking), np.float64)
        self.booked_end = np.fromiter((_epoch(b.ends_at) for b in blocking), np.float64)
        # Part-time bookings whose hours count, by employer (the limit is per employer).
        self.part_time: dict[int, list[Any]] = defaultdict(list)
        for b in bookings:
            if b.part_time and b.status in HOURS_COUNTED_STATUSES:
                self.part_time[b.employer_id].append(b)

    def eligible(
        self,
        shift: Shift,
        as_of: date,
        excluded: IntArray | None = None,
        favourites: IntArray | None = None,
        invited: IntArray | None = None,
    ) -> Eligible:
        """The workers who may take ``shift`` — every hard rule — and their scores.

        ``excluded`` are worker ids ruled out by the caller (bookings it looked up itself);
        ``favourites`` the employer's favourite workers (looked up when not given); ``invited``
        the workers an invited-only job invited (looked up when not given).
        """
        job = shift.job
        city = catalogue.find(job.city)
        timezone = city.timezone if city else clock.DEFAULT_TIMEZONE
        keep = (self.city == job.city) & self.open
        if job.review_status != "published":  # a post held for review has no candidates
            keep[:] = False
        distance = geo.haversine_km_many(job.lat, job.lon, self.lat, self.lon)
        keep &= distance <= self.reach
        required = self.bits(set(job.required_skills))
        if required is None:
            keep[:] = False
        else:
            keep &= (self.skill_bits & required) == required
        for weekday, start, end in availability.day_segments(
            shift.starts_at, shift.ends_at, timezone
        ):
            inside = (self.window_start[:, weekday, :] <= start) & (
                self.window_end[:, weekday, :] >= end
            )
            keep &= inside.any(axis=1)
        clash = (self.booked_start < _epoch(shift.ends_at)) & (
            self.booked_end > _epoch(shift.starts_at)
        )
        keep[self.booked_worker[clash]] = False
        if part_time.applies_to(shift):
            week_start, week_end = part_time.week_of(shift)
            same_week = (
                b for b in self.part_time[job.employer_id] if week_start <= b.starts_at < week_end
            )
            for worker in part_time.workers_over(shift, same_week):
                keep[self.position[worker]] = False
        if excluded is not None and len(excluded):
            keep &= ~np.isin(self.ids, excluded)
        if job.audience == "invited":
            if invited is None:
                invited = np.array(audience.invited_workers(job.id), dtype=np.int64)
            keep &= np.isin(self.ids, invited)
        index = np.flatnonzero(keep)
        tags = skill_tags(job.category, job.required_skills)
        tag_bits = self.bits({t for t in tags if t in self.vocabulary}) or 0
        components = {
            "distance": scoring.distance_component(distance[index], self.reach[index]),
            "skills": (
                np.bitwise_count(self.skill_bits[index] & tag_bits) / len(tags)
                if tags
                else np.full(len(index), scoring.NEUTRAL)
            ).astype(np.float64),
            "reliability": scoring.reliability_component(self.reliability[index]),
            "rating": scoring.rating_component(self.rating[index]),
        }
        weights = scoring.weights_for(job.city, as_of)
        components["priority"] = scoring.priority_vector(
            self.group_months.at(index), as_of, weights.graduate_window_months
        )
        if favourites is None:
            favourites = np.array(relations.of_employer(job.employer_id)[1], dtype=np.int64)
        components["favourite"] = np.isin(self.ids[index], favourites).astype(np.float64)
        score = scoring.total(components, weights)
        return Eligible(index, distance[index], components, score, weights)


WORKER_COLUMNS = (
    Worker.id,
    Worker.closed_at,
    Worker.city,
    Worker.lat,
    Worker.lon,
    Worker.max_distance_km,
    Worker.reliability,
    Worker.rating,
    Worker.difficulty_certified_on,
    Worker.unemployment_registered_on,
    Worker.graduated_on,
    Worker.difficulty_ends_on,
    Worker.unemployed_ends_on,
    Worker.graduate_ends_on,
    Worker.availability,
)


def load(conditions: list[ColumnElement[bool]], as_of: date) -> Pool:
    """The workers meeting ``conditions``, with their skills and live bookings (3 queries)."""
    rows = db.session.execute(select(*WORKER_COLUMNS).where(*conditions)).all()
    chosen = select(Worker.id).where(*conditions)
    skills = db.session.execute(
        select(WorkerSkill.worker_id, WorkerSkill.skill).where(WorkerSkill.worker_id.in_(chosen))
    ).all()
    # Bookings that ended more than a week before can neither overlap nor share a week.
    horizon = datetime.combine(
        as_of - timedelta(days=8), datetime.min.time(), tzinfo=ZoneInfo(clock.DEFAULT_TIMEZONE)
    )
    bookings = db.session.execute(
        select(
            Booking.worker_id,
            Booking.employer_id,
            Booking.status,
            Booking.starts_at,
            Booking.ends_at,
            (Job.employment_type == "part_time").label("part_time"),
        )
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(
            Booking.worker_id.in_(chosen),
            Booking.status.in_(HOURS_COUNTED_STATUSES),
            Booking.ends_at > horizon,
        )
    ).all()
    return Pool(rows, skills, bookings)
