"""The load benchmark's tooling: its city's requests succeed, its report counts every error.

The run itself (gunicorn, wrk, minutes of load) is ``make load``; these check the parts whose
mistakes would make its figures wrong: requests that fail by design (401s, 404s, "full",
"outside the geofence"), errors left out of the count, or a run pointed at a shared database.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import scoped_session

from bench import load, load_city
from marketplace.bookings.models import Booking
from marketplace.jobs.models import Shift


def _lines(directory: Path, kind: str) -> list[tuple[str, str, str, str]]:
    rows = (directory / f"{kind}.tsv").read_text().splitlines()
    return [tuple(row.split("\t")) for row in rows]  # type: ignore[misc]


def _send(client: FlaskClient, line: tuple[str, str, str, str]) -> Any:
    method, path, token, body = line
    return client.open(
        path,
        method=method,
        headers={"Authorization": f"Bearer {token}"},
        data=body or None,
        content_type="application/json",
    )


@pytest.fixture
def prepared(database: scoped_session, tmp_path: Path) -> Path:
    """A small load city in the test's transaction, its requests written to ``tmp_path``."""
    written = load_city.prepare("wuxi", workers=40, shifts=30, months=0, out=tmp_path)
    database.commit()
    assert written.lines["book"] == written.lines["checkin"] == 40
    return tmp_path


def test_every_prepared_request_succeeds(client: FlaskClient, prepared: Path) -> None:
    """Each booking and each check-in line works once; searches and candidates answer 200."""
    for kind, expected in (("book", 201), ("checkin", 200)):
        for line in _lines(prepared, kind):
            response = _send(client, line)
            assert response.status_code == expected, (kind, response.get_json())
    for kind in ("search", "candidates"):
        for line in _lines(prepared, kind)[:15]:
            response = _send(client, line)
            assert response.status_code == 200, (kind, response.get_json())
            assert isinstance(response.get_json(), list)
    assert any(_send(client, line).get_json() for line in _lines(prepared, "search")[:15])


def test_check_ins_are_inside_the_window_and_the_geofence(
    client: FlaskClient, prepared: Path, database: scoped_session
) -> None:
    """A check-in line is the booking's own worker, within 500 m, while the shift is on."""
    line = _lines(prepared, "checkin")[0]
    booking_id = int(line[1].split("/")[4])
    response = _send(client, line)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "checked_in"
    booking = database.get(Booking, booking_id)
    assert booking is not None and booking.check_in_distance_m is not None
    assert booking.check_in_distance_m < 100


def test_a_line_of_a_consumable_kind_fails_when_sent_twice(
    client: FlaskClient, prepared: Path
) -> None:
    """Why wrk must never reuse a booking or a check-in line: the second one is a 409."""
    for kind in load.CONSUMABLE:
        line = _lines(prepared, kind)[0]
        assert _send(client, line).status_code in (200, 201)
        assert _send(client, line).status_code == 409


def test_places_are_counted_as_the_booking_service_counts_them(
    prepared: Path, database: scoped_session
) -> None:
    """Every shift's ``booked`` equals its place-holding bookings, and targets have room."""
    held = dict(
        database.execute(select(Booking.shift_id, func.count()).group_by(Booking.shift_id)).all()
    )
    for shift in database.scalars(select(Shift).where(Shift.id.in_(held))):
        assert shift.booked == held[shift.id] <= shift.headcount
    targets = {int(line[1].split("/")[4]) for line in _lines(prepared, "book")}
    for shift_id in targets:
        shift = database.get(Shift, shift_id)
        assert shift is not None and shift.job.required_skills == []
        assert shift.headcount - shift.booked >= sum(
            1 for line in _lines(prepared, "book") if f"/shifts/{shift_id}/" in line[1]
        )


def test_bookings_sent_together_book_different_shifts(
    database: scoped_session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines wrk sends at once take the targets in turn: one shift's row would queue them."""
    monkeypatch.setattr(load_city, "TARGET_HEADCOUNT", 10)
    load_city.prepare("wuxi", workers=40, shifts=30, months=0, out=tmp_path)
    targets = [line[1] for line in _lines(tmp_path, "book")]
    assert len(set(targets[:4])) == 4
    assert max(targets.count(target) for target in set(targets)) <= 10


def _raw(statuses: dict[str, int], **socket: int) -> dict[str, Any]:
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0} | socket
    return {
        "duration_us": 2_000_000,
        "requests": sum(statuses.values()),
        "bytes": 1,
        "socket_errors": errors,
        "latency_us": {"mean": 1500, "max": 9000, "p50": 1000, "p90": 2000, "p99": 4000},
        "threads": {"0": {"statuses": statuses, "used": {"book": 3}, "wrapped": {"book": 0}}},
    }


def test_report_counts_every_non_2xx_and_socket_error() -> None:
    """401s, 409s, 500s and timeouts are errors; 409s are also shown on their own."""
    result = load.summarise(
        _raw(
            {"search 200": 10, "book 201": 3, "book 409": 2, "checkin 401": 1, "x 500": 1},
            timeout=4,
        ),
        "mix",
    )
    assert result["errors"] == 2 + 1 + 1 + 4
    assert result["non_2xx"] == 4
    assert result["conflicts_409"] == 2
    assert result["rps"] == 8.5
    assert (result["p50_ms"], result["p99_ms"]) == (1.0, 4.0)
    assert result["statuses_by_kind"]["book"] == {"201": 3, "409": 2}


