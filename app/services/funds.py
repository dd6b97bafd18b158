"""一事一议 money and labour (筹资筹劳) of a passed matter: obligations per household, exemptions,
money received by receipt (posted to 一事一议资金 by itself), labour per person, and the matter's
account (raised, spent, left).

The committee sets the obligations once the matter has passed its vote and approves exemptions; the
accountant or the committee records money and labour. Totals are public (on the matter's page);
per-household figures are for the village's members and the township's monitors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import books as B
from app.domain import funds as F
from app.domain import procedures as P
from app.domain.money import yuan
from app.domain.roles import COMMITTEE
from app.models import (
    Account,
    FundExemption,
    FundObligation,
    FundPayment,
    Household,
    LabourRecord,
    Membership,
    Proposal,
    User,
    Village,
    Voucher,
    VoucherLine,
)
from app.services import audit, books, proposals, vouchers
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, NotFound
from app.services.village_settings import settings_of

PROCEDURE = "yishiyiyi"


def passed(proposal: Proposal) -> bool:
    """A 一事一议 matter past its vote (and neither rejected nor withdrawn)."""
    if proposal.procedure != PROCEDURE:
        return False
    if proposal.state == P.CLOSED:
        return True
    keys = [s.key for s in P.PROCEDURES[PROCEDURE].stages]
    return proposal.state in keys and "vote" in keys and keys.index(proposal.state) > keys.index("vote")


def _matter(session: Session, actor: Actor | None, proposal_id: int) -> tuple[Proposal, Village]:
    proposal, village = proposals.get(session, actor, proposal_id)
    if proposal.procedure != PROCEDURE:
        raise NotFound("这个事项不是“一事一议”，没有筹资筹劳")
    return proposal, village


def _plan(proposal: Proposal) -> F.Plan:
    return F.Plan(proposal.per_capita_fen or 0, proposal.labour_days or 0)


def _members_by_household(session: Session, village_id: int) -> dict[int, list[int]]:
    rows = session.execute(
        select(Membership.household_id, Membership.user_id).join(User, User.id == Membership.user_id)
        .where(Membership.village_id == village_id, Membership.household_id.is_not(None),
               User.status != "disabled")
    ).all()
    out: dict[int, list[int]] = {}
    for household_id, user_id in rows:
        out.setdefault(household_id, []).append(user_id)
    return out


def _recount(session: Session, proposal: Proposal) -> int:
    """Write every household's obligation from the roster and the exemptions (no commit)."""
    plan = _plan(proposal)
    members = _members_by_household(session, proposal.village_id)
    exempted = set(session.execute(select(FundExemption.user_id).where(
        FundExemption.proposal_id == proposal.id)).scalars())
    existing = {o.household_id: o for o in session.execute(select(FundObligation).where(
        FundObligation.proposal_id == proposal.id)).scalars()}
    now = utcnow()
    for household_id, users in members.items():
        d = F.due(plan, len(users), sum(1 for u in users if u in exempted))
        row = existing.get(household_id) or FundObligation(village_id=proposal.village_id, proposal_id=proposal.id,
                                                           household_id=household_id)
        row.persons, row.exempted, row.amount_due, row.labour_due, row.updated_at = (
            d.persons, d.exempted, d.amount, d.labour, now)
        session.add(row)
    return len(members)


def set_obligations(session: Session, actor: Actor | None, proposal_id: int) -> int:
    """The committee turns a passed matter's plan into each household's obligation (again after the
    roster changes). Refused over the township's or village's caps. Returns the households counted."""
    proposal, village = _matter(session, actor, proposal_id)
    actor = require(actor, village, COMMITTEE)
    if not passed(proposal):
        raise Conflict("事项表决通过后才能落实筹资筹劳")
    plan = _plan(proposal)
    if not plan.per_capita and not plan.labour_days:
        raise Conflict("这个事项的方案没有筹资也没有筹劳")
    rules = settings_of(session, village)
    problems = F.cap_problems(plan, rules.per_capita_cap_fen, rules.labour_days_cap)
    if problems:
        raise Conflict("；".join(problems) + "（上限由乡镇按省里规定设置）")
    households = _recount(session, proposal)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="fund.obligations", entity="proposal",
                 entity_id=proposal.id, data={"households": households, "per_capita": plan.per_capita,
                                              "labour_days": plan.labour_days})
    session.commit()
    return households


