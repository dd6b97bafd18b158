"""A village's set of books: opening them on a chart, their accounts and sub-accounts, opening
balances, and who may do what with them.

The accountant (报账员) and the committee keep the books; the supervisory committee and the party
committee read everything, as do the township's monitors; other villagers read what has been
published (services/periods.py decides which months those are).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select, update
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import books as B
from app.domain import chart as C
from app.domain.bounds import MAX_FEN
from app.domain.money import yuan
from app.domain.roles import ACCOUNTANT, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR
from app.models import Account, Ledger, Village, Voucher, VoucherLine
from app.services import access, audit
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, NotFound, invalid_fields

KEEPERS = (ACCOUNTANT, COMMITTEE)  # prepare vouchers, close months, keep the chart
READERS = (ACCOUNTANT, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR)  # read every voucher, draft or not


def ledger_of(session: Session, village: Village) -> Ledger | None:
    return session.execute(select(Ledger).where(Ledger.village_id == village.id)).scalar_one_or_none()


def require_ledger(session: Session, village: Village) -> Ledger:
    ledger = ledger_of(session, village)
    if ledger is None:
        raise NotFound("这个村还没有建账")
    return ledger


def chart_of(ledger: Ledger) -> C.Chart:
    return C.CHARTS[ledger.chart]


def is_reader(actor: Actor | None, village: Village) -> bool:
    """Whoever reads the whole books, drafts included."""
    return actor is not None and (actor.is_admin or actor.monitors(village) or actor.has(village.id, *READERS))


def lock(session: Session, village_id: int) -> None:
    """Take the books' lock (the ledger row) before numbering, posting or closing: on PostgreSQL two
    postings of one village wait for each other here; SQLite has one writer anyway."""
    session.execute(update(Ledger).where(Ledger.village_id == village_id).values(updated_at=utcnow()))


def has_posted(session: Session, village_id: int) -> bool:
    return session.execute(select(exists().where(Voucher.village_id == village_id,
                                                 Voucher.state == B.POSTED))).scalar_one()


# --- opening the books ---------------------------------------------------------------------------

def open_ledger(session: Session, actor: Actor | None, village: Village, chart: str | None = None,
                first_period: str | None = None) -> Ledger:
    """建账: choose the chart (2023 by default) and the first month; the chart's accounts are copied in."""
    actor = require(actor, village, *KEEPERS)
    chart = chart or C.DEFAULT_CHART
    if chart not in C.CHARTS:
        raise Invalid("会计制度只能选 2023（农村集体经济组织会计制度）或 2004（村集体经济组织会计制度）",
                      field="chart")
    period = B.parse_period(first_period) if first_period else B.period_of(local_today())
    if period is None:
        raise Invalid("起始月份的格式是 2026-01", field="first_period")
    if period > B.period_of(local_today()):
        raise Invalid("起始月份不能晚于本月", field="first_period")
    if ledger_of(session, village) is not None:
        raise Conflict("这个村已经建账了")
    ledger = Ledger(village_id=village.id, chart=chart, first_period=period, opened_by=actor.id)
    session.add(ledger)
    for a in C.CHARTS[chart].accounts:
        session.add(Account(village_id=village.id, code=a.code, name=a.name, kind=a.kind, side=a.side,
                            top_code=a.code, statutory=True, leaf=True))
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="ledger.open", entity="ledger",
                 entity_id=ledger.id, data={"chart": chart, "first_period": period})
    session.commit()
    return ledger


