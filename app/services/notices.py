"""The three publications (三公开, 民主监事): drafting, review by the supervisory committee,
publication with a window and a content hash, corrections as new versions, objections (质询)
and replies, the publication calendar — and the hooks that tie notices to proposals and votes.

A published notice never changes: the service refuses it and a database trigger refuses it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.domain import notices as N
from app.domain import procedures as P
from app.domain.calendar import SHANGHAI
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, VILLAGER
from app.models import (
    Attachment,
    Notice,
    Objection,
    Proposal,
    Township,
    User,
    Village,
    VoteSession,
)
from app.services import audit, notifications, places, proposals, village_settings
from app.services.access import Actor, require, require_login
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.pagination import Page, paginate

VISIBLE = (N.PUBLISHED, N.CLOSED)


def _errors(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid("；".join(errors.values()), errors=[{"field": k, "message": v} for k, v in errors.items()])


def reply_days(session: Session, village: Village) -> int:
    return village_settings.settings_of(session, village).objection_reply_days


def _staff_roles(category: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(N.DRAFTERS[category] + N.PUBLISHERS[category] + N.REVIEWERS))


def may_see_unpublished(actor: Actor | None, village: Village, notice: Notice) -> bool:
    if actor is None:
        return False
    if actor.is_admin or actor.monitors(village) or notice.author_id == actor.id:
        return True
    return actor.is_member(village.id) and bool(actor.roles.intersection(_staff_roles(notice.category)))


def get(session: Session, actor: Actor | None, notice_id: int) -> tuple[Notice, Village]:
    """Published notices are public; drafts and those under review only to the people handling them."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("找不到这份公开")
    village = places.get_village(session, notice.village_id)
    if notice.state not in VISIBLE and not may_see_unpublished(actor, village, notice):
        raise NotFound("找不到这份公开")
    return notice, village


# --- writing ----------------------------------------------------------------------------------

def create(session: Session, actor: Actor | None, village: Village, *, category: str, title: str, body: str,
           days: int = N.DEFAULT_DAYS, proposal_id: int | None = None, vote_session_id: int | None = None,
           period: str | None = None, kind: str = "general", supersedes: Notice | None = None) -> Notice:
    if category not in N.CATEGORIES:
        raise Invalid("请选择公开类别", field="category")
    actor = require(actor, village, *N.DRAFTERS[category])
    _errors(N.check(category, title, body, days))
    stage = None
    if proposal_id is not None:
        try:
            proposal, pvillage = proposals.get(session, actor, proposal_id)
        except NotFound:  # another village's matter (or none): not "no such village" for the notice
            raise Invalid("只能关联本村的事项", field="proposal_id") from None
        if pvillage.id != village.id:
            raise Invalid("只能关联本村的事项", field="proposal_id")
        current = proposals.stage_of(proposal)
        stage = current.key if current is not None and current.kind is P.Kind.NOTICE else None
    if vote_session_id is not None:
        vs = session.get(VoteSession, vote_session_id)
        if vs is None or vs.village_id != village.id:
            raise Invalid("只能关联本村的表决", field="vote_session_id")
    if period is not None and not _valid_period(period):
        raise Invalid("会计期间格式应为 2026-10", field="period")
    now = utcnow()
    notice = Notice(village_id=village.id, category=category, kind=kind, title=title.strip(), body=body, days=days,
                    author_id=actor.id, proposal_id=proposal_id, proposal_stage=stage,
                    vote_session_id=vote_session_id, period=period,
                    supersedes_id=supersedes.id if supersedes else None, created_at=now, updated_at=now)
    session.add(notice)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="notice.create", entity="notice",
                 entity_id=notice.id, data={"category": category, "kind": kind, "supersedes": notice.supersedes_id})
    session.commit()
    return notice


def _valid_period(period: str) -> bool:
    year, _, month = period.partition("-")
    return year.isdigit() and len(year) == 4 and month.isdigit() and len(month) == 2 and 1 <= int(month) <= 12


