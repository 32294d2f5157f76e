"""Request and response bodies of policies, evaluations and flags."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.cities import catalogue
from marketplace.common.inputs import Text
from marketplace.common.schemas import Id, Instant, Money, MonthText
from marketplace.subsidies.evaluation import risk
from marketplace.subsidies.models import FLAG_STATUSES
from marketplace.subsidies.rules import programs


class ProgramSchema(ma.Schema):
    """A programme of a policy and its dated parameters."""

    code = fields.String(required=True)
    beneficiary = fields.String(required=True, metadata={"enum": ["platform", "worker"]})
    parameters = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        required=True,
        metadata={
            "description": '{"<name>": {"label", "unit", "values": [{"from": "YYYY-MM-DD", '
            '"value", "article"}]}} — the Chinese name of each parameter, and each value with '
            "the date from which it holds and its article"
        },
    )


VERSION_STATUSES = ("draft", "published", "superseded")


class PolicyVersionSchema(ma.Schema):
    """A version of a policy: its number, where it stands, the SHA-256 of its text, its stamps."""

    policy_id = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(VERSION_STATUSES)})
    city = fields.String(required=True)
    sha256 = fields.String(
        required=True, metadata={"description": "SHA-256 of the file's bytes, hex"}
    )
    created_at = Instant(required=True)
    created_by = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: the file in the code"}
    )
    published_at = Instant(required=True, allow_none=True)
    superseded_at = Instant(required=True, allow_none=True)


class PolicySchema(ma.Schema):
    """A city's subsidy policy, as data: one version of it."""

    id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the version shown"})
    status = fields.String(required=True, metadata={"enum": list(VERSION_STATUSES)})
    city = fields.String(required=True)
    title = fields.String(required=True)
    document_number = fields.String(required=True)
    effective_from = fields.String(required=True, metadata={"format": "date"})
    effective_to = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    programs = fields.List(fields.Nested(ProgramSchema), required=True)
    # The version's stamps: in the answers of an upload and of a publication.
    sha256 = fields.String(metadata={"description": "SHA-256 of the file's bytes, hex"})
    created_at = Instant()
    created_by = fields.Integer(allow_none=True)
    published_at = Instant(allow_none=True)
    superseded_at = Instant(allow_none=True)


class MinimumWageInSchema(ma.Schema):
    """A minimum wage of a city from a date, and the notice that set it."""

    effective_from = fields.Date(required=True)
    monthly = Money(required=True)
    hourly = Money(required=True)
    source = Text(required=True, validate=validate.Length(min=1, max=200))


class AddedMinimumWageSchema(MinimumWageInSchema):
    """A minimum wage of a city, as added."""

    city = fields.String(required=True)


class EvaluationInSchema(ma.Schema):
    """Evaluate every worker of a city as of a day (today when not given)."""

    city = fields.String(required=True, validate=validate.OneOf(catalogue.codes()))
    as_of = fields.Date(load_default=None, allow_none=True)


class EvaluationSchema(ma.Schema):
    """What an evaluation did."""

    evaluated = fields.Integer(required=True, metadata={"description": "workers evaluated"})
    created = fields.Integer(required=True, metadata={"description": "flags created"})
    updated = fields.Integer(required=True, metadata={"description": "pending flags updated"})


class SimulationInSchema(ma.Schema):
    """Simulate a version of a policy as of a day (today in the policy's city when not given)."""

    as_of = fields.Date(load_default=None, allow_none=True)


class SimulatedTotalSchema(ma.Schema):
    """How many flags a version proposes, and their amount (exact)."""

    flags = fields.Integer(required=True)
    amount = Money(required=True)


class ComparedTotalSchema(SimulatedTotalSchema):
    """What the published version of the same policy proposes on the same records and day."""

    version = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: none is published"}
    )


def _totals(what: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Nested(SimulatedTotalSchema),
        required=True,
        metadata={"description": f"the flags and amount by {what}"},
    )


class SimulationSchema(ma.Schema):
    """What a version of a policy proposes on the real records as of a day; nothing is stored."""

    policy_id = fields.String(required=True)
    version = fields.Integer(required=True)
    city = fields.String(required=True)
    as_of = fields.Date(required=True)
    flags = fields.Integer(required=True, metadata={"description": "flags the version proposes"})
    amount = Money(required=True, metadata={"description": "their amount, exact"})
    by_program = _totals("programme code")
    by_month = _totals(
        "month YYYY-MM: the period's end month (a training flag: its completion month)"
    )
    by_district = _totals('the worker\'s district ("" when the profile names none)')
    compared_with_current = fields.Nested(ComparedTotalSchema, required=True)


class FlagQuerySchema(ma.Schema):
    """Filters of the flag list and export."""

    program = fields.String(validate=validate.OneOf(programs.codes()))
    status = fields.String(validate=validate.OneOf(FLAG_STATUSES))
    worker_id = Id()
    policy_id = Text(validate=validate.Length(min=1, max=64))
    city = fields.String(
        validate=validate.OneOf(catalogue.codes()),
        metadata={"description": "admins: one city; officials: only their own"},
    )
    month = MonthText(
        metadata={"description": "flags whose period covers the month (training: completed in it)"}
    )
    risk_signal = fields.String(
        validate=validate.OneOf([*risk.CODES, risk.NO_RISK]),
        metadata={"description": "flags carrying this risk signal; `none`: flags without any"},
    )


