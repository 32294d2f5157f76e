"""Group statuses (contract v1.1): the worker declares, an official of the worker's city checks.

A worker's profile dates (失业登记, 就业困难人员认定, 毕业) declare a status of that group: a PUT
declares it, re-dates it or, with null, withdraws it — while it is only declared. Once an
official has verified or rejected it, it is the office's: a PUT that would change its date is
refused (409). Officials verify (perhaps correcting the dates, with the certificate's reference),
reject (with a reason) or end a status; each is an audit event and the worker is evaluated again.

The profile's date columns are what the rules, matching's priority and the statistics read: the
start of a status that holds (declared or verified), none for a rejected one. The profile the
worker reads shows the status's own start, rejected or not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.common import guards
from marketplace.common.months import Month
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.workers.models import GROUP_OF_FIELD, GroupStatus, Worker

FIELD_OF_GROUP = {group: field for field, group in GROUP_OF_FIELD.items()}
NAMES = {"unemployed": "失业登记", "difficulty": "就业困难人员认定", "graduate": "高校毕业"}
# The same names as the API's messages give them: msgids, translated to ``NAMES``.
LABELS = {
    "unemployed": N_("unemployment registration"),
    "difficulty": N_("employment difficulty recognition"),
    "graduate": N_("college graduation"),
}


class _Decided(Conflict):
    """409: the office decided the status; its group is named in the reader's language."""

    translated_params = ("group",)


def statuses_of(worker_id: int) -> list[GroupStatus]:
    """The worker's statuses, in the groups' order."""
    found = db.session.scalars(select(GroupStatus).where(GroupStatus.worker_id == worker_id))
    order = {group: n for n, group in enumerate(FIELD_OF_GROUP)}
    return sorted(found, key=lambda status: order[status.group])


def declared_dates(worker_id: int) -> dict[str, date]:
    """What the worker's profile shows of each group: its status's start, held or rejected."""
    return {FIELD_OF_GROUP[s.group]: s.started_on for s in statuses_of(worker_id)}


def check_declarations(worker: Worker | None, data: dict[str, Any]) -> None:
    """Refuse (409, nothing changed) a profile that would re-date a status the office decided."""
    if worker is None or worker.id is None:
        return
    for status in statuses_of(worker.id):
        field = FIELD_OF_GROUP[status.group]
        if status.status != "declared" and data[field] != status.started_on:
            since = status.started_on.isoformat()
            if status.status == "verified":
                message = N_(
                    "the %(group)s status was verified by an official (since %(since)s) and "
                    "cannot be changed in the profile; to correct it, contact the human "
                    "resources and social security office of your city"
                )
                problem = field_error("json", field, "verified: %(since)s", since=since)
            else:
                message = N_(
                    "the %(group)s status was rejected by an official (since %(since)s) and "
                    "cannot be changed in the profile; to correct it, contact the human "
                    "resources and social security office of your city"
                )
                problem = field_error("json", field, "rejected: %(since)s", since=since)
            raise _Decided(message, problem, group=LABELS[status.group], since=since)


def declare(worker: Worker, data: dict[str, Any]) -> None:
    """Make the worker's declared statuses follow the profile's dates; set what the rules read.

    Called after ``check_declarations`` passed: a decided status keeps its dates.
    """
    now = clock.now()
    current = {status.group: status for status in statuses_of(worker.id)}
    for field, group in GROUP_OF_FIELD.items():
        day = data[field]
        status = current.get(group)
        if status is None and day is not None:
            status = GroupStatus(
                worker_id=worker.id, group=group, started_on=day, created_at=now, updated_at=now
            )
            status.status = "declared"
            db.session.add(status)
        elif status is not None and status.status == "declared":
            if day is None:
                db.session.delete(status)  # withdrawn
                status = None
            elif day != status.started_on:
                status.started_on, status.updated_at = day, now
        _hold(worker, group, status)
    db.session.flush()


def _hold(worker: Worker, group: str, status: GroupStatus | None) -> None:
    """Copy what the status holds to the worker's row: its start and end, or none if rejected."""
    held = status if status is not None and status.holds else None
    setattr(worker, FIELD_OF_GROUP[group], held.started_on if held else None)
    setattr(worker, f"{group}_ends_on", held.ended_on if held else None)


