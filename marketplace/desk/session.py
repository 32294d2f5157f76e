"""Signing in to the officials' desk: the API's accounts and tokens, in a session on the server.

Signing in goes through ``auth.services.issue_token`` — the same password check and the same
throttle of failed attempts as ``POST /auth/token``. The issued token never leaves the server:
the desk's session (``server_sessions``, whose cookie holds only a random id) remembers which
token it was opened with, and every page checks that the token is still live, so revoking it
(signing out, ``flask users revoke-tokens``) closes the desk at once. Only officials and admins
get in. Forms carry a CSRF token (Flask-WTF's, bound to the session), checked on every POST of
the desk.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

from flask import redirect, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select, update
from wtforms import ValidationError

from marketplace import clock
from marketplace.auth import services as auth_services
from marketplace.auth.models import AccessToken, User
from marketplace.database import writes_on_read
from marketplace.desk import server_sessions
from marketplace.errors import Forbidden
from marketplace.extensions import db

DESK_ROLES = ("official", "admin")

F = TypeVar("F", bound=Callable[..., Any])


def _this_session() -> server_sessions.ServerSession:
    desk = server_sessions.this_request()
    if desk is None:
        raise RuntimeError("the desk's session is loaded for the desk's pages only")
    return desk


def sign_in(phone: str, password: str) -> User:
    """Check the credentials and open a desk session; officials and admins only.

    Raises what ``issue_token`` raises (Unauthorized, TooManyRequests) and Forbidden for any
    other role; the caller commits a failed attempt, which is the throttle's record.
    """
    issued = auth_services.issue_token(phone, password)
    # Access tokens are stored as their SHA-256 (AccessToken): the session keeps the row's id.
    stored = hashlib.sha256(issued.access_token.encode()).hexdigest()
    token, user = db.session.execute(
        select(AccessToken, User)
        .join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == stored)
    ).one()
    if user.role not in DESK_ROLES:
        raise Forbidden(
            "the desk is for the staff of the human resources and social security offices and "
            "the platform's admins only"
        )
    _this_session().open(user, token.id, token.expires_at)
    return user


def sign_out() -> None:
    """End the desk session and revoke the access token it was opened with."""
    desk = _this_session()
    if desk.access_token_id is not None:
        db.session.execute(
            update(AccessToken)
            .where(AccessToken.id == desk.access_token_id, AccessToken.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        )
    desk.end()


def desk_user() -> User | None:
    """The official or admin signed in to the desk, if any."""
    desk = server_sessions.this_request()
    user = desk.user if desk is not None else None
    return user if user is not None and user.role in DESK_ROLES else None


def current_official() -> User:
    """The signed-in user of the current desk page (only inside ``sign_in_required`` views)."""
    return cast(User, desk_user())


# What a return address may never hold: control characters (a CR or LF would split the Location
# header), backslashes (browsers read them as slashes) — and it is short.
_UNSAFE_IN_TARGET = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
MAX_TARGET_LENGTH = 2000


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path of the desk on this site, else None (no open redirects).

    Anything else — another site, a path outside the desk or one that climbs out of it with
    ``..``, a control character — is ignored, never followed and never an error.
    """
    if not target or len(target) > MAX_TARGET_LENGTH or _UNSAFE_IN_TARGET.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/desk/"):
        return None
    # Browsers resolve "." and ".." segments, percent-encoded ones too, before they follow.
    if any(segment in {".", ".."} for segment in unquote(parts.path).split("/")):
        return None
    return target


def _return_to() -> str | None:
    # A page comes back to itself; a form (whose session ran out while it was open) to the page
    # it was on, which it names in its "here" field — never to the POST address itself.
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return safe_next(request.form.get("here"))


def sign_in_required(view: F) -> F:
    """Send anyone not signed in to the sign-in page, and back where they were afterwards.

    Every page of a signed-in session writes (its ``last_seen_at``, for the idle timeout), so a
    GET declares its write intent up front (``writes_on_read``).
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if desk_user() is None:
            return redirect(url_for("desk.sign_in_page", next=_return_to()))
        return view(*args, **kwargs)

    return cast(F, writes_on_read(wrapper))


def check_csrf() -> None:
    """Refuse a POST without this session's CSRF token (400, nothing done)."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(str(error)) from None