class ExportQuerySchema(FlagQuerySchema):
    """The filters, and the file format."""

    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class WorkerFlagSchema(ma.Schema):
    """A flag as its worker sees it: no risk signals."""

    id = fields.Integer()
    worker_id = fields.Integer()
    city = fields.String()
    policy_id = fields.String()
    program = fields.String(metadata={"enum": list(programs.codes())})
    key = fields.String(metadata={"description": "what the flag is for: the month, the record"})
    beneficiary = fields.String(metadata={"enum": ["platform", "worker"]})
    amount = Money(allow_none=True)
    period_start = fields.String(allow_none=True, metadata={"example": "2026-01"})
    period_end = fields.String(allow_none=True, metadata={"example": "2026-06"})
    status = fields.String(metadata={"enum": list(FLAG_STATUSES)})
    evidence = fields.Dict()
    explanation = fields.List(fields.String())
    created_at = Instant()
    updated_at = Instant()
    decided_at = Instant(allow_none=True)
    decided_by = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    policy_version = fields.Integer(
        metadata={"description": "the version of the policy whose proposal the flag holds"}
    )
    disbursed_on = fields.Date(
        allow_none=True, metadata={"description": "the day the approved subsidy was paid"}
    )


class FlagSchema(WorkerFlagSchema):
    """A flag as officials see it, with its risk signals (``"<code>: <说明>"``)."""

    risk_signals = fields.List(fields.String())
    voucher = fields.String(allow_none=True, metadata={"description": "the payment's voucher"})


class DecisionInSchema(ma.Schema):
    """An official's decision on a pending flag."""

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = Text(
        multiline=True,
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "required to reject"},
    )


class DisbursementInSchema(ma.Schema):
    """The payment of an approved flag: the day it was paid and its voucher (凭证号)."""

    paid_on = fields.Date(required=True)
    voucher = Text(required=True, validate=validate.Length(min=1, max=64))


class LedgerQuerySchema(ma.Schema):
    """Whose ledger (an official's own city by default) and which flags."""

    city = fields.String(validate=validate.OneOf(catalogue.codes()))
    program = fields.String(validate=validate.OneOf(programs.codes()))
    month = MonthText(metadata={"description": "flags whose period ends in this month"})


class BucketSchema(ma.Schema):
    """How many flags stand in a bucket, and their amount (exact)."""

    count = fields.Integer(required=True)
    amount = Money(required=True)


class LedgerRowSchema(ma.Schema):
    """One programme, policy and beneficiary: its flags by where they stand now."""

    program = fields.String(required=True, metadata={"enum": list(programs.codes())})
    policy_id = fields.String(required=True)
    beneficiary = fields.String(required=True, metadata={"enum": ["platform", "worker"]})
    pending = fields.Nested(BucketSchema, required=True)
    approved = fields.Nested(
        BucketSchema, required=True, metadata={"description": "approved, not yet disbursed"}
    )
    disbursed = fields.Nested(BucketSchema, required=True)
    rejected = fields.Nested(BucketSchema, required=True)


class LedgerSchema(ma.Schema):
    """The money ledger of a city."""

    city = fields.String(required=True)
    rows = fields.List(fields.Nested(LedgerRowSchema), required=True)


# Examples of the request bodies in the OpenAPI document (each one valid input).
EVALUATION_EXAMPLE = {"city": "wuxi", "as_of": "2026-11-30"}
SIMULATION_EXAMPLE = {"as_of": "2026-11-30"}
DECISION_EXAMPLE = {"decision": "reject", "reason": "核查发现该月收入来自亲属代领，不予认定"}
DISBURSEMENT_EXAMPLE = {"paid_on": "2026-11-20", "voucher": "WX-2026-11-0042"}
MINIMUM_WAGE_EXAMPLE = {
    "effective_from": "2027-01-01",
    "monthly": "2800.00",
    "hourly": "26.50",
    "source": "苏人社规〔2026〕5号",
}


class ThresholdSchema(ma.Schema):
    """The next month a worker must still reach, and the income it needs that month."""

    month = fields.String(metadata={"example": "2026-07"})
    income = fields.String(metadata={"example": "2660.00", "description": "yuan, two decimals"})


class ProgressSchema(ma.Schema):
    """A worker's progress towards one programme of a policy of their city."""

    program = fields.String(metadata={"enum": list(programs.codes())})
    policy_id = fields.String()
    status = fields.String(metadata={"enum": ["flagged", "in_progress", "not_eligible"]})
    met = fields.List(fields.String(), metadata={"description": "what is met, in Chinese"})
    missing = fields.List(
        fields.String(), metadata={"description": "what is still missing, in Chinese"}
    )
    next_threshold = fields.Nested(ThresholdSchema, allow_none=True)
