"""A small, hand-written demo data set for 无锡 and 西宁.

Every demo account has the password ``DEMO_PASSWORD``; the README lists the phones. Shifts are
placed in the days after the day the data is loaded, so the demo always has open work.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.bookings import attendance, crews, relations, reputation
from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking
from marketplace.brokers import delegations
from marketplace.brokers import services as brokers
from marketplace.common import geo
from marketplace.common.ids import make_credit_code, make_resident_id
from marketplace.common.months import Month
from marketplace.disputes import arrears
from marketplace.disputes import services as disputes
from marketplace.earnings import imports, pay
from marketplace.earnings.models import PLATFORM_SOURCE, Earning
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job, Shift
from marketplace.jobs.schemas import JobInSchema
from marketplace.subsidies.policy import versions
from marketplace.subsidies.policy.catalogue import POLICY_DIR
from marketplace.workers import employment, group_statuses
from marketplace.workers import services as workers
from marketplace.workers.models import GroupStatus, Worker
from marketplace.workers.schemas import WorkerProfileInSchema

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 — published in the README on purpose

OFFICIALS = [
    ("13900000000", "admin", None),
    ("13900000001", "official", "wuxi"),
    ("13900000002", "official", "xining"),
]

WORKERS: list[dict[str, Any]] = [
    {
        "phone": "13600000001",
        "name": "王秀英",
        "region": "320213",
        "birth": date(1975, 3, 8),
        "gender": "female",
        "city": "wuxi",
        "district": "梁溪区",
        "location": (31.5742, 120.2993),
        "skills": ["cleaning", "housekeeping"],
        "unemployment_registered_on": "2025-12-10",
        "difficulty_certified_on": None,
        "graduated_on": None,
    },
    {
        "phone": "13600000002",
        "name": "李强",
        "region": "320214",
        "birth": date(1988, 11, 21),
        "gender": "male",
        "city": "wuxi",
        "district": "新吴区",
        "location": (31.5496, 120.3561),
        "skills": ["delivery"],
        "unemployment_registered_on": "2025-03-02",
        "difficulty_certified_on": "2025-03-20",
        "graduated_on": None,
    },
    {
        "phone": "13600000003",
        "name": "陈晓东",
        "region": "320211",
        "birth": date(2003, 6, 15),
        "gender": "male",
        "city": "wuxi",
        "district": "滨湖区",
        "location": (31.5301, 120.2755),
        "skills": ["cooking", "catering", "retail", "housekeeping"],
        "unemployment_registered_on": None,
        "difficulty_certified_on": None,
        "graduated_on": "2025-06-30",
    },
    {
        "phone": "13600000004",
        "name": "马玉兰",
        "region": "630102",
        "birth": date(1982, 9, 2),
        "gender": "female",
        "city": "xining",
        "district": "城东区",
        "location": (36.6012, 101.8035),
        "skills": ["noodle_making", "cooking"],
        "unemployment_registered_on": "2025-08-18",
        "difficulty_certified_on": "2025-09-01",
        "graduated_on": None,
    },
    {
        "phone": "13600000005",
        "name": "韩文辉",
        "region": "630104",
        "birth": date(1999, 1, 27),
        "gender": "male",
        "city": "xining",
        "district": "城西区",
        "location": (36.6281, 101.7662),
        "skills": ["delivery", "construction"],
        "unemployment_registered_on": "2026-02-05",
        "difficulty_certified_on": None,
        "graduated_on": "2024-07-01",
    },
    {
        "phone": "13600000006",
        "name": "祁海燕",
        "region": "630106",
        "birth": date(1979, 4, 30),
        "gender": "female",
        "city": "xining",
        "district": "湟中区",
        "location": (36.5008, 101.5719),
        "skills": ["embroidery"],
        "unemployment_registered_on": None,
        "difficulty_certified_on": None,
        "graduated_on": None,
    },
]

EMPLOYERS: list[dict[str, Any]] = [
    {
        "phone": "13800000001",
        "name": "无锡洁美物业保洁服务有限公司",
        "code": "91320213MA1W00015",
        "city": "wuxi",
        "address": "无锡市梁溪区中山路288号",
        "location": (31.5770, 120.2990),
    },
    {
        "phone": "13800000002",
        "name": "无锡太湖餐饮管理有限公司",
        "code": "91320211MA1W00023",
        "city": "wuxi",
        "address": "无锡市滨湖区蠡湖大道1000号",
        "location": (31.5290, 120.2700),
    },
    {
        "phone": "13800000003",
        "name": "西宁河湟拉面餐饮有限公司",
        "code": "91630102MA7X00031",
        "city": "xining",
        "address": "西宁市城东区东关大街56号",
        "location": (36.6030, 101.7960),
    },
]

# (employer index, posted by the broker?, city, district, location, title, category, type, wage,
#  skills, approval, [(days ahead, start hour, hours, headcount)])
JOBS: list[tuple[Any, ...]] = [
    (
        0,
        False,
        "wuxi",
        "梁溪区",
        (31.5769, 120.2986),
        "商场日常保洁",
        "保洁绿化",
        "part_time",
        "28.00",
        ["cleaning"],
        False,
        [(1, 8, 4, 3), (2, 8, 4, 3), (3, 8, 4, 2)],
    ),
    (
        0,
        True,
        "wuxi",
        "新吴区",
        (31.5480, 120.3540),
        "园区绿化养护",
        "保洁绿化",
        "part_time",
        "27.00",
        ["gardening"],
        False,
        [(2, 7, 5, 4)],
    ),
    (
        0,
        False,
        "wuxi",
        "锡山区",
        (31.5890, 120.3570),
        "居家保洁（家政）",
        "家政",
        "part_time",
        "35.00",
        ["housekeeping"],
        True,
        [(1, 14, 3, 1), (4, 14, 3, 1)],
    ),
    (
        1,
        False,
        "wuxi",
        "滨湖区",
        (31.5290, 120.2700),
        "周末宴会服务员",
        "住宿餐饮",
        "part_time",
        "30.00",
        ["catering"],
        False,
        [(5, 10, 8, 6)],
    ),
    (
        1,
        False,
        "wuxi",
        "梁溪区",
        (31.5722, 120.3010),
        "午高峰外卖配送",
        "外卖配送",
        "part_time",
        "32.00",
        ["delivery"],
        False,
        [(1, 11, 3, 5), (2, 11, 3, 5)],
    ),
    (
        1,
        False,
        "wuxi",
        "惠山区",
        (31.6810, 120.2980),
        "社区养老助餐",
        "养老托育",
        "outsourcing",
        "29.00",
        ["elderly_care"],
        True,
        [(3, 9, 6, 2)],
    ),
    (
        2,
        False,
        "xining",
        "城东区",
        (36.6030, 101.7960),
        "拉面店帮厨",
        "青海拉面",
        "part_time",
        "22.00",
        ["noodle_making"],
        False,
        [(1, 10, 6, 2), (2, 10, 6, 2)],
    ),
    (
        2,
        True,
        "xining",
        "城中区",
        (36.6210, 101.7840),
        "超市理货员",
        "批发零售",
        "dispatch",
        "20.00",
        [],
        False,
        [(2, 9, 8, 3)],
    ),
    (
        2,
        False,
        "xining",
        "湟中区",
        (36.5010, 101.5710),
        "青绣手工制作",
        "青绣",
        "part_time",
        "21.00",
        ["embroidery"],
        False,
        [(3, 9, 6, 4)],
    ),
    (  # asks workers for a deposit: held for the officials' review, never shown to workers
        1,
        False,
        "wuxi",
        "滨湖区",
        (31.5520, 120.2680),
        "酒店客房服务员（入职需交押金200元）",
        "住宿餐饮",
        "part_time",
        "26.00",
        [],
        False,
        [(4, 9, 6, 2)],
    ),
]

# Brokers by city, each acting for the employers of its city. Dispatch work (劳务派遣) is posted by
# a broker holding a 劳务派遣经营许可证 (contract v1.1, 无锡 第七条): 西宁's 超市理货员 is.
BROKERS = {
    "wuxi": {"phone": "13700000001", "name": "周建华", "licence": "锡人社经纪-0001"},
    "xining": {"phone": "13700000002", "name": "马海龙", "licence": "青劳派许字第630100001号"},
}


def _user(phone: str, role: str, city: str | None = None) -> User:
    return auth_services.create_user(phone, DEMO_PASSWORD, role, city)


ZONE = "Asia/Shanghai"


def _at(city_zone: str, days_ahead: int, hour: int) -> datetime:
    day = clock.today(city_zone) + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(city_zone))


def _people() -> list[User]:
    for phone, role, city in OFFICIALS:
        _user(phone, role, city)
    worker_users = []
    for n, person in enumerate(WORKERS):
        user = _user(person["phone"], "worker")
        lat, lon = person["location"]
        profile = WorkerProfileInSchema().load(
            {
                "name": person["name"],
                "id_number": make_resident_id(
                    person["region"], person["birth"], 10 + n, person["gender"]
                ),
                "city": person["city"],
                "resident": True,
                "district": person["district"],
                "location": {"lat": lat, "lon": lon},
                "skills": person["skills"],
                "unemployment_registered_on": person["unemployment_registered_on"],
                "difficulty_certified_on": person["difficulty_certified_on"],
                "graduated_on": person["graduated_on"],
            }
        )
        workers.put_profile(user, profile)
        worker_users.append(user)
    return worker_users


def _companies() -> tuple[list[User], dict[str, User]]:
    employer_users = []
    for company in EMPLOYERS:
        user = _user(company["phone"], "employer")
        lat, lon = company["location"]
        employers.put_profile(
            user,
            EmployerProfileInSchema().load(
                {
                    "name": company["name"],
                    "credit_code": make_credit_code(company["code"]),
                    "city": company["city"],
                    "address": company["address"],
                    "location": {"lat": lat, "lon": lon},
                }
            ),
        )
        employer_users.append(user)
    broker_users = {}
    for city, person in BROKERS.items():
        broker_user = _user(person["phone"], "broker")
        broker = brokers.put_profile(
            broker_user,
            {"name": person["name"], "city": city, "licence_number": person["licence"]},
        )
        for user, company in zip(employer_users, EMPLOYERS, strict=True):
            # The first employer of each city lets its city's broker act for it.
            if company["city"] == city:
                delegations.delegate(user, broker.id)
                break
        broker_users[city] = broker_user
    return employer_users, broker_users


def _post(user: User, entry: tuple[Any, ...], plan: list[tuple[Any, ...]], **extra: Any) -> Job:
    _, _, city, district, (lat, lon), title, category, kind, wage, skills, approval, _ = entry
    body = JobInSchema().load(
        {
            "title": title,
            "description": f"{title}，工作地点：{district}。",
            "category": category,
            "employment_type": kind,
            "hourly_wage": wage,
            "required_skills": skills,
            "requires_approval": approval,
            "city": city,
            "district": district,
            "address": f"{district}{title}",
            "location": {"lat": lat, "lon": lon},
            "shifts": [
                {
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=hours)).isoformat(),
                    "headcount": headcount,
                }
                for start, hours, headcount in plan
            ],
        }
    )
    return jobs.post_job(user, {**body, **extra})


def _jobs(employer_users: list[User], broker_users: dict[str, User]) -> dict[str, Job]:
    posted = {}
    for entry in JOBS:
        employer, by_broker, city, *_, plan = entry
        shifts = [(_at(ZONE, days, hour), hours, count) for days, hour, hours, count in plan]
        if by_broker:
            employer_id = employers.my_profile(employer_users[employer]).id
            job = _post(broker_users[city], entry, shifts, employer_id=employer_id)
        else:
            job = _post(employer_users[employer], entry, shifts)
        posted[job.title] = job
    return posted


def _job(title: str) -> tuple[Any, ...]:
    return next(entry for entry in JOBS if entry[5] == title)


def _bookings(worker_users: list[User], employer_users: list[User], posted: dict[str, Job]) -> int:
    """Bookings in every live state, through the same services the API uses.

    The ones under way sit on shifts that start 20 minutes after loading, when check-in is open.
    """
    wang, li, chen, ma, _han, _qi = worker_users
    mall, homecare = posted["商场日常保洁"], posted["居家保洁（家政）"]
    delivery = posted["午高峰外卖配送"]
    bookings.book(wang, mall.shifts[0].id)  # confirmed
    bookings.book(wang, homecare.shifts[1].id)  # pending: the job needs approval
    turned_down = bookings.book(chen, homecare.shifts[0].id)
    bookings.reject(employer_users[0], turned_down.id, "已招满")  # rejected
    changed_mind = bookings.book(li, delivery.shifts[1].id)
    bookings.cancel(li, changed_mind.id, "家里临时有事")  # cancelled
    soon = clock.now().astimezone(ZoneInfo(ZONE)) + timedelta(minutes=20)
    rush = _post(employer_users[1], _job("午高峰外卖配送"), [(soon, 3, 2)])
    at_work = bookings.book(li, rush.shifts[0].id)
    attendance.check_in(li, at_work.id, rush.lat, rush.lon)  # checked in
    kitchen = _post(employer_users[2], _job("拉面店帮厨"), [(soon, 4, 2)])
    done = bookings.book(ma, kitchen.shifts[0].id)
    attendance.check_in(ma, done.id, kitchen.lat, kitchen.lon)
    attendance.check_out(ma, done.id, kitchen.lat, kitchen.lon)  # checked out, to approve
    return 6


def _history(worker_users: list[User], employer_users: list[User]) -> int:
    """Past work: completed bookings (one paid, one unpaid long enough for an alert), a no-show.

    Services refuse to post shifts in the past, so these rows are written as the services would
    have left them, with the same audit events.
    """
    wang, li, chen, *_ = (workers.my_profile(user) for user in worker_users)
    clean_co, banquet_co = (employers.my_profile(user) for user in employer_users[:2])
    made = 0
    for employer, user, title, category, wage, days_ago, cast in (
        (
            clean_co,
            employer_users[0],
            "写字楼夜间保洁",
            "保洁绿化",
            Decimal("28.00"),
            21,
            [(wang, "completed", True), (chen, "no_show", False)],
        ),
        (
            banquet_co,
            employer_users[1],
            "婚宴服务员",
            "住宿餐饮",
            Decimal("30.00"),
            20,
            [(li, "completed", False)],
        ),
    ):
        start = _at(ZONE, -days_ago, 18)
        job = Job(
            employer_id=employer.id,
            posted_by=user.id,
            title=title,
            description=title,
            category=category,
            employment_type="part_time",
            hourly_wage=wage,
            requires_approval=False,
            city="wuxi",
            district="梁溪区",
            address=f"梁溪区{title}",
            lat=employer.lat,
            lon=employer.lon,
            cell=geo.cell_of(employer.lat, employer.lon),
            created_at=start - timedelta(days=3),
        )
        shift = Shift(
            job=job,
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            headcount=len(cast),
            booked=sum(s == "completed" for _, s, _ in cast),
        )
        db.session.add_all([job, shift])
        db.session.flush()
        for worker, status, paid in cast:
            booking = Booking(
                shift_id=shift.id,
                worker_id=worker.id,
                employer_id=employer.id,
                status=status,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                created_at=job.created_at,
                updated_at=shift.ends_at,
                confirmed_at=job.created_at,
            )
            if status == "completed":
                booking.checked_in_at, booking.checked_out_at = start, shift.ends_at
                booking.check_in_lat, booking.check_in_lon = employer.lat, employer.lon
                booking.check_in_distance_m = 0.0
                booking.approved_hours = Decimal("4.00")
            else:
                booking.ended_at = start + timedelta(minutes=30)
            db.session.add(booking)
            db.session.flush()
            audit.record(
                f"booking.{status}",
                "booking",
                booking.id,
                {
                    "shift_id": shift.id,
                    "worker_id": worker.id,
                    "employer_id": employer.id,
                    "status": status,
                },
                actor_id=user.id,
                city="wuxi",
            )
            if status == "completed":
                earning = Earning(
                    worker_id=worker.id,
                    booking_id=booking.id,
                    employer_id=employer.id,
                    source=PLATFORM_SOURCE,
                    month=str(Month.of(start.date())),
                    hours=Decimal("4.00"),
                    amount=Decimal("4.00") * wage,
                    recorded_at=shift.ends_at + timedelta(hours=1),
                    recorded_by=user.id,
                    paid_at=shift.ends_at + timedelta(days=2) if paid else None,
                )
                db.session.add(earning)
                db.session.flush()
                audit.record(
                    "earning.recorded",
                    "earning",
                    earning.id,
                    {"booking_id": booking.id, "amount": str(earning.amount)},
                    actor_id=user.id,
                    city="wuxi",
                )
                reputation.rate(booking, "employer_to_worker", 5, "认真负责", user.id)
            reputation.refresh_reliability(worker.id)
            made += 1
    arrears.raise_pay_alerts()  # 婚宴服务员 ended 20 days ago and is still unpaid: a case
    return made + _disputed(worker_users[0], employer_users[0], clean_co)


def _disputed(worker_user: User, employer_user: User, employer: Any) -> int:
    """仓库夜间理货 three days ago: 6 of 8 hours approved, the worker disputes, the employer
    refuses — a case for the officials of 无锡, through the API's services."""
    worker = workers.my_profile(worker_user)
    start = _at(ZONE, -3, 20)
    job = Job(
        employer_id=employer.id,
        posted_by=employer_user.id,
        title="仓库夜间理货",
        description="仓库夜间理货",
        category="批发零售",
        employment_type="part_time",
        hourly_wage=Decimal("25.00"),
        requires_approval=False,
        city="wuxi",
        district="梁溪区",
        address="梁溪区仓库夜间理货",
        lat=employer.lat,
        lon=employer.lon,
        cell=geo.cell_of(employer.lat, employer.lon),
        created_at=start - timedelta(days=2),
    )
    shift = Shift(
        job=job, starts_at=start, ends_at=start + timedelta(hours=8), headcount=1, booked=1
    )
    db.session.add_all([job, shift])
    db.session.flush()
    booking = Booking(
        shift_id=shift.id,
        worker_id=worker.id,
        employer_id=employer.id,
        status="checked_out",
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        created_at=job.created_at,
        updated_at=shift.ends_at,
        confirmed_at=job.created_at,
        checked_in_at=start,
        checked_out_at=shift.ends_at,
        check_in_lat=employer.lat,
        check_in_lon=employer.lon,
        check_in_distance_m=35.0,
        check_out_lat=employer.lat,
        check_out_lon=employer.lon,
        check_out_distance_m=42.0,
    )
    db.session.add(booking)
    db.session.flush()
    pay.approve(employer_user, booking.id, Decimal("6.00"))
    dispute = disputes.open_dispute(
        worker_user,
        booking.id,
        {
            "kind": "hours",
            "claimed_hours": Decimal("8.00"),
            "claimed_amount": None,
            "detail": "当晚理货到凌晨4点，实际工作8小时，只核定了6小时",
        },
    )
    disputes.respond(employer_user, dispute.id, False, "排班表显示2点下班，只能按6小时结算")
    return 1


