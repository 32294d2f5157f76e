"""What the subsidy rules read about a worker, and what they propose.

The rules are pure functions from ``WorkerFacts`` to ``FlagProposal``s: the database layer gathers
the facts (income summed by month, premiums, training records, the flags already stored) and turns
proposals into flags — creating the new ones, updating pending ones whose evidence changed, and
never touching a decided one (POLICIES.md "Hooks and schedule").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from marketplace.cities.catalogue import MinimumWage
from marketplace.common.months import Month

Status = Literal["pending", "approved", "rejected"]
STATUSES: frozenset[str] = frozenset({"pending", "approved", "rejected"})
DECIDED: frozenset[str] = frozenset({"approved", "rejected"})


@dataclass(frozen=True)
class Premium:
    """The social-insurance premiums a worker paid for one month (``/contributions/import``)."""

    pension: Decimal
    medical: Decimal

    @property
    def total(self) -> Decimal:
        """Pension plus medical: the base of the social-insurance subsidy."""
        return self.pension + self.medical


@dataclass(frozen=True)
class TrainingRecord:
    """One online training the platform organised for the worker (``/training/import``)."""

    key: str  # stable identity of the record: the ``key`` of its flag
    course: str
    class_hours: Decimal
    completed_on: date


@dataclass(frozen=True)
class ExistingFlag:
    """A flag already stored for the worker: never duplicated, and never changed once decided."""

    program: str
    policy_id: str
    key: str
    status: Status
    amount: Decimal | None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown flag status {self.status!r}")

    @property
    def decided(self) -> bool:
        """Approved or rejected: the flag never changes again."""
        return self.status in DECIDED


@dataclass(frozen=True)
class EmploymentRegistration:
    """A registered (not revoked) employment registration: its form and its days."""

    form: str  # flexible | employed | self_employed
    started_on: date
    ended_on: date | None = None


# The date each group's status holds from, as the facts carry it.
GROUP_DATE_OF = {
    "unemployed": "unemployment_registered_on",
    "difficulty": "difficulty_certified_on",
    "graduate": "graduated_on",
}


@dataclass(frozen=True)
class WorkerFacts:
    """Everything the rules know about one worker.

    ``income`` is the platform income by month (POLICIES.md "Platform income", already summed);
    a month missing from it had no income. Group dates are None when the worker is not in the group.
    """

    worker_id: int
    city: str
    resident: bool
    unemployment_registered_on: date | None = None
    difficulty_certified_on: date | None = None
    graduated_on: date | None = None
    income: Mapping[Month, Decimal] = field(default_factory=dict)
    premiums: Mapping[Month, Premium] = field(default_factory=dict)
    training: Sequence[TrainingRecord] = ()
    existing_flags: Sequence[ExistingFlag] = ()
    # The day a group's status ended (an official ended it); a group without one holds onward.
    group_ends: Mapping[str, date] = field(default_factory=dict)
    employment_registrations: Sequence[EmploymentRegistration] = ()
    # The city's minimum wages as the evaluation read them (the catalogue file's and those admins
    # added), oldest first; None: the catalogue file's alone (the pure tests' worlds).
    minimum_wages: Sequence[MinimumWage] | None = None

    def group_start(self, group: str) -> date | None:
        """The day the group's status holds from (None: not in the group, or rejected)."""
        day: date | None = getattr(self, GROUP_DATE_OF[group])
        return day

    def holds(self, group: str, month: Month) -> bool:
        """Whether the group holds in ``month``: from its start month through its end month."""
        start = self.group_start(group)
        if start is None or month < Month.of(start):
            return False
        end = self.group_ends.get(group)
        return end is None or month <= Month.of(end)

    def income_in(self, month: Month) -> Decimal:
        """The platform income of ``month`` (0.00 when none was recorded)."""
        return self.income.get(month, Decimal("0.00"))

    def flags_of(self, program: str, policy_id: str) -> list[ExistingFlag]:
        """The stored flags of one programme under one policy."""
        return [f for f in self.existing_flags if f.program == program and f.policy_id == policy_id]

    def decided_keys(self, program: str, policy_id: str) -> set[str]:
        """Keys whose flag is decided: the rules propose nothing more for them."""
        return {f.key for f in self.flags_of(program, policy_id) if f.decided}


@dataclass(frozen=True)
class FlagProposal:
    """A flag the rules say the worker should have (API.md's flag without its stored fields).

    ``key`` names the thing the flag is for (POLICIES.md "Hooks and schedule"): ``platform_service``
    for the one platform-service flag, the month ``YYYY-MM`` for social insurance, the training
    record's key for training. Together with worker, programme and policy it identifies the flag.
    ``evidence`` is JSON-safe (money, months and dates as strings) and ``explanation`` quotes the
    rule, the months and the parameters used, so that an official can check the flag by hand.
    """

    program: str
    policy_id: str
    beneficiary: str  # "platform" or "worker"
    key: str
    amount: Decimal | None
    period_start: Month | None
    period_end: Month | None
    evidence: dict[str, Any]
    explanation: list[str]
