"""A reproducible synthetic market for benchmarks: people, workplaces, shifts and past income.

Everything comes from one ``random.Random(seed)``, so the same arguments give the same market
(and the same market whatever the chunk size: the draws come in the same order). Rows are made
and written a chunk at a time and go straight through the driver (see ``BulkWriter``): all that
is kept between steps is an array of the workers' ids, so a city of a million workers with a
year of history seeds in bounded memory. One password hash serves every synthetic account
(hashing 100k passwords would take longer than the rest).
"""

from __future__ import annotations

import json
import random
import resource
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from marketplace import clock
from marketplace.auth.models import User
from marketplace.auth.services import hash_password
from marketplace.cities import catalogue, wages
from marketplace.cities.catalogue import City
from marketplace.common import geo
from marketplace.common.ids import make_credit_code, make_resident_id, mask_resident_id
from marketplace.common.months import Month
from marketplace.database import personal_digest
from marketplace.earnings.models import Contribution, Earning
from marketplace.employers.models import Employer
from marketplace.extensions import db
from marketplace.jobs.models import Job, JobSkill, Shift
from marketplace.workers.availability import MASK_COLUMNS, masks
from marketplace.workers.models import Worker, WorkerSkill, reach_bucket
from marketplace.workers.services import id_cipher
from seeds.places import CATEGORIES, DISTRICTS, GIVEN, REGION_CODES, SURNAMES

SYNTHETIC_PASSWORD = "synthetic-pass-2026"  # noqa: S105 — benchmark accounts, documented
CHUNK = 5000  # rows a statement writes, and workers made at a time
HISTORY_CHUNK = 1000  # workers whose months of income are made at a time (~9k + 4k rows)
JOB_CHUNK = 1000  # jobs made at a time, with their shifts (~4.5k rows)

Progress = Callable[[str, int], None]


