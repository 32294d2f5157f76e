"""HTTP endpoints of employer profiles (its delegations to brokers: ``brokers.routes``)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.common.schemas import patched
from marketplace.employers import services
from marketplace.employers.schemas import (
    EmployerProfileInSchema,
    EmployerProfilePatchSchema,
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

    @auth_required("employer")
    @blp.arguments(EmployerProfilePatchSchema)
    @blp.response(200, EmployerSchema)
    @blp.errors(404, 409)
    def patch(self, _body: dict[str, Any]):
        """Change only the given fields of my profile (checked as a whole, as a PUT is)."""
        user = current_user()
        current = EmployerSchema().dump(services.my_profile(user))
        body = patched(current, request.get_json(silent=True) or {}, EmployerProfileInSchema())
        return services.put_profile(user, body)


@blp.route("/<int:employer_id>/credit-code-verification")
class CreditCodeVerification(MethodView):
    """An official's check of an employer's credit code."""

    @auth_required("official", "admin")
    @blp.response(200, EmployerSchema)
    @blp.errors(404)
    def post(self, employer_id: int):
        """Record that the credit code is registered (checked in the business registry):
        an official of the employer's city or an admin; an audit event, once."""
        return services.verify_credit_code(current_user(), employer_id)
