"""Review of job posts (contract v1.1 "Job-post review and reports").

A post is published at once unless a rule of its city holds it (cities.toml ``job_review``): its
title or description asks workers for money (押金, 培训费 …), its hourly wage is more than a
multiple of the city's median posted wage of recent days (a bait wage), or different workers
reported it often enough. A held job's shifts are in no search, candidates or recommendation
and cannot be booked; an official of the city (or an admin) publishes it, or rejects it with a
reason — its future shifts and their bookings are then cancelled and the workers told. Each
hold names its rule and, for words, which ones; every step is an audit event.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.employers.models import Employer
from marketplace.errors import N_, Conflict, Forbidden, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.jobs.models import Job, JobReport
from marketplace.notifications.services import notify
from marketplace.workers import services as workers

FEE_WORDS = "fee_words"
BAIT_WAGE = "bait_wage"
REPORTED = "reported"


def _median_recent_wage(city: str, since: Any, at_least: int) -> Decimal | None:
    """The median hourly wage of the city's posts since ``since``, or None with too few posts.

    Found by the database in sorted order (the middle one or two rows), not read whole.
    """
    recent = (Job.city == city, Job.created_at >= since)
    count = db.session.scalar(select(func.count()).select_from(Job).where(*recent)) or 0
    if count < at_least:
        return None
    middle = list(
        db.session.scalars(
            select(Job.hourly_wage)
            .where(*recent)
            .order_by(Job.hourly_wage)
            .offset((count - 1) // 2)
            .limit(2 if count % 2 == 0 else 1)
        )
    )
    return sum(middle, Decimal(0)) / len(middle)


def hold_reasons(city: str, title: str, description: str, hourly_wage: Decimal) -> list[str]:
    """Why the city's rules hold a post with this text and wage, each "<rule>: <说明>" (none:
    publish it)."""
    place = catalogue.find(city)
    rules = place.job_review if place else None
    if rules is None:
        return []
    reasons = []
    found = [word for word in rules.fee_words if word in title or word in description]
    if found:
        reasons.append(f"{FEE_WORDS}: 标题或说明要求劳动者付费（{'、'.join(found)}）")
    since = clock.now() - timedelta(days=rules.wage_days)
    median = _median_recent_wage(city, since, rules.wage_min_jobs)
    if median is not None and hourly_wage > rules.wage_multiple * median:
        reasons.append(
            f"{BAIT_WAGE}: 时薪 {hourly_wage} 元超过本市近 {rules.wage_days} 天发布岗位时薪"
            f"中位数 {median.quantize(Decimal('0.01'))} 元的 {rules.wage_multiple} 倍"
        )
    return reasons


def _tell_employer(job: Job, kind: str, message: str) -> None:
    user_id = db.session.scalar(select(Employer.user_id).where(Employer.id == job.employer_id))
    if user_id is not None:
        notify(user_id, kind, f"job:{job.id}:{kind}", message, {"job_id": job.id})


def said(reasons: list[str]) -> str:
    """The reasons as people read them: "<rule>: <说明>" without the rule's code."""
    return "；".join(reason.split(": ", 1)[-1] for reason in reasons)


def hold(job: Job, reasons: list[str], actor: User | None) -> None:
    """Hold ``job`` for review with ``reasons`` (added to any it has), an audit event; the
    employer is told why."""
    job.review_status = "held"
    job.review_reasons = [*job.review_reasons, *reasons]
    db.session.flush()
    _tell_employer(
        job,
        "job_held",
        f"您发布的岗位「{job.title}」需经人社部门审核后才能被搜索和预约：{said(reasons)}",
    )
    audit.record(
        "job.held",
        "job",
        job.id,
        {"reasons": reasons},
        actor_id=actor.id if actor else None,
        city=job.city,
    )


def review_on_post(job: Job, actor: User) -> None:
    """A new post: held when a rule of its city says so, else published as it stands."""
    reasons = hold_reasons(job.city, job.title, job.description, job.hourly_wage)
    if reasons:
        hold(job, reasons, actor)


def get_job(job_id: int) -> Job:
    """A job by id (404 if none)."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("job")
    return job


def _reviewer(user: User, city: str | None) -> None:
    """Officials review their own city's posts; admins any city's (``city`` None: all)."""
    if user.role not in ("official", "admin"):
        raise Forbidden("only the officials of the city and admins review job posts")
    if user.role == "official" and user.city != city:
        raise Forbidden("an official reviews the job posts of their own city only")


def queue(user: User, city: str | None, status: str) -> Select[Any]:
    """The posts of a city in ``status`` (held: the queue), oldest first; an official's own
    city unless named."""
    if user.role == "official" and city is None:
        city = user.city
    _reviewer(user, city)
    query = select(Job).where(Job.review_status == status)
    if city is not None:
        query = query.where(Job.city == city)
    return query.order_by(Job.created_at, Job.id)


def decide(user: User, job_id: int, decision: str, reason: str | None) -> Job:
    """Publish a held post, or reject it with a reason (its future shifts and bookings end)."""
    job = get_job(job_id)
    _reviewer(user, job.city)
    if job.review_status == "rejected" or job.cancelled_at is not None:
        raise Conflict("this job post is already rejected or cancelled")
    if decision == "reject" and not reason:
        raise Invalid("a rejection needs a reason", field_error("json", "reason", N_("required")))
    if decision == "publish" and job.review_status == "published":
        raise Conflict("this job post is already published")
    now = clock.now()
    job.reviewed_at, job.review_note = now, reason
    if decision == "publish":
        job.review_status = "published"
        db.session.flush()
        _tell_employer(job, "job_published", f"您发布的岗位「{job.title}」已通过审核，现已发布")
        audit.record(
            "job.published", "job", job.id, {"reason": reason}, actor_id=user.id, city=job.city
        )
        return job
    job.review_status = "rejected"
    _tell_employer(job, "job_rejected", f"您发布的岗位「{job.title}」未通过审核：{reason}")
    ended = [s for s in job.shifts if s.cancelled_at is None and s.starts_at > now]
    for shift in ended:
        shift.cancelled_at = now
    db.session.flush()
    audit.record(
        "job.rejected",
        "job",
        job.id,
        {"reason": reason, "shifts": [shift.id for shift in ended]},
        actor_id=user.id,
        city=job.city,
    )
    events.emit(
        events.SHIFTS_CANCELLED, shifts=ended, actor=user, reason=f"岗位未通过审核：{reason}"
    )
    return job


def report(user: User, job_id: int, reason: str, detail: str) -> JobReport:
    """A worker reports a post, once; the reports of different workers hold it at the city's
    count (its bookings stay until the review decides)."""
    worker = workers.require_profile(user)
    job = get_job(job_id)
    filed = JobReport(
        job_id=job.id, worker_id=worker.id, reason=reason, detail=detail, created_at=clock.now()
    )
    try:
        with db.session.begin_nested():
            db.session.add(filed)
    except IntegrityError:
        raise Conflict("you have already reported this job post") from None
    audit.record(
        "job.reported",
        "job",
        job.id,
        {"report_id": filed.id, "reason": reason},
        actor_id=user.id,
        city=job.city,
    )
    place = catalogue.find(job.city)
    rules = place.job_review if place else None
    reports = (
        db.session.scalar(
            select(func.count()).select_from(JobReport).where(JobReport.job_id == job.id)
        )
        or 0
    )
    if rules is not None and job.review_status == "published" and reports >= rules.reports_to_hold:
        hold(job, [f"{REPORTED}: {reports} 名劳动者举报此岗位"], None)
    return filed
