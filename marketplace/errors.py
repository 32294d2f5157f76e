"""One error shape for every error: ``{"code", "status", "message", "errors"?}``.

Services raise the domain errors below and never see HTTP; the handlers here turn them, and every
other exception, into flask-smorest's error payload. A 500 says only that something failed: the
traceback goes to the log, never to the client. A database that cannot be reached (refused or
lost connections, SQLite's busy timeout, an exhausted pool) is 503 — the request may be sent
again — while every other database error is a bug and a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from copy import deepcopy
from http import HTTPStatus
from typing import Any, TypeVar

import flask_smorest
import marshmallow as ma
from flask import Flask
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue (``marketplace.i18n``); it is translated where shown."""
    return message


class DomainError(Exception):
    """A rule of the domain refused the request; ``status`` says how the API reports it.

    ``message`` is an English msgid of the catalogue (``marketplace.i18n``); its varying parts
    are named ``params`` (``"%(booking)s"``), filled in after the handler translated it.
    ``self.message`` is the English text, for logs and tests.
    """

    status: int = 409
    # Parameters that are themselves msgids (NotFound's "flag"): translated too.
    translated_params: tuple[str, ...] = ()

    def __init__(self, message: str, errors: dict[str, Any] | None = None, **params: Any) -> None:
        # A tuple parameter is a list of words: "a, b" in English.
        shown = {k: ", ".join(v) if isinstance(v, tuple) else v for k, v in params.items()}
        text = message % shown if params else message
        super().__init__(text)
        self.template = message
        self.params = params
        self.message = text
        self.errors = errors
        # Response headers that go with the error (Retry-After on a 429).
        self.headers: dict[str, str] = {}

    def translated(self) -> str:
        """The message in the request's language."""
        from marketplace import i18n  # errors load first

        def word(value: Any) -> Any:
            if isinstance(value, tuple):
                return i18n.join([i18n.translate(item) for item in value])
            return i18n.translate(value)

        params = {
            name: word(value) if name in self.translated_params else value
            for name, value in self.params.items()
        }
        return i18n.translate(self.template, params)


class BadInput(DomainError):
    """The request cannot be read at all (a JSON body that could hurt): 400."""

    status = 400


class Conflict(DomainError):
    """The request clashes with the current state (a state or capacity rule): 409."""

    status = 409


class Invalid(DomainError):
    """The input is well-formed but breaks a rule: 422, with field errors when known."""

    status = 422


class NotFound(DomainError):
    """No such object, or one the caller may not see: 404 (never leak that it exists)."""

    status = 404

    translated_params = ("what",)

    def __init__(self, what: str = N_("resource")) -> None:
        super().__init__(N_("%(what)s not found"), what=what)


class Forbidden(DomainError):
    """The caller's role may never do this: 403."""

    status = 403


class UnsupportedMediaType(DomainError):
    """The body is not of the type the endpoint reads (a policy file sent as JSON): 415."""

    status = 415


class Unauthorized(DomainError):
    """No valid credentials: 401."""

    status = 401


class TooManyRequests(DomainError):
    """Rate limited: 429, with ``Retry-After`` in seconds when the wait is known."""

    status = 429

    def __init__(self, message: str, retry_after: int | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        if retry_after is not None:
            self.headers["Retry-After"] = str(max(1, retry_after))


class Message(str):
    """A message with named parameters: the English text, and the msgid and parameters the
    handler translates it from (``field_error``'s messages)."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        text = super().__new__(cls, template % params if params else template)
        text.template, text.params = template, params
        return text


def field_error(location: str, field: str, message: str, **params: Any) -> dict[str, Any]:
    """Field errors in the shape webargs uses: ``{"json": {"field": ["message"]}}``.

    ``message`` is a msgid; its varying parts are named ``params`` (see ``DomainError``).
    """
    return {location: {field: [Message(message, **params)]}}


def payload(status: int, message: str, errors: Any = None) -> dict[str, Any]:
    """The error body for ``status``."""
    body: dict[str, Any] = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message,
    }
    if errors:
        body["errors"] = errors
    from marketplace.observability import current_request_id  # errors load first

    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return body


class ErrorSchema(ma.Schema):
    """The error payload (documentation only: ``payload`` builds it)."""

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "The status's phrase"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong"})
    errors = ma.fields.Dict(
        metadata={"description": 'Field messages by location: `{"json": {"field": ["..."]}}`'}
    )
    request_id = ma.fields.String(
        metadata={"description": "The request's id, also in the X-Request-ID header and the log"}
    )


def document_errors(view: F, *statuses: int) -> F:
    """Add the error responses ``statuses`` to a view's OpenAPI document; returns ``view``.

    Each refers to flask-smorest's shared response of that status (``NOT_FOUND``, …), whose body
    is ``ErrorSchema``. A status the view already documents is left as it is.
    """
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    responses = apidoc.setdefault("response", {}).setdefault("responses", {})
    for status in statuses:
        responses.setdefault(status, [HTTPStatus(status).name])
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view


class Api(flask_smorest.Api):
    """flask-smorest's Api whose error payload always carries a message.

    No operation has a catch-all ``default`` response: each lists the errors it answers, so the
    document tells a client which codes to handle (and the fuzz test holds the app to it).
    """

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException):
        """Render any HTTP error (4xx, and the 500 that wraps an unhandled exception)."""
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        if code >= 500:
            message = N_("Internal server error: the failure was logged.")
        else:
            message = data.get("message") or error.description or HTTPStatus(code).phrase
        errors = data.get("errors") or data.get("messages")
        if isinstance(errors, dict) and code == 400 and "json" in errors:
            # webargs reports malformed JSON as {"json": ["Invalid JSON body."]}
            message = N_("Malformed JSON body.")
        headers = data.get("headers") or {}
        from marketplace import i18n  # errors load first

        return payload(code, i18n.translate(message), i18n.translate_errors(errors)), code, headers


# SQLite's primary result codes that mean the database cannot be got at now (BUSY, LOCKED, NOMEM,
# IOERR, FULL, CANTOPEN); sqlite3 raises OperationalError for wrong SQL too (SQLITE_ERROR).
_SQLITE_UNAVAILABLE = frozenset({5, 6, 7, 10, 13, 14})


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached now, rather than a bug."""
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_UNAVAILABLE
    # psycopg's OperationalError: refused or lost connections, shutdowns, timeouts, deadlocks.
    return isinstance(error, OperationalError)


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and unhandled exceptions to the error shape, in the reader's language."""
    from marketplace import i18n  # errors load first

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        errors = i18n.translate_errors(error.errors)
        return payload(error.status, error.translated(), errors), error.status, error.headers

    @app.errorhandler(SQLAlchemyError)
    def handle_database_error(error: SQLAlchemyError):
        if not database_unavailable(error):
            raise error  # a bug: Flask logs it and answers 500 (tests see the exception)
        # The pool drops a lost connection by itself and pre-pings the others, so the service
        # recovers without a restart once the database answers again.
        log.error("database unavailable: %s", error.__class__.__name__, exc_info=error)
        message = i18n.translate(
            "Service unavailable: the database does not answer; try again shortly."
        )
        return payload(503, message), 503

    @app.errorhandler(InternalServerError)
    def handle_internal_error(error: InternalServerError):
        # Flask has already logged the original exception with its traceback.
        return payload(500, i18n.translate("Internal server error: the failure was logged.")), 500
