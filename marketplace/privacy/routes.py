"""HTTP endpoints of personal information rights (个人信息保护法 第四十五、四十七条)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields

from marketplace.auth.services import WrongPassword
from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.common.schemas import Instant
from marketplace.database import writes_on_read
from marketplace.extensions import db
from marketplace.privacy import services

blp = Blueprint(
    "privacy", __name__, url_prefix="/api/v1/users/me", description="Personal information rights"
)


class PersonalDataSchema(ma.Schema):
    """Everything the platform holds of the caller (the parts that apply to its role)."""

    exported_at = fields.String(required=True)
    account = fields.Dict(required=True)
    worker = fields.Dict(metadata={"description": "the profile, as the worker itself sees it"})
    group_changes = fields.List(fields.Dict())
    bookings = fields.List(fields.Dict())
    agreements = fields.List(
        fields.Dict(), metadata={"description": "the agreements accepted, text and parties"}
    )
    waitlists = fields.List(
        fields.Dict(), metadata={"description": "the shifts the worker waits for, and since when"}
    )
    earnings = fields.List(fields.Dict())
    contributions = fields.List(fields.Dict())
    training = fields.List(fields.Dict())
    subsidy_flags = fields.List(fields.Dict())
    employer = fields.Dict()
    broker = fields.Dict()
    delegations = fields.List(fields.Dict())
    jobs_posted = fields.List(fields.Dict())
    ratings_given = fields.List(fields.Dict(), required=True)
    ratings_received = fields.List(fields.Dict())
    notifications = fields.List(fields.Dict(), required=True)


class CloseInSchema(ma.Schema):
    """The caller's password, to close the account."""

    password = fields.String(required=True, load_only=True)


CLOSE_EXAMPLE = {"password": "qingshan-lu-42"}


class ClosedSchema(ma.Schema):
    """A closed account."""

    id = fields.Integer(required=True)
    closed_at = Instant(required=True)


@blp.route("/export")
class MyData(MethodView):
    """A copy of the caller's data."""

    @auth_required()
    @writes_on_read  # the export is an audit event
    @blp.response(200, PersonalDataSchema)
    def get(self):
        """Export all of my data as JSON (个人信息保护法 第四十五条); the export is audited.

        Any signed-in user. Everything the platform holds of the caller, in the parts that
        apply to its role: the account; a worker's profile, group changes, bookings, earnings,
        premiums, training and subsidy flags; an employer's or broker's profile, delegations
        and jobs posted; ratings given and received, and notifications. The export is an audit
        event.
        """
        return services.export(current_user())


@blp.route("/close")
class CloseAccount(MethodView):
    """Closing the caller's account."""

    @auth_required()
    @blp.arguments(CloseInSchema, example=CLOSE_EXAMPLE)
    @blp.response(200, ClosedSchema)
    @blp.errors(403, 409, 429)
    def post(self, body: dict[str, Any]):
        """Close my account (第四十七条): sign-in ends and personal fields are erased.

        Workers, employers and brokers (403 for officials and admins, whose accounts the
        platform's admins close). The password is checked like a sign-in. Open offers are
        declined; a worker's name, home, skills and availability are erased; delegations end;
        every token is revoked and the phone erased, so nobody signs in again. Earnings, flags,
        bookings, ratings and audit events stay, linked to the closed account, for the records
        the law and the subsidy audit keep. 409: work is still under way — a booking not
        finished or cancelled, an open shift of the employer's, a booking not settled. 422: a
        wrong password (it counts as a failed sign-in). 429: too many failed sign-ins for
        this phone or from this address; the password was not checked.
        """
        try:
            return services.close(current_user(), body["password"])
        except WrongPassword:
            # The failed password check is this request's only change, and the sign-in
            # throttle depends on it: commit it although the request fails.
            db.session.commit()
            raise
