"""The officials' desk: server-rendered pages over the same services as the API.

A plain Flask blueprint rather than flask-smorest: these are HTML pages for people, not
operations of the JSON API, and they stay out of the OpenAPI document. They work with no
internet (no CDN, no script at all: charts are SVG drawn on the server), in Chinese.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf
from marshmallow import fields, validate
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace import clock
from marketplace.cities import catalogue
from marketplace.common import spreadsheets
from marketplace.common.months import Month
from marketplace.common.schemas import MonthText
from marketplace.database import writes_on_read
from marketplace.desk import pages
from marketplace.desk.session import (
    check_csrf,
    current_official,
    desk_user,
    safe_next,
    sign_in,
    sign_in_required,
    sign_out,
)
from marketplace.errors import DomainError, Invalid, Unauthorized
from marketplace.extensions import db
from marketplace.stats import services as stats
from marketplace.subsidies import services as subsidies
from marketplace.subsidies.evaluation import risk
from marketplace.subsidies.models import FLAG_STATUSES
from marketplace.subsidies.rules import programs
from marketplace.subsidies.schemas import DecisionInSchema, FlagQuerySchema

blp = Blueprint(
    "desk",
    __name__,
    url_prefix="/desk",
    template_folder="templates",
    static_folder="static",
)

# Pages hold personal data: no caching anywhere; only this site's own stylesheet, no script.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADLINES = {
    400: "请求无效，请刷新页面后重试",
    405: "不支持此操作",
    500: "服务器出错了，已记录，请稍后再试",
    401: "手机号或密码错误",
    403: "无权进行此操作",
    404: "未找到，或不属于您所在的城市",
    409: "操作与当前状态冲突",
    422: "输入有误",
    429: "失败次数过多，请稍后再试",
}


class QueueQuerySchema(FlagQuerySchema):
    """The queue's filters (those of the API's flag list) and its page."""

    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class ExportFlagsQuerySchema(FlagQuerySchema):
    """The queue's filters, for the flags download."""

    class Meta:
        unknown = ma.EXCLUDE


class StatsQuerySchema(ma.Schema):
    """Which city and month the statistics page shows (defaults: mine, the last whole month)."""

    class Meta:
        unknown = ma.EXCLUDE

    city = fields.String()
    month = MonthText()


def _given(args: Any) -> dict[str, str]:
    # An empty select option means "any": it is no filter at all.
    return {key: value for key, value in args.items() if value != ""}


def _load(schema: ma.Schema, args: dict[str, str]) -> dict[str, Any]:
    try:
        return dict(schema.load(args))
    except ma.ValidationError as error:
        raise Invalid("invalid filters", {"query": error.messages}) from None


def _queue_query() -> dict[str, str]:
    # The queue opens on what is waiting; "全部" sends status= (empty), which is no filter but
    # must stay in the page links, or page 2 would fall back to what is waiting.
    query = {key: value for key, value in request.args.items() if key != "page"}
    query.setdefault("status", "pending")
    return query


@blp.before_request
def protect_forms() -> None:
    """Every POST of the desk carries the session's CSRF token."""
    if request.method == "POST":
        check_csrf()


@blp.after_request
def page_headers(response: Response) -> Response:
    """Security headers of the desk's pages (the JSON API has its own)."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Cache-Control"] = "no-store"
    return response


@blp.context_processor
def page_context() -> dict[str, Any]:
    """What every template may use: the CSRF token, the names of codes, the signed-in user."""
    return {"csrf_token": generate_csrf, "names": pages.NAMES, "user": desk_user()}


@blp.app_template_filter("local")
def local_time(instant: datetime | None) -> str:
    """An instant in China time, to the second (times are stored in UTC)."""
    if instant is None:
        return "—"
    return clock.local_text(instant)


@blp.app_template_filter("city_name")
def city_name(code: str | None) -> str:
    """A city's Chinese name from its code."""
    place = catalogue.find(code) if code else None
    return place.name if place else (code or "")


@blp.errorhandler(DomainError)
def domain_error(error: DomainError) -> tuple[str, int]:
    """A refused request as a page, with the status the API would give."""
    return _error_page(error.status, error.message, error.errors), error.status


