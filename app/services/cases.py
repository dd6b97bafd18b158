"""The township's cases (乡镇督办) and confidential reports (举报).

Cases. An objection (质询) unanswered past its deadline becomes a case of its village's township by
itself: `escalate_due` (a timed job, services/jobs.py) adds a `township_case` row for each, once, and
records "objection.escalate" in the village's chain. What the case is about is read from the
objection; the row holds the township's handling. The township's own monitors list the open cases,
oldest first, and answer one (the objector and the village read the answer beside the objection) or
direct the village to answer by a deadline (its committee is notified). The village may still reply
to the objection as usual.

Reports. A member of a village writes a concern straight to the township's monitors. Only its
author and the township's monitors (and admins) ever see it: to the village's committee and every
other villager it does not exist (404). Its audit events go to the platform chain and name ids only
— never the body, never the author (the event has no actor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import cases as C
from app.domain.calendar import format_date, from_local
from app.domain.roles import COMMITTEE
from app.models import (
    PLATFORM_CHAIN,
    MemberRole,
    Membership,
    Notice,
    Objection,
    Report,
    ReportReply,
    Township,
    TownshipCase,
    TownshipMonitor,
    User,
    Village,
)
from app.services import audit, notifications
from app.services.access import Actor, require_login
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.pagination import Page, paginate


def _overseen(session: Session, actor: Actor | None, township_id: int) -> Actor:
    """The township's own monitors and admins; to anyone else its cases and reports do not exist."""
    actor = require_login(actor)
    if (not actor.is_admin and township_id not in actor.monitor_of) or session.get(Township, township_id) is None:
        raise NotFound("找不到这个乡镇")
    return actor


