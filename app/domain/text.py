"""What text may hold: no control characters, and no title that is blank to the eye.

A NUL or another control character in a title, a name, a comment or a roster cell is refused with a
Chinese reason (PostgreSQL cannot store NUL at all; the others garble pages, CSV and logs). Bodies
keep line breaks and tabs; single-line fields keep neither. Lone surrogates (which no UTF-8 encoder
accepts) count as control characters too, and so do the bidirectional embeddings, overrides and
isolates (U+202A–U+202E, U+2066–U+2069): they make text show in another order than it is stored, so
"1000" could read "0001" on a finance notice. Plain direction marks (U+200E, U+200F) stay.

A title, a name or a vote's question must show something: one made only of spaces and invisible
characters (zero-width space and joiners, BOM, direction marks, Hangul fillers…) is blank.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls, DEL, C1 controls, bidirectional overrides and isolates, lone surrogates; the second
# form spares \t \n \r.
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Characters that print nothing though they are not spaces or format characters.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")

CONTROL_REASON = "不能含有控制字符"
LINE_REASON = "不能换行，也不能含有制表符"
BLANK_REASON = "不能为空，或只有空格和不可见字符"

# For documentation (JSON Schema, ECMA 262): a single line and a text without control characters.
LINE_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$"
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$"


def has_control(text: str, *, multiline: bool = True) -> bool:
    """True when `text` holds a control character (a body may hold \\t, \\n and \\r)."""
    return (_CONTROL_TEXT if multiline else _CONTROL_LINE).search(text) is not None


def visible(text: str) -> str:
    """`text` without spaces and invisible characters: what the eye sees."""
    return "".join(ch for ch in text if not (ch.isspace() or ch in _BLANK_LETTERS
                                               or unicodedata.category(ch) in ("Cf", "Cc", "Zs", "Zl", "Zp")))


def is_blank(text: str | None) -> bool:
    return not visible(text or "")


def problem(text: str | None, *, multiline: bool = True, required: bool = False) -> str | None:
    """Why `text` is refused (to follow the field's name: "标题不能含有控制字符"), or None."""
    if text is None:
        return BLANK_REASON if required else None
    if has_control(text, multiline=True):
        return CONTROL_REASON
    if not multiline and has_control(text, multiline=False):
        return LINE_REASON
    if required and is_blank(text):
        return BLANK_REASON
    return None


def field_problem(value: str, label: str, missing: str, limit: int, *, multiline: bool = True) -> str | None:
    """One required text field of a form: "请填写…" when empty, "…最多 N 个字" when too long, else what
    `problem` finds, prefixed with its label (None: fine). A single line is measured trimmed."""
    text = value.strip() if not multiline else value
    if not value.strip():
        return missing
    if len(text) > limit:
        return f"{label}最多 {limit} 个字"
    reason = problem(text, multiline=multiline, required=not multiline)
    return label + reason if reason else None


def problems(fields: dict[str, tuple[str, str | None]], *, multiline: frozenset[str] = frozenset(),
             required: frozenset[str] = frozenset()) -> dict[str, str]:
    """Checks several fields at once: {field: (label, text)} → {field: "标题不能含有控制字符"}."""
    errors: dict[str, str] = {}
    for field, (label, value) in fields.items():
        reason = problem(value, multiline=field in multiline, required=field in required)
        if reason:
            errors[field] = label + reason
    return errors