def _months(first: str, count: int) -> list[str]:
    start = Month.parse(first)
    return [str(start + n) for n in range(count)]


def _subsidy_history(admin: User) -> int:
    """Past income, premiums and training imported the way an admin would, so that the hooks
    raise the subsidy flags officials audit (both cities, every programme)."""
    numbers = {
        person["name"]: make_resident_id(
            person["region"], person["birth"], 10 + n, person["gender"]
        )
        for n, person in enumerate(WORKERS)
    }
    income = [
        # 王秀英: unemployed since 2025-12, six stable months → platform_service 800.00
        *(
            {"id_number": numbers["王秀英"], "month": m, "hours": "160", "income": "2750.00"}
            for m in _months("2026-01", 6)
        ),
        # 李强: difficulty since 2025-03, six stable months → 1000.00, and premiums below
        *(
            {"id_number": numbers["李强"], "month": m, "hours": "168", "income": "2900.00"}
            for m in _months("2025-04", 6)
        ),
        # 陈晓东: graduated 2025-06, first income 2025-09 (POLICIES.md worked example 3)
        *(
            {"id_number": numbers["陈晓东"], "month": m, "hours": "90", "income": "1800.00"}
            for m in _months("2025-09", 3)
        ),
        # 马玉兰 (西宁): registered unemployed, then difficulty; stable months from 2025-10
        *(
            {"id_number": numbers["马玉兰"], "month": m, "hours": "150", "income": "2100.00"}
            for m in _months("2025-10", 6)
        ),
    ]
    premiums = [
        *(
            {"id_number": numbers["李强"], "month": m, "pension": "620.00", "medical": "250.00"}
            for m in _months("2025-04", 6)
        ),
        {
            "id_number": numbers["陈晓东"],
            "month": "2025-09",
            "pension": "600.00",
            "medical": "240.00",
        },
        *(
            {"id_number": numbers["马玉兰"], "month": m, "pension": "500.00", "medical": "200.00"}
            for m in _months("2025-10", 6)
        ),
    ]
    training = [
        {
            "id_number": numbers["王秀英"],
            "course": "家政服务员（线上）",
            "class_hours": "20",
            "completed_on": "2026-03-15",
        },
        {
            "id_number": numbers["王秀英"],
            "course": "养老护理基础（线上）",
            "class_hours": "10",
            "completed_on": "2026-05-20",
        },
    ]
    imports.import_earnings(admin, "迁移数据（旧系统）", income)
    imports.import_contributions(admin, premiums)
    imports.import_training(admin, training)
    return len(income) + len(premiums) + len(training)


