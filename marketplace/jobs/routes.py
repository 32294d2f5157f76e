"""HTTP endpoints of jobs, shifts and the shift search."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from marketplace.common.api import Blueprint, dumped, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.jobs import audience, editing, lists, review, search, services
from marketplace.jobs.schemas import (
    JOB_EXAMPLE,
    JOB_PATCH_EXAMPLE,
    JOB_REPORT_EXAMPLE,
    JOB_REVIEW_EXAMPLE,
    SHIFT_CANCEL_EXAMPLE,
    SHIFT_PATCH_EXAMPLE,
    JobInSchema,
    JobPatchSchema,
    JobReportInSchema,
    JobReportSchema,
    JobReviewInSchema,
    JobSchema,
    OwnJobsQuerySchema,
    ReviewQuerySchema,
    ShiftCancelSchema,
    ShiftDetailSchema,
    ShiftPatchSchema,
    ShiftSearchSchema,
    SkillSchema,
)
from marketplace.replicas import reads_from_replica
from marketplace.workers import services as workers
from marketplace.workers import skills

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Jobs and shifts")


@blp.route("/jobs")
class Jobs(MethodView):
    """Posting jobs."""

    @auth_required("employer", "broker")
    @idempotent
    @blp.arguments(JobInSchema, example=JOB_EXAMPLE)
    @blp.response(201, JobSchema)
    @blp.errors(409)
    def post(self, body: dict[str, Any]):
        """Post a job with its shifts (brokers name the employer they act for).

        Employers, and brokers acting for an employer that delegated to them (403 for every
        other role). An employer posts for its own company (``employer_id`` left out, or its
        own); a broker must name the employer in ``employer_id`` (422 without it) and hold its
        live delegation (403 otherwise). The shifts are given in ``shifts``, made by a weekly
        series rule in ``repeat`` (one shift on each of its weekdays, 0 = Monday, from tomorrow
        in the city through ``until``, at the city's wall-clock times; the job keeps the rule),
        or both: at most 100 in all. The shifts open for booking at once (or for approval,
        with ``requires_approval``). The posting is an audit event. Honours
        ``Idempotency-Key``. 409: the employer or broker has no profile yet, or a request with
        the same ``Idempotency-Key`` is being handled. A job may state its injury cover
        (``injury_cover``, 职业伤害保障); each shift then says whether it is covered on its day.
        422: invalid input — a shift that starts in the past, ends before it starts or lasts
        more than 12 hours, a wage below the city's hourly minimum wage on a shift's day (for
        a shift of the series: on ``repeat``, naming its day; nothing is written), neither
        ``shifts`` nor ``repeat``, a series that makes no shift, runs more than a year ahead or
        makes the job more than 100 shifts, a
        location outside the city, a district not of the city, a skill not in ``GET /skills``,
        an injury cover that has already ended, ``dispatch`` work posted by anyone but a
        broker whose profile holds a ``licence_number`` (劳务派遣经营许可证) acting for the
        employer, or a malformed or reused ``Idempotency-Key``.
        """
        return services.post_job(current_user(), body)


@blp.route("/skills")
class Skills(MethodView):
    """The skills catalogue."""

    @blp.doc(security=[])
    @blp.response(200, SkillSchema(many=True))
    def get(self):
        """List the skills profiles and jobs may name: each code with its Chinese name.

        Anyone may call it, without a token; it takes no input and always answers 200. Workers'
        ``skills`` and jobs' ``required_skills`` accept these codes only (422 naming any
        other).
        """
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

        Employers, and brokers for an employer that delegated to them (403 for every other
        role, and for a broker naming an employer it does not act for, or an employer naming
        another company). Each job comes with all its shifts. Filters: ``status`` (``active``
        or ``cancelled``), ``from`` / ``to`` (days of the shifts' starts, China Standard Time,
        inclusive) and ``shift_id``. Paged with ``page`` and ``per_page``. 409: the caller has
        no profile yet. 422: a broker without ``employer_id``, or an invalid filter (``to``
        before ``from``).
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

        Brokers only (403 for every other role). The jobs of all the employers whose delegation
        the broker holds now; ``employer_id`` keeps one of them (an employer that did not
        delegate gives an empty list). The other filters are those of the employer's list:
        ``status``, ``from`` / ``to`` and ``shift_id``. Paged with ``page`` and ``per_page``.
        409: the broker has no profile yet. 422: an invalid filter.
        """
        return page_of(lists.broker_jobs(current_user(), filters), pagination_parameters)


