"""社会保险补贴 for flexible workers (无锡 article 二, 西宁 article 18; 财社〔2017〕164号).

POLICIES.md "social_insurance": a *difficulty* worker, or a *graduate* whose first income month in
or after graduation is no later than G+24, has a period for each of these groups: it starts with
the first month of platform income in or after the group's month (西宁: also after the
unemployment-registration month) and lasts 36 (difficulty) or 24 (graduate) months. A month inside
both periods is subsidised once, under difficulty; a month inside the graduate period only stays a
graduate month, so a later certification never takes graduate months away. 无锡 extends a
difficulty period by 12 months, once, when its last 6 months are not all stable-income months.
Each month of a period that is over, counts for the policy and has a recorded premium gives one
flag: 2/3 of pension + medical, rounded to the fen.
A policy without the extension parameters (西宁) has no extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from marketplace.common.months import Month, months_between
from marketplace.subsidies.policy.catalogue import Policy, Program
from marketplace.subsidies.rules.facts import (
    EmploymentRegistration,
    FlagProposal,
    Premium,
    WorkerFacts,
)
from marketplace.subsidies.rules.programs import _shared

CODE = "social_insurance"
NAME = "社会保险补贴"
EXTENSION = frozenset(
    {"extension_months", "max_extensions", "extension_test_months", "stable_income_threshold"}
)
PARAMETERS = {
    "requires_unemployment_registration": "boolean",
    "requires_employment_registration": "boolean",
    "graduate_window_months": "months",
    "period_months_difficulty": "months",
    "period_months_graduate": "months",
    "extension_months": "months",
    "max_extensions": "count",
    "extension_test_months": "months",
    "stable_income_threshold": "reference",
    "subsidy_rate": "fraction",
    "rounding": "rounding",
    "rounding_step": "CNY",
}
OPTIONAL_PARAMETER_GROUPS: tuple[frozenset[str], ...] = (EXTENSION,)

GROUP_NAMES = {"difficulty": "就业困难人员", "graduate": "离校2年内高校毕业生"}


@dataclass(frozen=True)
class Extension:
    """Months added to a period because its last months were not all stable."""

    start: Month
    end: Month
    tested: tuple[Month, ...]  # the months tested at the end of the period before it
    unstable: tuple[Month, ...]  # those of them that were not stable-income months


@dataclass(frozen=True)
class Period:
    """A worker's subsidy period, with the day whose parameter values define it."""

    group: str
    group_date: date
    rules_day: date
    start: Month
    end: Month  # the end of the period before any extension
    extensions: tuple[Extension, ...]
    until: Month | None = None  # the group's status ended this month: no month after it counts
    registration: EmploymentRegistration | None = None  # the one the period rests on (西宁)

    def extension_of(self, month: Month) -> Extension | None:
        """The extension that ``month`` belongs to, or None for a month of the period proper."""
        return next((e for e in self.extensions if e.start <= month <= e.end), None)

    @property
    def last(self) -> Month:
        """The last month of the period including its extensions."""
        return self.extensions[-1].end if self.extensions else self.end


# The forms of employment registration 西宁 第十八条 asks for: flexible work, or one's own.
REGISTRATION_FORMS = ("flexible", "self_employed")
FORM_NAMES = {"flexible": "灵活就业", "self_employed": "自主创业", "employed": "单位就业"}


def registration_after(facts: WorkerFacts, registered: date) -> EmploymentRegistration | None:
    """The first standing registration of flexible work or one's own, on or after ``registered``
    (the unemployment registration): 失业登记后实现灵活就业并办理就业登记."""
    return next(
        (
            r
            for r in facts.employment_registrations
            if r.form in REGISTRATION_FORMS and r.started_on >= registered
        ),
        None,
    )


def _periods(facts: WorkerFacts, policy: Policy, program: Program, as_of: date) -> list[Period]:
    """The worker's periods under ``policy``, difficulty's first: each group has its own."""
    groups = (("difficulty", facts.difficulty_certified_on), ("graduate", facts.graduated_on))
    found = (
        _period(facts, policy, program, as_of, group, group_date)
        for group, group_date in groups
        if group_date is not None
    )
    return [period for period in found if period is not None]


def periods(facts: WorkerFacts, policy: Policy, as_of: date) -> list[Period]:
    """The worker's periods under ``policy`` as the rule finds them (none: no such programme).

    The rule's own reading, for the worker's progress (``subsidies.progress``).
    """
    program = policy.program(CODE)
    if program is None or facts.city != policy.city:
        return []
    return _periods(facts, policy, program, as_of)


