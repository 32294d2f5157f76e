"""Request ids in headers, error bodies and logs; security headers on every response."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from marketplace.extensions import db
from marketplace.observability import JsonFormatter, redact
from tests.conftest import SECRETS

ROOT = Path(__file__).resolve().parent.parent


def test_every_response_carries_a_request_id_and_errors_repeat_it(client):
    ok = client.get("/api/v1/health")
    assert len(ok.headers["X-Request-ID"]) >= 8
    missing = client.get("/api/v1/no-such-thing")
    assert missing.get_json()["request_id"] == missing.headers["X-Request-ID"]
    assert missing.headers["X-Request-ID"] != ok.headers["X-Request-ID"]


def test_a_sane_request_id_from_the_caller_is_kept_and_anything_else_replaced(client):
    kept = client.get("/api/v1/health", headers={"X-Request-ID": "app-7f3a9c2e"})
    assert kept.headers["X-Request-ID"] == "app-7f3a9c2e"
    for bad in ("short", "with spaces in it", "x" * 65, "<script>alert(1)</script>"):
        replaced = client.get("/api/v1/health", headers={"X-Request-ID": bad})
        assert replaced.headers["X-Request-ID"] != bad


def test_json_responses_carry_the_security_headers(client):
    response = client.get("/api/v1/cities")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["Cache-Control"] == "no-store"
    # No CORS unless configured: no Access-Control-Allow-Origin for another origin.
    cross = client.get("/api/v1/cities", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in cross.headers


def test_the_docs_page_keeps_its_scripts(client):
    page = client.get("/api/v1/docs")
    assert "Content-Security-Policy" not in page.headers
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_log_lines_are_json_with_the_request_id(app):
    record = logging.LogRecord(
        "marketplace.test", logging.WARNING, __file__, 1, "出错了 %s", ("x",), None
    )
    with app.test_request_context(headers={"X-Request-ID": "req-12345678"}):
        app.preprocess_request()
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "出错了 x" and line["level"] == "WARNING"
    assert line["request_id"] == "req-12345678"


def test_no_id_number_or_phone_number_reaches_a_log_line(app):
    number, phone = "32020219900517123X", "13912345678"
    try:
        raise ValueError(f"lookup failed for {number} / {phone}")
    except ValueError:
        failure = sys.exc_info()
    message = "worker %s phone %s"
    record = logging.LogRecord(
        "marketplace.test", logging.ERROR, __file__, 1, message, (number, phone), failure
    )
    with app.test_request_context():
        line = JsonFormatter().format(record)
    assert number not in line and phone not in line
    entry = json.loads(line)
    assert entry["message"] == "worker 3202************3X phone 139****5678"
    assert "3202************3X" in entry["exception"]


def test_redaction_leaves_other_numbers_alone():
    text = "booking 12345 paid 2750.00 at 1763790000123 for shift 138"
    assert redact(text) == text


def test_database_errors_do_not_carry_their_parameters(app, database):
    from sqlalchemy import text

    phone = "13987654321"
    with pytest.raises(DBAPIError) as failed, database.begin_nested():
        database.execute(text("SELECT * FROM no_such_table WHERE phone = :p"), {"p": phone})
    assert phone not in str(failed.value)


def test_cors_answers_only_the_configured_origins(app):
    from marketplace import create_app

    allowed = "https://gig.wuxi.gov.cn"
    configured = create_app({**app.config, "CORS_ORIGINS": f"{allowed}, https://other.example"})
    try:
        _check_cors(configured.test_client(), allowed)
    finally:
        with configured.app_context():
            db.engine.dispose()


def _check_cors(client, allowed: str) -> None:
    ours = client.get("/api/v1/health", headers={"Origin": allowed})
    assert ours.headers["Access-Control-Allow-Origin"] == allowed
    assert "Access-Control-Allow-Credentials" not in ours.headers
    preflight = client.options(
        "/api/v1/auth/token",
        headers={"Origin": allowed, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == allowed
    stranger = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    desk = client.get("/desk/login", headers={"Origin": allowed})
    assert "Access-Control-Allow-Origin" not in desk.headers  # the API only


# --- what the servers say about themselves ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_headers(url: str, deadline: float) -> list[str]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 — loopback
                return response.headers.get_all("Server") or []
        except urllib.error.HTTPError as error:
            return error.headers.get_all("Server") or []
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow  # a development server process: `make test-fast` leaves it out
def test_the_development_server_names_no_version(tmp_path: Path):
    # `make run` is `flask --app wsgi run`: the very command, on a loopback port.
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
        "SECRET_KEY": SECRETS["SECRET_KEY"],
        "MARKETPLACE_ID_KEY": SECRETS["ID_KEY"],
    }
    environment.pop("TEST_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        served = _server_headers(f"http://127.0.0.1:{port}/desk/login", time.monotonic() + 30)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert served == ["Werkzeug"]


# --- nothing personal is ever cached ----------------------------------------------------------

_PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _sample_url(rule: str) -> str:
    # An id is 1, a file format csv, anything else a word: the route is reached, whatever answers.
    def value(found: re.Match[str]) -> str:
        converter = found.group(1)
        return {"int": "1", "any": "csv"}.get(converter or "", "x")

    return _PLACEHOLDER.sub(value, rule)


def test_every_answer_of_the_api_and_the_desk_is_never_stored_by_a_cache(
    app, client, auth_headers, make_user
):
    from tests.desk.conftest import sign_in

    admin = make_user("admin")
    sign_in(client, admin)  # the desk's pages as a signed-in admin, the API with a token
    answered: dict[str, set[int]] = {"/api/": set(), "/desk/": set()}
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.rule, sorted(rule.methods)))
    for rule in rules:
        if not rule.rule.startswith(("/api/", "/desk/")) or rule.endpoint.endswith("static"):
            continue
        if rule.endpoint == "docs_asset":
            continue
        url = _sample_url(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, auth_headers(admin)):
                response = client.open(url, method=method, headers=headers, json={})
                assert response.headers.get("Cache-Control") == "no-store", (method, url)
                answered["/api/" if url.startswith("/api/") else "/desk/"].add(response.status_code)
    for url in ("/api/v1/nowhere", "/desk/nowhere", "/desk"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    # Successful answers were among them, not only refusals.
    assert 200 in answered["/api/"] and 200 in answered["/desk/"]


def test_the_static_files_everyone_gets_may_be_cached(client):
    for url in ("/desk/static/desk.css", "/api/v1/docs/assets/swagger-ui.css"):
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert "no-store" not in response.headers.get("Cache-Control", ""), url
