"""Online vocational training subsidy (无锡 article 六), paid to the platform.

POLICIES.md "training": 18.50 per class hour, at most 500.00 per worker under the policy, counting
pending and approved flags (a rejected flag frees its share). One flag per training record, in the
order the records were completed, cut to what is left under the cap; nothing left, no flag. The
trainee is one of the platform's workers (从业人员): platform income in at least one month of the
``trainee_income_months`` months up to the month the training was completed; otherwise no flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from marketplace.common.months import Month
from marketplace.subsidies.policy.catalogue import Policy, Program
from marketplace.subsidies.rules.facts import FlagProposal, TrainingRecord, WorkerFacts
from marketplace.subsidies.rules.programs import _shared

CODE = "training"
NAME = "线上职业培训补贴"
PARAMETERS = {
    "rate_per_class_hour": "CNY/class_hour",
    "cap_per_worker": "CNY",
    "rounding": "rounding",
    "rounding_step": "CNY",
    "trainee_income_months": "months",
}
OPTIONAL_PARAMETER_GROUPS: tuple[frozenset[str], ...] = ()


def _order(record: TrainingRecord) -> tuple[date, str]:
    # Completion order; the key breaks ties so that the order never depends on input order.
    return record.completed_on, record.key


@dataclass(frozen=True)
class Share:
    """What the rule found for one training record: its full amount and its share under the cap."""

    record: TrainingRecord
    rate: Decimal
    cap: Decimal
    step: Decimal
    mode: str
    full: Decimal  # the class hours at the rate, rounded
    counted: Decimal  # what the cap had already counted before this record
    left: Decimal  # what the cap left for this record
    amount: Decimal  # the share: the full amount cut to what is left
    window: int  # the months up to the completion month in which platform income is looked for
    worked: tuple[Month, Decimal]  # the latest month of platform income within that window

    @property
    def day(self) -> date:
        """The day whose parameter values apply: the record's completion."""
        return self.record.completed_on


def _platform_month(
    facts: WorkerFacts, completed_on: date, window: int
) -> tuple[Month, Decimal] | None:
    """The latest month with platform income in the ``window`` months up to the completion's."""
    last = Month.of(completed_on)
    for month in (last - back for back in range(window)):
        income = facts.income.get(month)
        if income is not None and income > 0:
            return month, income
    return None


def _rule(facts: WorkerFacts, policy: Policy, program: Program, as_of: date) -> list[Share]:
    """The shares of the records whose flags are not decided yet, in completion order."""
    stored = {flag.key: flag for flag in facts.flags_of(CODE, policy.id)}
    # Approved flags hold their share whatever their place in the order; pending ones are
    # recomputed below in completion order (so a late-imported earlier record comes first),
    # and rejected ones hold nothing.
    approved = sum(
        (f.amount or Decimal("0.00") for f in stored.values() if f.status == "approved"),
        Decimal("0.00"),
    )
    records = sorted(
        (
            r
            for r in facts.training
            if r.completed_on <= as_of and policy.in_force_on(r.completed_on)
        ),
        key=_order,
    )
    counted = approved
    shares = []
    for record in records:
        flag = stored.get(record.key)
        if flag is not None and flag.decided:
            continue  # a decided flag keeps its amount (already counted if approved)
        day = record.completed_on
        window = program.count("trainee_income_months", day)
        worked = _platform_month(facts, day, window)
        if worked is None:
            continue  # not one of the platform's workers when trained: no flag
        rate = program.money("rate_per_class_hour", day)
        cap = program.money("cap_per_worker", day)
        step = program.money("rounding_step", day)
        mode = program.text("rounding", day)
        full = _shared.round_money(Fraction(record.class_hours) * Fraction(rate), step, mode)
        left = max(cap - counted, Decimal("0.00"))
        amount = min(full, left)
        if amount <= 0:
            continue  # nothing left under the cap: no flag
        shares.append(
            Share(record, rate, cap, step, mode, full, counted, left, amount, window, worked)
        )
        counted += amount
    return shares


def _explanation(policy: Policy, program: Program, share: Share) -> list[str]:
    """Why the flag is due and how much, line by line, as the official reads it."""
    record, day, money = share.record, share.day, _shared.money
    return [
        f"规则：{policy.document_number} {program.rule} {NAME}（付给平台）："
        "平台组织从业人员开展线上职业培训，按课时补贴，累计有上限",
        f"培训「{record.course}」{record.class_hours} 课时，{day} 完成（政策有效期内）",
        f"本平台从业人员：{share.worked[0]} 有平台收入 {money(share.worked[1])} 元"
        f"（完成当月及之前 {share.window} 个月内）；"
        + _shared.note(program, "trainee_income_months", day),
        f"{record.class_hours} × {money(share.rate)} = {money(share.full)}"
        f"（{_shared.rounded(share.mode, share.step)}）；"
        + _shared.note(program, "rate_per_class_hour", day),
        f"上限 {money(share.cap)}，此前已计入 {money(share.counted)}"
        "（已批准的，及按完成顺序在前的记录），"
        f"剩余 {money(share.left)} → 金额 {money(share.amount)}；"
        + _shared.note(program, "cap_per_worker", day),
    ]


def _evidence(share: Share) -> dict[str, Any]:
    """The facts the flag rests on, as data."""
    money = _shared.money
    return {
        "course": share.record.course,
        "class_hours": str(share.record.class_hours),
        "completed_on": share.day.isoformat(),
        "rate_per_class_hour": money(share.rate),
        "full_amount": money(share.full),
        "cap_per_worker": money(share.cap),
        "counted_before": money(share.counted),
        "left_before": money(share.left),
        "amount": money(share.amount),
        "cut": share.amount < share.full,
        "platform_income_month": str(share.worked[0]),
    }


def evaluate(facts: WorkerFacts, policy: Policy, as_of: date) -> list[FlagProposal]:
    """One flag per training record completed under the policy, within the cap per worker."""
    program = policy.program(CODE)
    if program is None or facts.city != policy.city:
        return []
    return [
        FlagProposal(
            program=CODE,
            policy_id=policy.id,
            beneficiary=program.beneficiary,
            key=share.record.key,
            amount=share.amount,
            period_start=None,
            period_end=None,
            evidence=_evidence(share),
            explanation=_explanation(policy, program, share),
        )
        for share in _rule(facts, policy, program, as_of)
    ]
