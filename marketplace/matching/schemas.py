"""Request and response bodies of matching."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.bookings.schemas import PersonSchema
from marketplace.common.schemas import Id
from marketplace.jobs.schemas import ShiftDetailSchema


class LimitSchema(ma.Schema):
    """``limit``: v1's name of ``per_page``, kept as its alias (``page`` / ``per_page`` page the
    list like every other, with ``X-Pagination``)."""

    class Meta:
        unknown = ma.EXCLUDE  # page and per_page are the paging's

    limit = fields.Integer(
        validate=validate.Range(min=1, max=100),
        metadata={"description": "the same as per_page (v1); per_page wins when both are given"},
    )


class ComponentsSchema(ma.Schema):
    """The score's components, each in [0, 1]."""

    distance = fields.Float()
    skills = fields.Float()
    reliability = fields.Float()
    rating = fields.Float()
    priority = fields.Float()
    favourite = fields.Float(
        metadata={"description": "1 when the shift's employer keeps the worker as a favourite"}
    )


class CandidateSchema(PersonSchema):
    """A worker who can take the shift."""

    worker_id = fields.Integer()
    rank = fields.Integer(metadata={"description": "1 = best; the order applies every component"})
    score = fields.Float(
        metadata={"description": "the shift's employer and brokers: without the priority"}
    )
    distance_km = fields.Float(
        metadata={"description": "the shift's employer and brokers: rounded up to 0.5 km"}
    )
    components = fields.Nested(
        ComponentsSchema,
        metadata={"description": "the shift's employer and brokers: no priority"},
    )


class RecommendedComponentsSchema(ComponentsSchema):
    """The components of a worker's own match: the candidates' and ``runway``."""

    runway = fields.Float(
        metadata={
            "description": "the share of the income I still need this month for a subsidy that "
            "the shift's pay covers (0: none pending); never shown to employers"
        }
    )


class RecommendedShiftSchema(ShiftDetailSchema):
    """A shift the worker can take, with the match."""

    shift_id = fields.Integer()
    score = fields.Float()
    components = fields.Nested(RecommendedComponentsSchema)


class AssignmentRequestSchema(ma.Schema):
    """Shifts to fill at once."""

    shift_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=5000))
    commit = fields.Boolean(load_default=False)
    time_limit_s = fields.Float(
        load_default=10.0,
        validate=validate.Range(min=0.1, max=60),
        metadata={"description": "how long the solver may search for the optimal plan (seconds)"},
    )


class PlacementSchema(PersonSchema):
    """A worker for one place of a shift."""

    shift_id = fields.Integer()
    worker_id = fields.Integer()
    score = fields.Float()


class AssignmentSchema(PlacementSchema):
    """One place filled."""

    booking_id = fields.Integer(
        allow_none=True,
        metadata={"description": "committed: the offer made to the worker (null if refused)"},
    )


class NotBookedSchema(PlacementSchema):
    """A planned place that could not be offered on commit, and why."""

    reason = fields.String()


class AssignmentResultSchema(ma.Schema):
    """The plan."""

    assignments = fields.List(fields.Nested(AssignmentSchema))
    unfilled = fields.Dict(keys=fields.String(), values=fields.Integer())
    total_score = fields.Float()
    exact = fields.Boolean(
        metadata={"description": "false when long candidate lists were cut before solving"}
    )
    optimal = fields.Boolean(
        metadata={
            "description": "the solver proved the plan optimal (most places, then the best "
            "total score) within time_limit_s; false: the best it found in the time"
        }
    )
    committed = fields.Boolean()
    not_booked = fields.List(fields.Nested(NotBookedSchema))


# Examples of the request bodies in the OpenAPI document (each one valid input).
ASSIGNMENT_EXAMPLE = {"shift_ids": [101, 102, 103], "commit": False, "time_limit_s": 10.0}
