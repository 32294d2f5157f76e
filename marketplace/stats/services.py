"""The month's figures of a city, all computed by SQL aggregates.

Active workers are the city's workers whose platform income of the month (every earning of the
month, from bookings or imported — POLICIES.md "Platform income") is above zero; every figure
is over them. Money and hours are summed as the integers they are stored as, so totals are exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, select

from marketplace.audit import services as audit
from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.cities import catalogue, wages
from marketplace.common import spreadsheets
from marketplace.common.months import Month, months_between
from marketplace.common.spreadsheets import ExportFile
from marketplace.database import stored_integer
from marketplace.earnings.models import Contribution, Earning
from marketplace.errors import Forbidden, Invalid, field_error
from marketplace.extensions import db
from marketplace.jobs.cover import covered
from marketplace.jobs.models import Job, Shift
from marketplace.subsidies.rules import priority
from marketplace.workers import group_statuses
from marketplace.workers.models import Worker

HUNDRED = Decimal(100)
GROUP_NAMES = {
    "unemployed": "失业人员",
    "difficulty": "就业困难人员",
    "graduate": "离校2年内高校毕业生",
    "veteran": "退役军人",
    "migrant_worker": "农民工",
    "women": "女性",
}
UNKNOWN_DISTRICT = "未填写"


def require_city_reader(user: User, city: str) -> None:
    """Officials read their own city's figures; admins any city's."""
    if catalogue.find(city) is None:
        raise Invalid("unknown city", field_error("query", "city", "not a city of the platform"))
    if user.role == "official" and user.city != city:
        raise Forbidden("officials see the figures of their own city only")


def _hundredths(value: int | None) -> Decimal:
    return (Decimal(value or 0) / HUNDRED).quantize(Decimal("0.01"))


def active_workers(city: str, month: Month) -> Any:
    """A subquery: each active worker of the month with its hours and income (hundredths)."""
    return (
        select(
            Earning.worker_id.label("worker_id"),
            func.sum(stored_integer(Earning.hours)).label("hours"),
            func.sum(stored_integer(Earning.amount)).label("income"),
        )
        .join(Worker, Worker.id == Earning.worker_id)
        .where(Earning.month == str(month), Worker.city == city)
        .group_by(Earning.worker_id)
        .having(func.sum(stored_integer(Earning.amount)) > 0)
        .subquery()
    )


def _group_conditions(city: str, month: Month) -> dict[str, Any]:
    last_day = month.last_day
    # A graduate counts as one for as long as the city's policy gives graduates the priority.
    window = priority.terms(city, last_day).graduate_window_months
    return {
        "unemployed": group_statuses.held_in("unemployed", month),
        "difficulty": group_statuses.held_in("difficulty", month),
        "graduate": and_(
            group_statuses.held_in("graduate", month),
            Worker.graduated_on >= (month - window).first_day,
        ),
        "veteran": Worker.veteran.is_(True),
        "migrant_worker": Worker.migrant_worker.is_(True),
        "women": Worker.gender == "female",
    }


def new_urban_employment(place: catalogue.City, month: Month) -> int | None:
    """新增就业 in ``month`` (无锡 第四条, POLICIES.md): the workers for whom it is the first month
    of the calendar year whose platform income reached that month's monthly minimum wage and
    that has premiums paid — each person counted once a year. None where the city's document
    has no such count (西宁).
    """
    if not place.counts_new_urban_employment:
        return None
    months = list(months_between(Month(month.year, 1), month))
    table = wages.minimum_wages(place.code)
    # Each month's own bar: the monthly minimum wage in force on its first day, in fen.
    bars = {
        str(m): int(wage.monthly * HUNDRED)
        if (wage := catalogue.wage_on(table, m.first_day))
        else 0
        for m in months
    }
    income = (
        select(
            Earning.worker_id.label("worker_id"),
            Earning.month.label("month"),
            func.sum(stored_integer(Earning.amount)).label("income"),
        )
        .join(Worker, Worker.id == Earning.worker_id)
        .where(Earning.month.in_(list(bars)), Worker.city == place.code)
        .group_by(Earning.worker_id, Earning.month)
        .subquery()
    )
    bar = case(bars, value=income.c.month, else_=0)
    paid_premiums = exists().where(
        Contribution.worker_id == income.c.worker_id,
        Contribution.month == income.c.month,
        stored_integer(Contribution.pension) + stored_integer(Contribution.medical) > 0,
    )
    first_months = (
        select(income.c.worker_id, func.min(income.c.month).label("first"))
        .where(income.c.income >= bar, paid_premiums)
        .group_by(income.c.worker_id)
        .subquery()
    )
    counted = (
        select(func.count()).select_from(first_months).where(first_months.c.first == str(month))
    )
    return db.session.scalar(counted) or 0


def _figures(workers: int | None, hours: int | None, income: int | None) -> dict[str, Any]:
    return {"workers": workers or 0, "hours": _hundredths(hours), "income": _hundredths(income)}


def _median(active: Any, count: int) -> Decimal:
    if count == 0:
        return Decimal("0.00")
    middle = db.session.scalars(
        select(active.c.income)
        .order_by(active.c.income)
        .offset((count - 1) // 2)
        .limit(1 if count % 2 else 2)
    ).all()
    return (Decimal(sum(middle)) / len(middle) / HUNDRED).quantize(Decimal("0.01"))


def injury_cover_hours(city: str, active: Any, month: Month) -> tuple[Decimal, Decimal]:
    """The hours of the month's booking earnings (of ``active`` workers) whose job had injury
    cover valid on the shift's day, and those without (无锡 第八条); imported income has no job
    and is in neither.

    The database sums the hours by cover end and shift start; whether each start falls on or
    before its cover's last day, in the city's time, is decided by ``jobs.cover.covered`` — the
    rule the shift and the search answer with.
    """
    rows = db.session.execute(
        select(
            Job.injury_valid_to,
            Booking.starts_at,
            func.sum(stored_integer(Earning.hours)).label("hours"),
        )
        .join(active, active.c.worker_id == Earning.worker_id)
        .join(Booking, Booking.id == Earning.booking_id)
        .join(Shift, Shift.id == Booking.shift_id)
        .join(Job, Job.id == Shift.job_id)
        .where(Earning.month == str(month))
        .group_by(Job.injury_valid_to, Booking.starts_at)
    )
    covered_hours, uncovered_hours = 0, 0
    for valid_to, starts_at, hours in rows:
        if covered(valid_to, starts_at, city):
            covered_hours += hours or 0
        else:
            uncovered_hours += hours or 0
    return _hundredths(covered_hours), _hundredths(uncovered_hours)


def monthly(city: str, month: Month) -> dict[str, Any]:
    """The figures of ``city`` in ``month`` (API.md "Statistics")."""
    place = catalogue.find(city)
    assert place is not None
    active = active_workers(city, month)
    joined = select().select_from(active).join(Worker, Worker.id == active.c.worker_id)

    count, hours, income = db.session.execute(
        joined.add_columns(func.count(), func.sum(active.c.hours), func.sum(active.c.income))
    ).one()

    groups = _group_conditions(city, month)
    columns = []
    for condition in groups.values():
        columns += [
            func.sum(case((condition, 1), else_=0)),
            func.sum(case((condition, active.c.hours), else_=0)),
            func.sum(case((condition, active.c.income), else_=0)),
        ]
    sums = db.session.execute(joined.add_columns(*columns)).one()
    by_group = {name: _figures(*sums[3 * i : 3 * i + 3]) for i, name in enumerate(groups)}

    district = func.coalesce(Worker.district, literal(UNKNOWN_DISTRICT))
    by_district = {
        row.district: _figures(row.workers, row.hours, row.income)
        for row in db.session.execute(
            joined.add_columns(
                district.label("district"),
                func.count().label("workers"),
                func.sum(active.c.hours).label("hours"),
                func.sum(active.c.income).label("income"),
            ).group_by(district)
        )
    }

    by_category = {
        row.category: _figures(row.workers, row.hours, row.income)
        for row in db.session.execute(
            select(
                Job.category.label("category"),
                func.count(func.distinct(Earning.worker_id)).label("workers"),
                func.sum(stored_integer(Earning.hours)).label("hours"),
                func.sum(stored_integer(Earning.amount)).label("income"),
            )
            .join(active, active.c.worker_id == Earning.worker_id)
            .join(Booking, Booking.id == Earning.booking_id)
            .join(Shift, Shift.id == Booking.shift_id)
            .join(Job, Job.id == Shift.job_id)
            .where(Earning.month == str(month))
            .group_by(Job.category)
        )
    }

    newly_employed = new_urban_employment(place, month)
    covered_hours, uncovered_hours = injury_cover_hours(city, active, month)
    return {
        "month": str(month),
        "city": city,
        "active_workers": count or 0,
        "hours": _hundredths(hours),
        "income_total": _hundredths(income),
        "income_median": _median(active, count or 0),
        "new_urban_employment": newly_employed,
        "covered_hours": covered_hours,
        "uncovered_hours": uncovered_hours,
        "by_group": by_group,
        "by_district": by_district,
        "by_category": by_category,
    }


def trend(city: str, last: Month, count: int = 12) -> list[dict[str, Any]]:
    """Active workers, hours and income of ``city`` in each of the ``count`` months to ``last``.

    One grouped query: each worker's month is summed first, so that "active" means the same as
    in ``monthly`` (income above zero), then the months are summed. Months without any active
    worker are listed with zeros, so a chart has a bar (of height 0) for every month.
    """
    first = last - (count - 1)
    per_worker = (
        select(
            Earning.month.label("month"),
            func.sum(stored_integer(Earning.hours)).label("hours"),
            func.sum(stored_integer(Earning.amount)).label("income"),
        )
        .join(Worker, Worker.id == Earning.worker_id)
        .where(Worker.city == city, Earning.month >= str(first), Earning.month <= str(last))
        .group_by(Earning.month, Earning.worker_id)
        .having(func.sum(stored_integer(Earning.amount)) > 0)
        .subquery()
    )
    found = {
        row.month: row
        for row in db.session.execute(
            select(
                per_worker.c.month,
                func.count().label("workers"),
                func.sum(per_worker.c.hours).label("hours"),
                func.sum(per_worker.c.income).label("income"),
            ).group_by(per_worker.c.month)
        )
    }
    series = []
    for offset in range(count):
        month = str(first + offset)
        row = found.get(month)
        series.append(
            {
                "month": month,
                "active_workers": row.workers if row else 0,
                "hours": _hundredths(row.hours if row else None),
                "income": _hundredths(row.income if row else None),
            }
        )
    return series


WORKER_EXPORT_HEADERS = (
    "劳动者编号",
    "姓名",
    "身份证号码（脱敏）",
    "联系电话",
    "工作时长（小时）",
    "劳动收入（元）",
    "工作地点",
    "用工单位数",
)


def worker_rows(city: str, month: Month) -> list[list[Any]]:
    """One row per active worker of the month: what 无锡 article 四 asks platforms to collect.

    Hours, income, where they worked (the districts and addresses of their shifts; imported
    income by its source) and how many employers they worked for, with a contact phone.
    """
    from marketplace.auth.models import User as Account

    active = active_workers(city, month)
    people = db.session.execute(
        select(
            Worker.id,
            Worker.name,
            Worker.id_number_masked,
            Account.phone,
            active.c.hours,
            active.c.income,
        )
        .join(active, active.c.worker_id == Worker.id)
        .join(Account, Account.id == Worker.user_id)
        .order_by(Worker.id)
    ).all()
    places: dict[int, list[str]] = {}
    employers: dict[int, set[int]] = {}
    for row in db.session.execute(
        select(Earning.worker_id, Earning.employer_id, Earning.source, Job.district, Job.address)
        .join(active, active.c.worker_id == Earning.worker_id)
        .outerjoin(Booking, Booking.id == Earning.booking_id)
        .outerjoin(Shift, Shift.id == Booking.shift_id)
        .outerjoin(Job, Job.id == Shift.job_id)
        .where(Earning.month == str(month))
        .order_by(Earning.id)
    ):
        if row.address is None:
            where = f"导入收入（{row.source}）"
        elif row.district and row.district not in row.address:
            where = f"{row.district}{row.address}"
        else:
            where = row.address
        if where not in places.setdefault(row.worker_id, []):
            places[row.worker_id].append(where)
        if row.employer_id is not None:
            employers.setdefault(row.worker_id, set()).add(row.employer_id)
    return [
        [
            person.id,
            person.name,
            person.id_number_masked,
            person.phone,
            _hundredths(person.hours),
            _hundredths(person.income),
            "；".join(places.get(person.id, [])),
            len(employers.get(person.id, set())),
        ]
        for person in people
    ]


def export_workers(user: User, city: str, month: Month, file_format: str) -> ExportFile:
    """The month's active workers of ``city`` as a ``csv`` or ``xlsx`` file (无锡 第四条).

    Only for a reader of the city's figures; the download is audited.
    """
    require_city_reader(user, city)
    exported = spreadsheets.write(
        file_format,
        "灵活就业人员",
        WORKER_EXPORT_HEADERS,
        worker_rows(city, month),
        f"workers-{city}-{month}",
    )
    filters = {"city": city, "month": str(month)}
    audit.record_export(
        "active_workers", file_format, filters, exported.rows, actor_id=user.id, city=city
    )
    return exported
