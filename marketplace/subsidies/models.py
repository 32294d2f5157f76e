"""Subsidy flags, and the versions of the policies they are raised under.

A flag is what an official audits: one per worker, programme, policy and ``key`` (the thing the
flag is for — see ``facts.FlagProposal``). The unique constraint on those four columns is what
makes an evaluation idempotent, whoever runs it and however often.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import Money, UTCDateTime
from marketplace.extensions import Model

FLAG_STATUSES = ("pending", "approved", "rejected")


class SubsidyFlag(Model):
    """A subsidy the rules say is due: pending until an official of the city decides it."""

    __tablename__ = "subsidy_flags"
    __table_args__ = (
        UniqueConstraint("worker_id", "program", "policy_id", "key"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        # Only an approved flag is paid out, once, with the voucher of the payment.
        CheckConstraint(
            "disbursed_on IS NULL OR (status = 'approved' AND voucher IS NOT NULL)",
            name="disbursed_when_approved",
        ),
        Index("ix_subsidy_flags_city_status", "city", "status"),
        Index("ix_subsidy_flags_policy_program", "policy_id", "program"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    # The worker's city when the flag was raised: whose officials audit it.
    city: Mapped[str] = mapped_column(String(32))
    policy_id: Mapped[str] = mapped_column(String(64))
    program: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    beneficiary: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Money())
    period_start: Mapped[str | None] = mapped_column(String(7))
    period_end: Mapped[str | None] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    explanation: Mapped[list[str]] = mapped_column(JSON)
    risk_signals: Mapped[list[str]] = mapped_column(JSON)
    # SHA-256 of everything an evaluation writes, so a re-run compares one column, not the JSON.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The ``as_of`` of the evaluation that last wrote the flag's content.
    evaluated_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The payment of an approved flag: the day it was paid, its voucher (凭证号), who recorded it.
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    voucher: Mapped[str | None] = mapped_column(String(64))
    disbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disbursed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The version of the policy whose proposal the flag holds (written with its content; a
    # decided flag keeps the version it was decided under).
    policy_version: Mapped[int] = mapped_column(Integer, server_default="1")


class PolicyVersion(Model):
    """A version of a policy file: its exact text, and where it stands (API.md "Living policies").

    An admin uploads a ``draft``; an official of the city publishes it, and the version it replaces
    becomes ``superseded``. Only the ``published`` version of a policy raises flags — one at a time,
    which the partial unique index holds. The files in the code are version 1, published. A
    version's text never changes: ``sha256`` is the hash of its bytes, named by its audit events.
    """

    __tablename__ = "subsidy_policy_versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "version"),
        CheckConstraint("status IN ('draft', 'published', 'superseded')", name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index(
            "uq_subsidy_policy_versions_one_published",
            "policy_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    city: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    # The file's text as uploaded (UTF-8): served back byte for byte.
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the code's file
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