def edit(session: Session, actor: Actor | None, notice_id: int, *, title: str, body: str, days: int) -> Notice:
    notice, village = get(session, actor, notice_id)
    actor = require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state != N.DRAFT:
        raise Conflict("只有草稿可以修改；已发布的公开只能发更正")
    _errors(N.check(notice.category, title, body, days))
    notice.title, notice.body, notice.days, notice.updated_at = title.strip(), body, days, utcnow()
    session.add(notice)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="notice.edit", entity="notice",
                 entity_id=notice.id, data={"title_length": len(notice.title)})  # a draft: not its words
    session.commit()
    return notice


def _set_state(session: Session, notice: Notice, old: str, new: str, **values) -> None:
    moved = session.execute(update(Notice).where(Notice.id == notice.id, Notice.state == old)
                            .values(state=new, updated_at=utcnow(), **values))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("这份公开的状态刚刚被别人改变了，请刷新后再试")


def submit(session: Session, actor: Actor | None, notice_id: int) -> Notice:
    """Hand a draft to the supervisory committee for review (村务、财务)."""
    notice, village = get(session, actor, notice_id)
    actor = require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state != N.DRAFT:
        raise Conflict("只有草稿可以提交审核")
    if notice.category not in N.NEEDS_REVIEW:
        raise Conflict("党务公开由村党组织直接发布，不需要审核")
    _set_state(session, notice, N.DRAFT, N.SUBMITTED, review_note=None)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="notice.submit", entity="notice",
                 entity_id=notice.id)
    session.commit()
    session.refresh(notice)
    return notice


def review(session: Session, actor: Actor | None, notice_id: int, *, approve: bool, note: str | None = None
           ) -> Notice:
    """The supervisory committee approves, or returns the draft with its comment."""
    notice, village = get(session, actor, notice_id)
    actor = require(actor, village, SUPERVISOR)
    if notice.author_id == actor.id and not actor.is_admin:
        raise Forbidden("不能审核自己起草的公开，请由村务监督委员会的其他成员审核")
    if notice.state != N.SUBMITTED:
        raise Conflict("这份公开不在待审核状态")
    note = (note or "").strip() or None
    if not approve and not note:
        raise Invalid("退回时请写明意见", field="note")
    if note and len(note) > 500:
        raise Invalid("审核意见最多 500 个字", field="note")
    _set_state(session, notice, N.SUBMITTED, N.APPROVED if approve else N.DRAFT, review_note=note,
               reviewed_by=actor.id, reviewed_at=utcnow())
    audit.record(session, village_id=village.id, actor_id=actor.id,
                 action="notice.approve" if approve else "notice.return", entity="notice", entity_id=notice.id,
                 data={"note": note})
    if notice.author_id and notice.author_id != actor.id:
        text = (f"《{notice.title}》已通过审核，可以发布" if approve
                else f"《{notice.title}》被村务监督委员会退回：{note}")
        notifications.notify(session, notice.author_id, village.id, text, f"/v/{village.slug}/notices/{notice.id}")
    session.commit()
    session.refresh(notice)
    return notice


