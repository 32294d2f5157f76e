"""Checks and generators for the two national identifiers the market handles.

* The 18-character resident identity number (居民身份证号码, GB 11643-1999), which a
  worker gives when registering: 6-digit region code, 8-digit birth date, 3-digit
  sequence code whose last digit is odd for men and even for women, and an ISO 7064
  MOD 11-2 check character (a digit or ``X``).
* The 18-character unified social credit code (统一社会信用代码, GB 32100-2015), which
  an employer gives: 17 characters from a 31-symbol alphabet and a MOD 31 check character.

Both checks are pure: they never read the clock (``today`` is passed in) nor strip
whitespace, so the API layer decides what to trim and which day it is in the city.

The check characters are python-stdnum's (``stdnum.cn.ric``, ``stdnum.cn.uscc``). Its whole
``validate`` is not used, on purpose, for two reasons that would refuse real people: for
resident numbers it also looks the region code up in its own table of counties by year, which
lags behind new districts (a worker would be refused until a library release); for credit codes
it requires digits in the first 8 characters, while GB 32100 gives the registration authority
letters too (``N`` 农业, ``Y`` 其他 — a village collective hiring for the harvest has an ``N``
code). Kept here: the rest of each standard's checks, the age rule, the masks, the messages
that say which rule failed, and the generators of the demo and synthetic data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric, uscc

from marketplace.errors import Message

__all__ = [
    "CREDIT_CODE_CHARSET",
    "MINIMUM_WORKING_AGE",
    "InvalidResidentId",
    "ResidentId",
    "adult_on",
    "birth_date_of",
    "credit_code_problem",
    "holder_mask",
    "is_valid_credit_code",
    "make_credit_code",
    "make_resident_id",
    "mask_resident_id",
    "parse_resident_id",
    "resident_id_check_character",
]

# China's Labour Law forbids employing anyone under 16.
MINIMUM_WORKING_AGE = 16

_RESIDENT_ID_LENGTH = 18
_DIGITS = frozenset("0123456789")

# I, O, Z, S and V are left out of the standard's alphabet because they read like 1, 0, 2, 5, U.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_LENGTH = 18
_CREDIT_CODE_VALUES = {char: index for index, char in enumerate(CREDIT_CODE_CHARSET)}


class InvalidResidentId(ValueError):
    """A resident identity number that breaks one of GB 11643-1999's rules or the age rule.

    ``message`` names the rule: a msgid with its parameters (its text is the English one).
    """

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A checked resident identity number and what it says about its holder."""

    number: str
    birth_date: date
    gender: str
    region_code: str


def resident_id_check_character(first17: str) -> str:
    """The check character (``0``-``9`` or ``X``) that completes the 17 digits ``first17``."""
    if len(first17) != _RESIDENT_ID_LENGTH - 1 or not set(first17) <= _DIGITS:
        raise ValueError(f"expected 17 digits, got {first17!r}")
    # ISO 7064 MOD 11-2; stdnum's function reads the number with a check character in place.
    return str(ric.calc_check_digit(first17 + "0"))


def _anniversary(birth_date: date, years: int) -> date:
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        # Only 29 February fails: in a common year the birthday is taken to fall on 1 March.
        return date(birth_date.year + years, 3, 1)


