"""Complaint cases for the officials of the city (西宁 第十六条 畅通投诉举报渠道).

A case is opened by an escalated dispute or by an alert: wages unpaid (``wage_arrears``) or
hours never approved (``unapproved_timesheet``). The official and the two parties write notes;
the official resolves it — ``upheld`` (with an amount: the adjustment is recorded, or, for hours
never approved, the booking is completed with that pay), ``dismissed`` or ``settled``. A case of
an alert settles by itself when the alert is resolved by what it asked for (paid, approved).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, false, select

from marketplace import clock, events
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings import access, tell
from marketplace.bookings.models import STATE_WORDS, Booking
from marketplace.common.guards import official_of_city
from marketplace.disputes import parties
from marketplace.disputes.models import Case, CaseNote, Dispute
from marketplace.disputes.words import WORDS, StateConflict
from marketplace.earnings import pay
from marketplace.earnings import services as earnings
from marketplace.earnings.models import Alert, Earning
from marketplace.errors import N_, Conflict, Forbidden, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.workers import services as workers

KIND_NAMES = {
    "dispute": "劳动者异议",
    "wage_arrears": "拖欠工资",
    "unapproved_timesheet": "工时未核定",
}
OUTCOME_NAMES = {"upheld": "支持劳动者", "dismissed": "不予支持", "settled": "双方和解"}


def _open(case: Case, cause: str | None) -> Case:
    db.session.add(case)
    db.session.flush()
    audit.record(
        "case.opened",
        "case",
        case.id,
        {
            "kind": case.kind,
            "booking_id": case.booking_id,
            "dispute_id": case.dispute_id,
            "alert_id": case.alert_id,
        },
        city=case.city,
    )
    if cause is not None:
        message = f"{cause}，已立案（案件编号 {case.id}），人社部门将处理"
        parties.tell_worker(case, case.kind, message)
        parties.tell_employer_side(case, case.kind, message)
    return case


def open_for_dispute(dispute: Dispute) -> Case:
    """The case of an escalated dispute (the escalation tells the parties its number)."""
    return _open(
        Case(
            city=dispute.city,
            kind="dispute",
            dispute_id=dispute.id,
            booking_id=dispute.booking_id,
            earning_id=dispute.earning_id,
            worker_id=dispute.worker_id,
            employer_id=dispute.employer_id,
            status="open",
            opened_at=clock.now(),
        ),
        None,
    )


def open_for_alert(alert: Alert, cause: str) -> Case:
    """The case of a new alert (its parties are told ``cause`` and the case's number)."""
    assert alert.booking_id is not None and alert.employer_id is not None
    return _open(
        Case(
            city=alert.city,
            kind=alert.type,
            alert_id=alert.id,
            booking_id=alert.booking_id,
            earning_id=alert.earning_id,
            worker_id=alert.worker_id,
            employer_id=alert.employer_id,
            status="open",
            opened_at=alert.created_at,
        ),
        cause,
    )


def visible(user: User, filters: dict[str, Any]) -> Select[Any]:
    """The cases ``user`` may see, newest first: an official's city's (another city: 403), all
    for an admin (or one city's), and each party its own."""
    query = select(Case)
    city = filters.get("city")
    if user.role == "official":
        if city is not None and city != user.city:
            raise Forbidden("an official sees the cases of their own city")
        query = query.where(Case.city == user.city)
    elif user.role == "worker":
        worker_id = workers.profile_id_of(user)
        query = query.where(Case.worker_id == worker_id) if worker_id else query.where(false())
    elif user.role in ("employer", "broker"):
        query = query.where(Case.employer_id.in_(access.employer_ids_of(user)))
    if city is not None:
        query = query.where(Case.city == city)
    for name in ("status", "kind"):
        if filters.get(name):
            query = query.where(getattr(Case, name) == filters[name])
    return query.order_by(Case.opened_at.desc(), Case.id.desc())


def get(user: User, case_id: int, *, for_update: bool = False) -> Case:
    """One case the caller may see (404 otherwise)."""
    query = visible(user, {}).where(Case.id == case_id)
    case = db.session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise NotFound(N_("case"))
    return case


def notes_of(case: Case) -> list[CaseNote]:
    """A case's notes, oldest first."""
    return list(
        db.session.scalars(
            select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id)
        )
    )


def add_note(user: User, case_id: int, text: str) -> CaseNote:
    """A note by the official of the city or one of the two parties (an admin: 403)."""
    if user.role not in ("official", "worker", "employer", "broker"):
        raise Forbidden("only the officials of the city and the two parties write on a case")
    case = get(user, case_id)
    if case.status != "open":
        raise Conflict("this case is resolved; notes are closed")
    note = CaseNote(
        case_id=case.id,
        author_id=user.id,
        author_role=user.role,
        text=text,
        created_at=clock.now(),
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        "case.noted",
        "case",
        case.id,
        {"note_id": note.id, "role": user.role},
        actor_id=user.id,
        city=case.city,
    )
    message = f"案件 {case.id}（{KIND_NAMES[case.kind]}）有新留言：{text}"
    step = f":{note.id}"
    if user.role != "worker":
        parties.tell_worker(case, "case_note", message, step)
    if user.role not in ("employer", "broker"):
        parties.tell_employer_side(case, "case_note", message, step)
    return note