# The demo's crowd: workers whose last twelve months of income come from a partner platform, so
# that the officials' statistics have months to draw. (region code, district, centre) by city.
CROWD_DISTRICTS = {
    "wuxi": [
        ("320213", "梁溪区", (31.5742, 120.2993)),
        ("320214", "新吴区", (31.5496, 120.3561)),
        ("320211", "滨湖区", (31.5301, 120.2755)),
        ("320205", "锡山区", (31.5890, 120.3570)),
        ("320206", "惠山区", (31.6810, 120.2980)),
    ],
    "xining": [
        ("630102", "城东区", (36.6012, 101.8035)),
        ("630103", "城中区", (36.6200, 101.7800)),
        ("630104", "城西区", (36.6281, 101.7662)),
        ("630105", "城北区", (36.6560, 101.7650)),
    ],
}
CROWD_SIZE = 24  # a city
CROWD_SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
CROWD_GIVEN = ["秀兰", "建国", "海燕", "志强", "丽娟", "文斌", "春梅", "晓峰", "桂英", "俊杰"]
CROWD_SOURCE = "合作平台（同城零工）"


def _register_employment() -> int:
    """西宁's registered unemployed found flexible work and registered it (就业登记承诺制) from
    the first day of the month after their unemployment registration (how many registered)."""
    registered = 0
    found = db.session.scalars(
        select(Worker)
        .where(Worker.city == "xining", Worker.unemployment_registered_on.is_not(None))
        .order_by(Worker.id)
    ).all()
    for worker in found:
        user = db.session.get(User, worker.user_id)
        assert user is not None and worker.unemployment_registered_on is not None
        start = Month.of(worker.unemployment_registered_on).next().first_day
        body = {"form": "flexible", "started_on": start, "commitment": True}
        employment.register(user, worker, body)
        registered += 1
    return registered


