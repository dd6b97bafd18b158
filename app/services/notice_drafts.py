"""Notices other features ask for, connected in services/flows.py: a closed vote drafts its 决议公开, a
finished implementation drafts its 实施结果公开, a closed month of the books drafts its 财务收支公开,
and a proposal in a notice stage asks whether its notice is published and its window over. The drafts
go through review like any other. Their posting days are the default for the category on the day they are
drafted (`notices.default_days`: at least the law's floor), so the law never refuses them; one published
later under a higher floor is extended when it is published.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import books as B
from app.domain import notices as N
from app.domain import procedures as P
from app.domain.money import yuan
from app.models import AccountPeriod, Notice, Objection, Proposal, Village, VoteSession
from app.services import audit, statements
from app.services.notices import VISIBLE


def _notice_stage_after(proposal: Proposal, stage: str) -> str | None:
    proc = P.PROCEDURES[proposal.procedure]
    keys = [s.key for s in proc.stages]
    for s in proc.stages[keys.index(stage) + 1:] if stage in keys else []:
        if s.kind is P.Kind.NOTICE:
            return s.key
        if s.kind is not P.Kind.NOTICE:
            break
    return None


def draft_resolution(session: Session, vs: VoteSession) -> Notice | None:
    """When a vote closes: a draft 决议公开 with the result, quorum and rule (goes through review)."""
    proposal = session.get(Proposal, vs.proposal_id)
    if proposal is None or not vs.result:
        return None
    r = vs.result
    counts = "；".join(f"{c['option']} {c['count']} 票" for c in r["counts"])
    quorum = r["quorum"]
    body = (
        f"## 表决事项\n\n{vs.question}\n\n"
        f"## 表决结果\n\n- 结果：**{'通过' if r['passed'] else '未通过'}**\n- 计票：{counts}；无效 {r['invalid']} 票\n"
        f"- 应到 {r['electorate']} 人，实到 {quorum['present']} 人（法定人数 {quorum['required']} 人，"
        f"{'符合' if quorum['met'] else '不符合'}）\n\n"
        f"## 依据\n\n{r['summary']}\n\n表决指纹：`{vs.fingerprint}`\n"
    )
    stage = _notice_stage_after(proposal, vs.stage)
    now = utcnow()
    notice = Notice(village_id=vs.village_id, category=N.VILLAGE, kind="resolution",
                    title=f"关于《{proposal.title}》的表决结果公示", body=body,
                    days=N.default_days(N.VILLAGE, local_today()), author_id=None,
                    proposal_id=proposal.id, proposal_stage=stage, vote_session_id=vs.id, created_at=now,
                    updated_at=now)
    session.add(notice)
    session.flush()
    audit.record(session, village_id=vs.village_id, actor_id=None, action="notice.auto_draft", entity="notice",
                 entity_id=notice.id, data={"vote_session_id": vs.id, "kind": "resolution"})
    return notice


# Filled by services/flows.py: sections other features add to a matter's 实施结果公开 (the fund's
# account of a 一事一议 matter). Each takes (session, proposal) and returns Markdown, or "".
RESULT_SECTIONS: list = []


def draft_implementation_result(session: Session, proposal: Proposal, old: str, new: str, actor_id: int | None) -> None:
    """When implementation is accepted (or a 四议两公开 matter is carried out): a draft 实施结果公开."""
    proc = P.PROCEDURES[proposal.procedure]
    try:
        left = proc.stage(old)
    except KeyError:
        return
    if left.kind not in (P.Kind.ACCEPTANCE, P.Kind.IMPLEMENTATION) or new in (P.REJECTED, P.WITHDRAWN, P.DRAFT):
        return
    if left.kind is P.Kind.IMPLEMENTATION and proc.stage(new).kind is not P.Kind.NOTICE:
        return  # 一事一议: the result is published after acceptance, not before
    now = utcnow()
    stage = new if new != P.CLOSED and proc.stage(new).kind is P.Kind.NOTICE else None
    extra = "".join(section(session, proposal) for section in RESULT_SECTIONS)
    notice = Notice(village_id=proposal.village_id, category=N.VILLAGE, kind="implementation",
                    title=f"《{proposal.title}》实施结果公开",
                    body=f"事项《{proposal.title}》已{'验收' if left.kind is P.Kind.ACCEPTANCE else '实施'}完毕。\n\n"
                         f"请村委会补充：完成情况、实际收支、验收意见。{extra}",
                    days=N.default_days(N.VILLAGE, local_today()), author_id=None,
                    proposal_id=proposal.id, proposal_stage=stage, created_at=now, updated_at=now)
    session.add(notice)
    session.flush()
    audit.record(session, village_id=proposal.village_id, actor_id=actor_id, action="notice.auto_draft",
                 entity="notice", entity_id=notice.id, data={"proposal_id": proposal.id, "kind": "implementation"})


def stage_done(session: Session, proposal: Proposal, stage: str) -> bool:
    """The proposal's notice stage, by `domain.notices.stage_complete`: the notices of it for this
    stage and every correction of them, their latest versions' windows, and their objections."""
    versions = set(session.execute(select(Notice.id).where(
        Notice.proposal_id == proposal.id, Notice.proposal_stage == stage, Notice.state.in_(VISIBLE))).scalars())
    if not versions:
        return N.stage_complete(published=False, window_ended=False, unanswered_objections=0)
    frontier = set(versions)
    while frontier:  # corrections of corrections: a chain is a handful of versions
        frontier = set(session.execute(select(Notice.id).where(
            Notice.supersedes_id.in_(frontier), Notice.state.in_(VISIBLE))).scalars()) - versions
        versions |= frontier
    superseded = set(session.execute(select(Notice.supersedes_id).where(
        Notice.id.in_(versions), Notice.supersedes_id.is_not(None))).scalars())
    latest = versions - superseded
    ended = session.execute(select(func.count()).select_from(Notice).where(
        Notice.id.in_(latest), Notice.window_until <= utcnow())).scalar_one() == len(latest)
    unanswered = session.execute(select(func.count()).select_from(Objection).where(
        Objection.notice_id.in_(versions), Objection.replied_at.is_(None))).scalar_one()
    return N.stage_complete(published=True, window_ended=ended, unanswered_objections=unanswered)


