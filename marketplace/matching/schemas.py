"""Request and response bodies of matching."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.common.schemas import Id
from marketplace.jobs.schemas import ShiftDetailSchema


class LimitSchema(ma.Schema):
    """How many to return."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ComponentsSchema(ma.Schema):
    """The score's components, each in [0, 1]."""

    distance = fields.Float()
    skills = fields.Float()
    reliability = fields.Float()
    rating = fields.Float()
    priority = fields.Float()


class CandidateSchema(ma.Schema):
    """A worker who can take the shift."""

    worker_id = fields.Integer()
    score = fields.Float()
    distance_km = fields.Float()
    components = fields.Nested(ComponentsSchema)


class RecommendedShiftSchema(ShiftDetailSchema):
    """A shift the worker can take, with the match."""

    shift_id = fields.Integer()
    score = fields.Float()
    components = fields.Nested(ComponentsSchema)


class AssignmentRequestSchema(ma.Schema):
    """Shifts to fill at once."""

    shift_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=5000))
    commit = fields.Boolean(load_default=False)


class AssignmentSchema(ma.Schema):
    """One place filled."""

    shift_id = fields.Integer()
    worker_id = fields.Integer()
    score = fields.Float()


class NotBookedSchema(AssignmentSchema):
    """A planned place that could not be booked on commit, and why."""

    reason = fields.String()


class AssignmentResultSchema(ma.Schema):
    """The plan."""

    assignments = fields.List(fields.Nested(AssignmentSchema))
    unfilled = fields.Dict(keys=fields.String(), values=fields.Integer())
    total_score = fields.Float()
    exact = fields.Boolean(
        metadata={"description": "false when long candidate lists were cut before solving"}
    )
    committed = fields.Boolean()
    not_booked = fields.List(fields.Nested(NotBookedSchema))
