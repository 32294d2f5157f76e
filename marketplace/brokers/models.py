"""Labour brokers (劳务经纪人) and the delegations that let one act for an employer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime
from marketplace.extensions import Model


class Broker(Model):
    """A labour broker's profile; it acts for the employers that delegated to it."""

    __tablename__ = "brokers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(32))
    licence_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delegation(Model):
    """An employer lets a broker act for it, until it revokes the delegation."""

    __tablename__ = "delegations"
    __table_args__ = (
        # At most one live delegation per pair; revoked ones stay as history.
        Index(
            "uq_delegations_live_pair",
            "employer_id",
            "broker_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_delegations_broker_id", "broker_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    broker_id: Mapped[int] = mapped_column(ForeignKey("brokers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