def publish(session: Session, actor: Actor | None, notice_id: int) -> Notice:
    """Publish: fix the window and the content hash. From then on the notice never changes."""
    notice, village = get(session, actor, notice_id)
    actor = require(actor, village, *N.PUBLISHERS[notice.category])
    ready = N.APPROVED if notice.category in N.NEEDS_REVIEW else N.DRAFT
    if notice.state != ready:
        if notice.category in N.NEEDS_REVIEW and notice.state in (N.DRAFT, N.SUBMITTED):
            raise Conflict("村务、财务公开须经村务监督委员会审核通过后才能发布")
        raise Conflict("这份公开现在不能发布")
    if notice.supersedes_id is not None and session.execute(select(Notice.id).where(
            Notice.supersedes_id == notice.supersedes_id, Notice.id != notice.id,
            Notice.state.in_(VISIBLE))).first() is not None:
        raise Conflict("原公开已经有另一份更正发布了；请在最新版本上重新发更正")
    now = utcnow()
    hashes = [a.sha256 for a in attachments_of(session, notice)]
    start, until = N.window(now, notice.days)
    digest = N.content_hash(notice.title, notice.body, hashes)
    _set_state(session, notice, ready, N.PUBLISHED, published_by=actor.id, published_at=now, window_from=start,
               window_until=until, content_hash=digest)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="notice.publish", entity="notice",
                 entity_id=notice.id, data={"content_hash": digest, "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                            "supersedes": notice.supersedes_id})
    session.commit()
    session.refresh(notice)
    return notice


def correct(session: Session, actor: Actor | None, notice_id: int, *, title: str, body: str,
            days: int | None = None) -> Notice:
    """A correction (更正) is a new notice that supersedes the published one; both stay visible."""
    old, village = get(session, actor, notice_id)
    if old.state not in VISIBLE:
        raise Conflict("只有已发布的公开才能更正；草稿直接修改即可")
    newer = session.execute(select(Notice.id).where(Notice.supersedes_id == old.id, Notice.state != N.DRAFT)).first()
    if newer is not None:
        raise Conflict("这份公开已经有更正版本了，请更正最新的版本")
    return create(session, actor, village, category=old.category, title=title, body=body,
                  days=old.days if days is None else days,
                  proposal_id=old.proposal_id, vote_session_id=old.vote_session_id, period=old.period,
                  kind="correction", supersedes=old)


def close(session: Session, actor: Actor | None, notice_id: int) -> Notice:
    """Mark a notice final once its window has ended and every objection has its reply."""
    notice, village = get(session, actor, notice_id)
    actor = require(actor, village, *N.PUBLISHERS[notice.category])
    if notice.state != N.PUBLISHED:
        raise Conflict("只有公示中的公开才能办结")
    if utcnow() < notice.window_until:
        raise Conflict("公示期还没结束")
    open_count = session.execute(select(func.count()).select_from(Objection).where(
        Objection.notice_id == notice.id, Objection.replied_at.is_(None))).scalar_one()
    if open_count:
        raise Conflict(f"还有 {open_count} 条质询没有答复，不能办结")
    _set_state(session, notice, N.PUBLISHED, N.CLOSED, closed_at=utcnow())
    audit.record(session, village_id=village.id, actor_id=actor.id, action="notice.close", entity="notice",
                 entity_id=notice.id)
    session.commit()
    session.refresh(notice)
    return notice


def attachments_of(session: Session, notice: Notice) -> list[Attachment]:
    return list(session.execute(select(Attachment).where(
        Attachment.owner_type == "notice", Attachment.owner_id == notice.id).order_by(Attachment.id)).scalars())


# --- versions ---------------------------------------------------------------------------------

def versions(session: Session, notice: Notice) -> list[Notice]:
    """Every published version of this notice, oldest first (the chain of corrections)."""
    chain = [notice]
    older = notice
    while older.supersedes_id is not None:
        older = session.get(Notice, older.supersedes_id)
        if older is None:
            break
        chain.insert(0, older)
    newer = notice
    while True:
        nxt = session.execute(select(Notice).where(Notice.supersedes_id == newer.id, Notice.state.in_(VISIBLE))
                              .order_by(Notice.id).limit(1)).scalar_one_or_none()
        if nxt is None:
            break
        chain.append(nxt)
        newer = nxt
    return [n for n in chain if n.state in VISIBLE or n.id == notice.id]


def superseded_by(session: Session, notice: Notice) -> Notice | None:
    return session.execute(select(Notice).where(Notice.supersedes_id == notice.id, Notice.state.in_(VISIBLE))
                           .order_by(Notice.id).limit(1)).scalar_one_or_none()


# --- objections -------------------------------------------------------------------------------

def raise_objection(session: Session, actor: Actor | None, notice_id: int, body: str) -> Objection:
    notice, village = get(session, actor, notice_id)
    actor = require(actor, village, VILLAGER)
    body = (body or "").strip()
    if not body:
        raise Invalid("请写明质询的内容", field="body")
    if len(body) > 2000:
        raise Invalid("质询最多 2000 个字", field="body")
    now = utcnow()
    if notice.state != N.PUBLISHED or not N.in_window(now, notice.window_from, notice.window_until):
        raise Conflict("公示期已过，不能再提出质询；可以向村务监督委员会反映")
    objection = Objection(village_id=village.id, notice_id=notice.id, author_id=actor.id, body=body, created_at=now,
                          due_at=now + timedelta(days=reply_days(session, village)))
    session.add(objection)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="objection.create", entity="objection",
                 entity_id=objection.id, data={"notice_id": notice.id})
    session.commit()
    return objection


