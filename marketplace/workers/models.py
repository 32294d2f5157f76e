"""Worker profiles, their skills, and the history of their group dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace import clock
from marketplace.database import ScaledDecimal, Sealed, UTCDateTime
from marketplace.extensions import Model
from marketplace.workers.availability import ALL_DAY, MASK_COLUMNS, masks

# Reach buckets: a worker's max_distance_km rounded up to one of these (km).
REACH_BUCKETS_KM = (2, 5, 10, 20, 50, 100)

# The groups of POLICIES.md, each a date on the profile.
GROUP_DATE_FIELDS = ("unemployment_registered_on", "difficulty_certified_on", "graduated_on")
GROUP_FLAG_FIELDS = ("veteran", "migrant_worker")


class Worker(Model):
    """A worker's profile. The resident ID number is stored only encrypted."""

    __tablename__ = "workers"
    __table_args__ = (
        CheckConstraint("gender IN ('male', 'female')", name="gender_known"),
        CheckConstraint("max_distance_km >= 0.5 AND max_distance_km <= 100", name="reach"),
        Index("ix_workers_city_cell", "city", "cell"),
        # Matching's pre-filter: the workers whose reach bucket covers a point.
        Index("ix_workers_city_reach_cell", "city", "reach_bucket", "cell"),
        # Matching's index asks which workers of a city changed since it last looked.
        Index("ix_workers_city_change_stamp", "city", "change_stamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    # Sealed: a copy of the database does not show who the worker is. Deferred: the booking path
    # loads the worker for its rules, which never read the name.
    name: Mapped[str] = mapped_column(Sealed(), deferred=True)
    # AES-GCM ciphertext; a keyed HMAC for the uniqueness look-up; what readers see of it (the
    # first 4 and last 2 characters) and the birth year. Nothing stored in clear, alone or put
    # together, narrows the number to fewer than 10,000: the holder's own 6 + 4 mask and birth
    # date are read from the ciphertext.
    id_number_ciphertext: Mapped[str] = mapped_column(Text)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    birth_year: Mapped[int] = mapped_column()
    gender: Mapped[str] = mapped_column(String(6))
    city: Mapped[str] = mapped_column(String(32))
    resident: Mapped[bool] = mapped_column(Boolean)
    district: Mapped[str | None] = mapped_column(String(32))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    cell: Mapped[int] = mapped_column()
    unemployment_registered_on: Mapped[date | None] = mapped_column(Date)
    difficulty_certified_on: Mapped[date | None] = mapped_column(Date)
    graduated_on: Mapped[date | None] = mapped_column(Date)
    # The end of each group's status as held (an official ended it): the group counts through
    # the month of this day. Matching and the statistics read these beside the start dates.
    unemployed_ends_on: Mapped[date | None] = mapped_column(Date)
    difficulty_ends_on: Mapped[date | None] = mapped_column(Date)
    graduate_ends_on: Mapped[date | None] = mapped_column(Date)
    veteran: Mapped[bool] = mapped_column(Boolean, default=False)
    migrant_worker: Mapped[bool] = mapped_column(Boolean, default=False)
    availability: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    max_distance_km: Mapped[float] = mapped_column(Float, default=20.0)
    # Derived for matching's pre-filters (see marketplace/matching/): the smallest of
    # REACH_BUCKETS_KM covering max_distance_km, and per weekday the half hours a window touches.
    reach_bucket: Mapped[int] = mapped_column(default=20)
    available_0: Mapped[int] = mapped_column(BigInteger, default=ALL_DAY)
    available_1: Mapped[int] = mapped_column(BigInteger, default=ALL_DAY)
    available_2: Mapped[int] = mapped_column(BigInteger, default=ALL_DAY)
    available_3: Mapped[int] = mapped_column(BigInteger, default=ALL_DAY)
    available_4: Mapped[int] = mapped_column(BigInteger, default=ALL_DAY)
    available_5: Mapped[int] = mapped_column(BigInteger, default=ALL_DAY)
    available_6: Mapped[int] = mapped_column(BigInteger, default=ALL_DAY)
    # Derived from ratings and bookings by the bookings domain; never set by clients.
    rating: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    reliability: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Stamped by every write of the row, whoever writes it: matching's in-process index reloads
    # the workers whose stamp moved, so a change that left it behind would go unseen.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=lambda: clock.now(), onupdate=lambda: clock.now()
    )
    # Set by the database on every insert and update of the row (triggers of migration 0034),
    # so that no writer — the ORM, a bulk statement, a seed, an import — can leave it behind:
    # PostgreSQL's id of the writing transaction, SQLite's count of changes. Matching's index
    # asks for the workers whose stamp is at or past its horizon (marketplace/matching/index.py).
    # Never set here; after a write the ORM forgets its value (FetchedValue) and reads it anew.
    change_stamp: Mapped[int] = mapped_column(
        BigInteger, server_default="0", server_onupdate=FetchedValue(), deferred=True
    )
    # The account was closed: never a candidate again; the name and home are erased.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    skill_rows: Mapped[list[WorkerSkill]] = relationship(
        cascade="all, delete-orphan", order_by="WorkerSkill.skill", lazy="selectin"
    )

    @property
    def skills(self) -> list[str]:
        """The worker's skill tags."""
        return [row.skill for row in self.skill_rows]

    def set_matching_keys(self) -> None:
        """Derive the reach bucket and availability masks from the profile."""
        self.reach_bucket = reach_bucket(self.max_distance_km)
        for column, mask in zip(MASK_COLUMNS, masks(self.availability), strict=True):
            setattr(self, column, mask)

    @property
    def location(self) -> dict[str, float]:
        """The home base as ``{"lat", "lon"}``."""
        return {"lat": self.lat, "lon": self.lon}

    @property
    def id_number(self) -> str:
        """The ID number as every reader but its holder sees it: the first 4 and last 2."""
        return self.id_number_masked