def change_chart(session: Session, actor: Actor | None, village: Village, chart: str) -> Ledger:
    """Switch the chart while nothing is posted: the accounts are replaced by the other chart's."""
    actor = require(actor, village, *KEEPERS)
    ledger = require_ledger(session, village)
    if chart not in C.CHARTS:
        raise Invalid("会计制度只能选 2023 或 2004", field="chart")
    if chart == ledger.chart:
        return ledger
    if session.execute(select(exists().where(Voucher.village_id == village.id))).scalar_one():
        raise Conflict("已经有凭证了，会计制度不能再换")
    for account in session.execute(select(Account).where(Account.village_id == village.id)
                                   .order_by(Account.code.desc())).scalars():
        session.delete(account)
    session.flush()
    for a in C.CHARTS[chart].accounts:
        session.add(Account(village_id=village.id, code=a.code, name=a.name, kind=a.kind, side=a.side,
                            top_code=a.code, statutory=True, leaf=True))
    old, ledger.chart, ledger.updated_at = ledger.chart, chart, utcnow()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="ledger.chart", entity="ledger",
                 entity_id=ledger.id, data={"from": old, "to": chart})
    session.commit()
    return ledger


def set_receipts_public(session: Session, actor: Actor | None, village: Village, public: bool) -> Ledger:
    """Whether receipt images are shown to everyone, or (the default) to the village's members only."""
    actor = require(actor, village, COMMITTEE)
    ledger = require_ledger(session, village)
    if ledger.receipts_public != public:
        ledger.receipts_public, ledger.updated_at = public, utcnow()
        audit.record(session, village_id=village.id, actor_id=actor.id, action="ledger.receipts", entity="ledger",
                     entity_id=ledger.id, data={"public": public})
    session.commit()
    return ledger


# --- accounts ------------------------------------------------------------------------------------

def accounts(session: Session, village: Village) -> list[Account]:
    """The village's chart in code order (statutory accounts with their sub-accounts under them)."""
    return list(session.execute(select(Account).where(Account.village_id == village.id)
                                .order_by(Account.code)).scalars())


def chart_for(session: Session, actor: Actor | None, village: Village) -> list[Account]:
    """The chart as this viewer may see it: statutory accounts for everyone, sub-accounts (which may
    carry a person's name, e.g. 应收款—张三) for the village's members and monitors only."""
    rows = accounts(session, village)
    return rows if access.insider(actor, village) else [a for a in rows if a.statutory]


def depth(account: Account) -> int:
    return (len(account.code) - len(account.top_code)) // C.SUB_DIGITS


def add_sub_account(session: Session, actor: Actor | None, village: Village, parent_code: str, code: str,
                    name: str) -> Account:
    """A 明细科目 under an account, e.g. one debtor under 112 应收款. An account that already has
    voucher lines keeps them: it takes no sub-accounts (open a new account and transfer instead)."""
    actor = require(actor, village, *KEEPERS)
    require_ledger(session, village)
    rows = {a.code: a for a in accounts(session, village)}
    parent = rows.get((parent_code or "").strip())
    if parent is None:
        raise Invalid("上级科目不存在", field="parent")
    problem = C.check_sub_account(parent.code, depth(parent), code, name, set(rows))
    if problem:
        raise Invalid(problem, field="name" if "名称" in problem else "code")
    if parent.leaf and _has_lines(session, parent):
        raise Conflict(f"科目 {parent.code} {parent.name} 已经有凭证了，不能再加明细科目")
    if parent.leaf and parent.opening:
        raise Conflict(f"科目 {parent.code} {parent.name} 有期初余额，请先把期初余额改到明细科目上")
    account = Account(village_id=village.id, code=code.strip(), name=name.strip(), kind=parent.kind,
                      side=parent.side, parent_id=parent.id, top_code=parent.top_code, statutory=False, leaf=True)
    parent.leaf = False
    session.add(account)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="account.create", entity="account",
                 entity_id=account.id, data={"code": account.code, "name": account.name, "parent": parent.code})
    session.commit()
    return account