def _verify_statuses() -> int:
    """The cities' officials have checked the declared statuses against their certificates,
    all but a few of the crowd's, which wait in the desk's queue (how many were verified)."""
    verified = 0
    for phone, _role, city in OFFICIALS[1:]:
        official = auth_services.user_for_phone(phone)
        assert official is not None
        declared = db.session.scalars(
            select(GroupStatus)
            .join(Worker, Worker.id == GroupStatus.worker_id)
            .where(Worker.city == city, GroupStatus.status == "declared")
            .order_by(GroupStatus.id)
        ).all()
        for n, status in enumerate(declared):
            if n % 10 == 9:
                continue  # still to be checked
            group_statuses.verify(official, status.id, {"reference": f"证-{city}-{status.id:05d}"})
            verified += 1
    return verified


def _crowd(admin: User) -> int:
    """Two dozen workers a city with the last twelve months of partner income, and their groups.

    Deterministic (a fixed seed) but relative to today, so the desk's charts are full whenever
    the demo is loaded. Some are registered unemployed or certified in difficulty — the hooks
    raise platform-service flags for those with six stable months — and a few paid premiums.
    """
    import random

    rng = random.Random(2026)
    # One argon2 hash of the demo password for the whole crowd: hashing it 48 times would make
    # `make run` wait half a minute for accounts nobody signs in with.
    password_hash = auth_services.hash_password(DEMO_PASSWORD)
    income: list[dict[str, str]] = []
    premiums: list[dict[str, str]] = []
    phone = 13500000000
    for city, districts in CROWD_DISTRICTS.items():
        last = Month.of(clock.today(ZONE)) - 1
        months = [str(last - back) for back in range(11, -1, -1)]
        for n in range(CROWD_SIZE):
            phone += 1
            region, district, (lat, lon) = districts[n % len(districts)]
            gender = "female" if n % 2 else "male"
            birth = date(1970 + rng.randrange(34), 1 + rng.randrange(12), 1 + rng.randrange(28))
            number = make_resident_id(region, birth, 40 + n, gender)
            group_day = (Month.parse(months[0]) - 2).first_day.isoformat()
            user = User(
                phone=str(phone), password_hash=password_hash, role="worker", created_at=clock.now()
            )
            db.session.add(user)
            db.session.flush()
            helped = n % 4 == 0 or n % 8 == 3  # a group the subsidies are for
            profile = WorkerProfileInSchema().load(
                {
                    "name": CROWD_SURNAMES[n % 20] + CROWD_GIVEN[(n * 7 + len(city)) % 10],
                    "id_number": number,
                    "city": city,
                    "resident": n % 6 != 5,
                    "district": district,
                    "location": {"lat": lat + rng.uniform(-0.01, 0.01), "lon": lon},
                    "skills": ["cleaning"] if n % 3 else ["delivery"],
                    "unemployment_registered_on": group_day if helped else None,
                    "difficulty_certified_on": group_day if n % 8 == 3 else None,
                    "veteran": n % 9 == 2,
                    "migrant_worker": n % 3 == 1,
                }
            )
            workers.put_profile(user, profile)
            for month in months:
                if not helped and rng.random() < 0.15:
                    continue  # a month without work
                # The platform helps the registered workers to a stable income (above the minimum
                # wage every month); the others earn what they earn.
                low = 2700 if helped else 1200
                amount = Decimal(rng.randrange(low, 4200)).quantize(Decimal("0.01"))
                hours = (amount / Decimal(rng.randrange(22, 32))).quantize(Decimal("1"))
                income.append(
                    {
                        "id_number": number,
                        "month": month,
                        "hours": str(hours),
                        "income": str(amount),
                    }
                )
            if n % 8 == 3:
                premiums += [
                    {"id_number": number, "month": m, "pension": "560.00", "medical": "230.00"}
                    for m in months[-3:]
                ]
    imports.import_earnings(admin, CROWD_SOURCE, income)
    imports.import_contributions(admin, premiums)
    return len(income) + len(premiums)


