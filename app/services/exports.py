"""Spreadsheets people take away (导出): a closed vote's result with its ballot box, receipts and
sign-in list, the village's published notices of a period (its members and monitors), and the
village's member list for its committee. Each export is audited (who took which file), so a download
is a POST: no GET writes to the database.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.domain import books as B
from app.domain import notices as N
from app.domain.calendar import format_local, month_start_utc
from app.domain.spreadsheet import safe_row
from app.models import Ballot, BallotBox, Notice, Objection, PaperAttendance, User, Village
from app.services import audit, ballots, members, notices, votes
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid

MEMBER_LIMIT = 20_000
PAGE = 200


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(safe_row(row) if any(isinstance(v, str) for v in row) else row)


def _bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def vote_workbook(session: Session, actor: Actor | None, sid: int) -> tuple[str, bytes]:
    """A closed vote as a workbook: 结果, 票箱 (the online choices in the box's order), 回执 (sorted),
    and, for the village's members and monitors, 签到 (who signed in at the paper count)."""
    vs, village, insider = votes.read_session(session, actor, sid)
    result = votes.result_for(vs, insider)
    if result is None:
        raise Conflict("表决结束后才能导出结果")
    wb = Workbook()
    wb.remove(wb.active)
    quorum = result["quorum"]
    rows = [["表决事项", vs.question], ["结果", "通过" if result["passed"] else "未通过"],
            ["应到人数", result["electorate"]], ["实到人数", quorum["present"]],
            ["法定人数", f"{quorum['required']}（{'符合' if quorum['met'] else '不符合'}）"],
            *[[f"“{c['option']}”票数", c["count"]] for c in result["counts"]], ["无效票", result["invalid"]],
            ["依据", result.get("summary", "")], ["表决指纹", vs.fingerprint or ""],
            ["结束时间（北京）", format_local(vs.closed_at)]]
    _sheet(wb, "结果", ["项目", "内容"], rows)
    box = BallotBox if vs.secret else Ballot
    choices = session.execute(select(box.choice).where(box.vote_session_id == vs.id).order_by(box.id)).scalars()
    _sheet(wb, "票箱", ["序号", "选择"], [[n, vs.options[c]] for n, c in enumerate(choices, start=1)])
    receipts = session.execute(select(box.receipt).where(box.vote_session_id == vs.id).order_by(box.receipt))
    _sheet(wb, "回执", ["回执号"], [[r] for r in receipts.scalars()])
    if insider:
        names = session.execute(select(User.name).join(PaperAttendance, PaperAttendance.user_id == User.id)
                                .where(PaperAttendance.vote_session_id == vs.id).order_by(User.name)).scalars()
        _sheet(wb, "签到", ["姓名"], [[n] for n in names])
    audit.record(session, village_id=village.id, actor_id=actor.id if actor else None, action="export.vote",
                 entity="vote", entity_id=vs.id, data={"ballots": ballots.turnout(session, vs)})
    session.commit()
    return f"表决结果-{vs.id}.xlsx", _bytes(wb)


def members_workbook(session: Session, actor: Actor | None, village: Village) -> tuple[str, bytes]:
    """The member list for the committee (full phone numbers are theirs to see): name, phone, birth
    date, gender, household, group, roles, account state."""
    actor = require(actor, village, *members.MANAGERS)
    everyone, number = [], 1
    while len(everyone) < MEMBER_LIMIT:
        page = members.list_members(session, actor, village, page=number, per_page=PAGE)
        everyone += page.items
        if not page.has_next:
            break
        number += 1
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "村民名册", ["姓名", "手机号", "出生日期", "性别", "户号", "村民小组", "身份", "账号"], [
        [m.name, m.phone, m.birth_date.isoformat() if m.birth_date else "", m.gender or "", m.household or "",
         m.group or "", "、".join(m.role_names), "已激活" if m.status == "active" else "未激活"]
        for m in everyone])
    audit.record(session, village_id=village.id, actor_id=actor.id, action="export.members", entity="village",
                 entity_id=village.id, data={"rows": len(everyone)})
    session.commit()
    return f"{village.name}村民名册.xlsx", _bytes(wb)


MAX_MONTHS = 36  # the longest period one notices export covers


def parse_month(text: str, field: str) -> date:
    """"2026-11" as that month's first day (domain/books.parse_period); a clear error otherwise."""
    period = B.parse_period(text)
    if period is None:
        raise Invalid("月份格式应为 2026-11", field=field)
    return date(int(period[:4]), int(period[5:]), 1)


def notices_workbook(session: Session, actor: Actor | None, village: Village, start: date, end: date
                     ) -> tuple[str, bytes]:
    """The village's notices published from the month of `start` to the month of `end` (Beijing
    calendar), oldest first, for its members and the township's monitors: category, kind, title,
    accounting month, publication and window, who published and who reviewed it, the content hash,
    objections raised and answered, whether it was corrected, and its text."""
    actor = require(actor, village, monitor=True)
    if end < start:
        raise Invalid("结束月份不能早于开始月份", field="to")
    if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        raise Invalid(f"一次最多导出 {MAX_MONTHS} 个月", field="to")
    after = date(end.year + end.month // 12, end.month % 12 + 1, 1)  # the month after the period
    publisher, reviewer = aliased(User), aliased(User)
    raised = (select(Objection.notice_id, func.count().label("raised"),
                     func.count(Objection.replied_at).label("replied"))
              .where(Objection.village_id == village.id).group_by(Objection.notice_id).subquery())
    newer = aliased(Notice)
    corrected = select(newer.id).where(newer.supersedes_id == Notice.id, notices.is_visible(newer.state)).exists()
    rows = session.execute(
        select(Notice, publisher.name, reviewer.name, func.coalesce(raised.c.raised, 0),
               func.coalesce(raised.c.replied, 0), corrected)
        .outerjoin(publisher, publisher.id == Notice.published_by)
        .outerjoin(reviewer, reviewer.id == Notice.reviewed_by)
        .outerjoin(raised, raised.c.notice_id == Notice.id)
        .where(Notice.village_id == village.id, notices.is_visible(Notice.state),
               Notice.published_at >= month_start_utc(start), Notice.published_at < month_start_utc(after))
        .order_by(Notice.published_at, Notice.id)).all()
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "公开", ["类别", "种类", "标题", "会计期间", "发布时间（北京）", "公示至（北京）", "发布人", "审核人",
                      "内容指纹（SHA-256）", "质询", "已答复", "已被更正", "内容"], [
        [N.CATEGORIES.get(n.category, n.category), N.KINDS.get(n.kind, n.kind), n.title, n.period or "",
         format_local(n.published_at), format_local(n.window_until), who or "", checked or "", n.content_hash or "",
         asked, answered, "是" if fixed else "", n.body]
        for n, who, checked, asked, answered, fixed in rows])
    span = start.strftime("%Y-%m") + ("" if end == start else "至" + end.strftime("%Y-%m"))
    audit.record(session, village_id=village.id, actor_id=actor.id, action="export.notices", entity="village",
                 entity_id=village.id, data={"from": start.strftime("%Y-%m"), "to": end.strftime("%Y-%m"),
                                             "rows": len(rows)})
    session.commit()
    return f"{village.name}公开记录-{span}.xlsx", _bytes(wb)
