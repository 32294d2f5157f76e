"""Fixtures of the subsidy engine's database tests: a frozen July 2026, people, income, bookings.

The pure programme tests of this package use none of them; the tests that store flags do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.orm import scoped_session

from marketplace.auth.models import User
from marketplace.bookings.models import Booking
from marketplace.common.months import Month, months_between
from marketplace.earnings.models import Contribution, Earning
from marketplace.subsidies.models import SubsidyFlag
from marketplace.workers.models import (
    EmploymentRegistration,
    GroupStatus,
    Worker,
    WorkerGroupChange,
)
from tests.conftest import resident_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Every test here runs on 2 July 2026, 10:00 in China: the first half of 2026 is over.
NOW = datetime(2026, 7, 2, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
FIRST_HALF = [str(m) for m in months_between(Month(2026, 1), Month(2026, 6))]


@pytest.fixture(autouse=True)
def frozen_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Freeze the clock at NOW for tests that use the database (the pure ones need no clock)."""
    if "database" not in request.fixturenames and "client" not in request.fixturenames:
        yield
        return
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Person:
    """A worker profile with the ID number it was registered with."""

    worker: Worker
    id_number: str
    user: User

    @property
    def id(self) -> int:
        return self.worker.id


def verify_statuses(database: scoped_session, worker_id: int) -> None:
    """Mark the worker's declared statuses verified, as an official would (written straight)."""
    database.execute(
        update(GroupStatus)
        .where(GroupStatus.worker_id == worker_id, GroupStatus.status == "declared")
        .values(status="verified", decided_at=NOW, updated_at=NOW)
    )
    database.commit()


@pytest.fixture
def person(make_worker: Callable[..., Any], database: scoped_session) -> Callable[..., Person]:
    """A worker of 无锡 (unless told): ``person(unemployment_registered_on=date(2025, 12, 10))``.

    The group dates declare statuses, which an official has verified unless ``verified=False``
    (a flag resting on a declared status cannot be approved).
    """

    def make(verified: bool = True, **overrides: Any) -> Person:
        number = overrides.pop("id_number", None) or resident_id()
        worker = make_worker(id_number=number, **overrides)
        if verified:
            verify_statuses(database, worker.id)
        return Person(worker, number, database.get(User, worker.user_id))

    return make


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    """A platform admin."""
    return make_user("admin")


@pytest.fixture
def wuxi_official(make_user: Callable[..., User]) -> User:
    """An official of 无锡."""
    return make_user("official", city="wuxi")


@pytest.fixture
def xining_official(make_user: Callable[..., User]) -> User:
    """An official of 西宁."""
    return make_user("official", city="xining")


def add_income(
    database: scoped_session,
    worker_id: int,
    months: list[str],
    amount: str = "2700.00",
    hours: str = "160",
    source: str = "migration",
) -> None:
    """Imported income, written straight to the table (no hooks run)."""
    for month in months:
        database.add(
            Earning(
                worker_id=worker_id,
                source=source,
                month=month,
                hours=Decimal(hours),
                amount=Decimal(amount),
                recorded_at=NOW,
            )
        )
    database.commit()


def add_premium(
    database: scoped_session, worker_id: int, month: str, pension: str, medical: str
) -> None:
    """A month of premiums, written straight to the table (no hooks run)."""
    database.add(
        Contribution(
            worker_id=worker_id,
            month=month,
            pension=Decimal(pension),
            medical=Decimal(medical),
            recorded_at=NOW,
        )
    )
    database.commit()


@pytest.fixture
def shift_of(make_job: Callable[..., Any]) -> Callable[..., tuple[int, int]]:
    """``shift_of(employer)``: a shift id and its employer id (bookings copy their own times)."""

    def make(employer: Any = None) -> tuple[int, int]:
        job = make_job(employer=employer)
        return job.shifts[0].id, job.employer_id

    return make