def _repeat_work(worker_users: list[User], employer_users: list[User]) -> int:
    """Repeat work at 无锡洁美物业: 王秀英 a favourite, 陈晓东 (who never came) blocked, and a
    weekly evening cleaning series offered to a crew of two, through the API's services."""
    wang, li, chen, *_ = (workers.my_profile(user) for user in worker_users)
    clean_co = employer_users[0]
    relations.put(clean_co, "favourite", None, wang.id)
    relations.put(clean_co, "block", None, chen.id, "多次无故缺勤，且未提前请假")
    until = clock.local_now(ZONE).date() + timedelta(days=21)
    body = JobInSchema().load(
        {
            "title": "写字楼晚间保洁（每周一三五）",
            "description": "写字楼公共区域晚间保洁，每周一、三、五，工具由物业提供。",
            "category": "保洁绿化",
            "employment_type": "part_time",
            "hourly_wage": "28.00",
            "required_skills": ["cleaning"],
            "requires_approval": False,
            "city": "wuxi",
            "district": "梁溪区",
            "address": "梁溪区人民中路写字楼",
            "location": {"lat": 31.5769, "lon": 120.2986},
            "repeat": {
                "weekdays": [0, 2, 4],
                "until": until.isoformat(),
                "starts": "18:30",
                "ends": "21:30",
                "headcount": 2,
            },
        }
    )
    series = jobs.post_job(clean_co, body)
    crew = crews.offer_crew(clean_co, series.id, [wang.id, li.id])
    return len(crew["booked"])


