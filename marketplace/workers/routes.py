"""HTTP endpoints of a worker's own profile.

Reading another worker (``GET /workers/{id}``) is in ``bookings.routes``: who may see a worker
depends on the bookings (an employer sees the workers booked on its shifts).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.schemas import patched
from marketplace.workers import employment, group_statuses, services
from marketplace.workers.schemas import (
    END_REGISTRATION_EXAMPLE,
    END_STATUS_EXAMPLE,
    REGISTRATION_EXAMPLE,
    REJECT_STATUS_EXAMPLE,
    REVOKE_REGISTRATION_EXAMPLE,
    VERIFY_STATUS_EXAMPLE,
    WORKER_PROFILE_EXAMPLE,
    WORKER_PROFILE_PATCH_EXAMPLE,
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
        """Read my worker profile (404 until the first PUT).

        Workers only (403 for every other role). Answers the profile as only its worker sees
        it: the ID number masked to its first 6 and last 4 characters, the birth date it gives,
        and each group's date as the worker declared it, even one an official has rejected (the
        statuses themselves: ``GET /workers/me/group-statuses``). 404: the worker has written
        no profile yet; ``PUT /workers/me`` creates it.
        """
        return services.own_view(services.my_profile(current_user()))

    @auth_required("worker")
    @blp.arguments(WorkerProfileInSchema, example=WORKER_PROFILE_EXAMPLE)
    @blp.response(200, WorkerSchema)
    @blp.errors(409)
    def put(self, body: dict[str, Any]):
        """Create or replace my worker profile.

        Workers only (403 for every other role). The first PUT creates the profile and later
        ones replace it whole: optional fields left out take their defaults (PATCH changes only
        the fields given). The body of a GET may be sent back as it is: its read-only fields
        are ignored, and the masked ``id_number`` keeps the stored number. The group dates
        (``unemployment_registered_on``, ``difficulty_certified_on``, ``graduated_on``) declare
        group statuses that an official of the city verifies or rejects. 409: the ID number
        belongs to another worker's profile, differs from the one stored (only an official
        changes it), or the body re-dates a group status an official has verified or rejected.
        422: invalid input — an ID number whose check character or date is wrong, a district
        not of the city, a skill not in ``GET /skills``, a group date in the future or before
        the worker's 16th birthday, an availability window that ends before it starts.
        """
        return services.own_view(services.put_profile(current_user(), body))

    @auth_required("worker")
    @blp.arguments(WorkerProfilePatchSchema, example=WORKER_PROFILE_PATCH_EXAMPLE)
    @blp.response(200, WorkerSchema)
    @blp.errors(404, 409)
    def patch(self, _body: dict[str, Any]):
        """Change only the given fields of my profile (checked as a whole, as a PUT is).

        Workers only (403 for every other role). The fields given replace those of the stored
        profile and the others keep their values; ``null`` clears an optional field (the
        district, a group date). The result is checked as a whole, as a PUT is, with the same
        409 and 422. 404: no profile yet; create it with ``PUT /workers/me``.
        """
        user = current_user()
        body = patched(services.own_view(services.my_profile(user)), WorkerProfileInSchema)
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
        """List my group statuses: declared by my profile, or checked by an official.

        Workers only (403 for every other role). One status per group the profile declared
        (``unemployed``, ``difficulty``, ``graduate``), in that order: ``declared`` until an
        official of the city decides, then ``verified`` (perhaps with corrected dates and a
        certificate reference) or ``rejected`` with the reason; an ended one has ``ended_on``.
        A rejected status never counts for subsidies. 404: the worker has no profile yet.
        """
        return group_statuses.statuses_of(services.my_profile(current_user()).id)


@blp.route("/<int:worker_id>/group-statuses")
class WorkerGroupStatuses(MethodView):
    """A worker's group statuses, for the officials of its city and admins."""

    @auth_required("official", "admin")
    @blp.response(200, GroupStatusSchema(many=True))
    @blp.errors(404)
    def get(self, worker_id: int):
        """List a worker's group statuses (an official of its city, or an admin).

        Officials and admins only (403 for every other role). The statuses as the worker's own
        list shows them, for the office that checks them. 404: no such worker, or a worker of
        another city than the official's (which is not told apart from one that does not
        exist).
        """
        worker = group_statuses.readable_worker(current_user(), worker_id)
        return group_statuses.statuses_of(worker.id)


