"""Accounts: registration, passwords, access tokens and signing in (throttled: auth.throttle)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.audit import services as audit
from marketplace.auth import throttle
from marketplace.auth.addresses import client_address
from marketplace.auth.credentials import (
    is_mainland_mobile,
    require_mainland_mobile,
    require_strong_password,
)
from marketplace.auth.models import ROLES, SELF_REGISTERED_ROLES, AccessToken, LoginFailure, User
from marketplace.cities import catalogue
from marketplace.database import personal_digests, prebuilt
from marketplace.errors import (
    Conflict,
    Invalid,
    NotFound,
    Unauthorized,
    field_error,
)
from marketplace.extensions import db
from marketplace.i18n import N_


@cache
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


@cache
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id, with the cost profile the configuration names."""
    return _hasher(current_app.config["PASSWORD_HASH_PROFILE"]).hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from.

    With no hash (an unknown phone) a dummy one is checked, so that the time taken does not
    reveal which phones have accounts.
    """
    profile = current_app.config["PASSWORD_HASH_PROFILE"]
    try:
        # The parameters are read from the hash itself, whatever profile made it.
        return _hasher(profile).verify(password_hash or _dummy_hash(profile), password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def create_user(phone: str, password: str, role: str, city: str | None = None) -> User:
    """Create an account of any role (officials need a city, nobody else has one).

    The phone must be a mainland mobile number and the password strong enough
    (``auth.credentials``), whichever way the account is made: registration, the command line,
    the demo data.
    """
    if role not in ROLES:
        raise Invalid(
            "unknown role",
            field_error("json", "role", "must be one of %(roles)s", roles=", ".join(ROLES)),
        )
    if role == "official":
        if city is None or catalogue.find(city) is None:
            raise Invalid("an official needs a known city", field_error("json", "city", "unknown"))
    elif city is not None:
        raise Invalid("only officials have a city", field_error("json", "city", "not allowed"))
    require_mainland_mobile(phone)
    require_strong_password(password, phone)
    if find_by_phone(phone) is not None:  # under a retired key's digest too, while rotating
        raise Conflict("this phone number is already registered")
    user = User(
        phone=phone,
        password_hash=hash_password(password),
        role=role,
        city=city,
        created_at=clock.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise Conflict("this phone number is already registered") from None
    return user


def find_by_phone(phone: str) -> User | None:
    """The account with this phone number, if any (found by the phone's keyed digest)."""
    digests = personal_digests("phone", phone)
    return db.session.scalar(select(User).where(User.phone_digest.in_(digests)))


def user_for_phone(phone: str) -> User:
    """The account with this phone number (it must exist)."""
    user = find_by_phone(phone)
    if user is None:
        raise NotFound("user")
    return user


def register(phone: str, password: str, role: str) -> User:
    """Self-registration: only workers, employers and brokers may sign themselves up."""
    if role not in SELF_REGISTERED_ROLES:
        raise Invalid(
            "this role cannot self-register",
            field_error(
                "json", "role", "must be one of %(roles)s", roles=", ".join(SELF_REGISTERED_ROLES)
            ),
        )
    return create_user(phone, password, role)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued bearer token (the plain value exists only here)."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 — the scheme name, not a secret


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(phone: str, password: str, address: str | None = None) -> IssuedToken:
    """Exchange a phone and password for an access token.

    ``address`` is the client's, as ``auth.addresses.client_address`` gives it; None (the desk's
    sign-in) means the current request's. Raises ``TooManyRequests`` once the (phone, address)
    pair or the address has used up its failures in the window, and ``Unauthorized`` for wrong
    credentials. A failure is recorded in the session, and the caller must commit it although
    the request fails: that record is the throttle.
    """
    if not is_mainland_mobile(phone):
        # No account has such a phone (registration refuses it): nothing to guess, nothing to
        # count, and nothing that would not fit the failures' phone column. The API refuses it
        # with 422 before this; the desk's form does not.
        raise Unauthorized("wrong phone number or password")
    if address is None:
        address = client_address()
    throttle.check(phone, address)
    user = find_by_phone(phone)
    matched = password_matches(user.password_hash if user else None, password)
    if user is None or not matched:
        throttle.record_failure(phone, address)
        raise Unauthorized("wrong phone number or password")
    return create_token(user)


class WrongPassword(Invalid):
    """The current password given to change it is wrong: 422 on ``old``, a failed sign-in.

    The caller commits the failure although the request fails, as for a wrong token request.
    """


def confirm_password(user: User, password: str, *, address: str, field: str) -> None:
    """Check that a signed-in user who asks for something grave knows their password.

    Checked like a sign-in from ``address`` (the same throttle; a wrong one counts as a failed
    sign-in, which the caller commits), so that a stolen token is no way to guess the password;
    a wrong one is 422 on ``field``.
    """
    assert user.phone is not None  # a closed account signs nothing in
    throttle.check(user.phone, address)
    if not password_matches(user.password_hash, password):
        throttle.record_failure(user.phone, address)
        raise WrongPassword(
            N_("the current password is wrong") if field == "old" else N_("the password is wrong"),
            field_error("json", field, "wrong password"),
        )


# Not an argon2 hash: no password ever matches it.
CLOSED_PASSWORD_HASH = "!closed"  # noqa: S105


def close_account(user: User) -> None:
    """Close ``user``'s account: every token revoked, the phone erased, no password works.

    The domains erase their own personal fields first (``privacy.services.close``).
    """
    revoke_all_tokens(user)
    user.phone = None
    user.password_hash = CLOSED_PASSWORD_HASH
    user.closed_at = clock.now()
    db.session.flush()


def change_password(user: User, old: str, new: str, *, current_token: str, address: str) -> int:
    """Change ``user``'s password and revoke every other live token; answers how many.

    ``old`` is checked like a sign-in from ``address`` (the same throttle, and a wrong one counts
    as a failure), so that a stolen token is no way to guess the password. The token of this
    request (``current_token``) stays valid. Audited as ``user.password_changed``.
    """
    confirm_password(user, old, address=address, field="old")
    assert user.phone is not None  # confirmed: an open account
    if new == old:
        raise Invalid(
            "the new password must differ from the current one",
            field_error("json", "new", "must differ from the current password"),
        )
    require_strong_password(new, user.phone, field="new")
    user.password_hash = hash_password(new)
    revoked = revoke_other_tokens(user, current_token)
    db.session.flush()
    audit.record(
        "user.password_changed",
        "user",
        user.id,
        {"revoked_tokens": revoked},
        actor_id=user.id,
    )
    return revoked


def create_token(user: User) -> IssuedToken:
    """Issue a new access token for ``user``, valid for ACCESS_TOKEN_TTL_SECONDS."""
    ttl = current_app.config["ACCESS_TOKEN_TTL_SECONDS"]
    token = secrets.token_urlsafe(32)
    issued_at = clock.now()
    db.session.add(
        AccessToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=issued_at,
            expires_at=issued_at + timedelta(seconds=ttl),
        )
    )
    db.session.flush()
    return IssuedToken(access_token=token, expires_in=ttl)


