"""HTTP endpoints of bookings, attendance and ratings, of reading a worker, and of the caller's
notifications (registered here, with the bookings they are mostly about, as before).

Approving hours and marking them paid, and the alerts, are the earnings' (``earnings.routes``).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select

from marketplace.bookings import (
    access,
    agreements,
    attendance,
    crews,
    invitations,
    lists,
    offers,
    people,
    relations,
    reputation,
    services,
    throttle,
    waitlist,
)
from marketplace.bookings.models import Booking
from marketplace.bookings.reputation import rate
from marketplace.bookings.schemas import (
    ATTENDANCE_EXAMPLE,
    BLOCK_EXAMPLE,
    CANCEL_BOOKING_EXAMPLE,
    CHECK_IN_EXAMPLE,
    CHECK_OUT_EXAMPLE,
    CREW_EXAMPLE,
    DECLINE_EXAMPLE,
    INVITATION_EXAMPLE,
    RATING_EXAMPLE,
    REJECT_BOOKING_EXAMPLE,
    AgreementSchema,
    AttendanceInSchema,
    BlockInSchema,
    BlockSchema,
    BookingQuerySchema,
    BookingSchema,
    CrewInSchema,
    CrewResultSchema,
    EmployerNamedSchema,
    FavouriteSchema,
    InvitationInSchema,
    InvitationResultSchema,
    OptionalReasonSchema,
    OwnBookingsQuerySchema,
    OwnWaitlistSchema,
    PositionSchema,
    RatingInSchema,
    RatingSchema,
    ReasonSchema,
    WaitingWorkerSchema,
    WaitlistEntrySchema,
)
from marketplace.brokers import delegations
from marketplace.common.api import Blueprint, page_of, rows_page_of
from marketplace.common.guards import auth_required, current_user
from marketplace.common.idempotency import idempotent
from marketplace.database import writes_on_read
from marketplace.employers.schemas import EmployerPublicSchema
from marketplace.errors import DomainError, ErrorSchema, Forbidden
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.notifications import services as notifications
from marketplace.notifications.schemas import (
    READ_NOTIFICATIONS_EXAMPLE,
    NotificationQuerySchema,
    NotificationSchema,
    ReadInSchema,
)
from marketplace.workers import services as workers
from marketplace.workers.models import Worker
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

        Any signed-in user, but only these see the worker: the worker itself (as
        ``GET /workers/me`` shows it), an official of its city and admins (the profile with the
        ID number masked), and an employer or broker while the worker has a booking on one of
        its shifts (only ``id``, ``name``, ``skills``, ``rating`` and ``reliability``).
        ``?reveal=id_number&reason=…`` shows an official of the worker's city the full ID
        number and records that, with the reason, in the audit log. 403: ``reveal`` by anyone
        but an official of the worker's city. 404: no such worker, or one the caller may not
        see (not told apart). 422: ``reveal`` without ``reason``.
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
        """Read an employer's public profile and its track record.

        Any signed-in user: a worker looks at who is on the other side before booking. Answers
        the name, city and district, whether an official checked its credit code, the mean
        stars workers gave it and how many rated it, the shifts worked and approved on its
        jobs, and ``cancel_rate``: the share of its confirmed bookings its own side cancelled
        less than 12 h before the start. 404: no such employer.
        """
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
        """Book a shift (confirmed at once, or pending when the job requires approval).

        Workers only (403 for every other role). The booking is ``confirmed`` and holds a place
        at once, or is ``pending`` until the shift's side accepts it when the job requires
        approval (its employer is told). Places are counted by the database: two requests for
        the last place never both win. Every attempt, failed ones too, counts toward the
        booking rate limit. Honours ``Idempotency-Key``. 404: no such shift. 409: the worker
        has no profile yet, the shift is cancelled, started or full, the worker already holds
        a booking of it or one that overlaps it, lacks a required skill, or would pass the
        part-time limit of 24 hours a week with one employer; also a request with the same
        ``Idempotency-Key`` being handled. 422: a malformed or reused ``Idempotency-Key``.
        429: too many attempts in the window; ``Retry-After`` says when to try again.
        """
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
        """List a shift's bookings (its employer and delegated brokers).

        The shift's employer, or a broker it delegated to (403 for every other role and
        caller). Every booking of the shift in every state, by id, each with its earning once
        approved; ``status`` keeps one state. Paged with ``page`` and ``per_page``. 404: no
        such shift. 422: an unknown status.
        """
        shift = jobs.get_shift(shift_id)
        if delegations.may_act_for(current_user(), shift.job.employer_id) is None:
            raise Forbidden("only the shift's employer or its brokers see its bookings")
        query = select(Booking).options(lists.with_earning()).where(Booking.shift_id == shift_id)
        if "status" in filters:
            query = query.where(Booking.status == filters["status"])
        return page_of(query.order_by(Booking.id), pagination_parameters)


@blp.route("/shifts/<int:shift_id>/waitlist")
class ShiftWaitlist(MethodView):
    """The waitlist of one full shift."""

    @auth_required("worker")
    @idempotent
    @blp.response(201, WaitlistEntrySchema)
    @blp.errors(404, 409)
    def post(self, shift_id: int):
        """Wait for a place on a full shift: I am booked as soon as one frees, if I still can.

        Workers only (403 for every other role). Joining is the worker's yes to the shift:
        when a place frees (a cancel, a declined or lapsed offer, a raised headcount) the first
        waiting worker who can still take it is booked ``confirmed`` at once, without being
        asked again, and told (notification ``waitlist_booked``); the agreement of the job's
        employment type is made then, as when booking, and the worker may cancel as any
        booking. Every rule of a booking but capacity is checked on joining and again when
        the place frees; a worker who cannot take it then (an overlap, the part-time limit, …)
        is passed over and keeps its turn. Answers the worker's turn (``position``, 1 is next).
        Honours ``Idempotency-Key``. 404: no such shift. 409: the job requires approval (no
        waitlist), the shift has a free place (book it instead), is cancelled, held for review
        or started, the worker has no profile yet, already waits, already holds a booking of
        it or one that overlaps it, lacks a required skill, is blocked by the employer, or
        would pass the part-time limit of 24 hours a week with one employer; also a request
        with the same ``Idempotency-Key`` being handled. 422: a malformed or reused
        ``Idempotency-Key``.
        """
        entry = waitlist.join(current_user(), shift_id)
        return {
            "shift_id": entry.shift_id,
            "position": waitlist.position(entry),
            "joined_at": entry.joined_at,
        }

    @auth_required("worker")
    @blp.response(204)
    @blp.errors(404)
    def delete(self, shift_id: int):
        """Stop waiting for a place on the shift.

        Workers only (403 for every other role). The worker's entry is removed; those after it
        move up. 404: no such shift, or the worker is not on its waitlist.
        """
        waitlist.leave(current_user(), shift_id)

    @auth_required("employer", "broker", "admin")
    @blp.response(200, WaitingWorkerSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(self, shift_id: int, pagination_parameters: PaginationParameters):
        """List the workers waiting for a place on the shift, in their turn.

        The shift's employer, a broker it delegated to, or an admin (403 for every other
        role). Each waiting worker with its turn (``position``, 1 is next), when it joined, and
        who it is as the candidates show workers: the display name, skills, rating,
        reliability and completed shifts, the full name only once the worker has a booking with
        the employer, nothing of where it lives. Paged with ``page`` and ``per_page``. 404: no
        such shift, or another company's shift (not told apart).
        """
        user = current_user()
        entries = page_of(waitlist.of_shift(user, shift_id), pagination_parameters)
        who = people.as_seen_by(user, [(entry.worker_id, entry.shift_id) for entry in entries])
        first = pagination_parameters.first_item
        return [
            {
                **person,
                "position": first + index,
                "worker_id": entry.worker_id,
                "joined_at": entry.joined_at,
            }
            for index, (entry, person) in enumerate(zip(entries, who, strict=True), start=1)
        ]


@blp.route("/workers/me/waitlists")
class MyWaitlists(MethodView):
    """The shifts the caller waits for."""

    @auth_required("worker")
    @blp.response(200, OwnWaitlistSchema(many=True))
    @blp.paginate()
    @blp.errors(404)
    def get(self, pagination_parameters: PaginationParameters):
        """List the shifts I wait for, soonest first, with my turn on each.

        Workers only (403 for every other role). Each waitlist of a shift not yet started, with
        the worker's turn (``position``, 1 is next), when it joined, and the shift's job, title
        and times. A wait ends when the worker is booked from it, leaves it, books the shift
        another way or is offered it, or when the shift is cancelled. Paged with ``page`` and
        ``per_page``. 404: the worker has no profile yet.
        """
        rows = rows_page_of(waitlist.mine(current_user()), pagination_parameters)
        return [row._asdict() for row in rows]


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

        Employers, and brokers for an employer that delegated to them (403 for every other
        role, and for a broker naming an employer it does not act for, or an employer naming
        another company). Every booking on the company's shifts, each with its earning once
        approved. Filters: ``status``, ``from`` / ``to`` (days of the shifts' starts, China
        Standard Time, inclusive) and ``shift_id``. Paged with ``page`` and ``per_page``. 409:
        the caller has no profile yet. 422: a broker without ``employer_id``, or an invalid
        filter.
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
        """List my bookings, soonest shift first.

        Workers only (403 for every other role). Every booking of the worker in every state,
        offers included, each with its earning once approved; ``status`` keeps one state.
        Paged with ``page`` and ``per_page``. 404: the worker has no profile yet. 422: an
        unknown status.
        """
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
        """Read a booking (its worker, or the shift's employer side).

        The booking's worker, the shift's employer, or a broker it delegated to (403 for
        officials and admins). Answers the booking with its attendance and, once approved, its
        earning. 404: no such booking, or one the caller is not a side of (not told apart).
        """
        booking, _ = access.as_either_side(current_user(), booking_id)
        return booking


@blp.route("/bookings/<int:booking_id>/agreement")
class BookingAgreement(MethodView):
    """The agreement of one booking."""

    @auth_required("worker", "employer", "broker", "official")
    @blp.response(200, AgreementSchema)
    @blp.errors(404)
    def get(self, booking_id: int):
        """Read the agreement the worker accepted for a booking (无锡 第七条).

        The booking's worker, the shift's employer or a broker it delegated to, and an
        official of the job's city (403 for admins). The agreement was made when the worker
        booked or accepted the offer, from the job's employment type — 非全日制用工协议,
        劳动合同, 劳务派遣协议 or 劳务协议 — and is fixed: later edits of the job change nothing
        in it. Answers its Chinese text, the SHA-256 of the text (also in the audit event
        ``agreement.accepted``), when it was accepted and the parties; the worker's ID number
        is masked. 404: no such booking, one the caller may not see (not told apart), or a
        booking without an agreement — made before agreements were recorded, or an offer not
        yet accepted (the message says which).
        """
        return agreements.read(current_user(), booking_id)


@blp.route("/bookings/<int:booking_id>/accept")
class Accept(MethodView):
    """Accepting: the worker an offer, the shift's side a pending booking."""

    @auth_required("worker", "employer", "broker")
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, booking_id: int):
        """Accept an offer (the worker) or a pending booking (the shift's side).

        The booking's worker, the shift's employer, or a broker it delegated to (403 for
        officials and admins). A worker accepts an ``offered`` booking (from a batch
        assignment): it becomes ``confirmed`` and the employer's side is told. The employer's
        side accepts a ``pending`` booking: it takes a place and becomes ``confirmed``, and the
        worker is told. 404: no such booking, or one the caller is not a side of. 409: the
        booking is in another state, the offer has lapsed or overlaps another booking of the
        worker, or the shift is full by now.
        """
        user = current_user()
        if user.role == "worker":
            return offers.accept(user, booking_id)
        return services.accept(user, booking_id)


