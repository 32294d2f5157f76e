"""The rules for resident identity numbers (GB 11643-1999) and credit codes (GB 32100-2015)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from marketplace.common.ids import (
    CREDIT_CODE_CHARSET,
    InvalidResidentId,
    ResidentId,
    credit_code_problem,
    holder_mask,
    is_valid_credit_code,
    make_credit_code,
    make_resident_id,
    mask_resident_id,
    parse_resident_id,
    resident_id_check_character,
)

TODAY = date(2026, 3, 1)
# The specimen number printed in GB 11643-1999 itself.
SPECIMEN = "11010519491231002X"


def _number(birth: str, tail: str = "123") -> str:
    first17 = f"320202{birth}{tail}"
    return first17 + resident_id_check_character(first17)


# --- resident identity number: shape -------------------------------------------------------


def test_a_valid_number_parses_into_its_parts() -> None:
    assert parse_resident_id(SPECIMEN, TODAY) == ResidentId(
        number=SPECIMEN, birth_date=date(1949, 12, 31), gender="female", region_code="110105"
    )


@pytest.mark.parametrize("value", [SPECIMEN[:-1], SPECIMEN + "0", ""])
def test_a_number_must_have_18_characters(value: str) -> None:
    with pytest.raises(InvalidResidentId, match="must be 18 characters long"):
        parse_resident_id(value, TODAY)


@pytest.mark.parametrize(
    "value",
    [
        "1101051949123100AX",  # a letter among the first 17
        "1101051949123100 X",  # a space is not a digit
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits, which int() would happily read
    ],
)
def test_the_first_17_characters_must_be_ascii_digits(value: str) -> None:
    with pytest.raises(InvalidResidentId, match="must be digits"):
        parse_resident_id(value, TODAY)


def test_the_last_character_must_be_a_digit_or_x() -> None:
    with pytest.raises(InvalidResidentId, match="must be a digit or X"):
        parse_resident_id("11010519491231002A", TODAY)


def test_a_lowercase_x_is_accepted_and_normalised() -> None:
    assert parse_resident_id(SPECIMEN.lower(), TODAY).number == SPECIMEN


# --- resident identity number: check character -------------------------------------------


def test_the_check_character_follows_iso_7064_mod_11_2() -> None:
    assert resident_id_check_character(SPECIMEN[:17]) == "X"
    assert resident_id_check_character("44052418800101001") == "4"
    assert resident_id_check_character("32020219900101123") == "8"


def test_a_wrong_check_character_is_rejected_and_the_right_one_named() -> None:
    with pytest.raises(InvalidResidentId, match="check character should be 'X'"):
        parse_resident_id("110105194912310021", TODAY)


@given(position=st.integers(0, 16), shift=st.integers(1, 9))
def test_any_single_digit_change_is_detected(position: int, shift: int) -> None:
    digits = list(SPECIMEN)
    digits[position] = str((int(digits[position]) + shift) % 10)
    with pytest.raises(InvalidResidentId):
        parse_resident_id("".join(digits), TODAY)


def test_the_check_character_needs_exactly_17_digits() -> None:
    with pytest.raises(ValueError, match="17 digits"):
        resident_id_check_character("1234")


# --- resident identity number: birth date and age ------------------------------------------


def test_the_birth_date_must_be_a_real_calendar_date() -> None:
    with pytest.raises(InvalidResidentId, match="birth date 19990230 is not a real date"):
        parse_resident_id(_number("19990230"), TODAY)
    with pytest.raises(InvalidResidentId, match="birth date 19991301 is not a real date"):
        parse_resident_id(_number("19991301"), TODAY)


def test_29_february_is_a_real_date_in_a_leap_year() -> None:
    assert parse_resident_id(_number("20000229"), TODAY).birth_date == date(2000, 2, 29)


def test_the_birth_date_must_not_be_in_the_future() -> None:
    with pytest.raises(InvalidResidentId, match="birth date 20260302 is in the future"):
        parse_resident_id(_number("20260302"), TODAY)


def test_a_person_who_turns_16_today_is_accepted() -> None:
    assert parse_resident_id(_number("20100301"), TODAY).birth_date == date(2010, 3, 1)


def test_a_person_aged_15_years_364_days_is_rejected() -> None:
    with pytest.raises(InvalidResidentId, match="must be at least 16 years old"):
        parse_resident_id(_number("20100302"), TODAY)


def test_someone_born_on_29_february_turns_16_on_1_march_of_a_common_year() -> None:
    # 2104 is not a leap year (divisible by 100, not by 400), so there is no 29 February.
    born_leap_day = _number("20880229")
    with pytest.raises(InvalidResidentId, match="at least 16"):
        parse_resident_id(born_leap_day, date(2104, 2, 28))
    assert parse_resident_id(born_leap_day, date(2104, 3, 1)).birth_date == date(2088, 2, 29)


def test_someone_born_on_29_february_turns_16_on_29_february_of_a_leap_year() -> None:
    born_leap_day = _number("20080229")
    with pytest.raises(InvalidResidentId, match="at least 16"):
        parse_resident_id(born_leap_day, date(2024, 2, 28))
    assert parse_resident_id(born_leap_day, date(2024, 2, 29)).birth_date == date(2008, 2, 29)


# --- resident identity number: gender, masking ---------------------------------------------


def test_an_odd_17th_digit_means_male_and_an_even_one_female() -> None:
    assert parse_resident_id(_number("19900101", "121"), TODAY).gender == "male"
    assert parse_resident_id(_number("19900101", "120"), TODAY).gender == "female"


def test_readers_see_the_first_4_and_last_2_characters() -> None:
    # Contract v1.1: the v1 mask (6 + 4) beside the birth date rebuilt the whole number.
    assert mask_resident_id("32020219900101123X") == "3202************3X"


def test_the_holder_sees_the_first_6_and_last_4_characters() -> None:
    assert holder_mask("32020219900101123X") == "320202********123X"


@pytest.mark.parametrize("mask", [mask_resident_id, holder_mask])
def test_masking_refuses_a_number_of_the_wrong_length(mask) -> None:
    with pytest.raises(ValueError, match="18-character"):
        mask("3202021990")


def test_the_readers_mask_and_birth_year_leave_at_least_10000_numbers() -> None:
    """Count, by brute force, the valid numbers matching what a reader sees of one."""
    number = make_resident_id("320206", date(1990, 5, 17), 37, "female")
    shown, year = mask_resident_id(number), 1990
    matching = 0
    day = date(year, 1, 1)
    while day.year == year:
        for sequence in range(100):
            for county in ("02", "03", "04", "05", "06", "11", "13", "14", "81", "82"):
                first17 = f"{shown[:4]}{county}{day:%Y%m%d}{sequence:02d}{shown[-2]}"
                if resident_id_check_character(first17) == shown[-1]:
                    matching += 1
        day += timedelta(days=1)
    # The ten county codes of 无锡 (old and new): about 33,000 numbers fit.
    assert matching >= 10_000


# --- resident identity number: generator ---------------------------------------------------


def test_make_resident_id_builds_the_number_from_its_parts() -> None:
    number = make_resident_id("320202", date(1990, 1, 1), 7, "female")
    assert number[:17] == "32020219900101072"
    assert parse_resident_id(number, TODAY) == ResidentId(
        number=number, birth_date=date(1990, 1, 1), gender="female", region_code="320202"
    )


@pytest.mark.parametrize(
    ("region", "sequence", "gender", "message"),
    [
        ("32020", 0, "male", "region code"),
        ("32020a", 0, "male", "region code"),
        ("320202", 100, "male", "sequence"),
        ("320202", -1, "male", "sequence"),
        ("320202", 0, "M", "gender"),
    ],
)
def test_make_resident_id_refuses_bad_parts(
    region: str, sequence: int, gender: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_resident_id(region, date(1990, 1, 1), sequence, gender)


@given(
    region=st.text(alphabet="0123456789", min_size=6, max_size=6),
    birth_date=st.dates(min_value=date(1900, 1, 1), max_value=date(2010, 3, 1)),
    sequence=st.integers(0, 99),
    gender=st.sampled_from(["male", "female"]),
)
def test_generated_numbers_always_parse_back(
    region: str, birth_date: date, sequence: int, gender: str
) -> None:
    parsed = parse_resident_id(make_resident_id(region, birth_date, sequence, gender), TODAY)
    assert (parsed.region_code, parsed.birth_date, parsed.gender) == (region, birth_date, gender)


# --- unified social credit code ------------------------------------------------------------


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B"])
def test_real_published_credit_codes_are_valid(code: str) -> None:
    assert credit_code_problem(code) is None
    assert is_valid_credit_code(code)


def test_a_credit_code_with_a_wrong_check_character_is_invalid() -> None:
    assert credit_code_problem("91350100M000100Y44") == "check character should be '3'"
    assert not is_valid_credit_code("91350100M000100Y44")


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_credit_code_alphabet_are_invalid(letter: str) -> None:
    problem = credit_code_problem(f"91350100{letter}000100Y43")
    assert problem is not None
    assert "outside its alphabet" in problem


def test_lowercase_credit_codes_are_rejected_not_normalised() -> None:
    # Callers upper-case input themselves; the check never silently accepts a form
    # that differs from the one to be stored.
    assert credit_code_problem("91350100m000100y43") == (
        "credit code must be written in upper-case letters"
    )


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_a_credit_code_must_have_18_characters(code: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None
    assert "18 characters" in problem


def test_make_credit_code_appends_the_check_character() -> None:
    assert make_credit_code("91350100M000100Y4") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="credit code alphabet"):
        make_credit_code("91350100O000100Y4")


@given(
    body=st.text(alphabet=CREDIT_CODE_CHARSET, min_size=17, max_size=17),
    position=st.integers(0, 16),
    shift=st.integers(1, len(CREDIT_CODE_CHARSET) - 1),
)
def test_generated_credit_codes_are_valid_and_any_single_change_is_caught(
    body: str, position: int, shift: int
) -> None:
    code = make_credit_code(body)
    assert is_valid_credit_code(code)
    changed = CREDIT_CODE_CHARSET[(CREDIT_CODE_CHARSET.index(code[position]) + shift) % 31]
    assert not is_valid_credit_code(code[:position] + changed + code[position + 1 :])


def test_a_number_of_a_district_newer_than_the_librarys_county_table_is_accepted() -> None:
    """Why stdnum's whole ``validate`` is not used: its table of counties by year refuses a
    worker of 新吴区 (320214, created 2015) born in 1990; our checks accept the number."""
    number = make_resident_id("320214", date(1990, 5, 1), 12, "male")
    assert not ric.is_valid(number)
    assert parse_resident_id(number, TODAY).region_code == "320214"


def test_a_credit_code_whose_registration_authority_is_a_letter_is_valid() -> None:
    """GB 32100 gives registration authorities letters (N: 农业, e.g. a village collective);
    stdnum's ``validate`` wants digits there and would refuse the employer."""
    code = make_credit_code("N2320281MA1W2R3T4")
    assert not uscc.is_valid(code)
    assert is_valid_credit_code(code)
    assert credit_code_problem(code[:17] + ("3" if code[17] != "3" else "4")) is not None