def exempt(session: Session, actor: Actor | None, proposal_id: int, user_id: int, reason: str, note: str = ""
           ) -> FundExemption:
    """The committee excuses one person, with a reason; the household's obligation is recounted."""
    proposal, village = _matter(session, actor, proposal_id)
    actor = require(actor, village, COMMITTEE)
    problem = F.check_exemption(reason, note)
    if problem:
        raise Invalid(problem, field="reason" if "原因" in problem else "note")
    member = session.execute(select(Membership).where(Membership.user_id == user_id,
                                                      Membership.village_id == village.id)).scalar_one_or_none()
    if member is None:
        raise NotFound("本村没有这个人")
    if session.execute(select(FundExemption.id).where(FundExemption.proposal_id == proposal.id,
                                                      FundExemption.user_id == user_id)).first():
        raise Conflict("这个人已经减免了")
    row = FundExemption(village_id=village.id, proposal_id=proposal.id, user_id=user_id, reason=reason,
                        note=(note or "").strip(), approved_by=actor.id)
    session.add(row)
    session.flush()
    if session.execute(select(FundObligation.id).where(FundObligation.proposal_id == proposal.id)).first():
        _recount(session, proposal)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="fund.exempt", entity="proposal",
                 entity_id=proposal.id, data={"user_id": user_id, "reason": reason})
    session.commit()
    return row


def record_payment(session: Session, actor: Actor | None, proposal_id: int, household_id: int, amount: int,
                   receipt_no: str, received_on: date | None = None) -> FundPayment:
    """Money a household paid, by its receipt number: posts 借 库存现金 贷 一事一议资金 by itself."""
    proposal, village = _matter(session, actor, proposal_id)
    actor = require(actor, village, *books.KEEPERS)
    ledger = books.require_ledger(session, village)
    obligation = session.execute(select(FundObligation).where(FundObligation.proposal_id == proposal.id,
                                                              FundObligation.household_id == household_id)
                                 ).scalar_one_or_none()
    if obligation is None:
        raise NotFound("这一户没有这个事项的筹资任务")
    paid = session.execute(select(func.coalesce(func.sum(FundPayment.amount), 0)).where(
        FundPayment.proposal_id == proposal.id, FundPayment.household_id == household_id)).scalar_one()
    problem = F.check_payment(amount, obligation.amount_due - int(paid), receipt_no)
    if problem:
        raise Invalid(problem, field="receipt_no" if "收据" in problem else "amount")
    receipt_no = receipt_no.strip()
    if session.execute(select(FundPayment.id).where(FundPayment.village_id == village.id,
                                                    FundPayment.receipt_no == receipt_no)).first():
        raise Conflict(f"收据号 {receipt_no} 已经登记过了")
    day = received_on or local_today()
    household = session.get(Household, household_id)
    chart = books.chart_of(ledger)
    voucher = vouchers.record_posted(session, actor, village, vouchers.VoucherIn(
        day, f"收{household.number if household else ''}户一事一议筹资款（收据{receipt_no}）"[:B.SUMMARY_MAX],
        [B.Line(books.posting_leaf(session, village.id, chart.cash[0]), debit=amount),
         B.Line(books.posting_leaf(session, village.id, chart.fund), credit=amount)], proposal.id))
    payment = FundPayment(village_id=village.id, proposal_id=proposal.id, household_id=household_id, amount=amount,
                          receipt_no=receipt_no, received_on=day, voucher_id=voucher.id, recorded_by=actor.id)
    session.add(payment)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="fund.payment", entity="proposal",
                 entity_id=proposal.id, data={"household_id": household_id, "amount": amount,
                                              "receipt_no": receipt_no, "voucher_id": voucher.id})
    session.commit()
    return payment


