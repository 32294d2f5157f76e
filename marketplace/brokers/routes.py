"""HTTP endpoints of broker profiles and of delegations.

An employer's delegations (``/employers/me/brokers``) are views of the employers' blueprint
registered here, where delegations live: the employers' own package needs no broker.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from marketplace.brokers import delegations, services
from marketplace.brokers.schemas import (
    BrokerProfileInSchema,
    BrokerProfilePatchSchema,
    BrokerSchema,
    DelegationInSchema,
    DelegationSchema,
)
from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.common.schemas import patched
from marketplace.employers.routes import blp as employers_blp
from marketplace.employers.schemas import EmployerSchema

blp = Blueprint("brokers", __name__, url_prefix="/api/v1/brokers", description="Labour brokers")


@blp.route("/me")
class MyProfile(MethodView):
    """The caller's broker profile."""

    @auth_required("broker")
    @blp.response(200, BrokerSchema)
    @blp.errors(404)
    def get(self):
        """Read my broker profile (404 until the first PUT)."""
        return services.my_profile(current_user())

    @auth_required("broker")
    @blp.arguments(BrokerProfileInSchema)
    @blp.response(200, BrokerSchema)
    def put(self, body: dict[str, Any]):
        """Create or replace my broker profile."""
        return services.put_profile(current_user(), body)

    @auth_required("broker")
    @blp.arguments(BrokerProfilePatchSchema)
    @blp.response(200, BrokerSchema)
    @blp.errors(404, 409)
    def patch(self, _body: dict[str, Any]):
        """Change only the given fields of my profile (checked as a whole, as a PUT is)."""
        user = current_user()
        current = BrokerSchema().dump(services.my_profile(user))
        body = patched(current, request.get_json(silent=True) or {}, BrokerProfileInSchema())
        return services.put_profile(user, body)


@blp.route("/me/employers")
class MyEmployers(MethodView):
    """The employers I act for."""

    @auth_required("broker")
    @blp.response(200, EmployerSchema(many=True))
    @blp.errors(409)
    def get(self):
        """List the employers that delegated to me and have not revoked it."""
        return delegations.employers_of_broker(current_user())


@employers_blp.route("/me/brokers")
class MyBrokers(MethodView):
    """The brokers that act for me."""

    @auth_required("employer")
    @employers_blp.response(200, DelegationSchema(many=True))
    @employers_blp.errors(409)
    def get(self):
        """List the brokers that may act for me now."""
        return delegations.my_brokers(current_user())

    @auth_required("employer")
    @idempotent
    @employers_blp.arguments(DelegationInSchema)
    @employers_blp.response(201, DelegationSchema)
    @employers_blp.errors(409)
    def post(self, body: dict[str, Any]):
        """Let a broker act for me."""
        return delegations.delegate(current_user(), body["broker_id"])


@employers_blp.route("/me/brokers/<int:broker_id>")
class MyBroker(MethodView):
    """One broker's delegation."""

    @auth_required("employer")
    @employers_blp.response(204)
    @employers_blp.errors(404, 409)
    def delete(self, broker_id: int):
        """End a broker's delegation at once."""
        delegations.revoke_delegation(current_user(), broker_id)