def _period(
    facts: WorkerFacts, policy: Policy, program: Program, as_of: date, group: str, group_date: date
) -> Period | None:
    """The worker's period of ``group`` as far as it is decided on ``as_of``, or None."""
    group_month = Month.of(group_date)
    # The period's rules are those in force when the group began to count (or the policy's first).
    day = policy.reading_day(group_month.last_day)
    since = group_month
    ended = facts.group_ends.get(group)
    until = Month.of(ended) if ended else None
    registration = None
    if program.flag("requires_unemployment_registration", day):
        if facts.unemployment_registered_on is None:
            return None
        if program.flag("requires_employment_registration", day):
            registration = registration_after(facts, facts.unemployment_registered_on)
            if registration is None:
                return None
            since = max(since, Month.of(registration.started_on))
            if registration.ended_on is not None:
                end_month = Month.of(registration.ended_on)
                until = end_month if until is None else min(until, end_month)
        else:
            since = max(since, Month.of(facts.unemployment_registered_on) + 1)
    start = _shared.first_income_month(facts, since)
    if start is None:
        return None
    if group == "graduate" and start > group_month + program.count("graduate_window_months", day):
        return None
    end = start + program.count(f"period_months_{group}", day) - 1
    extensions: list[Extension] = []
    if group == "difficulty" and program.has("extension_months"):
        last = end
        for _ in range(program.count("max_extensions", day)):
            if not _shared.is_over(last, as_of):
                break  # undecided until the period's last month is over
            tested = tuple(
                months_between(last - program.count("extension_test_months", day) + 1, last)
            )
            unstable = tuple(m for m in tested if not _shared.is_stable(facts, policy, program, m))
            if not unstable:
                break  # stable employment at the end of the period: no extension
            added = program.count("extension_months", day)
            extensions.append(Extension(last + 1, last + added, tested, unstable))
            last = last + added
    return Period(group, group_date, day, start, end, tuple(extensions), until, registration)


def _describe_period(
    facts: WorkerFacts, policy: Policy, program: Program, period: Period
) -> list[str]:
    """Explanation lines shared by every month of the period."""
    day = period.rules_day
    group_month = Month.of(period.group_date)
    lines = [
        f"规则：{policy.document_number} {program.rule} {NAME}（付给个人）："
        "按个人缴纳的养老、医疗保险费给予补贴",
        f"群体：{GROUP_NAMES[period.group]}（{period.group_date}，自 {group_month} 起计"
        + (f"，至 {period.until} 止" if period.until else "")
        + "）",
    ]
    if period.group == "graduate":
        window = program.count("graduate_window_months", day)
        lines.append(
            f"首个收入月 {period.start} 不晚于 {group_month + window}"
            f"（离校当月 {group_month} 后第 {window} 个月）；"
            + _shared.note(program, "graduate_window_months", day)
        )
    if program.flag("requires_unemployment_registration", day):
        registered = facts.unemployment_registered_on
        if period.registration is not None:
            registration = period.registration
            ended = f"，至 {registration.ended_on} 止" if registration.ended_on else ""
            lines.append(
                f"失业登记 {registered}；其后办理就业登记（{FORM_NAMES[registration.form]}，"
                f"{registration.started_on} 起{ended}，承诺制）："
                "期间自就业登记当月起的首个收入月起；"
                + _shared.note(program, "requires_employment_registration", day)
            )
        else:
            lines.append(
                f"失业登记 {registered}：期间自登记月之后的首个收入月起；"
                + _shared.note(program, "requires_unemployment_registration", day)
            )
    length = period.end - period.start + 1
    lines.append(
        f"补贴期限 {period.start} … {period.end}"
        f"（{length} 个月，自首个平台收入月 {period.start} 起）；"
        + _shared.note(program, f"period_months_{period.group}", day)
    )
    return lines


def _describe_extension(
    facts: WorkerFacts, policy: Policy, program: Program, period: Period, extension: Extension
) -> list[str]:
    day = period.rules_day
    return [
        *(_shared.stable_line(facts, policy, program, month) for month in extension.tested),
        _shared.note(program, "stable_income_threshold", day),
        f"延期 {extension.start} … {extension.end}："
        f"期末 {extension.tested[0]} … {extension.tested[-1]}"
        f" 中 {', '.join(str(m) for m in extension.unstable)} 不是稳定收入月；"
        + _shared.note(program, "extension_test_months", day),
        _shared.note(program, "extension_months", day),
        _shared.note(program, "max_extensions", day),
    ]


def _extension_evidence(
    facts: WorkerFacts, policy: Policy, program: Program, extension: Extension
) -> dict[str, Any]:
    return {
        "extension_start": str(extension.start),
        "extension_end": str(extension.end),
        "extension_test": [
            _shared.month_evidence(facts, policy, program, m) for m in extension.tested
        ],
    }


@dataclass(frozen=True)
class MonthSubsidy:
    """What the rule found for one month of a period: the premium and 2/3 of it."""

    period: Period  # the period the month is subsidised under (difficulty's when in both)
    month: Month
    premium: Premium
    rate: Fraction
    step: Decimal
    mode: str
    amount: Decimal
    extension: Extension | None  # the extension the month belongs to, if any

    @property
    def day(self) -> date:
        """The day whose parameter values apply: the month counts, so it has values."""
        return self.month.last_day


