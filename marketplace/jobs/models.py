"""Jobs (what, where, how paid) and their shifts (when, how many)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.database import Money, UTCDateTime
from marketplace.extensions import Model
from marketplace.jobs.cover import covered

# 无锡 article 七: the forms of flexible employment a platform may broker.
EMPLOYMENT_TYPES = ("part_time", "full_time", "dispatch", "outsourcing")


REVIEW_STATES = ("published", "held", "rejected")
AUDIENCES = ("public", "invited")
REPORT_REASONS = ("fee", "fake", "wage", "unsafe", "other")


class Job(Model):
    """A job an employer posts (itself or through a delegated broker)."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "employment_type IN ('part_time', 'full_time', 'dispatch', 'outsourcing')",
            name="employment_type_known",
        ),
        CheckConstraint("hourly_wage > 0", name="wage_positive"),
        CheckConstraint("audience IN ('public', 'invited')", name="audience_known"),
        # Covers the search's spatial pre-filter: the cell ranges and the exact coordinates.
        Index("ix_jobs_cell", "cell", "lat", "lon"),
        Index("ix_jobs_city_category", "city", "category"),
        Index("ix_jobs_employer_id", "employer_id"),
        Index("ix_jobs_city_review_status", "city", "review_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    posted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("brokers.id"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(50))
    employment_type: Mapped[str] = mapped_column(String(16))
    hourly_wage: Mapped[Decimal] = mapped_column(Money())
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    city: Mapped[str] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    cell: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The review of the post (REVIEW_STATES): held by a rule until an official publishes or
    # rejects it; each hold's reasons as "<rule>: <说明>".
    review_status: Mapped[str] = mapped_column(String(16), default="published")
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)
    # The job's 职业伤害保障 (无锡 第八条) as its employer states it: the insurer, the policy and
    # the last day it covers (a day of the city). All three or none (``injury_cover``).
    injury_insurer: Mapped[str | None] = mapped_column(String(100))
    injury_policy_number: Mapped[str | None] = mapped_column(String(64))
    injury_valid_to: Mapped[date | None] = mapped_column(Date)
    # Who may see and book its shifts (AUDIENCES): everyone, or only the workers invited.
    audience: Mapped[str] = mapped_column(String(8), default="public", server_default="public")
    # The series rule the job was posted with (``jobs.series``), as given, or NULL: its shifts
    # were made once, at posting; the rule stays so that the employer and officials can see
    # what the post asked for.
    repeat: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    shifts: Mapped[list[Shift]] = relationship(
        back_populates="job", order_by="Shift.starts_at, Shift.id", lazy="selectin"
    )
    skill_rows: Mapped[list[JobSkill]] = relationship(
        cascade="all, delete-orphan", order_by="JobSkill.skill", lazy="selectin"
    )

    @property
    def required_skills(self) -> list[str]:
        """The skills every worker of this job must have."""
        return [row.skill for row in self.skill_rows]

    @property
    def location(self) -> dict[str, float]:
        """Where the work is, as ``{"lat", "lon"}``."""
        return {"lat": self.lat, "lon": self.lon}

    @property
    def injury_cover(self) -> dict[str, Any] | None:
        """The stated injury cover as ``{"insurer", "policy_number", "valid_to"}``, or None."""
        if self.injury_valid_to is None:
            return None
        return {
            "insurer": self.injury_insurer,
            "policy_number": self.injury_policy_number,
            "valid_to": self.injury_valid_to,
        }


class JobReport(Model):
    """A worker's report of a job post (one per worker and job)."""

    __tablename__ = "job_reports"
    __table_args__ = (
        UniqueConstraint("job_id", "worker_id"),
        CheckConstraint(
            "reason IN ('fee', 'fake', 'wage', 'unsafe', 'other')", name="reason_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobInvitation(Model):
    """A worker invited to an invited-only job: it sees, is recommended and may book its shifts."""

    __tablename__ = "job_invitations"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class JobSkill(Model):
    """One required skill of a job (a table, so that the skill filter uses an index)."""

    __tablename__ = "job_skills"
    __table_args__ = (Index("ix_job_skills_skill", "skill", "job_id"),)

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)


def shift_status(
    cancelled_at: datetime | None,
    ends_at: datetime,
    booked: int,
    headcount: int,
    now: datetime | None = None,
) -> str:
    """A shift's status from its columns: open, full, cancelled or finished."""
    if cancelled_at is not None:
        return "cancelled"
    if ends_at <= (now or clock.now()):
        return "finished"
    if booked >= headcount:
        return "full"
    return "open"


class Shift(Model):
    """One dated slot of a job with ``headcount`` places; ``booked`` counts the places held.

    The database holds ``0 <= booked <= headcount``: capacity is never a Python read-then-write.
    """

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("headcount BETWEEN 1 AND 500", name="headcount_range"),
        CheckConstraint("booked >= 0 AND booked <= headcount", name="booked_within_headcount"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_shifts_starts_at", "starts_at"),
        # Covers the search's per-job look-up of open shifts without reading the rows.
        Index("ix_shifts_job_open", "job_id", "starts_at", "booked", "headcount", "cancelled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    headcount: Mapped[int] = mapped_column()
    booked: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    job: Mapped[Job] = relationship(back_populates="shifts")

    @property
    def status(self) -> str:
        """open, full, cancelled or finished — derived, so it can never go stale."""
        return shift_status(self.cancelled_at, self.ends_at, self.booked, self.headcount)

    @property
    def injury_covered(self) -> bool:
        """Whether the job's stated injury cover still holds on the shift's day (city time)."""
        return covered(self.job.injury_valid_to, self.starts_at, self.job.city)

    @property
    def hours(self) -> Decimal:
        """The shift's length in hours."""
        return Decimal((self.ends_at - self.starts_at).total_seconds()) / Decimal(3600)