def reply(session: Session, actor: Actor | None, objection_id: int, body: str) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("找不到这条质询")
    notice, village = get(session, actor, objection.notice_id)
    actor = require(actor, village, *N.PUBLISHERS[notice.category])
    body = (body or "").strip()
    if not body:
        raise Invalid("请填写答复", field="body")
    if len(body) > 5000:
        raise Invalid("答复最多 5000 个字", field="body")
    moved = session.execute(update(Objection).where(Objection.id == objection.id, Objection.replied_at.is_(None))
                            .values(reply=body, replied_by=actor.id, replied_at=utcnow()))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("这条质询已经答复过了")
    audit.record(session, village_id=village.id, actor_id=actor.id, action="objection.reply", entity="objection",
                 entity_id=objection.id, data={"notice_id": notice.id})
    notifications.notify(session, objection.author_id, village.id, f"你对《{notice.title}》的质询已有答复",
                         f"/v/{village.slug}/notices/{notice.id}#o{objection.id}")
    session.commit()
    session.refresh(objection)
    return objection


@dataclass
class ObjectionView:
    objection: Objection
    author_name: str
    replier_name: str | None
    notice_title: str = ""

    @property
    def overdue(self) -> bool:
        return self.objection.replied_at is None and utcnow() > self.objection.due_at


def sees_objections(actor: Actor | None, village: Village) -> bool:
    """Objections and replies are for the village's members, its monitors and admins: never public."""
    return actor is not None and (actor.is_member(village.id) or actor.is_admin or actor.monitors(village))


def objections_for(session: Session, actor: Actor | None, notice: Notice, village: Village) -> list[ObjectionView]:
    """Objections and replies, for the village's members and monitors (never on the public board)."""
    if not sees_objections(actor, village):
        return []
    author, replier = User.__table__.alias("author"), User.__table__.alias("replier")
    rows = session.execute(
        select(Objection, author.c.name, replier.c.name)
        .join(author, author.c.id == Objection.author_id)
        .join(replier, replier.c.id == Objection.replied_by, isouter=True)
        .where(Objection.notice_id == notice.id).order_by(Objection.id)
    ).all()
    return [ObjectionView(o, a, r) for o, a, r in rows]


def inbox(session: Session, actor: Actor | None, village: Village, *, open_only: bool = True, page: int = 1,
          per_page: int = 20) -> Page[ObjectionView]:
    """The committee's objections to answer (oldest deadline first); monitors see them too."""
    actor = require(actor, village, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, monitor=True)
    author, replier = User.__table__.alias("author"), User.__table__.alias("replier")
    stmt = (select(Objection, author.c.name, replier.c.name, Notice.title)
            .join(Notice, Notice.id == Objection.notice_id)
            .join(author, author.c.id == Objection.author_id)
            .join(replier, replier.c.id == Objection.replied_by, isouter=True)
            .where(Objection.village_id == village.id))
    if open_only:
        stmt = stmt.where(Objection.replied_at.is_(None))
    raw = paginate(session, stmt.order_by(Objection.due_at, Objection.id), page, per_page, scalars=False)
    return Page([ObjectionView(o, a, r, t) for o, a, r, t in raw.items], raw.total, raw.page, raw.per_page)


def overdue_objections(session: Session, actor: Actor | None, township_id: int) -> list[tuple[Village, int]]:
    """Per village of a township: objections unanswered past their deadline (for the monitor)."""
    actor = require_login(actor)
    if not actor.is_admin and township_id not in actor.monitor_of:
        raise NotFound("找不到这个乡镇")
    rows = session.execute(
        select(Village, func.count(Objection.id))
        .join(Objection, and_(Objection.village_id == Village.id, Objection.replied_at.is_(None),
                              Objection.due_at < utcnow()), isouter=True)
        .where(Village.township_id == township_id).group_by(Village.id).order_by(Village.name)
    ).all()
    return [(v, n) for v, n in rows]


# --- lists, the public board, the calendar ------------------------------------------------------

@dataclass
class BoardPage:
    current: list[Notice]
    archive: Page[Notice]


