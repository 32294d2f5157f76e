"""The city catalogue, read once from ``cities.toml``.

Minimum wages are dated parameters: each value holds from its date until the next one. The
file's rows are the catalogue's own; rows an admin adds later live in the database, and
``cities.wages`` reads both — a ``City`` from ``find`` knows the file's rows only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from marketplace import clock

CATALOGUE_FILE = Path(__file__).with_name("cities.toml")


@dataclass(frozen=True)
class MinimumWage:
    """A minimum wage and the date from which it holds."""

    effective_from: date
    monthly: Decimal
    hourly: Decimal
    source: str


@dataclass(frozen=True)
class JobReview:
    """The city's rules that hold a job post for review (cities.toml ``job_review``)."""

    fee_words: tuple[str, ...]
    wage_multiple: Decimal
    wage_days: int
    wage_min_jobs: int
    reports_to_hold: int


@dataclass(frozen=True)
class City:
    """A city of the platform."""

    code: str
    name: str
    timezone: str
    districts: tuple[str, ...]
    # The file's rows, sorted by date; ``cities.wages.minimum_wages`` adds those admins added.
    minimum_wages: tuple[MinimumWage, ...]
    bounds: dict[str, float]
    center: dict[str, float]
    # Whether the city's document counts 新增就业 (无锡 第四条); where not, the figure is null.
    counts_new_urban_employment: bool = False
    job_review: JobReview | None = None

    def today(self) -> date:
        """Today's date in the city."""
        return clock.today(self.timezone)


def wage_on(wages: Sequence[MinimumWage], day: date) -> MinimumWage | None:
    """The minimum wage of ``wages`` (sorted by date) in force on ``day``; None before the first."""
    in_force = None
    for wage in wages:
        if wage.effective_from <= day:
            in_force = wage
    return in_force


def _parse(code: str, raw: dict) -> City:
    wages = sorted(
        (
            MinimumWage(
                effective_from=row["from"],
                monthly=Decimal(row["monthly"]),
                hourly=Decimal(row["hourly"]),
                source=row["source"],
            )
            for row in raw["minimum_wage"]
        ),
        key=lambda wage: wage.effective_from,
    )
    return City(
        code=code,
        name=raw["name"],
        timezone=raw["timezone"],
        districts=tuple(raw["districts"]),
        minimum_wages=tuple(wages),
        bounds=dict(raw["bounds"]),
        center=dict(raw["center"]),
        counts_new_urban_employment=bool(raw.get("counts_new_urban_employment", False)),
        job_review=_job_review(raw["job_review"]) if "job_review" in raw else None,
    )


def _job_review(raw: dict) -> JobReview:
    return JobReview(
        fee_words=tuple(raw["fee_words"]),
        wage_multiple=Decimal(raw["wage_multiple"]),
        wage_days=int(raw["wage_days"]),
        wage_min_jobs=int(raw["wage_min_jobs"]),
        reports_to_hold=int(raw["reports_to_hold"]),
    )


@cache
def all_cities() -> tuple[City, ...]:
    """Every city, in the order of the data file."""
    with CATALOGUE_FILE.open("rb") as handle:
        raw = tomllib.load(handle)
    return tuple(_parse(code, entry) for code, entry in raw.items())


def find(code: str) -> City | None:
    """The city with ``code``, or None."""
    return next((city for city in all_cities() if city.code == code), None)


def today_in(code: str) -> date:
    """Today in the city's time zone (the service's default zone for a code it does not know)."""
    place = find(code)
    return place.today() if place else clock.today()


def wall_clock(instant: datetime, code: str) -> str:
    """An instant as people in the city read it in a message: ``12月06日 09:00``, local time."""
    found = find(code)
    zone = ZoneInfo(found.timezone if found else clock.DEFAULT_TIMEZONE)
    return instant.astimezone(zone).strftime("%m月%d日 %H:%M")


def codes() -> tuple[str, ...]:
    """The codes of every city."""
    return tuple(city.code for city in all_cities())
