"""The desk's pages: the queue of flags, a flag and its decision, statistics and downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import Response, current_app, flash, redirect, render_template, request, url_for

from marketplace.common import spreadsheets
from marketplace.common.months import Month
from marketplace.desk import pages
from marketplace.desk.blueprint import blp
from marketplace.desk.filters import (
    ExportFlagsQuerySchema,
    LedgerPageQuerySchema,
    QueueQuerySchema,
    StatsQuerySchema,
    given,
    load,
    queue_query,
)
from marketplace.desk.session import current_official, safe_next, sign_in_required
from marketplace.errors import Conflict, Invalid
from marketplace.extensions import db
from marketplace.stats import services as stats
from marketplace.subsidies import ledger
from marketplace.subsidies import services as subsidies
from marketplace.subsidies.evaluation import risk
from marketplace.subsidies.models import FLAG_STATUSES
from marketplace.subsidies.rules import programs
from marketplace.subsidies.schemas import DecisionInSchema, DisbursementInSchema
from marketplace.workers import employment, group_statuses
from marketplace.workers.schemas import EndStatusInSchema, RejectStatusInSchema, VerifyInSchema


@blp.get("/")
@sign_in_required
def queue() -> Any:
    """The flags waiting for a decision, filtered and paged."""
    user = current_official()
    query = queue_query()
    filters = load(QueueQuerySchema(), given({**query, "page": request.args.get("page", "")}))
    page = filters.pop("page")
    shown = pages.queue(user, filters, page, current_app.config["DESK_PAGE_SIZE"])
    return render_template(
        "desk/queue.html",
        queue=shown,
        filters=filters,
        query=query,
        page_link=lambda number: url_for("desk.queue") + "?" + urlencode({**query, "page": number}),
        export_link=lambda fmt: (
            url_for("desk.export_flags", file_format=fmt) + "?" + urlencode(query)
        ),
        programs=programs.codes(),
        statuses=FLAG_STATUSES,
        risk_codes=risk.CODES,
        cities=pages.city_choices(user),
        back=request.full_path.rstrip("?"),
    )


@blp.get("/flags/<int:flag_id>")
@sign_in_required
def flag(flag_id: int) -> Any:
    """A flag: the worker (masked), the months, the explanation, risks and the decision."""
    return _flag_page(flag_id)


def _flag_page(
    flag_id: int,
    error: str | None = None,
    reason: str = "",
    payment_error: str | None = None,
    payment: dict[str, str] | None = None,
) -> str:
    return render_template(
        "desk/flag.html",
        page=pages.flag_page(current_official(), flag_id),
        back=safe_next(request.values.get("back")) or url_for("desk.queue"),
        error=error,
        reason=reason,
        payment_error=payment_error,
        payment=payment or {},
    )


@blp.post("/flags/<int:flag_id>/decision")
@sign_in_required
def decide(flag_id: int) -> Any:
    """Approve or reject the flag; a rejection without a reason is refused and changes nothing."""
    form = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason")}
    try:
        body = DecisionInSchema().load(form)
        decided = subsidies.decide(current_official(), flag_id, body["decision"], body["reason"])
    except (ma.ValidationError, Invalid, Conflict) as error:
        # Refused, nothing changed: the page again, saying why (a 409 says what the rules
        # propose now, or which cap an approval would pass).
        db.session.rollback()
        page = _flag_page(flag_id, error=_decision_error(error), reason=form["reason"] or "")
        return page, 409 if isinstance(error, Conflict) else 422
    verb = "批准" if decided.status == "approved" else "驳回"
    flash(f"标记 #{decided.id} 已{verb}。")
    return redirect(safe_next(request.form.get("back")) or url_for("desk.queue"), code=303)


def _decision_error(error: Exception) -> str:
    if isinstance(error, Conflict):
        return error.translated()
    problems = error.messages if isinstance(error, ma.ValidationError) else {}
    if "decision" in problems:
        return "请选择“批准”或“驳回”。"
    if "reason" in problems:
        return "理由不能超过1000字。"
    return "驳回必须填写理由。"


@blp.post("/flags/<int:flag_id>/disbursement")
@sign_in_required
def disburse(flag_id: int) -> Any:
    """Record the payment of an approved flag: the day and the voucher; refused, nothing changes."""
    form = {"paid_on": request.form.get("paid_on", ""), "voucher": request.form.get("voucher", "")}
    try:
        body = DisbursementInSchema().load(form)
        paid = ledger.disburse(current_official(), flag_id, body["paid_on"], body["voucher"])
    except (ma.ValidationError, Invalid, Conflict) as error:
        db.session.rollback()
        message = (
            error.translated()
            if isinstance(error, Invalid | Conflict)
            else "请填写发放日期和凭证号。"
        )
        page = _flag_page(flag_id, payment_error=message, payment=form)
        return page, 409 if isinstance(error, Conflict) else 422
    flash(f"标记 #{paid.id} 已登记发放（{paid.disbursed_on}，凭证号 {paid.voucher}）。")
    return redirect(url_for("desk.flag", flag_id=paid.id, back=request.form.get("back")), code=303)


# --- group statuses and employment registrations -------------------------------------------


@blp.get("/statuses")
@sign_in_required
def statuses_queue() -> Any:
    """The group statuses workers declared that wait for an official's check."""
    user = current_official()
    return render_template("desk/statuses.html", waiting=pages.declared_statuses(user))


@blp.get("/workers/<int:worker_id>")
@sign_in_required
def worker(worker_id: int) -> Any:
    """A worker: the group statuses with their forms, and the employment registrations."""
    return _worker_page(worker_id)


