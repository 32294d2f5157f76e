"""Accounts, access tokens and the record of login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from marketplace.common.guards import ROLES, SELF_REGISTERED_ROLES
from marketplace.database import Sealed, UTCDateTime, personal_digest
from marketplace.extensions import Model

__all__ = ["ROLES", "SELF_REGISTERED_ROLES", "AccessToken", "LoginFailure", "User"]


class User(Model):
    """A person who logs in; officials belong to one city."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('worker', 'employer', 'broker', 'official', 'admin')", name="role_known"
        ),
        CheckConstraint("(role = 'official') = (city IS NOT NULL)", name="city_iff_official"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sealed: a copy of the database shows no phone number; accounts are found by its keyed
    # digest. Deferred: authenticating a request loads the user but never reads the phone.
    # A closed account has none: signing in ends, and the number may open a new account.
    phone: Mapped[str | None] = mapped_column(Sealed(), deferred=True)
    phone_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The account was closed by its owner (个人信息保护法 第四十七条): personal fields erased, the
    # records the law or the subsidy audit must keep still linked to it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @validates("phone")
    def _keep_digest(self, _key: str, phone: str | None) -> str | None:
        # The digest follows the phone wherever it is set, so no writer can forget it.
        self.phone_digest = None if phone is None else personal_digest("phone", phone)
        return phone


class AccessToken(Model):
    """A bearer token; only its SHA-256 is stored, so a database dump grants no access."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginFailure(Model):
    """One failed sign-in for a phone number from a client address, kept to throttle guessing.

    The throttle counts an address's failures in the window, and among them the phone's, in one
    index-only scan of ``ix_login_failures_address_at_phone``.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_address_at_phone", "address", "at", "phone_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The phone's keyed digest (the phone itself is not kept here either).
    phone_digest: Mapped[str] = mapped_column(String(64))
    # Normalised by auth.addresses: an IPv4 address or an IPv6 /64.
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
