"""What each desk page shows, gathered from the domains' services (no request in here).

The desk is a view over the same services as the API: the flag list and decisions of
``subsidies.services``, the figures of ``stats.services``, a worker's months of
``earnings.services``. Officials see their own city only; admins every city, without deciding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings.models import STATUS_NAMES as BOOKING_STATUS_NAMES
from marketplace.bookings.models import Booking
from marketplace.cities import catalogue
from marketplace.common.months import Month, months_between
from marketplace.database import count_rows
from marketplace.desk import charts
from marketplace.earnings.services import MonthRecord, month_records
from marketplace.extensions import db
from marketplace.jobs.models import Job, Shift
from marketplace.stats import services as stats
from marketplace.subsidies import ledger
from marketplace.subsidies import services as subsidies
from marketplace.subsidies.evaluation import risk
from marketplace.subsidies.export import BENEFICIARY_NAMES, STATUS_NAMES
from marketplace.subsidies.models import SubsidyFlag
from marketplace.subsidies.policy import catalogue as policy_catalogue
from marketplace.subsidies.rules import programs
from marketplace.workers import employment, group_statuses
from marketplace.workers.models import GroupStatus, Worker

TABLE_MONTHS = 12  # months of income and premiums shown on a flag's page
RECENT_BOOKINGS = 20  # the worker's latest bookings shown on a flag's page
WORKER_MONTHS = 12  # the months of income and premiums on a worker's page


@dataclass(frozen=True)
class Signal:
    """A risk signal split for display: its code, its name and what it says."""

    code: str
    name: str
    text: str


def signals_of(flag: SubsidyFlag) -> list[Signal]:
    """The flag's risk signals, each with its Chinese name."""
    found = []
    for signal in flag.risk_signals:
        code = risk.code_of(signal)
        text = signal.split(":", 1)[1].strip() if ":" in signal else signal
        found.append(Signal(code, risk.NAMES.get(code, code), text))
    return found


@dataclass(frozen=True)
class QueueRow:
    """A line of the queue: the flag and whom it is for."""

    flag: SubsidyFlag
    worker_name: str
    id_number_masked: str

    @property
    def signals(self) -> list[Signal]:
        """The flag's risk signals."""
        return signals_of(self.flag)


