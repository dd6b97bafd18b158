"""Money is integer fen (分), never a float: parsing what people type and showing it back as yuan."""

from __future__ import annotations


def yuan(fen: int | None) -> str:
    """Show integer fen as yuan: 150000 → "1,500.00"."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def parse_yuan(text: str | None) -> int | None:
    """"1,500.5" → 150050 fen, exactly (no floats). Empty → None. Raises ValueError if not money."""
    text = (text or "").strip().replace(",", "").replace("，", "").replace("元", "").replace("¥", "")
    if not text:
        return None
    whole, _, frac = text.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(text)
    return int(whole) * 100 + int((frac + "00")[:2])