def rename_sub_account(session: Session, actor: Actor | None, village: Village, code: str, name: str) -> Account:
    """A sub-account's name may be corrected; a statutory account's never."""
    actor = require(actor, village, *KEEPERS)
    account = session.execute(select(Account).where(Account.village_id == village.id,
                                                     Account.code == (code or "").strip())).scalar_one_or_none()
    if account is None:
        raise NotFound("找不到这个科目")
    if account.statutory:
        raise Conflict("国家统一规定的会计科目不能改名，可以在下面加明细科目")
    name = (name or "").strip()
    if not name or len(name) > C.NAME_MAX:
        raise Invalid(f"科目名称要填，最多 {C.NAME_MAX} 个字", field="name")
    old, account.name = account.name, name
    audit.record(session, village_id=village.id, actor_id=actor.id, action="account.rename", entity="account",
                 entity_id=account.id, data={"code": account.code, "from": old, "to": name})
    session.commit()
    return account


def _has_lines(session: Session, account: Account) -> bool:
    return session.execute(select(exists().where(VoucherLine.account_id == account.id))).scalar_one()


def leaf_codes(session: Session, village_id: int) -> tuple[dict[str, Account], set[str]]:
    """Every account by code, and the codes a voucher line may use."""
    rows = {a.code: a for a in session.execute(select(Account).where(Account.village_id == village_id)).scalars()}
    return rows, {code for code, a in rows.items() if a.leaf}


def posting_leaf(session: Session, village_id: int, code: str) -> str:
    """Where an automatic posting to `code` goes: the account itself, or its first sub-account."""
    leaf = session.execute(select(Account.code).where(Account.village_id == village_id, Account.leaf.is_(True),
                                                      Account.code.startswith(code)).order_by(Account.code)
                           ).scalars().first()
    return leaf or code


# --- opening balances ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OpeningIn:
    code: str
    debit: int = 0
    credit: int = 0


def set_openings(session: Session, actor: Actor | None, village: Village, rows: list[OpeningIn]) -> int:
    """期初余额 by account code, as a 科目余额表 gives them (debit and credit columns). Refused unless
    debits equal credits, every code is a leaf account, and nothing is posted yet. Accounts not named
    start at zero. Returns how many accounts have a balance."""
    actor = require(actor, village, *KEEPERS)
    ledger = require_ledger(session, village)
    if has_posted(session, village.id):
        raise Conflict("已经有记账凭证了，期初余额不能再改")
    by_code, leaves = leaf_codes(session, village.id)
    errors: dict[str, str] = {}
    seen: dict[str, int] = {}
    debit = credit = 0
    for n, row in enumerate(rows, start=1):
        code = (row.code or "").strip()
        if code not in by_code:
            errors[f"rows.{n}.code"] = f"第 {n} 行：科目 {code or '（空）'} 不存在"
        elif code not in leaves:
            errors[f"rows.{n}.code"] = f"第 {n} 行：科目 {code} 有明细科目，请填到最末一级"
        elif code in seen:
            errors[f"rows.{n}.code"] = f"第 {n} 行：科目 {code} 重复了"
        if row.debit < 0 or row.credit < 0 or row.debit > MAX_FEN or row.credit > MAX_FEN:
            errors[f"rows.{n}.amount"] = f"第 {n} 行：金额不对"
        elif row.debit and row.credit:
            errors[f"rows.{n}.amount"] = f"第 {n} 行：借方和贷方只能填一个"
        if code in by_code:
            seen[code] = B.side_of_opening(by_code[code].side, row.debit, row.credit)
        debit += max(row.debit, 0)
        credit += max(row.credit, 0)
    if errors:
        raise invalid_fields(errors)
    if debit != credit:
        raise Invalid(f"期初借方合计 {yuan(debit)} 元，贷方合计 {yuan(credit)} 元，不相等", field="rows")
    for account in by_code.values():
        account.opening = seen.get(account.code, 0)
    ledger.updated_at = utcnow()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="ledger.openings", entity="ledger",
                 entity_id=ledger.id, data={"accounts": {c: v for c, v in sorted(seen.items()) if v},
                                            "debit": debit, "credit": credit})
    session.commit()
    return sum(1 for v in seen.values() if v)