XINING_DRAFT = "xining-2026-draft"
EXAMPLE = "（示例，非真实文件）"


def xining_draft_text() -> str:
    """西宁's policy renewed from 2026-05-08, as an example draft: 宁政办〔2021〕33号 ran five
    years (to 2026-05-07) and no successor is known, so the demo's is marked as made up."""
    text = (POLICY_DIR / "xining-2021-33.toml").read_text(encoding="utf-8")
    body = text[text.index('id = "xining-2021-33"') :]
    replaced = {
        'id = "xining-2021-33"': f'id = "{XINING_DRAFT}"',
        'title = "西宁市人民政府办公室印发关于支持多渠道灵活就业的若干措施的通知"': (
            f'title = "西宁市支持多渠道灵活就业的若干措施（2026年起）{EXAMPLE}"'
        ),
        'document_number = "宁政办〔2021〕33号"': f'document_number = "示例〔2026〕1号{EXAMPLE}"',
        "effective_to = 2026-05-07\n": "",
    }
    for old, new in replaced.items():
        assert old in body, old
        body = body.replace(old, new)
    header = (
        "# 示例，非真实文件: a made-up successor of 西宁's 宁政办〔2021〕33号 from 2026-05-08,\n"
        "# a draft of the demo so that the desk shows one (33号's values, from 2026-05-08).\n\n"
    )
    return header + body.replace("2021-05-08", "2026-05-08")


