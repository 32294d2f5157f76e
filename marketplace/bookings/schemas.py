"""Request and response bodies of bookings, attendance, pay and ratings."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.bookings.models import AGREEMENT_KINDS, CHECKOUT_SOURCES, STATUSES
from marketplace.common.inputs import Text
from marketplace.common.schemas import Hours, Id, Instant, OwnListQuerySchema


class BookingSchema(ma.Schema):
    """A booking as the API shows it."""

    id = fields.Integer()
    shift_id = fields.Integer()
    worker_id = fields.Integer()
    employer_id = fields.Integer()
    status = fields.String(metadata={"enum": list(STATUSES)})
    starts_at = Instant()
    ends_at = Instant()
    created_at = Instant()
    confirmed_at = Instant(allow_none=True)
    checked_in_at = Instant(allow_none=True)
    check_in_distance_m = fields.Float(allow_none=True)
    checked_out_at = Instant(allow_none=True)
    checkout_adjusted = fields.Boolean(
        metadata={
            "description": "the check-out came more than 2 h after the shift's end (or before "
            "the check-in) and is recorded at the shift's end"
        }
    )
    checkout_distance_m = fields.Float(
        attribute="check_out_distance_m",
        allow_none=True,
        metadata={"description": "how far from the workplace the worker checked out (metres)"},
    )
    checkout_source = fields.String(
        allow_none=True,
        metadata={
            # OpenAPI 3.0 lists null among the values of a nullable enum.
            "enum": [*CHECKOUT_SOURCES, None],
            "description": "who closed the attendance: the worker, the scheduled job at the "
            "shift's end (auto) or the employer's side (employer); null until checked out",
        },
    )
    attendance_reason = fields.String(
        allow_none=True,
        metadata={"description": "why the employer's side recorded the attendance"},
    )
    ended_at = Instant(allow_none=True)
    end_reason = fields.String(allow_none=True)
    late_cancel = fields.Boolean()
    approved_hours = fields.Decimal(as_string=True, places=2, allow_none=True)
    offered_by = fields.Integer(
        allow_none=True, metadata={"description": "an offer: the user id that made it"}
    )
    expires_at = Instant(
        allow_none=True,
        metadata={"description": "an offer: when it lapses unless the worker accepts it"},
    )
    # By name: the earnings' schema (the earnings domain comes after the bookings').
    earning = fields.Nested("EarningSchema", allow_none=True, attribute="earning_if_completed")


class BookingQuerySchema(ma.Schema):
    """Filter bookings by status."""

    status = fields.String(validate=validate.OneOf(STATUSES))


class OwnBookingsQuerySchema(OwnListQuerySchema, BookingQuerySchema):
    """Which bookings of the employer's side: by status, by day, by shift."""


class AttendanceInSchema(ma.Schema):
    """The attendance the employer's side records for a shift that has ended."""

    checked_in_at = Instant(required=True)
    checked_out_at = Instant(required=True)
    reason = Text(required=True, validate=validate.Length(min=1, max=500))


class ReasonSchema(ma.Schema):
    """Why (required to cancel)."""

    reason = Text(multiline=True, required=True, validate=validate.Length(min=1, max=500))


class OptionalReasonSchema(ma.Schema):
    """Why (optional)."""

    reason = Text(
        multiline=True, load_default=None, allow_none=True, validate=validate.Length(max=500)
    )


class PositionSchema(ma.Schema):
    """Where the worker is."""

    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class ApproveSchema(ma.Schema):
    """Hours to pay; by default the checked-in time rounded to the quarter hour."""

    hours = Hours()


class PaidSchema(ma.Schema):
    """When the wage was paid (default now)."""

    paid_at = Instant(load_default=None, allow_none=True)


class RatingInSchema(ma.Schema):
    """Stars for the other side of a completed booking."""

    stars = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = Text(multiline=True, load_default="", validate=validate.Length(max=500))


class RatingSchema(ma.Schema):
    """A rating given."""

    id = fields.Integer()
    booking_id = fields.Integer()
    direction = fields.String()
    stars = fields.Integer()
    comment = fields.String()
    created_at = Instant()


class AgreementWorkerSchema(ma.Schema):
    """The worker as the agreement names them: the ID number masked, as every reader sees it."""

    id = fields.Integer()
    name = fields.String()
    id_number = fields.String(metadata={"example": "3202************3X"})


class AgreementEmployerSchema(ma.Schema):
    """The employer (用工单位) as the agreement names it."""

    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()


class AgreementBrokerSchema(ma.Schema):
    """The dispatching broker (劳务派遣单位) of a dispatch agreement, with its licence."""

    id = fields.Integer()
    name = fields.String()
    licence_number = fields.String(
        metadata={"description": "劳务派遣经营许可证 number, as it stood at acceptance"}
    )


class AgreementPartiesSchema(ma.Schema):
    """Who agreed, as they stood at acceptance."""

    worker = fields.Nested(AgreementWorkerSchema)
    employer = fields.Nested(AgreementEmployerSchema)
    broker = fields.Nested(
        AgreementBrokerSchema,
        allow_none=True,
        metadata={"description": "dispatch only: the broker that dispatches the worker"},
    )


class AgreementSchema(ma.Schema):
    """The agreement a worker accepted for a booking, fixed at acceptance."""

    booking_id = fields.Integer()
    kind = fields.String(
        metadata={
            "enum": list(AGREEMENT_KINDS),
            "description": "the job's employment type the agreement was made for: part_time "
            "非全日制用工协议, full_time 劳动合同, dispatch 劳务派遣协议, outsourcing 劳务协议",
        }
    )
    title = fields.String(metadata={"description": "the agreement's name in Chinese"})
    text = fields.String(
        metadata={"description": "the agreement in Chinese, as the worker accepted it"}
    )
    sha256 = fields.String(metadata={"description": "SHA-256 of the text's UTF-8 bytes (hex)"})
    accepted_at = Instant()
    parties = fields.Nested(AgreementPartiesSchema)


