"""``Idempotency-Key`` on the POSTs that create something (API.md "Idempotency").

The same key from the same user on the same path within 24 hours answers the first successful
response again and creates nothing new; the same key with another body is 422; failed requests
are not remembered. Keys live in the database, so every process sees them. Two concurrent
requests with one key cannot both create: the second one's insert of the key collides with the
first one's on the unique constraint, and its whole transaction is rolled back with a 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from copy import deepcopy
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, request
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from marketplace import clock
from marketplace.common.guards import current_user
from marketplace.database import UTCDateTime
from marketplace.errors import Conflict, Invalid, document_errors, field_error
from marketplace.extensions import Model, db
from marketplace.i18n import N_

F = TypeVar("F", bound=Callable[..., Any])

HEADER = "Idempotency-Key"
REPLAY_WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyRecord(Model):
    """The first successful response to a (user, key, path)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    path: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column()
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def _form_fingerprint() -> bytes:
    """A multipart form by its fields and its files' contents, not by its bytes: a client draws
    a new boundary for every request, and a file's name says nothing of what it holds."""
    files = []
    for name, uploaded in request.files.items(multi=True):
        uploaded.stream.seek(0)
        digest = hashlib.sha256()
        while chunk := uploaded.stream.read(64 * 1024):
            digest.update(chunk)
        uploaded.stream.seek(0)  # the view reads it again
        files.append([str(name), digest.hexdigest()])
    # A part may come without a name (werkzeug gives None): only sortable text goes in.
    form = sorted([str(name), value] for name, value in request.form.items(multi=True))
    return json.dumps({"form": form, "files": sorted(files)}, separators=(",", ":")).encode()


def _fingerprint() -> str:
    """A hash of the request body that ignores key order and whitespace."""
    if request.mimetype == "multipart/form-data":
        return hashlib.sha256(_form_fingerprint()).hexdigest()
    body = request.get_json(silent=True)
    if body is None:
        raw = request.get_data()
    else:
        raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()


def _header_error(message: str, **params: Any) -> Invalid:
    """422 on the header; ``message`` is a msgid (``N_``) with its ``params``."""
    return Invalid(message, field_error("headers", HEADER, message, **params), **params)


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(
        record.response_body, status=record.status_code, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: F) -> F:
    """Make a creating POST view honour ``Idempotency-Key`` (place it under ``auth_required``)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            raise _header_error(N_("must be 1–%(max)s printable characters"), max=MAX_KEY_LENGTH)
        user = current_user()
        fingerprint = _fingerprint()
        record = db.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user.id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.path == request.path,
            )
        )
        if record is not None and record.created_at > clock.now() - REPLAY_WINDOW:
            if record.request_hash != fingerprint:
                raise _header_error(N_("this key was used with a different request body"))
            return _replay(record)

        response = view(*args, **kwargs)
        if not 200 <= response.status_code < 300:
            return response
        if record is not None:  # an expired use of the same key: the new one replaces it
            db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
        try:
            with db.session.begin_nested():
                db.session.add(
                    IdempotencyRecord(
                        user_id=user.id,
                        key=key,
                        path=request.path,
                        request_hash=fingerprint,
                        status_code=response.status_code,
                        response_body=response.get_data(as_text=True),
                        created_at=clock.now(),
                    )
                )
        except IntegrityError:
            raise Conflict("a request with this Idempotency-Key is already being handled") from None
        return response

    apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    manual = apidoc.setdefault("manual_doc", {})
    manual.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "description": "Replays the first successful response for 24 hours.",
        }
    )
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    # 409: the same key is being handled by a concurrent request; 422: a bad or reused key.
    return document_errors(cast(F, wrapper), 409, 422)


def purge_expired() -> int:
    """Drop the keys older than the replay window (housekeeping for the scheduler)."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= clock.now() - REPLAY_WINDOW)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