def _xining_draft(admin: User) -> int:
    """The example successor of 西宁's policy, uploaded by the admin as the API does; a draft."""
    versions.create_draft(admin, xining_draft_text().encode("utf-8"))
    return 1


def load() -> dict[str, int]:
    """Create the demo data in the current session (the caller commits)."""
    worker_users = _people()
    admin = auth_services.user_for_phone(OFFICIALS[0][0])
    employer_users, broker_users = _companies()
    posted = _jobs(employer_users, broker_users)
    live = _bookings(worker_users, employer_users, posted)
    past = _history(worker_users, employer_users)
    offered = _repeat_work(worker_users, employer_users)
    imported = _subsidy_history(admin) + _crowd(admin)
    registered = _register_employment()
    verified = _verify_statuses()
    drafts = _xining_draft(admin)
    crowd = CROWD_SIZE * len(CROWD_DISTRICTS)
    return {
        "accounts": len(OFFICIALS) + len(WORKERS) + crowd + len(EMPLOYERS) + len(BROKERS),
        "worker profiles": len(WORKERS) + crowd,
        "employers": len(EMPLOYERS),
        "jobs": len(JOBS) + 6,  # two posted now, three in the past, the weekly series
        "bookings": live + past + offered,
        "imported records": imported,
        "verified group statuses": verified,
        "employment registrations": registered,
        "policy drafts": drafts,
    }
