"""A worker's progress towards each subsidy (API.md v1.1 ``GET /workers/me/subsidy-progress``).

For every programme of the published policies of the worker's city: ``flagged`` (a flag of it
stands: pending, approved or paid), ``not_eligible`` (a condition work cannot earn fails: not
resident, not in the programme's group, the policy's term) or ``in_progress`` — what is met,
what is missing and the next month the worker must still reach with the income it needs
(``next_threshold``). The words are Chinese, for the worker; money is exact, two decimals.

Nothing here is a second copy of a rule: the facts are the evaluation's (``evaluation.queries``),
and how far a worker is comes from helpers beside each rule (``platform_service.reach``,
``social_insurance.periods``) that walk the rule's own months. The same gap feeds the
``runway`` component of the worker's recommended shifts (``matching.services``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from marketplace.auth.models import User
from marketplace.cities import catalogue
from marketplace.common.months import Month, months_between
from marketplace.subsidies.evaluation.queries import gather
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import Policy
from marketplace.subsidies.rules import evaluate as rules
from marketplace.subsidies.rules.facts import WorkerFacts
from marketplace.subsidies.rules.programs import _shared, platform_service, social_insurance
from marketplace.workers.services import my_profile

ProgressStatus = Literal["flagged", "in_progress", "not_eligible"]
STANDING = frozenset({"pending", "approved"})  # a paid flag is an approved one with its day
STATUS_WORDS = {"pending": "待审核", "approved": "已批准"}
GROUP_WORDS = {
    "unemployed": "失业人员",
    "difficulty": "就业困难人员",
    "graduate": "高校毕业生",
}


@dataclass(frozen=True)
class Threshold:
    """The next month the worker must still reach, and the income it needs that month."""

    month: Month
    income: Decimal

    def as_dict(self) -> dict[str, str]:
        """``{"month", "income"}`` as the API writes them."""
        return {"month": str(self.month), "income": _shared.money(self.income)}


@dataclass(frozen=True)
class Progress:
    """One programme's progress for the worker."""

    program: str
    policy_id: str
    status: ProgressStatus
    met: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    next_threshold: Threshold | None = None
    # Income the worker still needs in ``next_threshold.month`` (its income so far counted).
    gap: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        """The progress as the API answers it."""
        return {
            "program": self.program,
            "policy_id": self.policy_id,
            "status": self.status,
            "met": self.met,
            "missing": self.missing,
            "next_threshold": None
            if self.next_threshold is None
            else self.next_threshold.as_dict(),
        }


def _term(policy: Policy, as_of: date) -> str | None:
    """Why the policy's term rules the worker out today, or None while it is in force."""
    if as_of < policy.effective_from:
        return f"政策自 {policy.effective_from.isoformat()} 起施行，尚未生效"
    if policy.effective_to is not None and as_of > policy.effective_to:
        return f"政策有效期已于 {policy.effective_to.isoformat()} 结束"
    return None


def _flag_words(facts: WorkerFacts, code: str, policy: Policy, keys: set[str] | None) -> list[str]:
    """The standing flags of the programme (those of ``keys`` only, when given), in words."""
    flags = [
        flag
        for flag in facts.flags_of(code, policy.id)
        if flag.status in STANDING and (keys is None or flag.key in keys)
    ]
    return [
        "已有补助标记"
        + (f"（{flag.key}）" if keys is not None else "")
        + f"：{STATUS_WORDS[flag.status]}"
        + (f"，金额 {_shared.money(flag.amount)} 元" if flag.amount is not None else "")
        for flag in flags
    ]