def record_labour(session: Session, actor: Actor | None, proposal_id: int, user_id: int, days: int,
                  work_date: date | None = None) -> LabourRecord:
    proposal, village = _matter(session, actor, proposal_id)
    actor = require(actor, village, *books.KEEPERS)
    if not passed(proposal):
        raise Conflict("事项表决通过后才能登记投劳")
    if not 1 <= days <= 30:
        raise Invalid("一次登记 1 到 30 天", field="days")
    day = work_date or local_today()
    if day > local_today():
        raise Invalid("日期不能晚于今天", field="work_date")
    if session.execute(select(Membership.id).where(Membership.user_id == user_id,
                                                   Membership.village_id == village.id)).first() is None:
        raise NotFound("本村没有这个人")
    row = LabourRecord(village_id=village.id, proposal_id=proposal.id, user_id=user_id, days=days, work_date=day,
                       recorded_by=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="fund.labour", entity="proposal",
                 entity_id=proposal.id, data={"user_id": user_id, "days": days, "date": day.isoformat()})
    session.commit()
    return row


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FundSummary:
    """What everyone may see of a matter's money and labour."""

    per_capita: int
    labour_days: int
    households: int
    persons: int
    exempted: int
    due: int
    paid: int
    households_paid: int
    labour_due: int
    labour_done: int
    account: F.Account

    @property
    def outstanding(self) -> int:
        return self.due - self.paid


def account(session: Session, proposal: Proposal) -> F.Account:
    """Raised: what posted vouchers of the matter put into 一事一议资金; spent: the money they paid out
    of cash and bank (three queries over the matter's lines)."""
    village = session.get(Village, proposal.village_id)
    ledger = books.ledger_of(session, village) if village else None
    if ledger is None:
        return F.Account(0, 0)
    chart = books.chart_of(ledger)
    lines = (select(VoucherLine.voucher_id, Account.top_code, VoucherLine.debit, VoucherLine.credit)
             .join(Voucher, Voucher.id == VoucherLine.voucher_id).join(Account, Account.id == VoucherLine.account_id)
             .where(Voucher.proposal_id == proposal.id, Voucher.state == B.POSTED).subquery())
    raised = session.execute(select(func.coalesce(func.sum(lines.c.credit - lines.c.debit), 0))
                             .where(lines.c.top_code == chart.fund)).scalar_one()
    # Spent: each voucher's money paid out net (cash and bank credited less debited), where positive.
    per_voucher = (select(func.sum(lines.c.credit - lines.c.debit).label("out"))
                   .where(lines.c.top_code.in_(chart.cash)).group_by(lines.c.voucher_id).subquery())
    spent = session.execute(select(func.coalesce(func.sum(per_voucher.c.out), 0))
                            .where(per_voucher.c.out > 0)).scalar_one()
    return F.Account(int(raised), int(spent))


def summary(session: Session, actor: Actor | None, proposal_id: int) -> FundSummary | None:
    """The matter's totals for whoever may see the matter (None for a matter with no money or labour
    in its plan)."""
    proposal, _ = proposals.get(session, actor, proposal_id)
    return _summary(session, proposal)


def _summary(session: Session, proposal: Proposal) -> FundSummary | None:
    if proposal.procedure != PROCEDURE or not (proposal.per_capita_fen or proposal.labour_days):
        return None
    total = func.coalesce(func.sum(FundObligation.persons), 0)
    households, persons, exempted, due, labour_due = session.execute(
        select(func.count(), total, func.coalesce(func.sum(FundObligation.exempted), 0),
               func.coalesce(func.sum(FundObligation.amount_due), 0),
               func.coalesce(func.sum(FundObligation.labour_due), 0))
        .where(FundObligation.proposal_id == proposal.id)).one()
    paid, households_paid = session.execute(
        select(func.coalesce(func.sum(FundPayment.amount), 0), func.count(func.distinct(FundPayment.household_id)))
        .where(FundPayment.proposal_id == proposal.id)).one()
    labour_done = session.execute(select(func.coalesce(func.sum(LabourRecord.days), 0)).where(
        LabourRecord.proposal_id == proposal.id)).scalar_one()
    return FundSummary(proposal.per_capita_fen or 0, proposal.labour_days or 0, households, int(persons),
                       int(exempted), int(due), int(paid), households_paid, int(labour_due), int(labour_done),
                       account(session, proposal))


