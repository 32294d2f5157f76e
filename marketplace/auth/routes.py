"""HTTP endpoints of accounts and tokens."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.auth import services
from marketplace.auth.addresses import client_address
from marketplace.auth.schemas import (
    PASSWORD_CHANGE_EXAMPLE,
    REGISTER_EXAMPLE,
    TOKEN_REQUEST_EXAMPLE,
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
    @blp.arguments(RegisterSchema, example=REGISTER_EXAMPLE)
    @blp.response(201, UserSchema)
    @blp.errors(409)
    def post(self, body: dict[str, Any]):
        """Register a worker, employer or broker account.

        Anyone may call it, without a token; official and admin accounts are made only from the
        command line. ``phone`` (a mainland mobile number) is the sign-in name. The account
        starts without a profile: get a token (``POST /auth/token``), then write the profile of
        the role (``PUT /workers/me``, ``/employers/me`` or ``/brokers/me``). 409: the phone
        number is already registered. 422: invalid input — a phone that is not a mainland
        mobile number, a password shorter than 8 characters, among the 10,000 most common or
        containing the phone number, or a role other than ``worker``, ``employer`` and
        ``broker``.
        """
        return services.register(body["phone"], body["password"], body["role"])


@blp.route("/token")
class Token(MethodView):
    """Access tokens."""

    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema, example=TOKEN_REQUEST_EXAMPLE)
    @blp.response(200, TokenSchema)
    @blp.alt_response(429, **THROTTLED)
    @blp.errors(401)
    def post(self, body: dict[str, Any]):
        """Exchange a phone and password for a bearer token.

        Anyone may call it, without a token. The token answered goes in
        ``Authorization: Bearer <token>`` on every other call; it expires after ``expires_in``
        seconds, or sooner on logout, a password change or the account's closure. 401: the
        phone or the password is wrong (the answer does not say which); the failure counts
        toward the sign-in throttle. 429: too many failed sign-ins for this phone from this
        client address, or from this address whatever the phone; the password was not checked
        and ``Retry-After`` says how many seconds to wait. 422: the phone is not a mainland
        mobile number.
        """
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
        """Show the caller's account.

        Any signed-in user, of every role. Answers the account behind the token: its id, phone,
        role and city (an official's city; ``null`` for every other role). 401: no token, or a
        token that is invalid, expired or revoked.
        """
        return current_user()


@blp.route("/password")
class Password(MethodView):
    """The caller's password."""

    @auth_required()
    @blp.arguments(PasswordChangeSchema, example=PASSWORD_CHANGE_EXAMPLE)
    @blp.response(200, PasswordChangedSchema)
    @blp.alt_response(429, **THROTTLED)
    def post(self, body: dict[str, Any]):
        """Change one's own password; every other token of the caller is revoked.

        Any signed-in user. ``old`` is checked like a sign-in from this client address: a wrong
        one is 422 on ``old`` and counts as a failed sign-in, and once the throttle's limit is
        reached the answer is 429 with ``Retry-After``, without checking the password. ``new``
        must differ from ``old`` and follow the rules of registration (422 on ``new``). The
        token of this request stays valid; the answer says how many other tokens were revoked.
        The change is an audit event. 401: no valid token.
        """
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
        """Revoke the bearer token of this request at once.

        Any signed-in user. The token stops working at once; the account's other tokens stay
        valid (a password change revokes those). Answers 204 without a body. 401: no token, or
        one already invalid, expired or revoked.
        """
        token = bearer_token()
        assert token is not None  # auth_required has authenticated it
        services.revoke_token(token)
