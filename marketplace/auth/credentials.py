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

from marketplace.errors import Invalid, Message, field_error
from marketplace.i18n import N_, translate

# ASCII semantics: [0-9] only, and \Z is the end of the text (no trailing newline).
MAINLAND_MOBILE = re.compile(r"\A1[3-9]\d{9}\Z", re.ASCII)
# The same rule in the OpenAPI document, whose patterns are ECMA-262: there ^ and $ are the ends
# of the text and \d is ASCII, but [0-9] reads the same in every dialect.
MAINLAND_MOBILE_OPENAPI = "^1[3-9][0-9]{9}$"
PHONE_RULE = N_("must be a mainland mobile number: 11 ASCII digits, 1, then 3-9, then 9 digits")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def is_mainland_mobile(phone: str) -> bool:
    """Whether ``phone`` is a mainland mobile number, as exactly 11 ASCII digits."""
    return MAINLAND_MOBILE.match(phone) is not None


def require_mainland_mobile(phone: str, *, field: str = "phone") -> None:
    """Raise 422 (field error on ``field``) unless ``phone`` is a mainland mobile number."""
    if not is_mainland_mobile(phone):
        raise Invalid(
            "%(field)s must be a mainland mobile number: 11 ASCII digits, 1, then 3-9, then 9 "
            "digits",
            field_error("json", field, PHONE_RULE),
            field=field,
        )


@cache
def common_passwords() -> frozenset[str]:
    """The refused common passwords, lower-cased (read once from the package's data file)."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def password_weakness(password: str, phone: str) -> Message | None:
    """Why ``password`` may not be the password of the account of ``phone``; None if it may.

    The reason is a msgid with its parameters (``Message``: its text is the English one).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message("must be at least %(min)s characters", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return Message("must be at most %(max)s characters", max=MAX_PASSWORD_LENGTH)
    if password.casefold() in common_passwords():
        return Message("is one of the most common passwords: choose one that is harder to guess")
    if phone and phone in password:
        return Message("must not contain the phone number")
    return None


class PasswordRefused(Invalid):
    """422: the password may not be used; the message says why, in the reader's language."""

    def __init__(self, weakness: Message, field: str) -> None:
        super().__init__(
            N_("password refused: it %(weakness)s"),
            field_error("json", field, weakness.template, **weakness.params),
            weakness=weakness,
        )
        self.weakness = weakness

    def translated(self) -> str:
        """The refusal with its reason, both translated."""
        reason = translate(self.weakness.template, self.weakness.params)
        return translate(self.template, {"weakness": reason})


def require_strong_password(password: str, phone: str, *, field: str = "password") -> None:
    """Raise 422 with the reason (field error on ``field``) unless ``password`` may be used."""
    weakness = password_weakness(password, phone)
    if weakness is not None:
        raise PasswordRefused(weakness, field)
