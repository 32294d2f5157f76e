"""Request and response bodies of disputes and cases."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.cities import catalogue
from marketplace.common.inputs import Text
from marketplace.common.schemas import Hours, Id, Instant, Money
from marketplace.disputes.models import CASE_KINDS, DISPUTE_KINDS, DISPUTE_STATES, OUTCOMES
from marketplace.earnings.schemas import EarningSchema


class DisputeInSchema(ma.Schema):
    """A worker's dispute of an approved booking."""

    kind = fields.String(required=True, validate=validate.OneOf(DISPUTE_KINDS))
    claimed_hours = Hours(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=Decimal("0.25"), max=Decimal(24)),
        metadata={"description": "kind hours: the hours worked, more than those recorded"},
    )
    claimed_amount = Money(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=Decimal("0.01"), max=Decimal(100000)),
        metadata={"description": "kind pay: the pay owed in all, more than what was recorded"},
    )
    detail = Text(multiline=True, required=True, validate=validate.Length(min=1, max=1000))


class DisputeAnswerSchema(ma.Schema):
    """The employer side's answer."""

    accept = fields.Boolean(required=True)
    detail = Text(multiline=True, required=True, validate=validate.Length(min=1, max=1000))


class DisputeSchema(ma.Schema):
    """A dispute as its parties and the officials see it."""

    id = fields.Integer()
    booking_id = fields.Integer()
    earning_id = fields.Integer()
    kind = fields.String(metadata={"enum": list(DISPUTE_KINDS)})
    claimed_hours = Hours(allow_none=True)
    claimed_amount = Money(allow_none=True)
    detail = fields.String()
    status = fields.String(metadata={"enum": list(DISPUTE_STATES)})
    opened_at = Instant()
    answer_by = Instant(metadata={"description": "unanswered by then, it goes to the officials"})
    responded_at = Instant(allow_none=True)
    response = fields.String(allow_none=True)
    adjustment_id = fields.Integer(
        allow_none=True, metadata={"description": "the earning recorded when it was accepted"}
    )
    escalated_at = Instant(allow_none=True)


class DisputeQuerySchema(ma.Schema):
    """Filter disputes."""

    status = fields.String(validate=validate.OneOf(DISPUTE_STATES))
    booking_id = Id()


class CaseQuerySchema(ma.Schema):
    """Filter cases (an official: only the own city)."""

    city = fields.String(validate=validate.OneOf(catalogue.codes()))
    status = fields.String(validate=validate.OneOf(["open", "resolved"]))
    kind = fields.String(validate=validate.OneOf(CASE_KINDS))


class CaseNoteInSchema(ma.Schema):
    """A note on a case."""

    text = Text(multiline=True, required=True, validate=validate.Length(min=1, max=2000))


class CaseNoteSchema(ma.Schema):
    """A note as the case's readers see it."""

    id = fields.Integer()
    author_role = fields.String(metadata={"enum": ["official", "worker", "employer", "broker"]})
    text = fields.String()
    created_at = Instant()


class CaseResolveSchema(ma.Schema):
    """An official's decision."""

    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    amount = Money(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=Decimal("0.01"), max=Decimal(100000)),
        metadata={"description": "upheld only: the pay owed on top of what was recorded"},
    )
    reason = Text(multiline=True, required=True, validate=validate.Length(min=1, max=2000))


class CaseSchema(ma.Schema):
    """A complaint case."""

    id = fields.Integer()
    city = fields.String()
    kind = fields.String(metadata={"enum": list(CASE_KINDS)})
    status = fields.String(metadata={"enum": ["open", "resolved"]})
    booking_id = fields.Integer()
    earning_id = fields.Integer(allow_none=True)
    dispute_id = fields.Integer(allow_none=True)
    alert_id = fields.Integer(allow_none=True)
    worker_id = fields.Integer()
    employer_id = fields.Integer()
    opened_at = Instant()
    outcome = fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    amount = Money(allow_none=True)
    reason = fields.String(allow_none=True)
    resolved_at = Instant(allow_none=True)
    adjustment_id = fields.Integer(allow_none=True)


class AttendanceSchema(ma.Schema):
    """The booking's shift and attendance, as a case is decided on it."""

    starts_at = Instant()
    ends_at = Instant()
    checked_in_at = Instant(allow_none=True)
    checked_out_at = Instant(allow_none=True)
    check_in_distance_m = fields.Integer(allow_none=True)
    check_out_distance_m = fields.Integer(allow_none=True)
    approved_hours = Hours(allow_none=True)


class CaseDetailSchema(CaseSchema):
    """A case with its dispute, the booking's attendance, its earnings and the notes."""

    dispute = fields.Nested(DisputeSchema, allow_none=True)
    attendance = fields.Nested(AttendanceSchema)
    earnings = fields.Nested(
        EarningSchema,
        many=True,
        metadata={"description": "the booking's earning and its adjustments"},
    )
    notes = fields.Nested(CaseNoteSchema, many=True)


DISPUTE_EXAMPLE = {
    "kind": "hours",
    "claimed_hours": "8.00",
    "detail": "实际工作到18:00，只核定了6小时",
}
DISPUTE_ANSWER_EXAMPLE = {"accept": True, "detail": "核对监控后确认加班2小时，同意补发"}
CASE_NOTE_EXAMPLE = {"text": "请用工方提供当日考勤记录"}
CASE_RESOLVE_EXAMPLE = {
    "outcome": "upheld",
    "amount": "50.00",
    "reason": "考勤记录显示劳动者工作8小时，用工方只核定6小时，应补发2小时工资",
}
