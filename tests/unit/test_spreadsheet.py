"""CSV cells that a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

import pytest

from app.domain.roster import UNREADABLE, parse_roster
from app.domain.spreadsheet import safe_cell


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("张三", "张三"), ("13800000000", "13800000000"), ("a=b", "a=b"), ("", ""), (None, ""), (42, "42"),
])
def test_formula_cells_get_an_apostrophe(value, written):
    assert safe_cell(value) == written


@pytest.mark.parametrize("data", [b"\xff\xfe\x41", b"\xfe\xff\x00", b"\x81\x30\xff\xff"])
def test_undecodable_csv_names_the_encodings_it_can_read(data):
    from datetime import date

    parsed = parse_roster("名册.csv", data, today=date(2026, 12, 1))
    assert parsed.file_error == UNREADABLE and parsed.records == []
    assert "UTF-8" in UNREADABLE and "GB18030" in UNREADABLE and "UTF-16" in UNREADABLE