def opening_rows(session: Session, village: Village) -> list[tuple[Account, int]]:
    """Leaf accounts with their opening balance, for the form (code order)."""
    return [(a, a.opening) for a in accounts(session, village) if a.leaf]


def count_accounts(session: Session, village_id: int) -> int:
    return session.execute(select(func.count()).select_from(Account).where(Account.village_id == village_id)
                           ).scalar_one()


# --- the township's view: books kept late, money below zero, vouchers without receipts -------------

LATE_MONTHS = 2  # months past their end not yet closed before the township is told


@dataclass(frozen=True)
class BookHealth:
    kept: bool  # the village has books
    unclosed: int  # months that have ended and are not closed
    cash: int  # 库存现金 and 银行存款 now (fen)
    without_receipts: int  # posted vouchers no original voucher was added to
    overdue_instalments: int

    @property
    def late(self) -> bool:
        return self.unclosed >= LATE_MONTHS

    @property
    def flagged(self) -> bool:
        return self.late or self.cash < 0 or self.without_receipts > 0 or self.overdue_instalments > 0


def health(session: Session, village_ids: list[int]) -> dict[int, BookHealth]:
    """Each village's books as the township watches them (five queries, however many villages)."""
    from app.models import AccountPeriod, Attachment, FundPayment, Instalment

    if not village_ids:
        return {}
    ledgers = {lg.village_id: lg for lg in session.execute(select(Ledger).where(Ledger.village_id.in_(village_ids)))
               .scalars()}
    closed = dict(session.execute(select(AccountPeriod.village_id, func.max(AccountPeriod.period)).where(
        AccountPeriod.village_id.in_(village_ids), AccountPeriod.state == B.CLOSED)
        .group_by(AccountPeriod.village_id)).all())
    cash_codes = {code for chart in C.CHARTS.values() for code in chart.cash}
    opening = dict(session.execute(select(Account.village_id, func.sum(Account.opening)).where(
        Account.village_id.in_(village_ids), Account.top_code.in_(cash_codes), Account.leaf.is_(True))
        .group_by(Account.village_id)).all())
    moved = dict(session.execute(select(VoucherLine.village_id, func.sum(VoucherLine.debit - VoucherLine.credit))
                                 .join(Voucher, Voucher.id == VoucherLine.voucher_id)
                                 .join(Account, Account.id == VoucherLine.account_id)
                                 .where(VoucherLine.village_id.in_(village_ids), Voucher.state == B.POSTED,
                                        Account.top_code.in_(cash_codes))
                                 .group_by(VoucherLine.village_id)).all())
    automatic = (select(FundPayment.voucher_id).union(
        select(Instalment.receivable_voucher_id).where(Instalment.receivable_voucher_id.is_not(None)),
        select(Instalment.payment_voucher_id).where(Instalment.payment_voucher_id.is_not(None))))
    bare = dict(session.execute(
        select(Voucher.village_id, func.count()).where(
            Voucher.village_id.in_(village_ids), Voucher.state == B.POSTED, Voucher.reverses_id.is_(None),
            ~exists().where(Attachment.owner_type == "voucher", Attachment.owner_id == Voucher.id),
            Voucher.id.not_in(automatic))
        .group_by(Voucher.village_id)).all())
    overdue = dict(session.execute(select(Instalment.village_id, func.count()).where(
        Instalment.village_id.in_(village_ids), Instalment.payment_voucher_id.is_(None),
        Instalment.due_date < local_today()).group_by(Instalment.village_id)).all())
    this_month = B.period_of(local_today())
    out = {}
    for vid in village_ids:
        ledger = ledgers.get(vid)
        if ledger is None:
            out[vid] = BookHealth(False, 0, 0, 0, 0)
            continue
        unclosed = B.unclosed_months(ledger.first_period, closed.get(vid), this_month)
        out[vid] = BookHealth(True, unclosed, int(opening.get(vid) or 0) + int(moved.get(vid) or 0),
                              int(bare.get(vid, 0)), int(overdue.get(vid, 0)))
    return out