@blp.route("/bookings/<int:booking_id>/decline")
class Decline(MethodView):
    """Declining an offer."""

    @auth_required("worker")
    @blp.arguments(OptionalReasonSchema, example=DECLINE_EXAMPLE)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Decline an offer: its place is freed, and it never counts against my reliability.

        Workers only (403 for every other role), for an offer made to them. The booking becomes
        ``declined`` with the optional reason, its place is free again, and the employer's side
        is told. 404: no such booking, or not the caller's. 409: the booking is not
        ``offered``.
        """
        return offers.decline(current_user(), booking_id, body["reason"])


@blp.route("/jobs/<int:job_id>/offers/accept")
class AcceptJobOffers(MethodView):
    """Accepting every offer of one job at once."""

    @auth_required("worker")
    @blp.response(200, BookingSchema(many=True))
    @blp.errors(404, 409)
    def post(self, job_id: int):
        """Accept all my open offers on this job at once (all or none: 409 names the clash).

        Workers only (403 for every other role). Every offer the worker holds on the job's
        shifts that has not lapsed is confirmed, soonest first; if one of them cannot be (it
        overlaps another booking), none is. Answers the bookings confirmed. 404: no such job.
        409: the worker has no profile yet or holds no open offer on the job, or an offer
        overlaps another booking (the message names it).
        """
        return offers.accept_job(current_user(), job_id)


@blp.route("/bookings/<int:booking_id>/reject")
class Reject(MethodView):
    """Rejecting a pending booking."""

    @auth_required("employer", "broker")
    @blp.arguments(OptionalReasonSchema, example=REJECT_BOOKING_EXAMPLE)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Reject a pending booking.

        The shift's employer, or a broker it delegated to (403 for every other role). The
        booking becomes ``rejected`` with the optional reason, and the worker is told. 404: no
        such booking, or one on another employer's shift. 409: the booking is not ``pending``.
        """
        return services.reject(current_user(), booking_id, body["reason"])


