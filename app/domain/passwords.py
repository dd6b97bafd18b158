"""How Chinese passwords are commonly guessed: patterns, not only a list.

Large studies of leaked Chinese passwords (Li, Han and Xu, "A Large-Scale Empirical Analysis of
Chinese Web Passwords", USENIX Security 2014; Wang et al., "Targeted Online Password Guessing",
ACM CCS 2016) found them dominated by digits, by pinyin words and surnames, by dates, and by the
"love numbers" 520 (我爱你), 1314 (一生一世) and 7758 (亲亲我吧), usually as a short word followed
or preceded by a run of digits: woaini1314, qq123456, abc12345, zhang19800501, 5201314, 12312312.
A guesser tries these first, so a password that is only such a word and such digits is refused.

The patterns below are written from those findings; the 1,000 most common passwords of all
languages are refused separately (app/data/common_passwords.txt).
"""

from __future__ import annotations

import re
from datetime import date

# words guessers pair with digits: pinyin of "I love you", common surnames, and filler letters
WORDS = frozenset({
    "woaini", "aini", "woai", "wo", "ai", "iloveyou", "love", "qq", "qwe", "asd", "zxc", "abc", "abcd",
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu",
    "hu", "guo", "he", "lin", "luo", "gao", "zheng", "liang", "xie", "song", "tang", "han", "feng",
})
LOVE_NUMBERS = ("5201314", "1314520", "7758521", "1314", "520", "521", "7758", "1314")
_WORD_DIGITS = re.compile(r"^(?P<pre>[a-z]*)(?P<digits>\d+)(?P<post>[a-z]*)$")
_SEQUENCE = "01234567890"


def _is_date(digits: str) -> bool:
    """yyyymmdd, yymmdd or mmdd of a real day."""
    for year_len in (4, 2, 0):
        if len(digits) != year_len + 4:
            continue
        year = int(digits[:year_len]) if year_len == 4 else 2000
        if year_len == 4 and not 1900 <= year <= 2099:
            continue
        try:
            date(year, int(digits[year_len:year_len + 2]), int(digits[year_len + 2:]))
        except ValueError:
            continue
        return True
    return False


def _repeats(digits: str) -> bool:
    """A chunk of up to four digits said again and again (111111, 123123, 12312312, 52005200)."""
    for size in range(1, 5):
        chunk = digits[:size]
        if len(digits) >= 2 * size and (chunk * (len(digits) // size + 1)).startswith(digits):
            return True
    return False


def _sequence(digits: str) -> bool:
    return len(digits) >= 4 and (digits in _SEQUENCE * 2 or digits in _SEQUENCE[::-1] * 2)


def _love(digits: str) -> bool:
    rest = digits
    while rest:
        for number in sorted(LOVE_NUMBERS, key=len, reverse=True):
            if rest.startswith(number):
                rest = rest[len(number):]
                break
        else:
            return False
    return True


def weak_digits(digits: str) -> bool:
    return _repeats(digits) or _sequence(digits) or _love(digits) or _is_date(digits)


def guessable(password: str) -> bool:
    """True when the password is only a common word (or up to three letters) and guessable digits."""
    match = _WORD_DIGITS.match(password.lower())
    if match is None:
        return False
    letters = [part for part in (match["pre"], match["post"]) if part]
    if len(letters) > 1:
        return False
    if letters and not (letters[0] in WORDS or len(letters[0]) <= 3):
        return False
    return weak_digits(match["digits"])