def _monitors(session: Session, township_ids: set[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {tid: [] for tid in township_ids}
    if township_ids:
        for tid, uid in session.execute(select(TownshipMonitor.township_id, TownshipMonitor.user_id)
                                        .where(TownshipMonitor.township_id.in_(township_ids))).all():
            found[tid].append(uid)
    return found


def _committee(session: Session, village_id: int) -> list[int]:
    return list(session.execute(select(Membership.user_id).join(MemberRole, MemberRole.membership_id == Membership.id)
                                .where(MemberRole.village_id == village_id, MemberRole.role == COMMITTEE)).scalars())


def _objection_url(slug: str, notice_id: int, objection_id: int) -> str:
    return f"/v/{slug}/notices/{notice_id}#o{objection_id}"


# --- escalation ---------------------------------------------------------------------------------

def escalate_due(session: Session) -> int:
    """Make a case of every objection past its deadline with no reply and no case yet; returns how many
    were made. Idempotent: the unique objection_id refuses a second case, whoever runs at once."""
    now = utcnow()
    due = session.execute(
        select(Objection.id, Objection.notice_id, Objection.author_id, Village.id, Village.township_id,
               Village.name, Village.slug, Notice.title)
        .join(Village, Village.id == Objection.village_id).join(Notice, Notice.id == Objection.notice_id)
        .where(Objection.replied_at.is_(None), Objection.due_at < now,
               ~select(TownshipCase.id).where(TownshipCase.objection_id == Objection.id).exists())
        .order_by(Objection.due_at, Objection.id)
    ).all()
    monitors = _monitors(session, {row[4] for row in due})
    session.rollback()  # end the read before the writes: each case is its own short transaction
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    made = 0
    for oid, nid, author_id, vid, tid, village_name, slug, title in due:
        case_id = session.execute(
            insert(TownshipCase).values(township_id=tid, village_id=vid, objection_id=oid, escalated_at=now,
                                        state=C.OPEN)
            .on_conflict_do_nothing(index_elements=["objection_id"]).returning(TownshipCase.id)
        ).scalar_one_or_none()
        if case_id is None:
            session.rollback()
            continue
        audit.record(session, village_id=vid, actor_id=None, action="objection.escalate", entity="objection",
                     entity_id=oid, data={"case_id": case_id, "notice_id": nid, "township_id": tid})
        notifications.notify(session, author_id, vid, f"你对《{title}》的质询逾期未答复，已转乡镇处理",
                             _objection_url(slug, nid, oid))
        for uid in monitors.get(tid, []):
            notifications.notify(session, uid, None, f"{village_name}有一条质询逾期未答复，已转乡镇处理",
                                 f"/townships/{tid}/cases")
        session.commit()
        made += 1
    return made


# --- reading cases ------------------------------------------------------------------------------

@dataclass
class CaseView:
    """A case as its readers see it: the objection it is about, and what the township did."""

    case: TownshipCase
    objection: Objection
    notice_title: str
    village_name: str
    village_slug: str
    author_name: str
    answerer_name: str | None
    director_name: str | None

    @property
    def village_replied(self) -> bool:
        return self.objection.replied_at is not None

    @property
    def overdue_direction(self) -> bool:
        return C.direction_overdue(self.case.state, self.village_replied, self.case.directed_due_at, utcnow())

    @property
    def status(self) -> C.Status:
        return C.status(self.case.state, self.village_replied, self.overdue_direction)

    @property
    def state_name(self) -> str:
        return C.CASE_STATES[self.case.state]

    @property
    def may_answer(self) -> bool:
        return C.may_answer(self.case.state)

    @property
    def may_direct(self) -> bool:
        return C.may_direct(self.case.state, self.village_replied)

    @property
    def href(self) -> str:
        return _objection_url(self.village_slug, self.objection.notice_id, self.objection.id)


def _case_query():
    author, answerer, director = (User.__table__.alias(n) for n in ("author", "answerer", "director"))
    return (select(TownshipCase, Objection, Notice.title, Village.name, Village.slug, author.c.name, answerer.c.name,
                   director.c.name)
            .join(Objection, Objection.id == TownshipCase.objection_id)
            .join(Notice, Notice.id == Objection.notice_id)
            .join(Village, Village.id == TownshipCase.village_id)
            .join(author, author.c.id == Objection.author_id)
            .join(answerer, answerer.c.id == TownshipCase.answered_by, isouter=True)
            .join(director, director.c.id == TownshipCase.directed_by, isouter=True))


def _attention():
    """The SQL of `domain.cases.needs_attention`."""
    return or_(TownshipCase.state == C.OPEN, and_(TownshipCase.state == C.DIRECTED, Objection.replied_at.is_(None)))


def township_cases(session: Session, actor: Actor | None, township_id: int, *, open_only: bool = True,
                   page: int = 1, per_page: int = 20) -> Page[CaseView]:
    """The township's cases, oldest first; `open_only`: those still waiting on the township or on a
    directed village. Its monitors and admins (three queries)."""
    _overseen(session, actor, township_id)
    stmt = _case_query().where(TownshipCase.township_id == township_id)
    if open_only:
        stmt = stmt.where(_attention())
    raw = paginate(session, stmt.order_by(TownshipCase.escalated_at, TownshipCase.id), page, per_page,
                   scalars=False)
    return Page([CaseView(*row) for row in raw.items], raw.total, raw.page, raw.per_page)


def _one(session: Session, where) -> CaseView | None:
    row = session.execute(_case_query().where(where)).first()
    return CaseView(*row) if row else None


def case_view(session: Session, actor: Actor | None, case_id: int, township_id: int | None = None) -> CaseView:
    """One case for the township's monitors and admins (`township_id`: the page's township, if any)."""
    actor = require_login(actor)
    view = _one(session, TownshipCase.id == case_id)
    if view is None or township_id not in (None, view.case.township_id):
        raise NotFound("找不到这件督办事项")
    _overseen(session, actor, view.case.township_id)
    return view


def case_of_objection(session: Session, actor: Actor | None, objection_id: int) -> CaseView:
    """The case an objection became, for whoever reads the objection (the village's members, its
    township's monitors, admins)."""
    actor = require_login(actor)
    view = _one(session, TownshipCase.objection_id == objection_id)
    if view is None:
        raise NotFound("这条质询没有转到乡镇")
    if not (actor.is_admin or actor.is_member(view.case.village_id) or view.case.township_id in actor.monitor_of):
        raise NotFound("这条质询没有转到乡镇")
    return view


def open_counts(session: Session, township_id: int) -> dict[int, int]:
    """Per village of a township: cases still waiting on the township or a directed village (one query)."""
    return dict(session.execute(
        select(TownshipCase.village_id, func.count()).join(Objection, Objection.id == TownshipCase.objection_id)
        .where(TownshipCase.township_id == township_id, _attention()).group_by(TownshipCase.village_id)
    ).all())


# --- the township acts --------------------------------------------------------------------------

def answer(session: Session, actor: Actor | None, case_id: int, text: str, *,
           township_id: int | None = None) -> CaseView:
    """The monitor answers the case; the objector is notified and reads it beside the objection."""
    view = case_view(session, actor, case_id, township_id)
    assert actor is not None
    text = (text or "").strip()
    problem = C.text_problem("答复", text, C.ANSWER_MAX)
    if problem:
        raise Invalid(problem, field="answer")
    moved = session.execute(update(TownshipCase).where(TownshipCase.id == case_id,
                                                       TownshipCase.state.in_((C.OPEN, C.DIRECTED)))
                            .values(state=C.ANSWERED, answer=text, answered_by=actor.id, answered_at=utcnow()))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("这件已经由乡镇答复过了")
    o = view.objection
    audit.record(session, village_id=view.case.village_id, actor_id=actor.id, action="case.answer", entity="case",
                 entity_id=case_id, data={"objection_id": o.id, "notice_id": o.notice_id})
    for uid in {o.author_id, *_committee(session, view.case.village_id)}:
        text_for = (f"乡镇答复了你对《{view.notice_title}》的质询" if uid == o.author_id
                    else f"乡镇答复了对《{view.notice_title}》的一条质询")
        notifications.notify(session, uid, view.case.village_id, text_for, view.href)
    session.commit()
    return case_view(session, actor, case_id)


def direct(session: Session, actor: Actor | None, case_id: int, note: str, due: date | None, *,
           township_id: int | None = None) -> CaseView:
    """The monitor directs the village to answer by `due` (Beijing date, to the end of that day); its
    committee and the objector are notified."""
    view = case_view(session, actor, case_id, township_id)
    assert actor is not None
    note = (note or "").strip()
    errors = {}
    if problem := C.text_problem("督办意见", note, C.NOTE_MAX):
        errors["note"] = problem
    if problem := C.direct_due_problem(due, local_today()):
        errors["due_date"] = problem
    if errors:
        raise Invalid("；".join(errors.values()), errors=[{"field": k, "message": m} for k, m in errors.items()])
    assert due is not None
    if view.village_replied:
        raise Conflict("村委会已经答复了这条质询，不用再督促；可以直接答复")
    due_at = from_local(datetime(due.year, due.month, due.day)) + timedelta(days=1, seconds=-1)
    moved = session.execute(update(TownshipCase).where(TownshipCase.id == case_id, TownshipCase.state == C.OPEN)
                            .values(state=C.DIRECTED, direction=note, directed_by=actor.id, directed_at=utcnow(),
                                    directed_due_at=due_at))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("这件已经处理过了")
    o = view.objection
    audit.record(session, village_id=view.case.village_id, actor_id=actor.id, action="case.direct", entity="case",
                 entity_id=case_id, data={"objection_id": o.id, "notice_id": o.notice_id, "due": due.isoformat()})
    day = format_date(due)
    for uid in _committee(session, view.case.village_id):
        notifications.notify(session, uid, view.case.village_id,
                             f"乡镇督促：请在 {day} 前答复对《{view.notice_title}》的质询", view.href)
    notifications.notify(session, o.author_id, view.case.village_id,
                         f"乡镇已督促村委会在 {day} 前答复你对《{view.notice_title}》的质询", view.href)
    session.commit()
    return case_view(session, actor, case_id)


# --- reports (举报) ------------------------------------------------------------------------------

@dataclass
class ReplyView:
    reply: ReportReply
    author_name: str


@dataclass
class ReportView:
    """A report as its author or the township's monitors read it, with its replies in order."""

    report: Report
    village_name: str
    author_name: str
    replies: list[ReplyView] = field(default_factory=list)

    @property
    def state_name(self) -> str:
        return C.REPORT_STATES[self.report.state]


def report_author(actor: Actor | None, village: Village) -> Actor:
    """Who may report a concern from this village: its members (its monitors and admins: 403; anyone else: 404)."""
    actor = require_login(actor)
    if actor.is_member(village.id):
        return actor
    if actor.is_admin or actor.monitors(village):
        raise Forbidden("只有本村村民可以向乡镇反映")
    raise NotFound("找不到这个村")


def create_report(session: Session, actor: Actor | None, village: Village, body: str) -> Report:
    """A member reports a concern to the township's monitors, who are notified. The audit event is in
    the platform chain, with no actor and ids only."""
    actor = report_author(actor, village)
    body = (body or "").strip()
    if problem := C.text_problem("反映的内容", body, C.REPORT_MAX):
        raise Invalid(problem, field="body")
    now = utcnow()
    recent = session.execute(select(func.count()).select_from(Report).where(
        Report.author_id == actor.id, Report.created_at > now - timedelta(days=1))).scalar_one()
    if recent >= C.REPORTS_PER_DAY:
        raise Conflict(f"24 小时内最多反映 {C.REPORTS_PER_DAY} 件，请明天再来")
    report = Report(township_id=village.township_id, village_id=village.id, author_id=actor.id, body=body,
                    created_at=now, state=C.REPORT_OPEN)
    session.add(report)
    session.flush()
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=None, action="report.create", entity="report",
                 entity_id=report.id, data={"township_id": village.township_id, "village_id": village.id})
    for uid in _monitors(session, {village.township_id})[village.township_id]:
        notifications.notify(session, uid, None, f"{village.name}有村民向乡镇反映了一件事",
                             f"/townships/{village.township_id}/reports/{report.id}")
    session.commit()
    return report


def _views(session: Session, rows) -> list[ReportView]:
    """Report rows (report, village name, author name) with their replies (one more query)."""
    views = [ReportView(r, v, a) for r, v, a in rows]
    by_id = {view.report.id: view for view in views}
    if by_id:
        for reply, name in session.execute(
            select(ReportReply, User.name).join(User, User.id == ReportReply.author_id)
            .where(ReportReply.report_id.in_(by_id)).order_by(ReportReply.id)
        ).all():
            by_id[reply.report_id].replies.append(ReplyView(reply, name))
    return views


def _report_query():
    return (select(Report, Village.name, User.name).join(Village, Village.id == Report.village_id)
            .join(User, User.id == Report.author_id))


def my_reports(session: Session, actor: Actor | None, *, page: int = 1, per_page: int = 20) -> Page[ReportView]:
    """The reports this person wrote, newest first, with the township's replies."""
    actor = require_login(actor)
    stmt = _report_query().where(Report.author_id == actor.id).order_by(Report.created_at.desc(), Report.id.desc())
    raw = paginate(session, stmt, page, per_page, scalars=False)
    return Page(_views(session, raw.items), raw.total, raw.page, raw.per_page)


def township_reports(session: Session, actor: Actor | None, township_id: int, *, open_only: bool = True,
                     page: int = 1, per_page: int = 20) -> Page[ReportView]:
    """The township's reports for its monitors: `open_only` those not yet replied to, oldest first;
    otherwise all, newest first."""
    _overseen(session, actor, township_id)
    stmt = _report_query().where(Report.township_id == township_id)
    if open_only:
        stmt = stmt.where(Report.state == C.REPORT_OPEN).order_by(Report.created_at, Report.id)
    else:
        stmt = stmt.order_by(Report.created_at.desc(), Report.id.desc())
    raw = paginate(session, stmt, page, per_page, scalars=False)
    return Page(_views(session, raw.items), raw.total, raw.page, raw.per_page)


def open_reports(session: Session, township_id: int) -> dict[int, int]:
    """Per village of a township: reports waiting for a reply (one query; for its monitors only)."""
    return dict(session.execute(select(Report.village_id, func.count()).where(
        Report.township_id == township_id, Report.state == C.REPORT_OPEN).group_by(Report.village_id)).all())


def report_view(session: Session, actor: Actor | None, report_id: int, township_id: int | None = None
                ) -> ReportView:
    """One report: for its author and the township's monitors (and admins). To anyone else — the
    village's committee included — it does not exist (`township_id`: the page's township, if any)."""
    actor = require_login(actor)
    row = session.execute(_report_query().where(Report.id == report_id)).first()
    if (row is None or township_id not in (None, row[0].township_id)
            or not (actor.id == row[0].author_id or actor.is_admin or row[0].township_id in actor.monitor_of)):
        raise NotFound("找不到这件反映")
    return _views(session, [row])[0]


def township_report(session: Session, actor: Actor | None, township_id: int, report_id: int) -> ReportView:
    """A report as the township's page shows it: its monitors and admins only (its author reads it
    under /me/reports)."""
    _overseen(session, actor, township_id)
    return report_view(session, actor, report_id, township_id)


def reply_report(session: Session, actor: Actor | None, report_id: int, body: str, *,
                 township_id: int | None = None) -> ReportView:
    """A monitor of the township replies; the author is notified. Audited in the platform chain (ids only)."""
    view = report_view(session, actor, report_id, township_id)
    assert actor is not None
    report = view.report
    if not (actor.is_admin or report.township_id in actor.monitor_of):
        raise Forbidden("只有乡镇监督员可以答复")
    body = (body or "").strip()
    if problem := C.text_problem("答复", body, C.ANSWER_MAX):
        raise Invalid(problem, field="body")
    reply = ReportReply(report_id=report.id, author_id=actor.id, body=body, created_at=utcnow())
    session.add(reply)
    session.execute(update(Report).where(Report.id == report.id).values(state=C.REPORT_REPLIED))
    session.flush()
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor.id, action="report.reply", entity="report",
                 entity_id=report.id, data={"township_id": report.township_id, "reply_id": reply.id})
    notifications.notify(session, report.author_id, None, "乡镇答复了你反映的问题", f"/me/reports#r{report.id}")
    session.commit()
    session.expire_all()
    return report_view(session, actor, report_id)
