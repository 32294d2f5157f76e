"""Fixtures of the bookings' tests: one booked shift whose clock the test controls."""

from __future__ import annotations

import pytest
import time_machine

from marketplace.bookings.models import Booking
from marketplace.employers.models import Employer
from tests.conftest import CITY_POINTS, shift_times

SITE = CITY_POINTS["wuxi"]
# About 300 m and 800 m north of the workplace.
NEAR = {"lat": SITE["lat"] + 0.0027, "lon": SITE["lon"]}
FAR = {"lat": SITE["lat"] + 0.0072, "lon": SITE["lon"]}


class Story:
    """One booked shift, with the clock under the test's control."""

    def __init__(self, client, headers_of, database, worker, shift):
        self.client, self.headers_of, self.database = client, headers_of, database
        self.worker, self.shift = worker, shift
        self.employer = database.get(Employer, shift.job.employer_id)
        self.booking_id: int | None = None

    def as_worker(self, action, **body):
        return self.client.post(
            f"/api/v1/bookings/{self.booking_id}/{action}",
            json=body,
            headers=self.headers_of(self.worker),
        )

    def as_employer(self, action, **body):
        return self.client.post(
            f"/api/v1/bookings/{self.booking_id}/{action}",
            json=body,
            headers=self.headers_of(self.employer),
        )

    def book(self):
        response = self.client.post(
            f"/api/v1/shifts/{self.shift.id}/bookings", headers=self.headers_of(self.worker)
        )
        self.booking_id = response.get_json()["id"]
        return response

    def status(self) -> str:
        self.database.expire_all()
        return self.database.get(Booking, self.booking_id).status


@pytest.fixture
def story(client, headers_of, database, make_worker, make_job):
    job = make_job(
        hourly_wage="30.00",
        shifts=[{**shift_times(days_ahead=2, start_hour=9, hours=8), "headcount": 2}],
    )
    return Story(client, headers_of, database, make_worker(), job.shifts[0])


def at(instant):
    """The clock stopped at ``instant`` for the ``with`` block."""
    return time_machine.travel(instant, tick=False)