def _platform_service(
    facts: WorkerFacts, policy: Policy, as_of: date, proposed: set[tuple[str, str]]
) -> Progress:
    """就业创业服务补助: six consecutive stable-income months while unemployed or difficulty."""
    code = platform_service.CODE

    def result(status: ProgressStatus, met: list[str], missing: list[str]) -> Progress:
        return Progress(code, policy.id, status, met, missing)

    flagged = _flag_words(facts, code, policy, None)
    if flagged:
        return result("flagged", flagged, [])
    if any(f.status == "rejected" for f in facts.flags_of(code, policy.id)):
        return result("not_eligible", [], ["该补助的标记已被驳回（每人仅限一次）"])
    term = _term(policy, as_of)
    if term is not None:
        return result("not_eligible", [], [term])
    program = policy.program(code)
    assert program is not None
    day = policy.reading_day(as_of)
    met: list[str] = []
    if program.flag("requires_resident", day):
        if not facts.resident:
            return result("not_eligible", [], ["常住地不在本市（须常住本市）"])
        met.append("常住地在本市")
    month = Month.of(as_of)
    groups = [name for name in platform_service.GROUP_NAMES if facts.holds(name, month)]
    if not groups:
        return result("not_eligible", [], ["本月不是失业人员或就业困难人员"])
    met += [
        f"{GROUP_WORDS[name]}（{start.isoformat()} 起）"
        for name in groups
        if (start := facts.group_start(name)) is not None
    ]
    if (code, policy.id) in proposed:
        needed = program.count("stable_months", day)
        return result(
            "in_progress",
            [*met, f"已在平台连续 {needed} 个月收入不低于最低工资"],
            ["条件已满足，待评估后生成补助标记"],
        )
    reach = platform_service.reach(facts, policy, as_of)
    assert reach is not None  # the worker is in one of the programme's groups
    if reach.streak:
        met.append(f"已在平台连续 {reach.streak} 个月收入不低于最低工资")
    if reach.month_met:
        met.append(
            f"本月（{reach.month}）收入 {_shared.money(reach.income)} 元，"
            f"已达到 {_shared.money(reach.threshold)} 元"
        )
    if reach.remaining == 0:  # the month under way completes the run once it is over
        return result("in_progress", met, [f"{reach.month} 结束后即满足条件，待评估后生成补助标记"])
    last = reach.next_month + (reach.remaining - 1)
    if not policy.month_counts(last):
        return result("not_eligible", met, ["政策有效期内剩余月份不足"])
    bar = platform_service.threshold_of(facts, policy, reach.next_month)
    missing = [f"还需 {reach.remaining} 个月收入不低于 {_shared.money(bar)} 元"]
    gap = bar - facts.income_in(reach.next_month)
    if reach.next_month == reach.month:
        missing.append(
            f"本月（{reach.month}）还差 {_shared.money(gap)} 元"
            f"（已有 {_shared.money(reach.income)} 元）"
        )
    return Progress(
        code, policy.id, "in_progress", met, missing, Threshold(reach.next_month, bar), gap
    )


def _social_insurance(facts: WorkerFacts, policy: Policy, as_of: date) -> Progress:
    """社会保险补贴: a period from the first income month, a subsidy for each month's premiums."""
    code = social_insurance.CODE

    def result(status: ProgressStatus, met: list[str], missing: list[str]) -> Progress:
        return Progress(code, policy.id, status, met, missing)

    found = social_insurance.periods(facts, policy, as_of)
    current = Month.of(as_of)
    in_periods = {
        str(month)
        for period in found
        for month in months_between(period.start, period.last)
        if period.until is None or month <= period.until
    }
    flagged = _flag_words(facts, code, policy, in_periods)
    if flagged:
        return result("flagged", flagged, [])
    term = _term(policy, as_of)
    if term is not None:
        return result("not_eligible", [], [term])
    program = policy.program(code)
    assert program is not None
    day = policy.reading_day(as_of)
    groups = [name for name in ("difficulty", "graduate") if facts.holds(name, current)]
    if not groups:
        return result("not_eligible", [], ["本月不是就业困难人员或离校2年内高校毕业生"])
    met = [
        f"{GROUP_WORDS[name]}（{start.isoformat()} 起）"
        for name in groups
        if (start := facts.group_start(name)) is not None
    ]
    if program.flag("requires_unemployment_registration", day):
        if facts.unemployment_registered_on is None:
            return result("not_eligible", met, ["未办理失业登记"])
        met.append(f"已办理失业登记（{facts.unemployment_registered_on.isoformat()}）")
    live = [p for p in found if current <= p.last and (p.until is None or current <= p.until)]
    if found and not live:
        ended = max(p.last if p.until is None else min(p.last, p.until) for p in found)
        return result("not_eligible", met, [f"补贴期限已于 {ended} 结束"])
    if not found:
        if program.flag("requires_employment_registration", day):
            registered = facts.unemployment_registered_on
            if registered is not None and not social_insurance.registration_after(
                facts, registered
            ):
                return result("not_eligible", met, ["失业登记后未办理灵活就业或自主创业的就业登记"])
        graduated = facts.graduated_on
        window = program.count("graduate_window_months", day)
        if groups == ["graduate"] and graduated and current > Month.of(graduated) + window:
            return result("not_eligible", met, [f"离校已超过 {window} 个月"])
        return result("in_progress", met, ["还需在平台取得收入：补贴期限自首个平台收入月起计算"])
    period = live[0]
    met.append(f"补贴期限 {period.start} 至 {period.last}（{GROUP_WORDS[period.group]}）")
    return result(
        "in_progress", met, ["按月缴纳养老、医疗保险费：每个已结束的月份按缴费的三分之二补贴"]
    )