class WorkerChangeCounter(Model):
    """SQLite's source of workers' change stamps: one row counting the writes of workers.

    Written only by the triggers of migration 0034 (SQLite has one writer at a time, so a
    counter orders every change exactly); PostgreSQL stamps with transaction ids and leaves it.
    """

    __tablename__ = "worker_change_counter"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class WorkerSkill(Model):
    """One skill tag of a worker (a table, so that skill filters use an index)."""

    __tablename__ = "worker_skills"
    __table_args__ = (Index("ix_worker_skills_skill", "skill", "worker_id"),)

    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)


class WorkerGroupChange(Model):
    """One change of a group date or flag, and when it was entered.

    Group dates are dated facts: the subsidy rules read the profile's current value, and the
    officials' risk signals read when it was entered (a date entered after the income it unlocks).
    """

    __tablename__ = "worker_group_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(20))
    new_value: Mapped[str | None] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


@event.listens_for(Session, "before_flush")
def _stamp_changed_workers(session: Session, _context: Any, _instances: Any) -> None:
    # A change of a worker's skills alone writes no row of ``workers`` (its onupdate stays
    # silent): stamp every worker the flush changes, collections included.
    for worker in session.dirty:
        if isinstance(worker, Worker) and session.is_modified(worker):
            worker.updated_at = clock.now()


def reach_bucket(max_distance_km: float) -> int:
    """The smallest reach bucket covering ``max_distance_km``."""
    return next(bound for bound in REACH_BUCKETS_KM if max_distance_km <= bound)


# The group statuses of contract v1.1, by the profile date that declares each.
GROUP_OF_FIELD = {
    "unemployment_registered_on": "unemployed",
    "difficulty_certified_on": "difficulty",
    "graduated_on": "graduate",
}
GROUPS = tuple(GROUP_OF_FIELD.values())
STATUS_STATES = ("declared", "verified", "rejected")


class GroupStatus(Model):
    """A worker's group (失业登记, 就业困难认定, 毕业离校) as a period with an official's check.

    Declared by the worker (the profile's date), verified (perhaps with corrected dates),
    rejected or ended by an official of the worker's city. It holds from its start month through
    its end month; a rejected status never holds. One per worker and group.
    """

    __tablename__ = "group_statuses"
    __table_args__ = (
        UniqueConstraint("worker_id", "group_name"),
        CheckConstraint(
            "group_name IN ('unemployed', 'difficulty', 'graduate')", name="group_known"
        ),
        CheckConstraint("status IN ('declared', 'verified', 'rejected')", name="status_known"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        Index("ix_group_statuses_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    # "group" is an SQL keyword: the column is group_name, the attribute (and the API) group.
    group: Mapped[str] = mapped_column("group_name", String(16))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(64))  # e.g. the 《就业创业证》 number
    status: Mapped[str] = mapped_column(String(16), default="declared")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def holds(self) -> bool:
        """Whether the status counts at all (a rejected one never does)."""
        return self.status != "rejected"


EMPLOYMENT_FORMS = ("flexible", "employed", "self_employed")


class EmploymentRegistration(Model):
    """An employment registration by commitment (就业登记承诺制, 无锡 第十条; 西宁 第十八条).

    Registered at once on the worker's commitment that it is true, checked later: an official of
    the worker's city may revoke it. The worker ends it when the work ends.
    """

    __tablename__ = "employment_registrations"
    __table_args__ = (
        CheckConstraint("form IN ('flexible', 'employed', 'self_employed')", name="form_known"),
        CheckConstraint("status IN ('registered', 'revoked')", name="status_known"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        CheckConstraint(
            "(form = 'employed') = (employer_id IS NOT NULL)", name="employer_iff_employed"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    form: Mapped[str] = mapped_column(String(16))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
