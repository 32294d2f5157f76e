"""A minimum wage an admin adds to a city's catalogue — never one that would change decided flags.

API.md "Living policies": ``POST /cities/{code}/minimum-wages`` → 201; "a date in the past that
would change decided flags is 409". The rule needs the flags, so it lives here, above ``cities``.

**What "would change decided flags" means.** A rule reads the minimum wage of a month on the
month's first day (POLICIES.md "Stable-income month"; the ``token_income`` signal too). A row from
day D changes the wage of every month whose first day is on or after D (until the next row). The
flags that read wages are those with months (``platform_service``: the thresholds of its run and of
every month before it that the search for the first run went through; ``social_insurance``: the
stability of the extension test and the ``token_income`` signal of its month); a training flag
reads none. So a row from D may change a decided flag exactly when D is on or before the first day
of a month that a decided flag of the city covers, or of any month before one — that is, when
D ≤ the first day of the latest ``period_end`` among the city's decided flags. That is refused with
409; a later D changes only months no decision has rested on, and pending flags follow it at their
next evaluation.

Evaluations do not run when a row is added: the nightly job, a hook or an official's evaluation
reads it next, as it reads any other record.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.cities import wages as city_wages
from marketplace.cities.catalogue import MinimumWage
from marketplace.cities.models import AddedMinimumWage
from marketplace.common.months import Month
from marketplace.errors import N_, Conflict, Invalid, NotFound, field_error
from marketplace.extensions import db
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.rules.facts import DECIDED


def latest_decided_month(city: str) -> Month | None:
    """The latest month a decided flag of ``city`` covers (None: no decided flag with months).

    Every pending flag of the city with months is locked first (PostgreSQL): a decision takes
    the worker's flags' locks, so one racing this read either waits for the new row, whose
    threshold its own re-check then reads, or is seen decided here.
    """
    db.session.execute(
        select(SubsidyFlag.id)
        .where(
            SubsidyFlag.city == city,
            SubsidyFlag.status == "pending",
            SubsidyFlag.period_end.is_not(None),
        )
        .order_by(SubsidyFlag.id)
        .with_for_update()
    )
    latest = db.session.scalar(
        select(func.max(SubsidyFlag.period_end)).where(
            SubsidyFlag.city == city,
            SubsidyFlag.status.in_(sorted(DECIDED)),
            SubsidyFlag.period_end.is_not(None),
        )
    )
    return Month.parse(latest) if latest else None


def _check_amounts(monthly: Decimal, hourly: Decimal) -> None:
    if monthly <= 0:
        raise Invalid(
            "a minimum wage is more than 0", field_error("json", "monthly", "must be more than 0")
        )
    if hourly <= 0:
        raise Invalid(
            "a minimum wage is more than 0", field_error("json", "hourly", "must be more than 0")
        )
    if hourly > monthly:
        raise Invalid(
            "the hourly minimum wage cannot be above the monthly one",
            field_error(
                "json", "hourly", "must not be above monthly (%(monthly)s)", monthly=monthly
            ),
        )


def add(
    user: User, code: str, effective_from: date, monthly: Decimal, hourly: Decimal, source: str
) -> MinimumWage:
    """Add a minimum wage of city ``code`` from ``effective_from`` (admins; the route checks).

    404: an unknown city. 409: a row of that date exists, or the date would change decided
    flags (see the module). The row is an audit event.
    """
    if catalogue.find(code) is None:
        raise NotFound(N_("city"))
    _check_amounts(monthly, hourly)
    if any(wage.effective_from == effective_from for wage in city_wages.minimum_wages(code)):
        raise Conflict(
            "a minimum wage of this city from %(day)s is already known",
            day=effective_from.isoformat(),
        )
    latest = latest_decided_month(code)
    if latest is not None and effective_from <= latest.first_day:
        raise Conflict(
            "a minimum wage from %(day)s would change the wage of %(month)s, on which decided "
            "flags rest: it must take effect after %(first)s",
            {"latest_decided_month": str(latest)},
            day=effective_from.isoformat(),
            month=str(latest),
            first=latest.first_day.isoformat(),
        )
    row = AddedMinimumWage(
        city=code,
        effective_from=effective_from,
        monthly=monthly,
        hourly=hourly,
        source=source,
        created_at=clock.now(),
        created_by=user.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise Conflict(
            "a minimum wage of this city from %(day)s is already known",
            day=effective_from.isoformat(),
        ) from None
    audit.record(
        "minimum_wage.added",
        "minimum_wage",
        row.id,
        {
            "city": code,
            "effective_from": effective_from.isoformat(),
            "monthly": str(monthly),
            "hourly": str(hourly),
            "source": source,
        },
        actor_id=user.id,
        city=code,
    )
    return MinimumWage(effective_from, monthly, hourly, source)
