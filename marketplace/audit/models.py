"""Audit events and signed checkpoints: one column per field of the API, so SQL alone can check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Identity, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime
from marketplace.extensions import Model


class _EventContent:
    """What an event says: the same columns in the outbox and, chained, in the log."""

    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    # The city whose officials may read the event (None: platform-wide, admins only).
    city: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEvent(_EventContent, Model):
    """One event of the chain: its hash is an HMAC of its content and the previous event's hash."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity", "entity_id"),
        Index("ix_audit_events_city_seq", "city", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The public id of the HMAC key the hash was made under (keys.chain_key_id).
    key_id: Mapped[str] = mapped_column(String(16))


class AuditOutboxEntry(_EventContent, Model):
    """An event written with its change, waiting for the sequencer to give it its place.

    Writers only insert here (no lock, no read of the chain's tail); the sequencer moves what it
    finds committed into ``audit_events``, in the order of ``id``, and deletes it from here in the
    same transaction (services.sequence).
    """

    __tablename__ = "audit_outbox"

    # Ordering only: the chain's seq is given by the sequencer. SQLite numbers rows itself only
    # for an INTEGER primary key.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True
    )


class AuditCheckpoint(Model):
    """A signed statement that event ``seq`` of the chain had ``hash`` at ``at``.

    No foreign key to the events on purpose: a checkpoint must outlive the events it covers, so
    that their deletion shows.
    """

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Ed25519 over the canonical JSON of {"seq", "hash", "at"}, base64 (88 characters).
    signature: Mapped[str] = mapped_column(String(88))
    # The public id of the signing key (keys.signing_key_id).
    key_id: Mapped[str] = mapped_column(String(16))
