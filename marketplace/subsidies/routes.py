"""HTTP endpoints of evaluations and flags (the policies' own: ``policy.routes``)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common import spreadsheets
from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.database import writes_on_read
from marketplace.replicas import reads_from_replica
from marketplace.subsidies import ledger, progress, services
from marketplace.subsidies.schemas import (
    DECISION_EXAMPLE,
    DISBURSEMENT_EXAMPLE,
    EVALUATION_EXAMPLE,
    DecisionInSchema,
    DisbursementInSchema,
    EvaluationInSchema,
    EvaluationSchema,
    ExportQuerySchema,
    FlagQuerySchema,
    FlagSchema,
    LedgerQuerySchema,
    LedgerSchema,
    ProgressSchema,
    WorkerFlagSchema,
)

blp = Blueprint(
    "subsidies", __name__, url_prefix="/api/v1", description="Subsidy policies and flags"
)


@blp.route("/subsidies/evaluations")
class Evaluations(MethodView):
    """Evaluations on demand."""

    @auth_required("official", "admin")
    @blp.arguments(EvaluationInSchema, example=EVALUATION_EXAMPLE)
    @blp.response(200, EvaluationSchema)
    def post(self, body: dict[str, Any]):
        """Evaluate every worker of a city as of a day (not in the future); idempotent.

        Officials of the city, and admins (403 for every other role, and for an official of
        another city). Runs the subsidy rules for every worker of the city as of ``as_of``
        (today in the city when left out), as the nightly job does: new flags are created as
        ``pending``, pending ones follow what the rules propose now, decided ones stay as they
        are. Running it again with the same records changes nothing. Answers how many workers
        were evaluated and how many flags were created and updated. 422: ``as_of`` after today
        in the city, or an unknown city.
        """
        return services.evaluate_city(current_user(), body["city"], body["as_of"]).as_dict()


@blp.route("/subsidies/flags")
class Flags(MethodView):
    """The flags officials audit."""

    @auth_required("official", "admin")
    @blp.arguments(FlagQuerySchema, location="query")
    @blp.response(200, FlagSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List flags (officials: their city; admins: all), oldest first.

        Officials and admins only (403 for every other role, and for an official naming another
        city). Each flag proposes a subsidy for a worker — programme, policy, period, amount,
        evidence — with the risk signals an official should look at before deciding. Filters:
        ``program``, ``status``, ``worker_id``, ``policy_id``, ``city`` (admins),
        ``month`` and ``risk_signal`` (``none``: flags without any). Paged with ``page`` and
        ``per_page``. 422: an invalid filter.
        """
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
    @reads_from_replica
    def get(self, query: dict[str, Any]):
        """Export the filtered flags as CSV or Excel (``?format=csv|xlsx``).

        Officials and admins only (403 for every other role, and for an official naming another
        city). The flags the list would show with the same filters, all of them, as a file
        with Chinese headers and masked ID numbers (``csv`` by default). Each download is an
        audit event. 422: an invalid filter or format.
        """
        file_format = query.pop("format")
        exported = services.export_flags(current_user(), query, file_format)
        return spreadsheets.download(exported)


@blp.route("/subsidies/flags/<int:flag_id>/decision")
class Decision(MethodView):
    """An official's decision on a flag."""

    @auth_required("official", "admin")
    @blp.arguments(DecisionInSchema, example=DECISION_EXAMPLE)
    @blp.response(200, FlagSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], flag_id: int):
        """Approve or reject a pending flag of my city (a reason is required to reject).

        Only an official of the flag's city: other roles get 403, and so do admins, who stand
        for the platform that receives some subsidies. The decision is an audit event, the
        worker is told, and the worker is evaluated again at once. 404: no such flag, or one of
        another city. 409: the flag is not ``pending``; or, to approve, it rests on a group
        status only declared, not yet verified (``errors.unverified``), approving it would pass
        the programme's cap (``errors.cap``), or the rules no longer propose it, or propose
        another amount (``errors.proposed_now``). 422: a rejection without a reason.
        """
        return services.decide(current_user(), flag_id, body["decision"], body["reason"])


@blp.route("/subsidies/flags/<int:flag_id>/disbursement")
class Disbursement(MethodView):
    """The payment of an approved flag."""

    @auth_required("official", "admin")
    @blp.arguments(DisbursementInSchema, example=DISBURSEMENT_EXAMPLE)
    @blp.response(200, FlagSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], flag_id: int):
        """Record that an approved flag of my city was paid: the day and the voucher (once).

        Only an official of the flag's city (other roles, and admins, get 403). The flag moves
        to the ``disbursed`` bucket of the ledger with ``paid_on`` and ``voucher``; this is an
        audit event and the worker is told. 404: no such flag, or one of another city. 409:
        the flag is not ``approved``, or its payment was already recorded. 422: ``paid_on``
        after today or before the day the flag was approved.
        """
        return ledger.disburse(current_user(), flag_id, body["paid_on"], body["voucher"])


@blp.route("/subsidies/ledger")
class Ledger(MethodView):
    """What was proposed, approved, paid and rejected."""

    @auth_required("official", "admin")
    @blp.arguments(LedgerQuerySchema, location="query")
    @blp.response(200, LedgerSchema)
    @blp.errors(403)
    @reads_from_replica
    def get(self, query: dict[str, Any]):
        """Show the ledger of a city: each flag in one bucket by where it stands, summed exactly.

        Officials and admins only (403 for every other role). Per programme, policy and
        beneficiary: ``pending``, ``approved`` (not yet disbursed), ``disbursed`` and
        ``rejected``, each ``{"count", "amount"}``. ``program`` keeps one programme, ``month``
        the flags whose period ends in it. Officials see their own city (naming another is
        403); admins must name one (422 without it). 422: also an invalid filter.
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
        """List my subsidy flags (without risk signals).

        Workers only (403 for every other role). The subsidies the rules proposed for the
        worker, with their status (``pending``, ``approved``, ``rejected``), amount and
        period, oldest first; the risk signals officials see are left out. Paged with ``page``
        and ``per_page``. 404: the worker has no profile yet.
        """
        total, rows = services.my_flags(
            current_user(), pagination_parameters.first_item, pagination_parameters.page_size
        )
        pagination_parameters.item_count = total
        return rows


@blp.route("/workers/me/subsidy-progress")
class MyProgress(MethodView):
    """The caller's progress towards each subsidy."""

    @auth_required("worker")
    @blp.response(200, ProgressSchema(many=True))
    @blp.errors(404)
    def get(self):
        """Show how far I am from each subsidy of my city.

        Workers only (403 for every other role). One item per programme of the published
        policies of the worker's city: ``flagged`` (a flag of it stands), ``not_eligible`` (a
        condition work cannot earn fails, named in ``missing``) or ``in_progress`` with what is
        met and missing, in Chinese, and ``next_threshold``: the next month the worker must
        still reach and the income it needs that month. 404: the worker has no profile yet.
        """
        return progress.my_progress(current_user())
