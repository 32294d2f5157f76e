"""A reproducible synthetic market for benchmarks: people, workplaces, shifts and past income.

Everything comes from one ``random.Random(seed)``, so the same arguments give the same market.
Rows go in with bulk ``INSERT … RETURNING`` in chunks (no ORM objects), and one password hash
serves every synthetic account (hashing 100k passwords would take longer than the rest).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.auth.services import hash_password
from marketplace.cities import catalogue
from marketplace.common import geo
from marketplace.common.ids import make_credit_code, make_resident_id
from marketplace.common.months import Month
from marketplace.earnings.models import Contribution, Earning
from marketplace.employers.models import Employer
from marketplace.extensions import db
from marketplace.jobs.models import Job, JobSkill, Shift
from marketplace.workers.models import Worker, WorkerSkill
from marketplace.workers.services import id_cipher
from seeds.places import CATEGORIES, DISTRICTS, GIVEN, REGION_CODES, SURNAMES

SYNTHETIC_PASSWORD = "synthetic-pass-2026"  # noqa: S105 — benchmark accounts, documented
CHUNK = 5000


@dataclass(frozen=True)
class Shares:
    """How common each group is among synthetic workers."""

    resident: float = 0.85
    unemployed: float = 0.08
    difficulty: float = 0.03
    graduate: float = 0.12
    veteran: float = 0.02
    migrant_worker: float = 0.35
    active_month: float = 0.6  # a worker earns something in a given month
    pays_premiums: float = 0.3


Progress = Callable[[str, int], None]


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert(
    table: Any,
    rows: Sequence[dict[str, Any]],
    progress: Progress,
    label: str,
    returning: bool = False,
) -> list[int]:
    """Insert rows in chunks; with ``returning``, answers their new ids in order.

    Without RETURNING the driver's executemany does the loop, several times faster on SQLite.
    """
    ids: list[int] = []
    for chunk in _chunks(rows):
        statement = insert(table)
        if returning:
            statement = statement.returning(table.c.id, sort_by_parameter_order=True)
            ids.extend(db.session.execute(statement, list(chunk)).scalars())
        else:
            db.session.execute(statement, list(chunk))
        progress(label, len(chunk))
    return ids


def _raw_insert(
    table: Any,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    progress: Progress,
    label: str,
) -> None:
    """Insert plain tuples through the driver's executemany, skipping SQLAlchemy's type layer.

    For the hundreds of thousands of monthly rows; values must already be stored forms
    (integer fen, text months, timestamps from ``_stored_time``).
    """
    connection = db.session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    # Table and column names come from the models, never from input.
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        connection.exec_driver_sql(sql, list(chunk))
        progress(label, len(chunk))


def _stored_time(instant: datetime) -> Any:
    """An instant as UTCDateTime stores it: naive UTC text on SQLite, aware on PostgreSQL."""
    if db.session.connection().dialect.name == "sqlite":
        return instant.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return instant


def _point(rng: random.Random, city: str, spread: float = 0.03) -> tuple[str, float, float]:
    districts = DISTRICTS[city]
    name, lat, lon, _ = rng.choices(districts, weights=[d[3] for d in districts])[0]
    bounds = catalogue.find(city).bounds  # type: ignore[union-attr]
    point_lat = min(max(rng.gauss(lat, spread), bounds["south"]), bounds["north"])
    point_lon = min(max(rng.gauss(lon, spread), bounds["west"]), bounds["east"])
    return name, round(point_lat, 6), round(point_lon, 6)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _hundredths(value: float) -> int:
    """Yuan (or hours) as integer hundredths: fen, the stored form of money."""
    return round(value * 100)


def _users(
    role: str, count: int, first_phone: int, password_hash: str, now: datetime, progress: Progress
) -> list[int]:
    rows = [
        {
            "phone": str(first_phone + n),
            "password_hash": password_hash,
            "role": role,
            "city": None,
            "created_at": now,
        }
        for n in range(count)
    ]
    return _insert(User.__table__, rows, progress, f"{role} accounts", returning=True)


def generate(
    city: str, workers: int, shifts: int, months: int, seed: int, progress: Progress
) -> dict[str, int]:
    """Fill the database (in the current transaction) with a synthetic market of ``city``."""
    rng = random.Random(seed)
    place = catalogue.find(city)
    assert place is not None
    now = clock.now()
    today = place.today()
    cipher = id_cipher()
    password_hash = hash_password(SYNTHETIC_PASSWORD)
    shares = Shares()
    # New accounts and ID numbers continue after whatever is there, so runs can be stacked.
    offset = db.session.scalar(select(func.count()).select_from(User)) or 0
    first_phone = 17_000_000_000 + offset

    # --- workers -------------------------------------------------------------------------
    user_ids = _users("worker", workers, first_phone, password_hash, now, progress)
    worker_rows, skill_sets = [], []
    skills_pool = sorted({skill for _, skills in CATEGORIES[city] for skill in skills})
    regions = REGION_CODES[city]
    for n, user_id in enumerate(user_ids):
        index = offset + n
        birth = date(1966, 1, 1) + timedelta(days=(index * 7919) % 14_600)  # ages ~18–60
        number = make_resident_id(
            regions[index % len(regions)],
            birth,
            (index // 7) % 100,
            "male" if index % 2 else "female",
        )
        district, lat, lon = _point(rng, city)
        group_day = today - timedelta(days=rng.randint(30, 900))
        unemployed = rng.random() < shares.unemployed
        difficulty = rng.random() < shares.difficulty
        availability = (
            []
            if rng.random() < 0.6
            else [
                {"weekday": day, "start": "08:00", "end": "20:00"}
                for day in sorted(rng.sample(range(7), 5))
            ]
        )
        worker_rows.append(
            {
                "user_id": user_id,
                "name": _name(rng),
                "id_number_ciphertext": cipher.encrypt(number),
                "id_number_hash": cipher.lookup_hash(number),
                "id_number_masked": number[:6] + "*" * 8 + number[-4:],
                "birth_date": birth,
                "gender": "male" if index % 2 else "female",
                "city": city,
                "resident": rng.random() < shares.resident,
                "district": district,
                "lat": lat,
                "lon": lon,
                "cell": geo.cell_of(lat, lon),
                "unemployment_registered_on": group_day if unemployed or difficulty else None,
                "difficulty_certified_on": group_day + timedelta(days=10) if difficulty else None,
                "graduated_on": date(today.year - rng.randint(0, 2), 6, 30)
                if rng.random() < shares.graduate
                else None,
                "veteran": rng.random() < shares.veteran,
                "migrant_worker": rng.random() < shares.migrant_worker,
                "availability": availability,
                "max_distance_km": float(rng.choice((5, 10, 15, 20, 30))),
                "created_at": now,
                "updated_at": now,
            }
        )
        skill_sets.append(rng.sample(skills_pool, rng.randint(1, 3)))
    worker_ids = _insert(Worker.__table__, worker_rows, progress, "workers", returning=True)
    _insert(
        WorkerSkill.__table__,
        [
            {"worker_id": w, "skill": s}
            for w, skills in zip(worker_ids, skill_sets, strict=True)
            for s in skills
        ],
        progress,
        "worker skills",
    )

    # --- employers, jobs and shifts ------------------------------------------------------
    employer_count = max(5, workers // 200)
    employer_users = _users(
        "employer", employer_count, first_phone + workers, password_hash, now, progress
    )
    employer_rows = []
    for n, user_id in enumerate(employer_users):
        district, lat, lon = _point(rng, city, spread=0.02)
        employer_rows.append(
            {
                "user_id": user_id,
                "name": f"{place.name[:2]}{_name(rng)}劳务服务有限公司",
                "credit_code": make_credit_code(f"91{regions[0]}{(offset + n) % 10**9:09d}"),
                "city": city,
                "address": f"{place.name}{district}",
                "lat": lat,
                "lon": lon,
                "created_at": now,
                "updated_at": now,
            }
        )
    employer_ids = _insert(Employer.__table__, employer_rows, progress, "employers", returning=True)

    zone = ZoneInfo(place.timezone)
    job_rows, job_skill_lists, shift_plans = [], [], []
    remaining = shifts
    while remaining > 0:
        count = min(remaining, rng.randint(1, 8))
        remaining -= count
        category, skills = rng.choice(CATEGORIES[city])
        district, lat, lon = _point(rng, city)
        minimum = place.minimum_wage_on(today + timedelta(days=31))
        assert minimum is not None
        job_rows.append(
            {
                "employer_id": rng.choice(employer_ids),
                "posted_by": employer_users[0],
                "broker_id": None,
                "title": f"{category}·{district}",
                "description": "",
                "category": category,
                "employment_type": rng.choice(
                    ("part_time", "part_time", "part_time", "full_time", "dispatch", "outsourcing")
                ),
                "hourly_wage": minimum.hourly + rng.randint(0, 15),
                "requires_approval": rng.random() < 0.2,
                "city": city,
                "district": district,
                "address": f"{place.name}{district}",
                "lat": lat,
                "lon": lon,
                "cell": geo.cell_of(lat, lon),
                "created_at": now,
            }
        )
        job_skill_lists.append(rng.sample(skills, 1) if rng.random() < 0.5 else [])
        shift_plans.append(count)
    job_ids = _insert(Job.__table__, job_rows, progress, "jobs", returning=True)
    _insert(
        JobSkill.__table__,
        [
            {"job_id": j, "skill": s}
            for j, skills in zip(job_ids, job_skill_lists, strict=True)
            for s in skills
        ],
        progress,
        "job skills",
    )
    shift_rows = []
    for job_id, count in zip(job_ids, shift_plans, strict=True):
        for _ in range(count):
            day = today + timedelta(days=rng.randint(1, 30))
            start = datetime.combine(day, time(rng.randint(6, 18)), tzinfo=zone)
            shift_rows.append(
                {
                    "job_id": job_id,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=rng.randint(3, 10)),
                    "headcount": rng.randint(1, 10),
                    "booked": 0,
                }
            )
    _insert(Shift.__table__, shift_rows, progress, "shifts")

    # --- past income and premiums --------------------------------------------------------
    this_month = Month.of(today)
    past = [this_month - k for k in range(months, 0, -1)]
    stamp = _stored_time(now)
    income_rows: list[tuple[Any, ...]] = []
    premium_rows: list[tuple[Any, ...]] = []
    for worker_id in worker_ids:
        steady = rng.random() < 0.3  # some earn about a minimum wage every month
        pays = rng.random() < shares.pays_premiums
        for month in past:
            wage = place.minimum_wage_on(month.first_day)
            assert wage is not None
            if steady or rng.random() < shares.active_month:
                hours = _hundredths(rng.uniform(120, 200) if steady else rng.uniform(4, 160))
                rate = _hundredths(float(wage.hourly) + rng.uniform(0, 12))
                amount = (hours * rate + 50) // 100  # fen, rounded half up
                income_rows.append(
                    (worker_id, "synthetic", str(month), hours, amount, stamp, stamp)
                )
            if pays:
                pension = _hundredths(rng.uniform(560, 900))
                medical = _hundredths(rng.uniform(200, 400))
                premium_rows.append((worker_id, str(month), pension, medical, stamp))
    _raw_insert(
        Earning.__table__,
        ("worker_id", "source", "month", "hours", "amount", "recorded_at", "paid_at"),
        income_rows,
        progress,
        "monthly incomes",
    )
    _raw_insert(
        Contribution.__table__,
        ("worker_id", "month", "pension", "medical", "recorded_at"),
        premium_rows,
        progress,
        "premium months",
    )
    return {
        "workers": len(worker_ids),
        "employers": len(employer_ids),
        "jobs": len(job_ids),
        "shifts": len(shift_rows),
        "income records": len(income_rows),
        "premium records": len(premium_rows),
    }
