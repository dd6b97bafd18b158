"""Cells of the CSV files the service writes, safe to open in Excel or WPS.

A cell that starts with = + - @ (or a tab or carriage return) is read by spreadsheets as a
formula: a roster name typed as `=HYPERLINK("http://…","点我")` would become a live link in the
committee's activation-code sheet (CSV injection, OWASP). Such cells are written with a leading
apostrophe, which the spreadsheet shows as text and does not display.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values: list[object]) -> list[str]:
    return [safe_cell(v) for v in values]
