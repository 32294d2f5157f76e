"""HTTP endpoints of subsidy policies, evaluations and flags."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common import spreadsheets
from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.database import writes_on_read
from marketplace.subsidies import ledger, services
from marketplace.subsidies.schemas import (
    DecisionInSchema,
    DisbursementInSchema,
    EvaluationInSchema,
    EvaluationSchema,
    ExportQuerySchema,
    FlagQuerySchema,
    FlagSchema,
    LedgerQuerySchema,
    LedgerSchema,
    PolicySchema,
    WorkerFlagSchema,
)

blp = Blueprint(
    "subsidies", __name__, url_prefix="/api/v1", description="Subsidy policies and flags"
)


@blp.route("/subsidies/policies")
class Policies(MethodView):
    """The subsidy policies, as data."""

    @blp.doc(security=[])
    @writes_on_read  # the first sight of a new policy file version is an audit event
    @blp.response(200, PolicySchema(many=True))
    def get(self):
        """List every policy with its programmes and dated parameters."""
        return services.policies()


@blp.route("/subsidies/evaluations")
class Evaluations(MethodView):
    """Evaluations on demand."""

    @auth_required("official", "admin")
    @blp.arguments(EvaluationInSchema)
    @blp.response(200, EvaluationSchema)
    def post(self, body: dict[str, Any]):
        """Evaluate every worker of a city as of a day (not in the future); idempotent."""
        return services.evaluate_city(current_user(), body["city"], body["as_of"]).as_dict()


@blp.route("/subsidies/flags")
class Flags(MethodView):
    """The flags officials audit."""

    @auth_required("official", "admin")
    @blp.arguments(FlagQuerySchema, location="query")
    @blp.response(200, FlagSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List flags (officials: their city; admins: all), oldest first."""
        total, rows = services.list_flags(
            current_user(),
            filters,
            pagination_parameters.first_item,
            pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/subsidies/flags/export")
class FlagExport(MethodView):
    """The flags as a file."""

    @auth_required("official", "admin")
    @writes_on_read  # each download is an audit event
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.doc(
        responses=spreadsheets.response_doc(
            "the filtered flags; Chinese headers, ID numbers masked"
        )
    )
    def get(self, query: dict[str, Any]):
        """Export the filtered flags as CSV or Excel (``?format=csv|xlsx``)."""
        file_format = query.pop("format")
        exported = services.export_flags(current_user(), query, file_format)
        return spreadsheets.download(exported)


@blp.route("/subsidies/flags/<int:flag_id>/decision")
class Decision(MethodView):
    """An official's decision on a flag."""

    @auth_required("official", "admin")
    @blp.arguments(DecisionInSchema)
    @blp.response(200, FlagSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], flag_id: int):
        """Approve or reject a pending flag of my city (a reason is required to reject)."""
        return services.decide(current_user(), flag_id, body["decision"], body["reason"])


@blp.route("/subsidies/flags/<int:flag_id>/disbursement")
class Disbursement(MethodView):
    """The payment of an approved flag."""

    @auth_required("official", "admin")
    @blp.arguments(DisbursementInSchema)
    @blp.response(200, FlagSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], flag_id: int):
        """Record that an approved flag of my city was paid: the day and the voucher (once)."""
        return ledger.disburse(current_user(), flag_id, body["paid_on"], body["voucher"])


@blp.route("/subsidies/ledger")
class Ledger(MethodView):
    """What was proposed, approved, paid and rejected."""

    @auth_required("official", "admin")
    @blp.arguments(LedgerQuerySchema, location="query")
    @blp.response(200, LedgerSchema)
    @blp.errors(403)
    def get(self, query: dict[str, Any]):
        """The ledger of a city: each flag in one bucket by where it stands, summed exactly.

        Per programme, policy and beneficiary: ``pending``, ``approved`` (not yet disbursed),
        ``disbursed`` and ``rejected``, each ``{"count", "amount"}``. ``month`` keeps the
        flags whose period ends in it. Officials see their own city; admins name one.
        """
        return ledger.ledger(
            current_user(), query.get("city"), query.get("program"), query.get("month")
        )


@blp.route("/workers/me/subsidy-flags")
class MyFlags(MethodView):
    """The caller's own flags."""

    @auth_required("worker")
    @blp.response(200, WorkerFlagSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(self, pagination_parameters: PaginationParameters):
        """List my subsidy flags (without risk signals)."""
        total, rows = services.my_flags(
            current_user(), pagination_parameters.first_item, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows
