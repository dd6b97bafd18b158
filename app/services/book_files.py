"""Spreadsheets of the books: a month's statements as XLSX (the same figures as the pages), and
opening balances read from the XLSX or CSV a previous system or the township's 经管站 exported.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlmodel import Session

from app.domain import books as B
from app.domain import spreadsheet as S
from app.domain.chart import KINDS
from app.models import Village
from app.services import books
from app.services.access import Actor, require
from app.services.errors import Invalid
from app.services.statements import Annual, Statement

MONEY = "#,##0.00"
OPENING_MAX_ROWS = 2_000
OPENING_MAX_BYTES = 2 * 1024 * 1024


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def _sheet(wb: Workbook, title: str, heading: str, header: list[str], rows: list[list], money_from: int) -> None:
    ws = wb.create_sheet(title)
    ws.append([S.safe_cell(heading)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([v if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else S.safe_cell(v) for v in row])
    for row in ws.iter_rows(min_row=3, min_col=money_from + 1):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = MONEY
                cell.alignment = Alignment(horizontal="right")
    for column, width in zip("ABCDEFG", (14, 28, 16, 16, 16, 16, 10), strict=False):
        ws.column_dimensions[column].width = width


def statement_xlsx(s: Statement, annual: Annual | None = None) -> bytes:
    """科目余额表, 收支明细表 and (given the year's) 资产负债表 and 收益及收益分配表, one sheet each."""
    wb = Workbook()
    wb.remove(wb.active)
    name = s.village.name
    rows = [[r.account.code, ("　" * r.depth) + r.account.name, _yuan(r.opening), _yuan(r.debit), _yuan(r.credit),
             _yuan(r.closing)] for r in s.rows if not r.quiet]
    t = s.totals
    rows.append(["", "合计（借方）", _yuan(t["opening_debit"]), _yuan(t["debit"]), _yuan(t["credit"]),
                 _yuan(t["closing_debit"])])
    rows.append(["", "合计（贷方）", _yuan(t["opening_credit"]), None, None, _yuan(t["closing_credit"])])
    _sheet(wb, "科目余额表", f"{name} 科目余额表 {s.label}（单位：元）",
           ["科目编号", "科目名称", "期初余额", "本期借方", "本期贷方", "期末余额"], rows, 2)
    if s.start == s.period:
        detail: list[list] = []
        for kind, groups in (("收入", s.income), ("支出", s.expense)):
            for g in groups:
                for line in g.lines:
                    detail.append([kind, f"{g.code} {g.name}", B.voucher_label(line.number), line.summary,
                                   _yuan(line.amount), line.receipts])
                detail.append([kind, f"{g.name}小计", "", "", _yuan(g.total), None])
        if s.cash is not None:
            c = s.cash
            detail.append(["资金", "上月结余 + 本月收入 − 本月支出 = 本月结余", "", "", _yuan(c.closing), None])
            detail.append(["资金", "上月结余", "", "", _yuan(c.opening), None])
            detail.append(["资金", "本月收入", "", "", _yuan(c.received), None])
            detail.append(["资金", "本月支出", "", "", _yuan(c.paid), None])
        _sheet(wb, "收支明细表", f"{name} 收支明细表 {s.label}（单位：元）",
               ["类别", "科目", "凭证号", "摘要", "金额", "原始凭证（张）"], detail, 4)
    if annual is not None:
        _sheet(wb, "资产负债表", f"{name} 资产负债表 {annual.label}（单位：元）", ["项目", "期末数"],
               [[("　" * f.level) + f.label, _yuan(f.amount)] for f in annual.balance_sheet], 1)
        _sheet(wb, "收益及收益分配表", f"{name} 收益及收益分配表 {B.period_label(annual.start)}至"
               f"{int(annual.period[5:])}月（单位：元）", ["项目", "本年累计数"],
               [[("　" * f.level) + f.label, _yuan(f.amount)] for f in annual.income], 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- opening balances from a file ------------------------------------------------------------------

_CODE = {S.header_key(h) for h in ("科目编号", "科目代码", "科目编码", "编号", "代码", "编码", "code")}
_DEBIT = {S.header_key(h) for h in ("借方", "期初借方", "借方余额", "期初借方余额", "年初借方", "debit")}
_CREDIT = {S.header_key(h) for h in ("贷方", "期初贷方", "贷方余额", "期初贷方余额", "年初贷方", "credit")}


def _amount(value: object) -> int:
    return B.parse_amount(S.text(value)) or 0


def parse_openings(filename: str, data: bytes) -> list[books.OpeningIn]:
    """Rows (科目编号, 期初借方, 期初贷方) of an XLSX or CSV; a 科目名称 column and others are ignored.
    A header row is found among the first ten rows; rows without a code (titles, totals) are skipped."""
    try:
        rows = S.rows_of(S.file_kind(filename, "期初余额文件"), data)
        columns: dict[str, int] | None = None
        out: list[books.OpeningIn] = []
        errors: dict[str, str] = {}
        for number, cells in enumerate(rows, start=1):
            cells = list(cells or ())
            if columns is None:
                keys = [S.header_key(c) for c in cells]
                found = {name: next((i for i, k in enumerate(keys) if k in wanted), None)
                         for name, wanted in (("code", _CODE), ("debit", _DEBIT), ("credit", _CREDIT))}
                if None not in found.values():
                    columns = found  # type: ignore[assignment]
                elif number >= 10:
                    break
                continue
            code = S.text(cells[columns["code"]]) if columns["code"] < len(cells) else ""
            if not code or not code.isdigit():
                continue
            try:
                debit = _amount(cells[columns["debit"]] if columns["debit"] < len(cells) else None)
                credit = _amount(cells[columns["credit"]] if columns["credit"] < len(cells) else None)
            except ValueError as exc:
                errors[f"file.{number}"] = f"第 {number} 行：{exc}"
                continue
            if debit or credit:
                out.append(books.OpeningIn(code, debit, credit))
            if len(out) > OPENING_MAX_ROWS:
                raise S.FileError(f"期初余额最多 {OPENING_MAX_ROWS} 行")
    except S.FileError as exc:
        raise Invalid(str(exc), field="file") from exc
    if columns is None:
        raise Invalid("文件前 10 行里找不到表头：要有“科目编号”“期初借方”“期初贷方”三列", field="file")
    if errors:
        raise Invalid("；".join(errors.values()), errors=[{"field": k, "message": m} for k, m in errors.items()])
    return out


def import_openings(session: Session, actor: Actor | None, village: Village, filename: str, data: bytes) -> int:
    """期初余额 from a file: every row checked and the whole refused unless debits equal credits."""
    require(actor, village, *books.KEEPERS)
    books.require_ledger(session, village)
    if len(data) > OPENING_MAX_BYTES:
        raise Invalid("文件太大：期初余额文件最大 2 MB", field="file")
    return books.set_openings(session, actor, village, parse_openings(filename, data))


def opening_template(session: Session, actor: Actor | None, village: Village) -> bytes:
    """The leaf accounts with their current opening balances, as an XLSX to fill in and upload again
    (for those who read the whole books)."""
    require(actor, village, *books.READERS, monitor=True)
    books.require_ledger(session, village)
    wb = Workbook()
    ws = wb.active
    ws.title = "期初余额"
    ws.append(["科目编号", "科目名称", "类别", "期初借方", "期初贷方"])
    for account, opening in books.opening_rows(session, village):
        as_debit = opening if account.side == B.DEBIT else -opening  # the balance in debit terms
        ws.append([account.code, S.safe_cell(account.name), KINDS[account.kind],
                   _yuan(as_debit) if as_debit > 0 else None, _yuan(-as_debit) if as_debit < 0 else None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
