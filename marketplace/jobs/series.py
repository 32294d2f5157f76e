"""A job's series: the shifts a weekly rule makes (contract v1.1 "Repeat work", **Series**).

A rule ``{"weekdays", "until", "starts", "ends", "headcount"}`` makes one shift on each day of
the job's city whose weekday (0 = Monday … 6 = Sunday, Python's ``weekday()``) it names, from
tomorrow (city time, the contract's clarification of v1.1) through ``until`` inclusive. The
times are wall-clock times of the city: each shift is built as an aware datetime in the city's
zone and kept in UTC, so that a zone with daylight saving time moves the UTC instants, not the
hours on the clock. An ``ends`` not after ``starts`` ends on the next day (a night shift).

Here are the rule's form (its schemas in and out), the shifts it makes and the form the job
keeps; ``jobs.services`` checks the shifts by the rules of every shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.common.inputs import WholePattern
from marketplace.errors import N_

# How far ahead a series may run (see RepeatInSchema.until): a year, a leap day included.
REPEAT_HORIZON_DAYS = 366
_CLOCK_TIME = r"([01]\d|2[0-3]):[0-5]\d"


def _distinct(values: list[Any]) -> None:
    """Each value once: a weekday named twice is a typo, not two shifts a day."""
    if len(set(values)) != len(values):
        raise ma.ValidationError(N_("each weekday may be named only once"))


def _clock_time_field(example: str, description: str) -> fields.String:
    """A wall-clock time ``HH:MM`` of the job's city (00:00 to 23:59)."""
    return fields.String(
        required=True,
        validate=WholePattern(_CLOCK_TIME, error=N_("must be HH:MM")),
        metadata={
            "pattern": f"^{_CLOCK_TIME}$",
            "example": example,
            "description": description,
        },
    )


class _RepeatRule(ma.Schema):
    """The fields a series rule has both ways in (``until`` differs: a date in, its text out)."""

    weekdays = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=6)),
        required=True,
        validate=[validate.Length(min=1, max=7), _distinct],
        metadata={
            "description": "the days of the week with a shift: 0 = Monday … 6 = Sunday "
            "(Python's weekday()), each at most once",
            "example": [0, 2, 4],
        },
    )
    starts = _clock_time_field("09:00", "when each shift starts, wall-clock time of the city")
    ends = _clock_time_field(
        "13:00",
        "when each shift ends, wall-clock time of the city; not after ``starts`` means the "
        "next day (a night shift, 22:00–06:00). The length obeys the shift rules (at most 12 "
        "hours)",
    )
    headcount = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "places of each shift (as a given shift's: 1 to 500)"},
    )


class RepeatInSchema(_RepeatRule):
    """A weekly rule that makes a job's shifts (a series): one shift on each matching day.

    The days are the job's city's calendar days and the times its wall-clock times: each shift
    is stored as its instants, like a given one, and checked by the same rules.
    """

    until = fields.Date(
        required=True,
        metadata={
            "description": "the last day (inclusive, the city's calendar) that may have a "
            "shift; the first is tomorrow. At most 366 days after today in the city (422 "
            "beyond): a year is as far ahead as a post can be checked — a city's minimum wage "
            "is revised and announced only months before it holds, so the wage of later days "
            "would be checked against a rate that may no longer be the law then — and a job "
            "has at most 100 shifts anyway",
            "example": "2027-03-31",
        },
    )


class RepeatSchema(_RepeatRule):
    """A job's series rule as it was given."""

    until = fields.String(metadata={"format": "date", "example": "2027-03-31"})


@dataclass(frozen=True)
class SeriesShift:
    """One shift a rule makes: the city's day it starts on, and its instants in UTC."""

    day: date
    starts_at: datetime
    ends_at: datetime


def clock_time(text: str) -> time:
    """The wall-clock time of an ``HH:MM`` text (the schema has checked its form)."""
    return time.fromisoformat(text)


def first_day(now: datetime, timezone: str) -> date:
    """The first day a series may use: tomorrow on the city's calendar.

    The contract's clarification of v1.1 says "from tomorrow (city time)": a rule never makes a
    shift today, even one whose start is still ahead, so that nobody posts work starting within
    the hour by accident of a weekday list.
    """
    return now.astimezone(ZoneInfo(timezone)).date() + timedelta(days=1)


def _instant(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    # A wall-clock time that the spring-forward gap skips is read with the offset before the
    # change (PEP 495, fold=0): it lands as late on the clock as the gap is long. One that the
    # autumn repeats is its first occurrence. Either way a real instant, kept in UTC.
    return datetime.combine(day, wall_clock, tzinfo=zone).astimezone(UTC)


def shifts_of(rule: dict[str, Any], timezone: str, now: datetime) -> list[SeriesShift]:
    """The shifts ``rule`` makes in ``timezone``, first day first (none when no day matches)."""
    zone = ZoneInfo(timezone)
    weekdays = set(rule["weekdays"])
    starts, ends = clock_time(rule["starts"]), clock_time(rule["ends"])
    # Equal times make a shift of a whole day, which the length rule then refuses.
    overnight = timedelta(days=1 if ends <= starts else 0)
    made = []
    day = first_day(now, timezone)
    while day <= rule["until"]:
        if day.weekday() in weekdays:
            made.append(
                SeriesShift(
                    day=day,
                    starts_at=_instant(day, starts, zone),
                    ends_at=_instant(day + overnight, ends, zone),
                )
            )
        day += timedelta(days=1)
    return made


def stored(rule: dict[str, Any]) -> dict[str, Any]:
    """The rule as the job keeps it (JSON): as given, ``until`` as its ``YYYY-MM-DD`` text."""
    return {**rule, "until": rule["until"].isoformat()}
