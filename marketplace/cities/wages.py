"""A city's minimum wages: the catalogue file's rows and those admins added, as one table.

Every reader of a minimum wage comes here (the job wage check, the cities list, the statistics,
the subsidy rules through their facts), so that a row added through the API holds everywhere
at once, in every process: it is read from the database, one small query a call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import select

from marketplace.cities import catalogue
from marketplace.cities.catalogue import MinimumWage
from marketplace.cities.models import AddedMinimumWage
from marketplace.extensions import db


def _merged(code: str, added: Iterable[AddedMinimumWage]) -> tuple[MinimumWage, ...]:
    place = catalogue.find(code)
    rows = list(place.minimum_wages) if place else []
    rows += [MinimumWage(row.effective_from, row.monthly, row.hourly, row.source) for row in added]
    return tuple(sorted(rows, key=lambda wage: wage.effective_from))


def minimum_wages(code: str) -> tuple[MinimumWage, ...]:
    """Every minimum wage of city ``code``, oldest first: the file's and the added ones."""
    added = db.session.scalars(
        select(AddedMinimumWage)
        .where(AddedMinimumWage.city == code)
        .order_by(AddedMinimumWage.effective_from)
    )
    return _merged(code, added)


def every_city() -> Mapping[str, tuple[MinimumWage, ...]]:
    """Every city's minimum wages, by code, in one query."""
    added: dict[str, list[AddedMinimumWage]] = {code: [] for code in catalogue.codes()}
    for row in db.session.scalars(select(AddedMinimumWage)):
        added.setdefault(row.city, []).append(row)
    return {code: _merged(code, rows) for code, rows in added.items()}


def in_force(code: str, day: date) -> MinimumWage | None:
    """The minimum wage of city ``code`` in force on ``day``; None before the first known."""
    return catalogue.wage_on(minimum_wages(code), day)
