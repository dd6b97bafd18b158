"""Months of the books (会计期间): closing one (结账) records its balances, locks it and drafts its
finance notice (财务收支公开) from the books; only a township monitor reopens one, with a reason.

Months close in order, each after it has ended and once every voucher dated in it is posted. Reopening
goes backwards from the last closed month. A published notice stays as it was; closing the month again
drafts a correction of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import books as B
from app.models import AccountPeriod, Notice, PeriodBalance, User, Village, Voucher
from app.services import audit, books, statements, vouchers
from app.services.access import Actor, require, require_login
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

# Filled by services/flows.py: what happens when a month is closed (the finance notice is drafted).
# Each hook takes (session, village, period row, statement, actor id) and may return a Notice.
AFTER_CLOSE: list[Callable[..., Notice | None]] = []


def parse(text: str | None) -> str:
    period = B.parse_period(text)
    if period is None:
        raise NotFound("月份的格式是 2026-10")
    return period


def row_of(session: Session, village_id: int, period: str) -> AccountPeriod | None:
    return session.execute(select(AccountPeriod).where(AccountPeriod.village_id == village_id,
                                                       AccountPeriod.period == period)).scalar_one_or_none()


def readable_periods(session: Session, actor: Actor | None, village: Village, periods: Iterable[str]) -> set[str]:
    """Which of these months this person may read (`readable`'s rule, for a page of links)."""
    wanted = set(periods)
    if books.is_reader(actor, village):
        return wanted
    return vouchers.published_periods(session, village.id, wanted)


def readable(session: Session, actor: Actor | None, village: Village, period: str) -> bool:
    """The whole month for the book keepers, committees and monitors; for everyone else once its
    finance notice is published."""
    return period in readable_periods(session, actor, village, [period])


def statement(session: Session, actor: Actor | None, village: Village, period: str, *, year_to_date: bool = False
              ) -> statements.Statement:
    ledger = books.require_ledger(session, village)
    if period < ledger.first_period:
        raise NotFound(f"{B.period_label(period)}在建账之前，没有账目")
    if not readable(session, actor, village, period):
        raise NotFound("这个月的账目还没有公开")
    return statements.statement(session, village, period, year_to_date=year_to_date)


def close(session: Session, actor: Actor | None, village: Village, period: str) -> AccountPeriod:
    """结账: the month's balances are recorded, the month locked, its finance notice drafted."""
    actor = require(actor, village, *books.KEEPERS)
    ledger = books.require_ledger(session, village)
    if period < ledger.first_period:
        raise Conflict(f"账簿从 {B.period_label(ledger.first_period)} 开始")
    if period >= B.period_of(local_today()):
        raise Conflict(f"{B.period_label(period)}还没有过完，不能结账")
    books.lock(session, village.id)
    row = row_of(session, village.id, period)
    if row is not None and row.state == B.CLOSED:
        session.rollback()
        raise Conflict(f"{B.period_label(period)}已经结账了")
    if period > ledger.first_period:
        before = row_of(session, village.id, B.previous_period(period))
        if before is None or before.state != B.CLOSED:
            session.rollback()
            raise Conflict(f"请先给{B.period_label(B.previous_period(period))}结账")
    waiting = session.execute(select(func.count()).select_from(Voucher).where(
        Voucher.village_id == village.id, Voucher.period == period, Voucher.state != B.POSTED)).scalar_one()
    if waiting:
        session.rollback()
        raise Conflict(f"这个月还有 {waiting} 张凭证没有记账，记账或删除后才能结账")
    result = statements.statement(session, village, period)
    if not result.balanced:  # cannot happen with balanced vouchers and openings; never lock a broken month
        session.rollback()
        raise Conflict("试算不平衡，不能结账，请联系乡镇经管站")
    now = utcnow()
    if row is None:
        row = AccountPeriod(village_id=village.id, period=period)
        session.add(row)
    row.state, row.closed_by, row.closed_at = B.CLOSED, actor.id, now
    row.times_closed += 1
    session.execute(delete(PeriodBalance).where(PeriodBalance.village_id == village.id,
                                                PeriodBalance.period == period))
    session.flush()
    session.execute(insert(PeriodBalance), [
        {"village_id": village.id, "period": period, "account_id": r.account.id, "opening": r.opening,
         "debit": r.debit, "credit": r.credit, "closing": r.closing} for r in result.rows])
    for hook in AFTER_CLOSE:
        notice = hook(session, village, row, result, actor.id)
        if notice is not None:
            row.notice_id = notice.id
    audit.record(session, village_id=village.id, actor_id=actor.id, action="period.close", entity="period",
                 entity_id=period, data={"vouchers": result.vouchers, "debit": result.totals["debit"],
                                         "credit": result.totals["credit"],
                                         "cash": result.cash.closing if result.cash else None,
                                         "notice_id": row.notice_id})
    session.commit()
    return row


def reopen(session: Session, actor: Actor | None, village: Village, period: str, reason: str) -> AccountPeriod:
    """反结账: only a township monitor, with a reason, and only the last closed month."""
    actor = require_login(actor)
    if not (actor.is_admin or actor.monitors(village)):
        if not actor.is_member(village.id):
            raise NotFound("找不到这个村")
        raise Forbidden("只有乡镇监督员可以反结账")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请写明反结账的原因", field="reason")
    if len(reason) > 200:
        raise Invalid("原因最多 200 个字", field="reason")
    books.require_ledger(session, village)
    books.lock(session, village.id)
    row = row_of(session, village.id, period)
    if row is None or row.state != B.CLOSED:
        session.rollback()
        raise Conflict(f"{B.period_label(period)}没有结账")
    later = session.execute(select(func.max(AccountPeriod.period)).where(
        AccountPeriod.village_id == village.id, AccountPeriod.state == B.CLOSED)).scalar_one()
    if later != period:
        session.rollback()
        raise Conflict(f"请先反结账{B.period_label(later)}：只能从最后结账的月份往回反结账")
    row.state, row.reopened_by, row.reopened_at, row.reopen_reason = B.OPEN, actor.id, utcnow(), reason
    session.execute(delete(PeriodBalance).where(PeriodBalance.village_id == village.id,
                                                PeriodBalance.period == period))
    audit.record(session, village_id=village.id, actor_id=actor.id, action="period.reopen", entity="period",
                 entity_id=period, data={"reason": reason})
    session.commit()
    return row


@dataclass(frozen=True)
class PeriodRow:
    period: str
    state: str
    vouchers: int
    waiting: int
    closed_at: object | None
    closed_by: str | None
    notice_id: int | None
    notice_state: str | None
    reopen_reason: str | None

    @property
    def label(self) -> str:
        return B.period_label(self.period)


def months(session: Session, actor: Actor | None, village: Village, *, limit: int = 24) -> list[PeriodRow]:
    """The books' months from the newest (this month, or the last with a voucher) back to the first,
    at most `limit` of them; for others than the book keepers only the published ones."""
    ledger = books.require_ledger(session, village)
    counts = {(p, s == B.POSTED): n for p, s, n in session.execute(
        select(Voucher.period, Voucher.state, func.count()).where(Voucher.village_id == village.id)
        .group_by(Voucher.period, Voucher.state)).all()}
    rows = {r.period: r for r in session.execute(select(AccountPeriod).where(
        AccountPeriod.village_id == village.id)).scalars()}
    notice_ids = {r.notice_id for r in rows.values() if r.notice_id}
    notice_states = dict(session.execute(select(Notice.id, Notice.state).where(Notice.id.in_(notice_ids))).all()) \
        if notice_ids else {}
    closer_ids = {r.closed_by for r in rows.values() if r.closed_by}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(closer_ids))).all()) \
        if closer_ids else {}
    newest = max([B.period_of(local_today()), *(p for p, _ in counts)])
    reader = books.is_reader(actor, village)
    out: list[PeriodRow] = []
    period = newest
    while period >= ledger.first_period and len(out) < limit:
        r = rows.get(period)
        notice_state = notice_states.get(r.notice_id) if r and r.notice_id else None
        if reader or (r is not None and r.state == B.CLOSED and notice_state in vouchers.PUBLISHED_NOTICE):
            out.append(PeriodRow(period, r.state if r else B.OPEN, counts.get((period, True), 0),
                                 counts.get((period, False), 0), r.closed_at if r else None,
                                 names.get(r.closed_by) if r and r.closed_by else None,
                                 r.notice_id if r else None, notice_state, r.reopen_reason if r else None))
        period = B.previous_period(period)
    return out


def annual(session: Session, actor: Actor | None, village: Village, period: str) -> statements.Annual:
    """资产负债表 and 收益及收益分配表 as of the month's end, for whoever may read the month."""
    books.require_ledger(session, village)
    if not readable(session, actor, village, period):
        raise NotFound("这个月的账目还没有公开")
    return statements.annual(session, village, period)
