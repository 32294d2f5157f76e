"""HTTP endpoints of jobs, shifts and the shift search."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common.api import Blueprint, dumped, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.jobs import editing, lists, search, services
from marketplace.jobs.schemas import (
    JobInSchema,
    JobPatchSchema,
    JobSchema,
    OwnJobsQuerySchema,
    ShiftCancelSchema,
    ShiftDetailSchema,
    ShiftPatchSchema,
    ShiftSearchSchema,
    SkillSchema,
)
from marketplace.workers import skills

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Jobs and shifts")


@blp.route("/jobs")
class Jobs(MethodView):
    """Posting jobs."""

    @auth_required("employer", "broker")
    @idempotent
    @blp.arguments(JobInSchema)
    @blp.response(201, JobSchema)
    @blp.errors(409)
    def post(self, body: dict[str, Any]):
        """Post a job with its shifts (brokers name the employer they act for)."""
        return services.post_job(current_user(), body)


@blp.route("/skills")
class Skills(MethodView):
    """The skills catalogue."""

    @blp.doc(security=[])
    @blp.response(200, SkillSchema(many=True))
    def get(self):
        """List the skills profiles and jobs may name: each code with its Chinese name."""
        return skills.catalogue()


@blp.route("/employers/me/jobs")
class OwnJobs(MethodView):
    """The employer's side's own jobs."""

    @auth_required("employer", "broker")
    @blp.arguments(OwnJobsQuerySchema, location="query")
    @blp.response(200, JobSchema(many=True))
    @blp.paginate()
    @blp.errors(403, 409)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List my jobs, newest first (a broker names the employer with ``employer_id``).

        Filters: ``status`` (``active`` or ``cancelled``), ``from`` / ``to`` (days of the
        shifts' starts, China Standard Time, inclusive) and ``shift_id``.
        """
        return page_of(lists.own_jobs(current_user(), filters), pagination_parameters)


@blp.route("/brokers/me/jobs")
class BrokerJobs(MethodView):
    """The jobs of the employers a broker acts for."""

    @auth_required("broker")
    @blp.arguments(OwnJobsQuerySchema, location="query")
    @blp.response(200, JobSchema(many=True))
    @blp.paginate()
    @blp.errors(404, 409)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List the jobs of every employer that delegated to me, newest first.

        ``employer_id`` keeps one of them; the other filters are those of the employer's list.
        """
        return page_of(lists.broker_jobs(current_user(), filters), pagination_parameters)


@blp.route("/jobs/<int:job_id>")
class JobById(MethodView):
    """One job."""

    @auth_required()
    @blp.response(200, JobSchema)
    @blp.errors(404)
    def get(self, job_id: int):
        """Read a job with its shifts."""
        return services.get_job(job_id)

    @auth_required("employer", "broker")
    @blp.arguments(JobPatchSchema)
    @blp.response(200, JobSchema)
    @blp.errors(404, 409)
    def patch(self, body: dict[str, Any], job_id: int):
        """Change a job's title, description, address, skills or wage (only the given fields).

        The wage only goes up once any shift has bookings (409); the workers booked on its
        future shifts are told what changed.
        """
        return editing.edit_job(current_user(), job_id, body)


@blp.route("/jobs/<int:job_id>/cancel")
class CancelJob(MethodView):
    """Cancelling a job."""

    @auth_required("employer", "broker")
    @blp.response(200, JobSchema)
    @blp.errors(404, 409)
    def post(self, job_id: int):
        """Cancel a job's future shifts and their bookings."""
        return services.cancel_job(current_user(), job_id)


@blp.route("/shifts")
class Shifts(MethodView):
    """The search for open shifts."""

    @auth_required()
    @blp.arguments(ShiftSearchSchema, location="query")
    @blp.response(200, ShiftDetailSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """Find open shifts starting in the future with free places.

        Around a point (``lat``, ``lon``, ``radius_km``, default 10 km) nearest first, each
        with ``distance_km``; otherwise by start time.
        """
        found = search.search(filters, pagination_parameters.page, pagination_parameters.page_size)
        pagination_parameters.item_count = found.total
        return dumped(found.items)


@blp.route("/shifts/<int:shift_id>/cancel")
class CancelShift(MethodView):
    """Cancelling one shift."""

    @auth_required("employer", "broker")
    @blp.arguments(ShiftCancelSchema)
    @blp.response(200, ShiftDetailSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], shift_id: int):
        """Cancel one shift that has not started, with a reason: its bookings are cancelled and
        their workers told. A cancel less than 12 h before the start counts in the employer's
        public ``cancel_rate``."""
        return search.ShiftView(editing.cancel_shift(current_user(), shift_id, body["reason"]))


@blp.route("/shifts/<int:shift_id>")
class ShiftById(MethodView):
    """One shift."""

    @auth_required()
    @blp.response(200, ShiftDetailSchema)
    @blp.errors(404)
    def get(self, shift_id: int):
        """Read a shift with its job's details."""
        return search.ShiftView(services.get_shift(shift_id))

    @auth_required("employer", "broker")
    @blp.arguments(ShiftPatchSchema)
    @blp.response(200, ShiftDetailSchema)
    @blp.errors(404, 409)
    def patch(self, body: dict[str, Any], shift_id: int):
        """Change a shift's headcount; never below the places already held (409)."""
        return search.ShiftView(editing.set_headcount(current_user(), shift_id, body["headcount"]))
