"""Request and response bodies of jobs, shifts and shift search."""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.cities import catalogue
from marketplace.common.inputs import Text
from marketplace.common.schemas import Id, Instant, LocationSchema, Money, OwnListQuerySchema
from marketplace.errors import N_
from marketplace.jobs.lists import JOB_STATES
from marketplace.jobs.models import AUDIENCES, EMPLOYMENT_TYPES, REPORT_REASONS, REVIEW_STATES
from marketplace.jobs.series import RepeatInSchema, RepeatSchema
from marketplace.workers import skills
from marketplace.workers.schemas import check_district, skill_list

MAX_SHIFTS_PER_JOB = 100
MAX_SHIFT_HOURS = 12


class ShiftInSchema(ma.Schema):
    """One shift of a new job."""

    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    headcount = fields.Integer(required=True, validate=validate.Range(min=1, max=500))


class InjuryCoverSchema(ma.Schema):
    """A job's 职业伤害保障 (无锡 第八条): who insures the work, the policy, its last day."""

    insurer = Text(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"example": "中国人民财产保险股份有限公司无锡市分公司"},
    )
    policy_number = Text(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"example": "PEAC202632020000000123"},
    )
    valid_to = fields.Date(
        required=True,
        # Dates of this century, as the instants the API takes (an absurd year is 422).
        validate=validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31)),
        metadata={"description": "the last day the policy covers (a day of the job's city)"},
    )


def injury_cover_field(
    description: str = "职业伤害保障: the insurer, policy number and last day of the cover, or "
    "null when the job states none",
    **kwargs: Any,
) -> fields.Nested:
    """The ``injury_cover`` of a job: an ``InjuryCoverSchema`` or null (no cover stated)."""
    return fields.Nested(
        InjuryCoverSchema, allow_none=True, metadata={"description": description}, **kwargs
    )


