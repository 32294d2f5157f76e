"""Fuzzing the API against its own OpenAPI document with schemathesis, in-process through WSGI.

The document is loaded from the app (``/api/v1/openapi.json``) and every call goes to the test
app through WSGI. Two tests per operation:

- ``test_every_role_gets_documented_answers``: random valid and invalid input, once as each
  role (anonymous, worker, employer, broker, official, admin); path ids point at seeded objects
  about half the time, so calls reach real jobs, shifts, bookings, flags and notifications.
- ``test_boundary_inputs_get_documented_answers``: schemathesis's deterministic boundary and
  invalid values (its coverage phase) and the document's examples, as a role the operation lets
  in — any other role is turned away before its input is even read.

Every response must be no server error and have a documented status code, content type and
body; every 4xx and 5xx must be JSON in the project's error shape (``marketplace/errors.py``).
``negative_data_rejection`` is not among the checks: the schemas keep marshmallow's coercions
(``"commit": 0`` is false, ``"5"`` an integer), which it reports as invalid input accepted;
making input strict would change the contract, a decision of its own.

The market is seeded once per module inside a transaction that is rolled back at its end; each
test runs in a savepoint rolled back after it, so what one test's calls change (a booking
cancelled, a token revoked) never reaches another, while the examples of one test share their
state as a client's successive calls would.

Bounded for CI: a few examples per operation and role, derandomised, no example database
written. To fuzz longer locally, raise the examples, and draw new inputs on every run::

    FUZZ_MAX_EXAMPLES=200 FUZZ_RANDOM=1 pytest tests/test_fuzz_openapi.py -x
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace import create_app
from marketplace.extensions import db
from tests.seeded_market import ROLES, Market, connection, market

pytestmark = pytest.mark.slow  # fuzzing: `make test-fast` leaves it out

__all__ = ["connection", "market"]  # the seeded market's fixtures, used here

OPENAPI_PATH = "/api/v1/openapi.json"
# Path parameters that name objects the market seeds.
SEEDED = (
    "job_id",
    "shift_id",
    "booking_id",
    "flag_id",
    "worker_id",
    "broker_id",
    "notification_id",
)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))
# Reproducible unless asked otherwise: CI must fail, or pass, the same way every run.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") != "1"


# A policy file travels as its TOML text (``POST /subsidies/policies``): sent as plain text is.
schemathesis.serializer.alias("application/toml", "text/plain")


def _schema_app() -> Flask:
    """An app built only to serve its OpenAPI document (the document needs no data)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "TESTING": True,
            "SECRET_KEY": "fuzz-schema-secret-not-for-production",
            "ID_KEY": "fuzz-schema-id-key-not-for-production",
            "AUDIT_KEY": "fuzz-schema-audit-key-not-for-production",
            "AUDIT_SIGNING_KEY": "fuzz-schema-audit-signing-key-not-for-production",
        }
    )


def _load(phases: dict[str, Any]) -> BaseSchema:
    return schemathesis.openapi.from_wsgi(
        OPENAPI_PATH, SCHEMA_APP, config=schemathesis.Config.from_dict({"phases": phases})
    )


SCHEMA_APP = _schema_app()
# Random inputs, valid and invalid, as every role: max_examples per (operation, role).
fuzzed = _load({"examples": {"enabled": False}, "coverage": {"enabled": False}})
# Schemathesis's deterministic boundary and invalid values, the documented examples, as a role
# that may call the operation (any other role is turned away before its input is read).
covered = _load(
    {
        "fuzzing": {"enabled": False},
        # One undeclared method per path shows that its 405 is an error of the project's shape;
        # each further one would only repeat that.
        "coverage": {"unexpected-methods": ["patch"]},
    }
)


@pytest.fixture
def fuzz_state(app: Flask, connection: Any, market: Market) -> Iterator[Market]:
    """The market, and a savepoint that undoes whatever the test's calls changed."""
    with app.app_context():
        savepoint = connection.begin_nested()
        _current.append(market)
        try:
            yield market
        finally:
            _current.pop()
            db.session.remove()
            savepoint.rollback()


_current: list[Market] = []


def _seeded_id(name: str, pick: int) -> int:
    ids = _current[-1].ids[name]
    return ids[pick % len(ids)]