def held_in(group: str, month: Month) -> ColumnElement[bool]:
    """SQL over ``Worker``: the worker's status of ``group`` holds in ``month`` — started by the
    month's last day and not ended before its first (the rules' ``WorkerFacts.holds``)."""
    start = getattr(Worker, FIELD_OF_GROUP[group])
    end = getattr(Worker, f"{group}_ends_on")
    return and_(start <= month.last_day, or_(end.is_(None), end >= month.first_day))


def _decided(user: User, status_id: int) -> tuple[GroupStatus, Worker]:
    status = db.session.scalar(
        select(GroupStatus).where(GroupStatus.id == status_id).with_for_update()
    )
    worker = db.session.get(Worker, status.worker_id) if status is not None else None
    guards.official_of_city(
        user,
        worker.city if worker else None,
        N_("only an official of the worker's city may check a group status"),
        N_("group status"),
    )
    assert status is not None and worker is not None
    return status, worker


def _changed(
    user: User, status: GroupStatus, worker: Worker, verb: str, data: dict[str, Any]
) -> None:
    """Record an official's change: the columns the rules read, the audit event, a new
    evaluation of the worker (through the catalogue's event)."""
    field = FIELD_OF_GROUP[status.group]
    old = getattr(worker, field)
    _hold(worker, status.group, status)
    status.decided_by, status.decided_at = user.id, clock.now()
    status.updated_at = status.decided_at
    db.session.flush()
    audit.record(
        f"group_status.{verb}",
        "group_status",
        status.id,
        {"worker_id": worker.id, "group": status.group, **data},
        actor_id=user.id,
        city=worker.city,
    )
    new = getattr(worker, field)
    changes = {field: [_text(old), _text(new)]} if old != new else {}
    events.emit(events.WORKER_GROUPS_CHANGED, worker=worker, changes=changes)


def _text(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _check_dates(worker: Worker, started_on: date, ended_on: date | None) -> None:
    today = catalogue.today_in(worker.city)
    if started_on > today:
        raise Invalid(
            "the start date cannot be after today",
            field_error("json", "started_on", "after today (%(today)s)", today=today.isoformat()),
        )
    if ended_on is not None and ended_on < started_on:
        raise Invalid(
            "the end date cannot be before the start date",
            field_error("json", "ended_on", "before the start date"),
        )


def verify(user: User, status_id: int, data: dict[str, Any]) -> GroupStatus:
    """Verify a status, perhaps correcting its dates and noting the certificate's reference."""
    status, worker = _decided(user, status_id)
    started_on = data.get("started_on") or status.started_on
    ended_on = data.get("ended_on", status.ended_on)
    _check_dates(worker, started_on, ended_on)
    status.status = "verified"
    status.started_on, status.ended_on = started_on, ended_on
    if data.get("reference") is not None:
        status.reference = data["reference"]
    status.reason = None
    _changed(
        user,
        status,
        worker,
        "verified",
        {
            "started_on": started_on.isoformat(),
            "ended_on": _text(ended_on),
            "reference": status.reference,
        },
    )
    return status


def reject(user: User, status_id: int, reason: str) -> GroupStatus:
    """Reject a status, with the reason: it never holds again unless verified later."""
    status, worker = _decided(user, status_id)
    status.status = "rejected"
    status.reason = reason
    _changed(user, status, worker, "rejected", {"reason": reason})
    return status


def end(user: User, status_id: int, ended_on: date) -> GroupStatus:
    """End a status on ``ended_on`` (e.g. the unemployment registration was cancelled)."""
    status, worker = _decided(user, status_id)
    if status.status == "rejected":
        raise Conflict("a rejected group status cannot be ended")
    _check_dates(worker, status.started_on, ended_on)
    if ended_on > catalogue.today_in(worker.city):
        raise Invalid(
            "the end date cannot be after today", field_error("json", "ended_on", "after today")
        )
    status.ended_on = ended_on
    _changed(user, status, worker, "ended", {"ended_on": ended_on.isoformat()})
    return status


def readable_worker(user: User, worker_id: int) -> Worker:
    """A worker whose statuses ``user`` may read: an official of its city, or an admin."""
    worker = db.session.get(Worker, worker_id)
    if user.role not in ("official", "admin"):
        raise Forbidden(
            "only officials of the human resources and social security offices and the "
            "platform's admins may see group statuses"
        )
    if worker is None or (user.role == "official" and user.city != worker.city):
        raise NotFound("worker")
    return worker
