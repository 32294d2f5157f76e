"""Minimum wages an admin added to a city's catalogue (``POST /cities/{code}/minimum-wages``).

The catalogue file (``cities.toml``) holds the rows known when the code was written; a new row
is data, never a code release, so it is stored here. Each row holds from its date until the next
one of the city, whichever of the two places holds it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import Money, UTCDateTime
from marketplace.extensions import Model


class AddedMinimumWage(Model):
    """A minimum wage of a city from a date, added by an admin; never changed afterwards."""

    __tablename__ = "minimum_wages"
    __table_args__ = (
        # One value a day: a second row of the same date would make "the wage in force" ambiguous.
        UniqueConstraint("city", "effective_from"),
        CheckConstraint("monthly > 0 AND hourly > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(32))
    effective_from: Mapped[date] = mapped_column(Date)
    monthly: Mapped[Decimal] = mapped_column(Money())
    hourly: Mapped[Decimal] = mapped_column(Money())
    # The notice that set it (苏人社规〔2025〕3号): where an official checks the number.
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