@blp.route("/jobs/<int:job_id>")
class JobById(MethodView):
    """One job."""

    @auth_required()
    @blp.response(200, JobSchema)
    @blp.errors(404)
    def get(self, job_id: int):
        """Read a job with its shifts.

        Any signed-in user: jobs are public to every role. Answers the job with every shift,
        cancelled ones too, each with its places booked and its status. 404: no such job.
        """
        return services.get_job(job_id)

    @auth_required("employer", "broker")
    @blp.arguments(JobPatchSchema, example=JOB_PATCH_EXAMPLE)
    @blp.response(200, JobSchema)
    @blp.errors(404, 409)
    def patch(self, body: dict[str, Any], job_id: int):
        """Change a job's title, description, address, skills, wage or injury cover.

        The job's employer, or a broker it delegated to (403 for every other caller). Only the
        fields given change; ``injury_cover`` null withdraws the cover. The wage only goes up
        once any shift has bookings, and the injury cover may then be renewed or extended but
        not withdrawn or ended earlier. Agreements already accepted keep the facts they were
        made from. The change is an audit event, and the workers booked on the job's future
        shifts are told what changed. 404: no such job. 409: the job is cancelled, or a lower
        wage or less cover while a shift has bookings. 422: invalid input — a new wage below
        the city's hourly minimum wage on a future shift's day, a skill not in
        ``GET /skills``, an injury cover that has already ended.
        """
        return editing.edit_job(current_user(), job_id, body)


@blp.route("/reviews/jobs")
class ReviewQueue(MethodView):
    """The queue of job posts held for review."""

    @auth_required("official", "admin")
    @blp.arguments(ReviewQuerySchema, location="query")
    @blp.response(200, JobSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List a city's job posts in a review status (held by default), oldest first.

        Officials see their own city (another city is 403); admins every city or the one named.
        Each post carries ``review_status`` and ``review_reasons`` (which rule held it and, for
        words asking workers for money, which words).
        """
        query = review.queue(current_user(), filters.get("city"), filters["status"])
        return page_of(query, pagination_parameters)


@blp.route("/jobs/<int:job_id>/review")
class ReviewJob(MethodView):
    """An official's review of a held post."""

    @auth_required("official", "admin")
    @blp.arguments(JobReviewInSchema, example=JOB_REVIEW_EXAMPLE)
    @blp.response(200, JobSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], job_id: int):
        """Publish a held job post, or reject it with a reason.

        An official of the job's city or an admin (another city's official: 403). Publishing
        makes the post searchable and bookable; rejecting cancels its future shifts and their
        bookings, and their workers are told why. Each decision is an audit event
        (``job.published``, ``job.rejected``). 409: the post is already published, rejected
        or cancelled. 422: a rejection without a reason.
        """
        return review.decide(current_user(), job_id, body["decision"], body["reason"])


@blp.route("/jobs/<int:job_id>/reports")
class ReportJob(MethodView):
    """A worker's report of a post."""

    @auth_required("worker")
    @blp.arguments(JobReportInSchema, example=JOB_REPORT_EXAMPLE)
    @blp.response(201, JobReportSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], job_id: int):
        """Report a job post that asks for money, looks fake or unsafe, or lies about the wage.

        Workers only, once per job (a second report: 409). When different workers have
        reported a post as often as its city's rule says (3), it is held for review; its open
        bookings stay until an official decides. Audit event ``job.reported``. 404: no such
        job, or no worker profile yet.
        """
        return review.report(current_user(), job_id, body["reason"], body["detail"])


