"""An employer's favourites and blocks (contract v1.1 "Repeat work").

An employer (or a broker it delegated to, naming it) keeps workers it wants again and workers it
will not take again — only workers it knows: those who applied for or accepted one of its
shifts; any other worker is 404, so that the lists cannot probe who exists. A block is a hard
rule wherever the worker meets the employer's shifts: booking and offers (409), candidates,
recommendations, assignment. A favourite is a score component in candidates and assignment.
Every change is an audit event; the worker is never told of a block (a shift simply does not
appear), nor of a favourite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings.models import Block, Booking, Favourite
from marketplace.brokers import delegations
from marketplace.errors import N_, Conflict, NotFound
from marketplace.extensions import db
from marketplace.workers.models import Worker

KINDS: dict[str, Any] = {"favourite": Favourite, "block": Block}


def _known_worker(employer_id: int, worker_id: int) -> Worker:
    """The worker, if it ever applied for or accepted a shift of the employer (404 otherwise)."""
    known = db.session.scalar(
        select(Booking.id)
        .where(
            Booking.employer_id == employer_id,
            Booking.worker_id == worker_id,
            (Booking.confirmed_at.is_not(None)) | (Booking.status.in_(("pending", "rejected"))),
        )
        .limit(1)
    )
    worker = db.session.get(Worker, worker_id) if known else None
    if worker is None:
        raise NotFound(N_("worker"))
    return worker


def put(
    user: User, kind: str, employer_id: int | None, worker_id: int, reason: str | None = None
) -> Any:
    """Add a worker to the employer's favourites or blocks (again: the reason is updated);
    answers the row."""
    acting = delegations.acting_for(user, employer_id, location="query")
    employer = acting.employer
    _known_worker(employer.id, worker_id)
    model = KINDS[kind]
    row: Any = db.session.get(model, (employer.id, worker_id))
    if row is None:
        row = model(employer_id=employer.id, worker_id=worker_id)
        row.created_at = clock.now()
        row.created_by = user.id
        if kind == "block":
            row.reason = reason
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # the same worker added at the same instant
            raise Conflict("this worker was just added; read the list again") from None
    elif kind == "block":
        row.reason = reason
    db.session.flush()
    audit.record(
        f"{kind}.put",
        "worker",
        worker_id,
        {"reason": reason, **acting.audit_data} if kind == "block" else acting.audit_data,
        actor_id=user.id,
        city=employer.city,
    )
    return row


def remove(user: User, kind: str, employer_id: int | None, worker_id: int) -> None:
    """Take a worker off the employer's favourites or blocks (404 when not on it)."""
    acting = delegations.acting_for(user, employer_id, location="query")
    model = KINDS[kind]
    gone = db.session.execute(
        delete(model).where(model.employer_id == acting.employer.id, model.worker_id == worker_id)
    ).rowcount  # type: ignore[attr-defined]
    if not gone:
        raise NotFound(N_("worker"))
    audit.record(
        f"{kind}.removed",
        "worker",
        worker_id,
        acting.audit_data,
        actor_id=user.id,
        city=acting.employer.city,
    )


def listed(user: User, kind: str, employer_id: int | None) -> Select[Any]:
    """The employer's favourites or blocks with each worker's name, newest first."""
    acting = delegations.acting_for(user, employer_id, location="query")
    model = KINDS[kind]
    return (
        select(model, Worker.name)
        .join(Worker, Worker.id == model.worker_id)
        .where(model.employer_id == acting.employer.id)
        .order_by(model.created_at.desc(), model.worker_id)
    )


def is_blocked(employer_id: int, worker_id: int) -> bool:
    """Whether the employer blocked the worker."""
    return db.session.get(Block, (employer_id, worker_id)) is not None


def of_employer(employer_id: int) -> tuple[list[int], list[int]]:
    """The employer's blocked workers and its favourite workers, in one query."""
    rows = db.session.execute(
        union_all(
            select(Block.worker_id, literal(True)).where(Block.employer_id == employer_id),
            select(Favourite.worker_id, literal(False)).where(Favourite.employer_id == employer_id),
        )
    ).all()
    return [w for w, blocked in rows if blocked], [w for w, blocked in rows if not blocked]


def employers_favouring(worker_id: int) -> set[int]:
    """The employers that keep the worker among their favourites."""
    return set(
        db.session.scalars(select(Favourite.employer_id).where(Favourite.worker_id == worker_id))
    )
