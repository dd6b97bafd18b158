"""The village's books (村级账务): the rules of a voucher, of periods and of balances, pure.

A voucher (记账凭证) has a date, a summary (摘要) and two or more lines; each line names one leaf
account of the village's chart and carries a debit or a credit in integer fen, never both. Debits
equal credits. It is numbered within its month (记字第 N 号) when it is posted, so posted numbers
never leave a gap; a posted voucher never changes and a mistake is undone by a reversing voucher
(红字冲销) that cites the original. A period is a calendar month; once closed nothing posts into it.

Balances follow each account's normal side: a debit-side account's balance is debits − credits, a
credit-side account's credits − debits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.domain.bounds import MAX_FEN
from app.domain.money import parse_yuan, yuan

DEBIT = "debit"
CREDIT = "credit"
SIDES = {DEBIT: "借", CREDIT: "贷"}

# Voucher states: the accountant's draft → reviewed by a committee member other than the preparer →
# posted (记账) by the committee. A reviewer may return a draft or reviewed voucher with a note.
DRAFT, REVIEWED, POSTED = "draft", "reviewed", "posted"
VOUCHER_STATES = {DRAFT: "待审核", REVIEWED: "已审核", POSTED: "已记账"}

OPEN, CLOSED = "open", "closed"
PERIOD_STATES = {OPEN: "未结账", CLOSED: "已结账"}

MIN_LINES, MAX_LINES = 2, 30
SUMMARY_MAX = 60
PERIOD_RE = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


# --- periods ---------------------------------------------------------------------------------------

def period_of(day: date) -> str:
    """The accounting period (a month) of a date: 2026-10-31 → "2026-10"."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(text: str | None) -> str | None:
    """"2026-10" as it is, or None if it is not a month between 2000 and 2099."""
    match = PERIOD_RE.match((text or "").strip())
    if not match or not 2000 <= int(match.group(1)) <= 2099:
        return None
    return match.group(0)


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def _index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:]) - 1


def unclosed_months(first_period: str, last_closed: str | None, this_month: str) -> int:
    """Months of the books that have ended and are not closed: from the month after the last closed
    one (or the books' first) up to, not including, this month."""
    start = _index(last_closed) + 1 if last_closed else _index(first_period)
    return max(_index(this_month) - start, 0)


def period_label(period: str) -> str:
    """"2026-10" → "2026年10月"."""
    return f"{int(period[:4])}年{int(period[5:])}月"


def year_start(period: str) -> str:
    return f"{period[:4]}-01"


# --- amounts and lines -----------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，￥", "0123456789.,¥")
_NOT_MONEY = "金额要写数字，例如 1500 或 1500.50"


def parse_amount(text: str | None) -> int | None:
    """An amount typed in yuan as fen: empty → None; "12.5" → 1250. Raises ValueError (with a Chinese
    reason) for anything that is not a positive amount with at most two decimals."""
    raw = (text or "").strip().translate(_FULL_WIDTH)
    if not raw:
        return None
    plain = raw.replace(",", "").replace("元", "").replace("¥", "").strip()
    if not plain.isascii():
        raise ValueError(_NOT_MONEY)
    try:
        fen = parse_yuan(raw)
    except ValueError:
        if re.fullmatch(r"[0-9]+\.[0-9]{3,}", plain):
            raise ValueError("金额最多两位小数（到分）") from None
        raise ValueError(_NOT_MONEY) from None
    if fen is None:
        return None
    if fen > MAX_FEN:
        raise ValueError(f"金额不能超过 {yuan(MAX_FEN)} 元")
    return fen


@dataclass(frozen=True)
class Line:
    """One line as entered: an account code and an amount on one side (fen; 0 for the other side)."""

    account: str
    debit: int = 0
    credit: int = 0
    summary: str = ""


@dataclass(frozen=True)
class Problem:
    field: str  # "date", "summary", "lines", "lines.2.account", …
    message: str


