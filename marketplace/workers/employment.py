"""Employment registration by commitment (就业登记承诺制: 无锡 第十条; 西宁 第十八条).

A worker registers their employment on their own commitment that it is true: registered at
once, checked later. An official of the worker's city may revoke a registration (with the
reason); the worker ends it when the work ends. Each is an audit event and a change of the
worker's facts (西宁's social-insurance subsidy rests on it), so the worker is evaluated again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.common import guards
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.workers.models import EmploymentRegistration, Worker


def _record(
    registration: EmploymentRegistration, worker: Worker, verb: str, actor: User, **data: Any
) -> None:
    audit.record(
        f"employment_registration.{verb}",
        "employment_registration",
        registration.id,
        {"worker_id": worker.id, "form": registration.form, **data},
        actor_id=actor.id,
        city=worker.city,
    )
    events.emit(events.WORKER_GROUPS_CHANGED, worker=worker, changes={})


def register(user: User, worker: Worker, data: dict[str, Any]) -> EmploymentRegistration:
    """Register the caller's employment on their commitment (``commitment`` must be true)."""
    if data.get("commitment") is not True:
        raise Invalid(
            "an employment registration needs your commitment that what you state is true",
            field_error("json", "commitment", "must be true (your commitment)"),
        )
    today = catalogue.today_in(worker.city)
    if data["started_on"] > today:
        raise Invalid(
            "the employment cannot start after today",
            field_error("json", "started_on", "after today (%(today)s)", today=today.isoformat()),
        )
    employer_id = data.get("employer_id")
    if (data["form"] == "employed") != (employer_id is not None):
        raise Invalid(
            "employment by an employer names the employer; the other forms name none",
            field_error("json", "employer_id", "required when employed, not given otherwise"),
        )
    now = clock.now()
    registration = EmploymentRegistration(
        worker_id=worker.id,
        form=data["form"],
        started_on=data["started_on"],
        employer_id=employer_id,
        status="registered",
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(registration)  # an unknown employer: the foreign key refuses it
    except IntegrityError:
        raise Invalid(
            "no such employer", field_error("json", "employer_id", "no employer has this id")
        ) from None
    _record(registration, worker, "registered", user, started_on=data["started_on"].isoformat())
    return registration


def mine(worker: Worker) -> list[EmploymentRegistration]:
    """The worker's registrations, newest first."""
    query = (
        select(EmploymentRegistration)
        .where(EmploymentRegistration.worker_id == worker.id)
        .order_by(EmploymentRegistration.started_on.desc(), EmploymentRegistration.id.desc())
    )
    return list(db.session.scalars(query))


def end_mine(
    user: User, worker: Worker, registration_id: int, ended_on: date
) -> EmploymentRegistration:
    """End one of the caller's registrations on ``ended_on`` (the work ended)."""
    registration = db.session.get(EmploymentRegistration, registration_id)
    if registration is None or registration.worker_id != worker.id:
        raise NotFound("employment registration")
    if registration.status != "registered":
        raise Conflict("a revoked employment registration cannot be ended")
    if ended_on < registration.started_on or ended_on > catalogue.today_in(worker.city):
        raise Invalid(
            "the end date must lie between the start date and today",
            field_error(
                "json",
                "ended_on",
                "must lie between %(start)s and today",
                start=registration.started_on.isoformat(),
            ),
        )
    registration.ended_on = ended_on
    registration.updated_at = clock.now()
    db.session.flush()
    _record(registration, worker, "ended", user, ended_on=ended_on.isoformat())
    return registration


def revoke(user: User, registration_id: int, reason: str) -> EmploymentRegistration:
    """Revoke a registration of a worker of the official's city, with the reason."""
    registration = db.session.get(EmploymentRegistration, registration_id)
    worker = db.session.get(Worker, registration.worker_id) if registration else None
    guards.official_of_city(
        user,
        worker.city if worker else None,
        N_("only an official of the worker's city may revoke an employment registration"),
        N_("employment registration"),
    )
    assert registration is not None and worker is not None
    if registration.status == "revoked":
        raise Conflict("this employment registration is already revoked")
    registration.status = "revoked"
    registration.reason = reason
    registration.revoked_by, registration.revoked_at = user.id, clock.now()
    registration.updated_at = registration.revoked_at
    db.session.flush()
    _record(registration, worker, "revoked", user, reason=reason)
    return registration


def of_city(user: User, city: str | None, status: str | None) -> Select[Any]:
    """The registrations of a city's workers (an official's own city; admins name one)."""
    if user.role == "official":
        if city is not None and city != user.city:
            raise Forbidden("officials see the employment registrations of their own city only")
        city = user.city
    if city is None:
        raise Invalid("name a city", field_error("query", "city", "required"))
    query = (
        select(EmploymentRegistration)
        .join(Worker, Worker.id == EmploymentRegistration.worker_id)
        .where(Worker.city == city)
    )
    if status is not None:
        query = query.where(EmploymentRegistration.status == status)
    return query.order_by(EmploymentRegistration.id)
