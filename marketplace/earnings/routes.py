"""HTTP endpoints of earnings: approving a booking's hours into one and marking it paid, a
worker's own, and the imports of income, premiums and training — from a JSON body or from a
spreadsheet — with the spreadsheets' templates."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.bookings.schemas import (
    APPROVE_EXAMPLE,
    PAID_EXAMPLE,
    ApproveSchema,
    BookingSchema,
    PaidSchema,
)
from marketplace.common import spreadsheets
from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.common.uploads import FILE_FIELD, accepts_files
from marketplace.earnings import alerts, files, imports, pay, services
from marketplace.earnings.schemas import (
    CONTRIBUTIONS_IMPORT_EXAMPLE,
    EARNINGS_IMPORT_EXAMPLE,
    TRAINING_IMPORT_EXAMPLE,
    AlertQuerySchema,
    AlertSchema,
    ContributionsImportSchema,
    EarningSchema,
    EarningsFileFormSchema,
    EarningsImportSchema,
    EarningsQuerySchema,
    FileFormSchema,
    ImportResultSchema,
    TrainingImportSchema,
)
from marketplace.errors import N_, Invalid

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint(
    "earnings",
    __name__,
    url_prefix="/api/v1",
    description="Earnings, and imports of income, premiums and training",
)

IMPORT_ERRORS = {
    "description": "Nothing was imported. Some records are invalid: `errors` = "
    '`{"records": [{"index", "message"}, ...]}` for a JSON body, `{"records": [{"row", '
    '"message"}, ...]}` for a file (the header is row 1, the first record row 2). Or the file '
    "cannot be imported at all (not CSV or XLSX, empty, too large, too many rows, a header that "
    'is not the template\'s): `errors` = `{"files": {"file": ["..."]}}`.'
}
# The form of each import's file: the file, and for income its source.
FILE_FORMS: dict[str, ma.Schema] = {
    "earnings": EarningsFileFormSchema(),
    "contributions": FileFormSchema(),
    "training": FileFormSchema(),
}
FORM_INVALID = N_("the multipart form is invalid")
# Examples of the multipart forms in the OpenAPI document (the file's bytes stand as text).
_FILE = "(the CSV or XLSX file, filled in from the template)"
FILE_EXAMPLES: dict[str, dict[str, str]] = {
    "earnings": {"source": "旧平台迁移-2025", "file": _FILE},
    "contributions": {"file": _FILE},
    "training": {"file": _FILE},
}


def _form_body(schema: ma.Schema) -> dict[str, Any]:
    """A multipart import's fields: the file (the werkzeug ``FileStorage``) and the others."""
    given: dict[str, Any] = {}
    # A part without a name comes as None from werkzeug: reported as the unknown field "".
    for name, value in request.form.items(multi=True):
        given.setdefault(name or "", value)
    for name in request.files:
        uploaded = request.files.getlist(name)
        given[name or ""] = uploaded[0] if len(uploaded) == 1 else uploaded
    try:
        return dict(schema.load(given))
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        by_location: dict[str, dict[str, Any]] = {}
        for name, problems in messages.items():
            location = "files" if name == FILE_FIELD or name in request.files else "form"
            by_location.setdefault(location, {})[name] = problems
        raise Invalid(FORM_INVALID, by_location) from None


def json_or_file(kind: str, schema: type[ma.Schema], example: dict[str, Any]) -> Callable[[F], F]:
    """The import's body from JSON (``schema``), or its file of ``kind`` from a multipart form.

    flask-smorest parses one location per view, so the JSON body keeps ``blp.arguments`` and a
    multipart form is read here instead, and documented as the request body's second content
    type. The view gets ``{"file": FileStorage, ...the form's fields}`` for a file.
    """
    form_schema = FILE_FORMS[kind]

    def decorator(view: F) -> F:
        from_json = blp.arguments(schema, example=example)(view)

        @wraps(from_json)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.mimetype != "multipart/form-data":
                return from_json(*args, **kwargs)
            return view(*args, _form_body(form_schema), **kwargs)

        apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        content = manual.setdefault("requestBody", {}).setdefault("content", {})
        content["multipart/form-data"] = {"schema": form_schema, "example": FILE_EXAMPLES[kind]}
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return accepts_files(files.MAX_FILE_BYTES)(wrapper)  # type: ignore[return-value]

    return decorator