class JobInSchema(ma.Schema):
    """A new job with its shifts."""

    employer_id = Id(
        load_default=None, metadata={"description": "brokers: the employer they act for"}
    )
    audience = fields.String(
        load_default="public",
        validate=validate.OneOf(AUDIENCES),
        metadata={
            "description": "public, or invited: only the workers invited to the job "
            "(POST /jobs/{id}/invitations) see, are recommended and may book its shifts"
        },
    )
    title = Text(required=True, validate=validate.Length(min=1, max=100))
    description = Text(multiline=True, load_default="", validate=validate.Length(max=2000))
    category = Text(
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"example": "保洁绿化"},
    )
    employment_type = fields.String(required=True, validate=validate.OneOf(EMPLOYMENT_TYPES))
    hourly_wage = Money(required=True)
    required_skills = skill_list(20, load_default=list)
    requires_approval = fields.Boolean(load_default=False)
    city = fields.String(required=True, validate=validate.OneOf(catalogue.codes()))
    district = Text(load_default=None, allow_none=True)
    address = Text(required=True, validate=validate.Length(min=1, max=200))
    location = fields.Nested(LocationSchema, required=True)
    injury_cover = injury_cover_field(load_default=None)
    shifts = fields.List(
        fields.Nested(ShiftInSchema),
        load_default=list,
        validate=validate.Length(max=MAX_SHIFTS_PER_JOB),
        metadata={
            "description": "the shifts, each given; with ``repeat`` too, or left out for a "
            "series alone. At least one shift in all and at most 100"
        },
    )
    repeat = fields.Nested(
        RepeatInSchema,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "a series: one shift on each matching day from tomorrow (city time) "
            "through ``until``, beside the given ``shifts`` (at most 100 shifts in all). Each "
            "is checked as a given shift (in the future, at most 12 hours, the wage at least "
            "the city's hourly minimum wage on its day); one that fails makes the whole post "
            "422, naming ``repeat`` and its day. The job keeps the rule (``repeat``)"
        },
    )

    @ma.validates_schema
    def check_district(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The district belongs to the city."""
        check_district(data)

    @ma.validates_schema
    def check_some_shifts(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A job has shifts: given, made by a series, or both."""
        if not data.get("shifts") and data.get("repeat") is None:
            raise ma.ValidationError(
                N_("give the shifts, a repeat rule that makes them, or both"), "shifts"
            )


class ShiftSchema(ma.Schema):
    """A shift as the API shows it."""

    id = fields.Integer()
    job_id = fields.Integer()
    starts_at = Instant()
    ends_at = Instant()
    headcount = fields.Integer()
    booked = fields.Integer()
    status = fields.String(metadata={"enum": ["open", "full", "cancelled", "finished"]})
    injury_covered = fields.Boolean(
        metadata={
            "description": "the job states an injury cover (职业伤害保障) valid on the shift's "
            "day (city time)"
        }
    )


class JobSchema(ma.Schema):
    """A job with its shifts."""

    id = fields.Integer()
    employer_id = fields.Integer()
    posted_by = fields.Integer(metadata={"description": "the user id that posted it"})
    broker_id = fields.Integer(allow_none=True)
    title = fields.String()
    description = fields.String()
    category = fields.String()
    employment_type = fields.String()
    hourly_wage = Money()
    required_skills = fields.List(fields.String())
    requires_approval = fields.Boolean()
    audience = fields.String(metadata={"enum": list(AUDIENCES)})
    city = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String()
    location = fields.Nested(LocationSchema)
    injury_cover = injury_cover_field()
    cancelled_at = Instant(allow_none=True)
    review_status = fields.String(
        metadata={
            "enum": list(REVIEW_STATES),
            "description": "held: a review rule holds the post (in no search, not bookable) "
            "until an official publishes or rejects it",
        }
    )
    review_reasons = fields.List(
        fields.String(), metadata={"description": 'why it was held, each "<rule>: <说明>"'}
    )
    repeat = fields.Nested(
        RepeatSchema,
        allow_none=True,
        metadata={"description": "the series rule the job was posted with, or null"},
    )
    shifts = fields.List(fields.Nested(ShiftSchema))


class ShiftDetailSchema(ShiftSchema):
    """A shift with what a worker needs to know of its job."""

    title = fields.String()
    category = fields.String()
    employment_type = fields.String()
    hourly_wage = Money()
    required_skills = fields.List(fields.String())
    requires_approval = fields.Boolean()
    employer_id = fields.Integer()
    city = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String()
    location = fields.Nested(LocationSchema)
    distance_km = fields.Float(metadata={"description": "only when searching around a point"})


class ShiftSearchSchema(ma.Schema):
    """Filters of the open-shift search."""

    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(
        validate=validate.Range(min=0.1, max=200), metadata={"description": "default 10"}
    )
    category = Text(validate=validate.Length(min=1, max=50))
    skill = fields.String(validate=validate.OneOf(list(skills.SKILLS)))
    min_wage = Money()
    starts_after = Instant()
    starts_before = Instant()
    city = fields.String(validate=validate.OneOf(catalogue.codes()))

    @ma.validates_schema
    def check_point(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """A point needs both coordinates; a radius needs a point."""
        if ("lat" in data) != ("lon" in data):
            raise ma.ValidationError(
                "give lat and lon together", "lat" if "lat" not in data else "lon"
            )
        if "radius_km" in data and "lat" not in data:
            raise ma.ValidationError("a radius needs lat and lon", "radius_km")


class OwnJobsQuerySchema(OwnListQuerySchema):
    """Which of the employer's side's own jobs: active or cancelled, by day, by shift."""

    status = fields.String(validate=validate.OneOf(JOB_STATES))


class JobPatchSchema(ma.Schema):
    """The fields of a job its employer may change; only those given change."""

    title = Text(validate=validate.Length(min=1, max=100))
    description = Text(multiline=True, validate=validate.Length(max=2000))
    address = Text(validate=validate.Length(min=1, max=200))
    required_skills = skill_list(20)
    hourly_wage = Money(
        metadata={"description": "only upwards once a shift of the job has bookings (409)"}
    )
    injury_cover = injury_cover_field(
        "a new cover, or null to withdraw it; once a shift of the job has bookings it may be "
        "renewed or extended, not withdrawn or ended earlier (409)"
    )


class ShiftPatchSchema(ma.Schema):
    """A shift's new headcount: never below the places held (409)."""

    headcount = fields.Integer(required=True, validate=validate.Range(min=1, max=500))


class ShiftCancelSchema(ma.Schema):
    """Why the shift is cancelled: its workers are told."""

    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class SkillSchema(ma.Schema):
    """A skill of the catalogue."""

    code = fields.String(metadata={"example": "elderly_care"})
    name = fields.String(metadata={"example": "养老护理"})


# Examples of the request bodies in the OpenAPI document (each one valid input).
JOB_EXAMPLE: dict[str, Any] = {
    "title": "商场保洁",
    "description": "日常保洁，自带工作服",
    "category": "保洁绿化",
    "employment_type": "part_time",
    "hourly_wage": "30.00",
    "required_skills": ["cleaning"],
    "requires_approval": False,
    "city": "wuxi",
    "district": "梁溪区",
    "address": "无锡市梁溪区人民中路139号",
    "location": {"lat": 31.5741, "lon": 120.2983},
    "injury_cover": {
        "insurer": "中国人民财产保险股份有限公司无锡市分公司",
        "policy_number": "PEAC202632020000000123",
        "valid_to": "2027-12-31",
    },
    "shifts": [
        {
            "starts_at": "2027-03-01T08:00:00+08:00",
            "ends_at": "2027-03-01T12:00:00+08:00",
            "headcount": 2,
        },
        {
            "starts_at": "2027-03-02T08:00:00+08:00",
            "ends_at": "2027-03-02T12:00:00+08:00",
            "headcount": 2,
        },
    ],
    # A series beside the given shifts: Monday, Wednesday and Friday evenings to the month's end.
    "repeat": {
        "weekdays": [0, 2, 4],
        "until": "2027-03-31",
        "starts": "18:00",
        "ends": "22:00",
        "headcount": 2,
    },
}
JOB_PATCH_EXAMPLE: dict[str, Any] = {
    "hourly_wage": "32.00",
    "description": "日常保洁，工作服由商场提供",
    "injury_cover": {
        "insurer": "中国人民财产保险股份有限公司无锡市分公司",
        "policy_number": "PEAC202632020000000456",
        "valid_to": "2028-06-30",
    },
}
SHIFT_CANCEL_EXAMPLE = {"reason": "商场临时闭店检修"}
SHIFT_PATCH_EXAMPLE = {"headcount": 4}


class JobReviewInSchema(ma.Schema):
    """An official's decision on a held post."""

    decision = fields.String(required=True, validate=validate.OneOf(["publish", "reject"]))
    reason = Text(
        multiline=True,
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "required to reject; the employer and the workers read it"},
    )


class ReviewQuerySchema(ma.Schema):
    """Which posts: a city's (an official's own by default) in a review status."""

    city = fields.String(validate=validate.OneOf(catalogue.codes()))
    status = fields.String(load_default="held", validate=validate.OneOf(REVIEW_STATES))


class JobReportInSchema(ma.Schema):
    """A worker's report of a post."""

    reason = fields.String(required=True, validate=validate.OneOf(REPORT_REASONS))
    detail = Text(multiline=True, load_default="", validate=validate.Length(max=1000))


class JobReportSchema(ma.Schema):
    """A report as its worker sees it."""

    id = fields.Integer()
    job_id = fields.Integer()
    reason = fields.String(metadata={"enum": list(REPORT_REASONS)})
    detail = fields.String()
    created_at = Instant()


JOB_REVIEW_EXAMPLE = {"decision": "reject", "reason": "岗位要求劳动者缴纳押金，违反规定"}
JOB_REPORT_EXAMPLE = {"reason": "fee", "detail": "面试时要求先交300元服装费"}
