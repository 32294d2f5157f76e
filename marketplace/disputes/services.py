"""Disputes (contract v1.1 "Disputes and complaint cases"; 无锡 第九条 网上调解).

A worker disputes an approved booking's hours or pay within 7 days of the approval. The employer
or its broker answers: accepting records an **adjustment** — a new earning of the difference,
the original never changed — and resolves the dispute; refusing, or no answer within 3 days (the
scheduled job ``disputes``), escalates it to a case for the officials of the city.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import access, tell
from marketplace.bookings.models import STATE_WORDS, Booking
from marketplace.brokers import delegations
from marketplace.cities import catalogue
from marketplace.disputes import cases, parties
from marketplace.disputes.models import Dispute
from marketplace.disputes.words import WORDS, StateConflict
from marketplace.earnings import services as earnings
from marketplace.earnings.models import Earning
from marketplace.errors import N_, Conflict, Forbidden, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.workers import services as workers

DISPUTE_WITHIN = timedelta(days=7)  # after the approval
ANSWER_WITHIN = timedelta(days=3)  # then the officials take it
KIND_NAMES = {"hours": "工时", "pay": "工资", "other": "其他"}


def _check_claim(kind: str, data: dict[str, Any], booking: Booking) -> None:
    """The claim fits its kind and asks for more than was recorded (422 otherwise)."""
    hours, amount = earnings.booked_totals(booking.id)
    needs = {"hours": "claimed_hours", "pay": "claimed_amount"}.get(kind)
    for name in ("claimed_hours", "claimed_amount"):
        given = data.get(name) is not None
        if name == needs and not given:
            message = N_("a dispute of %(kind)s names %(claim)s")
        elif name != needs and given:
            message = N_("a dispute of %(kind)s has no %(claim)s")
        else:
            continue
        params = {"kind": kind, "claim": name}
        raise Invalid(message, field_error("json", name, message, **params), **params)
    if kind == "hours" and data["claimed_hours"] <= hours:
        message = N_("the claimed hours must be more than the %(hours)s hours recorded")
        raise Invalid(
            message, field_error("json", "claimed_hours", message, hours=hours), hours=hours
        )
    if kind == "pay" and data["claimed_amount"] <= amount:
        message = N_("the claimed amount must be more than the %(amount)s yuan recorded")
        raise Invalid(
            message, field_error("json", "claimed_amount", message, amount=amount), amount=amount
        )


def open_dispute(user: User, booking_id: int, data: dict[str, Any]) -> Dispute:
    """The booking's worker disputes its hours, pay or something else, within 7 days of the
    approval (before the approval, later, or with another dispute open: 409)."""
    booking = access.as_worker(user, booking_id)
    earning = booking.earning_if_completed
    if earning is None:
        raise StateConflict(
            "only an approved booking can be disputed; this one is %(status)s",
            status=STATE_WORDS[booking.status],
        )
    city = booking.shift.job.city
    now = clock.now()
    if now > earning.recorded_at + DISPUTE_WITHIN:
        raise Conflict(
            "the 7 days to dispute this booking ended at %(at)s",
            at=catalogue.wall_clock(earning.recorded_at + DISPUTE_WITHIN, city),
        )
    _check_claim(data["kind"], data, booking)
    dispute = Dispute(
        booking_id=booking.id,
        earning_id=earning.id,
        worker_id=booking.worker_id,
        employer_id=booking.employer_id,
        city=city,
        kind=data["kind"],
        claimed_hours=data.get("claimed_hours"),
        claimed_amount=data.get("claimed_amount"),
        detail=data["detail"],
        status="open",
        opened_at=now,
        answer_by=now + ANSWER_WITHIN,
    )
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
    except IntegrityError:
        raise Conflict("this booking already has a dispute open or with the officials") from None
    audit.record(
        "dispute.opened",
        "dispute",
        dispute.id,
        {
            "booking_id": booking.id,
            "earning_id": earning.id,
            "kind": dispute.kind,
            "claimed_hours": _text(dispute.claimed_hours),
            "claimed_amount": _text(dispute.claimed_amount),
        },
        actor_id=user.id,
        city=city,
    )
    parties.tell_employer_side(
        dispute,
        "dispute_opened",
        f"劳动者对{tell.shift_text(booking)}的{KIND_NAMES[dispute.kind]}提出异议"
        f"{_claim_text(dispute)}：{dispute.detail}。请在"
        f"{catalogue.wall_clock(dispute.answer_by, city)}前答复，逾期将转交人社部门处理",
    )
    return dispute


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _claim_text(dispute: Dispute) -> str:
    if dispute.claimed_hours is not None:
        return f"（主张 {dispute.claimed_hours} 小时）"
    if dispute.claimed_amount is not None:
        return f"（主张 {dispute.claimed_amount} 元）"
    return ""


def _as_employer_side(user: User, dispute_id: int) -> tuple[Dispute, delegations.Acting]:
    if user.role not in ("employer", "broker"):
        raise Forbidden("only the shift's employer or its brokers may do this")
    dispute = db.session.get(Dispute, dispute_id, with_for_update=True)
    acting = delegations.may_act_for(user, dispute.employer_id) if dispute else None
    if dispute is None or acting is None:
        raise NotFound(N_("dispute"))
    return dispute, acting


def respond(user: User, dispute_id: int, accept: bool, detail: str) -> Dispute:
    """The employer's side answers an open dispute: accepting records the adjustment of the
    difference (re-checked against what is recorded now), refusing escalates it to a case."""
    dispute, acting = _as_employer_side(user, dispute_id)
    if dispute.status != "open":
        raise StateConflict("this dispute is %(status)s, not open", status=WORDS[dispute.status])
    now = clock.now()
    dispute.responded_at = now
    dispute.responded_by = user.id
    dispute.response = detail
    booking = db.session.get(Booking, dispute.booking_id)
    assert booking is not None
    if not accept:
        escalate(dispute, reason="用工方不同意", actor=user, acting_data=acting.audit_data)
        return dispute
    hours, amount = _owed(dispute, booking)
    if dispute.kind != "other":
        original = db.session.get(Earning, dispute.earning_id)
        assert original is not None
        adjustment = earnings.record_adjustment(
            original,
            hours,
            amount,
            city=dispute.city,
            actor=user,
            audit_data={"dispute_id": dispute.id, **acting.audit_data},
        )
        dispute.adjustment_id = adjustment.id
    dispute.status = "resolved"
    db.session.flush()
    audit.record(
        "dispute.resolved",
        "dispute",
        dispute.id,
        {
            "accepted": True,
            "adjustment_id": dispute.adjustment_id,
            "hours": str(hours),
            "amount": str(amount),
            **acting.audit_data,
        },
        actor_id=user.id,
        city=dispute.city,
    )
    paid = f"，补记 {amount} 元" if dispute.adjustment_id else ""
    parties.tell_worker(
        dispute,
        "dispute_resolved",
        f"用工方同意了您对{tell.shift_text(booking)}的异议{paid}。答复：{detail}",
    )
    return dispute


def _owed(dispute: Dispute, booking: Booking) -> tuple[Decimal, Decimal]:
    """The hours and pay an accepted dispute adds, from what is recorded now (409 when the
    record already reaches the claim: it changed since the dispute was opened)."""
    if dispute.kind == "other":
        return Decimal("0.00"), Decimal("0.00")
    hours, amount = earnings.booked_totals(booking.id)
    if dispute.kind == "hours":
        assert dispute.claimed_hours is not None
        extra_hours = dispute.claimed_hours - hours
        wage = db.session.scalar(
            select(Job.hourly_wage).join(Shift).where(Shift.id == booking.shift_id)
        )
        assert wage is not None
        owed = (extra_hours, earnings.pay_for(extra_hours, wage))
    else:
        assert dispute.claimed_amount is not None
        owed = (Decimal("0.00"), dispute.claimed_amount - amount)
    if owed[1] <= 0:
        raise Conflict(
            "the booking's recorded pay changed since the dispute was opened: now %(hours)s "
            "hours and %(amount)s yuan",
            hours=hours,
            amount=amount,
        )
    return owed


def escalate(
    dispute: Dispute, *, reason: str, actor: User | None, acting_data: dict[str, Any]
) -> None:
    """Hand an open dispute to the officials of its city: it becomes a case."""
    dispute.status = "escalated"
    dispute.escalated_at = clock.now()
    db.session.flush()
    audit.record(
        "dispute.escalated",
        "dispute",
        dispute.id,
        {"reason": reason, **acting_data},
        actor_id=actor.id if actor else None,
        city=dispute.city,
    )
    case = cases.open_for_dispute(dispute)
    message = (
        f"异议（{KIND_NAMES[dispute.kind]}）已转交人社部门处理（{reason}），案件编号 {case.id}"
    )
    parties.tell_worker(dispute, "dispute_escalated", message)
    parties.tell_employer_side(dispute, "dispute_escalated", message)


def escalate_unanswered() -> int:
    """Scheduled (``disputes``): escalate every open dispute not answered within 3 days.

    Idempotent: an escalated dispute is no longer open, so a second run finds nothing.
    """
    overdue = list(
        db.session.scalars(
            select(Dispute)
            .where(Dispute.status == "open", Dispute.answer_by <= clock.now())
            .order_by(Dispute.id)
            .with_for_update(skip_locked=True)
        )
    )
    for dispute in overdue:
        escalate(dispute, reason="用工方 3 日内未答复", actor=None, acting_data={})
    return len(overdue)


def visible(user: User, filters: dict[str, Any]) -> Select[Any]:
    """The disputes ``user`` may see, newest first: a worker's own, an employer's (and its
    brokers'), an official's city's, all for an admin."""
    query = select(Dispute)
    if user.role == "worker":
        worker_id = workers.profile_id_of(user)
        query = query.where(Dispute.worker_id == worker_id) if worker_id else query.where(false())
    elif user.role in ("employer", "broker"):
        query = query.where(Dispute.employer_id.in_(access.employer_ids_of(user)))
    elif user.role == "official":
        query = query.where(Dispute.city == user.city)
    if filters.get("status"):
        query = query.where(Dispute.status == filters["status"])
    if filters.get("booking_id"):
        query = query.where(Dispute.booking_id == filters["booking_id"])
    return query.order_by(Dispute.opened_at.desc(), Dispute.id.desc())


def get(user: User, dispute_id: int) -> Dispute:
    """One dispute the caller may see (404 otherwise)."""
    dispute = db.session.scalar(visible(user, {}).where(Dispute.id == dispute_id))
    if dispute is None:
        raise NotFound(N_("dispute"))
    return dispute
