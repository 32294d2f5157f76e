"""Imports of income, premiums and training records (admin): all records or none.

Each import resolves every record's ID number to a worker profile in one query (by the keyed
hash), refuses the whole request when any record is malformed, names no worker, or repeats a key
of an earlier record, and otherwise writes every record — replacing a stored record with the same
key, never adding a second. Each stored record keeps its origin (``source`` for income,
``recorded_by`` and ``recorded_at`` for all), each write is an audit event, and the workers
touched are announced so that the subsidy hooks evaluate them again at once.

The records come from a JSON body or from a spreadsheet (``files``), through the same rules. An
error names a JSON record by its index, and a file's record by its row as the spreadsheet shows
it (the header is row 1) with the file's column headers for the fields (``FileRows``).
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
    RecordProblem,
    TrainingRecordSchema,
    load_records,
)
from marketplace.errors import Conflict, Invalid
from marketplace.extensions import db
from marketplace.i18n import N_, translate, translate_errors
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


# The key of each import, its first field the worker's ID number (income's source is the request's).
EARNING_KEY = ("id_number", "month")
CONTRIBUTION_KEY = ("id_number", "month")
TRAINING_KEY = ("id_number", "course", "completed_on")
NO_WORKER = N_("no worker profile has it")


@dataclass(frozen=True)
class FileRows:
    """Where the records of a file stand in it: each record's row number (the header is row 1),
    and the file's column header of each field — what the person who filled it in sees."""

    numbers: Sequence[int]
    headers: Mapping[str, str]


class RecordsInvalid(Invalid):
    """Some records are invalid, so none was imported: 422 naming each bad record.

    ``errors`` is ``{"records": [{"index", "message"}, ...]}`` for a JSON body and
    ``{"records": [{"row", "message"}, ...]}`` for a file, each message in the request's
    language; ``problems`` keeps what was found, for pages that word it themselves.
    """

    def __init__(self, problems: list[RecordProblem], total: int, rows: FileRows | None) -> None:
        template = (
            N_("%(invalid)s of %(total)s records are invalid; nothing was imported")
            if rows is None
            else N_("%(invalid)s of %(total)s rows are invalid; nothing was imported")
        )
        super().__init__(
            template,
            {"records": [_entry(problem, rows) for problem in problems]},
            invalid=len(problems),
            total=total,
        )
        self.problems = problems
        self.rows = rows


def _entry(problem: RecordProblem, rows: FileRows | None) -> dict[str, Any]:
    if rows is None:
        return {
            "index": problem.index,
            "message": _described(
                problem,
                lambda name: name,
                lambda index: translate(N_("record %(index)s"), {"index": index}),
            ),
        }
    return {
        "row": rows.numbers[problem.index],
        "message": _described(
            problem,
            lambda name: rows.headers.get(name, name),
            lambda index: translate(N_("row %(row)s"), {"row": rows.numbers[index]}),
        ),
    }


def _described(
    problem: RecordProblem, name: Callable[[str], str], record: Callable[[int], str]
) -> str:
    """One record's problem in a line, in the request's language (the line itself is no msgid:
    its parts are)."""
    if problem.whole is not None:
        return str(translate_errors(problem.whole))
    if problem.repeats is not None:
        shown = ", ".join(
            name(field) if value is None else f"{name(field)} {value}"
            for field, value in problem.key
        )
        return translate(
            N_("repeats the key (%(key)s) of %(record)s"),
            {"key": shown, "record": record(problem.repeats)},
        )
    return "; ".join(
        f"{name(field)}: {' '.join(translate_errors(messages))}"
        for field, messages in problem.messages.items()
    )


def _key(data: dict[str, Any], worker_id: int, fields: tuple[str, ...]) -> Hashable:
    return (worker_id, *(data[field] for field in fields[1:]))


def _resolve(
    schema: ma.Schema, raw: Sequence[Any], key_fields: tuple[str, ...], rows: FileRows | None
) -> list[_Record]:
    """The records with their workers, or RecordsInvalid naming every bad record."""
    if rows is not None and len(rows.numbers) != len(raw):
        raise ValueError("a file's records and their row numbers differ in number")
    valid, problems = load_records(schema, raw)
    workers = workers_by_id_numbers(data["id_number"] for _, data in valid)
    first_at: dict[Hashable, int] = {}
    records = []
    for index, data in valid:
        worker = workers.get(data["id_number"])
        if worker is None:
            problems.append(RecordProblem(index, {"id_number": [NO_WORKER]}))
            continue
        key = _key(data, worker.id, key_fields)
        if key in first_at:
            shown = tuple(
                (field, None if field == "id_number" else str(data[field])) for field in key_fields
            )
            problems.append(RecordProblem(index, repeats=first_at[key], key=shown))
            continue
        first_at[key] = index
        records.append(_Record(index, data, worker))
    if problems:
        problems.sort(key=lambda problem: problem.index)
        raise RecordsInvalid(problems, len(raw), rows)
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


def import_earnings(
    user: User, source: str, raw: Sequence[Any], rows: FileRows | None = None
) -> ImportResult:
    """Import months of income of ``source``; key (source, id_number, month).

    ``rows`` when the records come from a file: errors then name its rows and columns.
    """
    records = _resolve(EarningRecordSchema(), raw, EARNING_KEY, rows)
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
        lambda record: _key(record.data, record.worker.id, EARNING_KEY),
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


def import_contributions(
    user: User, raw: Sequence[Any], rows: FileRows | None = None
) -> ImportResult:
    """Import months of social-insurance premiums; key (id_number, month)."""
    records = _resolve(ContributionRecordSchema(), raw, CONTRIBUTION_KEY, rows)
    stored = {(row.worker_id, row.month): row for row in _existing(Contribution, records)}

    def apply(row: Contribution, record: _Record) -> None:
        row.pension, row.medical = record.data["pension"], record.data["medical"]

    return _write(
        user,
        records,
        stored,
        lambda record: _key(record.data, record.worker.id, CONTRIBUTION_KEY),
        lambda record: Contribution(worker_id=record.worker.id, month=record.data["month"]),
        apply,
        lambda row: {"month": row.month, "pension": row.pension, "medical": row.medical},
        "contribution",
        events.CONTRIBUTIONS_IMPORTED,
    )


def import_training(user: User, raw: Sequence[Any], rows: FileRows | None = None) -> ImportResult:
    """Import training records; key (id_number, course, completed_on)."""
    records = _resolve(TrainingRecordSchema(), raw, TRAINING_KEY, rows)
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
        lambda record: _key(record.data, record.worker.id, TRAINING_KEY),
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
