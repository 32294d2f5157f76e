"""HTTP endpoints of disputes and complaint cases (contract v1.1 "Disputes and complaint cases")."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.disputes import cases, services
from marketplace.disputes.schemas import (
    CASE_NOTE_EXAMPLE,
    CASE_RESOLVE_EXAMPLE,
    DISPUTE_ANSWER_EXAMPLE,
    DISPUTE_EXAMPLE,
    CaseDetailSchema,
    CaseNoteInSchema,
    CaseNoteSchema,
    CaseQuerySchema,
    CaseResolveSchema,
    CaseSchema,
    DisputeAnswerSchema,
    DisputeInSchema,
    DisputeQuerySchema,
    DisputeSchema,
)

blp = Blueprint(
    "disputes",
    __name__,
    url_prefix="/api/v1",
    description="Disputes of approved pay, and the complaint cases the officials decide",
)


@blp.route("/bookings/<int:booking_id>/disputes")
class BookingDisputes(MethodView):
    """A worker disputes an approved booking."""

    @blp.doc(tags=["disputes"])
    @auth_required("worker")
    @blp.arguments(DisputeInSchema, example=DISPUTE_EXAMPLE)
    @blp.response(201, DisputeSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Dispute my approved booking's hours or pay.

        The booking's worker (403 for every other role), within 7 days after the approval.
        ``kind`` ``hours`` names ``claimed_hours`` (more than the hours recorded), ``pay``
        names ``claimed_amount`` (more than the pay recorded, adjustments included), ``other``
        neither. The employer's side is told and has 3 days to answer; then the dispute goes
        to the officials. Audit ``dispute.opened``. 404: not my booking. 409: not approved
        (yet), the 7 days are over, or a dispute of the booking is open or with the
        officials. 422: a claim that does not fit its kind or asks for no more than recorded.
        """
        return services.open_dispute(current_user(), booking_id, body), 201


@blp.route("/disputes")
class Disputes(MethodView):
    """The disputes I may see."""

    @blp.doc(tags=["disputes"])
    @auth_required()
    @blp.arguments(DisputeQuerySchema, location="query")
    @blp.response(200, DisputeSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List the disputes I may see.

        A worker their own, an employer its shifts', a broker those of the employers it acts
        for, an official their city's, an admin all; filtered by ``status`` and
        ``booking_id``. Newest first, paged. 422: an unknown status.
        """
        return page_of(services.visible(current_user(), filters), pagination_parameters)


@blp.route("/disputes/<int:dispute_id>")
class OneDispute(MethodView):
    """One dispute."""

    @blp.doc(tags=["disputes"])
    @auth_required()
    @blp.response(200, DisputeSchema)
    @blp.errors(404)
    def get(self, dispute_id: int):
        """Read a dispute.

        Its worker, its employer's side, the officials of its city, admins. 404: no such
        dispute, or one the caller may not see.
        """
        return services.get(current_user(), dispute_id)


@blp.route("/disputes/<int:dispute_id>/respond")
class DisputeAnswer(MethodView):
    """The employer's side answers a dispute."""

    @blp.doc(tags=["disputes"])
    @auth_required("employer", "broker")
    @blp.arguments(DisputeAnswerSchema, example=DISPUTE_ANSWER_EXAMPLE)
    @blp.response(200, DisputeSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], dispute_id: int):
        """Accept or refuse a dispute.

        The shift's employer or a broker it delegated to (403 for every other role).
        Accepting a dispute of hours or pay records an adjustment — a new earning of the
        difference (``source`` "adjustment", ``adjusts`` the booking's earning; the original
        never changes), which counts as income at once — and resolves the dispute; refusing
        escalates it to a case for the officials of the city. The worker is told. Audit
        ``dispute.resolved`` or ``dispute.escalated``. 404: not a dispute of my shifts. 409:
        the dispute is no longer open, or the booking's pay already reaches the claim.
        """
        return services.respond(current_user(), dispute_id, body["accept"], body["detail"])


@blp.route("/cases")
class Cases(MethodView):
    """Complaint cases."""

    @blp.doc(tags=["disputes"])
    @auth_required()
    @blp.arguments(CaseQuerySchema, location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List complaint cases.

        Officials see their city's (another ``city``: 403), admins all (or one ``city``'s);
        a worker, an employer and its brokers their own. A case is an escalated dispute, or a
        ``wage_arrears`` or ``unapproved_timesheet`` alert. Filtered by ``status`` and
        ``kind``; newest first, paged. 422: an unknown city, status or kind.
        """
        return page_of(cases.visible(current_user(), filters), pagination_parameters)


@blp.route("/cases/<int:case_id>")
class OneCase(MethodView):
    """One case, with what it is decided on."""

    @blp.doc(tags=["disputes"])
    @auth_required()
    @blp.response(200, CaseDetailSchema)
    @blp.errors(404)
    def get(self, case_id: int):
        """Read a case.

        Its readers (as in the list): the case with its dispute, the booking's attendance
        (times and distances of the check-in and -out), its earnings and adjustments, and the
        notes. 404: no such case, or one the caller may not see.
        """
        return cases.detail(current_user(), case_id)


@blp.route("/cases/<int:case_id>/notes")
class CaseNotes(MethodView):
    """Notes on a case."""

    @blp.doc(tags=["disputes"])
    @auth_required("official", "worker", "employer", "broker")
    @blp.arguments(CaseNoteInSchema, example=CASE_NOTE_EXAMPLE)
    @blp.response(201, CaseNoteSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], case_id: int):
        """Write a note on a case.

        The officials of the case's city and its two parties (an admin: 403); the others who
        may read the case are told. 404: no such case, or one the caller may not see. 409:
        the case is resolved.
        """
        return cases.add_note(current_user(), case_id, body["text"]), 201


@blp.route("/cases/<int:case_id>/resolve")
class CaseDecision(MethodView):
    """An official decides a case."""

    @blp.doc(tags=["disputes"])
    @auth_required("official")
    @blp.arguments(CaseResolveSchema, example=CASE_RESOLVE_EXAMPLE)
    @blp.response(200, CaseSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], case_id: int):
        """Resolve a case: upheld, dismissed or settled.

        An official of the case's city (403 for every other role; another city's case: 404).
        ``upheld`` with an ``amount`` moves money: for an approved booking an adjustment of
        that amount is recorded; for hours never approved the booking is completed with that
        pay (409 when it was approved meanwhile). The parties are told; audit
        ``case.resolved``. 409: already resolved. 422: an amount with another outcome.
        """
        return cases.resolve(
            current_user(), case_id, body["outcome"], body["amount"], body["reason"]
        )
