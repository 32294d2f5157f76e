"""HTTP endpoints of bookings, attendance and ratings, of reading a worker, and of the caller's
notifications (registered here, with the bookings they are mostly about, as before).

Approving hours and marking them paid, and the alerts, are the earnings' (``earnings.routes``).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select

from marketplace.bookings import access, attendance, lists, offers, reputation, services, throttle
from marketplace.bookings.models import Booking
from marketplace.bookings.reputation import rate
from marketplace.bookings.schemas import (
    AttendanceInSchema,
    BookingQuerySchema,
    BookingSchema,
    OptionalReasonSchema,
    OwnBookingsQuerySchema,
    PositionSchema,
    RatingInSchema,
    RatingSchema,
    ReasonSchema,
)
from marketplace.brokers import delegations
from marketplace.common.api import Blueprint, page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.database import writes_on_read
from marketplace.employers.schemas import EmployerPublicSchema
from marketplace.errors import DomainError, ErrorSchema, Forbidden
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.notifications import services as notifications
from marketplace.notifications.schemas import (
    NotificationQuerySchema,
    NotificationSchema,
    ReadInSchema,
)
from marketplace.workers import services as workers
from marketplace.workers.schemas import RevealQuerySchema, WorkerSchema

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Bookings, attendance, pay")


RATE_LIMITED: dict[str, Any] = {
    "schema": ErrorSchema,
    "description": "Too many booking attempts by this user in the window "
    "(BOOKING_RATE_LIMIT per BOOKING_RATE_WINDOW_SECONDS); nothing was booked.",
    "headers": {
        "Retry-After": {
            "description": "Seconds until the next attempt is allowed.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


# What an employer or broker sees of a worker booked on its shifts.
LIMITED_WORKER_FIELDS = ("id", "name", "skills", "rating", "reliability")


@blp.route("/workers/<int:worker_id>")
class WorkerById(MethodView):
    """One worker, as far as the caller may see it."""

    @blp.doc(tags=["workers"])
    @auth_required()
    @writes_on_read
    @blp.arguments(RevealQuerySchema, location="query")
    @blp.response(200, WorkerSchema)
    @blp.errors(403, 404)
    def get(self, query: dict[str, Any], worker_id: int):
        """Read a worker: itself, an official of its city, admin, or an employer it works for.

        ``?reveal=id_number&reason=…`` shows an official of the worker's city the full ID number
        and records that, with the reason, in the audit log; for anyone else it is 403.
        """
        user = current_user()
        worker, limited = access.visible_worker(user, worker_id)
        if query.get("reveal") == "id_number":
            return workers.reveal_id_number(user, worker, query["reason"])
        if limited:
            return {field: getattr(worker, field) for field in LIMITED_WORKER_FIELDS}
        if user.id == worker.user_id:
            return workers.own_view(worker)
        return worker


@blp.route("/employers/<int:employer_id>")
class EmployerById(MethodView):
    """Who is on the other side."""

    @blp.doc(tags=["employers"])
    @auth_required()
    @blp.response(200, EmployerPublicSchema)
    @blp.errors(404)
    def get(self, employer_id: int):
        """Read an employer's public profile: name, place, whether its credit code was checked,
        the workers' rating, the shifts completed and the share it cancelled late."""
        return reputation.employer_record(employer_id)


