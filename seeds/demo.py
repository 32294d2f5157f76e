"""A small, hand-written demo data set for 无锡 and 西宁.

Every demo account has the password ``DEMO_PASSWORD``; the README lists the phones. Shifts are
placed in the days after the day the data is loaded, so the demo always has open work.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marketplace import clock
from marketplace.auth import services as auth_services
from marketplace.auth.models import User
from marketplace.brokers import services as brokers
from marketplace.common.ids import make_credit_code, make_resident_id
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.jobs import services as jobs
from marketplace.jobs.schemas import JobInSchema
from marketplace.workers import services as workers
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
        "skills": ["cooking", "waiting", "retail"],
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
        ["waiting"],
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
        ["elder_care"],
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
        False,
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
]

BROKER = {"phone": "13700000001", "name": "周建华", "city": "wuxi", "licence": "锡人社经纪-0001"}


def _user(phone: str, role: str, city: str | None = None) -> User:
    return auth_services.create_user(phone, DEMO_PASSWORD, role, city)


def _at(city_zone: str, days_ahead: int, hour: int) -> datetime:
    day = clock.today(city_zone) + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(city_zone))


def load() -> dict[str, int]:
    """Create the demo data in the current session (the caller commits)."""
    for phone, role, city in OFFICIALS:
        _user(phone, role, city)
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
    broker_user = _user(BROKER["phone"], "broker")
    broker = brokers.put_profile(
        broker_user,
        {"name": BROKER["name"], "city": BROKER["city"], "licence_number": BROKER["licence"]},
    )
    employers.delegate(employer_users[0], broker.id)
    for employer, by_broker, city, district, (
        lat,
        lon,
    ), title, category, kind, wage, skills, approval, plan in JOBS:
        zone = "Asia/Shanghai"
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
                        "starts_at": _at(zone, days, hour).isoformat(),
                        "ends_at": (_at(zone, days, hour) + timedelta(hours=hours)).isoformat(),
                        "headcount": headcount,
                    }
                    for days, hour, hours, headcount in plan
                ],
            }
        )
        if by_broker:
            employer_id = employers.my_profile(employer_users[employer]).id
            jobs.post_job(broker_user, {**body, "employer_id": employer_id})
        else:
            jobs.post_job(employer_users[employer], body)
    return {
        "accounts": len(OFFICIALS) + len(WORKERS) + len(EMPLOYERS) + 1,
        "worker profiles": len(WORKERS),
        "employers": len(EMPLOYERS),
        "jobs": len(JOBS),
    }
