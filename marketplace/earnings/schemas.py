"""Request and response bodies of earnings, and of the imports of income, premiums and training.

An import body is parsed in two steps: the envelope here (``source``, a list of ``records``), and
each record by its own schema in ``load_records``, so that one bad record is reported at its index
(API.md: ``errors = {"records": [{"index", "message"}, ...]}``) instead of failing the envelope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from werkzeug.datastructures import FileStorage

from marketplace import clock
from marketplace.common.ids import resident_id_check_character
from marketplace.common.inputs import Text
from marketplace.common.months import Month
from marketplace.common.schemas import Instant, Money, MonthText
from marketplace.earnings.models import RESERVED_SOURCES
from marketplace.i18n import N_

MAX_RECORDS = 10_000  # one import request; larger migrations are sent in several
_ID_NUMBER = re.compile(r"\d{17}[\dX]", re.ASCII)
_QUANTITY = re.compile(r"\d{1,6}(\.\d{1,2})?", re.ASCII)
# Messages of the records' own rules (pages that word errors themselves look them up).
FUTURE_MONTH = N_("must not be a month after the current one")
FUTURE_DAY = N_("must not be after today")
ID_FORMAT = N_("must be an 18-character resident ID number")
ID_CHECK = N_("is not a valid resident ID number (check character)")


class PastMonth(MonthText):
    """A month that has begun (city time): income or premiums cannot come from the future."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if Month.parse(text) > Month.of(clock.today()):
            raise ma.ValidationError(FUTURE_MONTH)
        return text


class Quantity(fields.Field):
    """Hours as a JSON number or a decimal string, at most two decimals: ``8``, ``"7.5"``."""

    default_error_messages = {  # noqa: RUF012 — marshmallow's convention
        "invalid": N_("must be a number or a decimal string with at most two decimals"),
    }

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"oneOf": [{"type": "number"}, {"type": "string"}], "example": "7.50"}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.make_error("invalid")
        # A float is read by its shortest repr (7.5 → "7.5"): exact for anything with 2 decimals.
        text = value if isinstance(value, str) else repr(value)
        if not _QUANTITY.fullmatch(text):
            raise self.make_error("invalid")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise self.make_error("invalid") from None


class IdNumber(fields.String):
    """An 18-character resident ID number (a lower-case x is read as X)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        number = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not _ID_NUMBER.fullmatch(number):
            raise ma.ValidationError(ID_FORMAT)
        if resident_id_check_character(number[:17]) != number[17]:
            raise ma.ValidationError(ID_CHECK)
        return number


class EarningRecordSchema(ma.Schema):
    """A month of income a worker earned through the platform before this system."""

    id_number = IdNumber(required=True)
    month = PastMonth(required=True)
    hours = Quantity(required=True, validate=validate.Range(min=0, max=744))
    income = Money(required=True)


class ContributionRecordSchema(ma.Schema):
    """The social-insurance premiums a worker paid for a month as a flexible worker."""

    id_number = IdNumber(required=True)
    month = PastMonth(required=True)
    pension = Money(required=True)
    medical = Money(required=True)


class TrainingRecordSchema(ma.Schema):
    """An online vocational training the platform organised for a worker."""

    id_number = IdNumber(required=True)
    course = Text(required=True, validate=validate.Length(min=1, max=100))
    class_hours = Quantity(required=True, validate=validate.Range(min=0, min_inclusive=False))
    completed_on = fields.Date(required=True)

    @ma.validates("completed_on")
    def not_in_the_future(self, value: Any, **_kwargs: Any) -> None:
        """Training that has not happened yet cannot be imported."""
        if value > clock.today():
            raise ma.ValidationError(FUTURE_DAY)


class Records(fields.List):
    """The ``records`` of an import: documented by their schema, checked one by one later."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return list(value)


def _records(schema: type[ma.Schema]) -> Records:
    return Records(
        fields.Nested(schema),
        required=True,
        validate=validate.Length(min=1, max=MAX_RECORDS),
    )


RESERVED_SOURCE = N_("is reserved for earnings from bookings and their adjustments")


def _source() -> Text:
    return Text(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.NoneOf(RESERVED_SOURCES, error=RESERVED_SOURCE),
        ],
        metadata={"description": "the migration or partner channel the income comes from"},
    )


class EarningsImportSchema(ma.Schema):
    """``POST /earnings/import``: income records of one source."""

    source = _source()
    records = _records(EarningRecordSchema)


class ContributionsImportSchema(ma.Schema):
    """``POST /contributions/import``: premium records."""

    records = _records(ContributionRecordSchema)


class TrainingImportSchema(ma.Schema):
    """``POST /training/import``: training records."""

    records = _records(TrainingRecordSchema)


class UploadedFile(fields.Field):
    """The file of a multipart form (a werkzeug ``FileStorage``), documented as binary."""

    default_error_messages = {"invalid": N_("must be one file")}  # noqa: RUF012 — marshmallow's

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "format": "binary"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


def _file() -> UploadedFile:
    return UploadedFile(
        required=True,
        metadata={
            "description": "CSV (UTF-8, with or without BOM, or GB18030/GBK) or XLSX (first "
            "sheet, formulas read as their values), at most 5 MB and 10000 records. Row 1 holds "
            "the Chinese headers of the template (`GET /api/v1/imports/templates/{kind}.xlsx` "
            "or `.csv`), each later row one record."
        },
    )