def board(session: Session, village: Village, category: str | None, page: int = 1, per_page: int = 20
          ) -> BoardPage:
    """The public board: notices in their window first, then the archive, newest first. Three queries."""
    if category is not None and category not in N.CATEGORIES:
        raise Invalid("没有这个公开类别", field="category")
    now = utcnow()
    base = select(Notice).where(Notice.village_id == village.id, Notice.state.in_(VISIBLE))
    if category:
        base = base.where(Notice.category == category)
    current = list(session.execute(base.where(Notice.state == N.PUBLISHED, Notice.window_until > now)
                                   .order_by(Notice.published_at.desc()).limit(50)).scalars())
    archive = paginate(session, base.where(or_(Notice.state == N.CLOSED, Notice.window_until <= now))
                       .order_by(Notice.published_at.desc(), Notice.id.desc()), page, per_page)
    return BoardPage(current, archive)


def feed(session: Session, village: Village, limit: int = 50) -> list[Notice]:
    return list(session.execute(select(Notice).where(Notice.village_id == village.id, Notice.state.in_(VISIBLE))
                                .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)).scalars())


WORKING = (N.DRAFT, N.SUBMITTED, N.APPROVED)


def list_notices(session: Session, actor: Actor | None, village: Village, *, category: str | None = None,
                 state: str | None = None, page: int = 1, per_page: int = 20) -> Page[Notice]:
    """One page of a village's notices (two queries). Published and closed ones are public, newest
    first; drafts and those in review (`state` draft / submitted / approved) only for the people who
    handle their category, the township's monitors and admins, most recently changed first."""
    if category is not None and category not in N.CATEGORIES:
        raise Invalid("没有这个公开类别", field="category")
    if state is not None and state not in N.STATE_NAMES:
        raise Invalid("没有这个状态", field="state")
    stmt = select(Notice).where(Notice.village_id == village.id)
    if category:
        stmt = stmt.where(Notice.category == category)
    if state in WORKING:
        staff = sorted({r for cat in N.CATEGORIES for r in _staff_roles(cat)})
        actor = require(actor, village, *staff, monitor=True)
        if not actor.is_admin and not actor.monitors(village):
            mine = [cat for cat in N.CATEGORIES if actor.roles.intersection(_staff_roles(cat))]
            stmt = stmt.where(Notice.category.in_(mine))
        stmt = stmt.where(Notice.state == state).order_by(Notice.updated_at.desc(), Notice.id.desc())
    else:
        stmt = stmt.where(Notice.state == state if state else Notice.state.in_(VISIBLE))
        stmt = stmt.order_by(Notice.published_at.desc(), Notice.id.desc())
    return paginate(session, stmt, page, per_page)


def work_queue(session: Session, actor: Actor | None, village: Village) -> dict[str, list[Notice]]:
    """What waits for this person: drafts to finish, notices to review, approved ones to publish,
    published ones whose window ended and can be closed."""
    actor = require(actor, village, *sorted({r for roles in N.DRAFTERS.values() for r in roles} | {SUPERVISOR}))
    rows = list(session.execute(select(Notice).where(
        Notice.village_id == village.id,
        or_(Notice.state.in_((N.DRAFT, N.SUBMITTED, N.APPROVED)),
            and_(Notice.state == N.PUBLISHED, Notice.window_until <= utcnow())))
        .order_by(Notice.updated_at.desc()).limit(200)).scalars())
    roles = set(actor.roles) if not actor.is_admin else {COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, "accountant"}
    out: dict[str, list[Notice]] = {"drafts": [], "review": [], "publish": [], "close": []}
    for n in rows:
        if n.state == N.DRAFT and roles.intersection(N.DRAFTERS[n.category]):
            out["drafts"].append(n)
        elif n.state == N.SUBMITTED and SUPERVISOR in roles:
            out["review"].append(n)
        elif n.state == N.APPROVED and roles.intersection(N.PUBLISHERS[n.category]):
            out["publish"].append(n)
        elif n.state == N.PUBLISHED and roles.intersection(N.PUBLISHERS[n.category]):
            out["close"].append(n)
    return out


def _compliance(village: Village, last: dict[str, datetime | None]) -> list[N.Compliance]:
    limits = {**N.DEFAULT_CALENDAR_MONTHS, **((village.settings or {}).get("notice_calendar") or {})}
    today = clock.local_today()

    def local(moment):  # dates on the Beijing calendar, like `today` (the columns hold UTC)
        return moment.astimezone(SHANGHAI).date() if moment else None

    return [N.compliance(cat, local(last.get(cat)), today, int(months), local(village.created_at))
            for cat, months in limits.items()]


