"""The types of a subsidy policy: dated parameters, programmes, the policy itself.

Modelled on OpenFisca's parameters: every amount, rate, count and threshold of a policy has a list
of values, each holding from its date until the next one and naming the article it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from marketplace.common.months import Month

Value = Decimal | Fraction | int | bool | str


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter, the day from which it holds and the article it comes from."""

    start: date
    value: Value
    article: str


@dataclass(frozen=True)
class Parameter:
    """A named value that changes over time; ``values`` are sorted by ``start``."""

    name: str
    unit: str
    values: tuple[DatedValue, ...]

    def entry_at(self, day: date) -> DatedValue:
        """The value in force on ``day`` with its date and article; LookupError before the first."""
        in_force = None
        for entry in self.values:
            if entry.start <= day:
                in_force = entry
        if in_force is None:
            raise LookupError(f"parameter {self.name!r} has no value on {day.isoformat()}")
        return in_force

    def at(self, day: date) -> Value:
        """The value in force on ``day``; LookupError before the first value."""
        return self.entry_at(day).value


def _typed(parameter: Parameter, day: date, kind: type | tuple[type, ...]) -> Any:
    value = parameter.at(day)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"parameter {parameter.name!r} is {parameter.unit}, not {kind}")
    return value


@dataclass(frozen=True)
class Program:
    """One subsidy programme of a policy: who is paid, and its parameters by name."""

    code: str
    article: str  # the article of the document the programme comes from
    beneficiary: str
    parameters: tuple[Parameter, ...]

    @property
    def rule(self) -> str:
        """How an explanation names the article: ``第二条`` / ``第18条``."""
        return f"第{self.article}条"

    def has(self, name: str) -> bool:
        """Whether the programme has the parameter ``name`` (optional ones may be absent)."""
        return any(parameter.name == name for parameter in self.parameters)

    def parameter(self, name: str) -> Parameter:
        """The parameter ``name``; KeyError when the programme has none."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(f"programme {self.code!r} has no parameter {name!r}")

    def money(self, name: str, day: date) -> Decimal:
        """An amount (``CNY``…) in force on ``day``."""
        return _typed(self.parameter(name), day, Decimal)

    def count(self, name: str, day: date) -> int:
        """A number of months or a count in force on ``day``."""
        return _typed(self.parameter(name), day, int)

    def fraction(self, name: str, day: date) -> Fraction:
        """A rate written as an exact fraction (``"2/3"``) in force on ``day``."""
        return _typed(self.parameter(name), day, Fraction)

    def flag(self, name: str, day: date) -> bool:
        """A yes/no rule in force on ``day``."""
        return _typed(self.parameter(name), day, bool)

    def text(self, name: str, day: date) -> str:
        """A rounding mode or reference in force on ``day``."""
        return _typed(self.parameter(name), day, str)


@dataclass(frozen=True)
class Policy:
    """A city's policy document: its dates, policy-wide parameters and programmes."""

    id: str
    city: str
    title: str
    document_number: str
    effective_from: date
    effective_to: date | None
    parameters: tuple[Parameter, ...]
    programs: tuple[Program, ...]
    # Which stored version of the policy this is (``policy.versions``); None: read from a file.
    version: int | None = None

    def in_force_on(self, day: date) -> bool:
        """Whether the policy is in force on ``day`` (both end dates included)."""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def month_counts(self, month: Month) -> bool:
        """Whether ``month`` counts for the policy: in force on its last day (POLICIES.md)."""
        return self.in_force_on(month.last_day)

    def reading_day(self, day: date) -> date:
        """The day whose parameter values govern a rule about ``day``.

        A rule may look at months before the policy began (a period that started earlier, the
        months tested for stability); the policy has no values for them, so it uses its first.
        """
        return max(day, self.effective_from)

    def program(self, code: str) -> Program | None:
        """The programme ``code`` of this policy, or None."""
        return next((program for program in self.programs if program.code == code), None)

    def parameter(self, name: str) -> Parameter:
        """The policy-wide parameter ``name``; KeyError when absent."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(f"policy {self.id!r} has no parameter {name!r}")