def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    """Point path ids at seeded objects about half the time, so that some calls find something."""
    names = [name for name in case.path_parameters or {} if name in SEEDED]
    if not names:
        return st.just(case)

    def aim(picks: tuple[int | None, ...]) -> schemathesis.Case:
        parameters = dict(case.path_parameters or {})
        for name, pick in zip(names, picks, strict=True):
            if pick is not None:
                parameters[name] = _seeded_id(name, pick)
        case.path_parameters = parameters
        return case

    return st.tuples(*(st.none() | st.integers(0, 7) for _ in names)).map(aim)


fuzzed.hook(flatmap_case)


def error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """Every 4xx and 5xx is JSON in the project's error shape (``marketplace/errors.py``)."""
    if response.status_code < 400:
        return True
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), (
        f"{response.status_code} answered as {content_type!r}"
    )
    body = response.json()
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert set(body) <= {"code", "status", "message", "errors", "request_id"}, body
    assert body.get("code") == response.status_code, body
    assert body.get("status") == HTTPStatus(response.status_code).phrase, body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert isinstance(body.get("request_id"), str) and body["request_id"], body
    assert isinstance(body.get("errors", {}), dict), body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_shape,
]


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=[
        # The examples of one test share the seeded market on purpose; see the module doc.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


def _call(case: schemathesis.Case, role: str, market: Market, app: Flask) -> None:
    if role != "anonymous":
        token = market.tokens[role]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    case.call_and_validate(app=app, checks=CHECKS)


@pytest.mark.parametrize("role", ROLES)
@fuzzed.parametrize()
@FUZZ_SETTINGS
def test_every_role_gets_documented_answers(
    case: schemathesis.Case, role: str, app: Flask, fuzz_state: Market
) -> None:
    """Random calls, valid and invalid, as each role, answer as the document says."""
    _call(case, role, fuzz_state, app)


def _caller(operation: APIOperation) -> str:
    """A role the operation lets in: anonymous for public ones, else the first of ``x-roles``."""
    if operation.definition.raw.get("security") == []:
        return "anonymous"
    return str(operation.definition.raw["x-roles"][0])


@covered.parametrize()
@FUZZ_SETTINGS
def test_boundary_inputs_get_documented_answers(
    case: schemathesis.Case, app: Flask, fuzz_state: Market
) -> None:
    """Schemathesis's boundary and invalid values, and the examples, answer as documented."""
    _call(case, _caller(case.operation), fuzz_state, app)


def _response(status: int, body: Any, content_type: str = "application/json") -> Any:
    """What ``error_shape`` reads of a schemathesis response."""
    return SimpleNamespace(
        status_code=status, headers={"content-type": [content_type]}, json=lambda: body
    )


GOOD_ERROR = {"code": 404, "status": "Not Found", "message": "job not found", "request_id": "r1"}


def test_the_error_shape_check_passes_the_project_error_and_any_success() -> None:
    assert error_shape(None, _response(404, GOOD_ERROR), None)
    assert error_shape(None, _response(200, ["anything"], "text/csv"), None)


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (404, "<h1>Not Found</h1>", "text/html"),
        (404, {k: v for k, v in GOOD_ERROR.items() if k != "request_id"}, "application/json"),
        (404, {**GOOD_ERROR, "code": 400}, "application/json"),
        (404, {**GOOD_ERROR, "status": "Missing"}, "application/json"),
        (404, {**GOOD_ERROR, "message": ""}, "application/json"),
        (404, {**GOOD_ERROR, "trace": "Traceback ..."}, "application/json"),
        (422, {**GOOD_ERROR, "code": 422, "errors": ["x"]}, "application/json"),
        (500, ["an error"], "application/json"),
    ],
)
def test_the_error_shape_check_rejects_other_errors(
    status: int, body: Any, content_type: str
) -> None:
    with pytest.raises(AssertionError):
        error_shape(None, _response(status, body, content_type), None)


def test_the_fuzzed_document_is_the_one_the_app_serves(app: Flask) -> None:
    served = app.test_client().get(OPENAPI_PATH).get_json()
    assert fuzzed.raw_schema == served
    assert len(list(fuzzed.get_all_operations())) == sum(
        method in {"get", "put", "post", "patch", "delete"}
        for item in served["paths"].values()
        for method in item
    )
