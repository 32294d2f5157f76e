"""Calendar months as values: ``Month(2026, 1)`` is January 2026, written ``"2026-01"``.

Subsidy rules count in calendar months (POLICIES.md "Month arithmetic": month G + 24 of 2025-06 is
2027-06), so a month is a value of its own rather than a date that happens to be the first.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import overload

# Strict on purpose: "2026-1", "2026-01-05" or " 2026-01" are mistakes, not months.
_MONTH_TEXT = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month; ordered, hashable, and ``Month + 1`` is the next month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise TypeError(f"year must be an int, not {self.year!r}")
        if isinstance(self.month, bool) or not isinstance(self.month, int):
            raise TypeError(f"month must be an int, not {self.month!r}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is out of range 1..9999")
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is out of range 1..12")

    @classmethod
    def parse(cls, text: str) -> Month:
        """The month written ``YYYY-MM``; ValueError for anything else."""
        match = _MONTH_TEXT.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        """The month that contains ``day``."""
        return cls(day.year, day.month)

    @classmethod
    def _from_index(cls, index: int) -> Month:
        return _month_at(index)

    @property
    def _index(self) -> int:
        # Months since year 0: makes +, - and differences plain integer arithmetic.
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> date:
        """The first day of the month."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the month."""
        return _last_day(self.year, self.month)

    def next(self) -> Month:
        """The following month."""
        return self + 1

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __add__(self, months: int) -> Month:
        if isinstance(months, bool) or not isinstance(months, int):
            return NotImplemented
        return Month._from_index(self._index + months)

    __radd__ = __add__

    @overload
    def __sub__(self, other: int) -> Month: ...

    @overload
    def __sub__(self, other: Month) -> int: ...

    def __sub__(self, other: int | Month) -> Month | int:
        if isinstance(other, Month):
            return self._index - other._index
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return Month._from_index(self._index - other)


# Month arithmetic runs millions of times in a city's evaluation, over a few hundred distinct
# months: values are immutable, so each is built (and validated) once.
@lru_cache(maxsize=4096)
def _month_at(index: int) -> Month:
    year, month0 = divmod(index, 12)
    return Month(year, month0 + 1)


@lru_cache(maxsize=4096)
def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months_between(first: Month, last: Month) -> Iterator[Month]:
    """Every month from ``first`` to ``last``, both included (nothing when ``last < first``)."""
    for offset in range(last - first + 1):
        yield first + offset