def resolve(user: User, case_id: int, outcome: str, amount: Decimal | None, reason: str) -> Case:
    """An official of the case's city decides it. Upheld with an amount moves money: for an
    earning, an adjustment of it; for hours never approved, the booking is completed with that
    pay — re-checked under lock (the booking must still be waiting for its approval)."""
    if user.role != "official":
        raise Forbidden("only an official of the case's city may resolve it")
    case = db.session.get(Case, case_id, with_for_update=True)
    official_of_city(user, case.city if case else None, N_("official"), N_("case"))
    assert case is not None
    if case.status != "open":
        raise StateConflict(
            "this case was already resolved: %(outcome)s", outcome=WORDS[case.outcome or "settled"]
        )
    if amount is not None and outcome != "upheld":
        message = N_("an amount is given only with the outcome upheld")
        raise Invalid(message, field_error("json", "amount", message))
    if amount is not None:
        case.adjustment_id = _pay(user, case, amount)
    _close(case, outcome, amount, reason, user)
    return case


def _pay(user: User, case: Case, amount: Decimal) -> int:
    booking = db.session.get(Booking, case.booking_id, with_for_update=True)
    assert booking is not None
    data = {"case_id": case.id, "decided_by": "official"}
    if case.kind == "unapproved_timesheet":
        if booking.status != "checked_out":
            raise StateConflict(
                "the booking is now %(status)s: its hours are no longer waiting for approval",
                status=STATE_WORDS[booking.status],
            )
        earning = pay.complete(booking, pay.default_hours(booking), user, None, data, amount=amount)
        return earning.id
    original = booking.earning
    assert original is not None  # a dispute or wage arrears is about an approved booking
    hours = Decimal("0.00")
    dispute = db.session.get(Dispute, case.dispute_id) if case.dispute_id else None
    if dispute is not None and dispute.kind == "hours" and dispute.claimed_hours is not None:
        recorded, _ = earnings.booked_totals(booking.id)
        hours = max(dispute.claimed_hours - recorded, Decimal("0.00"))
    adjustment = earnings.record_adjustment(
        original, hours, amount, city=case.city, actor=user, audit_data=data
    )
    return adjustment.id


def _close(
    case: Case, outcome: str, amount: Decimal | None, reason: str, user: User | None
) -> None:
    case.status = "resolved"
    case.outcome = outcome
    case.amount = amount
    case.reason = reason
    case.resolved_at = clock.now()
    case.resolved_by = user.id if user else None
    if case.dispute_id is not None:
        dispute = db.session.get(Dispute, case.dispute_id)
        assert dispute is not None
        dispute.status = "resolved"
    db.session.flush()
    audit.record(
        "case.resolved",
        "case",
        case.id,
        {
            "outcome": outcome,
            "amount": None if amount is None else str(amount),
            "adjustment_id": case.adjustment_id,
            "reason": reason,
        },
        actor_id=user.id if user else None,
        city=case.city,
    )
    booking = db.session.get(Booking, case.booking_id)
    assert booking is not None
    money = f"，认定应补发 {amount} 元" if amount is not None else ""
    message = (
        f"案件 {case.id}（{KIND_NAMES[case.kind]}，{tell.shift_text(booking)}）已办结："
        f"{OUTCOME_NAMES[outcome]}{money}。理由：{reason}"
    )
    parties.tell_worker(case, "case_resolved", message)
    parties.tell_employer_side(case, "case_resolved", message)


@events.subscribe(events.ALERTS_RESOLVED)
def settle_alert_cases(alerts: list[Alert], reason: str, **_payload: Any) -> None:
    """The alerts were resolved by what they asked for: their open cases are settled."""
    open_cases = db.session.scalars(
        select(Case).where(Case.alert_id.in_([alert.id for alert in alerts]), Case.status == "open")
    )
    for case in open_cases:
        _close(case, "settled", None, reason, None)


def detail(user: User, case_id: int) -> dict[str, Any]:
    """A case with what its readers need to decide it: the dispute, the booking's attendance
    (check-in and -out times and distances), its earnings and adjustments, and the notes."""
    case = get(user, case_id)
    booking = db.session.get(Booking, case.booking_id)
    assert booking is not None
    return {
        **{column.name: getattr(case, column.name) for column in Case.__table__.columns},
        "dispute": db.session.get(Dispute, case.dispute_id) if case.dispute_id else None,
        "attendance": booking,
        "earnings": list(
            db.session.scalars(
                select(Earning).where(Earning.booking_id == booking.id).order_by(Earning.id)
            )
        ),
        "notes": notes_of(case),
    }
