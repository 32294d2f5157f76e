"""Employers (the delegations that let a broker act for one: ``brokers.models``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime
from marketplace.extensions import Model


class Employer(Model):
    """An employer's profile."""

    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    city: Mapped[str] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An official of the city or an admin checked the credit code against the business
    # registry (who did is in the audit event); a new credit code must be checked again.
    credit_code_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def location(self) -> dict[str, float]:
        """The employer's location as ``{"lat", "lon"}``."""
        return {"lat": self.lat, "lon": self.lon}
