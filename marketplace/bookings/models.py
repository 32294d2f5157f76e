"""Bookings, ratings and booking attempts."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.database import ScaledDecimal, Sealed, UTCDateTime
from marketplace.errors import N_
from marketplace.extensions import Model

STATUSES = (
    "offered",
    "pending",
    "confirmed",
    "checked_in",
    "checked_out",
    "completed",
    "rejected",
    "cancelled",
    "no_show",
    "declined",
    "expired",
)
# How people read each status (the desk, notifications).
STATUS_NAMES = {
    "offered": "待确认邀约",
    "pending": "待录用",
    "confirmed": "已确认",
    "checked_in": "已签到",
    "checked_out": "已签退",
    "completed": "已完成",
    "rejected": "未录用",
    "cancelled": "已取消",
    "no_show": "缺勤",
    "declined": "已拒绝邀约",
    "expired": "邀约已过期",
}
# Each status in words, as the API's messages name it (msgids of the catalogue; their Chinese
# is STATUS_NAMES', a test holds the two equal).
STATE_WORDS = {
    "offered": N_("an offer waiting for the worker"),
    "pending": N_("waiting for the employer"),
    "confirmed": N_("confirmed"),
    "checked_in": N_("checked in"),
    "checked_out": N_("checked out"),
    "completed": N_("completed"),
    "rejected": N_("not taken on"),
    "cancelled": N_("cancelled"),
    "no_show": N_("a no-show"),
    "declined": N_("declined"),
    "expired": N_("a lapsed offer"),
}
# A worker has at most one live booking per shift.
CHECKOUT_SOURCES = ("worker", "auto", "employer")
LIVE_STATUSES = ("offered", "pending", "confirmed", "checked_in", "checked_out")
# Bookings that block a new one overlapping them (checked-out work is over). An offer blocks
# nothing: the worker has not said yes, and may book other work until accepting it.
OVERLAP_BLOCKING_STATUSES = ("pending", "confirmed", "checked_in")
# Bookings whose hours count towards the part-time weekly limit (an offer's too: it holds the
# place and its hours until the worker answers).
HOURS_COUNTED_STATUSES = (*LIVE_STATUSES, "completed")
# The states that hold one of the shift's places (counted by ``shifts.booked``).
PLACE_HOLDING_STATUSES = ("offered", "confirmed", "checked_in", "checked_out", "completed")


def _in(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


_LIVE_SQL = _in(LIVE_STATUSES)


class Booking(Model):
    """A worker's place on a shift and everything that happened to it."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(_in(STATUSES), name="status_known"),
        Index(
            "uq_bookings_live_worker_shift",
            "shift_id",
            "worker_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        # The shift's times are copied here (they never change) for the overlap look-up.
        Index("ix_bookings_worker_time", "worker_id", "starts_at", "ends_at"),
        Index("ix_bookings_shift_status", "shift_id", "status"),
        # Matching looks up the bookings overlapping a shift by time.
        Index("ix_bookings_starts_at", "starts_at"),
        Index("ix_bookings_employer_id", "employer_id"),
        # The scheduled job `offers` finds the offers whose time to answer is over.
        Index("ix_bookings_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    status: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Stamped on every UPDATE of the row; a booking inserted and recorded in one request is
    # not written a second time just to restate its creation time.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), onupdate=lambda: clock.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    check_in_lat: Mapped[float | None] = mapped_column(Float)
    check_in_lon: Mapped[float | None] = mapped_column(Float)
    check_in_distance_m: Mapped[float | None] = mapped_column(Float)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    check_out_lat: Mapped[float | None] = mapped_column(Float)
    check_out_lon: Mapped[float | None] = mapped_column(Float)
    check_out_distance_m: Mapped[float | None] = mapped_column(Float)
    # The check-out came too late (or before the check-in) and is recorded at the shift's end.
    checkout_adjusted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who closed the attendance (CHECKOUT_SOURCES): the worker checking out, the scheduled job
    # `attendance` for a worker who forgot (at the shift's end), or the employer's side recording
    # it with a reason (who recorded it is in the audit event booking.attendance_recorded).
    checkout_source: Mapped[str | None] = mapped_column(String(16))
    attendance_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)
    # A worker's cancel less than 12 hours before the start counts against reliability.
    late_cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_hours: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    # An offer (the employer's side chose the worker): who made it, and until when the worker
    # may accept it. Nobody is booked without saying yes.
    offered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shift = relationship("Shift")
    worker = relationship("Worker")
    # The earning an approved booking produced (the earnings domain writes it); its
    # adjustments, if any, are further earnings of the booking that name it in ``adjusts``.
    earning = relationship(
        "Earning",
        primaryjoin="and_(Booking.id == foreign(Earning.booking_id), Earning.adjusts.is_(None))",
        uselist=False,
        viewonly=True,
    )

    @property
    def earning_if_completed(self) -> Any:
        """The booking's earning, looked up only once it can exist (the booking is completed).

        A booking being booked, checked in or out answers without a look-up of its earning.
        Typed loosely: the Earning model belongs to the earnings, which come after bookings.
        """
        return self.earning if self.status == "completed" else None


class Rating(Model):
    """Stars one side of a completed booking gives the other, once."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("booking_id", "direction"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        CheckConstraint(
            "direction IN ('worker_to_employer', 'employer_to_worker')", name="direction_known"
        ),
        Index("ix_ratings_worker_direction", "worker_id", "direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    direction: Mapped[str] = mapped_column(String(24))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    stars: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BookingAttempt(Model):
    """One request of a user to book a shift, kept to rate-limit booking (shift-grabbing bots)."""

    __tablename__ = "booking_attempts"
    __table_args__ = (Index("ix_booking_attempts_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Favourite(Model):
    """A worker an employer wants again (its brokers keep the list too)."""

    __tablename__ = "favourites"

    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Block(Model):
    """A worker an employer will not take again: never booked on, offered or shown its shifts."""

    __tablename__ = "blocks"

    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


# The written agreement of each employment type (无锡 第七条; 劳动合同法): its code (the job's
# employment type) and its name.
AGREEMENT_KINDS = {
    "part_time": "非全日制用工协议",
    "full_time": "劳动合同",
    "dispatch": "劳务派遣协议",
    "outsourcing": "劳务协议",
}


class Agreement(Model):
    """The agreement a worker accepted for a booking: its text, fixed when they said yes.

    The text and the parties name the worker, so both are sealed like the worker's name (a copy
    of the database does not show who worked where); the SHA-256 of the text, in clear here
    and in the audit event ``agreement.accepted``, proves it unchanged. The text carries a
    random agreement number, so that the digest cannot be matched against guessed names.
    """

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('part_time', 'full_time', 'dispatch', 'outsourcing')", name="kind_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Sealed())
    sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The parties as JSON text, sealed (the worker's name is among them).
    parties_sealed: Mapped[str] = mapped_column("parties", Sealed())

    @property
    def title(self) -> str:
        """The agreement's name in Chinese (``AGREEMENT_KINDS``)."""
        return AGREEMENT_KINDS[self.kind]

    @property
    def parties(self) -> dict[str, Any]:
        """Who agreed: the worker, the employer and, for dispatch, the dispatching broker."""
        parties: dict[str, Any] = json.loads(self.parties_sealed)
        return parties


class WaitlistEntry(Model):
    """A worker waiting for a place on a full shift (contract v1.1 "Repeat work").

    Joining is the worker's yes: when a place frees, the first waiting worker who can still take
    it is booked ``confirmed`` at once, in the transaction that freed it. The turn is the order
    of joining (``joined_at``, then ``id`` for the same instant). One entry per worker and shift,
    held by the database.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        UniqueConstraint("shift_id", "worker_id"),
        # A freed place reads the shift's entries in their turn.
        Index("ix_waitlist_entries_shift_turn", "shift_id", "joined_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    # A worker's own waitlists are read by worker.
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
