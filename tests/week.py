"""An employer's week through the HTTP API, as its people would live it (contract v1.1).

Shared by the API test (tests/test_employer_week.py) and the browser test that shows the
officials what the week left behind (tests/browser/test_employer_week_in_a_browser.py).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import time_machine

from marketplace.scheduler import run_job
from tests.conftest import (
    CITY_POINTS,
    employer_body,
    job_body,
    resident_id,
    shift_times,
)

SITE = CITY_POINTS["wuxi"]
PASSWORD = "a-good-password"
DAYS = 7
WAGE = "30.00"
_phones = itertools.count(1)


class Person:
    """Someone with an account, who logs in whenever they use the app (days pass here)."""

    def __init__(self, client: Any, role: str) -> None:
        # 159…: apart from the demo's numbers (136–139…) and the other tests' (135…).
        self.client, self.phone = client, f"159{next(_phones):08d}"
        body = {"phone": self.phone, "password": PASSWORD, "role": role}
        response = client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 201, response.get_json()

    def headers(self) -> dict[str, str]:
        """Log in now: a fresh token."""
        credentials = {"phone": self.phone, "password": PASSWORD}
        response = self.client.post("/api/v1/auth/token", json=credentials)
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request as this person; asserts it succeeded and answers its JSON."""
        response = getattr(self.client, method)(path, headers=self.headers(), **kwargs)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()


@dataclass
class Week:
    """What happened: the people, the job, the plan, who forgot to check out."""

    employer: Person
    workers: list[Person]
    worker_ids: list[int]
    job: dict[str, Any]
    plan: dict[str, Any]
    forgetful: int = 0  # index into workers
    forgotten_booking: int = 0
    bookings: list[dict[str, Any]] = field(default_factory=list)


def at(instant: datetime) -> Any:
    """The clock stopped at ``instant``."""
    return time_machine.travel(instant, tick=False)


def live_the_week(client: Any) -> Week:
    """A company posts a week of morning security shifts (2 places a day), fills the 14 places
    with three workers by one multi-shift plan, the workers accept and work; one forgets to
    check out once and is checked out at the shift's end by the scheduled job; the employer
    approves every shift and pays."""
    employer = Person(client, "employer")
    employer.call("put", "/api/v1/employers/me", json=employer_body(name="无锡洁净保洁有限公司"))
    shifts = [
        {**shift_times(days_ahead=day, start_hour=8, hours=4), "headcount": 2}
        for day in range(1, DAYS + 1)
    ]
    job = employer.call(
        "post",
        "/api/v1/jobs",
        # 安保: a skill none of the demo's workers has, so that the plan is the three's alone.
        json=job_body(
            title="写字楼早班安保",
            category="保洁绿化",
            hourly_wage=WAGE,
            required_skills=["security"],
            shifts=shifts,
        ),
    )
    workers, worker_ids = [], []
    for name in ("王秀英", "李娜", "张伟"):
        worker = Person(client, "worker")
        profile = worker.call(
            "put",
            "/api/v1/workers/me",
            json={
                "name": name,
                "id_number": resident_id(),
                "city": "wuxi",
                "resident": True,
                "district": "梁溪区",
                "location": dict(SITE),
                "skills": ["security", "cleaning"],
                "availability": [],
            },
        )
        workers.append(worker)
        worker_ids.append(profile["id"])
    plan = employer.call(
        "post",
        "/api/v1/matching/assignments",
        json={"shift_ids": [shift["id"] for shift in job["shifts"]], "commit": True},
    )
    for worker in workers:
        worker.call("post", f"/api/v1/jobs/{job['id']}/offers/accept")
    week = Week(employer, workers, worker_ids, job, plan)
    by_worker = Counter(a["worker_id"] for a in plan["assignments"])
    week.forgetful = worker_ids.index(by_worker.most_common(1)[0][0])
    _work(week)
    return week


def _work(week: Week) -> None:
    forgetful = week.workers[week.forgetful]
    forgot_once = False
    for shift in week.job["shifts"]:
        starts = datetime.fromisoformat(shift["starts_at"])
        ends = datetime.fromisoformat(shift["ends_at"])
        on_shift = [
            (week.workers[week.worker_ids.index(a["worker_id"])], a["booking_id"])
            for a in week.plan["assignments"]
            if a["shift_id"] == shift["id"]
        ]
        with at(starts):
            for worker, booking_id in on_shift:
                worker.call("post", f"/api/v1/bookings/{booking_id}/check-in", json=dict(SITE))
        with at(ends):
            for worker, booking_id in on_shift:
                if worker is forgetful and not forgot_once:
                    forgot_once, week.forgotten_booking = True, booking_id
                    continue  # the phone ran out of battery
                worker.call("post", f"/api/v1/bookings/{booking_id}/check-out", json=dict(SITE))
        with at(ends + timedelta(hours=2, minutes=10)):
            run_job("attendance")
            for _, booking_id in on_shift:
                week.employer.call("post", f"/api/v1/bookings/{booking_id}/approve", json={})
                week.employer.call("post", f"/api/v1/bookings/{booking_id}/paid", json={})
    week.bookings = week.employer.call(
        "get", "/api/v1/employers/me/bookings", query_string={"per_page": 100}
    )
