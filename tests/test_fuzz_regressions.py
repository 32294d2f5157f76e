"""What the OpenAPI fuzzer (``tests/test_fuzz_openapi.py``) found, each pinned by a plain test.

- Ids wider than the id columns reached the database: a 500 (SQLite's driver overflows past
  64 bits, PostgreSQL refuses to compare more than 32 with an INTEGER column).
- A page number whose row offset overflowed: a 500.
- Instants before 1901 were stored and answered in Shanghai's local mean time
  (``+08:05:43``), no valid date-time; near year 1 they could not be converted to UTC at all.
- Responses broke the document: decimal strings documented as numbers, ``request_id`` missing
  from the error schema, 404/409/413/… answered but undocumented.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace import clock
from marketplace.auth.models import ROLES
from marketplace.common.api import MAX_PAGE
from marketplace.common.schemas import MAX_ID
from tests.conftest import job_body
from tests.subsidies.conftest import add_booking_earning

JOBS = "/api/v1/jobs"
FLAGS = "/api/v1/subsidies/flags"
ASSIGNMENTS = "/api/v1/matching/assignments"
DELEGATIONS = "/api/v1/employers/me/brokers"
OPENAPI = "/api/v1/openapi.json"


def assert_error(response, status: int) -> dict:
    """``response`` is ``status`` in the error shape; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status and body["message"] and body["request_id"]
    return body


# --- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", [MAX_ID + 1, 2**63, 10**30, 0])
def test_a_path_id_no_id_column_holds_is_404_before_the_database(
    client, make_user, auth_headers, job_id
):
    response = client.get(f"{JOBS}/{job_id}", headers=auth_headers(make_user("worker")))
    body = assert_error(response, 404)
    assert body["message"] != "job not found"  # no route matched: the view never ran


def test_the_largest_id_still_reaches_the_view(client, make_user, auth_headers):
    response = client.get(f"{JOBS}/{MAX_ID}", headers=auth_headers(make_user("worker")))
    assert assert_error(response, 404)["message"] == "job not found"


def test_assignments_refuse_shift_ids_beyond_the_id_range(
    client, make_employer, make_job, headers_of
):
    employer = make_employer()
    job = make_job(employer=employer)
    employer_headers = headers_of(employer)

    refused = client.post(ASSIGNMENTS, json={"shift_ids": [MAX_ID + 1]}, headers=employer_headers)
    accepted = client.post(
        ASSIGNMENTS, json={"shift_ids": [job.shifts[0].id]}, headers=employer_headers
    )

    assert "shift_ids" in assert_error(refused, 422)["errors"]["json"]
    assert accepted.status_code == 200


@pytest.mark.parametrize("broker_id", [0, MAX_ID + 1, 2**64])
def test_a_delegation_refuses_a_broker_id_beyond_the_id_range(
    client, make_employer, headers_of, broker_id
):
    headers = headers_of(make_employer())
    response = client.post(DELEGATIONS, json={"broker_id": broker_id}, headers=headers)
    assert "broker_id" in assert_error(response, 422)["errors"]["json"]
    assert client.get(DELEGATIONS, headers=headers).get_json() == []


def test_a_broker_naming_an_employer_id_beyond_the_id_range_gets_422(
    client, make_broker, headers_of
):
    response = client.post(
        JOBS, json=job_body(employer_id=2**63), headers=headers_of(make_broker())
    )
    assert "employer_id" in assert_error(response, 422)["errors"]["json"]


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("worker_id", [MAX_ID + 1, 0])
def test_a_flag_filter_refuses_a_worker_id_beyond_the_id_range(
    client, make_user, auth_headers, worker_id
):
    """Found by the fuzzer on PostgreSQL: worker_id=2147483648 reached an INTEGER column (500)."""
    response = client.get(
        "/api/v1/subsidies/flags",
        query_string={"worker_id": worker_id},
        headers=auth_headers(make_user("admin")),
    )
    assert "worker_id" in assert_error(response, 422)["errors"]["query"]


def test_a_registration_refuses_an_employer_id_beyond_the_id_range(
    client, make_user, auth_headers, make_worker, headers_of
):
    body = {
        "form": "employed",
        "started_on": "2026-01-05",
        "employer_id": MAX_ID + 1,
        "commitment": True,
    }
    response = client.post(
        "/api/v1/workers/me/employment-registrations", json=body, headers=headers_of(make_worker())
    )
    assert "employer_id" in assert_error(response, 422)["errors"]["json"]


