"""The input rules of contract v1.1 ("No 500 for any input"), one finding of the attack review
each: bodies that could hurt are 400, over-long URLs 414, free text normalised and refused when it
holds control characters, and patterns matched whole in ASCII digits.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.workers.models import Worker
from tests.conftest import job_body, worker_body


def _post(client, path: str, raw: bytes, headers: dict[str, str] | None = None):
    return client.post(
        path, data=raw, headers={"Content-Type": "application/json", **(headers or {})}
    )


@pytest.mark.parametrize(
    "raw",
    [
        b'{"phone": "\\ud800", "password": "x"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 33 + b"1" + b"}" * 33,
        b'{"phone": NaN}',
        b'{"phone": ' + b"9" * 5000 + b"}",
        b'{"phone": "\xff\xfe"}',
    ],
    ids=["lone surrogate", "5000 deep", "33 deep", "NaN", "5000 digits", "invalid UTF-8"],
)
def test_a_body_that_could_hurt_is_400_at_the_token_endpoint(client, raw):
    response = _post(client, "/api/v1/auth/token", raw)
    assert response.status_code == 400
    assert response.get_json()["code"] == 400 and response.get_json()["message"]


def test_thirty_two_levels_of_json_are_read(client, headers_of, make_worker):
    """32 levels pass the reader (and reach the schema, which refuses the field: 422)."""
    nested: Any = 1
    for _ in range(31):
        nested = [nested]
    response = client.put(
        "/api/v1/workers/me",
        json={**worker_body(), "skills": nested},
        headers=headers_of(make_worker()),
    )
    assert response.status_code == 422 and "skills" in response.get_json()["errors"]["json"]


def test_a_deep_body_with_an_idempotency_key_is_400_not_500(client, headers_of, make_worker):
    response = _post(
        client,
        "/api/v1/shifts/1/bookings",
        b"[" * 5000 + b"]" * 5000,
        {**headers_of(make_worker()), "Idempotency-Key": "once"},
    )
    assert response.status_code < 500


def test_a_url_longer_than_8192_bytes_is_414_in_the_error_shape(client):
    response = client.get("/api/v1/cities?x=" + "a" * 8200)
    assert response.status_code == 414
    assert response.get_json()["code"] == 414
    assert client.get("/api/v1/cities?x=" + "a" * 8000).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "   "),
        ("name", "张\x00三"),
        ("name", "张\n三"),
        ("name", "\u202e三张"),
        ("district", "梁溪区\x07"),
    ],
)
def test_free_text_with_control_characters_or_only_white_space_is_422(
    client, auth_headers, make_user, database, field, value
):
    """Finding 9: names of white space and NUL characters were stored."""
    response = client.put(
        "/api/v1/workers/me",
        json=worker_body(**{field: value}),
        headers=auth_headers(make_user("worker")),
    )
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"]
    assert database.scalar(select(func.count()).select_from(Worker)) == 0


def test_free_text_is_normalised_nfc_and_trimmed(client, auth_headers, make_user, database):
    decomposed = "  Zoe\u0301 王  "
    response = client.put(
        "/api/v1/workers/me",
        json=worker_body(name=decomposed),
        headers=auth_headers(make_user("worker")),
    )
    assert response.status_code == 200
    assert response.get_json()["name"] == "Zoé 王"
    assert database.scalar(select(Worker.name)) == "Zo\u00e9 王"


def test_multiline_text_keeps_newlines_and_tabs_and_makes_crlf_lf(client, headers_of, make_job):
    job = make_job(description="第一行\r\n第二行\t说明")
    response = client.get(f"/api/v1/jobs/{job.id}", headers=headers_of(job_employer(job)))
    assert response.get_json()["description"] == "第一行\n第二行\t说明"


def job_employer(job):
    from marketplace.employers.models import Employer

    return db.session.get(Employer, job.employer_id)


def test_a_nul_in_a_query_string_is_422_not_a_database_error(client, auth_headers, make_user):
    admin = auth_headers(make_user("admin"))
    response = client.get("/api/v1/subsidies/flags?policy_id=a%00b", headers=admin)
    assert response.status_code == 422
    assert "policy_id" in response.get_json()["errors"]["query"]
    response = client.get("/api/v1/audit-events?entity_id=%00", headers=admin)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hourly_wage", "３０.00"),
        ("hourly_wage", "30.00\n"),
        ("hourly_wage", "٣٠.00"),
    ],
)
def test_money_is_ascii_digits_matched_whole(client, headers_of, make_employer, field, value):
    response = client.post(
        "/api/v1/jobs", json=job_body(**{field: value}), headers=headers_of(make_employer())
    )
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("start", ["０８:00", "08:00\n", "٠٨:٠٠"])
def test_clock_times_are_ascii_digits_matched_whole(client, auth_headers, make_user, start):
    window = [{"weekday": 1, "start": start, "end": "12:00"}]
    response = client.put(
        "/api/v1/workers/me",
        json=worker_body(availability=window),
        headers=auth_headers(make_user("worker")),
    )
    assert response.status_code == 422


@pytest.mark.parametrize("month", ["２０２６-01", "2026-01\n", "2026-٠1"])
def test_months_are_ascii_digits_matched_whole(client, auth_headers, make_user, month):
    response = client.get(
        f"/api/v1/subsidies/flags?month={quote(month)}", headers=auth_headers(make_user("admin"))
    )
    assert response.status_code == 422