@dataclass(frozen=True)
class HouseholdRow:
    household_id: int
    number: str
    persons: int
    exempted: int
    due: int
    paid: int
    labour_due: int
    labour_done: int

    @property
    def outstanding(self) -> int:
        return self.due - self.paid


def households(session: Session, actor: Actor | None, proposal_id: int) -> list[HouseholdRow]:
    """Each household's status: the village's members and the township's monitors (three queries)."""
    proposal, village = _matter(session, actor, proposal_id)
    require(actor, village, monitor=True)
    paid = dict(session.execute(select(FundPayment.household_id, func.sum(FundPayment.amount))
                                .where(FundPayment.proposal_id == proposal.id)
                                .group_by(FundPayment.household_id)).all())
    labour = dict(session.execute(select(Membership.household_id, func.sum(LabourRecord.days))
                                  .join(Membership, Membership.user_id == LabourRecord.user_id)
                                  .where(LabourRecord.proposal_id == proposal.id)
                                  .group_by(Membership.household_id)).all())
    rows = session.execute(select(FundObligation, Household.number).join(
        Household, Household.id == FundObligation.household_id).where(FundObligation.proposal_id == proposal.id)
        .order_by(Household.number)).all()
    return [HouseholdRow(o.household_id, number, o.persons, o.exempted, o.amount_due, int(paid.get(o.household_id, 0)),
                         o.labour_due, int(labour.get(o.household_id) or 0)) for o, number in rows]


@dataclass(frozen=True)
class ExemptionRow:
    user_id: int
    name: str
    reason: str
    note: str
    approver: str


def people(session: Session, actor: Actor | None, proposal_id: int) -> list[tuple[int, str, str | None]]:
    """The village's people (id, name, household number) for the book keepers' labour and exemption
    forms, in household order (one query)."""
    proposal, village = _matter(session, actor, proposal_id)
    require(actor, village, COMMITTEE, *books.KEEPERS)
    return [(uid, name, number) for uid, name, number in session.execute(
        select(User.id, User.name, Household.number).join(Membership, Membership.user_id == User.id)
        .join(Household, Household.id == Membership.household_id, isouter=True)
        .where(Membership.village_id == village.id, User.status != "disabled")
        .order_by(Household.number, User.name)).all()]


def exemptions(session: Session, actor: Actor | None, proposal_id: int) -> list[ExemptionRow]:
    proposal, village = _matter(session, actor, proposal_id)
    require(actor, village, monitor=True)
    approver = User.__table__.alias("approver")
    rows = session.execute(select(FundExemption, User.name, approver.c.name)
                           .join(User, User.id == FundExemption.user_id)
                           .join(approver, approver.c.id == FundExemption.approved_by)
                           .where(FundExemption.proposal_id == proposal.id).order_by(FundExemption.id)).all()
    return [ExemptionRow(e.user_id, name, F.REASONS[e.reason], e.note, a) for e, name, a in rows]


def account_text(session: Session, proposal: Proposal) -> str:
    """The fund's account as a section of the matter's 实施结果公开 (empty when it has none)."""
    s = _summary(session, proposal)
    if s is None:
        return ""
    return (f"\n\n## 筹资筹劳\n\n- 应筹资 {yuan(s.due)} 元（{s.households} 户 {s.persons} 人，减免 {s.exempted} 人），"
            f"已收 {yuan(s.paid)} 元\n"
            f"- 一事一议资金：收入 {yuan(s.account.raised)} 元，支出 {yuan(s.account.spent)} 元，"
            f"结余 {yuan(s.account.balance)} 元\n"
            f"- 应投劳 {s.labour_due} 个工日，已投劳 {s.labour_done} 个工日\n")