@dataclass(frozen=True)
class Queue:
    """A page of the queue."""

    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def queue(user: User, filters: dict[str, Any], page: int, per_page: int) -> Queue:
    """A page of the flags ``user`` may see under ``filters``, oldest first."""
    query = subsidies.flag_query(user, filters)
    total = count_rows(query)
    pages = max(math.ceil(total / per_page), 1)
    page = min(page, pages)
    found = db.session.execute(
        query.add_columns(Worker.name, Worker.id_number_masked)
        .join(Worker, Worker.id == SubsidyFlag.worker_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [QueueRow(flag, name, masked) for flag, name, masked in found]
    return Queue(rows, total, page, pages)


@dataclass(frozen=True)
class BookingLine:
    """One of the worker's bookings, as the flag's page lists it."""

    id: int
    title: str
    starts_at: datetime
    status: str
    offered: bool
    expires_at: datetime | None
    hours: Decimal | None
    checkout_source: str | None
    attendance_reason: str | None


def recent_bookings(worker_id: int) -> list[BookingLine]:
    """The worker's latest bookings, offers the worker never accepted included.

    An official sees which work the worker chose, and which was only offered to them.
    """
    rows = db.session.execute(
        select(
            Booking.id,
            Job.title,
            Booking.starts_at,
            Booking.status,
            Booking.offered_by,
            Booking.expires_at,
            Booking.approved_hours,
            Booking.checkout_source,
            Booking.attendance_reason,
        )
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(Booking.worker_id == worker_id)
        .order_by(Booking.starts_at.desc(), Booking.id.desc())
        .limit(RECENT_BOOKINGS)
    ).all()
    return [
        BookingLine(
            row.id,
            row.title,
            row.starts_at,
            row.status,
            row.offered_by is not None,
            row.expires_at,
            row.approved_hours,
            row.checkout_source,
            row.attendance_reason,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class FlagPage:
    """A flag with its worker, the worker's months and whether the viewer may decide."""

    flag: SubsidyFlag
    worker: Worker
    months: list[MonthRecord]
    period: set[str]
    signals: list[Signal]
    may_decide: bool
    decided_by: str | None
    bookings: list[BookingLine]
    may_disburse: bool = False  # an official of the city, the flag approved and not yet paid
    today: str = ""  # today in the flag's city: the payment form's default day


def _table_months(flag: SubsidyFlag) -> tuple[Month, Month]:
    last = Month.parse(flag.period_end) if flag.period_end else None
    if last is None:
        completed = flag.evidence.get("completed_on")
        last = Month.parse(completed[:7]) if completed else Month.of(flag.evaluated_on)
    first = last - (TABLE_MONTHS - 1)
    if flag.period_start and Month.parse(flag.period_start) < first:
        first = Month.parse(flag.period_start)
    return first, last


def flag_page(user: User, flag_id: int) -> FlagPage:
    """Everything the flag's page shows; a flag ``user`` may not see is not found."""
    flag = subsidies.visible_flag(user, flag_id)
    worker = db.session.get(Worker, flag.worker_id)
    assert worker is not None  # a flag's worker is a foreign key
    first, last = _table_months(flag)
    period: set[str] = set()
    if flag.period_start and flag.period_end:
        months = months_between(Month.parse(flag.period_start), Month.parse(flag.period_end))
        period = set(map(str, months))
    decider = db.session.get(User, flag.decided_by) if flag.decided_by else None
    return FlagPage(
        flag=flag,
        worker=worker,
        months=month_records(worker.id, first, last),
        period=period,
        signals=signals_of(flag),
        may_decide=user.role == "official" and flag.status == "pending",
        decided_by=decider.phone if decider else None,
        bookings=recent_bookings(worker.id),
        may_disburse=user.role == "official"
        and flag.status == "approved"
        and flag.disbursed_on is None,
        today=str(place.today()) if (place := catalogue.find(flag.city)) else "",
    )


@dataclass
class StatsPage:
    """A city's month: the figures, the last twelve months and the charts."""

    city: str
    city_name: str
    month: str
    figures: dict[str, Any]
    trend: list[dict[str, Any]]
    charts: list[charts.Chart] = field(default_factory=list)
    groups: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def default_month(city: str) -> Month:
    """The last whole month in ``city``: the one whose figures no longer change."""
    place = catalogue.find(city)
    assert place is not None
    return Month.of(place.today()) - 1


def stats_page(user: User, city: str, month: Month) -> StatsPage:
    """The month's figures of ``city`` with charts (officials: their city only)."""
    stats.require_city_reader(user, city)
    place = catalogue.find(city)
    assert place is not None
    figures = stats.monthly(city, month)
    trend = stats.trend(city, month)
    groups = [(stats.GROUP_NAMES[code], value) for code, value in figures["by_group"].items()]
    districts = sorted(figures["by_district"].items(), key=lambda item: -item[1]["workers"])
    drawn = [
        charts.columns(
            "近12个月工作时长（小时）", [(p["month"][2:], p["hours"]) for p in trend], places=0
        ),
        charts.columns(
            "近12个月劳动收入（元）", [(p["month"][2:], p["income"]) for p in trend], places=0
        ),
        charts.bars("各群体人数", [(name, Decimal(v["workers"])) for name, v in groups]),
        charts.bars("各区县人数", [(name, Decimal(v["workers"])) for name, v in districts]),
    ]
    return StatsPage(city, place.name, str(month), figures, trend, drawn, groups)


def city_choices(user: User) -> list[tuple[str, str]]:
    """The cities ``user`` may look at: (code, name)."""
    codes = [user.city] if user.role == "official" and user.city else list(catalogue.codes())
    return [(code, place.name) for code in codes if (place := catalogue.find(code))]


def ledger_totals(found: ledger.Ledger) -> dict[str, dict[str, Any]]:
    """The ledger's buckets summed over its rows (a total line for the page)."""
    totals: dict[str, dict[str, Any]] = {
        bucket: {"count": 0, "amount": Decimal("0.00")} for bucket in ledger.BUCKETS
    }
    for row in found.rows:
        for bucket in ledger.BUCKETS:
            totals[bucket]["count"] += row[bucket]["count"]
            totals[bucket]["amount"] += row[bucket]["amount"]
    return totals


NAMES = {
    "booking_statuses": BOOKING_STATUS_NAMES,
    "programs": programs.names(),
    "policies": {policy.id: policy.document_number for policy in policy_catalogue.load_policies()},
    "statuses": STATUS_NAMES,
    "beneficiaries": BENEFICIARY_NAMES,
    "risks": risk.NAMES,
    "groups": group_statuses.NAMES,
    "status_states": {"declared": "本人申报", "verified": "已核验", "rejected": "已驳回"},
    "forms": {"flexible": "灵活就业", "employed": "单位就业", "self_employed": "自主创业"},
    "registration_states": {"registered": "已登记", "revoked": "已撤销"},
    "checkout_sources": {"worker": "本人签退", "auto": "系统按时签退", "employer": "用工单位补录"},
}


@dataclass
class WorkerPage:
    """A worker of the official's city: the profile, its group statuses and registrations."""

    worker: Worker
    statuses: list[Any]
    registrations: list[Any]
    may_check: bool  # an official of the worker's city (admins read only)
    today: str
    months: list[MonthRecord]
    bookings: list[BookingLine]
    period: set[str] = field(default_factory=set)  # no flag's period to mark here


def worker_page(user: User, worker_id: int) -> WorkerPage:
    """Everything the worker's page shows; a worker of another city is not found."""
    worker = group_statuses.readable_worker(user, worker_id)
    place = catalogue.find(worker.city)
    this_month = Month.of(place.today() if place else clock.today())
    return WorkerPage(
        worker=worker,
        statuses=group_statuses.statuses_of(worker.id),
        registrations=employment.mine(worker),
        may_check=user.role == "official" and user.city == worker.city,
        today=str(place.today()) if place else "",
        months=month_records(worker.id, this_month - (WORKER_MONTHS - 1), this_month),
        bookings=recent_bookings(worker.id),
    )


def declared_statuses(user: User) -> list[tuple[Any, Worker]]:
    """The statuses still to verify: the official's city's (an admin's: every city's)."""
    query = (
        select(GroupStatus, Worker)
        .join(Worker, Worker.id == GroupStatus.worker_id)
        .where(GroupStatus.status == "declared")
        .order_by(GroupStatus.id)
    )
    if user.role == "official":
        query = query.where(Worker.city == user.city)
    return [(status, worker) for status, worker in db.session.execute(query)]
