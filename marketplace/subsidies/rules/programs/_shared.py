"""Definitions every programme uses: months that are over, groups, stable income, money.

Each function is one sentence of POLICIES.md "Words"; the programmes compose them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from marketplace.cities import catalogue
from marketplace.cities.catalogue import MinimumWage
from marketplace.common.months import Month
from marketplace.subsidies.policy import labels
from marketplace.subsidies.policy.catalogue import Policy, Program
from marketplace.subsidies.rules.facts import WorkerFacts

CENT = Decimal("0.01")


def is_over(month: Month, as_of: date) -> bool:
    """Whether ``month`` is over on ``as_of``: on or after the first day of the next month."""
    return as_of >= month.next().first_day


def group_month(day: date | None) -> Month | None:
    """The month from which a group counts: the month of its date (None: not in the group)."""
    return None if day is None else Month.of(day)


def first_income_month(facts: WorkerFacts, since: Month) -> Month | None:
    """The first month in or after ``since`` with platform income above zero."""
    months = [month for month, amount in facts.income.items() if month >= since and amount > 0]
    return min(months, default=None)


def money(amount: Decimal) -> str:
    """An amount as the API writes money: ``"2700.00"`` (more decimals are kept, never cut)."""
    cents = amount.quantize(CENT)
    return str(cents) if cents == amount else format(amount, "f")


def round_money(value: Fraction, step: Decimal, mode: str) -> Decimal:
    """``value`` rounded to a multiple of ``step`` with the decimal rounding ``mode``, exactly.

    ``value`` is a Fraction (2/3 of a premium has no finite decimal). Only the position of the
    remainder decides the rounding, so it is replaced by an exact stand-in before ``quantize``:
    0 (exact), 1/4 (below half), 1/2 (half), 3/4 (above half).
    """
    steps = value / Fraction(step)
    whole, remainder = divmod(steps.numerator, steps.denominator)
    twice = 2 * remainder
    if remainder == 0:
        stand_in = Decimal(0)
    elif twice < steps.denominator:
        stand_in = Decimal("0.25")
    elif twice == steps.denominator:
        stand_in = Decimal("0.5")
    else:
        stand_in = Decimal("0.75")
    rounded = (Decimal(whole) + stand_in).quantize(Decimal(1), rounding=mode)
    return rounded * step


def note(program: Program, name: str, day: date) -> str:
    """``label：value（from date；article）``: how an explanation quotes a parameter, in Chinese."""
    parameter = program.parameter(name)
    entry = parameter.entry_at(day)
    value = labels.shown(parameter.unit, entry.value)
    return f"{labels.label(name)}：{value}（{entry.start.isoformat()}起；{entry.article}）"


def rounded(mode: str, step: Decimal) -> str:
    """How an explanation says an amount was rounded: ``四舍五入至 0.01 元``."""
    return f"{labels.ROUNDINGS[mode]}至 {money(step)} 元"


def threshold(
    policy: Policy,
    program: Program,
    city: str,
    month: Month,
    wages: Sequence[MinimumWage] | None = None,
) -> tuple[Decimal, date]:
    """The stable-income threshold of ``month`` and the date from which it holds.

    The parameter names a value of the city catalogue, taken on the month's first day (POLICIES.md
    **reading**: the monthly minimum wage in force on the month's first day). ``wages`` are the
    city's minimum wages as the evaluation read them; None: the catalogue file's.
    """
    reference = program.text("stable_income_threshold", policy.reading_day(month.last_day))
    if wages is None:
        found = catalogue.find(city)
        wages = found.minimum_wages if found else ()
    wage = catalogue.wage_on(wages, month.first_day)
    if wage is None:
        raise LookupError(f"no minimum wage of {city!r} on {month.first_day.isoformat()}")
    value = wage.monthly if reference == "minimum_wage.monthly" else wage.hourly
    return value, wage.effective_from


def is_stable(facts: WorkerFacts, policy: Policy, program: Program, month: Month) -> bool:
    """Whether ``month`` is a stable-income month: its platform income ≥ its threshold."""
    return (
        facts.income_in(month)
        >= threshold(policy, program, facts.city, month, facts.minimum_wages)[0]
    )


def stable_line(facts: WorkerFacts, policy: Policy, program: Program, month: Month) -> str:
    """One explanation line: the month's income against its threshold."""
    bar, since = threshold(policy, program, facts.city, month, facts.minimum_wages)
    income = facts.income_in(month)
    sign = "≥" if income >= bar else "<"
    return (
        f"{month} 平台收入 {money(income)} {sign} 门槛 {money(bar)}"
        f"（最低工资，{since.isoformat()}起）"
    )


def month_evidence(
    facts: WorkerFacts, policy: Policy, program: Program, month: Month
) -> dict[str, str]:
    """Evidence of one month: its income, its threshold and the threshold's date."""
    bar, since = threshold(policy, program, facts.city, month, facts.minimum_wages)
    return {
        "month": str(month),
        "income": money(facts.income_in(month)),
        "threshold": money(bar),
        "threshold_from": since.isoformat(),
    }