@blp.route("/jobs/<int:job_id>/cancel")
class CancelJob(MethodView):
    """Cancelling a job."""

    @auth_required("employer", "broker")
    @blp.response(200, JobSchema)
    @blp.errors(404, 409)
    def post(self, job_id: int):
        """Cancel a job's future shifts and their bookings.

        The job's employer, or a broker it delegated to (403 for every other caller). Every
        shift that has not started is cancelled, and with it its live bookings and offers,
        whose workers are told; shifts already started or over stay as they are. The
        cancellation is an audit event. 404: no such job. 409: the job is already cancelled.
        """
        return services.cancel_job(current_user(), job_id)


@blp.route("/shifts")
class Shifts(MethodView):
    """The search for open shifts."""

    @auth_required()
    @blp.arguments(ShiftSearchSchema, location="query")
    @blp.response(200, ShiftDetailSchema(many=True))
    @blp.paginate()
    @reads_from_replica
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """Find open shifts starting in the future with free places.

        Any signed-in user. Answers shifts that are not cancelled, start in the future and have
        a free place, each with its job's details: of public jobs, and for a worker also of the
        invited jobs it is invited to. Around a point (``lat``, ``lon``,
        ``radius_km``, default 10 km) nearest first, each with ``distance_km``; otherwise by
        start time. Filters: ``city``, ``category``, ``skill``, ``min_wage``,
        ``starts_after`` and ``starts_before``. Paged with ``page`` and ``per_page``. 422: an
        invalid filter — ``lat`` without ``lon`` (or the reverse), ``radius_km`` without a
        point, a time without an offset.
        """
        user = current_user()
        invitee = workers.profile_id_of(user) if user.role == "worker" else None
        found = search.search(
            filters, pagination_parameters.page, pagination_parameters.page_size, invitee
        )
        pagination_parameters.item_count = found.total
        return dumped(found.items)


@blp.route("/shifts/<int:shift_id>/cancel")
class CancelShift(MethodView):
    """Cancelling one shift."""

    @auth_required("employer", "broker")
    @blp.arguments(ShiftCancelSchema, example=SHIFT_CANCEL_EXAMPLE)
    @blp.response(200, ShiftDetailSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], shift_id: int):
        """Cancel one shift that has not started, with a reason.

        The shift's employer, or a broker it delegated to (403 for every other caller). The
        shift's live bookings and offers are cancelled and their workers told, with the reason;
        the job's other shifts stay open. A cancel less than 12 h before the start counts in
        the employer's public ``cancel_rate``. The cancellation is an audit event. 404: no such
        shift. 409: the shift is already cancelled or has started. 422: no reason.
        """
        return search.ShiftView(editing.cancel_shift(current_user(), shift_id, body["reason"]))


@blp.route("/shifts/<int:shift_id>")
class ShiftById(MethodView):
    """One shift."""

    @auth_required()
    @blp.response(200, ShiftDetailSchema)
    @blp.errors(404)
    def get(self, shift_id: int):
        """Read a shift with its job's details.

        Any signed-in user may read a public job's shifts; an invited job's only the workers
        invited to it, its employer's side, the officials of its city and admins. Answers the
        shift (times, headcount, places booked, status) with its job's title, wage, place and
        skills. 404: no such shift, or one of an invited job the caller may not see.
        """
        shift = audience.require_visible(current_user(), services.get_shift(shift_id))
        return search.ShiftView(shift)

    @auth_required("employer", "broker")
    @blp.arguments(ShiftPatchSchema, example=SHIFT_PATCH_EXAMPLE)
    @blp.response(200, ShiftDetailSchema)
    @blp.errors(404, 409)
    def patch(self, body: dict[str, Any], shift_id: int):
        """Change a shift's headcount; never below the places already held (409).

        The shift's employer, or a broker it delegated to (403 for every other caller). The
        database decides, in one update, that the new headcount is not below the places held,
        so a concurrent booking cannot slip under it. The change is an audit event. 404: no
        such shift. 409: the shift is cancelled, or more places are held than the new
        headcount. 422: a headcount outside 1–500.
        """
        return search.ShiftView(editing.set_headcount(current_user(), shift_id, body["headcount"]))
