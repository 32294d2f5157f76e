"""Editing posted work (contract v1.1 "Editing work"): a job's text, wage and injury cover, a
shift's headcount, and cancelling one shift.

The employer or a broker it delegated to edits. Workers already booked keep what they agreed to
(their agreements are fixed; see ``bookings.agreements``): the wage only goes up and the injury
cover is never taken away once a shift has bookings, a headcount never drops below the places held
(the database decides, in one UPDATE) and a raised one fills from the shift's waitlist first
(through ``events.PLACES_FREED``), and a cancelled shift's bookings are cancelled and their
workers told (through ``events.SHIFTS_CANCELLED``). Every change is an audit event.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.brokers import delegations
from marketplace.brokers.delegations import Acting
from marketplace.cities import catalogue
from marketplace.database import execute_core
from marketplace.errors import Conflict, Forbidden
from marketplace.extensions import db
from marketplace.jobs import cover
from marketplace.jobs.models import Job, JobSkill, Shift
from marketplace.jobs.services import get_job, get_shift, minimum_wage_problem, refuse

EDITABLE = ("title", "description", "address", "required_skills", "hourly_wage", "injury_cover")


def _acting(user: User, employer_id: int) -> Acting:
    acting = delegations.may_act_for(user, employer_id)
    if acting is None:
        raise Forbidden("only the employer itself or a broker it delegated to may change this")
    return acting


def _has_bookings(job: Job) -> bool:
    return any(shift.booked > 0 for shift in job.shifts)


def edit_job(user: User, job_id: int, data: dict[str, Any]) -> Job:
    """Change a job's title, description, address, skills, wage or injury cover (only the given
    fields).

    The wage only rises once any of its shifts has bookings (409); a new wage must reach the
    minimum wage on each future shift's day (422). A new injury cover must still be valid today
    (422); once booked, it may be renewed or extended, not withdrawn or ended earlier (409).
    """
    job = get_job(job_id)
    acting = _acting(user, job.employer_id)
    if job.cancelled_at is not None:
        raise Conflict("a cancelled job cannot be changed")
    changes: dict[str, list[Any]] = {}
    wage: Decimal | None = data.get("hourly_wage")
    if wage is not None and wage != job.hourly_wage:
        if wage < job.hourly_wage and _has_bookings(job):
            raise Conflict(
                "workers have already booked: the hourly wage may only be raised, not lowered"
            )
        city = catalogue.find(job.city)
        assert city is not None
        future = [s for s in job.shifts if s.cancelled_at is None and s.starts_at > clock.now()]
        problem = minimum_wage_problem(city, wage, [s.starts_at for s in future])
        if problem is not None:
            raise refuse("hourly_wage", problem[1])
        changes["hourly_wage"] = [str(job.hourly_wage), str(wage)]
        job.hourly_wage = wage
    for name in ("title", "description", "address"):
        if name in data and data[name] != getattr(job, name):
            changes[name] = [getattr(job, name), data[name]]
            setattr(job, name, data[name])
    if "injury_cover" in data:
        _change_cover(job, data["injury_cover"], changes)
    if "required_skills" in data:
        skills = sorted(set(data["required_skills"]))
        if skills != job.required_skills:
            changes["required_skills"] = [job.required_skills, skills]
            job.skill_rows = [JobSkill(skill=skill) for skill in skills]
    if changes:
        db.session.flush()
        audit.record(
            "job.updated",
            "job",
            job.id,
            {**acting.audit_data, "changes": changes},
            actor_id=user.id,
            city=job.city,
        )
        events.emit(events.JOB_CHANGED, job=job, changes=changes)
    return job


def _change_cover(job: Job, new: dict[str, Any] | None, changes: dict[str, list[Any]]) -> None:
    before = job.injury_cover
    if new == before:
        return
    cover.check_new(new, job.city)
    cover.check_change(before, new, _has_bookings(job))
    # The audit keeps both covers as the API writes them (dates as text).
    changes["injury_cover"] = [_shown(before), _shown(new)]
    for name, value in cover.columns(new).items():
        setattr(job, name, value)


def _shown(found: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if found is None else {**found, "valid_to": found["valid_to"].isoformat()}


def set_headcount(user: User, shift_id: int, headcount: int) -> Shift:
    """Change a shift's headcount; never below the places held (409, decided by the database)."""
    shift = get_shift(shift_id)
    acting = _acting(user, shift.job.employer_id)
    if shift.cancelled_at is not None:
        raise Conflict("the headcount of a cancelled shift cannot be changed")
    before = shift.headcount
    changed = execute_core(
        update(Shift)
        .where(Shift.id == shift_id, Shift.booked <= headcount, Shift.cancelled_at.is_(None))
        .values(headcount=headcount)
    )
    if changed.rowcount != 1:
        held = db.session.scalar(select(Shift.booked).where(Shift.id == shift_id))
        raise Conflict(
            "%(held)s places of this shift are taken: the headcount cannot be less than %(held)s",
            held=held,
        )
    db.session.expire(shift, ["headcount", "booked"])
    audit.record(
        "shift.updated",
        "shift",
        shift.id,
        {**acting.audit_data, "changes": {"headcount": [before, headcount]}},
        actor_id=user.id,
        city=shift.job.city,
    )
    if headcount > before:
        # New places go to the shift's waitlist first, in this transaction (bookings hear it).
        events.emit(events.PLACES_FREED, shift_id=shift.id)
    return shift


def cancel_shift(user: User, shift_id: int, reason: str) -> Shift:
    """Cancel one shift that has not started, and through it its bookings (workers told)."""
    shift = get_shift(shift_id)
    acting = _acting(user, shift.job.employer_id)
    if shift.cancelled_at is not None:
        raise Conflict("this shift is already cancelled")
    now = clock.now()
    if shift.starts_at <= now:
        raise Conflict("the shift has started and cannot be cancelled")
    shift.cancelled_at = now
    db.session.flush()
    audit.record(
        "shift.cancelled",
        "shift",
        shift.id,
        {**acting.audit_data, "reason": reason},
        actor_id=user.id,
        city=shift.job.city,
    )
    events.emit(events.SHIFTS_CANCELLED, shifts=[shift], actor=user, reason=reason)
    return shift
