"""Imports of income, premiums and training records (admin): all records or none.

Each import resolves every record's ID number to a worker profile in one query (by the keyed
hash), refuses the whole request when any record is malformed, names no worker, or repeats a key
of an earlier record, and otherwise writes every record — replacing a stored record with the same
key, never adding a second. Each stored record keeps its origin (``source`` for income,
``recorded_by`` and ``recorded_at`` for all), each write is an audit event, and the workers
touched are announced so that the subsidy hooks evaluate them again at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.earnings.models import Contribution, Earning, TrainingRecord
from marketplace.earnings.schemas import (
    ContributionRecordSchema,
    EarningRecordSchema,
    TrainingRecordSchema,
    load_records,
)
from marketplace.errors import Conflict, Invalid, Message
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.workers.services import WorkerRef, workers_by_id_numbers

T = TypeVar("T")


@dataclass(frozen=True)
class ImportResult:
    """``{"imported": new records, "replaced": records that replaced one with the same key}``."""

    imported: int
    replaced: int


@dataclass(frozen=True)
class _Record:
    index: int
    data: dict[str, Any]
    worker: WorkerRef


def _resolve(
    schema: ma.Schema,
    raw: Sequence[Any],
    key_of: Callable[[dict[str, Any], int], Hashable],
    describe: Callable[[dict[str, Any]], str],
) -> list[_Record]:
    """The records with their workers, or Invalid naming every bad record by its index."""
    valid, errors = load_records(schema, raw)
    workers = workers_by_id_numbers(data["id_number"] for _, data in valid)
    first_at: dict[Hashable, int] = {}
    records = []
    for index, data in valid:
        worker = workers.get(data["id_number"])
        if worker is None:
            errors.append({"index": index, "message": N_("id_number: no worker profile has it")})
            continue
        key = key_of(data, worker.id)
        if key in first_at:
            errors.append(
                {
                    "index": index,
                    "message": Message(
                        "repeats the key %(key)s of record %(record)s",
                        key=describe(data),
                        record=first_at[key],
                    ),
                }
            )
            continue
        first_at[key] = index
        records.append(_Record(index, data, worker))
    if errors:
        errors.sort(key=lambda error: error["index"])
        raise Invalid(
            "%(invalid)s of %(records)s records are invalid; nothing was imported",
            {"records": errors},
            invalid=len(errors),
            records=len(raw),
        )
    return records


def _flush() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The keys were unique a moment ago: a concurrent import of the same records won.
        raise Conflict("a concurrent import wrote the same records; send it again") from None


def _existing(model: Any, records: list[_Record], *conditions: Any) -> list[Any]:
    worker_ids = sorted({record.worker.id for record in records})
    return list(
        db.session.scalars(select(model).where(model.worker_id.in_(worker_ids), *conditions))
    )


def _write(
    user: User,
    records: list[_Record],
    stored: Mapping[Any, T],
    key_of: Callable[[_Record], Hashable],
    create: Callable[[_Record], T],
    apply: Callable[[T, _Record], None],
    values: Callable[[T], dict[str, Any]],
    entity: str,
    event: events.Event,
) -> ImportResult:
    """Replace or add each record, record the audit events, announce the workers touched."""
    now = clock.now()
    written: list[tuple[_Record, Any, dict[str, Any] | None]] = []
    for record in records:
        row = stored.get(key_of(record))
        previous = None
        if row is None:
            row = create(record)
            db.session.add(row)
        else:
            previous = values(row)
        apply(row, record)
        row.recorded_at = now  # type: ignore[attr-defined]
        row.recorded_by = user.id  # type: ignore[attr-defined]
        written.append((record, row, previous))
    _flush()
    audit.record_many(
        [
            audit.Entry(
                f"{entity}.imported",
                entity,
                row.id,
                {
                    "worker_id": record.worker.id,
                    **_shown(values(row)),
                    "replaced": previous is not None,
                    "previous": previous and _shown(previous),
                },
                actor_id=user.id,
                city=record.worker.city,
            )
            for record, row, previous in written
        ]
    )
    events.emit(event, worker_ids=sorted({record.worker.id for record in records}))
    replaced = sum(previous is not None for _, _, previous in written)
    return ImportResult(imported=len(written) - replaced, replaced=replaced)


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    return {name: None if value is None else str(value) for name, value in values.items()}


def import_earnings(user: User, source: str, raw: Sequence[Any]) -> ImportResult:
    """Import months of income of ``source``; key (source, id_number, month)."""
    records = _resolve(
        EarningRecordSchema(),
        raw,
        lambda data, worker_id: (worker_id, data["month"]),
        lambda data: f"(id_number, month {data['month']})",
    )
    stored = {
        (row.worker_id, row.month): row
        for row in _existing(
            Earning, records, Earning.booking_id.is_(None), Earning.source == source
        )
    }

    def apply(earning: Earning, record: _Record) -> None:
        earning.hours, earning.amount = record.data["hours"], record.data["income"]

    return _write(
        user,
        records,
        stored,
        lambda record: (record.worker.id, record.data["month"]),
        lambda record: Earning(
            worker_id=record.worker.id, source=source, month=record.data["month"]
        ),
        apply,
        lambda row: {
            "source": row.source,
            "month": row.month,
            "hours": row.hours,
            "amount": row.amount,
        },
        "earning",
        events.EARNINGS_IMPORTED,
    )


def import_contributions(user: User, raw: Sequence[Any]) -> ImportResult:
    """Import months of social-insurance premiums; key (id_number, month)."""
    records = _resolve(
        ContributionRecordSchema(),
        raw,
        lambda data, worker_id: (worker_id, data["month"]),
        lambda data: f"(id_number, month {data['month']})",
    )
    stored = {(row.worker_id, row.month): row for row in _existing(Contribution, records)}

    def apply(row: Contribution, record: _Record) -> None:
        row.pension, row.medical = record.data["pension"], record.data["medical"]

    return _write(
        user,
        records,
        stored,
        lambda record: (record.worker.id, record.data["month"]),
        lambda record: Contribution(worker_id=record.worker.id, month=record.data["month"]),
        apply,
        lambda row: {"month": row.month, "pension": row.pension, "medical": row.medical},
        "contribution",
        events.CONTRIBUTIONS_IMPORTED,
    )


def import_training(user: User, raw: Sequence[Any]) -> ImportResult:
    """Import training records; key (id_number, course, completed_on)."""

    def key(data: dict[str, Any], worker_id: int) -> Hashable:
        return (worker_id, data["course"], data["completed_on"])

    records = _resolve(
        TrainingRecordSchema(),
        raw,
        key,
        lambda data: f"(id_number, course {data['course']}, completed_on {data['completed_on']})",
    )
    stored = {
        (row.worker_id, row.course, row.completed_on): row
        for row in _existing(TrainingRecord, records)
    }

    def apply(row: TrainingRecord, record: _Record) -> None:
        row.class_hours = record.data["class_hours"]

    return _write(
        user,
        records,
        stored,
        lambda record: key(record.data, record.worker.id),
        lambda record: TrainingRecord(
            worker_id=record.worker.id,
            course=record.data["course"],
            completed_on=record.data["completed_on"],
        ),
        apply,
        lambda row: {
            "course": row.course,
            "completed_on": row.completed_on,
            "class_hours": row.class_hours,
        },
        "training",
        events.TRAINING_IMPORTED,
    )
