"""The officials' desk: its blueprint, and what every page of it gets.

A plain Flask blueprint rather than flask-smorest: these are HTML pages for people, not
operations of the JSON API, and they stay out of the OpenAPI document. They work with no
internet (no CDN, no script at all: charts are SVG drawn on the server), in Chinese. The pages
register on it from ``routes`` (the flags, statistics and downloads) and ``login_routes``;
refusals are answered by ``error_pages``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request
from flask_wtf.csrf import generate_csrf

from marketplace import clock
from marketplace.cities import catalogue
from marketplace.desk import pages
from marketplace.desk.session import check_csrf, desk_user

blp = Blueprint(
    "desk",
    __name__,
    url_prefix="/desk",
    template_folder="templates",
    static_folder="static",
)

# Pages hold personal data: no caching anywhere; only this site's own stylesheet, no script.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@blp.before_request
def protect_forms() -> None:
    """Every POST of the desk carries the session's CSRF token."""
    if request.method == "POST":
        check_csrf()


@blp.after_request
def page_headers(response: Response) -> Response:
    """Security headers of the desk's pages (the JSON API has its own)."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Cache-Control"] = "no-store"
    return response


@blp.context_processor
def page_context() -> dict[str, Any]:
    """What every template may use: the CSRF token, the names of codes, the signed-in user."""
    return {"csrf_token": generate_csrf, "names": pages.NAMES, "user": desk_user()}


@blp.app_template_filter("local")
def local_time(instant: datetime | None) -> str:
    """An instant in China time, to the second (times are stored in UTC)."""
    if instant is None:
        return "—"
    return clock.local_text(instant)


@blp.app_template_filter("city_name")
def city_name(code: str | None) -> str:
    """A city's Chinese name from its code."""
    place = catalogue.find(code) if code else None
    return place.name if place else (code or "")
