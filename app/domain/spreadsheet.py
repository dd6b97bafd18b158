"""Spreadsheets people exchange with the service: reading the CSV or XLSX they upload (a roster, a
book's opening balances), and cells of the CSV files the service writes, safe to open in Excel or WPS.

A cell that starts with = + - @ (or a tab or carriage return) is read by spreadsheets as a
formula: a roster name typed as `=HYPERLINK("http://…","点我")` would become a live link in the
committee's activation-code sheet (CSV injection, OWASP). Such cells are written with a leading
apostrophe, which the spreadsheet shows as text and does not display.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values: list[object]) -> list[str]:
    return [safe_cell(v) for v in values]


# --- reading what people upload: CSV (any encoding Excel or WPS writes) or XLSX ---------------------

# An XLSX sheet formatted down to row 1,048,576 is mostly blank rows: stop after this many in a row.
MAX_BLANK_RUN = 1_000
# A small XLSX can unpack to gigabytes (a "zip bomb"): refuse more than this, unpacked.
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
UNREADABLE = ("看不懂文件的文字编码。能读的编码：UTF-8（可带 BOM）、GB18030/GBK（Excel 默认的“CSV”）、"
              "UTF-16（带 BOM）。请在 Excel 里另存为“CSV UTF-8”后再上传")


class FileError(Exception):
    """A problem with the uploaded file as a whole; the message is Chinese."""


def header_key(text: object) -> str:
    """Case-, width- and spacing-insensitive form of a header cell; notes like （必填） and * dropped."""
    s = str(text or "").replace("\ufeff", "").lower()
    s = re.sub(r"[（(][^）)]*[）)]", "", s)
    return re.sub(r"[\s\u3000_\-*＊:：]", "", s)


def file_kind(filename: str, what: str = "文件") -> str:
    """"csv" or "xlsx" from the file's name; anything else refused with the way out."""
    ext = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ext in ("csv", "xlsx"):
        return ext
    if ext in ("xls", "et", "wps"):
        raise FileError("不支持旧版 Excel（.xls）文件：请在 Excel 里“另存为” .xlsx 或 CSV 后再上传")
    raise FileError(f"只能上传 CSV 或 XLSX 格式的{what}")


def rows_of(kind: str, data: bytes) -> Iterator[Sequence[object]]:
    """The rows of an uploaded CSV or XLSX (the first sheet), as cell values."""
    if not data or not data.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise FileError("文件是空的")
    return _csv_rows(data) if kind == "csv" else _xlsx_rows(data)


def _decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("gb18030")  # what Chinese Excel writes for "CSV"
    except UnicodeDecodeError as exc:
        raise FileError(UNREADABLE) from exc


def _csv_rows(data: bytes) -> Iterator[list[object]]:
    text_ = _decode_csv(data)
    first = text_.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    if first.count(delimiter) == 0 and "，" in first:
        delimiter = "，"  # a header typed with full-width commas
    try:
        yield from csv.reader(io.StringIO(text_, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise FileError("CSV 文件格式有误，请用 Excel 重新保存后再上传") from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    broken = "这个文件不是有效的 XLSX 文件：请用 Excel 重新保存后再上传"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise FileError(broken)
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile as exc:
        raise FileError(broken) from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileError("XLSX 文件解开后太大：请删去多余的工作表和格式，或另存为 CSV 后再上传")
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileError("XLSX 文件打不开，可能已损坏：请用 Excel 重新保存后再上传") from exc
    try:
        sheet = workbook.active
        if sheet is None:
            raise FileError("XLSX 文件里没有工作表")
        try:
            yield from sheet.iter_rows(values_only=True)
        except FileError:
            raise
        except Exception as exc:
            raise FileError("XLSX 文件读不下去，可能已损坏：请用 Excel 重新保存后再上传") from exc
    finally:
        workbook.close()


def text(value: object) -> str:
    """A cell as the text a person sees in it (whole floats without ".0", dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def is_blank(cells: Iterable[object]) -> bool:
    return all(text(c) == "" for c in cells)