# Examples of the request bodies in the OpenAPI document (each one valid input).
DECLINE_EXAMPLE = {"reason": "那天另有安排"}
REJECT_BOOKING_EXAMPLE = {"reason": "已招满有经验的保洁员"}
CANCEL_BOOKING_EXAMPLE = {"reason": "家中有急事，无法到岗"}
CHECK_IN_EXAMPLE = {"lat": 31.5743, "lon": 120.2985}
CHECK_OUT_EXAMPLE = {"lat": 31.5739, "lon": 120.2981}
ATTENDANCE_EXAMPLE = {
    "checked_in_at": "2026-12-01T07:55:00+08:00",
    "checked_out_at": "2026-12-01T12:04:00+08:00",
    "reason": "劳动者手机没电，未能签到签退，班组长确认全程在岗",
}
RATING_EXAMPLE = {"stars": 5, "comment": "准时到岗，干活仔细"}
APPROVE_EXAMPLE = {"hours": "3.75"}
PAID_EXAMPLE = {"paid_at": "2026-12-03T18:00:00+08:00"}


class EmployerNamedSchema(ma.Schema):
    """Which employer's list (brokers name it; employers need not)."""

    employer_id = Id(metadata={"description": "brokers: the employer they act for"})


class BlockInSchema(ma.Schema):
    """Why the employer will not take the worker again (kept for its own records)."""

    reason = Text(multiline=True, required=True, validate=validate.Length(min=1, max=500))


class FavouriteSchema(ma.Schema):
    """A worker on the employer's favourites."""

    worker_id = fields.Integer()
    name = fields.String(metadata={"description": "the worker's name (known to the employer)"})
    created_at = Instant()


class BlockSchema(FavouriteSchema):
    """A worker on the employer's blocks."""

    reason = fields.String()


BLOCK_EXAMPLE = {"reason": "上次班次中私自带走客户物品"}


class InvitationInSchema(ma.Schema):
    """Whom to invite to an invited-only job."""

    worker_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=500))
    favourites = fields.Boolean(
        load_default=False, metadata={"description": "invite every favourite of the employer too"}
    )


class SkippedInvitationSchema(ma.Schema):
    """A worker not invited, and why."""

    worker_id = fields.Integer()
    reason = fields.String(
        metadata={
            "enum": ["unknown", "blocked", "already_invited"],
            "description": "unknown: no open worker account of the job's city has this id",
        }
    )


class InvitationResultSchema(ma.Schema):
    """Who was invited and who was not."""

    invited = fields.List(fields.Integer())
    skipped = fields.Nested(SkippedInvitationSchema, many=True)


INVITATION_EXAMPLE = {"worker_ids": [101, 102], "favourites": True}


class CrewInSchema(ma.Schema):
    """The workers to offer every future shift of the job."""

    worker_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=50))


class CrewPlaceSchema(ma.Schema):
    """A place offered."""

    shift_id = fields.Integer()
    worker_id = fields.Integer()
    booking_id = fields.Integer()


class CrewSkipSchema(ma.Schema):
    """A place not offered, and why."""

    shift_id = fields.Integer(allow_none=True, metadata={"description": "null: unknown worker"})
    worker_id = fields.Integer()
    reason = fields.String(
        metadata={
            "enum": [
                "unknown",
                "full",
                "cancelled",
                "started",
                "held",
                "blocked",
                "not_invited",
                "already_booked",
                "overlap",
                "skills",
                "part_time_limit",
                "too_late",
                "not_bookable",
            ]
        }
    )
    message = fields.String(allow_none=True, metadata={"description": "the reason in words"})


class CrewResultSchema(ma.Schema):
    """What a crew offer did."""

    booked = fields.Nested(CrewPlaceSchema, many=True)
    skipped = fields.Nested(CrewSkipSchema, many=True)


CREW_EXAMPLE = {"worker_ids": [101, 102, 103]}


class PersonSchema(ma.Schema):
    """Who a worker is, as the employer's side sees it: beside a match (candidates, plans) or on
    a waitlist (``bookings.people``)."""

    display_name = fields.String(metadata={"description": "surname and *: 王*"})
    name = fields.String(
        allow_none=True,
        metadata={"description": "the full name, once the worker has a booking with the employer"},
    )
    skills = fields.List(fields.String())
    rating = fields.Float(allow_none=True, metadata={"description": "mean stars, 1–5"})
    reliability = fields.Float(allow_none=True)
    completed_shifts = fields.Integer()


class WaitlistEntrySchema(ma.Schema):
    """The worker's place on a shift's waitlist."""

    shift_id = fields.Integer()
    position = fields.Integer(metadata={"description": "the worker's turn, from 1 (next)"})
    joined_at = Instant()


class OwnWaitlistSchema(WaitlistEntrySchema):
    """One of the worker's own waitlists, with its shift."""

    job_id = fields.Integer()
    title = fields.String(metadata={"description": "the job's title"})
    starts_at = Instant()
    ends_at = Instant()


class WaitingWorkerSchema(PersonSchema):
    """A worker waiting for a place on the shift, as its employer side sees it (no home, the
    full name only once known, as among the candidates)."""

    position = fields.Integer(metadata={"description": "the worker's turn, from 1 (next)"})
    worker_id = fields.Integer()
    joined_at = Instant()