def check_voucher(day: date | None, summary: str, lines: list[Line], leaves: set[str], known: set[str]
                  ) -> list[Problem]:
    """Every reason a voucher may not be written, in the order a clerk would fix them.

    `leaves` are the codes a line may use (leaf accounts in use); `known` every code of the chart, to
    tell "no such account" from "has sub-accounts, pick one of them".
    """
    problems: list[Problem] = []
    if day is None:
        problems.append(Problem("date", "请填写凭证日期"))
    elif not EARLIEST <= day <= LATEST:
        problems.append(Problem("date", "凭证日期不对"))
    summary = (summary or "").strip()
    if not summary:
        problems.append(Problem("summary", "请填写摘要"))
    elif len(summary) > SUMMARY_MAX:
        problems.append(Problem("summary", f"摘要最多 {SUMMARY_MAX} 个字"))
    if len(lines) < MIN_LINES:
        problems.append(Problem("lines", "一张凭证至少要有两行：一借一贷"))
        return problems
    if len(lines) > MAX_LINES:
        problems.append(Problem("lines", f"一张凭证最多 {MAX_LINES} 行"))
        return problems
    for n, line in enumerate(lines, start=1):
        where = f"lines.{n}"
        if not line.account:
            problems.append(Problem(f"{where}.account", f"第 {n} 行没有选科目"))
        elif line.account not in known:
            problems.append(Problem(f"{where}.account", f"第 {n} 行的科目 {line.account} 不存在"))
        elif line.account not in leaves:
            problems.append(Problem(f"{where}.account", f"第 {n} 行的科目 {line.account} 有明细科目，请选到最末一级"))
        if line.debit < 0 or line.credit < 0:
            problems.append(Problem(f"{where}.amount", f"第 {n} 行的金额不能是负数；冲销请用红字冲销凭证"))
        elif line.debit and line.credit:
            problems.append(Problem(f"{where}.amount", f"第 {n} 行不能同时有借方和贷方金额"))
        elif not line.debit and not line.credit:
            problems.append(Problem(f"{where}.amount", f"第 {n} 行没有金额"))
        if len(line.summary.strip()) > SUMMARY_MAX:
            problems.append(Problem(f"{where}.summary", f"第 {n} 行摘要最多 {SUMMARY_MAX} 个字"))
    if any(p.field.endswith(".amount") for p in problems):
        return problems
    debit, credit = totals(lines)
    if debit > MAX_FEN:
        problems.append(Problem("lines", f"凭证合计不能超过 {yuan(MAX_FEN)} 元"))
    elif debit != credit:  # an all-debit or all-credit voucher is unbalanced too
        problems.append(Problem("lines", f"借贷不平：借方合计 {yuan(debit)} 元，贷方合计 {yuan(credit)} 元，"
                                         f"相差 {yuan(abs(debit - credit))} 元"))
    return problems


def totals(lines: list[Line]) -> tuple[int, int]:
    return sum(line.debit for line in lines), sum(line.credit for line in lines)


def reversing(lines: list[Line]) -> list[Line]:
    """The lines of a red reversal (红字冲销): the same accounts with the sides swapped, so the books
    show the original and its reversal and both net to nothing. (On paper the red figures are
    negative on the original side; swapping the sides posts the same effect on every balance.)"""
    return [Line(line.account, debit=line.credit, credit=line.debit, summary=line.summary) for line in lines]


# --- balances ----------------------------------------------------------------------------------------

def signed(side: str, debit: int, credit: int) -> int:
    """A movement as it changes a balance on the account's normal side."""
    return debit - credit if side == DEBIT else credit - debit


@dataclass(frozen=True)
class BalanceRow:
    """One row of a 科目余额表: balances on the account's normal side, movements as they were."""

    code: str
    name: str
    side: str
    opening: int
    debit: int
    credit: int

    @property
    def closing(self) -> int:
        return self.opening + signed(self.side, self.debit, self.credit)


def trial_totals(rows: list[BalanceRow]) -> dict[str, int]:
    """Totals of a trial balance, as debit and credit columns: the opening and closing balances on
    the debit side must equal those on the credit side, and period debits equal period credits.

    `rows` are the top-level accounts only (sub-accounts are inside them)."""
    out = {"opening_debit": 0, "opening_credit": 0, "debit": 0, "credit": 0, "closing_debit": 0,
           "closing_credit": 0}
    for row in rows:
        for key, value in (("opening", row.opening), ("closing", row.closing)):
            # A balance on the other side than normal (e.g. a bank overdraft) shows on that side.
            as_debit = value if row.side == DEBIT else -value
            if as_debit >= 0:
                out[f"{key}_debit"] += as_debit
            else:
                out[f"{key}_credit"] += -as_debit
        out["debit"] += row.debit
        out["credit"] += row.credit
    return out


def balanced(totals_: dict[str, int]) -> bool:
    return (totals_["opening_debit"] == totals_["opening_credit"] and totals_["debit"] == totals_["credit"]
            and totals_["closing_debit"] == totals_["closing_credit"])


@dataclass(frozen=True)
class CashLine:
    """The month's money in hand (库存现金 and 银行存款): opening + received − paid = closing."""

    opening: int
    received: int
    paid: int

    @property
    def closing(self) -> int:
        return self.opening + self.received - self.paid


def cash_movement(nets: list[int], opening: int) -> CashLine:
    """From each posted voucher's net effect on cash and bank: a positive net is money received, a
    negative one money paid; a transfer between cash and bank nets to nothing and counts as neither."""
    return CashLine(opening, sum(n for n in nets if n > 0), -sum(n for n in nets if n < 0))


def side_of_opening(side: str, debit: int, credit: int) -> int:
    """An opening balance given in debit and credit columns (as an imported 科目余额表 has them) as a
    balance on the account's normal side."""
    return signed(side, debit, credit)


def voucher_label(number: int | None) -> str:
    return f"记字第 {number} 号" if number else "未编号"
