"""HTTP endpoints of employer profiles and delegations."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.employers import services
from marketplace.employers.schemas import (
    DelegationInSchema,
    DelegationSchema,
    EmployerProfileInSchema,
    EmployerSchema,
)

blp = Blueprint("employers", __name__, url_prefix="/api/v1/employers", description="Employers")


@blp.route("/me")
class MyProfile(MethodView):
    """The caller's employer profile."""

    @auth_required("employer")
    @blp.response(200, EmployerSchema)
    @blp.errors(404)
    def get(self):
        """Read my employer profile (404 until the first PUT)."""
        return services.my_profile(current_user())

    @auth_required("employer")
    @blp.arguments(EmployerProfileInSchema)
    @blp.response(200, EmployerSchema)
    @blp.errors(409)
    def put(self, body: dict[str, Any]):
        """Create or replace my employer profile."""
        return services.put_profile(current_user(), body)


@blp.route("/me/brokers")
class MyBrokers(MethodView):
    """The brokers that act for me."""

    @auth_required("employer")
    @blp.response(200, DelegationSchema(many=True))
    @blp.errors(409)
    def get(self):
        """List the brokers that may act for me now."""
        return services.my_brokers(current_user())

    @auth_required("employer")
    @idempotent
    @blp.arguments(DelegationInSchema)
    @blp.response(201, DelegationSchema)
    @blp.errors(409)
    def post(self, body: dict[str, Any]):
        """Let a broker act for me."""
        return services.delegate(current_user(), body["broker_id"])


@blp.route("/me/brokers/<int:broker_id>")
class MyBroker(MethodView):
    """One broker's delegation."""

    @auth_required("employer")
    @blp.response(204)
    @blp.errors(404, 409)
    def delete(self, broker_id: int):
        """End a broker's delegation at once."""
        services.revoke_delegation(current_user(), broker_id)
