"""Chinese passwords a guesser tries first are refused; ordinary strong ones are not."""

from __future__ import annotations

import pytest

from app.domain.passwords import guessable
from app.domain.people import password_problem

COMMON = "这个密码太常见，容易被猜到，请换一个"


@pytest.mark.parametrize("password", [
    "woaini1314", "5201314520", "12312312", "abc12345", "qq123456", "QQ123456", "zhang19800501",
    "19800501", "woaini520", "1314520a", "a12345678", "wang888888", "87654321", "11111111",
    "liu20001231", "aa1314520", "iloveyou1314", "52005200",
])
def test_guessable_chinese_passwords_are_refused(password):
    assert guessable(password), password
    assert password_problem(password) == COMMON


@pytest.mark.parametrize("password", [
    "Cunyi-demo-2026", "Village-pass-2026", "qingshan2026river", "xiaolin83927461", "4839201756",
    "tractor-97-rice", "zhang93718264", "longword1314x9",
])
def test_ordinary_passwords_pass(password):
    assert not guessable(password), password
    assert password_problem(password) is None


@pytest.mark.parametrize("digits, weak", [
    ("20260229", False),  # not a real day: 2026 is not a leap year
    ("20240229", True),
    ("0501", True),
    ("1231", True),
    ("1332", False),
    ("123", False),  # too short to be a sequence
    ("1234", True),
])
def test_digit_patterns_at_their_edges(digits, weak):
    from app.domain.passwords import weak_digits

    assert weak_digits(digits) is weak
