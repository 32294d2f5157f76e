"""Workers as numpy arrays, and which of them may take a shift, with their scores.

The database narrows the workers first (``load``'s conditions: city, reach around the shift,
availability masks, required skills, no overlapping booking); what survives is held as arrays
and every hard rule is then checked exactly, vectorised, for one shift at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
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
from marketplace.matching import box, columns, scoring
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
    """A set of workers as arrays: what matching needs of each, loaded in a few queries.

    Every array is in the order of worker ids (``ids`` is sorted): a worker's position is a
    binary search, and a pool holds no Python object per worker.
    """

    def __init__(
        self,
        rows: Iterable[Sequence[Any]],
        skills: Iterable[Sequence[Any]],
        bookings: Sequence[Any],
        stamped: bool = False,
    ) -> None:
        """``rows`` and ``skills`` come in chunks (``Result.partitions``); ``stamped`` rows carry
        ``change_stamp`` and ``updated_at`` too, kept as ``change_stamp`` and ``updated_us``."""
        read = columns.Columns(stamped)
        for chunk in rows:
            read.add(chunk)
        arrays = read.arrays()
        self.size = len(arrays["ids"])
        self.ids: IntArray = arrays["ids"]
        self.open = arrays["open"]
        # Cities as small codes: a pool of one city (the index's) need not compare them at all.
        self.cities = list(read.cities)
        self.city = arrays["city"]
        self.lat, self.lon, self.reach = arrays["lat"], arrays["lon"], arrays["reach"]
        # What every distance from a worker needs of its latitude: computed once.
        self.phi = np.radians(self.lat)
        self.cos_phi = np.cos(self.phi)
        self.box = box.Box(self.lat, self.lon, self.reach)
        self.reliability, self.rating = arrays["reliability"], arrays["rating"]
        self.group_months = scoring.GroupMonths(
            difficulty=(arrays["difficulty_from"], arrays["difficulty_to"]),
            unemployed=(arrays["unemployed_from"], arrays["unemployed_to"]),
            graduate=(arrays["graduate_from"], arrays["graduate_to"]),
        )
        self.window_start, self.window_end = arrays["window_start"], arrays["window_end"]
        self.change_stamp = arrays.get("change_stamp", np.zeros(0, np.int64))
        self.updated_us = arrays.get("updated_us", np.zeros(0, np.int64))
        self._skills(skills)
        self._bookings(bookings)

    def positions(self, worker_ids: npt.ArrayLike) -> IntArray:
        """The positions of those of ``worker_ids`` that the pool holds (the others dropped)."""
        found, present = columns.positions(self.ids, worker_ids)
        return found[present]

    def position_of(self, worker_id: int) -> int | None:
        """The worker's position in the pool, None when it holds no such worker."""
        found = self.positions([worker_id])
        return int(found[0]) if len(found) else None

    def _skills(self, skills: Iterable[Sequence[Any]]) -> None:
        self.vocabulary: dict[str, int] = {}
        self.skill_bits = np.zeros(self.size, dtype=np.int64)
        for chunk in skills:
            n = len(chunk)
            bit = np.fromiter(
                (self.vocabulary.setdefault(row.skill, len(self.vocabulary)) for row in chunk),
                np.int64,
                n,
            )
            found, present = columns.positions(
                self.ids, np.fromiter((row.worker_id for row in chunk), np.int64, n)
            )
            present &= bit < 63
            np.bitwise_or.at(self.skill_bits, found[present], np.left_shift(1, bit[present]))

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
        found, present = columns.positions(
            self.ids, np.fromiter((b.worker_id for b in blocking), np.int64, len(blocking))
        )
        self.booked_worker = found[present]
        self.booked_start = np.fromiter((_epoch(b.starts_at) for b in blocking), np.float64)[
            present
        ]
        self.booked_end = np.fromiter((_epoch(b.ends_at) for b in blocking), np.float64)[present]
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
        place = catalogue.find(job.city)
        timezone = place.timezone if place else clock.DEFAULT_TIMEZONE
        # The cheap filters first, over every worker: a flag and a few integers each.
        keep = self._open_in(job.city)
        required = self.bits(set(job.required_skills))
        if job.review_status != "published" or required is None:
            keep[:] = False  # a post held for review has no candidates; nor a skill nobody has
        elif required:
            keep &= (self.skill_bits & required) == required
        # The workers ruled out by id: few, each found by a binary search.
        clash = (self.booked_start < _epoch(shift.ends_at)) & (
            self.booked_end > _epoch(shift.starts_at)
        )
        keep[self.booked_worker[clash]] = False
        if part_time.applies_to(shift):
            week_start, week_end = part_time.week_of(shift)
            same_week = (
                b for b in self.part_time[job.employer_id] if week_start <= b.starts_at < week_end
            )
            keep[self.positions(list(part_time.workers_over(shift, same_week)))] = False
        if excluded is not None and len(excluded):
            keep[self.positions(excluded)] = False
        if job.audience == "invited":
            if invited is None:
                invited = np.array(audience.invited_workers(job.id), dtype=np.int64)
            keep &= self._marked(invited)
        keep &= self.box.near(job.lat, job.lon)
        for weekday, start, end in availability.day_segments(
            shift.starts_at, shift.ends_at, timezone
        ):
            starts, ends = self.window_start[weekday], self.window_end[weekday]
            if starts.shape[1] == 1:
                keep &= (starts[:, 0] <= start) & (ends[:, 0] >= end)
            else:
                keep &= ((starts <= start) & (ends >= end)).any(axis=1)
        index = np.flatnonzero(keep)
        # The exact distance last, on the survivors only.
        distance = geo.haversine_km_prepared(
            job.lat, job.lon, self.phi[index], self.cos_phi[index], self.lon[index]
        )
        within = distance <= self.reach[index]
        index, distance = index[within], distance[within]
        tags = skill_tags(job.category, job.required_skills)
        tag_bits = self.bits({t for t in tags if t in self.vocabulary}) or 0
        components = {
            "distance": scoring.distance_component(distance, self.reach[index]),
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
        components["favourite"] = self._marked(favourites)[index].astype(np.float64)
        score = scoring.total(components, weights)
        return Eligible(index, distance, components, score, weights)

    def _open_in(self, city: str) -> npt.NDArray[np.bool_]:
        """Which workers are open accounts of ``city`` (a new array)."""
        if self.cities == [city]:
            return self.open.copy()
        if city not in self.cities:
            return np.zeros(self.size, dtype=bool)
        return (self.city == self.cities.index(city)) & self.open

    def _marked(self, worker_ids: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """A flag per worker of the pool: set for those of ``worker_ids``."""
        marked = np.zeros(self.size, dtype=bool)
        marked[self.positions(worker_ids)] = True
        return marked


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
    return Pool([rows], [skills], bookings)