# --- the month's finance notice, drawn from the books -------------------------------------------

def _finance_body(s: statements.Statement, slug: str) -> str:
    """财务收支公开 in Markdown: money in hand, income and expense voucher by voucher, the trial balance."""
    label = B.period_label(s.period)
    out = [f"本公开由村账簿结账时自动生成，依据{label}已记账的 {s.vouchers} 张记账凭证。"
           f"凭证和原始凭证可在本村“账务”中查看：/v/{slug}/accounts/periods/{s.period}\n"]
    if s.cash is not None:
        c = s.cash
        out.append("## 一、本月资金\n\n| 上月结余 | 本月收入 | 本月支出 | 本月结余 |\n|---:|---:|---:|---:|\n"
                   f"| {yuan(c.opening)} | {yuan(c.received)} | {yuan(c.paid)} | {yuan(c.closing)} |\n\n"
                   f"上月结余 {yuan(c.opening)} 元 + 本月收入 {yuan(c.received)} 元 − 本月支出 {yuan(c.paid)} 元 = "
                   f"本月结余 {yuan(c.closing)} 元（库存现金和银行存款，单位：元）。\n")
    sections = (("二、收入明细", s.income, s.income_total), ("三、支出明细", s.expense, s.expense_total))
    for heading, groups, total in sections:
        out.append(f"## {heading}\n")
        if not groups:
            out.append("本月没有。\n")
            continue
        out.append("| 科目 | 凭证号 | 摘要 | 金额（元） | 原始凭证 |\n|---|---|---|---:|---:|")
        for g in groups:
            for line in g.lines:
                out.append(f"| {g.code} {g.name} | 记字第 {line.number} 号 | {_cell(line.summary)} | "
                           f"{yuan(line.amount)} | {line.receipts} 张 |")
            out.append(f"| **{g.name}小计** | | | **{yuan(g.total)}** | |")
        out.append(f"| **合计** | | | **{yuan(total)}** | |\n")
    out.append("## 四、科目余额表\n\n单位：元。余额按科目的余额方向列示。\n\n"
               "| 科目编号 | 科目名称 | 期初余额 | 本期借方 | 本期贷方 | 期末余额 |\n|---|---|---:|---:|---:|---:|")
    for r in s.top_rows:
        if not r.quiet:
            out.append(f"| {r.account.code} | {r.account.name} | {yuan(r.opening)} | {yuan(r.debit)} | "
                       f"{yuan(r.credit)} | {yuan(r.closing)} |")
    t = s.totals
    out.append(f"| | **合计** | 借 {yuan(t['opening_debit'])} / 贷 {yuan(t['opening_credit'])} | "
               f"**{yuan(t['debit'])}** | **{yuan(t['credit'])}** | "
               f"借 {yuan(t['closing_debit'])} / 贷 {yuan(t['closing_credit'])} |\n")
    out.append("原始凭证上的个人姓名、身份证号和银行账号只对本村村民显示；对外只公开摘要和金额。")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")


def draft_finance(session: Session, village: Village, row: AccountPeriod, s: statements.Statement,
                  actor_id: int | None) -> Notice:
    """When a month is closed: its 财务收支公开, drafted from the books, to go through review. Closing a
    reopened month again rewrites a draft not yet published, or drafts a correction of a published one."""
    title = f"{village.name}{B.period_label(s.period)}财务收支公开"
    body = _finance_body(s, village.slug)
    now = utcnow()
    old = session.get(Notice, row.notice_id) if row.notice_id else None
    if old is not None and old.state not in VISIBLE:
        old.title, old.body, old.state, old.updated_at = title, body, N.DRAFT, now
        old.days = N.publish_days(old.category, old.days, local_today())
        old.review_note = "账目重新结账，已按账簿更新，请重新审核" if old.reviewed_by else None
        audit.record(session, village_id=village.id, actor_id=actor_id, action="notice.auto_draft", entity="notice",
                     entity_id=old.id, data={"period": s.period, "kind": "finance", "rewritten": True})
        return old
    notice = Notice(village_id=village.id, category=N.FINANCE, kind="correction" if old else "general",
                    title=("更正：" if old else "") + title, body=body,
                    days=N.default_days(N.FINANCE, local_today()), author_id=None,
                    period=s.period, supersedes_id=old.id if old else None, created_at=now, updated_at=now)
    session.add(notice)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor_id, action="notice.auto_draft", entity="notice",
                 entity_id=notice.id, data={"period": s.period, "kind": "finance", "supersedes": notice.supersedes_id})
    return notice
