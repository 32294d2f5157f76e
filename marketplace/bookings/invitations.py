"""Invitations to an invited-only job (contract v1.1 "Repeat work").

The employer's side invites workers by id, or its favourites in one call; each invited worker
is told, and from then on sees, is recommended and may book the job's shifts. A worker the
employer blocked, one of another city or a closed account is skipped with its reason, never
invited; inviting twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import access, relations
from marketplace.errors import N_, Conflict, Invalid, field_error
from marketplace.extensions import db
from marketplace.jobs.models import JobInvitation
from marketplace.notifications.services import notify
from marketplace.workers.models import Worker


def invite(user: User, job_id: int, worker_ids: list[int], favourites: bool) -> dict[str, Any]:
    """Invite workers (and, with ``favourites``, every favourite of the employer) to the job:
    ``{"invited": [worker ids], "skipped": [{"worker_id", "reason"}]}``."""
    job, acting = access.live_job_as_employer_side(user, job_id)
    if job.audience != "invited":
        raise Conflict("this job is public: every worker may see and book it")
    blocked, favoured = relations.of_employer(job.employer_id)
    wanted = list(dict.fromkeys([*worker_ids, *(favoured if favourites else [])]))
    if not wanted:
        message = N_("name the workers to invite, or invite the favourites")
        raise Invalid(message, field_error("json", "worker_ids", message))
    known = dict(
        db.session.execute(
            select(Worker.id, Worker.user_id).where(
                Worker.id.in_(wanted), Worker.city == job.city, Worker.closed_at.is_(None)
            )
        ).all()
    )
    already = set(
        db.session.scalars(
            select(JobInvitation.worker_id).where(
                JobInvitation.job_id == job.id, JobInvitation.worker_id.in_(wanted)
            )
        )
    )
    invited: list[int] = []
    skipped: list[dict[str, Any]] = []
    now = clock.now()
    for worker_id in wanted:
        if worker_id not in known:
            skipped.append({"worker_id": worker_id, "reason": "unknown"})
        elif worker_id in blocked:
            skipped.append({"worker_id": worker_id, "reason": "blocked"})
        elif worker_id in already:
            skipped.append({"worker_id": worker_id, "reason": "already_invited"})
        else:
            db.session.add(
                JobInvitation(
                    job_id=job.id, worker_id=worker_id, invited_at=now, invited_by=user.id
                )
            )
            invited.append(worker_id)
    db.session.flush()
    if invited:
        audit.record(
            "job.invited",
            "job",
            job.id,
            {"worker_ids": invited, **acting.audit_data},
            actor_id=user.id,
            city=job.city,
        )
    for worker_id in invited:
        notify(
            known[worker_id],
            "job_invited",
            f"job:{job.id}:invited",
            f"「{acting.employer.name}」邀请您参加「{job.title}」的班次"
            f"（时薪 {job.hourly_wage} 元，地点：{job.address}），可在岗位中查看并预约",
            {"job_id": job.id},
        )
    return {"invited": invited, "skipped": skipped}
