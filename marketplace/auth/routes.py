"""HTTP endpoints of accounts and tokens."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.auth import services
from marketplace.auth.addresses import client_address
from marketplace.auth.schemas import (
    MeSchema,
    PasswordChangedSchema,
    PasswordChangeSchema,
    RegisterSchema,
    TokenRequestSchema,
    TokenSchema,
    UserSchema,
)
from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, bearer_token, current_user
from marketplace.errors import ErrorSchema, Unauthorized
from marketplace.extensions import db

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")

THROTTLED: dict[str, Any] = {
    "schema": ErrorSchema,
    "description": "Too many failed sign-ins for this phone from this client address "
    "(LOGIN_MAX_FAILURES), or from this address whatever the phone "
    "(LOGIN_MAX_FAILURES_PER_ADDRESS), within LOGIN_FAILURE_WINDOW_SECONDS; the password was "
    "not checked.",
    "headers": {
        "Retry-After": {
            "description": "Seconds until the next attempt is allowed.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


@blp.route("/register")
class Register(MethodView):
    """Self-registration of workers, employers and brokers."""

    @blp.doc(security=[])
    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema)
    @blp.errors(409)
    def post(self, body: dict[str, Any]):
        """Register a worker, employer or broker account."""
        return services.register(body["phone"], body["password"], body["role"])


@blp.route("/token")
class Token(MethodView):
    """Access tokens."""

    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(429, **THROTTLED)
    @blp.errors(401)
    def post(self, body: dict[str, Any]):
        """Exchange a phone and password for a bearer token."""
        try:
            return services.issue_token(body["phone"], body["password"], client_address())
        except Unauthorized:
            # The failed attempt is this request's only change, and the throttle depends on it:
            # commit it although the request fails.
            db.session.commit()
            raise


@blp.route("/me")
class Me(MethodView):
    """The caller's account."""

    @auth_required()
    @blp.response(200, MeSchema)
    def get(self):
        """Show the caller's account."""
        return current_user()


@blp.route("/password")
class Password(MethodView):
    """The caller's password."""

    @auth_required()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, PasswordChangedSchema)
    @blp.alt_response(429, **THROTTLED)
    def post(self, body: dict[str, Any]):
        """Change one's own password; every other token of the caller is revoked."""
        token = bearer_token()
        assert token is not None  # auth_required has authenticated it
        try:
            revoked = services.change_password(
                current_user(),
                body["old"],
                body["new"],
                current_token=token,
                address=client_address(),
            )
        except services.WrongPassword:
            # As a failed token request: the failure is the throttle's record, keep it.
            db.session.commit()
            raise
        return {"revoked_tokens": revoked}


@blp.route("/logout")
class Logout(MethodView):
    """Revoking the token in use."""

    @auth_required()
    @blp.response(204)
    def post(self):
        """Revoke the bearer token of this request at once."""
        token = bearer_token()
        assert token is not None  # auth_required has authenticated it
        services.revoke_token(token)
