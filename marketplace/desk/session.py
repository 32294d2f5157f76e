"""Signing in to the officials' desk: the API's accounts and tokens, carried in a session cookie.

Signing in goes through ``auth.services.issue_token`` — the same password check and the same
throttle of failed attempts as ``POST /auth/token`` — and keeps the issued token in Flask's
signed session cookie. Every page looks the token up again, so an expired or revoked token
(``flask users revoke-tokens``, or signing out) closes the desk at once. Only officials and
admins get in. Forms carry a CSRF token (Flask-WTF's, bound to the session), checked on every
POST of the desk.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.errors import Forbidden

DESK_ROLES = ("official", "admin")
TOKEN_KEY = "desk_token"  # noqa: S105 — the session key's name, not a secret

F = TypeVar("F", bound=Callable[..., Any])


def sign_in(phone: str, password: str) -> User:
    """Check the credentials and open a desk session; officials and admins only.

    Raises what ``issue_token`` raises (Unauthorized, TooManyRequests) and Forbidden for any
    other role; the caller commits a failed attempt, which is the throttle's record.
    """
    issued = auth_services.issue_token(phone, password)
    user = auth_services.user_for_token(issued.access_token)
    if user is None or user.role not in DESK_ROLES:
        raise Forbidden("审核台仅供人社部门工作人员和平台管理员使用")
    _new_session()
    session[TOKEN_KEY] = issued.access_token
    return user


def sign_out() -> None:
    """Revoke the desk session's token and forget the session."""
    token = session.get(TOKEN_KEY)
    if token:
        auth_services.revoke_token(token)
    _new_session()


def _new_session() -> None:
    # A fresh session gets a fresh CSRF token and no user: forget what the request cached.
    session.clear()
    g.pop("csrf_token", None)
    g.pop("desk_user", None)


def desk_user() -> User | None:
    """The official or admin signed in to the desk, if any."""
    token = session.get(TOKEN_KEY)
    user = auth_services.user_for_token(token) if isinstance(token, str) else None
    return user if user is not None and user.role in DESK_ROLES else None


def current_official() -> User:
    """The signed-in user of the current desk page (only inside ``sign_in_required`` views)."""
    return cast(User, g.desk_user)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path of the desk on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/desk/"):
        return None
    return target


def _return_to() -> str | None:
    # A page comes back to itself; a form (whose session ran out while it was open) to the page
    # it was on, which it names in its "here" field — never to the POST address itself.
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return safe_next(request.form.get("here"))


def sign_in_required(view: F) -> F:
    """Send anyone not signed in to the sign-in page, and back where they were afterwards."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = desk_user()
        if user is None:
            return redirect(url_for("desk.sign_in_page", next=_return_to()))
        g.desk_user = user
        return view(*args, **kwargs)

    return cast(F, wrapper)


def check_csrf() -> None:
    """Refuse a POST without this session's CSRF token (400, nothing done)."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(str(error)) from None
