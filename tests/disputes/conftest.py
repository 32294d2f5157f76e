"""Fixtures of disputes and cases: a booking worked and approved short of the hours worked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.scheduler import run_job
from tests.bookings.conftest import SITE, Story, at
from tests.conftest import shift_times

APPROVED_HOURS = "6.00"  # of an 8-hour shift at 30.00 an hour: 180.00


class Approved(Story):
    """A booking worked 8 hours, approved at 6 an hour after the shift; disputes and cases on it."""

    def approve(self, hours: str = APPROVED_HOURS):
        self.book()
        with at(self.shift.starts_at):
            self.as_worker("check-in", **SITE)
        with at(self.shift.ends_at):
            self.as_worker("check-out", **SITE)
        with at(self.approved_at):
            assert self.as_employer("approve", hours=hours).status_code == 200
        return self

    @property
    def approved_at(self):
        return self.shift.ends_at + timedelta(hours=1)

    def dispute(self, when=None, by=None, **body):
        body = {"kind": "hours", "claimed_hours": "8.00", "detail": "实际工作8小时", **body}
        with at(when or self.approved_at + timedelta(days=1)):
            return self.client.post(
                f"/api/v1/bookings/{self.booking_id}/disputes",
                json=body,
                headers=self.headers_of(by or self.worker),
            )

    def respond(self, dispute_id, accept, when=None, by=None, detail="已核对"):
        with at(when or self.approved_at + timedelta(days=2)):
            return self.client.post(
                f"/api/v1/disputes/{dispute_id}/respond",
                json={"accept": accept, "detail": detail},
                headers=self.headers_of(by or self.employer),
            )

    def escalated_case(self) -> int:
        """A dispute the employer refused: the id of its case."""
        opened = self.dispute().get_json()
        assert self.respond(opened["id"], accept=False).status_code == 200
        cases = self.client.get("/api/v1/cases", headers=self.headers_of(self.worker)).get_json()
        return cases[0]["id"]


@pytest.fixture
def approved(client, headers_of, database, make_worker, make_job):
    job = make_job(
        hourly_wage="30.00",
        shifts=[{**shift_times(days_ahead=2, start_hour=9, hours=8), "headcount": 2}],
    )
    return Approved(client, headers_of, database, make_worker(), job.shifts[0]).approve()


@pytest.fixture
def official(make_user, auth_headers):
    return auth_headers(make_user("official", city="wuxi"))


@pytest.fixture
def scheduled():
    def run(name, when):
        with at(when):
            return run_job(name).result

    return run
