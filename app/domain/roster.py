"""Reading a village roster (名册) from CSV or XLSX: pure parsing and checking, no database.

`parse_roster` turns the uploaded bytes into one record per non-blank data row, numbered as the
user sees the row in Excel (the header is row 1), plus a list of row errors in Chinese. A problem
with the file as a whole (unknown type, missing columns, empty, too many rows) is `file_error`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from app.domain.people import is_valid_phone, normalize_phone, parse_date, parse_gender
from app.domain.roles import parse_roles
from app.domain.spreadsheet import MAX_BLANK_RUN, FileError, file_kind, header_key, is_blank, rows_of
from app.domain.spreadsheet import UNREADABLE as UNREADABLE  # noqa: PLC0414 (the roster tests name it here)
from app.domain.spreadsheet import text as _text

MAX_ROWS = 20_000
MIN_BIRTH = date(1900, 1, 1)
NAME_MAX = 50
HOUSEHOLD_MAX = 30
GROUP_MAX = 50

# Columns in display order: key → Chinese name (used in messages and in the example file).
FIELDS: dict[str, str] = {
    "name": "姓名",
    "phone": "手机号",
    "birth_date": "出生日期",
    "gender": "性别",
    "household": "户号",
    "group": "村民小组",
    "roles": "角色",
    "household_head": "户主",
}
REQUIRED = ("name", "phone")

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "name"),
    "phone": ("手机号", "手机", "手机号码", "电话", "联系电话", "phone", "mobile"),
    "birth_date": ("出生日期", "出生年月日", "生日", "birth_date", "birthdate", "birthday", "dob"),
    "gender": ("性别", "gender", "sex"),
    "household": ("户号", "household", "household_no", "household_number"),
    "group": ("村民小组", "小组", "组别", "group"),
    "roles": ("角色", "身份", "roles", "role"),
    "household_head": ("户主", "户代表", "是否户主", "head", "household_head"),
}

_YES = {"是", "yes", "y", "1", "true", "√"}
_NO = {"否", "no", "n", "0", "false", ""}

# The example roster offered for download and kept in docs/roster-example.csv.
EXAMPLE_ROWS: tuple[tuple[str, ...], ...] = (
    ("张三", "13800138000", "1965-03-12", "男", "0101", "第一村民小组", "村民代表、党员", "是"),
    ("李四", "13900139000", "1970-11-02", "女", "0101", "第一村民小组", "", "否"),
)


def _example_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS.values())
    writer.writerows(EXAMPLE_ROWS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# UTF-8 with a BOM, so Excel opens it with the Chinese intact.
EXAMPLE_CSV: bytes = _example_csv()


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class RosterRecord:
    """One data row: the text as typed (for the report) and the normalized values."""

    row: int
    name: str
    phone_raw: str
    phone: str
    birth_date: date | None = None
    gender: str | None = None
    household: str | None = None
    group: str | None = None
    roles: list[str] | None = None  # None: the file has no 角色 column
    household_head: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, field_key: str, message: str) -> None:
        self.errors.append(RowError(self.row, field_key, message))


@dataclass
class ParsedRoster:
    kind: str | None = None  # "csv" or "xlsx"
    columns: list[str] = field(default_factory=list)  # recognised field keys
    records: list[RosterRecord] = field(default_factory=list)
    file_error: str | None = None

    @property
    def total(self) -> int:
        return len(self.records)

    @property
    def errors(self) -> list[RowError]:
        return [e for r in self.records for e in r.errors]

    @property
    def has_roles(self) -> bool:
        return "roles" in self.columns


RosterFileError = FileError  # a problem with the whole file; the message is Chinese


_HEADERS: dict[str, str] = {header_key(alias): key for key, aliases in _ALIASES.items() for alias in aliases}


def _map_header(cells: list[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _HEADERS.get(header_key(cell))
        if key is None:
            continue
        if key in columns:
            raise RosterFileError(f"表头里“{FIELDS[key]}”出现了两次，请只保留一列")
        columns[key] = index
    missing = [FIELDS[k] for k in REQUIRED if k not in columns]
    if missing:
        raise RosterFileError(
            f"第 1 行表头缺少必需的列：{'、'.join(missing)}。表头应包括：{'、'.join(FIELDS.values())}"
        )
    return columns


def _record(row: int, cells: list[object], columns: dict[str, int], today: date) -> RosterRecord:
    def raw(key: str) -> object:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    name = re.sub(r"\s+", " ", _text(raw("name")))
    phone_raw = _text(raw("phone"))
    rec = RosterRecord(row=row, name=name, phone_raw=phone_raw, phone=normalize_phone(phone_raw))

    if not name:
        rec.add("name", "姓名不能为空")
    elif len(name) > NAME_MAX:
        rec.add("name", f"姓名最多 {NAME_MAX} 个字")

    if not phone_raw:
        rec.add("phone", "手机号不能为空")
    elif re.search(r"\d[.,]?\d*e\+?\d+", phone_raw, re.IGNORECASE):
        rec.add("phone", f"手机号“{phone_raw}”被 Excel 显示成了科学计数法：请把这一列设成“文本”，填好完整号码再保存")
    elif not is_valid_phone(rec.phone):
        rec.add("phone", f"手机号“{phone_raw}”不对：应为 11 位数字，以 1 开头")

    birth_cell = raw("birth_date")
    birth_text = _text(birth_cell)
    if birth_text:
        birth = parse_date(birth_cell) if isinstance(birth_cell, date) else None
        if birth is None:
            birth = parse_date(birth_text)
        if birth is None:
            rec.add("birth_date", f"出生日期“{birth_text}”看不懂：请写成 1980-05-01 这样")
        elif birth > today:
            rec.add("birth_date", f"出生日期 {birth.isoformat()} 晚于今天")
        elif birth < MIN_BIRTH:
            rec.add("birth_date", f"出生日期 {birth.isoformat()} 早于 1900 年")
        else:
            rec.birth_date = birth

    gender_text = _text(raw("gender"))
    if gender_text:
        rec.gender = parse_gender(gender_text)
        if rec.gender is None:
            rec.add("gender", f"性别“{gender_text}”不对：应填“男”或“女”")

    household = _text(raw("household")) or None
    if household and len(household) > HOUSEHOLD_MAX:
        rec.add("household", f"户号最多 {HOUSEHOLD_MAX} 个字")
    rec.household = household

    group = _text(raw("group")) or None
    if group and len(group) > GROUP_MAX:
        rec.add("group", f"村民小组名称最多 {GROUP_MAX} 个字")
    rec.group = group

    if "roles" in columns:
        roles, unknown = parse_roles(_text(raw("roles")))
        if unknown:
            rec.add("roles", f"不认识的角色：{'、'.join(unknown)}")
        rec.roles = roles

    if "household_head" in columns:
        head_text = _text(raw("household_head"))
        if head_text.lower() in _YES:
            rec.household_head = True
            if not household:
                rec.add("household_head", "填了户主，但没有填户号")
        elif head_text.lower() not in _NO:
            rec.add("household_head", f"户主一栏“{head_text}”看不懂：请填“是”或“否”")
    return rec


def parse_roster(filename: str, data: bytes, *, today: date | None = None) -> ParsedRoster:
    """Read and check a roster file. Never raises for bad input: see `file_error` and record errors."""
    today = today or date.today()
    result = ParsedRoster()
    try:
        result.kind = file_kind(filename, "名册文件")
        rows = rows_of(result.kind, data)
        _read(result, rows, today)
    except RosterFileError as exc:
        result.file_error = str(exc)
        result.records = []
    return result


def _read(result: ParsedRoster, rows: Iterator, today: date) -> None:
    columns: dict[str, int] | None = None
    blank_run = 0
    first_row_of: dict[str, int] = {}
    head_of: dict[str, int] = {}
    for number, raw_cells in enumerate(rows, start=1):
        cells = list(raw_cells or ())
        if is_blank(cells):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN and result.kind == "xlsx":
                break
            continue
        blank_run = 0
        if columns is None:
            columns = _map_header(cells)
            result.columns = [k for k in FIELDS if k in columns]
            continue
        if len(result.records) >= MAX_ROWS:
            raise RosterFileError(f"名册最多 {MAX_ROWS} 行，这个文件超过了：请分成几个文件导入")
        rec = _record(number, cells, columns, today)
        if rec.phone and is_valid_phone(rec.phone) and not any(e.field == "phone" for e in rec.errors):
            first = first_row_of.setdefault(rec.phone, number)
            if first != number:
                rec.add("phone", f"与第 {first} 行手机号重复")
        if rec.household_head and rec.household:
            first = head_of.setdefault(rec.household, number)
            if first != number:
                rec.add("household_head", f"户号 {rec.household} 在第 {first} 行已有户主")
        result.records.append(rec)
    if columns is None:
        raise RosterFileError("文件是空的")
    if not result.records:
        raise RosterFileError("文件里只有表头，没有村民")
