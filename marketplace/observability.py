"""Request ids, structured JSON logs, security headers, and CORS only where configured.

Each request gets an id — the caller's ``X-Request-ID`` when it is a sane token, a new one
otherwise — that is echoed in the response header, put into every error body and stamped on
every log line written while the request runs, so a user's complaint can be found in the logs.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from contextvars import ContextVar
from http.server import BaseHTTPRequestHandler
from typing import Any

from flask import Flask, Response, g, request
from flask_cors import CORS
from werkzeug.serving import WSGIRequestHandler

from marketplace import clock
from marketplace.common.ids import mask_resident_id

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# JSON needs no scripts, styles or frames; the docs page (Swagger UI) is left out.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Every answer of the API and the desk may carry personal data: no cache keeps any of them. Only
# the static files of the docs page and the desk's stylesheet, which are the same for everyone,
# may be cached.
PRIVATE_PREFIXES = ("/api/", "/desk/")
CACHEABLE_PREFIXES = ("/api/v1/docs/assets/", "/desk/static/")
# What the development server (``flask run``) names itself: its product, without the versions of
# Werkzeug and Python that would tell an attacker which known flaws to try.
DEVELOPMENT_SERVER_NAME = "Werkzeug"


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    return _request_id.get()


# What must never reach a log: resident ID numbers and mainland mobile numbers, wherever they
# hide (a message, an exception's text). Digits glued to other digits are not matched, so ids,
# amounts and timestamps stay readable.
_RESIDENT_ID = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def redact(text: str) -> str:
    """``text`` with ID and mobile numbers masked (``3202************3X``, ``138****5678``)."""
    text = _RESIDENT_ID.sub(lambda m: mask_resident_id(m.group(0)), text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception.

    The message and the exception are redacted: no ID number or phone number is ever logged.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line."""
        entry: dict[str, Any] = {
            "at": clock.now().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": current_request_id(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def private_path(path: str) -> bool:
    """Whether answers under ``path`` must never be cached (all of /api/ and /desk/ but assets)."""
    return (path.startswith(PRIVATE_PREFIXES) or path in ("/api", "/desk")) and not (
        path.startswith(CACHEABLE_PREFIXES)
    )


def _server_name_without_version(_handler: BaseHTTPRequestHandler) -> str:
    return DEVELOPMENT_SERVER_NAME


def hide_development_server_version() -> None:
    """Make the Werkzeug development server send ``Server: Werkzeug``, without versions.

    Its request handler writes ``Server: Werkzeug/x Python/y`` itself (``http.server``'s
    ``send_response``), before and whatever the application's headers — a ``Server`` header from
    the app is sent as a second one, it does not replace it — so the handler's
    ``version_string`` is what must change. gunicorn, in production, already sends
    ``Server: gunicorn`` without its version (``gunicorn.SERVER``), and adds an application's
    ``Server`` header beside its own, so the app sets none.
    """
    WSGIRequestHandler.version_string = _server_name_without_version  # type: ignore[method-assign,assignment]


def init_app(app: Flask) -> None:
    """Request ids, JSON logging (outside tests) and security headers for ``app``."""
    hide_development_server_version()

    @app.before_request
    def assign_request_id() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _SANE_ID.fullmatch(offered) else secrets.token_hex(12)
        _request_id.set(g.request_id)

    @app.after_request
    def stamp_response(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if response.mimetype == "application/json":
            response.headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
        if response.mimetype == "application/json" or private_path(request.path):
            # JSON, pages, files and redirects alike: "no-store" replaces any weaker rule.
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def forget_request_id(_error: BaseException | None) -> None:
        _request_id.set(None)

    origins = [origin.strip() for origin in app.config["CORS_ORIGINS"].split(",") if origin.strip()]
    if origins:
        # Only the API, only the named origins; bearer tokens, never cookies (the desk's session
        # cookie is for the desk's own pages).
        CORS(
            app,
            resources={r"/api/*": {"origins": origins}},
            supports_credentials=False,
            expose_headers=[REQUEST_ID_HEADER, "X-Pagination", "Retry-After"],
            max_age=600,
        )

    if not app.config["TESTING"] and not app.debug:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        app.logger.handlers = [handler]
        logging.getLogger("marketplace").handlers = [handler]
