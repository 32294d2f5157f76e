"""The OpenAPI document (``/api/v1/openapi.json``) as its readers need it (API.md "OpenAPI").

Every operation has a one-line summary and a description (the view's docstring: first line,
blank line, the rest); the document is valid OpenAPI 3.0; every request body has an example,
and each example is input its operation accepts — valid against the document's schema and
loaded by the view's own marshmallow schema; the title is ASCII, so that client generators
can name a package after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate

OPENAPI_PATH = "/api/v1/openapi.json"
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    return app.test_client().get(OPENAPI_PATH).get_json()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each operation as ``"POST /api/v1/…"`` and its definition."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # raises on the first error


def test_the_title_is_ascii_and_the_chinese_name_stays_in_the_description(
    document: dict[str, Any],
) -> None:
    title = document["info"]["title"]
    assert title.isascii() and title.strip(), title
    assert "零工市场" in document["info"]["description"]


def test_every_operation_has_a_one_line_summary_and_a_description(
    document: dict[str, Any],
) -> None:
    missing = [
        name
        for name, operation in operations(document)
        if not operation.get("summary", "").strip() or "\n" in operation["summary"]
    ]
    assert not missing, f"no one-line summary: {missing}"
    undescribed = [
        name
        for name, operation in operations(document)
        if len(operation.get("description", "").strip()) < 40
    ]
    assert not undescribed, f"no description: {undescribed}"


def test_every_operation_documents_its_statuses_and_the_caller_s_errors(
    document: dict[str, Any],
) -> None:
    for name, operation in operations(document):
        statuses = set(operation["responses"])
        assert any(status.startswith("2") for status in statuses), name
        if operation.get("security") != []:
            assert "401" in statuses, name  # every signed-in operation
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= statuses, name  # malformed, too large, invalid


def test_every_request_body_has_an_example(document: dict[str, Any]) -> None:
    bodies = [
        (name, media_type, content)
        for name, operation in operations(document)
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items()
    ]
    assert bodies
    missing = [
        f"{name} ({media_type})"
        for name, media_type, content in bodies
        if "example" not in content and not content.get("examples")
    ]
    assert not missing, f"request bodies without an example: {missing}"


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Each request body's examples: the operation, the body's schema, the example."""
    for name, operation in operations(document):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            if "example" in content:
                yield name, content["schema"], content["example"]
            for example in content.get("examples", {}).values():
                yield name, content["schema"], example["value"]


def test_every_request_body_example_fits_the_documented_schema(
    document: dict[str, Any],
) -> None:
    failures = []
    for name, schema, example in _examples(document):
        # The body's schema beside the components its references point into.
        validator = OAS30Validator(
            {"allOf": [schema], "components": document["components"]},
            format_checker=oas30_format_checker,
        )
        failures += [f"{name}: {error.message}" for error in validator.iter_errors(example)]
    assert not failures


def _json_bodies(app: Flask) -> Iterator[tuple[str, Any, Any]]:
    """Each view's JSON body schema (the marshmallow instance) and its documented example."""
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in sorted(rule.methods or ()):
            view = getattr(view_class, method.lower(), None)
            arguments = getattr(view, "_apidoc", {}).get("arguments", {})
            for argument in arguments.get("parameters", []):
                if argument["in"] == "json":
                    yield f"{method} {rule.rule}", argument["schema"], argument.get("example")


def test_every_request_body_example_is_input_its_view_accepts(app: Flask) -> None:
    checked = []
    with app.test_request_context():
        for name, schema, example in _json_bodies(app):
            assert example is not None, name
            errors = schema.validate(example)
            assert not errors, f"{name}: {errors}"
            checked.append(name)
    assert len(checked) >= 38