def _other(facts: WorkerFacts, code: str, policy: Policy, as_of: date) -> Progress:
    """A programme without an income bar to reach (training): flagged, or what it asks."""
    flagged = _flag_words(facts, code, policy, None)
    if flagged:
        return Progress(code, policy.id, "flagged", flagged)
    term = _term(policy, as_of)
    if term is not None:
        return Progress(code, policy.id, "not_eligible", [], [term])
    return Progress(code, policy.id, "in_progress", [], ["参加平台组织的线上职业培训"])


def progress_of(facts: WorkerFacts, policies: Sequence[Policy], as_of: date) -> list[Progress]:
    """The worker's progress under every programme of the policies of their city, pure."""
    own = [policy for policy in policies if policy.city == facts.city]
    proposed = {(p.program, p.policy_id) for p in rules.evaluate_worker(facts, own, as_of)}
    found = []
    for policy in own:
        for program in policy.programs:
            if program.code == platform_service.CODE:
                found.append(_platform_service(facts, policy, as_of, proposed))
            elif program.code == social_insurance.CODE:
                found.append(_social_insurance(facts, policy, as_of))
            else:
                found.append(_other(facts, program.code, policy, as_of))
    return found


def _facts_of(worker_id: int, city: str) -> tuple[WorkerFacts, date] | None:
    """The worker's facts as the evaluation reads them, and today in their city."""
    place = catalogue.find(city)
    if place is None:
        return None
    data = gather(city, place.timezone, [worker_id])
    if worker_id not in data.profiles:
        return None
    return data.facts(worker_id), place.today()


def my_progress(user: User) -> list[dict[str, Any]]:
    """The calling worker's progress towards each subsidy of their city (404: no profile)."""
    worker = my_profile(user)
    found = _facts_of(worker.id, worker.city)
    if found is None:
        return []
    facts, today = found
    return [item.as_dict() for item in progress_of(facts, versions.published(worker.city), today)]


@dataclass(frozen=True)
class Gap:
    """Income a worker still needs in a month to reach the next threshold there."""

    month: Month
    amount: Decimal


def runway_gap(worker_id: int, city: str) -> Gap | None:
    """The nearest month in which the worker still needs income, and how much (None: none).

    Only the worker's own recommendations read it (``matching.services``).
    """
    found = _facts_of(worker_id, city)
    if found is None:
        return None
    facts, today = found
    gaps = [
        Gap(item.next_threshold.month, item.gap)
        for item in progress_of(facts, versions.published(city), today)
        if item.next_threshold is not None and item.gap is not None and item.gap > 0
    ]
    return min(gaps, key=lambda gap: (gap.month, gap.amount), default=None)
