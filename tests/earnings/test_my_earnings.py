"""A worker's own earnings: from bookings and imported, by month."""

from __future__ import annotations

import json
from datetime import date

from tests.subsidies.conftest import add_booking_earning, add_income

MINE = "/api/v1/workers/me/earnings"


def test_a_worker_sees_booking_and_imported_earnings_of_a_month(
    client, auth_headers, person, shift_of, database
):
    me, other = person(), person()
    shift = shift_of()
    booked = add_booking_earning(database, me.id, shift, date(2026, 3, 10), "240.00", hours="8")
    add_income(database, me.id, ["2026-03", "2026-04"], "1000.00", hours="40", source="migration")
    add_income(database, other.id, ["2026-03"], "999.00")

    response = client.get(MINE, query_string={"month": "2026-03"}, headers=auth_headers(me.user))

    assert response.status_code == 200
    rows = sorted(response.get_json(), key=lambda row: row["id"])
    assert rows == [
        {
            "id": booked.id,
            "booking_id": booked.booking_id,
            "adjusts": None,
            "month": "2026-03",
            "hours": "8.00",
            "amount": "240.00",
            "paid_at": None,
            "source": "platform",
        },
        {
            "id": rows[1]["id"],
            "booking_id": None,
            "adjusts": None,
            "month": "2026-03",
            "hours": "40.00",
            "amount": "1000.00",
            "paid_at": None,
            "source": "migration",
        },
    ]
    everything = client.get(MINE, headers=auth_headers(me.user))
    assert len(everything.get_json()) == 3
    assert json.loads(everything.headers["X-Pagination"])["total"] == 3
    assert everything.get_json()[0]["month"] == "2026-04"  # newest month first


def test_a_malformed_month_is_422(client, auth_headers, person):
    me = person()
    response = client.get(MINE, query_string={"month": "2026-3"}, headers=auth_headers(me.user))
    assert response.status_code == 422
    assert "month" in response.get_json()["errors"]["query"]


def test_only_workers_with_a_profile_have_earnings(client, auth_headers, make_user):
    assert client.get(MINE, headers=auth_headers(make_user("employer"))).status_code == 403
    assert client.get(MINE, headers=auth_headers(make_user("worker"))).status_code == 404
    assert client.get(MINE).status_code == 401
