"""The sign-in throttle: failed password checks, counted per (phone, address) and per address.

A phone may fail ``LOGIN_MAX_FAILURES`` times from one client address within
``LOGIN_FAILURE_WINDOW_SECONDS``; one address may fail ``LOGIN_MAX_FAILURES_PER_ADDRESS`` times
in the window whatever the phones. Past either limit the attempt is refused with 429 and
``Retry-After`` before the password is looked at. Failures from other addresses never lock an
account out: someone guessing from elsewhere uses up only their own address's allowance.

Failures are rows of ``login_failures``, so every gunicorn process sees the same counts; the
caller commits a failure although its request fails, because that row is the throttle. Refused
(429) attempts are not recorded, so the ``Retry-After`` they announce holds. On PostgreSQL the
attempts of one (phone, address) pair are serialised by a transaction-scoped advisory lock held
until the attempt's commit, so concurrent guesses at one account cannot all slip under its
limit; SQLite's writing transactions are serialised already. An address's own limit may be
passed by at most the number of attempts running at once (a burst over many phones), which
the per-pair limit does not depend on.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Insert, Select, bindparam, func, insert, select

from marketplace import clock
from marketplace.auth.models import LoginFailure
from marketplace.database import execute_core, personal_digest, prebuilt, serialise_on
from marketplace.errors import TooManyRequests
from marketplace.extensions import db
from marketplace.i18n import N_


# Both counts in one index-only scan of ix_login_failures_address_at_phone.
@prebuilt
def _counts_statement() -> Select[*tuple[Any, ...]]:
    return select(
        func.count().label("address_failures"),
        func.count().filter(LoginFailure.phone_digest == bindparam("phone")).label("pair_failures"),
    ).where(LoginFailure.address == bindparam("address"), LoginFailure.at > bindparam("since"))


@prebuilt
def _record_statement() -> Insert:
    return insert(LoginFailure)


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"])


def _lock_key(phone: str, address: str) -> int:
    # A signed 64-bit key from the pair; two pairs sharing a key only wait for each other.
    digest = hashlib.blake2b(f"{phone}\x00{address}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _serialise(phone: str, address: str) -> None:
    serialise_on(_lock_key(phone, address))


def _seconds_until_below(limit: int, *conditions: ColumnElement[bool]) -> int:
    """Seconds until fewer than ``limit`` failures matching ``conditions`` are in the window."""
    now, window = clock.now(), _window()
    # The limit-th most recent failure is the one that must age out to leave an attempt.
    oldest_that_counts: datetime | None = db.session.scalar(
        select(LoginFailure.at)
        .where(*conditions, LoginFailure.at > now - window)
        .order_by(LoginFailure.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if oldest_that_counts is None:
        return 1
    return math.ceil((oldest_that_counts + window - now).total_seconds())


def check(phone: str, address: str) -> None:
    """Let a password check of ``phone`` from ``address`` go ahead, or refuse it with 429.

    On PostgreSQL this takes the pair's lock, held until the transaction ends.
    """
    _serialise(phone, address)
    config = current_app.config
    pair_limit = config["LOGIN_MAX_FAILURES"]
    address_limit = config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    since = clock.now() - _window()
    digest = personal_digest("phone", phone)
    counts = execute_core(
        _counts_statement(), {"phone": digest, "address": address, "since": since}
    ).one()
    address_failures, pair_failures = counts.address_failures, counts.pair_failures
    waits = []
    if address_failures >= address_limit:
        waits.append(_seconds_until_below(address_limit, LoginFailure.address == address))
    if pair_failures >= pair_limit:
        waits.append(
            _seconds_until_below(
                pair_limit, LoginFailure.address == address, LoginFailure.phone_digest == digest
            )
        )
    if waits:
        message = (
            N_("too many failed sign-ins from this address; try again later")
            if address_failures >= address_limit
            else N_("too many failed sign-ins for this phone; try again later")
        )
        raise TooManyRequests(message, retry_after=max(waits))


def record_failure(phone: str, address: str) -> None:
    """Count one failed password check of ``phone`` from ``address`` (the caller commits it)."""
    digest = personal_digest("phone", phone)
    execute_core(
        _record_statement(), {"phone_digest": digest, "address": address, "at": clock.now()}
    )
