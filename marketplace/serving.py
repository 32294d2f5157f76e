"""gunicorn's settings for this service: ``gunicorn -c python:marketplace.serving wsgi:app``.

gunicorn answers some requests itself, before the application sees them: a request line longer
than its limit, a malformed request line or header (a control character in a header, say). It
writes those answers as HTML pages; contract v1.1 asks every error in the API's error shape
(``{"code", "status", "message"}``), a too-long URL as 414 with that JSON body. So, in the
processes that load these settings (gunicorn's master, and the workers it forks), gunicorn's
error writer is replaced by one that writes that JSON — gunicorn keeps deciding the status.

The request line may be as long as gunicorn allows (8,190 bytes, its largest bounded limit);
the application itself refuses URLs over 8,192 bytes with 414 (``common/inputs.py``), so a URL
of the last few bytes below that limit meets gunicorn's 414 instead, in the same shape.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util

# gunicorn's largest bounded request line ("0", unlimited, would let one request fill memory).
limit_request_line = 8190


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error``, writing the API's error shape instead of an HTML page."""
    body = json.dumps(
        {"code": status_int, "status": reason, "message": mesg or reason}, ensure_ascii=False
    ).encode("utf-8")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


util.write_error = write_json_error