@prebuilt
def _live_token_owner() -> Select[User]:
    # Every authenticated request runs it; building it cost twice as much CPU as running it.
    return (
        select(User)
        .join(AccessToken, AccessToken.user_id == User.id)
        .where(
            AccessToken.token_hash == bindparam("token_hash"),
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > bindparam("now"),
        )
    )


def user_for_token(token: str) -> User | None:
    """The user a live (unexpired, unrevoked) token belongs to, or None."""
    return db.session.scalar(
        _live_token_owner(), {"token_hash": _token_hash(token), "now": clock.now()}
    )


def revoke_token(token: str) -> None:
    """Revoke one token at once (logout)."""
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == _token_hash(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def revoke_other_tokens(user: User, kept_token: str) -> int:
    """Revoke every live token of ``user`` but ``kept_token``; answers how many were revoked."""
    now = clock.now()
    result = db.session.execute(
        update(AccessToken)
        .where(
            AccessToken.user_id == user.id,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
            AccessToken.token_hash != _token_hash(kept_token),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_all_tokens(user: User) -> int:
    """Revoke every live token of ``user``; answers how many were revoked."""
    result = db.session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_expired(older_than: timedelta = timedelta(days=1)) -> None:
    """Drop expired tokens and old login failures (housekeeping for the scheduler)."""
    cutoff = clock.now() - older_than
    db.session.execute(delete(AccessToken).where(AccessToken.expires_at < cutoff))
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
