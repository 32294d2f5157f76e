"""就业创业服务补助 (无锡 article 二): the platform helped a worker to 6 stable-income months.

POLICIES.md "platform_service": a resident worker of the city who is *unemployed* or *difficulty*;
the first run of consecutive stable-income months (all in or after the group's month and counting
for the policy) to complete raises one flag, 1000.00 when the run qualifies under *difficulty*,
else 800.00. The flag appears once the run's last month is over; at most one flag per worker.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from marketplace.common.months import Month, months_between
from marketplace.subsidies.policy.catalogue import Policy, Program
from marketplace.subsidies.rules.facts import FlagProposal, WorkerFacts
from marketplace.subsidies.rules.programs import _shared

CODE = "platform_service"
NAME = "就业创业服务补助"
PARAMETERS = {
    "requires_resident": "boolean",
    "stable_months": "months",
    "stable_income_threshold": "reference",
    "amount_unemployed": "CNY",
    "amount_difficulty": "CNY",
}
OPTIONAL_PARAMETER_GROUPS: tuple[frozenset[str], ...] = ()

# The only thing this programme flags: one flag per worker and policy, ever.
KEY = "platform_service"
GROUP_NAMES = {"difficulty": "就业困难人员", "unemployed": "失业人员"}


def _counts(facts: WorkerFacts, policy: Policy, program: Program, month: Month) -> bool:
    """Whether ``month`` can be a month of a run: it counts for the policy, one of the
    programme's groups holds in it and it is a stable-income month."""
    return (
        policy.month_counts(month)
        and any(facts.holds(group, month) for group in GROUP_NAMES)
        and _shared.is_stable(facts, policy, program, month)
    )


def _streaks(
    facts: WorkerFacts, policy: Policy, program: Program, since: Month, as_of: date
) -> Iterator[tuple[Month, int]]:
    """Each month over on ``as_of`` from ``since``, with the run of counting months it ends."""
    # Months before the policy cannot count, so the search starts at the later of the two.
    month = max(since, Month.of(policy.effective_from))
    streak = 0
    while _shared.is_over(month, as_of):
        streak = streak + 1 if _counts(facts, policy, program, month) else 0
        yield month, streak
        month = month.next()


def _first_run(
    facts: WorkerFacts, policy: Policy, program: Program, since: Month, as_of: date
) -> tuple[Month, Month] | None:
    """The first completed run: its first and last month, the last one over on ``as_of``."""
    for month, streak in _streaks(facts, policy, program, since, as_of):
        if streak == program.count("stable_months", month.last_day):
            return month - (streak - 1), month
    return None


@dataclass(frozen=True)
class Reach:
    """How far the worker is from a run (the worker's progress, ``subsidies.progress``).

    ``streak`` counting months end with the last month over; the month under way (``month``)
    has ``income`` so far against its ``threshold``. The same walk as the rule's
    (``_streaks``): a test holds the two equal.
    """

    streak: int
    needed: int
    month: Month
    income: Decimal
    threshold: Decimal
    month_counts: bool  # the month under way can be a month of a run once it reaches the bar

    @property
    def month_met(self) -> bool:
        """Whether the month under way already reached its threshold (and can count)."""
        return self.month_counts and self.income >= self.threshold

    @property
    def remaining(self) -> int:
        """Stable months the worker still has to reach, the month under way included."""
        return max(self.needed - self.streak - (1 if self.month_met else 0), 0)

    @property
    def next_month(self) -> Month:
        """The next month the worker must still reach: the month under way unless it is met."""
        return self.month.next() if self.month_met else self.month


def reach(facts: WorkerFacts, policy: Policy, as_of: date) -> Reach | None:
    """How far the worker is from the programme's run under ``policy`` on ``as_of``.

    None when the policy has no such programme or the worker has none of its groups.
    """
    program = policy.program(CODE)
    starts = [
        day
        for day in (facts.difficulty_certified_on, facts.unemployment_registered_on)
        if day is not None
    ]
    if program is None or not starts:
        return None
    walked = _streaks(facts, policy, program, Month.of(min(starts)), as_of)
    streak = next(iter(deque(walked, maxlen=1)), (None, 0))[1]  # the walk's last run
    month = Month.of(as_of)
    counts = policy.month_counts(month) and any(facts.holds(g, month) for g in GROUP_NAMES)
    bar = _shared.threshold(policy, program, facts.city, month, facts.minimum_wages)[0]
    needed = program.count("stable_months", policy.reading_day(month.last_day))
    return Reach(streak, needed, month, facts.income_in(month), bar, counts)


