"""What one evaluation has read, by worker, and the views the rules and the signals take of it.

``queries.gather`` fills a ``Gathered`` with a query per kind of fact; ``facts`` and
``risk_facts`` give one worker's view. Income and premiums stay as the integer hundredths the
database stores until a rule reads them (``Lazy``): most of a city's workers are in no group, and
no rule reads their months.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from marketplace.cities.catalogue import MinimumWage
from marketplace.common.months import Month
from marketplace.subsidies.evaluation.risk import GroupEntry, MonthActivity, RiskFacts
from marketplace.subsidies.rules import facts as rules_facts

FlagKey = tuple[str, str, str]  # program, policy_id, key


@dataclass(frozen=True)
class StoredFlag:
    """The columns of a stored flag that an evaluation compares against."""

    id: int
    status: str
    amount: Decimal | None
    fingerprint: str
    evaluated_on: date
    policy_version: int  # the version of the policy whose proposal the flag holds


V = TypeVar("V")


class Lazy(Mapping[Month, V]):
    """Stored values by month, converted (to exact Decimals) on first read.

    The rules read the income and premiums of the workers in a group only; the other workers'
    months are never converted, which is most of a city's million rows.
    """

    __slots__ = ("_convert", "_values", "raw")

    def __init__(self, convert: Callable[[Any], V]) -> None:
        self._convert = convert
        self.raw: dict[Month, Any] = {}
        self._values: dict[Month, V] | None = None

    def _converted(self) -> dict[Month, V]:
        if self._values is None:
            self._values = {month: self._convert(raw) for month, raw in self.raw.items()}
        return self._values

    def __getitem__(self, month: Month) -> V:
        return self._converted()[month]

    def __iter__(self) -> Iterator[Month]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)


# hours, imported, unattended (hundredths), far check-ins, farthest check-in and check-out (m)
RawActivity = tuple[int, int, int, int, float | None, float | None]


def activity_of(raw: RawActivity) -> MonthActivity:
    """A month's raw activity as the risk signals read it."""
    hours, imported, unattended, far_count, far_in, far_out = raw
    distances = [d for d in (far_in, far_out) if d is not None]
    return MonthActivity(
        hours=yuan(hours),
        imported=yuan(imported),
        unattended=yuan(unattended),
        far_checks=int(far_count or 0),
        farthest_m=max(distances) if far_count and distances else None,
    )


@dataclass(frozen=True)
class Profile:
    """What the rules read from a worker's profile."""

    city: str
    resident: bool
    unemployment_registered_on: date | None
    difficulty_certified_on: date | None
    graduated_on: date | None


@dataclass
class Gathered:
    """Everything one evaluation reads, by worker id."""

    timezone: str
    # The city's minimum wages (the catalogue file's and those admins added), read once.
    minimum_wages: tuple[MinimumWage, ...] | None = None
    profiles: dict[int, Profile] = field(default_factory=dict)
    income: dict[int, Lazy[Decimal]] = field(default_factory=dict)
    premiums: dict[int, Lazy[rules_facts.Premium]] = field(default_factory=dict)
    training: dict[int, list[rules_facts.TrainingRecord]] = field(default_factory=dict)
    existing: dict[int, list[rules_facts.ExistingFlag]] = field(default_factory=dict)
    flags: dict[int, dict[FlagKey, StoredFlag]] = field(default_factory=dict)
    activity: dict[int, dict[Month, RawActivity]] = field(default_factory=dict)
    employers: dict[int, dict[Month, dict[int, Decimal]]] = field(default_factory=dict)
    long_days: dict[int, dict[Month, list[tuple[date, Decimal]]]] = field(default_factory=dict)
    group_entries: dict[int, dict[str, GroupEntry]] = field(default_factory=dict)
    group_ends: dict[int, dict[str, date]] = field(default_factory=dict)  # ended statuses
    unverified: dict[int, dict[str, date]] = field(default_factory=dict)  # declared statuses
    registrations: dict[int, list[rules_facts.EmploymentRegistration]] = field(default_factory=dict)

    def facts(self, worker_id: int) -> rules_facts.WorkerFacts:
        """The rules' view of one worker."""
        profile = self.profiles[worker_id]
        return rules_facts.WorkerFacts(
            worker_id=worker_id,
            city=profile.city,
            resident=profile.resident,
            unemployment_registered_on=profile.unemployment_registered_on,
            difficulty_certified_on=profile.difficulty_certified_on,
            graduated_on=profile.graduated_on,
            income=self.income.get(worker_id, {}),
            premiums=self.premiums.get(worker_id, {}),
            training=self.training.get(worker_id, ()),
            existing_flags=self.existing.get(worker_id, ()),
            group_ends=self.group_ends.get(worker_id, {}),
            employment_registrations=self.registrations.get(worker_id, ()),
            minimum_wages=self.minimum_wages,
        )

    def risk_facts(self, worker_id: int) -> RiskFacts:
        """The risk signals' view of one worker."""
        return RiskFacts(
            timezone=self.timezone,
            city=self.profiles[worker_id].city,
            income=self.income.get(worker_id, {}),
            months={
                month: activity_of(raw) for month, raw in self.activity.get(worker_id, {}).items()
            },
            employers=self.employers.get(worker_id, {}),
            long_days=self.long_days.get(worker_id, {}),
            group_entries=self.group_entries.get(worker_id, {}),
            unverified=self.unverified.get(worker_id, {}),
            minimum_wages=self.minimum_wages,
        )


def premium_of(raw: tuple[int, int]) -> rules_facts.Premium:
    """Pension and medical in fen as a Premium in yuan."""
    return rules_facts.Premium(yuan(raw[0]), yuan(raw[1]))


def yuan(hundredths: int | None) -> Decimal:
    """Integer hundredths (fen, or hundredths of an hour) as an exact two-place Decimal."""
    return Decimal(int(hundredths or 0)).scaleb(-2)
