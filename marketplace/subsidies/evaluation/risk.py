"""Risk signals: what an official should look at before approving a flag.

A signal is not a verdict — the rules already say the flag is due — but a pattern that fraud or a
data error would leave: income with no attendance behind it, income from one employer only, hours
no one works, group dates entered after the income they unlock, check-ins far from the shift.
Each signal is ``"<code>: <说明>"``: a stable code to filter on, and a sentence for the official.
The thresholds are the platform's, not a policy's, so they live here rather than in policies/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from marketplace.cities import catalogue
from marketplace.clock import local_date
from marketplace.common.months import Month, months_between
from marketplace.subsidies.rules.facts import FlagProposal
from marketplace.workers import group_statuses

NO_ATTENDANCE = "no_attendance"
SINGLE_EMPLOYER = "single_employer"
IMPLAUSIBLE_HOURS = "implausible_hours"
GROUP_ENTERED_LATE = "group_entered_late"
FAR_CHECK_IN = "far_check_in"
NO_LONGER_PROPOSED = "no_longer_proposed"
TOKEN_INCOME = "token_income"  # noqa: S105 — a signal's code, not a secret
STABLE_BEFORE_GROUP = "stable_before_group"
GROUP_UNVERIFIED = "group_unverified"
CODES = (
    NO_ATTENDANCE,
    SINGLE_EMPLOYER,
    IMPLAUSIBLE_HOURS,
    GROUP_ENTERED_LATE,
    FAR_CHECK_IN,
    NO_LONGER_PROPOSED,
    TOKEN_INCOME,
    STABLE_BEFORE_GROUP,
    GROUP_UNVERIFIED,
)
NO_RISK = "none"  # what the officials' filter calls "no signal at all"
NAMES = {
    NO_ATTENDANCE: "收入无考勤",
    SINGLE_EMPLOYER: "收入集中于单一用工单位",
    IMPLAUSIBLE_HOURS: "工时不合常理",
    GROUP_ENTERED_LATE: "群体日期补录",
    FAR_CHECK_IN: "签到位置偏远",
    NO_LONGER_PROPOSED: "规则已不再得出",
    TOKEN_INCOME: "收入微薄",
    STABLE_BEFORE_GROUP: "此前已稳定收入",
    GROUP_UNVERIFIED: "群体状态未核验",
}

SINGLE_EMPLOYER_SHARE = Decimal("0.8")  # more than this share of the income from one employer
MAX_HOURS_A_DAY = Decimal(16)
MAX_HOURS_A_MONTH = Decimal(300)
MAX_CHECK_DISTANCE_M = 500.0  # the check-in radius of API.md
TOKEN_INCOME_HOURS = 8  # POLICIES.md: below one day's pay at the hourly minimum wage

GROUP_FIELDS = {
    "difficulty": "difficulty_certified_on",
    "unemployed": "unemployment_registered_on",
    "graduate": "graduated_on",
}
FIELD_NAMES = {
    "difficulty_certified_on": "就业困难人员认定日期",
    "unemployment_registered_on": "失业登记日期",
    "graduated_on": "毕业日期",
}
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MonthActivity:
    """What stands behind a worker's earnings of one month: hours, attendance, distances."""

    hours: Decimal = ZERO
    imported: Decimal = ZERO  # imported income: no booking, so no attendance record at all
    unattended: Decimal = ZERO  # booking income whose booking lacks a check-in or a check-out
    far_checks: int = 0  # check-ins or check-outs recorded beyond MAX_CHECK_DISTANCE_M
    farthest_m: float | None = None


@dataclass(frozen=True)
class GroupEntry:
    """The latest change of a group date: its new value and when it was entered."""

    value: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class RiskFacts:
    """What the signals read about one worker (gathered set-based, like the rules' facts)."""

    timezone: str
    city: str = ""  # the worker's city: its minimum wages are the bars of two signals
    income: Mapping[Month, Decimal] = field(default_factory=dict)  # platform income, as the rules
    months: Mapping[Month, MonthActivity] = field(default_factory=dict)  # only months of note
    employers: Mapping[Month, Mapping[int, Decimal]] = field(default_factory=dict)
    long_days: Mapping[Month, Sequence[tuple[date, Decimal]]] = field(default_factory=dict)
    group_entries: Mapping[str, GroupEntry] = field(default_factory=dict)
    unverified: Mapping[str, date] = field(default_factory=dict)  # declared statuses, by group
    # The city's minimum wages as the evaluation read them; None: the catalogue file's.
    minimum_wages: Sequence[catalogue.MinimumWage] | None = None

    def wage_on(self, day: date) -> catalogue.MinimumWage | None:
        """The city's minimum wage in force on ``day``."""
        wages = self.minimum_wages
        if wages is None:
            place = catalogue.find(self.city)
            wages = place.minimum_wages if place else ()
        return catalogue.wage_on(wages, day)