def test_report_of_a_clean_run_has_no_errors() -> None:
    """Only 2xx and no socket errors: nothing is counted."""
    result = load.summarise(_raw({"health 200": 40}), "bare")
    assert result["errors"] == 0
    assert result["rps"] == 20.0


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "postgresql://postgres@127.0.0.1:5432",
        "sqlite:///load.db",
    ],
)
def test_load_refuses_shared_or_unsuitable_databases(url: str) -> None:
    """The run empties its database: never the suite's, the server's own, or a SQLite file."""
    with pytest.raises(load.LoadError):
        load.database_url(url)


def test_load_accepts_a_dedicated_database() -> None:
    """A database of its own is fine."""
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/marketplace_load"
    assert load.database_url(url) == url


class _Echo(BaseHTTPRequestHandler):
    """Answers 200 (201 to POSTs) and echoes X-Request-ID, as the app does; keeps the paths."""

    seen: ClassVar[list[str]] = []
    lock = threading.Lock()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with self.lock:
            self.seen.append(f"{self.command} {self.path}")
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("X-Request-ID", self.headers.get("X-Request-ID", ""))
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, *_args: Any) -> None:
        """Quiet."""


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A local HTTP server standing in for gunicorn."""
    _Echo.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_wrk_script_sends_each_consumable_line_once_across_threads_and_runs(
    echo_server: str, tmp_path: Path
) -> None:
    """Two threads, two runs: no booking or check-in line goes out twice, the mix has all kinds."""
    for kind in load.WEIGHTS:
        rows = [
            f"{'POST' if kind in load.CONSUMABLE else 'GET'}\t/{kind}/{n}\ttoken\t"
            + ('{"lat": 1}' if kind == "checkin" else "")
            for n in range(5000)
        ]
        (tmp_path / f"{kind}.tsv").write_text("\n".join(rows) + "\n")
    starts = {kind: 0 for kind in load.CONSUMABLE}
    results = []
    for _ in range(2):
        result = load.wrk(
            shutil.which("wrk") or "wrk", echo_server, "mix", tmp_path, 1, 4, 2, starts
        )
        for kind, count in result["lines_used_per_thread"].items():
            if kind in starts:
                starts[kind] += count * 2
        results.append(result)
    sent = [line for line in _Echo.seen if line.startswith("POST")]
    assert sent and len(sent) == len(set(sent)), "a consumable line was sent twice"
    for result in results:
        assert result["errors"] == 0 and result["pool_reused"] == 0
        assert set(result["statuses_by_kind"]) == set(load.WEIGHTS)
    total = {kind: 0 for kind in load.WEIGHTS}
    for result in results:
        for kind, counts in result["statuses_by_kind"].items():
            total[kind] += sum(counts.values())
    share = total["search"] / sum(total.values())
    assert 0.4 < share < 0.6, json.dumps(total)


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_bookings_alone_send_only_bookings_each_once(echo_server: str, tmp_path: Path) -> None:
    """The write-throughput run: the mix narrowed to bookings, no line sent twice."""
    for kind in load.WEIGHTS:
        method = "POST" if kind in load.CONSUMABLE else "GET"
        rows = [f"{method}\t/{kind}/{n}\ttoken\t" for n in range(5000)]
        (tmp_path / f"{kind}.tsv").write_text("\n".join(rows) + "\n")
    starts = {kind: 100 for kind in load.CONSUMABLE}
    result = load.wrk(
        shutil.which("wrk") or "wrk", echo_server, "mix", tmp_path, 1, 4, 1, starts, {"book": 1}
    )
    assert set(result["statuses_by_kind"]) == {"book"} and result["errors"] == 0
    sent = [line for line in _Echo.seen if line.startswith("POST")]
    assert sent and len(sent) == len(set(sent))
    assert all(line.split()[1].startswith("/book/") for line in sent)
    # None before the start (wrk builds one request per thread it never sends: a line skipped).
    assert min(int(line.split()[1].split("/")[2]) for line in sent) >= 100


def test_wrk_missing_and_not_installable_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without wrk and without root, the run stops with the command that installs it."""
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(load.os, "geteuid", lambda: 1000)
    with pytest.raises(load.LoadError, match="apt-get install wrk"):
        load.require_wrk()


def test_the_hot_path_measure_counts_each_kinds_statements(
    app: Any, client: FlaskClient, prepared: Path
) -> None:
    """``python -m bench hotpath``: every kind measured, statements within the hot-path budgets."""
    from bench import hotpath
    from marketplace.extensions import db

    with app.app_context():
        engine = db.engine
    figures = hotpath.measure(client, engine, prepared, count=10, warmup=5, from_line=20)
    assert set(figures) == {*hotpath.KINDS, "mix"}
    assert all(figure["ms"] > 0 for figure in figures.values())
    statements = {kind: figure["statements"] for kind, figure in figures.items()}
    # health: the probe; search: token and one page; check-in: token, the booking at work,
    # the update and the audit (3 on PostgreSQL); booking: see test_bookings.
    assert 1 <= statements["health"] <= 2
    assert 2 <= statements["search"] <= 3
    assert statements["checkin"] <= 6
    assert statements["book"] <= 15
