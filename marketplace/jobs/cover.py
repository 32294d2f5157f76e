"""Injury cover (职业伤害保障; 无锡 第八条: 平台企业应为其从业人员参加职业伤害险): the one home of
the rule that says whether a shift's work is covered.

A job may state a cover — the insurer, the policy number and the last day it covers. A shift is
covered when the job states one and its ``valid_to`` is on or after the shift's day in the
job's city. The shift, the search, recommendations and the monthly statistics all ask
``covered``; the search asks it of plain rows, so it takes columns, not models.

Workers who booked keep what they saw when they said yes: once any shift of the job holds a
place, the cover may be renewed or extended but not withdrawn or shortened (``check_change``),
as the wage may only go up.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from marketplace import clock
from marketplace.cities import catalogue
from marketplace.errors import Conflict, Invalid, field_error


@cache
def _timezone(city: str) -> str:
    # Jobs name only known cities; an unknown code reads on the service's default clock.
    found = catalogue.find(city)
    return found.timezone if found else clock.DEFAULT_TIMEZONE


def covered(valid_to: date | None, starts_at: datetime, city: str) -> bool:
    """Whether a cover valid through ``valid_to`` covers a shift starting at ``starts_at``.

    The shift's day is its start's date on the wall clocks of ``city``; no cover, no coverage.
    """
    return valid_to is not None and valid_to >= clock.local_date(starts_at, _timezone(city))


def check_new(cover: dict[str, Any] | None, city: str, location: str = "json") -> None:
    """422 when a cover being stated has already ended (before today in the job's city).

    A cover that ended covers nothing: stating it would only look like cover to a worker.
    """
    if cover is None:
        return
    today = clock.today(_timezone(city))
    if cover["valid_to"] < today:
        raise Invalid(
            "the injury cover ended on %(day)s: state a cover still valid, or none",
            field_error(
                location,
                "injury_cover",
                "valid_to %(day)s is before today (%(today)s)",
                day=cover["valid_to"].isoformat(),
                today=today.isoformat(),
            ),
            day=cover["valid_to"].isoformat(),
        )


def check_change(
    before: dict[str, Any] | None, after: dict[str, Any] | None, has_bookings: bool
) -> None:
    """409 when the change would take cover from workers who booked: withdrawing the cover, or
    moving its last day earlier, once any shift of the job holds a place."""
    if not has_bookings or before is None:
        return
    if after is None:
        raise Conflict(
            "workers have already booked: the injury cover may be renewed, not withdrawn"
        )
    if after["valid_to"] < before["valid_to"]:
        raise Conflict(
            "workers have already booked: the injury cover may not end earlier than %(valid_to)s",
            valid_to=before["valid_to"].isoformat(),
        )


def columns(cover: dict[str, Any] | None) -> dict[str, Any]:
    """The job's columns that hold ``cover`` (all None when there is none)."""
    if cover is None:
        return {"injury_insurer": None, "injury_policy_number": None, "injury_valid_to": None}
    return {
        "injury_insurer": cover["insurer"],
        "injury_policy_number": cover["policy_number"],
        "injury_valid_to": cover["valid_to"],
    }
