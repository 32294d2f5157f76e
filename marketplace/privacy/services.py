"""Personal information rights (个人信息保护法 第四十五、四十七条): a copy of one's data, closing.

``export`` gathers everything the platform holds of the caller — account, profile, group
history, bookings and the agreements accepted for them, waitlists, earnings and premiums,
training, flags (without the officials' risk signals), notifications, ratings given and
received, delegations and jobs — as JSON; the export is an audit event like every other.
``close`` ends the account: sign-in ends, personal fields are erased or masked, waits end, and
what the law or the subsidy audit must keep (earnings, flags, audit events, bookings, the
agreements — 劳动合同法 第五十条 keeps contracts two years) stays, linked to the closed account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth import services as auth
from marketplace.auth.addresses import client_address
from marketplace.auth.models import User
from marketplace.auth.schemas import MeSchema
from marketplace.bookings import offers, waitlist
from marketplace.bookings.models import LIVE_STATUSES, Agreement, Booking, Rating, WaitlistEntry
from marketplace.bookings.schemas import AgreementSchema, BookingSchema, RatingSchema
from marketplace.brokers import delegations
from marketplace.brokers import services as brokers
from marketplace.brokers.models import Delegation
from marketplace.brokers.schemas import BrokerSchema, DelegationSchema
from marketplace.earnings.models import Contribution, Earning, TrainingRecord
from marketplace.earnings.schemas import EarningSchema
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerSchema
from marketplace.errors import Conflict, Forbidden
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.jobs.schemas import JobSchema
from marketplace.notifications.models import Notification
from marketplace.notifications.schemas import NotificationSchema
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.schemas import WorkerFlagSchema
from marketplace.workers import services as workers
from marketplace.workers.models import Worker, WorkerGroupChange
from marketplace.workers.schemas import WorkerSchema

# Accounts made on the command line are closed there too, by the platform's administrators.
SELF_CLOSING_ROLES = ("worker", "employer", "broker")


def _all(query: Any) -> list[Any]:
    return list(db.session.scalars(query))


def _worker_part(worker: Worker) -> dict[str, Any]:
    def rows(model: Any, *order: Any) -> list[Any]:
        return _all(select(model).where(model.worker_id == worker.id).order_by(*order))

    return {
        "worker": WorkerSchema().dump(workers.own_view(worker)),
        "group_changes": [
            {
                "field": change.field,
                "old_value": change.old_value,
                "new_value": change.new_value,
                "recorded_at": change.recorded_at.isoformat(),
            }
            for change in rows(WorkerGroupChange, WorkerGroupChange.id)
        ],
        # With the earning each produced, loaded in one query for all of them.
        "bookings": BookingSchema(many=True).dump(
            _all(
                select(Booking)
                .options(selectinload(Booking.earning))
                .where(Booking.worker_id == worker.id)
                .order_by(Booking.id)
            )
        ),
        "agreements": AgreementSchema(many=True).dump(
            _all(
                select(Agreement)
                .join(Booking, Booking.id == Agreement.booking_id)
                .where(Booking.worker_id == worker.id)
                .order_by(Agreement.id)
            )
        ),
        "waitlists": [
            {"shift_id": row.shift_id, "joined_at": row.joined_at.isoformat()}
            for row in rows(WaitlistEntry, WaitlistEntry.joined_at, WaitlistEntry.id)
        ],
        "earnings": EarningSchema(many=True).dump(rows(Earning, Earning.month, Earning.id)),
        "contributions": [
            {"month": row.month, "pension": str(row.pension), "medical": str(row.medical)}
            for row in rows(Contribution, Contribution.month)
        ],
        "training": [
            {
                "course": row.course,
                "class_hours": str(row.class_hours),
                "completed_on": row.completed_on.isoformat(),
            }
            for row in rows(TrainingRecord, TrainingRecord.completed_on)
        ],
        "subsidy_flags": WorkerFlagSchema(many=True).dump(rows(SubsidyFlag, SubsidyFlag.id)),
        "ratings_received": RatingSchema(many=True).dump(
            _all(
                select(Rating)
                .where(Rating.worker_id == worker.id, Rating.direction == "employer_to_worker")
                .order_by(Rating.id)
            )
        ),
    }


def _employer_side_part(user: User) -> dict[str, Any]:
    part: dict[str, Any] = {}
    employer = employers.profile_of(user) if user.role == "employer" else None
    broker = brokers.profile_of(user) if user.role == "broker" else None
    if employer is not None:
        part["employer"] = EmployerSchema().dump(employer)
        part["delegations"] = DelegationSchema(many=True).dump(
            _all(select(Delegation).where(Delegation.employer_id == employer.id))
        )
        part["ratings_received"] = RatingSchema(many=True).dump(
            _all(
                select(Rating)
                .where(Rating.employer_id == employer.id, Rating.direction == "worker_to_employer")
                .order_by(Rating.id)
            )
        )
    if broker is not None:
        part["broker"] = BrokerSchema().dump(broker)
        part["delegations"] = DelegationSchema(many=True).dump(
            _all(select(Delegation).where(Delegation.broker_id == broker.id))
        )
    part["jobs_posted"] = JobSchema(many=True).dump(
        _all(select(Job).where(Job.posted_by == user.id).order_by(Job.id))
    )
    return part


def export(user: User) -> dict[str, Any]:
    """Everything the platform holds of ``user``, as JSON; audited as ``export.downloaded``."""
    data: dict[str, Any] = {
        "exported_at": clock.now().isoformat(),
        "account": MeSchema().dump(user),
    }
    worker = workers.profile_of(user) if user.role == "worker" else None
    if worker is not None:
        data.update(_worker_part(worker))
    if user.role in ("employer", "broker"):
        data.update(_employer_side_part(user))
    data["ratings_given"] = RatingSchema(many=True).dump(
        _all(select(Rating).where(Rating.created_by == user.id).order_by(Rating.id))
    )
    data["notifications"] = NotificationSchema(many=True).dump(
        _all(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    )
    rows = sum(len(value) for value in data.values() if isinstance(value, list))
    audit.record_export(
        "personal_data",
        "json",
        {"user_id": user.id},
        rows,
        actor_id=user.id,
        city=worker.city if worker is not None else user.city,
    )
    return data


def _refuse_live_work(user: User, worker: Worker | None) -> None:
    """409 while the account still has work under way (it must be finished or cancelled)."""
    if worker is not None:
        live = db.session.scalar(
            select(Booking.id)
            .where(
                Booking.worker_id == worker.id,
                Booking.status.in_([s for s in LIVE_STATUSES if s != "offered"]),
            )
            .limit(1)
        )
        if live is not None:
            raise Conflict(
                "booking %(booking)s is still under way: cancel it, or finish the work, then close",
                booking=live,
            )
    employer = employers.profile_of(user) if user.role == "employer" else None
    if employer is not None:
        open_shift = db.session.scalar(
            select(Shift.id)
            .join(Job, Job.id == Shift.job_id)
            .where(
                Job.employer_id == employer.id,
                Shift.cancelled_at.is_(None),
                Shift.ends_at > clock.now(),
            )
            .limit(1)
        )
        if open_shift is not None:
            raise Conflict(
                "shift %(shift)s is still open: cancel its job first, then close", shift=open_shift
            )
        unsettled = db.session.scalar(
            select(Booking.id)
            .where(Booking.employer_id == employer.id, Booking.status.in_(LIVE_STATUSES))
            .limit(1)
        )
        if unsettled is not None:
            raise Conflict(
                "booking %(booking)s is not settled: approve or close it first, then close",
                booking=unsettled,
            )


def close(user: User, password: str) -> User:
    """Close the caller's own account, after checking its password.

    Refused while work is under way (409). Open offers are declined and waitlists left. The
    worker's name, home, skills and availability are erased, delegations end, every token is
    revoked and the phone is erased, so nobody signs in again; earnings, flags, bookings,
    ratings and audit events stay for the records the law and the subsidy audit keep, linked to
    the closed account.
    """
    if user.role not in SELF_CLOSING_ROLES:
        raise Forbidden("accounts of officials and admins are closed by the platform's admins")
    auth.confirm_password(user, password, address=client_address(), field="password")
    worker = workers.profile_of(user, lock=True) if user.role == "worker" else None
    _refuse_live_work(user, worker)
    if worker is not None:
        open_offers = _all(
            select(Booking.id).where(Booking.worker_id == worker.id, Booking.status == "offered")
        )
        for booking_id in open_offers:
            offers.decline(user, booking_id, "账户已注销")
        # A closed account waits for nothing: no place may be booked for it later.
        waitlist.end_for_worker(worker.id)
        workers.erase_for_closure(worker)
    delegations.end_delegations_of(user)
    auth.close_account(user)
    audit.record(
        "user.closed",
        "user",
        user.id,
        {"role": user.role},
        actor_id=user.id,
        city=worker.city if worker is not None else None,
    )
    return user