def threshold_of(facts: WorkerFacts, policy: Policy, month: Month) -> Decimal:
    """The stable-income threshold of ``month`` under ``policy`` (the programme's reading)."""
    program = policy.program(CODE)
    assert program is not None
    return _shared.threshold(policy, program, facts.city, month, facts.minimum_wages)[0]


@dataclass(frozen=True)
class Run:
    """What the rule found: the completed run of stable months and what it is worth."""

    groups: dict[str, date]  # the worker's groups of this programme, with their dates
    group: str  # the group the run qualifies under
    first: Month
    last: Month
    amount: Decimal

    @property
    def day(self) -> date:
        """The day whose parameter values apply: the run's last month counts, so it has values."""
        return self.last.last_day

    @property
    def months(self) -> list[Month]:
        """The months of the run."""
        return list(months_between(self.first, self.last))


def _rule(facts: WorkerFacts, policy: Policy, program: Program, as_of: date) -> Run | None:
    """The worker's qualifying run under the policy as of ``as_of``, or None."""
    dates = {
        "difficulty": facts.difficulty_certified_on,
        "unemployed": facts.unemployment_registered_on,
    }
    known = {name: day for name, day in dates.items() if day is not None}
    groups = {name: Month.of(day) for name, day in known.items()}
    if not groups:
        return None
    run = _first_run(facts, policy, program, min(groups.values()), as_of)
    if run is None:
        return None
    first, last = run
    if program.flag("requires_resident", last.last_day) and not facts.resident:
        return None
    # A run qualifies under a group when the group holds in all of its months.
    months = months_between(first, last)
    group = (
        "difficulty" if all(facts.holds("difficulty", month) for month in months) else "unemployed"
    )
    amount = program.money(f"amount_{group}", last.last_day)
    return Run(known, group, first, last, amount)


def _explanation(facts: WorkerFacts, policy: Policy, program: Program, run: Run) -> list[str]:
    """Why the flag is due, line by line, as the official reads it."""
    day, months = run.day, run.months
    group_month = Month.of(run.groups[run.group])
    return [
        f"规则：{policy.document_number} {program.rule} {NAME}（付给平台）："
        "平台帮助常住本市的失业人员、就业困难人员实现连续稳定收入",
        *(
            f"群体：{GROUP_NAMES[name]}（{on}，自 {Month.of(on)} 起计"
            + (f"，至 {Month.of(end)} 止" if (end := facts.group_ends.get(name)) else "")
            + "）"
            for name, on in sorted(run.groups.items())
        ),
        f"常住地在本市：{'是' if facts.resident else '否'}；"
        + _shared.note(program, "requires_resident", day),
        _shared.note(program, "stable_months", day),
        _shared.note(program, "stable_income_threshold", day),
        *(_shared.stable_line(facts, policy, program, month) for month in months),
        f"连续 {len(months)} 个稳定收入月 {run.first} … {run.last}，均不早于 {group_month}"
        f"（{GROUP_NAMES[run.group]}）且在政策有效期内；第 {len(months)} 个月 {run.last} 已结束",
        f"金额 {_shared.money(run.amount)}：{_shared.note(program, f'amount_{run.group}', day)}",
    ]


def _evidence(facts: WorkerFacts, policy: Policy, program: Program, run: Run) -> dict[str, Any]:
    """The facts the flag rests on, as data."""
    return {
        "group": run.group,
        "group_date": run.groups[run.group].isoformat(),
        "groups": {name: run.groups[name].isoformat() for name in sorted(run.groups)},
        "months": [_shared.month_evidence(facts, policy, program, month) for month in run.months],
    }


def evaluate(facts: WorkerFacts, policy: Policy, as_of: date) -> list[FlagProposal]:
    """The platform-service flag of the worker under ``policy`` as of ``as_of`` (none or one)."""
    program = policy.program(CODE)
    if program is None or facts.city != policy.city:
        return []
    if KEY in facts.decided_keys(CODE, policy.id):
        return []  # a decided flag never changes, and there is never a second one
    run = _rule(facts, policy, program, as_of)
    if run is None:
        return []
    return [
        FlagProposal(
            program=CODE,
            policy_id=policy.id,
            beneficiary=program.beneficiary,
            key=KEY,
            amount=run.amount,
            period_start=run.first,
            period_end=run.last,
            evidence=_evidence(facts, policy, program, run),
            explanation=_explanation(facts, policy, program, run),
        )
    ]
