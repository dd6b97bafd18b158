"""Reading rosters: headers in Chinese or English, encodings, XLSX cells, every row error by row number."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.domain.roster import EXAMPLE_CSV, MAX_ROWS, parse_roster

TODAY = date(2026, 6, 1)
DOCS_EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "roster-example.csv"


def csv_bytes(text: str, encoding: str = "utf-8", bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse(filename: str, data: bytes):
    return parse_roster(filename, data, today=TODAY)


def errors_of(parsed) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.message) for e in parsed.errors]


# --- headers and encodings ------------------------------------------------------------------

ZH = "姓名,手机号,出生日期,性别,户号,村民小组,角色\n"
EN = "name,phone,birth_date,gender,household,group,roles\n"
ROW = "张三,13800138000,{date},{gender},001,一组,{role}\n"

GOOD = [
    ("chinese headers", "a.csv", csv_bytes(ZH + ROW.format(date="1970-01-02", gender="男", role="党员"))),
    ("english headers", "a.csv", csv_bytes(EN + ROW.format(date="1970-01-02", gender="male", role="党员"))),
    ("mixed case and spaces", "a.CSV",
     csv_bytes(" Name , PHONE ,Birth Date, 性 别 ,Household,GROUP,Roles\n"
               + ROW.format(date="1970/1/2", gender="M", role="党员"))),
    ("utf-8 BOM", "a.csv", csv_bytes(ZH + ROW.format(date="19700102", gender="男", role="党员"), bom=True)),
    ("GB18030 from Chinese Excel", "a.csv",
     csv_bytes((ZH + ROW.format(date="1970年1月2日", gender="男", role="党员")).replace("\n", "\r\n"),
               encoding="gb18030")),
    ("header notes and required marks", "a.csv",
     csv_bytes("姓名*,手机号（必填）,出生日期(yyyy-mm-dd),性别,户号,小组,身份\n"
               "张三,+86 138 0013 8000,1970.01.02,男,001,一组,中共党员\n")),
    ("tab separated", "a.csv",
     csv_bytes((ZH + ROW.format(date="1970-01-02", gender="男", role="党员")).replace(",", "\t"))),
    ("xlsx with a date cell", "a.xlsx",
     xlsx_bytes([["姓名", "手机号", "出生日期", "性别", "户号", "村民小组", "角色"],
                 ["张三", 13800138000, datetime(1970, 1, 2), "男", "001", "一组", "党员"]])),
    ("xlsx with text date and float phone", "A.XLSX",
     xlsx_bytes([["name", "phone", "birth_date", "gender", "household", "group", "roles"],
                 ["张三", 13800138000.0, "1970-01-02", "女", "001", "一组", "party_member"]])),
]


@pytest.mark.parametrize(("label", "filename", "data"), GOOD, ids=[g[0] for g in GOOD])
def test_good_rosters_read_the_same(label, filename, data):
    parsed = parse(filename, data)
    assert parsed.file_error is None, parsed.file_error
    assert errors_of(parsed) == []
    assert parsed.total == 1
    rec = parsed.records[0]
    assert rec.row == 2
    assert (rec.name, rec.phone, rec.birth_date) == ("张三", "13800138000", date(1970, 1, 2))
    assert rec.gender in ("男", "女")
    assert (rec.household, rec.group) == ("001", "一组")
    assert rec.roles == ["villager", "party_member"]


def test_only_required_columns_leave_roles_unknown():
    parsed = parse("a.csv", csv_bytes("手机号,姓名\n13800138000,王五\n"))
    assert parsed.file_error is None
    rec = parsed.records[0]
    assert (rec.name, rec.phone, rec.roles, rec.birth_date, rec.household) == ("王五", "13800138000", None, None,
                                                                               None)
    assert not parsed.has_roles


@pytest.mark.parametrize(
    ("cell", "roles", "unknown"),
    [
        ("", ["villager"], None),
        ("村委会", ["villager", "committee"], None),
        ("党员", ["villager", "party_member"], None),
        ("村民代表", ["villager", "representative"], None),
        ("村民代表、党员、村委会", ["villager", "representative", "party_member", "committee"], None),
        ("representative,committee", None, None),  # quoted below: a comma inside the cell
        ("村长", ["villager"], "不认识的角色：村长"),
        ("党员 族长", ["villager", "party_member"], "不认识的角色：族长"),
    ],
)
def test_role_words(cell, roles, unknown):
    parsed = parse("a.csv", csv_bytes(f'姓名,手机号,角色\n张三,13800138000,"{cell}"\n'))
    rec = parsed.records[0]
    if roles is None:
        assert rec.roles == ["villager", "representative", "committee"]
    else:
        assert rec.roles == roles
    if unknown:
        assert errors_of(parsed) == [(2, "roles", unknown)]
    else:
        assert errors_of(parsed) == []


@pytest.mark.parametrize(
    ("cell", "head", "error"),
    [("是", True, None), ("yes", True, None), ("Y", True, None), ("1", True, None),
     ("否", False, None), ("no", False, None), ("N", False, None), ("0", False, None), ("", False, None),
     ("也许", False, "户主一栏“也许”看不懂：请填“是”或“否”")],
)
def test_household_head_values(cell, head, error):
    parsed = parse("a.csv", csv_bytes(f"姓名,手机号,户号,户代表\n张三,13800138000,001,{cell}\n"))
    assert parsed.records[0].household_head is head
    assert errors_of(parsed) == ([(2, "household_head", error)] if error else [])


def test_english_head_alias():
    parsed = parse("a.csv", csv_bytes("name,phone,household,household_head\n张三,13800138000,001,yes\n"))
    assert parsed.records[0].household_head is True


# --- row errors, with the row number the user sees in Excel --------------------------------

HEADER = "姓名,手机号,出生日期,性别,户号,村民小组,角色,户主\n"
OK_ROW = "张三,13800138000,1970-01-02,男,001,一组,,否\n"

ROW_ERRORS = [
    ("missing name", ",13900139000,,,,,,\n", "name", "姓名不能为空"),
    ("missing phone", "李四,,,,,,,\n", "phone", "手机号不能为空"),
    ("short phone", "李四,1390013900,,,,,,\n", "phone", "手机号“1390013900”不对：应为 11 位数字，以 1 开头"),
    ("phone starting with 2", "李四,23900139000,,,,,,\n", "phone",
     "手机号“23900139000”不对：应为 11 位数字，以 1 开头"),
    ("phone in scientific notation", "李四,1.39001E+10,,,,,,\n", "phone",
     "手机号“1.39001E+10”被 Excel 显示成了科学计数法：请把这一列设成“文本”，填好完整号码再保存"),
    ("bad date", "李四,13900139000,1970-13-45,,,,,\n", "birth_date",
     "出生日期“1970-13-45”看不懂：请写成 1980-05-01 这样"),
    ("future date", "李四,13900139000,2030-01-01,,,,,\n", "birth_date", "出生日期 2030-01-01 晚于今天"),
    ("before 1900", "李四,13900139000,1899-12-31,,,,,\n", "birth_date", "出生日期 1899-12-31 早于 1900 年"),
    ("bad gender", "李四,13900139000,,未知,,,,\n", "gender", "性别“未知”不对：应填“男”或“女”"),
    ("unknown role", "李四,13900139000,,,,,族长,\n", "roles", "不认识的角色：族长"),
    ("head without household", "李四,13900139000,,,,,,是\n", "household_head", "填了户主，但没有填户号"),
    ("duplicate phone", "李四,138 0013 8000,,,,,,\n", "phone", "与第 2 行手机号重复"),
    ("second head of a household", "李四,13900139000,,,001,,,是\n", "household_head", None),
    ("name too long", "李" * 51 + ",13900139000,,,,,,\n", "name", "姓名最多 50 个字"),
    ("household too long", "李四,13900139000,,," + "1" * 31 + ",,,\n", "household", "户号最多 30 个字"),
]


@pytest.mark.parametrize(("label", "row", "field", "message"), ROW_ERRORS, ids=[e[0] for e in ROW_ERRORS])
def test_row_errors_name_the_row(label, row, field, message):
    first_head = OK_ROW.replace(",否\n", ",是\n") if label == "second head of a household" else OK_ROW
    # header (1), a good row (2), a blank line (3), then the bad row (4)
    parsed = parse("a.csv", csv_bytes(HEADER + first_head + ",,,,,,,\n" + row))
    assert parsed.file_error is None
    assert parsed.total == 2
    if message is None:
        message = "户号 001 在第 2 行已有户主"
    assert errors_of(parsed) == [(4, field, message)]
    assert parsed.records[0].ok and not parsed.records[1].ok


def test_several_errors_on_one_row_and_later_rows():
    parsed = parse("a.csv", csv_bytes(HEADER + ",123,abc,x,,,村长,\n" + OK_ROW + OK_ROW + OK_ROW))
    assert [(r, f) for r, f, _ in errors_of(parsed)] == [
        (2, "name"), (2, "phone"), (2, "birth_date"), (2, "gender"), (2, "roles"),
        (4, "phone"), (5, "phone"),
    ]
    assert errors_of(parsed)[-1][2] == "与第 3 行手机号重复"


def test_blank_rows_are_skipped_but_counted_in_row_numbers():
    parsed = parse("a.csv", csv_bytes("\n姓名,手机号\n\n , \n张三,13800138000\n\n王五,abc\n"))
    assert parsed.file_error is None
    assert [r.row for r in parsed.records] == [5, 7]
    assert [e.row for e in parsed.errors] == [7]


def test_xlsx_errors_use_sheet_row_numbers():
    data = xlsx_bytes([["姓名", "手机号", "出生日期"], ["张三", "13800138000", datetime(2999, 1, 1)],
                       [None, None, None], ["", "13800138000", "1980-05-01"]])
    parsed = parse("roster.xlsx", data)
    assert errors_of(parsed) == [
        (2, "birth_date", "出生日期 2999-01-01 晚于今天"),
        (4, "name", "姓名不能为空"),
        (4, "phone", "与第 2 行手机号重复"),
    ]


# --- file-level errors ----------------------------------------------------------------------

FILE_ERRORS = [
    ("unknown type", "roster.pdf", b"%PDF-1.4", "只能上传 CSV 或 XLSX 格式的名册文件"),
    ("no extension", "roster", b"a,b", "只能上传 CSV 或 XLSX 格式的名册文件"),
    ("old xls", "roster.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 Excel（.xls）文件"),
    ("empty", "a.csv", b"", "文件是空的"),
    ("only a BOM and blank lines", "a.csv", b"\xef\xbb\xbf\r\n\r\n", "文件是空的"),
    ("only commas", "a.csv", b",,,\n,,\n", "文件是空的"),
    ("header only", "a.csv", csv_bytes("姓名,手机号\n"), "文件里只有表头，没有村民"),
    ("missing phone column", "a.csv", csv_bytes("姓名,电话号\n张三,13800138000\n"), "缺少必需的列：手机号"),
    ("missing both", "a.csv", csv_bytes("a,b\n1,2\n"), "缺少必需的列：姓名、手机号"),
    ("duplicate column", "a.csv", csv_bytes("姓名,手机号,name\n张三,13800138000,x\n"), "“姓名”出现了两次"),
    ("xlsx that is not a zip", "a.xlsx", b"not a workbook", "不是有效的 XLSX 文件"),
    ("damaged xlsx", "a.xlsx", b"PK\x05\x06" + b"\0" * 18, "XLSX"),
]


@pytest.mark.parametrize(("label", "filename", "data", "words"), FILE_ERRORS, ids=[e[0] for e in FILE_ERRORS])
def test_file_errors(label, filename, data, words):
    parsed = parse(filename, data)
    assert parsed.file_error and words in parsed.file_error
    assert parsed.records == [] and parsed.errors == []


def test_xlsx_that_unpacks_too_large(monkeypatch):
    import app.domain.spreadsheet as spreadsheet

    data = xlsx_bytes([["姓名", "手机号"], ["张三", "13800138000"]])
    monkeypatch.setattr(spreadsheet, "MAX_XLSX_UNPACKED", 1000)
    assert "解开后太大" in parse("a.xlsx", data).file_error


def test_xlsx_stops_after_a_long_run_of_blank_rows(monkeypatch):
    import app.domain.roster as roster

    monkeypatch.setattr(roster, "MAX_BLANK_RUN", 3)
    data = xlsx_bytes([["姓名", "手机号"], ["张三", "13800138000"], [None], [None], [None], ["李四", "13900139000"]])
    assert [r.name for r in parse("a.xlsx", data).records] == ["张三"]


def test_too_many_rows():
    rows = "".join(f"人{i},1{i:010d}\n" for i in range(MAX_ROWS + 1))
    parsed = parse("a.csv", csv_bytes("姓名,手机号\n" + rows))
    assert parsed.file_error == f"名册最多 {MAX_ROWS} 行，这个文件超过了：请分成几个文件导入"
    ok = parse("a.csv", csv_bytes("姓名,手机号\n" + rows.split("\n", 1)[1]))
    assert ok.file_error is None and ok.total == MAX_ROWS


def test_example_file_is_a_clean_roster_and_docs_copy_matches():
    parsed = parse("roster-example.csv", EXAMPLE_CSV)
    assert parsed.file_error is None and parsed.errors == [] and parsed.total == 2
    assert EXAMPLE_CSV.startswith(b"\xef\xbb\xbf")
    assert parsed.records[0].household_head is True
    # docs/roster-example.csv comes from the same constant: when it drifts, rewrite it and fail, so the
    # new copy gets committed.
    if not DOCS_EXAMPLE.exists() or DOCS_EXAMPLE.read_bytes() != EXAMPLE_CSV:
        DOCS_EXAMPLE.write_bytes(EXAMPLE_CSV)
        pytest.fail("docs/roster-example.csv was out of date and has been rewritten: commit it")
