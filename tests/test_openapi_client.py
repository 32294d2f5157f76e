"""A Python client generated from the OpenAPI document works a shift against a live server.

openapi-python-client generates a package from ``/api/v1/openapi.json`` (so the document must be
one it can read, with an ASCII title to name the package after); the package is imported from
the test's temporary directory, never installed. Through it alone, over HTTP to the app served
by werkzeug in a thread (its own committed SQLite database), a worker and an employer register,
write their profiles, the employer posts a job, the worker books its shift, checks in and out,
and the employer approves the hours. The clock is moved with time_machine, which the server's
thread sees too. The generated client raises on any status the document does not list, and
parses every answer with the document's response schemas.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask

from tests.conftest import (
    CITY_POINTS,
    committed_app,
    credit_code,
    next_phone,
    resident_id,
    served,
)

pytestmark = pytest.mark.slow  # generating a client and serving HTTP: `make test-fast` skips it

PACKAGE = "marketplace_api_client"  # openapi-python-client's name for the title "marketplace API"
SITE = CITY_POINTS["wuxi"]
CHINA = ZoneInfo("Asia/Shanghai")
# A fixed timeline, whatever day the test runs: posted on a Monday, worked on the Wednesday.
POSTED_AT = datetime(2027, 3, 1, 10, 0, tzinfo=CHINA)
SHIFT_START = datetime(2027, 3, 3, 8, 0, tzinfo=CHINA)
SHIFT_END = datetime(2027, 3, 3, 12, 0, tzinfo=CHINA)
PASSWORD = "a-good-password-42"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on its own committed database (SQLite unless TEST_DATABASE_URL says otherwise)."""
    config = {
        "SECRET_KEY": "client-test-secret-key",
        "ID_KEY": "client-test-id-number-key",
        "AUDIT_KEY": "client-test-audit-key",
        "AUDIT_SIGNING_KEY": "client-test-audit-signing-key",
        # The tokens of the sign-up still hold when the clock reaches the shift, two days on.
        "ACCESS_TOKEN_TTL_SECONDS": 7 * 24 * 3600,
    }
    with committed_app(tmp_path_factory.mktemp("client"), "openapi_client", config) as (app, _):
        yield app


@pytest.fixture(scope="module")
def live_url(live_app: Flask) -> Iterator[str]:
    """The app served over HTTP on a free loopback port."""
    with served(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def client_package(live_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The package openapi-python-client generates from the app's document, imported."""
    work = tmp_path_factory.mktemp("generated")
    document = work / "openapi.json"
    document.write_text(
        json.dumps(live_app.test_client().get("/api/v1/openapi.json").get_json()),
        encoding="utf-8",
    )
    settings = work / "config.json"
    # No formatter run. A policy file travels as its TOML text (application/toml, a type the
    # generator does not know): the client sends and receives it as bytes, as the generator's
    # documentation says to do for such a type.
    config = {
        "post_hooks": [],
        "content_type_overrides": {"application/toml": "application/octet-stream"},
    }
    settings.write_text(json.dumps(config), encoding="utf-8")
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document),
            "--meta",
            "setup",
            "--config",
            str(settings),
            "--fail-on-warning",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    project = work / "marketplace-api-client"
    setup = (project / "setup.py").read_text(encoding="utf-8")
    assert 'name="marketplace-api-client"' in setup  # an ASCII name pip accepts
    sys.path.insert(0, str(project))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(project))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


class Api:
    """The generated client's operations and models, looked up by their module names."""

    def __init__(self, package: ModuleType, base_url: str) -> None:
        self.package, self.base_url = package, base_url

    def operation(self, tag: str, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def anonymous(self) -> Any:
        return self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)

    def signed_in(self, token: str) -> Any:
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=token, raise_on_unexpected_status=True
        )

    def call(self, tag: str, name: str, expected: int, **arguments: Any) -> Any:
        """Call an operation; its status must be ``expected``; answers the parsed body."""
        response = self.operation(tag, name).sync_detailed(**arguments)
        assert response.status_code == expected, response.content.decode()
        return response.parsed