def _months(proposal: FlagProposal) -> list[Month]:
    if proposal.period_start is None or proposal.period_end is None:
        return []
    return list(months_between(proposal.period_start, proposal.period_end))


def _span(months: list[Month]) -> str:
    return str(months[0]) if len(months) == 1 else f"{months[0]} … {months[-1]}"


def no_attendance(months: list[Month], facts: RiskFacts) -> str | None:
    """Income of the flag's months that no check-in and check-out stands behind."""
    activity = [facts.months.get(month, MonthActivity()) for month in months]
    imported = sum((a.imported for a in activity), ZERO)
    unattended = sum((a.unattended for a in activity), ZERO)
    if imported + unattended <= 0:
        return None
    income = sum((facts.income.get(month, ZERO) for month in months), ZERO)
    return (
        f"{NO_ATTENDANCE}: {_span(months)} 的收入 {income} 元中 {imported + unattended} 元"
        f"没有考勤记录（导入收入 {imported} 元，缺少签到或签退的预约 {unattended} 元）"
    )


def single_employer(months: list[Month], facts: RiskFacts) -> str | None:
    """More than SINGLE_EMPLOYER_SHARE of the months' income from one employer."""
    income = sum((facts.income.get(month, ZERO) for month in months), ZERO)
    by_employer: dict[int, Decimal] = {}
    for month in months:
        for employer_id, amount in facts.employers.get(month, {}).items():
            by_employer[employer_id] = by_employer.get(employer_id, ZERO) + amount
    if income <= 0 or not by_employer:
        return None
    employer_id, top = max(by_employer.items(), key=lambda item: (item[1], -item[0]))
    if top <= income * SINGLE_EMPLOYER_SHARE:
        return None
    share = (top * 100 / income).quantize(Decimal(1))
    return (
        f"{SINGLE_EMPLOYER}: {_span(months)} 的收入 {income} 元中 {top} 元（{share}%）"
        f"来自同一雇主（雇主编号 {employer_id}），超过 {SINGLE_EMPLOYER_SHARE:.0%}"
    )


def implausible_hours(months: list[Month], facts: RiskFacts) -> str | None:
    """More than MAX_HOURS_A_DAY hours in a day or MAX_HOURS_A_MONTH hours in a month."""
    found = []
    for month in months:
        hours = facts.months.get(month, MonthActivity()).hours
        if hours > MAX_HOURS_A_MONTH:
            found.append(f"{month} 共 {hours} 小时（> {MAX_HOURS_A_MONTH}）")
        found.extend(
            f"{day.isoformat()} 共 {day_hours} 小时（> {MAX_HOURS_A_DAY}）"
            for day, day_hours in facts.long_days.get(month, ())
            if day_hours > MAX_HOURS_A_DAY
        )
    if not found:
        return None
    return f"{IMPLAUSIBLE_HOURS}: 工时不合常理：{'；'.join(found)}"


def group_entered_late(proposal: FlagProposal, months: list[Month], facts: RiskFacts) -> str | None:
    """A group date the flag rests on, entered after the first income month it unlocks ended."""
    fields = []
    if proposal.evidence.get("group") in GROUP_FIELDS:
        fields.append(GROUP_FIELDS[proposal.evidence["group"]])
    if proposal.evidence.get("unemployment_registered_on"):
        fields.append("unemployment_registered_on")
    found = []
    for name in dict.fromkeys(fields):
        entry = facts.group_entries.get(name)
        if entry is None or entry.value is None:
            continue  # no record of when it was entered: nothing to compare
        entered_on = local_date(entry.recorded_at, facts.timezone)
        if entered_on > months[0].last_day:
            found.append(
                f"{FIELD_NAMES[name]} {entry.value} 于 {entered_on.isoformat()} 录入，"
                f"晚于其计入的收入月 {months[0]}"
            )
    if not found:
        return None
    return f"{GROUP_ENTERED_LATE}: {'；'.join(found)}"


