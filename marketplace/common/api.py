"""The Blueprint every domain uses: flask-smorest's, with the contract's paging parameters.

API.md names the page size ``per_page`` (default 20, max 100) where flask-smorest says
``page_size``; the paging logic and the ``X-Pagination`` header are flask-smorest's own.
"""

from __future__ import annotations

import http
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, ClassVar

import flask_smorest
import marshmallow as ma
from flask import Response, current_app, jsonify, request
from flask_smorest.pagination import PaginationParameters
from flask_smorest.utils import unpack_tuple_response
from sqlalchemy import Select
from werkzeug.routing import IntegerConverter

from marketplace.common.inputs import StrictParser
from marketplace.common.schemas import MAX_ID
from marketplace.database import count_rows
from marketplace.errors import document_errors
from marketplace.extensions import db


class IdConverter(IntegerConverter):
    """``<int:…>`` in this app's routes, which is always an object's id: 1 to ``MAX_ID``.

    Any other number matches no route (404) instead of reaching the database, which fails on
    numbers wider than its id columns; the OpenAPI document states the range.
    """

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


# Far beyond any list, and small enough that the row offset fits a 32-bit integer.
MAX_PAGE = 10_000_000


def _paging_schema(default_page_size: int, max_page_size: int) -> type[ma.Schema]:
    class PagingSchema(ma.Schema):
        """Query parameters ``page`` and ``per_page``."""

        class Meta:
            unknown = ma.EXCLUDE

        page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
        page_size = ma.fields.Integer(
            data_key="per_page",
            load_default=default_page_size,
            validate=ma.validate.Range(min=1, max=max_page_size),
        )

        @ma.post_load
        def make_paginator(self, data: dict[str, int], **_kwargs: Any) -> PaginationParameters:
            return PaginationParameters(**data)

    return PagingSchema


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest Blueprint paging with ``page`` / ``per_page``, reading JSON strictly."""

    ARGUMENTS_PARSER = StrictParser()

    DEFAULT_PAGINATION_PARAMETERS: ClassVar[dict[str, int]] = {
        "page": 1,
        "page_size": 20,
        "max_page_size": 100,
    }

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """flask-smorest's ``arguments``; a JSON body also documents 400 and 413.

        400: malformed JSON; 413: a body over ``MAX_CONTENT_LENGTH``. flask-smorest documents the
        422 of invalid input itself.
        """
        if isinstance(schema, type):
            # One instance for every request: webargs would build one per request from a class.
            schema = schema()
        decorate = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorate
        return lambda func: document_errors(decorate(func), 400, 413)

    @staticmethod
    def errors(*statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document the errors a view's rules answer: ``@blp.errors(404, 409)``.

        401 and 403 come from ``auth_required``, 400 and 422 from ``arguments``.
        """
        return lambda func: document_errors(func, *statuses)

    def paginate(
        self, pager: Any = None, *, page_size: int = 20, max_page_size: int = 100
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Page the view's result; the view sets ``pagination_parameters.item_count``."""
        schema = _paging_schema(page_size, max_page_size)()
        error_status = self.PAGINATION_ARGUMENTS_PARSER.DEFAULT_VALIDATION_STATUS

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                page_params = self.PAGINATION_ARGUMENTS_PARSER.parse(
                    schema, request, location="query"
                )
                if pager is None:
                    kwargs["pagination_parameters"] = page_params
                result, status, headers = unpack_tuple_response(
                    current_app.ensure_sync(func)(*args, **kwargs)
                )
                if pager is not None:
                    result = pager(result, page_params=page_params).items
                result, headers = self._set_pagination_metadata(page_params, result, headers)
                return result, status, headers

            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))  # type: ignore[attr-defined]
            wrapper._apidoc["pagination"] = {  # type: ignore[attr-defined]
                "parameters": {"in": "query", "schema": schema},
                "response": {error_status: http.HTTPStatus(error_status).name},
            }
            return wrapper

        return decorator


def dumped(data: Any) -> Response:
    """A JSON response of ``data`` already in the shape of the view's response schema.

    flask-smorest returns a view's ``Response`` as it is (paging headers added), so the
    schema then only documents the body. For hot lists whose own writer is held equal to the
    schema's dump by a test: marshmallow's dump of a page costs as much as finding it.
    """
    return jsonify(data)


def page_of(query: Select[Any], paging: PaginationParameters) -> list[Any]:
    """One page of an ORM ``query``; sets the total for the ``X-Pagination`` header."""
    paging.item_count = count_rows(query)
    return list(db.session.scalars(query.offset(paging.first_item).limit(paging.page_size)))


def rows_page_of(query: Select[Any], paging: PaginationParameters) -> list[Any]:
    """One page of a ``query`` of several columns, as rows; sets the total like ``page_of``."""
    paging.item_count = count_rows(query)
    return list(db.session.execute(query.offset(paging.first_item).limit(paging.page_size)))