@statuses_blp.route("/group-statuses/<int:status_id>/verify")
class VerifyStatus(MethodView):
    """An official verifies a status."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(VerifyInSchema, example=VERIFY_STATUS_EXAMPLE)
    @statuses_blp.response(200, GroupStatusSchema)
    @statuses_blp.errors(404, 409)
    def post(self, body: dict[str, Any], status_id: int):
        """Verify a status of a worker of my city, perhaps correcting its dates (audited).

        Only an official of the worker's city: other roles, and admins, get 403. The status
        becomes ``verified``, with ``started_on`` and ``ended_on`` as given (kept when left
        out) and the certificate's ``reference``; a rejected status may be verified later. The
        decision is an audit event and the worker's subsidies are evaluated again. 404: no such
        status, or one of a worker of another city. 422: a start after today (city time) or an
        end before the start.
        """
        return group_statuses.verify(current_user(), status_id, body)


@statuses_blp.route("/group-statuses/<int:status_id>/reject")
class RejectStatus(MethodView):
    """An official rejects a status."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(RejectStatusInSchema, example=REJECT_STATUS_EXAMPLE)
    @statuses_blp.response(200, GroupStatusSchema)
    @statuses_blp.errors(404)
    def post(self, body: dict[str, Any], status_id: int):
        """Reject a status of a worker of my city, with the reason: it no longer holds (audited).

        Only an official of the worker's city: other roles, and admins, get 403. The status
        becomes ``rejected`` with the reason, never counts for subsidies unless verified later,
        and the profile can no longer re-date it. The decision is an audit event and the
        worker's subsidies are evaluated again. 404: no such status, or one of a worker of
        another city. 422: no reason.
        """
        return group_statuses.reject(current_user(), status_id, body["reason"])


@statuses_blp.route("/group-statuses/<int:status_id>/end")
class EndStatus(MethodView):
    """An official ends a status."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(EndStatusInSchema, example=END_STATUS_EXAMPLE)
    @statuses_blp.response(200, GroupStatusSchema)
    @statuses_blp.errors(404, 409)
    def post(self, body: dict[str, Any], status_id: int):
        """End a status of a worker of my city on a day: it holds through that month (audited).

        Only an official of the worker's city: other roles, and admins, get 403. Sets
        ``ended_on`` (say, the unemployment registration was cancelled); the status still
        counts for the month of that day. The change is an audit event and the worker's
        subsidies are evaluated again. 404: no such status, or one of a worker of another city.
        409: the status was rejected. 422: a day after today (city time) or before the start.
        """
        return group_statuses.end(current_user(), status_id, body["ended_on"])


@blp.route("/me/employment-registrations")
class MyRegistrations(MethodView):
    """The caller's employment registrations (就业登记承诺制)."""

    @auth_required("worker")
    @blp.response(200, RegistrationSchema(many=True))
    @blp.errors(404)
    def get(self):
        """List my employment registrations, newest first.

        Workers only (403 for every other role). Each registration (就业登记承诺制) with its form
        of employment, start and end, and whether it is ``registered`` or was ``revoked`` by an
        official (with the reason). 404: the worker has no profile yet.
        """
        return employment.mine(services.my_profile(current_user()))

    @auth_required("worker")
    @blp.arguments(RegistrationInSchema, example=REGISTRATION_EXAMPLE)
    @blp.response(201, RegistrationSchema)
    @blp.errors(404)
    def post(self, body: dict[str, Any]):
        """Register my employment on my commitment that it is true (registered at once).

        Workers only (403 for every other role). The registration takes effect at once, on the
        worker's own ``commitment`` that it is true; an official may revoke it later. It is an
        audit event and the worker's subsidies are evaluated again. 404: the worker has no
        profile yet. 422: ``commitment`` is not true, ``started_on`` is after today (city
        time), or ``employer_id`` is missing for the form ``employed``, given for another form,
        or names no employer.
        """
        user = current_user()
        return employment.register(user, services.my_profile(user), body)


@blp.route("/me/employment-registrations/<int:registration_id>/end")
class EndMyRegistration(MethodView):
    """The work of a registration ended."""

    @auth_required("worker")
    @blp.arguments(EndStatusInSchema, example=END_REGISTRATION_EXAMPLE)
    @blp.response(200, RegistrationSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], registration_id: int):
        """End one of my employment registrations on a day.

        Workers only (403 for every other role): the work of the registration ended on
        ``ended_on``. The change is an audit event and the worker's subsidies are evaluated
        again. 404: the worker has no profile, or no registration of theirs has this id. 409:
        the registration was revoked. 422: a day before its start or after today (city time).
        """
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
        """List the employment registrations of my city (admins: of the city named).

        Officials and admins only (403 for every other role). An official sees the
        registrations of workers of their city (``city``, if given, must be it: 403 otherwise);
        an admin must name ``city`` (422 without it). ``status`` keeps ``registered`` or
        ``revoked`` ones. Paged with ``page`` and ``per_page``.
        """
        found = employment.of_city(current_user(), query.get("city"), query.get("status"))
        return page_of(found, pagination_parameters)


@statuses_blp.route("/employment-registrations/<int:registration_id>/revoke")
class RevokeRegistration(MethodView):
    """An official revokes a registration."""

    @auth_required("official", "admin")
    @statuses_blp.arguments(RejectStatusInSchema, example=REVOKE_REGISTRATION_EXAMPLE)
    @statuses_blp.response(200, RegistrationSchema)
    @statuses_blp.errors(404, 409)
    def post(self, body: dict[str, Any], registration_id: int):
        """Revoke an employment registration of a worker of my city, with the reason (audited).

        Only an official of the worker's city: other roles, and admins, get 403. The
        registration becomes ``revoked`` with the reason; the revocation is an audit event and
        the worker's subsidies are evaluated again. 404: no such registration, or one of a
        worker of another city. 409: it is already revoked. 422: no reason.
        """
        return employment.revoke(current_user(), registration_id, body["reason"])
