"""Signing in to the desk and out of it (the session itself: ``session``)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from marketplace.database import writes_on_read
from marketplace.desk.blueprint import blp
from marketplace.desk.error_pages import HEADLINES
from marketplace.desk.session import desk_user, safe_next, sign_in, sign_out
from marketplace.errors import DomainError, Unauthorized
from marketplace.extensions import db


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
            error=HEADLINES.get(error.status, error.translated()),
            detail=error.translated() if error.status == 403 else None,
        )
        return page, error.status
    return redirect(target or url_for("desk.queue"), code=303)


@blp.post("/logout")
def sign_out_submit() -> Any:
    """End the session (its row and its token) and go back to the sign-in page."""
    sign_out()
    flash("已退出登录。")
    return redirect(url_for("desk.sign_in_page"), code=303)