def sign_up(api: Api, role: str) -> Any:
    """Register an account of ``role`` and sign in: a client carrying its token."""
    phone = next_phone()
    register = api.model("Register").from_dict({"phone": phone, "password": PASSWORD, "role": role})
    user = api.call("auth", "post_api_v1_auth_register", 201, client=api.anonymous(), body=register)
    assert user.role == role
    credentials = api.model("TokenRequest").from_dict({"phone": phone, "password": PASSWORD})
    token = api.call(
        "auth", "post_api_v1_auth_token", 200, client=api.anonymous(), body=credentials
    )
    return api.signed_in(token.access_token)


def test_a_generated_client_works_a_shift_from_posting_to_approval(
    client_package: ModuleType, live_url: str
) -> None:
    api = Api(client_package, live_url)
    health = api.call("health", "get_api_v1_health", 200, client=api.anonymous())
    assert health.status == "ok"

    with time_machine.travel(POSTED_AT, tick=False) as traveller:
        worker, employer = sign_up(api, "worker"), sign_up(api, "employer")
        api.call(
            "workers",
            "put_api_v1_workers_me",
            200,
            client=worker,
            body=api.model("WorkerProfileIn").from_dict(
                {
                    "name": "赵丽",
                    "id_number": resident_id(),
                    "city": "wuxi",
                    "resident": True,
                    "district": "梁溪区",
                    "location": dict(SITE),
                    "skills": ["cleaning"],
                }
            ),
        )
        company = api.call(
            "employers",
            "put_api_v1_employers_me",
            200,
            client=employer,
            body=api.model("EmployerProfileIn").from_dict(
                {
                    "name": "无锡洁净保洁有限公司",
                    "credit_code": credit_code(),
                    "city": "wuxi",
                    "address": "无锡市梁溪区中山路1号",
                    "location": dict(SITE),
                }
            ),
        )
        job = api.call(
            "jobs",
            "post_api_v1_jobs",
            201,
            client=employer,
            body=api.model("JobIn").from_dict(
                {
                    "title": "商场保洁",
                    "category": "保洁绿化",
                    "employment_type": "part_time",
                    "hourly_wage": "30.00",
                    "required_skills": ["cleaning"],
                    "city": "wuxi",
                    "district": "梁溪区",
                    "address": "无锡市梁溪区人民中路139号",
                    "location": dict(SITE),
                    "shifts": [
                        {
                            "starts_at": SHIFT_START.isoformat(),
                            "ends_at": SHIFT_END.isoformat(),
                            "headcount": 1,
                        }
                    ],
                }
            ),
        )
        assert job.employer_id == company.id
        [shift] = job.shifts

        found = api.call(
            "jobs",
            "get_api_v1_shifts",
            200,
            client=worker,
            lat=SITE["lat"],
            lon=SITE["lon"],
            radius_km=3.0,
        )
        assert [item.id for item in found] == [shift.id]
        booking = api.call(
            "bookings",
            "post_api_v1_shifts_shift_id_bookings",
            201,
            shift_id=shift.id,
            client=worker,
        )
        assert str(booking.status) == "confirmed"

        here = api.model("Position").from_dict(dict(SITE))
        traveller.move_to(SHIFT_START.replace(hour=7, minute=50))
        checked_in = api.call(
            "bookings",
            "post_api_v1_bookings_booking_id_check_in",
            200,
            booking_id=booking.id,
            client=worker,
            body=here,
        )
        assert str(checked_in.status) == "checked_in"

        traveller.move_to(SHIFT_END.replace(minute=3))
        checked_out = api.call(
            "bookings",
            "post_api_v1_bookings_booking_id_check_out",
            200,
            booking_id=booking.id,
            client=worker,
            body=here,
        )
        assert str(checked_out.status) == "checked_out"

        approved = api.call(
            "bookings",
            "post_api_v1_bookings_booking_id_approve",
            200,
            booking_id=booking.id,
            client=employer,
            body=api.model("Approve").from_dict({}),
        )
    # 07:50 to 12:03 is 4 h 13 min: never more than the 4 h shift, at 30.00 an hour.
    assert str(approved.status) == "completed"
    assert approved.approved_hours == "4.00"
    assert approved.earning.amount == "120.00"
    mine = api.call("bookings", "get_api_v1_workers_me_bookings", 200, client=worker)
    assert [(item.id, str(item.status)) for item in mine] == [(booking.id, "completed")]


def test_the_generated_package_is_named_from_the_ascii_title(client_package: ModuleType) -> None:
    path = Path(client_package.__file__ or "")
    assert path.parent.name == PACKAGE and path.parent.parent.name == "marketplace-api-client"
