"""HTTP endpoints of a worker's own profile.

Reading another worker (``GET /workers/{id}``) is in ``bookings.routes``: who may see a worker
depends on the bookings (an employer sees the workers booked on its shifts).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.schemas import patched
from marketplace.workers import employment, group_statuses, services
from marketplace.workers.schemas import (
    EndStatusInSchema,
    GroupStatusSchema,
    RegistrationInSchema,
    RegistrationQuerySchema,
    RegistrationSchema,
    RejectStatusInSchema,
    VerifyInSchema,
    WorkerProfileInSchema,
    WorkerProfilePatchSchema,
    WorkerSchema,
)

blp = Blueprint("workers", __name__, url_prefix="/api/v1/workers", description="Worker profiles")


@blp.route("/me")
class MyProfile(MethodView):
    """The caller's worker profile."""

    @auth_required("worker")
    @blp.response(200, WorkerSchema)
    @blp.errors(404)
    def get(self):
        """Read my worker profile (404 until the first PUT)."""
        return services.own_view(services.my_profile(current_user()))

    @auth_required("worker")
    @blp.arguments(WorkerProfileInSchema)
    @blp.response(200, WorkerSchema)
    @blp.errors(409)
    def put(self, body: dict[str, Any]):
        """Create or replace my worker profile.

        The body of a GET may be sent back as it is: its read-only fields are ignored, and the
        masked ``id_number`` keeps the stored number.
        """
        return services.own_view(services.put_profile(current_user(), body))

    @auth_required("worker")
    @blp.arguments(WorkerProfilePatchSchema)
    @blp.response(200, WorkerSchema)
    @blp.errors(404, 409)
    def patch(self, _body: dict[str, Any]):
        """Change only the given fields of my profile (checked as a whole, as a PUT is)."""
        user = current_user()
        current = WorkerSchema().dump(services.own_view(services.my_profile(user)))
        body = patched(current, request.get_json(silent=True) or {}, WorkerProfileInSchema())
        return services.own_view(services.put_profile(user, body))


# The officials' side of group statuses: by a status's own id, outside /workers.
statuses_blp = Blueprint(
    "group_statuses", __name__, url_prefix="/api/v1", description="Group statuses (contract v1.1)"
)


@blp.route("/me/group-statuses")
class MyGroupStatuses(MethodView):
    """The caller's group statuses."""

    @auth_required("worker")
    @blp.response(200, GroupStatusSchema(many=True))
    @blp.errors(404)
    def get(self):
        """List my group statuses: declared by my profile, or checked by an official."""
        return group_statuses.statuses_of(services.my_profile(current_user()).id)


@blp.route("/<int:worker_id>/group-statuses")
class WorkerGroupStatuses(MethodView):
    """A worker's group statuses, for the officials of its city and admins."""

    @auth_required("official", "admin")
    @blp.response(200, GroupStatusSchema(many=True))
    @blp.errors(404)
    def get(self, worker_id: int):
        """List a worker's group statuses (an official of its city, or an admin)."""
        worker = group_statuses.readable_worker(current_user(), worker_id)
        return group_statuses.statuses_of(worker.id)


@statuses_blp.route("/group-statuses/<int:status_id>/verify")
class VerifyStatus(MethodView):
    """An official verifies a status."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(VerifyInSchema)
    @statuses_blp.response(200, GroupStatusSchema)
    @statuses_blp.errors(404, 409)
    def post(self, body: dict[str, Any], status_id: int):
        """Verify a status of a worker of my city, perhaps correcting its dates (audited)."""
        return group_statuses.verify(current_user(), status_id, body)


@statuses_blp.route("/group-statuses/<int:status_id>/reject")
class RejectStatus(MethodView):
    """An official rejects a status."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(RejectStatusInSchema)
    @statuses_blp.response(200, GroupStatusSchema)
    @statuses_blp.errors(404)
    def post(self, body: dict[str, Any], status_id: int):
        """Reject a status of a worker of my city, with the reason: it no longer holds (audited)."""
        return group_statuses.reject(current_user(), status_id, body["reason"])


@statuses_blp.route("/group-statuses/<int:status_id>/end")
class EndStatus(MethodView):
    """An official ends a status."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(EndStatusInSchema)
    @statuses_blp.response(200, GroupStatusSchema)
    @statuses_blp.errors(404, 409)
    def post(self, body: dict[str, Any], status_id: int):
        """End a status of a worker of my city on a day: it holds through that month (audited)."""
        return group_statuses.end(current_user(), status_id, body["ended_on"])


@blp.route("/me/employment-registrations")
class MyRegistrations(MethodView):
    """The caller's employment registrations (就业登记承诺制)."""

    @auth_required("worker")
    @blp.response(200, RegistrationSchema(many=True))
    @blp.errors(404)
    def get(self):
        """List my employment registrations, newest first."""
        return employment.mine(services.my_profile(current_user()))

    @auth_required("worker")
    @blp.arguments(RegistrationInSchema)
    @blp.response(201, RegistrationSchema)
    @blp.errors(404)
    def post(self, body: dict[str, Any]):
        """Register my employment on my commitment that it is true (registered at once)."""
        user = current_user()
        return employment.register(user, services.my_profile(user), body)


@blp.route("/me/employment-registrations/<int:registration_id>/end")
class EndMyRegistration(MethodView):
    """The work of a registration ended."""

    @auth_required("worker")
    @blp.arguments(EndStatusInSchema)
    @blp.response(200, RegistrationSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], registration_id: int):
        """End one of my employment registrations on a day."""
        user = current_user()
        return employment.end_mine(
            user, services.my_profile(user), registration_id, body["ended_on"]
        )


@statuses_blp.route("/employment-registrations")
class Registrations(MethodView):
    """The employment registrations of a city."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(RegistrationQuerySchema, location="query")
    @statuses_blp.response(200, RegistrationSchema(many=True))
    @statuses_blp.paginate()
    @statuses_blp.errors(403)
    def get(self, query: dict[str, Any], pagination_parameters: PaginationParameters):
        """List the employment registrations of my city (admins: of the city named)."""
        found = employment.of_city(current_user(), query.get("city"), query.get("status"))
        return page_of(found, pagination_parameters)


@statuses_blp.route("/employment-registrations/<int:registration_id>/revoke")
class RevokeRegistration(MethodView):
    """An official revokes a registration."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(RejectStatusInSchema)
    @statuses_blp.response(200, RegistrationSchema)
    @statuses_blp.errors(404, 409)
    def post(self, body: dict[str, Any], registration_id: int):
        """Revoke an employment registration of a worker of my city, with the reason (audited)."""
        return employment.revoke(current_user(), registration_id, body["reason"])
