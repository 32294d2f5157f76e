"""The desk's review of job posts: the city's held posts, each with why it was held, and the
forms to publish it or to reject it with a reason (contract v1.1 "Job-post review").

The decisions go through the API's service (``jobs.review.decide``): the same rules, the same
audit events, the same notices to the employer and the workers.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from marketplace.desk.blueprint import blp
from marketplace.desk.session import current_official, sign_in_required
from marketplace.employers.models import Employer
from marketplace.errors import Conflict, Invalid
from marketplace.extensions import db
from marketplace.jobs import review
from marketplace.jobs.schemas import JobReviewInSchema


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    user = current_official()
    held = list(db.session.scalars(review.queue(user, None, "held")))
    employers = dict(
        db.session.execute(
            select(Employer.id, Employer.name).where(
                Employer.id.in_({job.employer_id for job in held})
            )
        ).all()
    )
    page = render_template(
        "desk/reviews.html",
        held=held,
        employers=employers,
        said=review.said,
        error=error,
    )
    return page, status


@blp.get("/reviews")
@sign_in_required
def reviews() -> Any:
    """The job posts of the city held for review, oldest first."""
    return _page()


@blp.post("/jobs/<int:job_id>/review")
@sign_in_required
def review_job(job_id: int) -> Any:
    """Publish a held post or reject it with a reason; refused, nothing changes."""
    try:
        body = JobReviewInSchema().load(
            {"decision": request.form.get("decision", ""), "reason": request.form.get("reason")}
        )
        decided = review.decide(current_official(), job_id, body["decision"], body["reason"])
    except ma.ValidationError:
        db.session.rollback()
        return _page("请选择“发布”或“驳回”，驳回理由不超过1000字。", 422)
    except (Invalid, Conflict) as error:
        db.session.rollback()
        return _page(error.translated(), 409 if isinstance(error, Conflict) else 422)
    verb = "已发布" if decided.review_status == "published" else "已驳回"
    flash(f"岗位「{decided.title}」{verb}。")
    return redirect(url_for("desk.reviews"), code=303)