def birth_date_of(number: str) -> date:
    """The birth date written in a resident identity number that ``parse_resident_id`` accepted."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def adult_on(birth_date: date) -> date:
    """The day a person born on ``birth_date`` reaches the minimum working age (16)."""
    return _anniversary(birth_date, MINIMUM_WORKING_AGE)


def parse_resident_id(value: str, today: date) -> ResidentId:
    """Check an 18-character resident identity number and return its parts.

    A lower-case ``x`` check character is accepted and upper-cased in ``number``.
    ``today`` is the local date in the city, used for the "not born in the future" and
    "at least 16 years old" rules. Raises ``InvalidResidentId`` naming the failed rule.
    """
    if len(value) != _RESIDENT_ID_LENGTH:
        raise InvalidResidentId(
            Message(
                "resident ID number must be %(length)s characters long, got %(given)s",
                length=_RESIDENT_ID_LENGTH,
                given=len(value),
            )
        )
    # Only the check character may be a letter; upper-casing just it keeps the length fixed.
    number = value[:17] + value[17].upper()
    first17, given_check = number[:17], number[17]
    if not set(first17) <= _DIGITS:
        raise InvalidResidentId(
            Message("the first 17 characters of a resident ID number must be digits")
        )
    if given_check not in _DIGITS and given_check != "X":
        raise InvalidResidentId(
            Message("the last character of a resident ID number must be a digit or X")
        )

    expected_check = resident_id_check_character(first17)
    if given_check != expected_check:
        raise InvalidResidentId(_wrong_check_character(expected_check))

    birth_text = first17[6:14]
    try:
        birth_date = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise InvalidResidentId(
            Message("birth date %(birth)s is not a real date", birth=birth_text)
        ) from None
    if birth_date > today:
        raise InvalidResidentId(Message("birth date %(birth)s is in the future", birth=birth_text))
    if adult_on(birth_date) > today:
        raise InvalidResidentId(
            Message("must be at least %(age)s years old", age=MINIMUM_WORKING_AGE)
        )

    return ResidentId(
        number=number,
        birth_date=birth_date,
        gender="male" if int(first17[16]) % 2 == 1 else "female",
        region_code=first17[:6],
    )


def mask_resident_id(number: str) -> str:
    """What everyone but the number's holder sees: the first 4 and last 2 characters.

    ``3202************3X``: the province and prefecture, the gender digit and the check
    character. Beside the birth year, which readers also see, the hidden characters — county
    (2 digits), month and day of birth (366), sequence (2 digits), less the one in eleven that
    the check character allows — leave about 330,000 numbers; about 3,300 even for a reader
    who guesses the county right. The 6 + 4 mask of the first release showed the 8 hidden
    characters beside a birth date that *was* them.
    """
    if len(number) != _RESIDENT_ID_LENGTH:
        raise ValueError(f"expected an {_RESIDENT_ID_LENGTH}-character number to mask")
    return number[:4] + "*" * 12 + number[-2:]


def holder_mask(number: str) -> str:
    """What the number's holder sees of it: the first 6 and last 4 (``320202********123X``).

    Only for the holder, who sees their birth date too: together they are their own number.
    """
    if len(number) != _RESIDENT_ID_LENGTH:
        raise ValueError(f"expected an {_RESIDENT_ID_LENGTH}-character number to mask")
    return number[:6] + "*" * 8 + number[-4:]


def make_resident_id(region_code: str, birth_date: date, sequence: int, gender: str) -> str:
    """Build a valid resident identity number, for the demo and synthetic data generators.

    ``sequence`` (0..99) fills positions 15-16; position 17 is ``1`` for ``"male"`` and
    ``2`` for ``"female"``, so distinct arguments give distinct numbers.
    """
    if len(region_code) != 6 or not set(region_code) <= _DIGITS:
        raise ValueError(f"region code must be 6 digits, got {region_code!r}")
    if not 0 <= sequence <= 99:
        raise ValueError(f"sequence must be between 0 and 99, got {sequence}")
    if gender not in ("male", "female"):
        raise ValueError(f"gender must be 'male' or 'female', got {gender!r}")
    gender_digit = "1" if gender == "male" else "2"
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:02d}{gender_digit}"
    return first17 + resident_id_check_character(first17)


def _credit_code_check_character(first17: str) -> str:
    return str(uscc.calc_check_digit(first17))


def _wrong_check_character(expected: str) -> Message:
    return Message("check character should be %(expected)s", expected=repr(expected))


def credit_code_problem(value: str) -> Message | None:
    """Why ``value`` is not a valid unified social credit code, or ``None`` if it is.

    Lower-case letters are rejected rather than normalised: the standard defines the
    code in upper case, and a yes/no check has no way to hand a normalised code back,
    so accepting them would let lower-case codes reach the database. The reason is a msgid with
    its parameters (``Message``: its text is the English one).
    """
    if len(value) != _CREDIT_CODE_LENGTH:
        return Message(
            "credit code must be %(length)s characters long, got %(given)s",
            length=_CREDIT_CODE_LENGTH,
            given=len(value),
        )
    if value != value.upper():
        return Message("credit code must be written in upper-case letters")
    bad = sorted({char for char in value if char not in _CREDIT_CODE_VALUES})
    if bad:
        return Message(
            "credit code contains characters outside its alphabet (no I, O, Z, S or V): "
            "%(characters)s",
            characters=repr("".join(bad)),
        )
    expected = _credit_code_check_character(value[:17])
    if value[17] != expected:
        return _wrong_check_character(expected)
    return None


def is_valid_credit_code(value: str) -> bool:
    """Whether ``value`` is a valid unified social credit code (see ``credit_code_problem``)."""
    return credit_code_problem(value) is None


def make_credit_code(first17: str) -> str:
    """Append the check character to 17 code characters, for synthetic data generators."""
    if len(first17) != _CREDIT_CODE_LENGTH - 1 or not set(first17) <= _CREDIT_CODE_VALUES.keys():
        raise ValueError(f"expected 17 characters from the credit code alphabet, got {first17!r}")
    return first17 + _credit_code_check_character(first17)