def _worker_page(worker_id: int, error: str | None = None) -> str:
    return render_template(
        "desk/worker.html",
        page=pages.worker_page(current_official(), worker_id),
        back=safe_next(request.values.get("back")) or url_for("desk.statuses_queue"),
        error=error,
    )


# What each form posts, read by the API's schema for the same action.
_STATUS_ACTIONS: dict[str, Any] = {
    "verify": (VerifyInSchema, "已核验"),
    "reject": (RejectStatusInSchema, "已驳回"),
    "end": (EndStatusInSchema, "已结束"),
}


@blp.post("/workers/<int:worker_id>/statuses/<int:status_id>/<any(verify, reject, end):action>")
@sign_in_required
def check_status(worker_id: int, status_id: int, action: str) -> Any:
    """Verify, reject or end a status from the worker's page; refused, nothing changes."""
    schema, done = _STATUS_ACTIONS[action]
    form = {key: value for key, value in request.form.items() if key in schema().fields and value}
    try:
        body = schema().load(form)
        user = current_official()
        if action == "verify":
            checked = group_statuses.verify(user, status_id, body)
        elif action == "reject":
            checked = group_statuses.reject(user, status_id, body["reason"])
        else:
            checked = group_statuses.end(user, status_id, body["ended_on"])
    except (ma.ValidationError, Invalid, Conflict) as error:
        db.session.rollback()
        message = (
            error.translated()
            if isinstance(error, Invalid | Conflict)
            else "请检查填写的内容（驳回须填写理由，结束须填写日期）。"
        )
        return _worker_page(worker_id, error=message), 409 if isinstance(error, Conflict) else 422
    flash(f"{group_statuses.NAMES[checked.group]}状态{done}。")
    return redirect(url_for("desk.worker", worker_id=worker_id), code=303)


@blp.post("/workers/<int:worker_id>/registrations/<int:registration_id>/revoke")
@sign_in_required
def revoke_registration(worker_id: int, registration_id: int) -> Any:
    """Revoke an employment registration, with the reason; refused, nothing changes."""
    try:
        body = RejectStatusInSchema().load({"reason": request.form.get("reason", "")})
        employment.revoke(current_official(), registration_id, body["reason"])
    except (ma.ValidationError, Invalid, Conflict) as error:
        db.session.rollback()
        message = (
            error.translated() if isinstance(error, Invalid | Conflict) else "撤销须填写理由。"
        )
        return _worker_page(worker_id, error=message), 409 if isinstance(error, Conflict) else 422
    flash("就业登记已撤销。")
    return redirect(url_for("desk.worker", worker_id=worker_id), code=303)


# --- statistics and downloads -----------------------------------------------------------------


@blp.get("/stats")
@sign_in_required
def statistics() -> Any:
    """A city's month in figures, with the last twelve months and the breakdowns as charts."""
    user = current_official()
    query = load(StatsQuerySchema(), given(request.args))
    city = query.get("city") or pages.city_choices(user)[0][0]
    stats.require_city_reader(user, city)
    month = Month.parse(query["month"]) if "month" in query else pages.default_month(city)
    return render_template(
        "desk/stats.html",
        page=pages.stats_page(user, city, month),
        cities=pages.city_choices(user),
    )


@blp.get("/ledger")
@sign_in_required
def ledger_page() -> Any:
    """The money ledger: each programme's flags pending, approved, paid and rejected, in yuan."""
    user = current_official()
    query = load(LedgerPageQuerySchema(), given(request.args))
    city = query.get("city") or pages.city_choices(user)[0][0]
    found = ledger.ledger(user, city, query.get("program"), query.get("month"))
    shown = {**query, "city": city}
    return render_template(
        "desk/ledger.html",
        ledger=found,
        totals=pages.ledger_totals(found),
        query=shown,
        cities=pages.city_choices(user),
        programs=programs.codes(),
        export_link=lambda fmt: (
            url_for("desk.export_ledger", file_format=fmt) + "?" + urlencode(shown)
        ),
    )


@blp.get("/exports/ledger.<any(csv, xlsx):file_format>")
@sign_in_required
def export_ledger(file_format: str) -> Response:
    """Download the ledger (with its filters) as CSV or Excel."""
    query = load(LedgerPageQuerySchema(), given(request.args))
    user = current_official()
    city = query.get("city") or pages.city_choices(user)[0][0]
    exported = ledger.export_ledger(
        user, city, query.get("program"), query.get("month"), file_format
    )
    return spreadsheets.download(exported)


@blp.get("/exports/flags.<any(csv, xlsx):file_format>")
@sign_in_required
def export_flags(file_format: str) -> Response:
    """Download the queue's flags (with its filters) as CSV or Excel."""
    filters = load(ExportFlagsQuerySchema(), given(request.args))
    return spreadsheets.download(subsidies.export_flags(current_official(), filters, file_format))


@blp.get("/exports/workers.<any(csv, xlsx):file_format>")
@sign_in_required
def export_workers(file_format: str) -> Response:
    """Download the month's active workers of a city (无锡 第四条) as CSV or Excel."""
    query = load(StatsQuerySchema(), given(request.args))
    city = query.get("city") or pages.city_choices(current_official())[0][0]
    stats.require_city_reader(current_official(), city)
    month = Month.parse(query["month"]) if "month" in query else pages.default_month(city)
    return spreadsheets.download(stats.export_workers(current_official(), city, month, file_format))
