"""HTTP endpoints of broker profiles and of delegations.

An employer's delegations (``/employers/me/brokers``) are views of the employers' blueprint
registered here, where delegations live: the employers' own package needs no broker.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.brokers import delegations, services
from marketplace.brokers.schemas import (
    BROKER_PROFILE_EXAMPLE,
    BROKER_PROFILE_PATCH_EXAMPLE,
    DELEGATION_EXAMPLE,
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
        """Read my broker profile (404 until the first PUT).

        Brokers (labour agencies) only; 403 for every other role. 404: no profile yet;
        ``PUT /brokers/me`` creates it.
        """
        return services.my_profile(current_user())

    @auth_required("broker")
    @blp.arguments(BrokerProfileInSchema, example=BROKER_PROFILE_EXAMPLE)
    @blp.response(200, BrokerSchema)
    def put(self, body: dict[str, Any]):
        """Create or replace my broker profile.

        Brokers only (403 for every other role). The first PUT creates the profile, later ones
        replace it whole; the body of a GET may be sent back as it is (its read-only fields are
        ignored). A broker needs a profile before employers can delegate to it and before it
        acts for them. 422: invalid input (an unknown city, an empty name).
        """
        return services.put_profile(current_user(), body)

    @auth_required("broker")
    @blp.arguments(BrokerProfilePatchSchema, example=BROKER_PROFILE_PATCH_EXAMPLE)
    @blp.response(200, BrokerSchema)
    @blp.errors(404, 409)
    def patch(self, _body: dict[str, Any]):
        """Change only the given fields of my profile (checked as a whole, as a PUT is).

        Brokers only (403 for every other role). The fields given replace those of the stored
        profile and the others keep their values; ``null`` clears the licence number. The
        result is checked as a PUT is (422). 404: no profile yet; create it with
        ``PUT /brokers/me``.
        """
        user = current_user()
        body = patched(services.my_profile(user), BrokerProfileInSchema)
        return services.put_profile(user, body)


@blp.route("/me/employers")
class MyEmployers(MethodView):
    """The employers I act for."""

    @auth_required("broker")
    @blp.response(200, EmployerSchema(many=True))
    @blp.errors(409)
    def get(self):
        """List the employers that delegated to me and have not revoked it.

        Brokers only (403 for every other role). Answers the profiles of the employers the
        broker may act for now (post and edit their jobs, handle their bookings), by id. 409:
        the broker has no profile yet (``PUT /brokers/me``).
        """
        return delegations.employers_of_broker(current_user())


@employers_blp.route("/me/brokers")
class MyBrokers(MethodView):
    """The brokers that act for me."""

    @auth_required("employer")
    @employers_blp.response(200, DelegationSchema(many=True))
    @employers_blp.errors(409)
    def get(self):
        """List the brokers that may act for me now.

        Employers only (403 for every other role). Answers the company's live delegations, by
        id: each broker in it may post and edit its jobs and handle its bookings until the
        delegation is ended. 409: the employer has no profile yet (``PUT /employers/me``).
        """
        return delegations.my_brokers(current_user())

    @auth_required("employer")
    @idempotent
    @employers_blp.arguments(DelegationInSchema, example=DELEGATION_EXAMPLE)
    @employers_blp.response(201, DelegationSchema)
    @employers_blp.errors(409)
    def post(self, body: dict[str, Any]):
        """Let a broker act for me.

        Employers only (403 for every other role). From now on the broker (``broker_id``, the
        id of its profile) may post and edit the company's jobs and handle its bookings, naming
        the employer with ``employer_id``. The delegation is an audit event. Honours
        ``Idempotency-Key``. 409: the broker already acts for the company, the employer has no
        profile yet, or a request with the same ``Idempotency-Key`` is being handled. 422: no
        broker has this id, or the ``Idempotency-Key`` is malformed or was used with another
        body.
        """
        return delegations.delegate(current_user(), body["broker_id"])


@employers_blp.route("/me/brokers/<int:broker_id>")
class MyBroker(MethodView):
    """One broker's delegation."""

    @auth_required("employer")
    @employers_blp.response(204)
    @employers_blp.errors(404, 409)
    def delete(self, broker_id: int):
        """End a broker's delegation at once.

        Employers only (403 for every other role). The broker (``broker_id``, the id of its
        profile) may no longer act for the company; what it did before stays. The revocation is
        an audit event. Answers 204 without a body. 404: the broker holds no live delegation
        from the company. 409: the employer has no profile yet.
        """
        delegations.revoke_delegation(current_user(), broker_id)