def calendar(session: Session, village: Village) -> list[N.Compliance]:
    """Village affairs at least quarterly, finance at least monthly: the last publication of each, in SQL."""
    last = dict(session.execute(
        select(Notice.category, func.max(Notice.published_at))
        .where(Notice.village_id == village.id, Notice.state.in_(VISIBLE)).group_by(Notice.category)).all())
    return _compliance(village, last)


def township_calendar(session: Session, actor: Actor | None, township_id: int) -> list[tuple[Village, list]]:
    """Every village of a township with its calendar compliance: two queries, however many villages."""
    actor = require_login(actor)
    if not actor.is_admin and township_id not in actor.monitor_of:
        raise NotFound("找不到这个乡镇")
    if session.get(Township, township_id) is None:
        raise NotFound("找不到这个乡镇")
    villages = list(session.execute(select(Village).where(Village.township_id == township_id)
                                    .order_by(Village.name)).scalars())
    last: dict[int, dict[str, datetime | None]] = {v.id: {} for v in villages}
    for village_id, category, when in session.execute(
        select(Notice.village_id, Notice.category, func.max(Notice.published_at))
        .join(Village, Village.id == Notice.village_id)
        .where(Village.township_id == township_id, Notice.state.in_(VISIBLE))
        .group_by(Notice.village_id, Notice.category)
    ).all():
        last[village_id][category] = when
    return [(v, _compliance(v, last[v.id])) for v in villages]


# --- hooks: votes and proposals -----------------------------------------------------------------

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
                    title=f"关于《{proposal.title}》的表决结果公示", body=body, days=N.DEFAULT_DAYS, author_id=None,
                    proposal_id=proposal.id, proposal_stage=stage, vote_session_id=vs.id, created_at=now,
                    updated_at=now)
    session.add(notice)
    session.flush()
    audit.record(session, village_id=vs.village_id, actor_id=None, action="notice.auto_draft", entity="notice",
                 entity_id=notice.id, data={"vote_session_id": vs.id, "kind": "resolution"})
    return notice


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
    notice = Notice(village_id=proposal.village_id, category=N.VILLAGE, kind="implementation",
                    title=f"《{proposal.title}》实施结果公开",
                    body=f"事项《{proposal.title}》已{'验收' if left.kind is P.Kind.ACCEPTANCE else '实施'}完毕。\n\n"
                         "请村委会补充：完成情况、实际收支、验收意见。", days=N.DEFAULT_DAYS, author_id=None,
                    proposal_id=proposal.id, proposal_stage=stage, created_at=now, updated_at=now)
    session.add(notice)
    session.flush()
    audit.record(session, village_id=proposal.village_id, actor_id=actor_id, action="notice.auto_draft",
                 entity="notice", entity_id=notice.id, data={"proposal_id": proposal.id, "kind": "implementation"})


def stage_done(session: Session, proposal: Proposal, stage: str) -> bool:
    """The proposal's notice stage is done when a notice of it for this stage was published and its
    window has ended."""
    return session.execute(select(Notice.id).where(
        Notice.proposal_id == proposal.id, Notice.proposal_stage == stage, Notice.state.in_(VISIBLE),
        Notice.window_until <= utcnow()).limit(1)).first() is not None


# --- attachments: a notice owns its files -----------------------------------------------------

def _notice_see(session: Session, actor: Actor | None, notice_id: int) -> int:
    """A notice's files are seen by whoever may see the notice: everyone once it is published."""
    notice, village = get(session, actor, notice_id)
    return village.id


def _notice_attach(session: Session, actor: Actor | None, notice_id: int) -> int:
    """The category's drafters attach files while the notice is a draft; once submitted for review
    the files are what the reviewer checks, and once published they are part of its content hash."""
    notice, village = get(session, actor, notice_id)
    require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state != N.DRAFT:
        raise Conflict("只有草稿可以添加附件；已提交或已发布的公开不能再改，如需补充请发更正")
    return village.id


ATTACHMENT_OWNER = OwnerRules("公开", _notice_see, _notice_attach)