def add_booking_earning(
    database: scoped_session,
    worker_id: int,
    shift: tuple[int, int],
    day: date,
    amount: str,
    hours: str = "8",
    *,
    checked: bool = True,
    check_in_m: float | None = 50.0,
    check_out_m: float | None = 60.0,
) -> Earning:
    """A completed booking of ``day`` (09:00 city time) with its earning."""
    shift_id, employer_id = shift
    start = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
    end = start + timedelta(hours=float(hours))
    booking = Booking(
        shift_id=shift_id,
        worker_id=worker_id,
        employer_id=employer_id,
        status="completed",
        starts_at=start,
        ends_at=end,
        created_at=start - timedelta(days=1),
        updated_at=end,
        checked_in_at=start if checked else None,
        check_in_distance_m=check_in_m if checked else None,
        checked_out_at=end if checked else None,
        check_out_distance_m=check_out_m if checked else None,
        approved_hours=Decimal(hours),
    )
    database.add(booking)
    database.flush()
    earning = Earning(
        worker_id=worker_id,
        booking_id=booking.id,
        employer_id=employer_id,
        source="platform",
        month=str(Month.of(day)),
        hours=Decimal(hours),
        amount=Decimal(amount),
        recorded_at=end,
    )
    database.add(earning)
    database.commit()
    return earning


def entered_on(database: scoped_session, worker_id: int, day: date) -> None:
    """Pretend the worker's group dates were entered on ``day`` (city time)."""
    instant = datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI).astimezone(UTC)
    database.execute(
        update(WorkerGroupChange)
        .where(WorkerGroupChange.worker_id == worker_id)
        .values(recorded_at=instant)
    )
    database.commit()


def add_employment_registration(
    database: scoped_session, worker_id: int, started_on: date, form: str = "flexible"
) -> None:
    """An employment registration by commitment, written straight to the table (no hooks run)."""
    database.add(
        EmploymentRegistration(
            worker_id=worker_id,
            form=form,
            started_on=started_on,
            status="registered",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    database.commit()


def trainee(person: Callable[..., Person], database: scoped_session) -> Person:
    """A 无锡 worker with platform income in 2026-01: one of the platform's workers, so training
    completed in 2026 (up to 2026-12) is theirs to be subsidised for (POLICIES.md "training")."""
    worker = person()
    add_income(database, worker.id, ["2026-01"], "800.00")
    return worker


def due_in_both_cities(
    person: Callable[..., Person], database: scoped_session
) -> tuple[Person, Person]:
    """A 无锡 worker with six stable months and a 西宁 worker with a month of premiums.

    无锡: registered unemployed in 2025-12, 2700.00 of imported income in each month of the first
    half of 2026 → a platform-service flag. 西宁: registered unemployed in 2025-12, difficulty,
    premiums in 2026-01 → a social-insurance flag for that month. Nothing is evaluated yet.
    """
    wuxi = person(unemployment_registered_on=date(2025, 12, 10))
    add_income(database, wuxi.id, FIRST_HALF, "2700.00")
    xining = person(
        city="xining",
        unemployment_registered_on=date(2025, 12, 10),
        difficulty_certified_on=date(2025, 12, 20),
    )
    add_income(database, xining.id, FIRST_HALF, "2000.00")
    add_premium(database, xining.id, "2026-01", "600.00", "240.00")
    # 西宁 第十八条: registered flexible work after the unemployment registration.
    add_employment_registration(database, xining.id, date(2026, 1, 1))
    return wuxi, xining


def flags_of(database: scoped_session, worker_id: int) -> list[SubsidyFlag]:
    """The worker's stored flags, oldest first, freshly read."""
    database.expire_all()
    return list(
        database.scalars(
            select(SubsidyFlag).where(SubsidyFlag.worker_id == worker_id).order_by(SubsidyFlag.id)
        )
    )


def codes(flag: SubsidyFlag) -> list[str]:
    """The codes of a flag's risk signals."""
    return [signal.split(":", 1)[0] for signal in flag.risk_signals]
