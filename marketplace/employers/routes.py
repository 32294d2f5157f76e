"""HTTP endpoints of employer profiles (its delegations to brokers: ``brokers.routes``)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.common.api import Blueprint
from marketplace.common.guards import auth_required, current_user
from marketplace.common.schemas import patched
from marketplace.employers import services
from marketplace.employers.schemas import (
    EMPLOYER_PROFILE_EXAMPLE,
    EMPLOYER_PROFILE_PATCH_EXAMPLE,
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
        """Read my employer profile (404 until the first PUT).

        Employers only (403 for every other role). Answers the company's profile with
        ``credit_code_verified``: whether an official has checked its credit code in the
        business registry. 404: no profile yet; ``PUT /employers/me`` creates it.
        """
        return services.my_profile(current_user())

    @auth_required("employer")
    @blp.arguments(EmployerProfileInSchema, example=EMPLOYER_PROFILE_EXAMPLE)
    @blp.response(200, EmployerSchema)
    @blp.errors(409)
    def put(self, body: dict[str, Any]):
        """Create or replace my employer profile.

        Employers only (403 for every other role). The first PUT creates the profile, later
        ones replace it whole; the body of a GET may be sent back as it is (its read-only fields
        are ignored). A profile is needed before posting jobs or delegating to brokers. A new
        credit code clears ``credit_code_verified`` until an official checks it again. 409: the
        credit code belongs to another employer's profile. 422: invalid input — a credit code
        that is not 18 characters of GB 32100 with its check character, or a district not of
        the city.
        """
        return services.put_profile(current_user(), body)

    @auth_required("employer")
    @blp.arguments(EmployerProfilePatchSchema, example=EMPLOYER_PROFILE_PATCH_EXAMPLE)
    @blp.response(200, EmployerSchema)
    @blp.errors(404, 409)
    def patch(self, _body: dict[str, Any]):
        """Change only the given fields of my profile (checked as a whole, as a PUT is).

        Employers only (403 for every other role). The fields given replace those of the stored
        profile and the others keep their values; the result is checked as a PUT is, with the
        same 409 and 422. 404: no profile yet; create it with ``PUT /employers/me``.
        """
        user = current_user()
        body = patched(services.my_profile(user), EmployerProfileInSchema)
        return services.put_profile(user, body)


@blp.route("/<int:employer_id>/credit-code-verification")
class CreditCodeVerification(MethodView):
    """An official's check of an employer's credit code."""

    @auth_required("official", "admin")
    @blp.response(200, EmployerSchema)
    @blp.errors(404)
    def post(self, employer_id: int):
        """Record that the employer's credit code is registered in the business registry.

        An official of the employer's city, or an admin (403 for every other role). The check
        itself is done in the national business registry (国家企业信用信息公示系统) outside the
        service; this records it, as an audit event, the first time, and the employer's public
        profile then says ``credit_code_verified``. Calling it again changes nothing and
        answers the profile. 404: no such employer, or one of another city than the official's.
        """
        return services.verify_credit_code(current_user(), employer_id)
