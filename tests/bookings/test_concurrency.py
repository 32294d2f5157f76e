"""Capacity under concurrency: many workers grab the last places at once, exactly headcount win.

These tests commit for real, on a database of their own (a SQLite file, or a schema of the
PostgreSQL test database), first with threads in this process and then over HTTP against
gunicorn with several worker processes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.auth import services as auth_services
from marketplace.bookings.models import Booking
from marketplace.employers import services as employers
from marketplace.employers.schemas import EmployerProfileInSchema
from marketplace.extensions import db
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Shift
from marketplace.jobs.schemas import JobInSchema
from marketplace.workers import services as workers
from marketplace.workers.schemas import WorkerProfileInSchema
from tests.conftest import (
    committed_app,
    employer_body,
    job_body,
    shift_times,
    together,
    worker_body,
)

pytestmark = pytest.mark.slow  # gunicorn and racing threads: `make test-fast` leaves it out

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "live_concurrency"
SECRETS = {
    "SECRET_KEY": "concurrency-secret-key-0123456789",
    "ID_KEY": "concurrency-id-number-key-0123456789",
    "AUDIT_KEY": "concurrency-audit-key-0123456789",
    "AUDIT_SIGNING_KEY": "concurrency-audit-signing-key-0123456789",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """An app on its own committed database, and that database's URL."""
    with committed_app(tmp_path_factory.mktemp("live"), SCHEMA, SECRETS) as (app, url):
        yield app, url


_phones = iter(range(18_000_000_000, 18_999_999_999))


def market(app, headcount: int, workers_count: int, shifts: int = 1) -> tuple[list[int], list[str]]:
    """Commit an employer with ``shifts`` overlapping shifts and workers; answer ids and tokens."""
    with app.app_context():
        employer_user = auth_services.create_user(str(next(_phones)), "password-1", "employer")
        employers.put_profile(employer_user, EmployerProfileInSchema().load(employer_body()))
        body = job_body(
            employment_type="full_time",
            shifts=[{**shift_times(days_ahead=4), "headcount": headcount} for _ in range(shifts)],
        )
        job = jobs.post_job(employer_user, JobInSchema().load(body))
        tokens = []
        for _ in range(workers_count):
            user = auth_services.create_user(str(next(_phones)), "password-1", "worker")
            workers.put_profile(user, WorkerProfileInSchema().load(worker_body()))
            tokens.append(auth_services.create_token(user).access_token)
        shift_ids = [shift.id for shift in job.shifts]
        db.session.commit()
    return shift_ids, tokens


def outcome(app, shift_ids: list[int]) -> tuple[list[int], int]:
    """The places each shift counts as booked, and the live bookings holding places."""
    with app.app_context():
        booked = [db.session.scalar(select(Shift.booked).where(Shift.id == i)) for i in shift_ids]
        holding = db.session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.shift_id.in_(shift_ids), Booking.status == "confirmed")
        )
        db.session.remove()
    return booked, holding


def test_threads_grabbing_the_last_places_never_overbook(live):
    app, _ = live
    [shift_id], tokens = market(app, headcount=3, workers_count=16)
    client = app.test_client()

    def grab(token: str):
        return lambda: (
            client.post(
                f"/api/v1/shifts/{shift_id}/bookings", headers={"Authorization": f"Bearer {token}"}
            ).status_code
        )

    statuses = Counter(together([grab(token) for token in tokens]))
    assert statuses == {201: 3, 409: 13}
    assert outcome(app, [shift_id]) == ([3], 3)