class FileFormSchema(ma.Schema):
    """A multipart import: the spreadsheet in ``file`` (any other field is refused)."""

    file = _file()


class EarningsFileFormSchema(FileFormSchema):
    """A multipart income import: the spreadsheet in ``file``, its ``source`` beside it."""

    source = _source()


class ImportResultSchema(ma.Schema):
    """How many records were new and how many replaced an earlier one with the same key."""

    imported = fields.Integer(required=True)
    replaced = fields.Integer(required=True)


@dataclass(frozen=True)
class Unreadable:
    """A cell of a file that stands for no value of its field, and why (a fixed message).

    A file's reader puts it where a cell cannot be turned into what the field takes (an error
    cell of a workbook); ``load_records`` reports it beside the record's other errors.
    """

    message: str


@dataclass(frozen=True)
class RecordProblem:
    """What is wrong with one record of an import, which is found by its index in the request.

    Either ``messages`` (by field, as marshmallow gives them), or ``whole`` (the record as a
    whole), or ``repeats``: the index of an earlier record with the same key, whose fields and
    shown values are ``key`` (a value of None is not shown: the resident ID number).
    """

    index: int
    messages: dict[str, list[str]] = field(default_factory=dict)
    whole: str | None = None
    repeats: int | None = None
    key: tuple[tuple[str, str | None], ...] = ()


NOT_AN_OBJECT = N_("must be an object")


def _listed(messages: Any) -> list[str]:
    return [str(message) for message in messages] if isinstance(messages, list) else [str(messages)]


def load_records(
    schema: ma.Schema, raw: Sequence[Any]
) -> tuple[list[tuple[int, dict[str, Any]]], list[RecordProblem]]:
    """Each record loaded by ``schema``: the valid ones by index, and a problem for each other."""
    valid: list[tuple[int, dict[str, Any]]] = []
    problems: list[RecordProblem] = []
    for index, record in enumerate(raw):
        if not isinstance(record, dict):
            problems.append(RecordProblem(index, whole=NOT_AN_OBJECT))
            continue
        unreadable = {
            name: [value.message] for name, value in record.items() if isinstance(value, Unreadable)
        }
        readable = {name: value for name, value in record.items() if name not in unreadable}
        try:
            # An unreadable cell is reported as itself, not again as a missing field.
            loaded = schema.load(readable, partial=tuple(unreadable))
        except ma.ValidationError as error:
            messages = error.messages if isinstance(error.messages, dict) else {}
            found = {name: _listed(text) for name, text in messages.items()} | unreadable
            # In the schema's order of fields (a template's order of columns), others after.
            order = {name: position for position, name in enumerate(schema.fields)}
            ordered = dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))
            problems.append(RecordProblem(index, ordered))
            continue
        if unreadable:
            problems.append(RecordProblem(index, unreadable))
        else:
            valid.append((index, loaded))
    return valid, problems


class EarningsQuerySchema(ma.Schema):
    """``?month=YYYY-MM`` (optional)."""

    month = MonthText()


class EarningSchema(ma.Schema):
    """A worker's earning: from a booking (``source`` "platform"), an adjustment of one
    (``source`` "adjustment", ``adjusts`` naming it), or imported."""

    id = fields.Integer()
    booking_id = fields.Integer(allow_none=True)
    adjusts = fields.Integer(
        allow_none=True, metadata={"description": "the earning an adjustment corrects"}
    )
    month = fields.String()
    hours = fields.Decimal(as_string=True, places=2)
    amount = Money()
    paid_at = Instant(allow_none=True)
    source = fields.String()


class AlertSchema(ma.Schema):
    """An alert: wages unpaid (``wage_arrears``) or hours never approved
    (``unapproved_timesheet``)."""

    id = fields.Integer()
    type = fields.String(metadata={"enum": ["wage_arrears", "unapproved_timesheet"]})
    booking_id = fields.Integer(allow_none=True)
    earning_id = fields.Integer(allow_none=True)
    worker_id = fields.Integer()
    employer_id = fields.Integer(allow_none=True)
    city = fields.String()
    created_at = Instant()
    resolved_at = Instant(allow_none=True)


class AlertQuerySchema(ma.Schema):
    """Filter alerts."""

    resolved = fields.Boolean()


# Examples of the request bodies in the OpenAPI document (each one valid input).
EARNINGS_IMPORT_EXAMPLE = {
    "source": "旧平台迁移-2025",
    "records": [
        {
            "id_number": "320202199005171220",
            "month": "2025-11",
            "hours": "86.50",
            "income": "2162.50",
        },
        {"id_number": "320213198503083519", "month": "2025-11", "hours": 40, "income": "1000.00"},
    ],
}
CONTRIBUTIONS_IMPORT_EXAMPLE = {
    "records": [
        {
            "id_number": "320202199005171220",
            "month": "2026-10",
            "pension": "614.40",
            "medical": "250.00",
        }
    ]
}
TRAINING_IMPORT_EXAMPLE = {
    "records": [
        {
            "id_number": "320202199005171220",
            "course": "养老护理员（初级）",
            "class_hours": "40",
            "completed_on": "2026-10-20",
        }
    ]
}
