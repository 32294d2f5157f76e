"""What a phone number and a password must look like (API.md v1.1: Phones, Sign-in).

Phones are 11 ASCII digits matched whole: Python's ``\\d`` also matches full-width and other
Unicode digits and its ``$`` a trailing newline, either of which would let one phone register
several accounts (``13800000000``, ``13800000000\\n``, ``１３８００００００００``).

Passwords are at least ``MIN_PASSWORD_LENGTH`` characters, not one of the most common passwords
(``common_passwords.txt``, compared case-insensitively) and do not contain the account's phone
number: each of these is the first guess of anyone who tries to sign in as someone else.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from marketplace.errors import Invalid, field_error

# ASCII semantics: [0-9] only, and \Z is the end of the text (no trailing newline).
MAINLAND_MOBILE = re.compile(r"\A1[3-9]\d{9}\Z", re.ASCII)
# The same rule in the OpenAPI document, whose patterns are ECMA-262: there ^ and $ are the ends
# of the text and \d is ASCII, but [0-9] reads the same in every dialect.
MAINLAND_MOBILE_OPENAPI = "^1[3-9][0-9]{9}$"
PHONE_RULE = "must be a mainland mobile number: 11 ASCII digits, 1, then 3-9, then 9 digits"

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def is_mainland_mobile(phone: str) -> bool:
    """Whether ``phone`` is a mainland mobile number, as exactly 11 ASCII digits."""
    return MAINLAND_MOBILE.match(phone) is not None


def require_mainland_mobile(phone: str, *, field: str = "phone") -> None:
    """Raise 422 (field error on ``field``) unless ``phone`` is a mainland mobile number."""
    if not is_mainland_mobile(phone):
        raise Invalid(f"{field} {PHONE_RULE}", field_error("json", field, PHONE_RULE))


@cache
def common_passwords() -> frozenset[str]:
    """The refused common passwords, lower-cased (read once from the package's data file)."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def password_weakness(password: str, phone: str) -> str | None:
    """Why ``password`` may not be the password of the account of ``phone``; None if it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    if password.casefold() in common_passwords():
        return "is one of the most common passwords: choose one that is harder to guess"
    if phone and phone in password:
        return "must not contain the phone number"
    return None


def require_strong_password(password: str, phone: str, *, field: str = "password") -> None:
    """Raise 422 with the reason (field error on ``field``) unless ``password`` may be used."""
    weakness = password_weakness(password, phone)
    if weakness is not None:
        raise Invalid(f"password refused: it {weakness}", field_error("json", field, weakness))
