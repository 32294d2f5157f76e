"""HTTP endpoints of broker profiles."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.brokers import services
from marketplace.brokers.schemas import BrokerProfileInSchema, BrokerSchema
from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.employers import services as employers
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


@blp.route("/me/employers")
class MyEmployers(MethodView):
    """The employers I act for."""

    @auth_required("broker")
    @blp.response(200, EmployerSchema(many=True))
    @blp.errors(409)
    def get(self):
        """List the employers that delegated to me and have not revoked it."""
        return employers.employers_of_broker(current_user())
