"""Statements (会计报表) of a month and of the year to date, computed in SQL: the 科目余额表 with its
收支明细 and money-in-hand line, and the 资产负债表 and 收益及收益分配表 (their lines: domain/reports.py).

Every figure comes from sums over posted voucher lines grouped by account, started from the balances
the last close before the range recorded (period_balance), or from the opening balances when no month
is closed yet: never by loading every line. Sub-accounts roll up into their statutory accounts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlmodel import Session

from app.domain import books as B
from app.domain import chart as C
from app.domain import reports as R
from app.models import Account, AccountPeriod, Attachment, Ledger, PeriodBalance, Village, Voucher, VoucherLine
from app.services import books


@dataclass(frozen=True)
class Row:
    """One account's line of a 科目余额表 (balances on the account's normal side)."""

    account: Account
    depth: int
    opening: int
    debit: int
    credit: int

    @property
    def closing(self) -> int:
        return self.opening + B.signed(self.account.side, self.debit, self.credit)

    @property
    def quiet(self) -> bool:
        return not (self.opening or self.debit or self.credit)


def _last_closed_before(session: Session, village_id: int, period: str) -> str | None:
    return session.execute(select(func.max(AccountPeriod.period)).where(
        AccountPeriod.village_id == village_id, AccountPeriod.state == B.CLOSED,
        AccountPeriod.period < period)).scalar_one()


def figures(session: Session, ledger: Ledger, start: str, end: str) -> list[Row]:
    """Every account's opening balance at `start` and its debits and credits from `start` to `end`
    (months, inclusive), sub-accounts rolled into their parents; in code order."""
    village_id = ledger.village_id
    accounts = list(session.execute(select(Account).where(Account.village_id == village_id)
                                    .order_by(Account.code)).scalars())
    base_period = _last_closed_before(session, village_id, start)
    if base_period is not None:
        base = dict(session.execute(select(PeriodBalance.account_id, PeriodBalance.closing).where(
            PeriodBalance.village_id == village_id, PeriodBalance.period == base_period)).all())
        after = base_period
    else:
        base = {a.id: a.opening for a in accounts}
        after = B.previous_period(ledger.first_period)
    before = VoucherLine.period < start
    sums = session.execute(
        select(VoucherLine.account_id,
               func.sum(case((before, VoucherLine.debit), else_=0)),
               func.sum(case((before, VoucherLine.credit), else_=0)),
               func.sum(case((before, 0), else_=VoucherLine.debit)),
               func.sum(case((before, 0), else_=VoucherLine.credit)))
        .join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .where(VoucherLine.village_id == village_id, VoucherLine.period > after, VoucherLine.period <= end,
               Voucher.state == B.POSTED)
        .group_by(VoucherLine.account_id)
    ).all()
    moved = {row[0]: [int(x or 0) for x in row[1:]] for row in sums}
    figs: dict[int, list[int]] = {}
    for a in accounts:
        if not a.leaf:
            continue
        bd, bc, d, c = moved.get(a.id, (0, 0, 0, 0))
        figs[a.id] = [base.get(a.id, 0) + B.signed(a.side, bd, bc), d, c]
    by_code = {a.code: a for a in accounts}
    for a in sorted(accounts, key=lambda x: -len(x.code)):  # children before parents
        if a.parent_id is None or a.id not in figs:
            continue
        parent = by_code.get(a.code[:-C.SUB_DIGITS])
        if parent is None:
            continue
        total = figs.setdefault(parent.id, [0, 0, 0])
        for i in range(3):
            total[i] += figs[a.id][i]
    return [Row(a, books.depth(a), *figs.get(a.id, (0, 0, 0))) for a in accounts]


@dataclass(frozen=True)
class DetailLine:
    voucher_id: int
    number: int | None
    summary: str
    amount: int
    receipts: int


@dataclass
class DetailGroup:
    """收入 or 支出 of one account in the month, voucher by voucher."""

    code: str
    name: str
    lines: list[DetailLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def details(session: Session, ledger: Ledger, period: str) -> tuple[list[DetailGroup], list[DetailGroup]]:
    """The month's income and expense, by statutory account and voucher (收支明细)."""
    chart = books.chart_of(ledger)
    receipts = (select(func.count(Attachment.id)).where(Attachment.owner_type == "voucher",
                                                       Attachment.owner_id == Voucher.id)
                .correlate(Voucher).scalar_subquery())
    rows = session.execute(
        select(Account.top_code, Voucher.id, Voucher.number, Voucher.summary, receipts,
               func.sum(VoucherLine.debit), func.sum(VoucherLine.credit))
        .join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(VoucherLine.village_id == ledger.village_id, VoucherLine.period == period,
               Voucher.state == B.POSTED, Account.kind == C.PNL)
        .group_by(Account.top_code, Voucher.id, Voucher.number, Voucher.summary)
        .order_by(Account.top_code, Voucher.number)
    ).all()
    groups: dict[str, DetailGroup] = {}
    for top, vid, number, summary, n, debit, credit in rows:
        account = chart.account(top)
        if account is None:
            continue
        group = groups.setdefault(top, DetailGroup(top, account.name))
        group.lines.append(DetailLine(vid, number, summary, B.signed(account.side, int(debit), int(credit)),
                                      int(n or 0)))
    income = [groups[c] for c in chart.income() if c in groups]
    expense = [groups[c] for c in chart.expense() if c in groups]
    return income, expense


