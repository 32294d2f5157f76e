"""Earnings (from bookings or imported), premiums and training records, by worker and month;
alerts about unpaid earnings (wage arrears).

Months are stored as ``YYYY-MM`` text in the city's time: sortable, the same on every database,
and exactly the unit the subsidy rules count in.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import Money, ScaledDecimal, UTCDateTime
from marketplace.extensions import Model

PLATFORM_SOURCE = "platform"  # earnings from bookings on this platform
# The difference a dispute or a case found owed on a booking's earning: a new earning of the
# same booking (its ``adjusts`` names the one corrected); the original is never changed.
ADJUSTMENT_SOURCE = "adjustment"
RESERVED_SOURCES = (PLATFORM_SOURCE, ADJUSTMENT_SOURCE)


class Earning(Model):
    """Income a worker earned: one per completed booking (and its adjustments), or one imported
    record per month.

    Imported income is keyed by (source, worker, month): re-sending a record replaces it. A
    booking has one earning of its own (``adjusts`` empty) and any number of adjustments.
    """

    __tablename__ = "earnings"
    __table_args__ = (
        Index("ix_earnings_worker_month", "worker_id", "month"),
        Index("ix_earnings_month", "month"),
        Index(
            "uq_earnings_imported_key",
            "source",
            "worker_id",
            "month",
            unique=True,
            sqlite_where=text("booking_id IS NULL"),
            postgresql_where=text("booking_id IS NULL"),
        ),
        Index(
            "uq_earnings_booking_own",
            "booking_id",
            unique=True,
            sqlite_where=text("adjusts IS NULL"),
            postgresql_where=text("adjusts IS NULL"),
        ),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    source: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    hours: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    amount: Mapped[Decimal] = mapped_column(Money())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    adjusts: Mapped[int | None] = mapped_column(ForeignKey("earnings.id"), index=True)


class Contribution(Model):
    """Social-insurance premiums a worker paid for a month as a flexible worker."""

    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint("worker_id", "month"),
        CheckConstraint("pension >= 0 AND medical >= 0", name="premiums_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    month: Mapped[str] = mapped_column(String(7))
    pension: Mapped[Decimal] = mapped_column(Money())
    medical: Mapped[Decimal] = mapped_column(Money())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TrainingRecord(Model):
    """Online vocational training the platform organised for a worker."""

    __tablename__ = "training_records"
    __table_args__ = (
        UniqueConstraint("worker_id", "course", "completed_on"),
        CheckConstraint("class_hours > 0", name="hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    course: Mapped[str] = mapped_column(String(100))
    class_hours: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    completed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Alert(Model):
    """Something officials and the parties must look at: wages unpaid (西宁 第十六条) or hours
    never approved. Each is a case of the officials (``disputes.cases``)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("type", "earning_id"),
        # Hours never approved: one alert per booking (it has no earning yet).
        Index(
            "uq_alerts_timesheet_booking",
            "booking_id",
            unique=True,
            sqlite_where=text("type = 'unapproved_timesheet'"),
            postgresql_where=text("type = 'unapproved_timesheet'"),
        ),
        Index("ix_alerts_city_created", "city", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    earning_id: Mapped[int | None] = mapped_column(ForeignKey("earnings.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"), index=True)
    city: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
