"""The per-user limit on booking attempts (OWASP API6, shift-grabbing bots).

A user may make BOOKING_RATE_LIMIT attempts (default 10) in any sliding window of
BOOKING_RATE_WINDOW_SECONDS (default 60); failed attempts count; the next one answers 429 with
``Retry-After`` and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace import clock
from marketplace.audit.models import AuditEvent
from marketplace.auth.models import AccessToken, LoginFailure
from marketplace.bookings.models import Booking, BookingAttempt
from marketplace.config import ConfigError, build
from marketplace.jobs.models import Shift
from marketplace.scheduler import run_job
from tests.conftest import shift_times

LIMIT = 10
WINDOW = timedelta(seconds=60)


def book(client, headers, shift_id):
    return client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=headers)


def count(database, model, *conditions) -> int:
    return database.scalar(select(func.count()).select_from(model).where(*conditions))


@pytest.fixture
def hourly_shifts(make_job):
    """Twelve one-hour shifts end to end (no overlap, 12 h: inside the part-time limit)."""
    shifts = [
        {**shift_times(days_ahead=3, start_hour=hour, hours=1), "headcount": 3}
        for hour in range(7, 19)
    ]
    return [shift.id for shift in make_job(shifts=shifts).shifts]


@pytest.fixture
def frozen():
    with time_machine.travel(clock.now(), tick=False) as traveller:
        yield traveller


def test_bookings_under_the_limit_all_go_through(
    client, headers_of, make_worker, hourly_shifts, database, frozen
):
    headers = headers_of(make_worker())
    for shift_id in hourly_shifts[:LIMIT]:
        assert book(client, headers, shift_id).status_code == 201
    assert count(database, Booking) == LIMIT
    assert count(database, BookingAttempt) == LIMIT


def test_the_attempt_over_the_limit_is_429_with_retry_after_and_changes_nothing(
    client, headers_of, make_worker, hourly_shifts, database, frozen
):
    headers = headers_of(make_worker())
    for shift_id in hourly_shifts[:LIMIT]:
        assert book(client, headers, shift_id).status_code == 201
    events_before = count(database, AuditEvent)

    response = book(client, headers, hourly_shifts[LIMIT])

    assert response.status_code == 429
    body = response.get_json()
    assert (body["code"], body["status"]) == (429, "Too Many Requests")
    assert "booking attempts" in body["message"] and body["request_id"]
    # Time stands still: the oldest attempt leaves the window in exactly one window.
    assert response.headers["Retry-After"] == "60"
    assert count(database, Booking) == LIMIT
    assert count(database, Booking, Booking.shift_id == hourly_shifts[LIMIT]) == 0
    assert database.scalar(select(Shift.booked).where(Shift.id == hourly_shifts[LIMIT])) == 0
    assert count(database, AuditEvent) == events_before
    # A refused attempt is not recorded: the Retry-After it announced holds.
    assert count(database, BookingAttempt) == LIMIT


def test_failed_attempts_count_a_bot_hammering_a_full_shift_is_limited(
    client, headers_of, make_worker, make_job, hourly_shifts, database, frozen
):
    full = make_job(shifts=[{**shift_times(days_ahead=5), "headcount": 1}]).shifts[0]
    assert book(client, headers_of(make_worker()), full.id).status_code == 201
    bot = headers_of(make_worker())
    for _ in range(LIMIT):
        assert book(client, bot, full.id).status_code == 409
    # The failed requests were rolled back, all but their attempts.
    assert count(database, BookingAttempt) == LIMIT + 1
    assert database.scalar(select(Shift.booked).where(Shift.id == full.id)) == 1

    response = book(client, bot, hourly_shifts[0])
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert count(database, Booking, Booking.shift_id == hourly_shifts[0]) == 0


def test_an_attempt_at_a_missing_shift_counts_too(
    client, headers_of, make_worker, hourly_shifts, frozen
):
    headers = headers_of(make_worker())
    for _ in range(LIMIT):
        assert book(client, headers, 999_999).status_code == 404
    assert book(client, headers, hourly_shifts[0]).status_code == 429


def test_the_window_slides_the_user_may_book_again_once_old_attempts_age_out(
    client, headers_of, make_worker, hourly_shifts, database, frozen
):
    headers = headers_of(make_worker())
    # Ten attempts five seconds apart: the first at t0, the last at t0 + 45 s.
    for shift_id in hourly_shifts[:LIMIT]:
        assert book(client, headers, shift_id).status_code == 201
        frozen.shift(timedelta(seconds=5))
    # Now t0 + 50 s: the first attempt leaves the window at t0 + 60 s.
    refused = book(client, headers, hourly_shifts[LIMIT])
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "10"

    frozen.shift(timedelta(seconds=9))
    assert book(client, headers, hourly_shifts[LIMIT]).status_code == 429

    frozen.shift(timedelta(seconds=1))
    assert book(client, headers, hourly_shifts[LIMIT]).status_code == 201
    # One attempt aged out and one came in: the window is full again, the next wait is 5 s.
    again = book(client, headers, hourly_shifts[LIMIT + 1])
    assert again.status_code == 429 and again.headers["Retry-After"] == "5"
    assert count(database, Booking) == LIMIT + 1


def test_one_users_limit_does_not_touch_another_user(
    client, headers_of, make_worker, hourly_shifts, frozen
):
    greedy, other = headers_of(make_worker()), headers_of(make_worker())
    for shift_id in hourly_shifts[:LIMIT]:
        assert book(client, greedy, shift_id).status_code == 201
    assert book(client, greedy, hourly_shifts[LIMIT]).status_code == 429
    assert book(client, other, hourly_shifts[LIMIT]).status_code == 201


def test_the_limit_and_window_come_from_the_configuration(
    app, client, headers_of, make_worker, hourly_shifts, frozen, monkeypatch
):
    monkeypatch.setitem(app.config, "BOOKING_RATE_LIMIT", 2)
    monkeypatch.setitem(app.config, "BOOKING_RATE_WINDOW_SECONDS", 600)
    headers = headers_of(make_worker())
    assert book(client, headers, hourly_shifts[0]).status_code == 201
    assert book(client, headers, hourly_shifts[1]).status_code == 201
    refused = book(client, headers, hourly_shifts[2])
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"


def test_the_settings_have_defaults_the_environment_overrides_and_bad_values_stop_start(tmp_path):
    defaults = build(tmp_path, {}, None)
    assert (defaults["BOOKING_RATE_LIMIT"], defaults["BOOKING_RATE_WINDOW_SECONDS"]) == (10, 60)
    environ = {
        "MARKETPLACE_BOOKING_RATE_LIMIT": "30",
        "MARKETPLACE_BOOKING_RATE_WINDOW_SECONDS": "300",
    }
    settings = build(tmp_path, environ, None)
    assert (settings["BOOKING_RATE_LIMIT"], settings["BOOKING_RATE_WINDOW_SECONDS"]) == (30, 300)
    for bad in ({"MARKETPLACE_BOOKING_RATE_LIMIT": "0"}, {"MARKETPLACE_BOOKING_RATE_LIMIT": "x"}):
        with pytest.raises(ConfigError, match="BOOKING_RATE_LIMIT"):
            build(tmp_path, bad, None)
    with pytest.raises(ConfigError, match="BOOKING_RATE_WINDOW_SECONDS"):
        build(tmp_path, {"MARKETPLACE_BOOKING_RATE_WINDOW_SECONDS": "-5"}, None)


def test_the_openapi_document_shows_the_429_and_its_retry_after(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    responses = spec["paths"]["/api/v1/shifts/{shift_id}/bookings"]["post"]["responses"]
    assert responses["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_the_purge_job_drops_attempts_out_of_the_window_and_old_login_records(
    app, client, headers_of, make_worker, make_user, hourly_shifts, database
):
    headers = headers_of(make_worker())
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert book(client, headers, hourly_shifts[0]).status_code == 201
        client.post("/api/v1/auth/token", json={"phone": "13900000000", "password": "wrong-pw1"})
        traveller.shift(timedelta(seconds=30))
        assert book(client, headers, hourly_shifts[1]).status_code == 201
        traveller.shift(timedelta(seconds=31))
        # The first attempt is out of the window, the second still in it.
        assert run_job("purge").result == {
            "booking_attempts": 1,
            "idempotency_keys": 0,
            "desk_sessions": 0,
        }
        assert count(database, BookingAttempt) == 1
        assert count(database, LoginFailure) == 1
        assert run_job("purge").result == {
            "booking_attempts": 0,
            "idempotency_keys": 0,
            "desk_sessions": 0,
        }

    assert count(database, AccessToken) == 1
    ttl = timedelta(seconds=app.config["ACCESS_TOKEN_TTL_SECONDS"])
    with time_machine.travel(start + ttl + timedelta(days=1, minutes=1), tick=False):
        run_job("purge")
    assert count(database, BookingAttempt) == 0
    assert count(database, LoginFailure) == 0
    assert count(database, AccessToken) == 0


def test_a_booking_refused_halfway_keeps_its_attempt_and_nothing_else(
    client, headers_of, make_worker, hourly_shifts, database, monkeypatch
):
    from marketplace.bookings import services
    from marketplace.errors import Conflict

    def refuse_after_writing(*_args, **_kwargs):
        raise Conflict("refused after the place was taken and the booking inserted")

    # The place is taken and the booking inserted before record_transition runs.
    monkeypatch.setattr(services, "record_transition", refuse_after_writing)
    response = book(client, headers_of(make_worker()), hourly_shifts[0])
    assert response.status_code == 409
    assert count(database, Booking) == 0
    assert database.scalar(select(Shift.booked).where(Shift.id == hourly_shifts[0])) == 0
    assert count(database, BookingAttempt) == 1
