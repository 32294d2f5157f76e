"""Who may see a job's shifts (contract v1.1 "Repeat work"): a public job's, everyone; an
invited job's, the workers invited to it, its employer's side, the officials of its city and
admins. Anyone else is told the shift does not exist (404): it is in no search, no
recommendation and no list of theirs either.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.errors import N_, NotFound
from marketplace.extensions import db
from marketplace.jobs.models import Job, JobInvitation, Shift
from marketplace.workers import services as workers


def is_invited(job_id: int, worker_id: int) -> bool:
    """Whether the worker is invited to the job."""
    return db.session.get(JobInvitation, (job_id, worker_id)) is not None


def visible_to(user: User, job: Job) -> bool:
    """Whether ``user`` may see the job's shifts."""
    if job.audience == "public" or user.role == "admin":
        return True
    if user.role == "official":
        return user.city == job.city
    if user.role == "worker":
        worker_id = workers.profile_id_of(user)
        return worker_id is not None and is_invited(job.id, worker_id)
    return delegations.may_act_for(user, job.employer_id) is not None


def require_visible(user: User, shift: Shift) -> Shift:
    """The shift, if ``user`` may see it (404 otherwise, as if it did not exist)."""
    if not visible_to(user, shift.job):
        raise NotFound(N_("shift"))
    return shift


def open_to(worker_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """The condition on ``Job`` that a worker may see its shifts: public, or invited to it."""
    return (Job.audience == "public") | Job.id.in_(
        select(JobInvitation.job_id).where(JobInvitation.worker_id == worker_id)
    )


def invited_workers(job_id: int) -> list[int]:
    """The workers invited to the job."""
    return list(
        db.session.scalars(select(JobInvitation.worker_id).where(JobInvitation.job_id == job_id))
    )