def cash_line(session: Session, ledger: Ledger, period: str, rows: list[Row]) -> B.CashLine:
    """Money in hand: last month's 库存现金 and 银行存款 + received − paid = this month's."""
    cash = books.chart_of(ledger).cash
    opening = sum(r.opening for r in rows if r.account.code in cash)
    nets = session.execute(
        select(func.sum(VoucherLine.debit - VoucherLine.credit))
        .join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(VoucherLine.village_id == ledger.village_id, VoucherLine.period == period,
               Voucher.state == B.POSTED, Account.top_code.in_(cash))
        .group_by(VoucherLine.voucher_id)
    ).scalars()
    return B.cash_movement([int(n) for n in nets], opening)


@dataclass
class Statement:
    village: Village
    ledger: Ledger
    period: str
    start: str
    rows: list[Row]
    totals: dict[str, int]
    cash: B.CashLine | None
    income: list[DetailGroup]
    expense: list[DetailGroup]
    vouchers: int
    closed: bool

    @property
    def label(self) -> str:
        if self.start == self.period:
            return B.period_label(self.period)
        return f"{B.period_label(self.start)}至{int(self.period[5:])}月"

    @property
    def top_rows(self) -> list[Row]:
        return [r for r in self.rows if r.depth == 0]

    @property
    def balanced(self) -> bool:
        return B.balanced(self.totals)

    @property
    def income_total(self) -> int:
        return sum(g.total for g in self.income)

    @property
    def expense_total(self) -> int:
        return sum(g.total for g in self.expense)


def statement(session: Session, village: Village, period: str, *, year_to_date: bool = False) -> Statement:
    """The month's (or the year to date's) 科目余额表 with its 收支明细 and the money-in-hand line.
    The caller has checked who may read it."""
    ledger = books.require_ledger(session, village)
    start = max(B.year_start(period), ledger.first_period) if year_to_date else period
    rows = figures(session, ledger, start, period)
    totals = B.trial_totals([B.BalanceRow(r.account.code, r.account.name, r.account.side, r.opening, r.debit,
                                          r.credit) for r in rows if r.depth == 0])
    income, expense = details(session, ledger, period) if not year_to_date else ([], [])
    cash = cash_line(session, ledger, period, rows) if not year_to_date else None
    count = session.execute(select(func.count()).select_from(Voucher).where(
        Voucher.village_id == village.id, Voucher.period >= start, Voucher.period <= period,
        Voucher.state == B.POSTED)).scalar_one()
    closed = session.execute(select(func.count()).select_from(AccountPeriod).where(
        AccountPeriod.village_id == village.id, AccountPeriod.period == period,
        AccountPeriod.state == B.CLOSED)).scalar_one() > 0
    return Statement(village, ledger, period, start, rows, totals, cash, income, expense, count, closed)


def by_kind(rows: list[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[r.account.kind].append(r)
    return out


@dataclass
class Annual:
    """资产负债表 at the end of a month and 收益及收益分配表 from the year's start to it."""

    village: Village
    ledger: Ledger
    period: str
    start: str
    balance_sheet: list[R.Figure]
    income: list[R.Figure]

    @property
    def balanced(self) -> bool:
        return R.sheet_balances(self.balance_sheet)

    @property
    def label(self) -> str:
        return f"{B.period_label(self.period)}末"


def annual(session: Session, village: Village, period: str) -> Annual:
    """The year's statements as of the end of `period` (the caller has checked who may read them)."""
    ledger = books.require_ledger(session, village)
    start = max(B.year_start(period), ledger.first_period)
    chart = books.chart_of(ledger)
    rows = [r for r in figures(session, ledger, start, period) if r.depth == 0]
    closing = {r.account.code: r.closing for r in rows}
    moved = {r.account.code: B.signed(r.account.side, r.debit, r.credit) for r in rows}
    return Annual(village, ledger, period, start, R.figures(R.BALANCE_SHEETS[chart.key], closing, chart),
                  R.figures(R.INCOME_STATEMENTS[chart.key], moved, chart))
