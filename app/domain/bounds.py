"""How big a number may be: ids, counts, days and money, as every input is bounded.

Ids are INTEGER columns (2³¹−1 on PostgreSQL); a larger id is simply unknown (404). Counts, days and
money have ranges that make sense here; anything past them is refused (422) before it reaches a
column. Money is integer fen in BIGINT columns, capped at 1000 亿元.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1  # the PostgreSQL INTEGER limit; ids are INTEGER
MAX_COUNT = 1_000_000  # people, ballots, households: more than any village has
MAX_DAYS = 3650  # ten years: stage minimums, caps of labour days
MAX_FEN = 10**13  # 1000 亿元 in fen
MAX_PAGE = 100_000


def parse_int(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """ASCII digits within [low, high] as an int; anything else (empty, signs, too big) None."""
    text = (text or "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if low <= value <= high else None


def id_or_none(text: str | None) -> int | None:
    """A form's id field: a known-looking id (1 … 2³¹−1) or None."""
    return parse_int(text, 1, MAX_ID)
