"""Crews (contract v1.1 "Repeat work"): the employer's side offers chosen workers every future
shift of a job they can take, in one transaction.

Each place is an offer (``offers.offer``: nobody is booked without saying yes) under every rule
of a booking — a free place, no overlap, the part-time limit, skills, blocks, invitations — and
holds its place until the worker accepts (``POST /jobs/{id}/offers/accept`` takes the whole
series at once) or it lapses. A place not offered is listed with the reason, as a code a program
can act on and a sentence a person can read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings import access, offers
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.workers.models import Worker

# Why a place was not offered, by the refusal's message (each raised by the booking rules).
REASONS = {
    "this shift is full": "full",
    "this shift is cancelled": "cancelled",
    "this shift has already started": "started",
    "this job post is held for review": "held",
    "this employer does not take bookings from you": "blocked",
    "this job is open only to the workers it invited": "not_invited",
    "you already hold booking %(booking)s for this shift": "already_booked",
    "you already hold a booking for this shift": "already_booked",
    "this shift overlaps your booking %(booking)s": "overlap",
    "this shift requires skills you do not have: %(skills)s": "skills",
    "too late to offer this shift: an offer must leave the worker time to answer "
    "(it lapses 2 hours before the start)": "too_late",
}
PART_TIME_LIMIT = "part_time_limit"


def _reason(refusal: Conflict) -> str:
    if refusal.template.startswith("part-time work for one employer is limited"):
        return PART_TIME_LIMIT
    return REASONS.get(refusal.template, "not_bookable")


def offer_crew(user: User, job_id: int, worker_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """Offer each worker every future shift of the job it can take: what was offered
    (``booked``: shift, worker, booking) and what was not (``skipped``: with the reason)."""
    job, _ = access.live_job_as_employer_side(user, job_id)
    wanted = list(dict.fromkeys(worker_ids))  # 1 to 50 of them (the request's schema)
    found = {
        worker.id: worker
        for worker in db.session.scalars(
            select(Worker).where(
                Worker.id.in_(wanted), Worker.city == job.city, Worker.closed_at.is_(None)
            )
        )
    }
    now = clock.now()
    future = [s for s in job.shifts if s.cancelled_at is None and s.starts_at > now]
    booked: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for worker_id in wanted:
        worker = found.get(worker_id)
        if worker is None:
            skipped.append(
                {"shift_id": None, "worker_id": worker_id, "reason": "unknown", "message": None}
            )
            continue
        for shift in future:
            try:
                with db.session.begin_nested():
                    booking = offers.offer(user, worker, shift)
            except Conflict as refusal:
                skipped.append(
                    {
                        "shift_id": shift.id,
                        "worker_id": worker_id,
                        "reason": _reason(refusal),
                        "message": refusal.translated(),
                    }
                )
                continue
            booked.append({"shift_id": shift.id, "worker_id": worker_id, "booking_id": booking.id})
    return {"booked": booked, "skipped": skipped}
