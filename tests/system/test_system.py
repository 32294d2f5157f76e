"""Health, cities, the OpenAPI document, the docs page and the error shape."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask

from marketplace import create_app
from tests.conftest import SECRETS

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_health_reports_the_database(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_and_every_request_are_503_when_the_database_is_gone(tmp_path):
    unreachable = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/none",
            **SECRETS,
        }
    )
    client = unreachable.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the message as written below
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    # Any other request that needs the database: 503 in the error shape, no traceback.
    for answer in (
        client.get("/api/v1/auth/me", headers={"Authorization": "Bearer some-token"}),
        client.post("/api/v1/auth/token", json={"phone": "13900000000", "password": "x" * 8}),
    ):
        assert answer.status_code == 503
        body = answer.get_json()
        assert (body["code"], body["status"]) == (503, "Service Unavailable")
        assert body["message"].startswith("Service unavailable: the database does not answer")
        assert body["request_id"] and "Traceback" not in answer.get_data(as_text=True)


def test_cities_list_both_cities_with_their_districts(client):
    cities = {city["code"]: city for city in client.get("/api/v1/cities").get_json()}
    assert set(cities) == {"wuxi", "xining"}
    assert cities["wuxi"]["name"] == "无锡市"
    assert cities["wuxi"]["timezone"] == "Asia/Shanghai"
    assert cities["wuxi"]["districts"] == [
        "梁溪区",
        "锡山区",
        "惠山区",
        "滨湖区",
        "新吴区",
        "江阴市",
        "宜兴市",
    ]
    assert "大通回族土族自治县" in cities["xining"]["districts"]


@pytest.mark.parametrize(
    ("local_day", "wuxi", "xining"),
    [
        # The value in force is the latest whose date is not after today (city time).
        (
            "2025-12-31T23:59:00",
            ("2490.00", "24.00", "2024-01-01"),
            ("1880.00", "18.00", "2023-02-01"),
        ),
        (
            "2026-01-01T00:01:00",
            ("2660.00", "25.00", "2026-01-01"),
            ("1880.00", "18.00", "2023-02-01"),
        ),
        (
            "2023-01-31T12:00:00",
            ("2280.00", "22.00", "2021-08-01"),
            ("1700.00", "15.20", "2020-01-01"),
        ),
    ],
)
def test_cities_answer_with_the_minimum_wage_in_force_today(client, local_day, wuxi, xining):
    instant = datetime.fromisoformat(local_day).replace(tzinfo=SHANGHAI)
    with time_machine.travel(instant, tick=False):
        cities = {city["code"]: city for city in client.get("/api/v1/cities").get_json()}
    for code, (monthly, hourly, since) in (("wuxi", wuxi), ("xining", xining)):
        assert cities[code]["minimum_wage"] == {
            "monthly": monthly,
            "hourly": hourly,
            "effective_from": since,
        }


def test_openapi_document_lists_every_endpoint(client, app: Flask):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith(("api-docs", "docs")):
            continue
        # "<int:job_id>" and "<any(csv, xlsx):file_format>" are documented as "{job_id}" and
        # "{file_format}".
        path = re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((path, method))
    assert served, "no API routes found"
    assert served <= documented, f"undocumented: {served - documented}"


def test_openapi_document_marks_public_and_protected_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/v1/auth/register"]["post"]["security"] == []
    assert "security" not in spec["paths"]["/api/v1/auth/me"]["get"]


def test_docs_page_loads_its_assets_from_this_service(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page
    assert "http://" not in page and "https://" not in page
    with client.get("/api/v1/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
        assert len(asset.get_data()) > 100_000


def test_an_unknown_path_is_404_in_the_error_shape(client):
    response = client.get("/api/v1/no-such-thing")
    body = response.get_json()
    assert response.status_code == 404
    assert body["code"] == 404 and body["status"] == "Not Found" and body["message"]


def test_a_wrong_method_is_405_in_the_error_shape(client):
    response = client.delete("/api/v1/cities")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405


def test_a_500_shows_neither_traceback_nor_the_exception_text(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'crash.db'}",
            **SECRETS,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )

    @app.get("/api/v1/crash")
    def crash():
        raise RuntimeError("secret detail: password=hunter2")

    response = app.test_client().get("/api/v1/crash")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == 500 and body["status"] == "Internal Server Error" and body["message"]
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text


def test_a_body_over_the_size_limit_is_413_in_the_error_shape(client):
    response = client.post(
        "/api/v1/auth/register",
        data=b'{"phone": "' + b"1" * (3 * 1024 * 1024) + b'"}',
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