@blp.errorhandler(CSRFError)
def csrf_error(error: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token: nothing was done."""
    return _error_page(400, "表单已过期或来源不明，请返回刷新页面后重新提交。", None), 400


def install_error_pages(app: Flask) -> None:
    """Answer HTTP errors under /desk/ (unknown pages, wrong methods, 500) as desk pages.

    Errors raised inside the desk's views have the blueprint's handlers; these are the ones no
    view saw. Everywhere else the API's JSON handlers answer, as before.
    """
    handlers = app.error_handler_spec[None]
    for code, exception_class in ((None, HTTPException), (500, InternalServerError)):
        api_handler = handlers[code][exception_class]

        def handle(error: HTTPException, api_handler: Any = api_handler) -> Any:
            if not request.path.startswith(blp.url_prefix or "/desk"):
                return api_handler(error)
            status = error.code or 500
            page = _error_page(status, HEADLINES.get(status, "出错了"), None)
            return page, status

        app.register_error_handler(exception_class, handle)


def _error_page(status: int, message: str, errors: Any) -> str:
    return render_template(
        "desk/error.html",
        status=status,
        headline=HEADLINES.get(status, "出错了"),
        message=message,
        errors=errors,
    )


# --- signing in and out -----------------------------------------------------------------------


@blp.get("/login")
@writes_on_read  # a signed-in session is touched, a notice shown is removed
def sign_in_page() -> Any:
    """The sign-in form."""
    target = safe_next(request.args.get("next"))
    if desk_user() is not None:
        return redirect(target or url_for("desk.queue"))
    return render_template("desk/login.html", next=target)


@blp.post("/login")
def sign_in_submit() -> Any:
    """Check the phone and password; officials and admins go to where they were heading."""
    phone = request.form.get("phone", "").strip()
    target = safe_next(request.form.get("next"))
    try:
        sign_in(phone, request.form.get("password", ""))
    except DomainError as error:
        if isinstance(error, Unauthorized):
            # The failed attempt is the login throttle's record: keep it, whatever the status.
            db.session.commit()
        page = render_template(
            "desk/login.html",
            next=target,
            phone=phone,
            error=HEADLINES.get(error.status, error.message),
            detail=error.message if error.status == 403 else None,
        )
        return page, error.status
    return redirect(target or url_for("desk.queue"), code=303)


@blp.post("/logout")
def sign_out_submit() -> Any:
    """End the session (its row and its token) and go back to the sign-in page."""
    sign_out()
    flash("已退出登录。")
    return redirect(url_for("desk.sign_in_page"), code=303)


# --- the queue and a flag ---------------------------------------------------------------------


@blp.get("/")
@sign_in_required
def queue() -> Any:
    """The flags waiting for a decision, filtered and paged."""
    user = current_official()
    query = _queue_query()
    filters = _load(QueueQuerySchema(), _given({**query, "page": request.args.get("page", "")}))
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


def _flag_page(flag_id: int, error: str | None = None, reason: str = "") -> str:
    return render_template(
        "desk/flag.html",
        page=pages.flag_page(current_official(), flag_id),
        back=safe_next(request.values.get("back")) or url_for("desk.queue"),
        error=error,
        reason=reason,
    )


@blp.post("/flags/<int:flag_id>/decision")
@sign_in_required
def decide(flag_id: int) -> Any:
    """Approve or reject the flag; a rejection without a reason is refused and changes nothing."""
    form = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason")}
    try:
        body = DecisionInSchema().load(form)
        decided = subsidies.decide(current_official(), flag_id, body["decision"], body["reason"])
    except (ma.ValidationError, Invalid) as error:
        db.session.rollback()
        page = _flag_page(flag_id, error=_decision_error(error), reason=form["reason"] or "")
        return page, 422
    verb = "批准" if decided.status == "approved" else "驳回"
    flash(f"标记 #{decided.id} 已{verb}。")
    return redirect(safe_next(request.form.get("back")) or url_for("desk.queue"), code=303)


def _decision_error(error: Exception) -> str:
    problems = error.messages if isinstance(error, ma.ValidationError) else {}
    if "decision" in problems:
        return "请选择“批准”或“驳回”。"
    if "reason" in problems:
        return "理由不能超过1000字。"
    return "驳回必须填写理由。"


# --- statistics and downloads -----------------------------------------------------------------


@blp.get("/stats")
@sign_in_required
def statistics() -> Any:
    """A city's month in figures, with the last twelve months and the breakdowns as charts."""
    user = current_official()
    query = _load(StatsQuerySchema(), _given(request.args))
    city = query.get("city") or pages.city_choices(user)[0][0]
    stats.require_city_reader(user, city)
    month = Month.parse(query["month"]) if "month" in query else pages.default_month(city)
    return render_template(
        "desk/stats.html",
        page=pages.stats_page(user, city, month),
        cities=pages.city_choices(user),
    )


@blp.get("/exports/flags.<any(csv, xlsx):file_format>")
@sign_in_required
def export_flags(file_format: str) -> Response:
    """Download the queue's flags (with its filters) as CSV or Excel."""
    filters = _load(ExportFlagsQuerySchema(), _given(request.args))
    return spreadsheets.download(subsidies.export_flags(current_official(), filters, file_format))


@blp.get("/exports/workers.<any(csv, xlsx):file_format>")
@sign_in_required
def export_workers(file_format: str) -> Response:
    """Download the month's active workers of a city (无锡 第四条) as CSV or Excel."""
    query = _load(StatsQuerySchema(), _given(request.args))
    city = query.get("city") or pages.city_choices(current_official())[0][0]
    stats.require_city_reader(current_official(), city)
    month = Month.parse(query["month"]) if "month" in query else pages.default_month(city)
    return spreadsheets.download(stats.export_workers(current_official(), city, month, file_format))
