"""Reusable checks of who is calling: authentication and role guards for views.

``auth_required`` goes on top of a view's decorators, so that an anonymous caller gets 401
before any input is parsed. Object-level checks live in each domain's services, which take the
current user explicitly.

The guards know nothing of how accounts are stored: the accounts domain registers the function
that finds the user behind a bearer token (``init_app``), as Flask-Login's ``user_loader`` does.
So every domain's views — the audit log's too, which the accounts domain writes to — wear the
same guard without importing the accounts domain.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request

from marketplace.errors import Forbidden, NotFound, Unauthorized, document_errors

F = TypeVar("F", bound=Callable[..., Any])

SELF_REGISTERED_ROLES = ("worker", "employer", "broker")
ROLES = (*SELF_REGISTERED_ROLES, "official", "admin")
_EXTENSION = "marketplace.user_for_token"


def init_app(app: Flask, user_for_token: Callable[[str], Any]) -> None:
    """Let the guards of ``app`` find the user behind a bearer token with ``user_for_token``.

    It answers the live account the token belongs to, or None.
    """
    app.extensions[_EXTENSION] = user_for_token


def bearer_token() -> str | None:
    """The bearer token of the current request, if it has one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> Any:
    """The authenticated user of the current request (only inside ``auth_required`` views)."""
    return g.current_user


def authenticate() -> Any:
    """Find the caller from their bearer token, or raise 401."""
    token = bearer_token()
    if token is None:
        raise Unauthorized("missing bearer token")
    user = current_app.extensions[_EXTENSION](token)
    if user is None:
        raise Unauthorized("invalid, expired or revoked token")
    return user


def require_role(user: Any, *roles: str) -> None:
    """Raise 403 unless ``user`` holds one of ``roles``."""
    if roles and user.role not in roles:
        raise Forbidden("this action is for: %(roles)s", roles=", ".join(roles))


def official_of_city(user: Any, city: str | None, refused: str, missing: str) -> None:
    """Let only an official of ``city`` act on one of its objects.

    Any other role is refused (403, saying ``refused``); an official of another city is told the
    object does not exist (404 naming ``missing``), so that other cities' objects never show.
    Both are msgids of the catalogue (``N_("flag")``).
    """
    if user.role != "official":
        raise Forbidden(refused)
    if city is None or user.city != city:
        raise NotFound(missing)


def auth_required(*roles: str) -> Callable[[F], F]:
    """Let the view run only for an authenticated user holding one of ``roles`` (any if none).

    The view's OpenAPI document then lists 401, and 403 when ``roles`` are named, and names the
    roles that may call it in ``x-roles``.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = authenticate()
            require_role(user, *roles)
            g.current_user = user
            return view(*args, **kwargs)

        apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
        apidoc.setdefault("manual_doc", {})["x-roles"] = list(roles or ROLES)
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return document_errors(cast(F, wrapper), *((401, 403) if roles else (401,)))

    return decorator