def far_check_in(months: list[Month], facts: RiskFacts) -> str | None:
    """Check-ins or check-outs recorded more than MAX_CHECK_DISTANCE_M from the shift."""
    activity = [facts.months.get(month, MonthActivity()) for month in months]
    count = sum(a.far_checks for a in activity)
    if count == 0:
        return None
    farthest = max((a.farthest_m for a in activity if a.farthest_m is not None), default=0.0)
    return (
        f"{FAR_CHECK_IN}: {_span(months)} 有 {count} 次签到或签退距班次地点超过 "
        f"{MAX_CHECK_DISTANCE_M:.0f} 米（最远 {farthest:.0f} 米）"
    )


def token_income(months: list[Month], facts: RiskFacts) -> str | None:
    """A month the flag rests on whose platform income is below one day's pay at the hourly
    minimum wage (TOKEN_INCOME_HOURS × hourly): premiums paid, hardly any work behind them."""
    found = []
    for month in months:
        wage = facts.wage_on(month.first_day)
        if wage is None:
            continue
        bar = wage.hourly * TOKEN_INCOME_HOURS
        income = facts.income.get(month, ZERO)
        if income < bar:
            found.append(
                f"{month} 收入 {income} 元，不足一天的最低工资"
                f"（{TOKEN_INCOME_HOURS} × {wage.hourly} = {bar} 元）"
            )
    if not found:
        return None
    return f"{TOKEN_INCOME}: {'；'.join(found)}"


def stable_before_group(
    proposal: FlagProposal, months: list[Month], facts: RiskFacts
) -> str | None:
    """A platform_service run whose month before was already a stable-income month (at the
    monthly minimum wage, the policies' reading of the bar): the worker may not have needed
    the platform's help."""
    if proposal.program != "platform_service" or not months:
        return None
    before = months[0] - 1
    wage = facts.wage_on(before.first_day)
    income = facts.income.get(before, ZERO)
    if wage is None or income < wage.monthly:
        return None
    return (
        f"{STABLE_BEFORE_GROUP}: 连续稳定收入之前的 {before} 收入已达 {income} 元"
        f"（不低于当月最低工资 {wage.monthly} 元），此人可能并不需要平台帮助实现就业"
    )


GROUP_NAMES = group_statuses.NAMES


def groups_of(evidence: Mapping[str, object]) -> list[str]:
    """The groups a flag rests on, as its evidence names them: its group, and the unemployment
    registration a policy asks for besides (西宁)."""
    groups = []
    if evidence.get("group") in GROUP_NAMES:
        groups.append(str(evidence["group"]))
    if evidence.get("unemployment_registered_on"):
        groups.append("unemployed")
    return list(dict.fromkeys(groups))


def group_unverified(proposal: FlagProposal, facts: RiskFacts) -> str | None:
    """A status the flag rests on is only declared: it cannot be approved until verified."""
    found = [
        f"{GROUP_NAMES[group]}（{facts.unverified[group]}）"
        for group in groups_of(proposal.evidence)
        if group in facts.unverified
    ]
    if not found:
        return None
    return (
        f"{GROUP_UNVERIFIED}: {'、'.join(found)} 仅为本人申报，尚未经经办人员核验；核验前不能批准"
    )


def signals(proposal: FlagProposal, facts: RiskFacts) -> list[str]:
    """The risk signals of a proposed flag, over the months of its period (none without one)."""
    months = _months(proposal)
    if not months:
        return []  # a training flag rests on a training record, not on months of income
    found = [
        no_attendance(months, facts),
        single_employer(months, facts),
        implausible_hours(months, facts),
        group_entered_late(proposal, months, facts),
        far_check_in(months, facts),
        token_income(months, facts),
        stable_before_group(proposal, months, facts),
        group_unverified(proposal, facts),
    ]
    return [signal for signal in found if signal is not None]


def no_longer_proposed(as_of: date) -> str:
    """The signal of a pending flag that the rules no longer propose on the current data."""
    return (
        f"{NO_LONGER_PROPOSED}: 按 {as_of.isoformat()} 的数据，规则已不再得出此标记"
        "（收入、缴费、培训或群体日期已变更），请核实后再决定"
    )


def code_of(signal: str) -> str:
    """The code of a signal string."""
    return signal.split(":", 1)[0]