def test_a_page_whose_offset_overflows_is_refused(client, make_user, auth_headers):
    headers = auth_headers(make_user("admin"))

    refused = client.get(FLAGS, query_string={"page": 658812288346769551}, headers=headers)
    last = client.get(FLAGS, query_string={"page": MAX_PAGE}, headers=headers)

    assert "page" in assert_error(refused, 422)["errors"]["query"]
    assert last.status_code == 200 and last.get_json() == []


# --- instants -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "starts_after",
    ["0001-01-01T00:00:00+01:00", "1900-06-01T00:00:00+08:00", "2100-01-01T08:00:00+08:00"],
)
def test_a_search_refuses_instants_outside_2000_to_2099(
    client, make_user, auth_headers, starts_after
):
    response = client.get(
        "/api/v1/shifts",
        query_string={"starts_after": starts_after},
        headers=auth_headers(make_user("worker")),
    )
    assert "starts_after" in assert_error(response, 422)["errors"]["query"]


def test_a_search_takes_instants_inside_the_range(client, make_user, auth_headers, make_job):
    make_job()
    response = client.get(
        "/api/v1/shifts",
        query_string={"starts_after": "2000-01-01T08:00:00+08:00"},
        headers=auth_headers(make_user("worker")),
    )
    assert response.status_code == 200 and len(response.get_json()) == 1


def test_a_payment_time_before_2000_is_refused_and_changes_nothing(
    client, make_employer, make_job, make_worker, headers_of, database
):
    employer = make_employer()
    job = make_job(employer=employer)
    worked_on = clock.local_now().date() - timedelta(days=40)
    earning = add_booking_earning(
        database, make_worker().id, (job.shifts[0].id, employer.id), worked_on, "240.00"
    )
    path = f"/api/v1/bookings/{earning.booking_id}/paid"
    headers = headers_of(employer)

    refused = client.post(path, json={"paid_at": "0860-12-02T11:48:24+08:00"}, headers=headers)
    database.refresh(earning)
    assert "paid_at" in assert_error(refused, 422)["errors"]["json"]
    assert earning.paid_at is None

    paid = client.post(path, json={"paid_at": None}, headers=headers)
    assert paid.status_code == 200 and paid.get_json()["paid_at"] is not None


def test_a_shift_starting_before_2000_is_refused(client, make_employer, headers_of):
    shift = {"starts_at": "1900-01-01T09:00:00+08:00", "ends_at": "1900-01-01T17:00:00+08:00"}
    response = client.post(
        JOBS, json=job_body(shifts=[{**shift, "headcount": 1}]), headers=headers_of(make_employer())
    )
    errors = assert_error(response, 422)["errors"]["json"]
    assert "starts_at" in str(errors)


# --- the document ---------------------------------------------------------------------------


def test_decimal_strings_are_documented_as_strings(client):
    schemas = client.get(OPENAPI).get_json()["components"]["schemas"]
    for schema, field in [
        ("Earning", "hours"),
        ("Booking", "approved_hours"),
        ("MinimumWage", "monthly"),
    ]:
        assert schemas[schema]["properties"][field]["type"] == "string", (schema, field)

    # v1.1 ("numbers as numbers"): a rating is a number, like reliability.
    assert schemas["Worker"]["properties"]["rating"]["type"] == "number"
    pattern = schemas["MinimumWage"]["properties"]["monthly"]["pattern"]
    wage = client.get("/api/v1/cities").get_json()[0]["minimum_wage"]["monthly"]
    assert re.fullmatch(pattern, wage)


def test_the_error_schema_documents_the_request_id(client):
    error = client.get(OPENAPI).get_json()["components"]["schemas"]["Error"]
    assert {"code", "status", "message", "errors", "request_id"} == set(error["properties"])
    assert set(error["required"]) == {"code", "status", "message"}


def test_every_operation_lists_its_errors_and_none_is_a_catch_all(client):
    paths = client.get(OPENAPI).get_json()["paths"]
    operations = [
        (method, path, operation)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete"}
    ]
    assert len(operations) > 50
    for method, path, operation in operations:
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        if operation.get("security") == []:
            continue
        assert "401" in responses, (method, path)
        roles = operation["x-roles"]
        assert set(roles) <= set(ROLES), (method, path)
        if set(roles) != set(ROLES):
            assert "403" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(responses), (method, path)


def test_a_body_over_the_size_limit_is_a_documented_413(client, make_user, auth_headers, app):
    path = "/api/v1/training/import"
    documented = client.get(OPENAPI).get_json()["paths"][path]["post"]["responses"]
    oversized = b'{"records": [' + b" " * app.config["MAX_CONTENT_LENGTH"] + b"]}"

    response = client.post(
        path,
        data=oversized,
        content_type="application/json",
        headers=auth_headers(make_user("admin")),
    )

    assert "413" in documented
    assert_error(response, 413)