def test_one_worker_racing_for_overlapping_shifts_gets_one(live):
    app, _ = live
    shift_ids, [token] = market(app, headcount=5, workers_count=1, shifts=6)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def grab(shift_id: int):
        return lambda: (
            client.post(f"/api/v1/shifts/{shift_id}/bookings", headers=headers).status_code
        )

    statuses = Counter(together([grab(i) for i in shift_ids]))
    assert statuses == {201: 1, 409: 5}
    booked, holding = outcome(app, shift_ids)
    assert sum(booked) == 1 and holding == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(live, tmp_path_factory: pytest.TempPathFactory):
    """gunicorn with four worker processes serving the live database on a loopback port."""
    _, url = live
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRETS["SECRET_KEY"],
        "MARKETPLACE_ID_KEY": SECRETS["ID_KEY"],
        "MARKETPLACE_AUDIT_KEY": SECRETS["AUDIT_KEY"],
        "MARKETPLACE_AUDIT_SIGNING_KEY": SECRETS["AUDIT_SIGNING_KEY"],
    }
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:marketplace.serving",
                "--workers",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        process.wait(timeout=10)
        pytest.fail("gunicorn did not start: " + log.read_text()[-2000:])
    yield base
    process.terminate()
    process.wait(timeout=30)


def _post(url: str, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310 — a loopback URL built by the test
        url, data=b"", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_gunicorn_processes_grabbing_the_last_places_never_overbook(live, gunicorn):
    app, _ = live
    [shift_id], tokens = market(app, headcount=5, workers_count=24)
    url = f"{gunicorn}/api/v1/shifts/{shift_id}/bookings"
    statuses = Counter(together([lambda token=token: _post(url, token) for token in tokens]))
    assert statuses == {201: 5, 409: 19}
    assert outcome(app, [shift_id]) == ([5], 5)


def test_one_users_concurrent_attempts_across_processes_stop_at_the_limit(live, gunicorn):
    # Sixteen overlapping shifts grabbed at once by one account: ten attempts are counted (one
    # booking, nine refused for the overlap) and the rest are refused by the rate limit, however
    # the four processes interleave them.
    app, _ = live
    shift_ids, [token] = market(app, headcount=5, workers_count=1, shifts=16)
    statuses = Counter(
        together(
            [
                lambda shift_id=shift_id: _post(
                    f"{gunicorn}/api/v1/shifts/{shift_id}/bookings", token
                )
                for shift_id in shift_ids
            ]
        )
    )
    assert statuses == {201: 1, 409: 9, 429: 6}
    booked, holding = outcome(app, shift_ids)
    assert sum(booked) == 1 and holding == 1


def test_gunicorn_names_itself_without_a_version(gunicorn):
    # gunicorn writes its own "Server" header before the application's; it must carry no version.
    for path in ("/api/v1/health", "/desk/login", "/api/v1/no-such-thing"):
        try:
            with urllib.request.urlopen(f"{gunicorn}{path}", timeout=10) as response:  # noqa: S310
                served = response.headers.get_all("Server")
        except urllib.error.HTTPError as error:
            served = error.headers.get_all("Server")
        assert served == ["gunicorn"], path


def _raw_request(base: str, request_line: str, headers: str = "") -> tuple[int, str, dict]:
    """Send one raw HTTP request to gunicorn; answers (status, content type, JSON body)."""
    import socket

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"{request_line}\r\nHost: x\r\n{headers}\r\n".encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), fields.get("Content-Type", ""), json.loads(body)


def test_a_url_too_long_for_gunicorn_is_414_in_the_error_shape(gunicorn):
    """Finding 5: a too-long URL answered 414 as gunicorn's HTML page."""
    status, content_type, body = _raw_request(
        gunicorn, f"GET /api/v1/cities?x={'a' * 9000} HTTP/1.1"
    )
    assert (status, content_type) == (414, "application/json")
    assert body["code"] == 414 and body["status"] == "URI Too Long" and body["message"]


def test_a_malformed_header_gunicorn_refuses_is_400_in_the_error_shape(gunicorn):
    status, content_type, body = _raw_request(
        gunicorn, "GET /api/v1/cities HTTP/1.1", "Bad\x01Name: x\r\n"
    )
    assert (status, content_type) == (400, "application/json")
    assert body["code"] == 400 and body["message"]


def test_a_long_url_within_gunicorns_limit_reaches_the_app(gunicorn):
    # 8,178 bytes of request line: under gunicorn's 8,190 and the app's 8,192 for the URL.
    status, content_type, body = _raw_request(gunicorn, f"GET /api/v1/cities?{'a' * 8150} HTTP/1.1")
    assert status == 200 and content_type == "application/json" and isinstance(body, list)