def _imported_file(kind: str, body: dict[str, Any]) -> imports.ImportResult:
    uploaded = body[FILE_FIELD]
    uploaded.stream.seek(0)  # an Idempotency-Key's fingerprint may have read it already
    # One byte more than allowed, so that a larger file is told apart.
    content = uploaded.stream.read(files.MAX_FILE_BYTES + 1)
    return files.import_file(current_user(), kind, content, body.get("source"))


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
    @json_or_file("earnings", EarningsImportSchema, EARNINGS_IMPORT_EXAMPLE)
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

        Send either a JSON body or a ``multipart/form-data`` form with a CSV or XLSX file in
        the field ``file``, filled in from the template (``GET /api/v1/imports/templates/
        {kind}.xlsx`` or ``.csv``); a file's rows go through the same rules as JSON records,
        and its errors name rows as the spreadsheet shows them (the header is row 1).
        """
        if FILE_FIELD in body:
            return _imported_file("earnings", body)
        return imports.import_earnings(current_user(), body["source"], body["records"])


@blp.route("/contributions/import")
class ImportContributions(MethodView):
    """Importing social-insurance premiums paid as a flexible worker."""

    @auth_required("admin")
    @idempotent
    @json_or_file("contributions", ContributionsImportSchema, CONTRIBUTIONS_IMPORT_EXAMPLE)
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

        Send either a JSON body or a ``multipart/form-data`` form with a CSV or XLSX file in
        the field ``file``, filled in from the template (``GET /api/v1/imports/templates/
        {kind}.xlsx`` or ``.csv``); a file's rows go through the same rules as JSON records,
        and its errors name rows as the spreadsheet shows them (the header is row 1).
        """
        if FILE_FIELD in body:
            return _imported_file("contributions", body)
        return imports.import_contributions(current_user(), body["records"])


@blp.route("/training/import")
class ImportTraining(MethodView):
    """Importing online vocational training the platform organised."""

    @auth_required("admin")
    @idempotent
    @json_or_file("training", TrainingImportSchema, TRAINING_IMPORT_EXAMPLE)
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

        Send either a JSON body or a ``multipart/form-data`` form with a CSV or XLSX file in
        the field ``file``, filled in from the template (``GET /api/v1/imports/templates/
        {kind}.xlsx`` or ``.csv``); a file's rows go through the same rules as JSON records,
        and its errors name rows as the spreadsheet shows them (the header is row 1).
        """
        if FILE_FIELD in body:
            return _imported_file("training", body)
        return imports.import_training(current_user(), body["records"])


TEMPLATE_PATH = "/imports/templates/<any({}):kind>.<any(csv, xlsx):file_format>"


@blp.route(TEMPLATE_PATH.format(", ".join(files.KINDS)))
class ImportTemplate(MethodView):
    """The spreadsheet to fill in for an import."""

    @auth_required("admin")
    @blp.doc(
        responses=spreadsheets.response_doc(
            "the Chinese header row and one example row; CSV in UTF-8 with a byte-order mark"
        )
    )
    @blp.errors(404)
    def get(self, kind: str, file_format: str) -> Response:
        """Download the template of an import (earnings, contributions, training) as CSV or XLSX.

        Admins only (403 for every other role). The file has the import's Chinese header row
        (身份证号, 月份, 工时, 收入 …) and one example row whose ID number is the standard's
        sample and belongs to nobody, so that an example left in is refused at row 2; the XLSX
        keeps the ID-number and month columns as text and has a second sheet of instructions.
        404: an unknown kind or format.
        """
        return spreadsheets.download(files.template(kind, file_format))


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
        """Mark the booking's earning paid, with any adjustment of it not paid yet.

        The shift's employer, or a broker it delegated to (403 for every other role). Records
        when the wage was paid (``paid_at``, now by default) on the booking's earning and on
        every unpaid adjustment of it (answering the first one marked); their open wage-arrears
        alerts are resolved and the cases of those alerts settled, and the worker is told. Each
        payment is an audit event. 404: no such booking, or one on another employer's shift.
        409: the booking is not ``completed``, or everything it earned was already marked paid.
        422: ``paid_at`` in the future or before the work ended.
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
        admin all. The scheduled job raises a ``wage_arrears`` alert when a part-time earning
        is unpaid 15 days after the shift ended (another type: once the month after the
        shift's month has ended), resolved when it is marked paid; and an
        ``unapproved_timesheet`` alert when a checked-out booking is not approved 7 days after
        the shift ended, resolved by the approval. Each alert is also a case (``/cases``).
        ``resolved`` keeps resolved or open ones. Newest first, paged with ``page`` and
        ``per_page``. 422: an invalid ``resolved``.
        """
        return page_of(alerts.visible_alerts(current_user(), filters), pagination_parameters)
