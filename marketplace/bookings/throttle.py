"""The per-user limit on booking attempts (OWASP API6: bots that grab every new shift).

Each attempt is a row of ``booking_attempts``; a user may make ``BOOKING_RATE_LIMIT`` of them in
any sliding window of ``BOOKING_RATE_WINDOW_SECONDS``. The rows live in the database, so every
gunicorn process sees the same count, and the user's row is locked while counting, so one user's
concurrent requests are counted one after the other rather than all slipping under the limit.
Failed attempts count too (a bot hammering a full shift is limited as well): the caller commits
the attempt although the booking fails. Refused (429) requests are not recorded, so the
``Retry-After`` they announce holds.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Insert, Select, bindparam, delete, insert, select

from marketplace import clock
from marketplace.auth.models import User
from marketplace.bookings.models import BookingAttempt
from marketplace.database import execute_core, prebuilt
from marketplace.errors import TooManyRequests
from marketplace.extensions import db


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["BOOKING_RATE_WINDOW_SECONDS"])


# Every booking counts its attempt.
@prebuilt
def _attempts_since_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(BookingAttempt.at)
        .where(
            BookingAttempt.user_id == bindparam("user_id"), BookingAttempt.at > bindparam("since")
        )
        .order_by(BookingAttempt.at)
    )


@prebuilt
def _record_attempt_statement() -> Insert:
    return insert(BookingAttempt)


# FOR NO KEY UPDATE: serialises this user's attempts without blocking the inserts that refer
# to the user (tokens, notifications), which take KEY SHARE. SQLite's writing transaction
# holds its lock already.
@prebuilt
def _lock_user_statement() -> Select[*tuple[Any, ...]]:
    return select(User.id).where(User.id == bindparam("user_id")).with_for_update(key_share=True)


def _attempts_since(user_id: int, since: datetime) -> list[datetime]:
    # Never more than the limit's worth of rows (refused attempts are not recorded).
    return list(
        execute_core(_attempts_since_statement(), {"user_id": user_id, "since": since}).scalars()
    )


def record_attempt(user: User) -> None:
    """Count one booking attempt of ``user``, or refuse it with 429 and ``Retry-After``.

    The attempt is flushed, not committed: the caller commits it whatever the booking's outcome.
    """
    execute_core(_lock_user_statement(), {"user_id": user.id})
    limit = current_app.config["BOOKING_RATE_LIMIT"]
    now = clock.now()
    window = _window()
    attempts = _attempts_since(user.id, now - window)
    if len(attempts) >= limit:
        # The next attempt is allowed once enough of these have aged out of the window.
        frees_a_place = attempts[len(attempts) - limit] + window
        retry_after = math.ceil((frees_a_place - now).total_seconds())
        raise TooManyRequests(
            "at most %(limit)s booking attempts in %(window)s seconds; "
            "try again in %(seconds)s seconds",
            retry_after=retry_after,
            limit=limit,
            window=int(window.total_seconds()),
            seconds=max(1, retry_after),
        )
    execute_core(_record_attempt_statement(), {"user_id": user.id, "at": now})


def purge_attempts() -> int:
    """Drop the attempts that have left the window (housekeeping for the scheduler)."""
    result = db.session.execute(
        delete(BookingAttempt).where(BookingAttempt.at <= clock.now() - _window())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
