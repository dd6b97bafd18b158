"""Rules about people: phone numbers, ages, genders, dates as rosters write them, passwords."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from importlib import resources

from app.domain.passwords import guessable

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
ADULT_AGE = 18
PASSWORD_MIN = 8
PASSWORD_MAX = 128


def normalize_phone(text: str | None) -> str:
    """Digits only; a leading +86 / 86 country code is dropped. Full-width digits (typed with a
    Chinese input method) become ASCII digits."""
    digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", str(text or "")))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def is_valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def mask_name(name: str) -> str:
    """A person's name as a public record shows it: the surname and a star for each other character
    (李建国 → 李**); a two-character compound surname is not told apart (欧阳明 → 欧**)."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    """138****1234 — what anyone but the committee sees."""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[7:]}"


def age_on(birth: date, on: date) -> int:
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def is_adult(birth: date | None, on: date) -> bool:
    """18 full years on the given day (a birthday on that day counts). Unknown birth: not adult."""
    return birth is not None and age_on(birth, on) >= ADULT_AGE


def adult_born_on_or_before(on: date) -> date:
    """The latest birth date of an adult on `on`, for SQL filters (29 Feb maps to 28 Feb)."""
    try:
        return on.replace(year=on.year - ADULT_AGE)
    except ValueError:
        return on.replace(year=on.year - ADULT_AGE, day=28)


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def parse_date(value: object) -> date | None:
    """A roster's birth date: a date cell, or text in the common Chinese spellings."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


MIN_BIRTH = date(1900, 1, 1)


def birth_date_problem(birth: date | None, today: date) -> str | None:
    """Why a birth date is refused (before 1900 or after today), in Chinese; None when plausible."""
    if birth is None:
        return None
    if birth > today:
        return f"出生日期 {birth.isoformat()} 晚于今天"
    if birth < MIN_BIRTH:
        return f"出生日期 {birth.isoformat()} 早于 1900 年"
    return None


_GENDERS = {"男": "男", "女": "女", "m": "男", "f": "女", "male": "男", "female": "女"}


def parse_gender(value: object) -> str | None:
    return _GENDERS.get(str(value or "").strip().lower())


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("app.data").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, phone: str | None = None) -> str | None:
    """Why a new password is refused, in Chinese; None when it is acceptable."""
    if len(password) < PASSWORD_MIN:
        return f"密码至少 {PASSWORD_MIN} 位"
    if len(password) > PASSWORD_MAX:
        return f"密码最多 {PASSWORD_MAX} 位"
    if password.lower() in common_passwords() or guessable(password):
        return "这个密码太常见，容易被猜到，请换一个"
    if phone and phone in password:
        return "密码不能包含手机号"
    if len(set(password)) < 3:
        return "密码太简单，请混用不同的字符"
    return None


# Activation codes: no 0/O, 1/I/L, to read aloud and type on a phone without mistakes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def normalize_code(text: str) -> str:
    return re.sub(r"[\s\-]", "", text or "").upper()


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"
