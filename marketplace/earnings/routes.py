"""HTTP endpoints of earnings: approving a booking's hours into one and marking it paid, a
worker's own, and the imports of income, premiums and training."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.bookings.schemas import ApproveSchema, BookingSchema, PaidSchema
from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.earnings import alerts, imports, pay, services
from marketplace.earnings.schemas import (
    AlertQuerySchema,
    AlertSchema,
    ContributionsImportSchema,
    EarningSchema,
    EarningsImportSchema,
    EarningsQuerySchema,
    ImportResultSchema,
    TrainingImportSchema,
)

blp = Blueprint(
    "earnings",
    __name__,
    url_prefix="/api/v1",
    description="Earnings, and imports of income, premiums and training",
)

IMPORT_ERRORS = {
    "description": "Some records are invalid; nothing was imported. "
    '`errors` = `{"records": [{"index", "message"}, ...]}`.'
}


@blp.route("/workers/me/earnings")
class MyEarnings(MethodView):
    """The caller's earnings."""

    @auth_required("worker")
    @blp.arguments(EarningsQuerySchema, location="query")
    @blp.response(200, EarningSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(self, query: dict[str, Any], pagination_parameters: PaginationParameters):
        """List my earnings from bookings and imported income (``?month=YYYY-MM``)."""
        total, rows = services.my_earnings(
            current_user(),
            query.get("month"),
            pagination_parameters.first_item,
            pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/earnings/import")
class ImportEarnings(MethodView):
    """Importing income earned through the platform before this system."""

    @auth_required("admin")
    @idempotent
    @blp.arguments(EarningsImportSchema)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, description=IMPORT_ERRORS["description"])
    def post(self, body: dict[str, Any]):
        """Import months of income of one source: all records or none; same key replaces."""
        return imports.import_earnings(current_user(), body["source"], body["records"])


@blp.route("/contributions/import")
class ImportContributions(MethodView):
    """Importing social-insurance premiums paid as a flexible worker."""

    @auth_required("admin")
    @idempotent
    @blp.arguments(ContributionsImportSchema)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, description=IMPORT_ERRORS["description"])
    def post(self, body: dict[str, Any]):
        """Import months of premiums: all records or none; same (id_number, month) replaces."""
        return imports.import_contributions(current_user(), body["records"])


@blp.route("/training/import")
class ImportTraining(MethodView):
    """Importing online vocational training the platform organised."""

    @auth_required("admin")
    @idempotent
    @blp.arguments(TrainingImportSchema)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, description=IMPORT_ERRORS["description"])
    def post(self, body: dict[str, Any]):
        """Import training records: all or none; same (id_number, course, completed_on) replaces."""
        return imports.import_training(current_user(), body["records"])


@blp.route("/bookings/<int:booking_id>/approve")
class Approve(MethodView):
    """Approving worked hours."""

    @blp.doc(tags=["bookings"])
    @auth_required("employer", "broker")
    @blp.arguments(ApproveSchema)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Approve a checked-out booking: completed, with one earning of hours × wage."""
        return pay.approve(current_user(), booking_id, body.get("hours"))


@blp.route("/bookings/<int:booking_id>/paid")
class Paid(MethodView):
    """Recording the payment."""

    @blp.doc(tags=["bookings"])
    @auth_required("employer", "broker")
    @blp.arguments(PaidSchema)
    @blp.response(200, EarningSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Mark the booking's earning paid (resolves a wage-arrears alert)."""
        return pay.mark_paid(current_user(), booking_id, body["paid_at"])


@blp.route("/alerts")
class Alerts(MethodView):
    """Alerts such as wage arrears."""

    @blp.doc(tags=["bookings"])
    @auth_required()
    @blp.arguments(AlertQuerySchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List the alerts I may see: mine, my company's, or my city's."""
        return page_of(alerts.visible_alerts(current_user(), filters), pagination_parameters)