@blp.route("/shifts/<int:shift_id>/bookings")
class ShiftBookings(MethodView):
    """The bookings of one shift."""

    @auth_required("worker")
    @idempotent
    @blp.response(201, BookingSchema)
    @blp.alt_response(429, **RATE_LIMITED)
    @blp.errors(404)
    def post(self, shift_id: int):
        """Book a shift (confirmed at once, or pending when the job requires approval)."""
        user = current_user()
        throttle.record_attempt(user)
        try:
            # The booking's own writes in a savepoint: a refusal undoes them and only them.
            with db.session.begin_nested():
                booking = services.book(user, shift_id)
        except DomainError:
            # The attempt is all that is left of this request, and the rate limit depends on it:
            # commit it although the request fails (as a failed login is).
            db.session.commit()
            raise
        return booking

    @auth_required("employer", "broker")
    @blp.arguments(BookingQuerySchema, location="query")
    @blp.response(200, BookingSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(
        self, filters: dict[str, Any], shift_id: int, pagination_parameters: PaginationParameters
    ):
        """List a shift's bookings (its employer and delegated brokers)."""
        shift = jobs.get_shift(shift_id)
        if delegations.may_act_for(current_user(), shift.job.employer_id) is None:
            raise Forbidden("only the shift's employer or its brokers see its bookings")
        query = select(Booking).options(lists.with_earning()).where(Booking.shift_id == shift_id)
        if "status" in filters:
            query = query.where(Booking.status == filters["status"])
        return page_of(query.order_by(Booking.id), pagination_parameters)


@blp.route("/employers/me/bookings")
class OwnBookings(MethodView):
    """The bookings on the employer's side's shifts."""

    @auth_required("employer", "broker")
    @blp.arguments(OwnBookingsQuerySchema, location="query")
    @blp.response(200, BookingSchema(many=True))
    @blp.paginate()
    @blp.errors(403, 409)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List the bookings on my shifts, soonest shift first (a broker names ``employer_id``).

        Filters: ``status``, ``from`` / ``to`` (days of the shifts' starts, China Standard Time,
        inclusive) and ``shift_id``.
        """
        query = lists.employer_bookings(current_user(), filters)
        return page_of(query, pagination_parameters)


@blp.route("/workers/me/bookings")
class MyBookings(MethodView):
    """The caller's bookings."""

    @auth_required("worker")
    @blp.arguments(BookingQuerySchema, location="query")
    @blp.response(200, BookingSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List my bookings, soonest shift first."""
        worker = workers.my_profile(current_user())
        query = select(Booking).options(lists.with_earning()).where(Booking.worker_id == worker.id)
        if "status" in filters:
            query = query.where(Booking.status == filters["status"])
        query = query.order_by(Booking.starts_at, Booking.id)
        return page_of(query, pagination_parameters)


@blp.route("/bookings/<int:booking_id>")
class BookingById(MethodView):
    """One booking."""

    @auth_required("worker", "employer", "broker")
    @blp.response(200, BookingSchema)
    @blp.errors(404)
    def get(self, booking_id: int):
        """Read a booking (its worker, or the shift's employer side)."""
        booking, _ = access.as_either_side(current_user(), booking_id)
        return booking


@blp.route("/bookings/<int:booking_id>/accept")
class Accept(MethodView):
    """Accepting: the worker an offer, the shift's side a pending booking."""

    @auth_required("worker", "employer", "broker")
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, booking_id: int):
        """Accept: a worker its offer (409 once lapsed or overlapping); the shift's side a pending
        booking (409 when the shift is full by now)."""
        user = current_user()
        if user.role == "worker":
            return offers.accept(user, booking_id)
        return services.accept(user, booking_id)


@blp.route("/bookings/<int:booking_id>/decline")
class Decline(MethodView):
    """Declining an offer."""

    @auth_required("worker")
    @blp.arguments(OptionalReasonSchema)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Decline an offer: its place is freed, and it never counts against my reliability."""
        return offers.decline(current_user(), booking_id, body["reason"])


@blp.route("/jobs/<int:job_id>/offers/accept")
class AcceptJobOffers(MethodView):
    """Accepting every offer of one job at once."""

    @auth_required("worker")
    @blp.response(200, BookingSchema(many=True))
    @blp.errors(404, 409)
    def post(self, job_id: int):
        """Accept all my open offers on this job at once (all or none: 409 names the clash)."""
        return offers.accept_job(current_user(), job_id)


@blp.route("/bookings/<int:booking_id>/reject")
class Reject(MethodView):
    """Rejecting a pending booking."""

    @auth_required("employer", "broker")
    @blp.arguments(OptionalReasonSchema)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Reject a pending booking."""
        return services.reject(current_user(), booking_id, body["reason"])


@blp.route("/bookings/<int:booking_id>/cancel")
class Cancel(MethodView):
    """Cancelling before check-in."""

    @auth_required("worker", "employer", "broker")
    @blp.arguments(ReasonSchema)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Cancel a booking before check-in (a worker's late cancel counts against reliability)."""
        return services.cancel(current_user(), booking_id, body["reason"])


@blp.route("/bookings/<int:booking_id>/check-in")
class CheckIn(MethodView):
    """Arriving."""

    @auth_required("worker")
    @blp.arguments(PositionSchema)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Check in: from 30 min before the start until the end, within 500 m of the workplace."""
        return attendance.check_in(current_user(), booking_id, body["lat"], body["lon"])


@blp.route("/bookings/<int:booking_id>/check-out")
class CheckOut(MethodView):
    """Leaving."""

    @auth_required("worker")
    @blp.arguments(PositionSchema)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Check out."""
        return attendance.check_out(current_user(), booking_id, body["lat"], body["lon"])


@blp.route("/bookings/<int:booking_id>/no-show")
class NoShow(MethodView):
    """Recording a no-show."""

    @auth_required("employer", "broker")
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, booking_id: int):
        """Record that a confirmed worker did not come (from 30 min after the start)."""
        return attendance.no_show(current_user(), booking_id)


@blp.route("/bookings/<int:booking_id>/attendance")
class Attendance(MethodView):
    """Recording the attendance of a shift that has ended."""

    @auth_required("employer", "broker")
    @blp.arguments(AttendanceInSchema)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Record when the worker came and left (a forgotten check-in or check-out, a no-show
        marked by mistake), within 7 days of the shift's end, with a reason. The booking is
        ``checked_out`` with ``checkout_source`` ``employer`` and can be approved; the worker is
        told."""
        return attendance.record_attendance(
            current_user(),
            booking_id,
            body["checked_in_at"],
            body["checked_out_at"],
            body["reason"],
        )


@blp.route("/bookings/<int:booking_id>/ratings")
class Ratings(MethodView):
    """Rating the other side."""

    @auth_required("worker", "employer", "broker")
    @idempotent
    @blp.arguments(RatingInSchema)
    @blp.response(201, RatingSchema)
    @blp.errors(404)
    def post(self, body: dict[str, Any], booking_id: int):
        """Rate the other side of a completed booking, once."""
        user = current_user()
        booking, acting = access.as_either_side(user, booking_id)
        direction = "worker_to_employer" if acting is None else "employer_to_worker"
        return rate(booking, direction, body["stars"], body["comment"], user.id)


@blp.route("/notifications")
class Notifications(MethodView):
    """My notifications."""

    @auth_required()
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List my notifications (every role): unread first, then newest first."""
        query = notifications.notifications_of(current_user(), filters["unread"])
        return page_of(query, pagination_parameters)


@blp.route("/notifications/read")
class ReadNotifications(MethodView):
    """Marking notifications read."""

    @auth_required()
    @blp.arguments(ReadInSchema)
    @blp.response(200, NotificationSchema(many=True))
    def post(self, body: dict[str, Any]):
        """Mark some of my notifications read; answers them, read (others' ids are passed
        over as if they did not exist)."""
        return notifications.mark_many_read(current_user(), body["ids"])


@blp.route("/notifications/<int:notification_id>/read")
class ReadNotification(MethodView):
    """Marking a notification read."""

    @auth_required()
    @blp.response(200, NotificationSchema)
    @blp.errors(404)
    def post(self, notification_id: int):
        """Mark one of my notifications read."""
        return notifications.mark_read(current_user(), notification_id)