def _under(periods: list[Period], month: Month) -> Period | None:
    # The first period (difficulty's, when both) that holds the month.
    return next(
        (
            p
            for p in periods
            if p.start <= month <= p.last and (p.until is None or month <= p.until)
        ),
        None,
    )


def _rule(
    facts: WorkerFacts, policy: Policy, program: Program, periods: list[Period], as_of: date
) -> list[MonthSubsidy]:
    """The months of the periods that are over, count, have a premium and are not decided,
    each once, under the first period that holds it."""
    decided = facts.decided_keys(CODE, policy.id)
    found = []
    first = min(period.start for period in periods)
    last = max(period.last for period in periods)
    for month in months_between(first, last):
        period = _under(periods, month)
        if period is None:
            continue  # between two periods
        premium = facts.premiums.get(month)
        if not _shared.is_over(month, as_of):
            break
        if premium is None or not policy.month_counts(month) or str(month) in decided:
            continue
        day = month.last_day
        rate = program.fraction("subsidy_rate", day)
        step = program.money("rounding_step", day)
        mode = program.text("rounding", day)
        amount = _shared.round_money(Fraction(premium.total) * rate, step, mode)
        if amount <= 0:
            continue  # a premium of zero gives nothing to pay
        found.append(
            MonthSubsidy(
                period, month, premium, rate, step, mode, amount, period.extension_of(month)
            )
        )
    return found


def _registration(facts: WorkerFacts, program: Program, period: Period) -> date | None:
    """The worker's unemployment registration, when the policy asks for one."""
    if program.flag("requires_unemployment_registration", period.rules_day):
        return facts.unemployment_registered_on
    return None


def _evidence(
    facts: WorkerFacts,
    policy: Policy,
    program: Program,
    registered: date | None,
    subsidy: MonthSubsidy,
) -> dict[str, Any]:
    """The facts the month's flag rests on, as data."""
    period, extension, premium, money = (
        subsidy.period,
        subsidy.extension,
        subsidy.premium,
        _shared.money,
    )
    evidence: dict[str, Any] = {
        "group": period.group,
        "group_date": period.group_date.isoformat(),
        "period_start": str(period.start),
        "period_end": str(extension.end if extension else period.end),
        "in_extension": extension is not None,
        "month": str(subsidy.month),
        "pension": money(premium.pension),
        "medical": money(premium.medical),
        "premium_total": money(premium.total),
        "rate": str(subsidy.rate),
        "amount": money(subsidy.amount),
    }
    if registered is not None:
        evidence["unemployment_registered_on"] = registered.isoformat()
    if period.registration is not None:
        evidence["employment_registered_on"] = period.registration.started_on.isoformat()
    if extension is not None:
        evidence["base_period_end"] = str(period.end)
        evidence.update(_extension_evidence(facts, policy, program, extension))
    return evidence


def _explanation(
    facts: WorkerFacts,
    policy: Policy,
    program: Program,
    period_lines: list[str],
    subsidy: MonthSubsidy,
) -> list[str]:
    """Why the month's flag is due and how much, line by line, as the official reads it.

    ``period_lines`` describe the period (``_describe_period``), the same for every month.
    """
    month, premium, day, money = subsidy.month, subsidy.premium, subsidy.day, _shared.money
    lines = list(period_lines)
    if subsidy.extension is not None:
        lines += _describe_extension(facts, policy, program, subsidy.period, subsidy.extension)
    return [
        *lines,
        f"{month} 缴费：养老 {money(premium.pension)} + 医疗 {money(premium.medical)}"
        f" = {money(premium.total)}；× {subsidy.rate} → {money(subsidy.amount)}"
        f"（{_shared.rounded(subsidy.mode, subsidy.step)}）",
        _shared.note(program, "subsidy_rate", day),
        _shared.note(program, "rounding", day),
        f"{month} 已结束，且在政策有效期内（{policy.effective_from} 至 "
        f"{policy.effective_to or '无截止日期'}，以月末 {day} 计）",
    ]


def evaluate(facts: WorkerFacts, policy: Policy, as_of: date) -> list[FlagProposal]:
    """One flag per month of the worker's periods that is over, counts and has a premium."""
    program = policy.program(CODE)
    if program is None or facts.city != policy.city:
        return []
    periods = _periods(facts, policy, program, as_of)
    if not periods:
        return []
    # What every month's flag says of its period: worked out once a period, not once a month.
    period_lines = {p.group: _describe_period(facts, policy, program, p) for p in periods}
    registered = {p.group: _registration(facts, program, p) for p in periods}
    return [
        FlagProposal(
            program=CODE,
            policy_id=policy.id,
            beneficiary=program.beneficiary,
            key=str(subsidy.month),
            amount=subsidy.amount,
            period_start=subsidy.month,
            period_end=subsidy.month,
            evidence=_evidence(facts, policy, program, registered[subsidy.period.group], subsidy),
            explanation=_explanation(
                facts, policy, program, period_lines[subsidy.period.group], subsidy
            ),
        )
        for subsidy in _rule(facts, policy, program, periods, as_of)
    ]
