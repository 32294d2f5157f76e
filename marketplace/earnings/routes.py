"""HTTP endpoints of earnings: approving a booking's hours into one and marking it paid, a
worker's own, and the imports of income, premiums and training."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.bookings.schemas import (
    APPROVE_EXAMPLE,
    PAID_EXAMPLE,
    ApproveSchema,
    BookingSchema,
    PaidSchema,
)
from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.earnings import alerts, imports, pay, services
from marketplace.earnings.schemas import (
    CONTRIBUTIONS_IMPORT_EXAMPLE,
    EARNINGS_IMPORT_EXAMPLE,
    TRAINING_IMPORT_EXAMPLE,
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
        """List my earnings from bookings and imported income (``?month=YYYY-MM``).

        Workers only (403 for every other role). Each approved booking's earning (hours ×
        wage, with ``paid_at`` once the employer's side marks it paid) and each month of income
        an admin imported from before this system, newest month first; ``month`` keeps one
        month. Paged with ``page`` and ``per_page``. 404: the worker has no profile yet. 422:
        a month that is not ``YYYY-MM``.
        """
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
    @blp.arguments(EarningsImportSchema, example=EARNINGS_IMPORT_EXAMPLE)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, description=IMPORT_ERRORS["description"])
    def post(self, body: dict[str, Any]):
        """Import months of income of one source: all records or none; same key replaces.

        Admins only (403 for every other role). Income workers earned through the platform
        before this system, by ``source`` (the migration or partner channel), each record a
        worker's month found by the ID number of their profile. A record with the key of a
        stored one (source, ID number, month) replaces it. Each write is an audit event, and
        the workers touched are evaluated for subsidies again at once. Answers how many records
        were new and how many replaced one. Honours ``Idempotency-Key``. 409: a concurrent
        import wrote the same records (send it again), or a request with the same
        ``Idempotency-Key`` is being handled. 422: nothing was imported — some records are
        invalid (each named by its index in ``errors.records``: a malformed ID number, one no
        profile has, a month to come, a key repeated), or the body or the
        ``Idempotency-Key`` is invalid.
        """
        return imports.import_earnings(current_user(), body["source"], body["records"])


@blp.route("/contributions/import")
class ImportContributions(MethodView):
    """Importing social-insurance premiums paid as a flexible worker."""

    @auth_required("admin")
    @idempotent
    @blp.arguments(ContributionsImportSchema, example=CONTRIBUTIONS_IMPORT_EXAMPLE)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, description=IMPORT_ERRORS["description"])
    def post(self, body: dict[str, Any]):
        """Import months of premiums: all records or none; same (id_number, month) replaces.

        Admins only (403 for every other role). The social-insurance premiums (pension and
        medical) workers paid for a month as flexible workers, which the subsidy rules read;
        each record is found by the ID number of a worker's profile. Each write is an audit
        event, and the workers touched are evaluated for subsidies again at once. Honours
        ``Idempotency-Key``. 409: a concurrent import wrote the same records (send it again),
        or a request with the same ``Idempotency-Key`` is being handled. 422: nothing was
        imported — some records are invalid (each named by its index in ``errors.records``),
        or the body or the ``Idempotency-Key`` is invalid.
        """
        return imports.import_contributions(current_user(), body["records"])


@blp.route("/training/import")
class ImportTraining(MethodView):
    """Importing online vocational training the platform organised."""

    @auth_required("admin")
    @idempotent
    @blp.arguments(TrainingImportSchema, example=TRAINING_IMPORT_EXAMPLE)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, description=IMPORT_ERRORS["description"])
    def post(self, body: dict[str, Any]):
        """Import training records: all or none; same (id_number, course, completed_on) replaces.

        Admins only (403 for every other role). Online vocational training the platform
        organised, which the training subsidy rules read; each record is found by the ID
        number of a worker's profile, and may not be completed after today. Each write is an
        audit event, and the workers touched are evaluated for subsidies again at once.
        Honours ``Idempotency-Key``. 409: a concurrent import wrote the same records (send it
        again), or a request with the same ``Idempotency-Key`` is being handled. 422: nothing
        was imported — some records are invalid (each named by its index in
        ``errors.records``), or the body or the ``Idempotency-Key`` is invalid.
        """
        return imports.import_training(current_user(), body["records"])


@blp.route("/bookings/<int:booking_id>/approve")
class Approve(MethodView):
    """Approving worked hours."""

    @blp.doc(tags=["bookings"])
    @auth_required("employer", "broker")
    @blp.arguments(ApproveSchema, example=APPROVE_EXAMPLE)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Approve a checked-out booking: completed, with one earning of hours × wage.

        The shift's employer, or a broker it delegated to (403 for every other role). The
        booking becomes ``completed`` with ``approved_hours``: the ``hours`` given, or by
        default the checked-in time rounded to the quarter hour and never more than the
        shift's length. Its earning (hours × the job's wage) counts toward the worker's month
        for subsidies, and the worker is told. 404: no such booking, or one on another
        employer's shift. 409: the booking is not ``checked_out``. 422: ``hours`` more than
        the shift's length, or not more than zero.
        """
        return pay.approve(current_user(), booking_id, body.get("hours"))


@blp.route("/bookings/<int:booking_id>/paid")
class Paid(MethodView):
    """Recording the payment."""

    @blp.doc(tags=["bookings"])
    @auth_required("employer", "broker")
    @blp.arguments(PaidSchema, example=PAID_EXAMPLE)
    @blp.response(200, EarningSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Mark the booking's earning paid (resolves a wage-arrears alert).

        The shift's employer, or a broker it delegated to (403 for every other role). Records
        when the wage was paid (``paid_at``, now by default); open wage-arrears alerts of the
        earning are resolved, and the worker is told. The payment is an audit event. 404: no
        such booking, or one on another employer's shift. 409: the booking is not
        ``completed``, or its earning was already marked paid. 422: ``paid_at`` in the future
        or before the work ended.
        """
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
        """List the alerts I may see: mine, my company's, or my city's.

        Any signed-in user, each seeing their own: a worker their alerts, an employer its
        company's, a broker those of the employers it acts for, an official their city's, an
        admin all. A ``wage_arrears`` alert is raised by the scheduled job when a part-time
        earning is still unpaid 15 days after approval, and resolved when it is marked paid;
        ``resolved`` keeps resolved or open ones. Newest first, paged with ``page`` and
        ``per_page``. 422: an invalid ``resolved``.
        """
        return page_of(alerts.visible_alerts(current_user(), filters), pagination_parameters)
