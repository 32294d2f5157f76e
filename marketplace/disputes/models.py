"""A worker's dispute of an approved booking's hours or pay, and the complaint cases the city's
officials decide: escalated disputes and unpaid-wage alerts, with the parties' notes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import Money, ScaledDecimal, UTCDateTime
from marketplace.extensions import Model

DISPUTE_KINDS = ("hours", "pay", "other")
DISPUTE_STATES = ("open", "resolved", "escalated")
CASE_KINDS = ("dispute", "wage_arrears", "unapproved_timesheet")
OUTCOMES = ("upheld", "dismissed", "settled")


class Dispute(Model):
    """A worker says an approved booking's hours or pay are wrong (within 7 days of approval).

    At most one dispute of a booking is open or with the officials at a time (a partial unique
    index, so two requests at once cannot both open one).
    """

    __tablename__ = "disputes"
    __table_args__ = (
        Index(
            "uq_disputes_booking_live",
            "booking_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'escalated')"),
            postgresql_where=text("status IN ('open', 'escalated')"),
        ),
        Index("ix_disputes_status_answer_by", "status", "answer_by"),
        CheckConstraint("kind IN ('hours', 'pay', 'other')", name="kind_known"),
        CheckConstraint("status IN ('open', 'resolved', 'escalated')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    earning_id: Mapped[int] = mapped_column(ForeignKey("earnings.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    city: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    claimed_hours: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    claimed_amount: Mapped[Decimal | None] = mapped_column(Money())
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer_by: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    response: Mapped[str | None] = mapped_column(Text)
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("earnings.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Case(Model):
    """A complaint case for the officials of the city: an escalated dispute, or an alert of wages
    unpaid (``wage_arrears``) or hours never approved (``unapproved_timesheet``)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_city_status", "city", "status", "opened_at"),
        CheckConstraint(
            "kind IN ('dispute', 'wage_arrears', 'unapproved_timesheet')", name="kind_known"
        ),
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'dismissed', 'settled')",
            name="outcome_known",
        ),
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"), unique=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), unique=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    earning_id: Mapped[int | None] = mapped_column(ForeignKey("earnings.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    reason: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("earnings.id"))


class CaseNote(Model):
    """A note on a case, by the official or one of the two parties, in their words."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
