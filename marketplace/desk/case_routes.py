"""The desk's complaint cases (contract v1.1 "Disputes and complaint cases"): the city's cases,
and one case with the booking's attendance, its earnings, the dispute, the notes, a note form
and the outcome form.

Notes and decisions go through the API's services (``disputes.cases``): the same rules, audit
events and notices to both parties.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from marketplace.bookings.models import Booking
from marketplace.desk.blueprint import blp
from marketplace.desk.session import current_official, sign_in_required
from marketplace.disputes import cases
from marketplace.disputes.schemas import CaseNoteInSchema, CaseResolveSchema
from marketplace.employers.models import Employer
from marketplace.errors import Conflict, Forbidden, Invalid
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.workers.models import Worker

STATUS_NAMES = {"open": "待处理", "resolved": "已办结"}
DISPUTE_KIND_NAMES = {"hours": "工时", "pay": "工资", "other": "其他"}
SOURCE_NAMES = {"platform": "平台核定", "adjustment": "补记"}
ROLE_NAMES = {
    "official": "人社部门",
    "worker": "劳动者",
    "employer": "用工单位",
    "broker": "经纪人",
}


def _names(rows: list[Any]) -> dict[str, dict[int, str]]:
    """Worker and employer names, and the job titles of the bookings, for a list of cases."""
    workers = {row.worker_id for row in rows}
    employers = {row.employer_id for row in rows}
    bookings = {row.booking_id for row in rows}
    return {
        "workers": dict(
            db.session.execute(select(Worker.id, Worker.name).where(Worker.id.in_(workers))).all()
        ),
        "employers": dict(
            db.session.execute(
                select(Employer.id, Employer.name).where(Employer.id.in_(employers))
            ).all()
        ),
        "titles": dict(
            db.session.execute(
                select(Booking.id, Job.title)
                .join(Shift, Shift.id == Booking.shift_id)
                .join(Job, Job.id == Shift.job_id)
                .where(Booking.id.in_(bookings))
            ).all()
        ),
    }


@blp.get("/cases")
@sign_in_required
def cases_page() -> Any:
    """The city's complaint cases, open ones by default, newest first."""
    status = request.args.get("status", "open")
    filters = {"status": status} if status in STATUS_NAMES else {}
    rows = list(db.session.scalars(cases.visible(current_official(), filters).limit(500)))
    return render_template(
        "desk/cases.html",
        rows=rows,
        who=_names(rows),
        status=status,
        status_names=STATUS_NAMES,
        kind_names=cases.KIND_NAMES,
        outcome_names=cases.OUTCOME_NAMES,
    )


def _case_page(case_id: int, error: str | None = None, status: int = 200) -> tuple[str, int]:
    detail = cases.detail(current_official(), case_id)
    page = render_template(
        "desk/case.html",
        case=detail,
        who=_names([cases.get(current_official(), case_id)]),
        kind_names=cases.KIND_NAMES,
        outcome_names=cases.OUTCOME_NAMES,
        status_names=STATUS_NAMES,
        dispute_kind_names=DISPUTE_KIND_NAMES,
        source_names=SOURCE_NAMES,
        role_names=ROLE_NAMES,
        error=error,
    )
    return page, status


@blp.get("/cases/<int:case_id>")
@sign_in_required
def case_page(case_id: int) -> Any:
    """One case with what it is decided on, and its forms."""
    return _case_page(case_id)


@blp.post("/cases/<int:case_id>/notes")
@sign_in_required
def case_note(case_id: int) -> Any:
    """A note of the official on the case (both parties are told)."""
    try:
        body = CaseNoteInSchema().load({"text": request.form.get("text", "")})
        cases.add_note(current_official(), case_id, body["text"])
    except ma.ValidationError:
        db.session.rollback()
        return _case_page(case_id, "留言不能为空，且不超过2000字。", 422)
    except (Forbidden, Conflict) as error:
        db.session.rollback()
        return _case_page(case_id, error.translated(), error.status)
    flash("留言已发送，双方当事人会收到通知。")
    return redirect(url_for("desk.case_page", case_id=case_id), code=303)


@blp.post("/cases/<int:case_id>/resolve")
@sign_in_required
def case_resolve(case_id: int) -> Any:
    """The official's decision; refused, nothing changes."""
    form = {
        "outcome": request.form.get("outcome", ""),
        "amount": request.form.get("amount") or None,
        "reason": request.form.get("reason", ""),
    }
    try:
        body = CaseResolveSchema().load(form)
        cases.resolve(current_official(), case_id, body["outcome"], body["amount"], body["reason"])
    except ma.ValidationError:
        db.session.rollback()
        return _case_page(
            case_id, "请选择处理结果并填写理由；金额为元，最多两位小数，仅在支持劳动者时填写。", 422
        )
    except (Forbidden, Invalid, Conflict) as error:
        db.session.rollback()
        return _case_page(case_id, error.translated(), error.status)
    flash(f"案件 {case_id} 已办结。")
    return redirect(url_for("desk.case_page", case_id=case_id), code=303)
