"""Rules about people: phones, ages at the 18th birthday, roster dates and genders, passwords, codes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.domain.people import (
    CODE_ALPHABET,
    CODE_LENGTH,
    PASSWORD_MAX,
    PASSWORD_MIN,
    adult_born_on_or_before,
    age_on,
    format_code,
    is_adult,
    is_valid_phone,
    mask_phone,
    normalize_code,
    normalize_phone,
    parse_date,
    parse_gender,
    password_problem,
)
from app.services.auth import new_code

# --- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812341234", "13812341234"),
        (" 138 1234 1234 ", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("8613812341234", "13812341234"),
        ("+86-13812341234", "13812341234"),
        ("", ""),
        (None, ""),
        ("手机：13812341234", "13812341234"),
        ("１３８１２３４１２３４", "13812341234"),  # full-width digits from a Chinese input method
        ("＋８６ １３８-１２３４-１２３４", "13812341234"),
        ("1381234123", "1381234123"),  # too short: left as is, refused by is_valid_phone
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("13812341234", True),
        ("19912341234", True),
        ("15000000000", True),
        ("12812341234", False),  # second digit must be 3–9
        ("10812341234", False),
        ("23812341234", False),  # must start with 1
        ("1381234123", False),  # 10 digits
        ("138123412345", False),  # 12 digits
        ("1381234123a", False),
        ("", False),
    ],
)
def test_is_valid_phone(phone, valid):
    assert is_valid_phone(phone) is valid


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("15900001111", "159****1111"),
        ("1381234", "*******"),  # not a full phone: hide it all
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


# --- ages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "adult"),
    [
        (date(2008, 5, 1), date(2026, 4, 30), False),  # the day before the 18th birthday
        (date(2008, 5, 1), date(2026, 5, 1), True),  # the birthday itself counts
        (date(2008, 5, 1), date(2026, 5, 2), True),
        (date(2008, 1, 1), date(2025, 12, 31), False),  # year boundary
        (date(2008, 1, 1), date(2026, 1, 1), True),
        (date(2007, 12, 31), date(2025, 12, 31), True),
        # born on 29 February: in a common year the 18th birthday falls on 1 March
        (date(2008, 2, 29), date(2026, 2, 28), False),
        (date(2008, 2, 29), date(2026, 3, 1), True),
        # ... and in a leap year on 29 February itself
        (date(2010, 2, 28), date(2028, 2, 28), True),
        (date(2010, 3, 1), date(2028, 2, 29), False),
        (date(2010, 3, 1), date(2028, 3, 1), True),
        (date(1950, 6, 15), date(2026, 1, 1), True),
        (date(2026, 1, 1), date(2026, 1, 1), False),
        (None, date(2026, 1, 1), False),  # unknown birth date: not counted as adult
    ],
)
def test_is_adult(birth, on, adult):
    assert is_adult(birth, on) is adult


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2008, 5, 1), date(2026, 4, 30), 17),
        (date(2008, 5, 1), date(2026, 5, 1), 18),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
    ],
)
def test_age_on(birth, on, age):
    assert age_on(birth, on) == age


@pytest.mark.parametrize(
    ("on", "latest_birth"),
    [
        (date(2026, 5, 1), date(2008, 5, 1)),
        (date(2026, 1, 1), date(2008, 1, 1)),
        (date(2026, 2, 28), date(2008, 2, 28)),
        (date(2026, 3, 1), date(2008, 3, 1)),
        (date(2028, 2, 29), date(2010, 2, 28)),  # no 29 Feb in 2010
        (date(2024, 2, 29), date(2006, 2, 28)),
    ],
)
def test_adult_born_on_or_before(on, latest_birth):
    assert adult_born_on_or_before(on) == latest_birth


def test_sql_cutoff_agrees_with_is_adult_around_every_boundary():
    """The SQL filter (birth <= cutoff) and the Python rule must never disagree, leap days included."""
    days = [date(2024, 2, 27) + timedelta(days=i) for i in range(5)]  # 27 Feb .. 2 Mar of a leap year
    days += [date(2026, 2, 26) + timedelta(days=i) for i in range(5)]  # and of a common year
    days += [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1)]
    for on in days:
        cutoff = adult_born_on_or_before(on)
        for delta in range(-400, 400):
            birth = cutoff + timedelta(days=delta)
            assert is_adult(birth, on) is (birth <= cutoff), (birth, on)


# --- roster dates and genders ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1980-05-01", date(1980, 5, 1)),
        ("1980/05/01", date(1980, 5, 1)),
        ("1980/5/1", date(1980, 5, 1)),
        ("1980.05.01", date(1980, 5, 1)),
        ("19800501", date(1980, 5, 1)),
        ("1980年5月1日", date(1980, 5, 1)),
        ("1980年05月01日", date(1980, 5, 1)),
        ("  1980-05-01  ", date(1980, 5, 1)),
        (date(1980, 5, 1), date(1980, 5, 1)),
        (datetime(1980, 5, 1, 12, 30), date(1980, 5, 1)),
        ("2008-02-29", date(2008, 2, 29)),
        ("2007-02-29", None),  # no such day
        ("1980-13-01", None),
        ("01/05/1980", None),  # day-first spellings are ambiguous: refused
        ("一九八〇年五月一日", None),
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("男", "男"),
        ("女", "女"),
        (" 女 ", "女"),
        ("M", "男"),
        ("f", "女"),
        ("Male", "男"),
        ("FEMALE", "女"),
        ("", None),
        (None, None),
        ("未知", None),
        ("x", None),
    ],
)
def test_parse_gender(value, expected):
    assert parse_gender(value) == expected


# --- passwords ------------------------------------------------------------------------------

PHONE = "13812341234"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Abcde1!", "至少 8 位"),  # 7 characters
        ("Abcde12!", None),  # 8 characters
        ("x" * 60 + "Yz" + "w" * 66, None),  # 128 characters
        ("x" * 60 + "Yz" + "w" * 67, "最多 128 位"),  # 129 characters
        ("password1", "太常见"),
        ("PASSWORD1", "太常见"),  # the list is matched without case
        ("12345678", "太常见"),
        ("qwertyui", "太常见"),
        (f"my{PHONE}", "手机号"),
        (f"{PHONE}!", "手机号"),
        ("aaaaaaaa", "太简单"),  # one distinct character
        ("abababab", "太简单"),  # two
        ("abcabcab", None),  # three is enough
        ("村民议事好办法", "至少 8 位"),  # 7 Chinese characters
        ("村民议事有好办法", None),  # Chinese characters count one each
    ],
)
def test_password_problem(password, problem):
    found = password_problem(password, PHONE)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_password_limits_are_the_documented_ones():
    assert (PASSWORD_MIN, PASSWORD_MAX) == (8, 128)


def test_password_without_phone_to_compare():
    assert password_problem(f"my{PHONE}") is None


# --- activation codes -----------------------------------------------------------------------


@pytest.mark.parametrize("confusable", list("0O1IL"))
def test_code_alphabet_has_no_confusable_characters(confusable):
    assert confusable not in CODE_ALPHABET


def test_new_codes_use_only_the_alphabet():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200  # random, not repeating
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("ABCDE-FGHJK", "ABCDEFGHJK"),
        ("abcde fghjk", "ABCDEFGHJK"),
        ("  abcde-fghjk\n", "ABCDEFGHJK"),
        ("AB CD-EF GH-JK", "ABCDEFGHJK"),
        ("", ""),
    ],
)
def test_normalize_code(typed, normalized):
    assert normalize_code(typed) == normalized


def test_format_code_round_trips():
    code = new_code()
    shown = format_code(code)
    assert shown[5] == "-" and len(shown) == CODE_LENGTH + 1
    assert normalize_code(shown) == code