@blp.route("/bookings/<int:booking_id>/cancel")
class Cancel(MethodView):
    """Cancelling before check-in."""

    @auth_required("worker", "employer", "broker")
    @blp.arguments(ReasonSchema, example=CANCEL_BOOKING_EXAMPLE)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Cancel a booking before check-in (a worker's late cancel counts against reliability).

        The booking's worker, the shift's employer, or a broker it delegated to (403 for
        officials and admins). A ``pending`` or ``confirmed`` booking — and, for the employer's
        side, an ``offered`` one — becomes ``cancelled`` with the reason and frees its place;
        the other side is told. A worker's cancel less than 12 h before the start is marked
        ``late_cancel`` and lowers their reliability. 404: no such booking, or one the caller
        is not a side of. 409: the booking is past check-in or already ended, or it is an
        offer, which its worker declines instead. 422: no reason.
        """
        return services.cancel(current_user(), booking_id, body["reason"])


@blp.route("/bookings/<int:booking_id>/check-in")
class CheckIn(MethodView):
    """Arriving."""

    @auth_required("worker")
    @blp.arguments(PositionSchema, example=CHECK_IN_EXAMPLE)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Check in: from 30 min before the start until the end, within 500 m of the workplace.

        Workers only (403 for every other role), on their own ``confirmed`` booking, with where
        they are. The booking becomes ``checked_in``; the time, the position and its distance
        from the workplace are kept for the pay and for the officials. 404: no such booking, or
        not the caller's. 409: the booking is not ``confirmed``, it is earlier than 30 minutes
        before the start, or the shift has ended. 422: the position is more than 500 m from
        the workplace.
        """
        return attendance.check_in(current_user(), booking_id, body["lat"], body["lon"])


@blp.route("/bookings/<int:booking_id>/check-out")
class CheckOut(MethodView):
    """Leaving."""

    @auth_required("worker")
    @blp.arguments(PositionSchema, example=CHECK_OUT_EXAMPLE)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Check out.

        Workers only (403 for every other role), on their own ``checked_in`` booking, with where
        they are. The booking becomes ``checked_out`` (``checkout_source`` ``worker``) and waits
        for the employer's side to approve the hours, which is told. A check-out more than 2 h
        after the shift's end, or before the check-in, is recorded at the shift's end and marked
        ``checkout_adjusted``; one far from the workplace is recorded as it is, its distance
        shown to the approver. 404: no such booking, or not the caller's. 409: the booking is
        not ``checked_in``.
        """
        return attendance.check_out(current_user(), booking_id, body["lat"], body["lon"])


@blp.route("/bookings/<int:booking_id>/no-show")
class NoShow(MethodView):
    """Recording a no-show."""

    @auth_required("employer", "broker")
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, booking_id: int):
        """Record that a confirmed worker did not come (from 30 min after the start).

        The shift's employer, or a broker it delegated to (403 for every other role). The
        booking becomes ``no_show``, its place is freed, the worker's reliability drops and
        the worker is told (a mistake is put right with ``POST /bookings/{id}/attendance``).
        The scheduled job ``no_shows`` does the same by itself. 404: no such booking, or one on
        another employer's shift. 409: the booking is not ``confirmed``, or it is earlier than
        30 minutes after the start.
        """
        return attendance.no_show(current_user(), booking_id)


@blp.route("/bookings/<int:booking_id>/attendance")
class Attendance(MethodView):
    """Recording the attendance of a shift that has ended."""

    @auth_required("employer", "broker")
    @blp.arguments(AttendanceInSchema, example=ATTENDANCE_EXAMPLE)
    @blp.response(200, BookingSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], booking_id: int):
        """Record when the worker came and left, once the shift has ended, with a reason.

        The shift's employer, or a broker it delegated to (403 for every other role). For a
        ``confirmed`` booking (a forgotten check-in), a ``checked_in`` one (a forgotten
        check-out) or a ``no_show`` marked by mistake (its place is held again), within 7 days
        of the shift's end. The booking becomes ``checked_out`` with ``checkout_source``
        ``employer`` and can be approved; the worker is told and may dispute the hours. 404: no
        such booking, or one on another employer's shift. 409: the booking is in another
        state, the shift has not ended or ended more than 7 days ago, or the no-show's place
        has been taken since (raise the headcount first) or the worker holds another booking
        of the shift. 422: the times are not in order, or not within 30 minutes before the
        start to 2 hours after the end, or in the future; no reason.
        """
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
    @blp.arguments(RatingInSchema, example=RATING_EXAMPLE)
    @blp.response(201, RatingSchema)
    @blp.errors(404)
    def post(self, body: dict[str, Any], booking_id: int):
        """Rate the other side of a completed booking, once.

        The booking's worker rates the employer; the shift's employer, or a broker it delegated
        to, rates the worker (403 for officials and admins). 1 to 5 stars and an optional
        comment; the worker's ``rating`` and the employer's public rating follow. Honours
        ``Idempotency-Key``. 404: no such booking, or one the caller is not a side of. 409:
        the booking is not ``completed``, this side has already rated it, or a request with
        the same ``Idempotency-Key`` is being handled. 422: stars outside 1–5, a comment over
        500 characters, or a malformed or reused ``Idempotency-Key``.
        """
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
        """List my notifications (every role): unread first, then newest first.

        Any signed-in user. The in-app notifications of the caller: each with its ``kind``, a
        message in Chinese, the ids it is about in ``data``, and ``read_at`` once read.
        ``?unread=1`` keeps the unread ones. Paged with ``page`` and ``per_page``. 422: an
        invalid ``unread``.
        """
        query = notifications.notifications_of(current_user(), filters["unread"])
        return page_of(query, pagination_parameters)


@blp.route("/notifications/read")
class ReadNotifications(MethodView):
    """Marking notifications read."""

    @auth_required()
    @blp.arguments(ReadInSchema, example=READ_NOTIFICATIONS_EXAMPLE)
    @blp.response(200, NotificationSchema(many=True))
    def post(self, body: dict[str, Any]):
        """Mark some of my notifications read, and answer them.

        Any signed-in user. Each of ``ids`` that is one of the caller's notifications is marked
        read (one already read keeps its time) and answered, by id; ids of other users'
        notifications, or of none, are passed over as if they did not exist. 422: ``ids``
        empty, over 500, or not ids.
        """
        return notifications.mark_many_read(current_user(), body["ids"])


@blp.route("/notifications/<int:notification_id>/read")
class ReadNotification(MethodView):
    """Marking a notification read."""

    @auth_required()
    @blp.response(200, NotificationSchema)
    @blp.errors(404)
    def post(self, notification_id: int):
        """Mark one of my notifications read.

        Any signed-in user. The notification is marked read (one already read keeps its time)
        and answered. 404: no such notification, or another user's (not told apart).
        """
        return notifications.mark_read(current_user(), notification_id)


def _relations_page(kind: str, filters: dict[str, Any], paging: PaginationParameters) -> list:
    rows = rows_page_of(relations.listed(current_user(), kind, filters.get("employer_id")), paging)
    return [
        {"worker_id": row.worker_id, "name": name, "created_at": row.created_at}
        | ({"reason": row.reason} if kind == "block" else {})
        for row, name in rows
    ]


@blp.route("/employers/me/favourites")
class Favourites(MethodView):
    """The employer's favourite workers."""

    @auth_required("employer", "broker")
    @blp.arguments(EmployerNamedSchema, location="query")
    @blp.response(200, FavouriteSchema(many=True))
    @blp.paginate()
    @blp.errors(403, 409)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List my favourite workers, newest first (a broker names ``employer_id``).

        Employers, and brokers for an employer that delegated to them (403 otherwise). A
        favourite ranks higher among the candidates of the employer's shifts (the score
        component ``favourite``). Paged. 409: no employer profile yet. 422: a broker without
        ``employer_id``.
        """
        return _relations_page("favourite", filters, pagination_parameters)


@blp.route("/employers/me/favourites/<int:worker_id>")
class OneFavourite(MethodView):
    """One favourite worker."""

    @auth_required("employer", "broker")
    @blp.arguments(EmployerNamedSchema, location="query")
    @blp.response(200, FavouriteSchema)
    @blp.errors(403, 404, 409)
    def put(self, filters: dict[str, Any], worker_id: int):
        """Add a worker to my favourites.

        Employers and their brokers (403 otherwise). Only a worker who applied for or accepted
        one of the employer's shifts (404 for any other). Answers the entry, whether it was
        added now or already there. Audit ``favourite.put``.
        """
        row = relations.put(current_user(), "favourite", filters.get("employer_id"), worker_id)
        return _one(row)

    @auth_required("employer", "broker")
    @blp.arguments(EmployerNamedSchema, location="query")
    @blp.response(204)
    @blp.errors(403, 404)
    def delete(self, filters: dict[str, Any], worker_id: int):
        """Take a worker off my favourites.

        Employers and their brokers (403 otherwise). 404: the worker is not a favourite.
        Audit ``favourite.removed``.
        """
        relations.remove(current_user(), "favourite", filters.get("employer_id"), worker_id)


@blp.route("/employers/me/blocks")
class Blocks(MethodView):
    """The workers the employer will not take again."""

    @auth_required("employer", "broker")
    @blp.arguments(EmployerNamedSchema, location="query")
    @blp.response(200, BlockSchema(many=True))
    @blp.paginate()
    @blp.errors(403, 409)
    def get(self, filters: dict[str, Any], pagination_parameters: PaginationParameters):
        """List the workers I blocked, newest first (a broker names ``employer_id``).

        Employers and their brokers (403 otherwise). Paged. 409: no employer profile yet.
        422: a broker without ``employer_id``.
        """
        return _relations_page("block", filters, pagination_parameters)


@blp.route("/employers/me/blocks/<int:worker_id>")
class OneBlock(MethodView):
    """One blocked worker."""

    @auth_required("employer", "broker")
    @blp.arguments(BlockInSchema, example=BLOCK_EXAMPLE)
    @blp.arguments(EmployerNamedSchema, location="query")
    @blp.response(200, BlockSchema)
    @blp.errors(403, 404, 409)
    def put(self, body: dict[str, Any], filters: dict[str, Any], worker_id: int):
        """Block a worker from my shifts, with a reason.

        Employers and their brokers (403 otherwise). Only a worker who applied for or accepted
        one of the employer's shifts (404 for any other). From then on the worker cannot book
        or be offered the employer's shifts (409), is never among their candidates or in an
        assignment, and does not see them recommended. Bookings already made stay (cancel them
        as usual). Answers the entry (blocked again: the reason updated). Audit ``block.put``;
        the worker is not told.
        """
        row = relations.put(
            current_user(), "block", filters.get("employer_id"), worker_id, body["reason"]
        )
        return _one(row)

    @auth_required("employer", "broker")
    @blp.arguments(EmployerNamedSchema, location="query")
    @blp.response(204)
    @blp.errors(403, 404)
    def delete(self, filters: dict[str, Any], worker_id: int):
        """Lift a block.

        Employers and their brokers (403 otherwise). 404: the worker is not blocked. Audit
        ``block.removed``.
        """
        relations.remove(current_user(), "block", filters.get("employer_id"), worker_id)


def _one(row: Any) -> dict[str, Any]:
    name = db.session.scalar(select(Worker.name).where(Worker.id == row.worker_id))
    return {
        "worker_id": row.worker_id,
        "name": name,
        "created_at": row.created_at,
        "reason": getattr(row, "reason", None),
    }


@blp.route("/jobs/<int:job_id>/invitations")
class JobInvitations(MethodView):
    """Inviting workers to an invited-only job."""

    @blp.doc(tags=["jobs"])
    @auth_required("employer", "broker")
    @blp.arguments(InvitationInSchema, example=INVITATION_EXAMPLE)
    @blp.response(200, InvitationResultSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], job_id: int):
        """Invite workers to an invited-only job (its favourites in one call).

        The job's employer, or a broker it delegated to (403 for every other role). Each
        invited worker is told, and from then on sees the job's shifts, is recommended them,
        is among their candidates and may book them; no one else may (404). Skipped, with the
        reason: ids of no open worker account of the job's city (``unknown``), workers the
        employer blocked, workers already invited. Audit ``job.invited``. 404: no such job, or
        another employer's. 409: the job is public or cancelled. 422: nobody named.
        """
        return invitations.invite(current_user(), job_id, body["worker_ids"], body["favourites"])


@blp.route("/jobs/<int:job_id>/crew")
class JobCrew(MethodView):
    """Offering a crew every shift of a job."""

    @blp.doc(tags=["jobs"])
    @auth_required("employer", "broker")
    @blp.arguments(CrewInSchema, example=CREW_EXAMPLE)
    @blp.response(200, CrewResultSchema)
    @blp.errors(404, 409)
    def post(self, body: dict[str, Any], job_id: int):
        """Offer chosen workers every future shift of the job they can take.

        The job's employer, or a broker it delegated to (403 for every other role). In one
        transaction, each worker is offered each future shift under every rule of a booking
        (a free place, no overlap, the part-time limit, skills, blocks, invitations): each
        offer holds its place until the worker accepts (``POST /jobs/{id}/offers/accept``
        accepts the whole series) or it lapses (24 h, or 2 h before the start). ``booked``
        lists the offers made, ``skipped`` every place not offered with its reason. 404: no
        such job, or another employer's. 409: the job is cancelled. 422: no worker, or more
        than 50.
        """
        return crews.offer_crew(current_user(), job_id, body["worker_ids"])
