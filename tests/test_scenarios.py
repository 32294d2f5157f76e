"""Whole stories through the HTTP API, as the people involved would live them."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from marketplace.scheduler import run_job
from tests.conftest import (
    CITY_POINTS,
    employer_body,
    job_body,
    next_phone,
    resident_id,
    shift_times,
    worker_body,
)

SITE = CITY_POINTS["wuxi"]


class Person:
    """Someone with an account, who logs in whenever they use the app."""

    def __init__(self, client, role: str) -> None:
        self.client, self.phone = client, next_phone()
        body = {"phone": self.phone, "password": "a-good-password", "role": role}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201

    def headers(self) -> dict[str, str]:
        """Log in now (tokens expire, and days pass in these stories)."""
        credentials = {"phone": self.phone, "password": "a-good-password"}
        token = self.client.post("/api/v1/auth/token", json=credentials).get_json()["access_token"]
        return {"Authorization": f"Bearer {token}"}


def sign_up(client, role: str) -> Person:
    return Person(client, role)


def post_and_work_a_shift(client, make_user, auth_headers):
    """An employer posts, a worker finds and works the shift, the employer approves it."""
    employer = sign_up(client, "employer")
    assert (
        client.put(
            "/api/v1/employers/me", json=employer_body(), headers=employer.headers()
        ).status_code
        == 200
    )
    job = client.post(
        "/api/v1/jobs",
        headers=employer.headers(),
        json=job_body(
            title="超市夜班理货",
            category="批发零售",
            hourly_wage="28.50",
            shifts=[{**shift_times(days_ahead=2, start_hour=18, hours=4), "headcount": 1}],
        ),
    ).get_json()
    shift_id = job["shifts"][0]["id"]

    worker = sign_up(client, "worker")
    profile = client.put(
        "/api/v1/workers/me",
        headers=worker.headers(),
        json=worker_body(
            name="赵丽",
            id_number=resident_id(),
            unemployment_registered_on="2026-01-05",
        ),
    ).get_json()
    found = client.get(
        "/api/v1/shifts", query_string={**SITE, "radius_km": 3}, headers=worker.headers()
    ).get_json()
    assert [item["id"] for item in found] == [shift_id]
    booking = client.post(
        f"/api/v1/shifts/{shift_id}/bookings", headers=worker.headers()
    ).get_json()
    assert booking["status"] == "confirmed"
    assert (
        client.get(f"/api/v1/shifts/{shift_id}", headers=worker.headers()).get_json()["status"]
        == "full"
    )

    start = datetime.fromisoformat(found[0]["starts_at"])
    with time_machine.travel(start - timedelta(minutes=10), tick=False):
        assert (
            client.post(
                f"/api/v1/bookings/{booking['id']}/check-in", json=SITE, headers=worker.headers()
            ).status_code
            == 200
        )
    with time_machine.travel(start + timedelta(hours=4, minutes=3), tick=False):
        assert (
            client.post(
                f"/api/v1/bookings/{booking['id']}/check-out", json=SITE, headers=worker.headers()
            ).status_code
            == 200
        )
        approved = client.post(
            f"/api/v1/bookings/{booking['id']}/approve", json={}, headers=employer.headers()
        )
    assert approved.status_code == 200
    return employer, worker, profile, booking, approved.get_json(), start


def test_from_posting_to_paid(client, make_user, auth_headers):
    employer, worker, profile, booking, approved, start = post_and_work_a_shift(
        client, make_user, auth_headers
    )
    # 10 minutes early to 3 minutes late is 4 h 13 min; never more than the 4 h shift.
    assert approved["approved_hours"] == "4.00"
    assert approved["earning"]["amount"] == "114.00"
    with time_machine.travel(start + timedelta(days=3), tick=False):
        paid = client.post(
            f"/api/v1/bookings/{booking['id']}/paid", json={}, headers=employer.headers()
        )
    assert paid.status_code == 200 and paid.get_json()["paid_at"]
    assert (
        client.post(
            f"/api/v1/bookings/{booking['id']}/ratings", json={"stars": 5}, headers=worker.headers()
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/bookings/{booking['id']}/ratings",
            json={"stars": 4},
            headers=employer.headers(),
        ).status_code
        == 201
    )
    me = client.get(f"/api/v1/workers/{profile['id']}", headers=worker.headers()).get_json()
    assert me["rating"] == 4.0 and me["reliability"] == 1.0
    mine = client.get("/api/v1/workers/me/bookings", headers=worker.headers()).get_json()
    assert [(b["status"], b["earning"]["paid_at"] is not None) for b in mine] == [
        ("completed", True)
    ]
    assert client.get(
        "/api/v1/audit-events/verify", headers=auth_headers(make_user("admin"))
    ).get_json()["ok"]


def test_from_posting_to_a_wage_arrears_alert(client, make_user, auth_headers):
    _employer, worker, _profile, booking, approved, start = post_and_work_a_shift(
        client, make_user, auth_headers
    )
    official = make_user("official", city="wuxi")
    with time_machine.travel(start + timedelta(days=16), tick=False):
        assert run_job("wage_arrears").result == 1
        alerts = client.get("/api/v1/alerts", headers=auth_headers(official)).get_json()
    assert [(a["type"], a["booking_id"], a["resolved_at"]) for a in alerts] == [
        ("wage_arrears", booking["id"], None)
    ]
    assert (
        client.get("/api/v1/alerts", headers=worker.headers()).get_json()[0]["earning_id"]
        == approved["earning"]["id"]
    )
    notices = client.get("/api/v1/notifications", headers=worker.headers()).get_json()
    assert "wage_arrears" in {notice["kind"] for notice in notices}