def _spans(count: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, length) of consecutive pieces of at most ``size`` covering ``range(count)``."""
    for start in range(0, count, size):
        yield start, min(size, count - start)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


class ProgressLines:
    """A ``Progress`` that reports as text lines: every ``every`` seconds, the rows written to
    each table since the last line, the seconds since the start and the peak memory; and at
    the end (``finish``) one line per table with its rows and the seconds spent making them
    (the time between two reports goes to the table of the second)."""

    def __init__(
        self,
        echo: Callable[[str], None],
        every: float = 5.0,
        clock: Callable[[], float] = perf_counter,
    ) -> None:
        self.echo = echo
        self.every = every
        self.clock = clock
        self.started = self.last_call = self.last_line = clock()
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.shown: dict[str, int] = {}

    def __call__(self, label: str, rows: int) -> None:
        now = self.clock()
        self.rows[label] = self.rows.get(label, 0) + rows
        self.seconds[label] = self.seconds.get(label, 0.0) + now - self.last_call
        self.last_call = now
        if now - self.last_line >= self.every:
            self.last_line = now
            self._line(now)

    def _line(self, now: float) -> None:
        moved = [
            f"{label} {total:,}"
            for label, total in self.rows.items()
            if total != self.shown.get(label, 0)
        ]
        self.shown = dict(self.rows)
        self.echo(
            f"[{now - self.started:7.1f} s] " + ", ".join(moved) + f" (peak {peak_rss_mb():.0f} MB)"
        )

    def finish(self) -> None:
        """One line per table: rows written and seconds spent, then the total."""
        for label, total in self.rows.items():
            self.echo(f"  {label:<18} {total:>12,} rows {self.seconds[label]:8.1f} s")
        self.echo(
            f"  {'all':<18} {sum(self.rows.values()):>12,} rows "
            f"{self.clock() - self.started:8.1f} s, peak {peak_rss_mb():.0f} MB"
        )


@dataclass(frozen=True)
class Shares:
    """How common each group is among synthetic workers."""

    resident: float = 0.85
    unemployed: float = 0.08
    difficulty: float = 0.03
    graduate: float = 0.12
    veteran: float = 0.02
    migrant_worker: float = 0.35
    steady: float = 0.3  # earns about a minimum wage or more every month
    active_month: float = 0.6  # any other worker earns something in a given month
    pays_premiums: float = 0.3


# Python values whose stored form differs from the value itself on at least one database.
_CONVERTED = (bool, date, datetime, list, dict, Decimal)


class BulkWriter:
    """Writes rows already in their stored forms, the fastest way each database offers.

    SQLAlchemy's per-value type processing and, on PostgreSQL, the parsing of multi-row VALUES
    statements cost more than the database's own work at this volume; so rows go through the
    driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. Money is integer fen and hours
    integer hundredths, exactly as the ``ScaledDecimal`` columns store them. Ids are allocated
    up front so that related rows can point at each other.
    """

    def __init__(self, progress: Progress) -> None:
        self.connection = db.session.connection()
        self.sqlite = self.connection.dialect.name == "sqlite"
        self.progress = progress
        self._instants: dict[datetime, Any] = {}

    def stored(self, value: Any) -> Any:
        """``value`` as the column stores it on this database."""
        if isinstance(value, Decimal):
            raise TypeError("money and hours go in as integer hundredths")
        if isinstance(value, bool):
            return int(value) if self.sqlite else value
        if isinstance(value, datetime):
            # The same few instants recur on every row of a table: convert each once.
            if value not in self._instants:
                utc = value.astimezone(UTC)
                self._instants[value] = (
                    utc.replace(tzinfo=None).isoformat(sep=" ") if self.sqlite else utc
                )
            return self._instants[value]
        if isinstance(value, date):
            return value.isoformat() if self.sqlite else value
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)
        return value

    def allocate_ids(self, table: Any, count: int) -> list[int]:
        """``count`` fresh primary keys of ``table``."""
        if self.sqlite:
            # Inside this write transaction nobody else can take ids.
            top = db.session.scalar(select(func.max(table.c.id))) or 0
            return list(range(top + 1, top + 1 + count))
        return list(
            db.session.scalars(
                text("SELECT nextval(:sequence) FROM generate_series(1, :count)"),
                {"sequence": f"{table.name}_id_seq", "count": count},
            )
        )

    def insert(self, table: Any, rows: Sequence[dict[str, Any]], label: str) -> None:
        """Insert ``rows`` (dicts with the same keys) into ``table``."""
        if not rows:
            return
        columns = list(rows[0])
        # Only columns holding values that need converting pay for the conversion (all rows are
        # looked at: a rare date, such as a certified difficulty, may be the only one).
        converted = [any(isinstance(row[column], _CONVERTED) for row in rows) for column in columns]
        stored = self.stored
        # Table and column names come from the models, never from input.
        target = f"{table.name} ({', '.join(columns)})"
        for start in range(0, len(rows), CHUNK):
            chunk = [
                tuple(
                    stored(row[column]) if convert else row[column]
                    for column, convert in zip(columns, converted, strict=True)
                )
                for row in rows[start : start + CHUNK]
            ]
            if self.sqlite:
                marks = ", ".join("?" * len(columns))
                statement = f"INSERT INTO {target} VALUES ({marks})"  # noqa: S608
                self.connection.exec_driver_sql(statement, chunk)
            else:
                raw = self.connection.connection.dbapi_connection
                with raw.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:  # type: ignore[union-attr]
                    for values in chunk:
                        copy.write_row(values)
            self.progress(label, len(chunk))


def _point(rng: random.Random, city: City, spread: float = 0.03) -> tuple[str, float, float]:
    districts = DISTRICTS[city.code]
    name, lat, lon, _ = rng.choices(districts, weights=[d[3] for d in districts])[0]
    bounds = city.bounds
    point_lat = min(max(rng.gauss(lat, spread), bounds["south"]), bounds["north"])
    point_lon = min(max(rng.gauss(lon, spread), bounds["west"]), bounds["east"])
    return name, round(point_lat, 6), round(point_lon, 6)


# Birth days spread over about 40 years (ages ~18–60); 7919 is prime to their count, so
# consecutive indexes walk every day before any repeats.
BIRTH_DAYS = 14_600


def person_of(regions: list[str], index: int) -> tuple[date, str, str]:
    """The birth date, gender and resident ID number of the ``index``-th synthetic worker.

    The birth day varies fastest; the sequence digits count how often the days have come round
    (``index // BIRTH_DAYS``), so two indexes below ``BIRTH_DAYS × 100`` (1,460,000) never share
    a number — a city of a million workers included (the sequence once came from ``index // 7``,
    and numbers collided past a few hundred thousand).
    """
    birth = date(1966, 1, 1) + timedelta(days=(index * 7919) % BIRTH_DAYS)
    gender = "male" if index % 2 else "female"
    sequence = (index // BIRTH_DAYS) % 100
    return birth, gender, make_resident_id(regions[index % len(regions)], birth, sequence, gender)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _hundredths(value: float | Decimal) -> int:
    """Yuan (or hours) as integer hundredths: fen, the stored form of money."""
    return round(value * 100)


class _Market:
    """One generation run: the random source, the city, and where rows go."""

    def __init__(self, city: City, seed: int, writer: BulkWriter) -> None:
        self.rng = random.Random(seed)
        self.city = city
        self.writer = writer
        self.now = clock.now()
        self.today = city.today()
        self.password_hash = hash_password(SYNTHETIC_PASSWORD)
        # New accounts and ID numbers continue after whatever is there, so runs can be stacked.
        self.offset = db.session.scalar(select(func.count()).select_from(User)) or 0
        self.next_phone = 17_000_000_000 + self.offset

    def accounts(self, role: str, count: int) -> list[int]:
        ids = self.writer.allocate_ids(User.__table__, count)
        cipher = id_cipher()
        phones = [str(self.next_phone + n) for n in range(count)]
        rows = [
            {
                "id": user_id,
                # This writer skips the column types: the phone is sealed here, as Sealed would.
                "phone": cipher.encrypt(phone),
                "phone_digest": personal_digest("phone", phone),
                "password_hash": self.password_hash,
                "role": role,
                "city": None,
                "created_at": self.now,
            }
            for user_id, phone in zip(ids, phones, strict=True)
        ]
        self.next_phone += count
        self.writer.insert(User.__table__, rows, f"{role} accounts")
        return ids

    def workers(self, count: int, shares: Shares) -> array[int]:
        """Make and write ``count`` workers, a chunk at a time; answers their ids."""
        skills_pool = sorted(
            {skill for _, skills in CATEGORIES[self.city.code] for skill in skills}
        )
        regions = REGION_CODES[self.city.code]
        first = self.offset
        ids = array("q")
        for start, size in _spans(count, CHUNK):
            ids.extend(self._worker_chunk(first + start, size, shares, skills_pool, regions))
        return ids

    def _worker_chunk(
        self, first: int, count: int, shares: Shares, skills_pool: list[str], regions: list[str]
    ) -> list[int]:
        rng, today, cipher = self.rng, self.today, id_cipher()
        user_ids = self.accounts("worker", count)
        ids = self.writer.allocate_ids(Worker.__table__, count)
        rows: list[dict[str, Any]] = []
        skill_rows: list[dict[str, Any]] = []
        for n, (worker_id, user_id) in enumerate(zip(ids, user_ids, strict=True)):
            index = first + n
            birth, gender, number = person_of(regions, index)
            district, lat, lon = _point(rng, self.city)
            lat, lon = geo.home_point(lat, lon)
            group_day = today - timedelta(days=rng.randint(30, 900))
            reach = float(rng.choice((5, 10, 15, 20, 30)))
            availability = (
                []
                if rng.random() < 0.6
                else [
                    {"weekday": day, "start": "08:00", "end": "20:00"}
                    for day in sorted(rng.sample(range(7), 5))
                ]
            )
            difficulty = rng.random() < shares.difficulty
            unemployed = difficulty or rng.random() < shares.unemployed
            graduate = rng.random() < shares.graduate
            rows.append(
                {
                    "id": worker_id,
                    "user_id": user_id,
                    # This writer skips the column types: the name is sealed here, as Sealed would.
                    "name": cipher.encrypt(_name(rng)),
                    "id_number_ciphertext": cipher.encrypt(number),
                    "id_number_hash": cipher.lookup_hash(number),
                    "id_number_masked": mask_resident_id(number),
                    "birth_year": birth.year,
                    "gender": gender,
                    "city": self.city.code,
                    "resident": rng.random() < shares.resident,
                    "district": district,
                    "lat": lat,
                    "lon": lon,
                    "cell": geo.cell_of(lat, lon),
                    "unemployment_registered_on": group_day if unemployed else None,
                    "difficulty_certified_on": group_day + timedelta(days=10)
                    if difficulty
                    else None,
                    "graduated_on": date(today.year - rng.randint(0, 2), 6, 30)
                    if graduate
                    else None,
                    "veteran": rng.random() < shares.veteran,
                    "migrant_worker": rng.random() < shares.migrant_worker,
                    "availability": availability,
                    **dict(zip(MASK_COLUMNS, masks(availability), strict=True)),
                    "max_distance_km": reach,
                    "reach_bucket": reach_bucket(reach),
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            skill_rows.extend(
                {"worker_id": worker_id, "skill": skill}
                for skill in rng.sample(skills_pool, rng.randint(1, 3))
            )
        self.writer.insert(Worker.__table__, rows, "workers")
        self.writer.insert(WorkerSkill.__table__, skill_rows, "worker skills")
        return ids

    def employers(self, count: int) -> tuple[list[int], list[int]]:
        user_ids = self.accounts("employer", count)
        ids = self.writer.allocate_ids(Employer.__table__, count)
        region = REGION_CODES[self.city.code][0]
        rows = []
        for n, (employer_id, user_id) in enumerate(zip(ids, user_ids, strict=True)):
            district, lat, lon = _point(self.rng, self.city, spread=0.02)
            rows.append(
                {
                    "id": employer_id,
                    "user_id": user_id,
                    "name": f"{self.city.name[:2]}{_name(self.rng)}劳务服务有限公司",
                    "credit_code": make_credit_code(f"91{region}{(self.offset + n) % 10**9:09d}"),
                    "city": self.city.code,
                    "address": f"{self.city.name}{district}",
                    "lat": lat,
                    "lon": lon,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        self.writer.insert(Employer.__table__, rows, "employers")
        return ids, user_ids

    def shifts(self, count: int, employer_ids: list[int], poster: int) -> int:
        rng, city = self.rng, self.city
        zone = ZoneInfo(city.timezone)
        minimum = wages.in_force(city.code, self.today + timedelta(days=31))
        assert minimum is not None
        plans = []
        while count > 0:
            size = min(count, rng.randint(1, 8))
            count -= size
            plans.append(size)
        for start, size in _spans(len(plans), JOB_CHUNK):
            self._job_chunk(plans[start : start + size], employer_ids, poster, zone, minimum)
        return len(plans)

    def _job_chunk(
        self, plans: list[int], employer_ids: list[int], poster: int, zone: ZoneInfo, minimum: Any
    ) -> None:
        rng, city = self.rng, self.city
        job_ids = self.writer.allocate_ids(Job.__table__, len(plans))
        job_rows: list[dict[str, Any]] = []
        skill_rows: list[dict[str, Any]] = []
        shift_rows: list[dict[str, Any]] = []
        for job_id, size in zip(job_ids, plans, strict=True):
            category, skills = rng.choice(CATEGORIES[city.code])
            district, lat, lon = _point(rng, city)
            job_rows.append(
                {
                    "id": job_id,
                    "employer_id": rng.choice(employer_ids),
                    "posted_by": poster,
                    "broker_id": None,
                    "title": f"{category}·{district}",
                    "description": "",
                    "category": category,
                    # No dispatch: its jobs are posted by a licensed dispatch broker (contract
                    # v1.1), and this market's jobs are the employers' own. Six choices still,
                    # so a seed draws the same market as before.
                    "employment_type": rng.choice(
                        (
                            "part_time",
                            "part_time",
                            "part_time",
                            "full_time",
                            "outsourcing",
                            "outsourcing",
                        )
                    ),
                    "hourly_wage": _hundredths(minimum.hourly + rng.randint(0, 15)),
                    "requires_approval": rng.random() < 0.2,
                    "city": city.code,
                    "district": district,
                    "address": f"{city.name}{district}",
                    "lat": lat,
                    "lon": lon,
                    "cell": geo.cell_of(lat, lon),
                    "created_at": self.now,
                    "cancelled_at": None,
                }
            )
            if rng.random() < 0.5:
                skill_rows.append({"job_id": job_id, "skill": rng.choice(skills)})
            for _ in range(size):
                day = self.today + timedelta(days=rng.randint(1, 30))
                start = datetime.combine(day, time(rng.randint(6, 18)), tzinfo=zone)
                shift_rows.append(
                    {
                        "job_id": job_id,
                        "starts_at": start,
                        "ends_at": start + timedelta(hours=rng.randint(3, 10)),
                        "headcount": rng.randint(1, 10),
                        "booked": 0,
                        "cancelled_at": None,
                    }
                )
        self.writer.insert(Job.__table__, job_rows, "jobs")
        self.writer.insert(JobSkill.__table__, skill_rows, "job skills")
        self.writer.insert(Shift.__table__, shift_rows, "shifts")

    def history(self, worker_ids: Sequence[int], months: int, shares: Shares) -> tuple[int, int]:
        """Write ``months`` of past income and premiums of each worker, a chunk of workers at a
        time; answers how many income and premium rows."""
        this_month = Month.of(self.today)
        past = [this_month - k for k in range(months, 0, -1)]
        rates = {}
        table = wages.minimum_wages(self.city.code)
        for month in past:
            wage = catalogue.wage_on(table, month.first_day)
            assert wage is not None
            rates[month] = float(wage.hourly)
        incomes = premiums = 0
        for start, size in _spans(len(worker_ids), HISTORY_CHUNK):
            chunk = worker_ids[start : start + size]
            counted = self._history_chunk(chunk, past, rates, shares)
            incomes += counted[0]
            premiums += counted[1]
        return incomes, premiums

    def _history_chunk(
        self,
        worker_ids: Sequence[int],
        past: list[Month],
        rates: dict[Month, float],
        shares: Shares,
    ) -> tuple[int, int]:
        rng = self.rng
        incomes: list[dict[str, Any]] = []
        premiums: list[dict[str, Any]] = []
        for worker_id in worker_ids:
            steady = rng.random() < shares.steady
            pays = rng.random() < shares.pays_premiums
            for month in past:
                if steady or rng.random() < shares.active_month:
                    hours = _hundredths(rng.uniform(120, 200) if steady else rng.uniform(4, 160))
                    rate = _hundredths(rates[month] + rng.uniform(0, 12))
                    incomes.append(
                        {
                            "worker_id": worker_id,
                            "source": "synthetic",
                            "month": str(month),
                            "hours": hours,
                            "amount": (hours * rate + 50) // 100,  # fen, half up
                            "recorded_at": self.now,
                            "paid_at": self.now,
                        }
                    )
                if pays:
                    premiums.append(
                        {
                            "worker_id": worker_id,
                            "month": str(month),
                            "pension": _hundredths(rng.uniform(560, 900)),
                            "medical": _hundredths(rng.uniform(200, 400)),
                            "recorded_at": self.now,
                        }
                    )
        self.writer.insert(Earning.__table__, incomes, "monthly incomes")
        self.writer.insert(Contribution.__table__, premiums, "premium months")
        return len(incomes), len(premiums)


def generate(
    city: str, workers: int, shifts: int, months: int, seed: int, progress: Progress
) -> dict[str, int]:
    """Fill the database (in the current transaction) with a synthetic market of ``city``."""
    place = catalogue.find(city)
    if place is None:
        raise ValueError(f"unknown city {city!r}")
    shares = Shares()
    market = _Market(place, seed, BulkWriter(progress))
    worker_ids = market.workers(workers, shares)
    employer_ids, employer_users = market.employers(max(5, workers // 200))
    jobs = market.shifts(shifts, employer_ids, poster=employer_users[0])
    incomes, premiums = market.history(worker_ids, months, shares)
    return {
        "workers": len(worker_ids),
        "employers": len(employer_ids),
        "jobs": jobs,
        "shifts": shifts,
        "income records": incomes,
        "premium records": premiums,
    }
