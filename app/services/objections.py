"""Objections (质询) to a published notice and their replies (民主监事).

A village member questions a notice during its window; the publishers of its category reply once,
before the village's deadline, and the author is notified. Objections are for the village's members,
its township's monitors and admins: never on the public board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.clock import utcnow
from app.domain import assisted as A
from app.domain import cases as C
from app.domain import notices as N
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, VILLAGER
from app.models import AssistedAct, Notice, Objection, TownshipCase, User, Village
from app.services import audit, notices, notifications
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, NotFound
from app.services.pagination import Page, paginate


def raise_objection(session: Session, actor: Actor | None, notice_id: int, body: str) -> Objection:
    notice, village = notices.get(session, actor, notice_id)
    actor = require(actor, village, VILLAGER)
    objection = add_objection(session, actor.id, notice, village, body, actor_id=actor.id)
    session.commit()
    return objection


def clean_body(body: str | None) -> str:
    """An objection's text, trimmed; refused when empty or too long."""
    body = (body or "").strip()
    if not body:
        raise Invalid("请写明质询的内容", field="body")
    if len(body) > 2000:
        raise Invalid("质询最多 2000 个字", field="body")
    return body


def check_open(notice: Notice, now: datetime) -> None:
    """Objections are raised while a published notice is in its window."""
    if notice.state != N.PUBLISHED or not N.in_window(now, notice.window_from, notice.window_until):
        raise Conflict("公示期已过，不能再提出质询；可以向村务监督委员会反映")


def add_objection(session: Session, author_id: int, notice: Notice, village: Village, body: str, *,
                  actor_id: int, data: dict | None = None) -> Objection:
    """The objection of `author_id` (a villager of the village, checked by the caller), audited as the
    act of `actor_id` (the author online; the confirming committee member for one recorded on the
    author's behalf). No commit."""
    body = clean_body(body)
    now = utcnow()
    check_open(notice, now)
    objection = Objection(village_id=village.id, notice_id=notice.id, author_id=author_id, body=body, created_at=now,
                          due_at=now + timedelta(days=notices.reply_days(session, village)))
    session.add(objection)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor_id, action="objection.create", entity="objection",
                 entity_id=objection.id, data={"notice_id": notice.id, **(data or {})})
    return objection


def unanswered(session: Session, notice: Notice) -> int:
    """How many of a notice's objections still wait for their reply."""
    return session.execute(select(func.count()).select_from(Objection).where(
        Objection.notice_id == notice.id, Objection.replied_at.is_(None))).scalar_one()


def notice_of(session: Session, village: Village, objection_id: int) -> int:
    """The notice an objection of this village questions (404 for another village's objection)."""
    objection = session.get(Objection, objection_id)
    if objection is None or objection.village_id != village.id:
        raise NotFound("找不到这条质询")
    return objection.notice_id


def reply(session: Session, actor: Actor | None, objection_id: int, body: str) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("找不到这条质询")
    notice, village = notices.get(session, actor, objection.notice_id)
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


# --- reading ----------------------------------------------------------------------------------

@dataclass
class ObjectionView:
    objection: Objection
    author_name: str
    replier_name: str | None
    notice_title: str = ""
    case: TownshipCase | None = None  # the township's case, once it was escalated (services/cases.py)
    assisted: str | None = None  # "由某某代录、某某确认" when the committee recorded it for its author

    @property
    def overdue(self) -> bool:
        return self.objection.replied_at is None and utcnow() > self.objection.due_at

    @property
    def township(self) -> C.Status | None:
        """How its escalation reads ("已转乡镇处理" and where it stands), or None if it never was."""
        if self.case is None:
            return None
        replied = self.objection.replied_at is not None
        return C.status(self.case.state, replied, C.direction_overdue(self.case.state, replied,
                                                                      self.case.directed_due_at, utcnow()))


def sees_objections(actor: Actor | None, village: Village) -> bool:
    """Objections and replies are for the village's members, its monitors and admins: never public."""
    return actor is not None and (actor.is_member(village.id) or actor.is_admin or actor.monitors(village))


def objections_for(session: Session, actor: Actor | None, notice: Notice, village: Village) -> list[ObjectionView]:
    """Objections and replies, for the village's members and monitors (never on the public board)."""
    if not sees_objections(actor, village):
        return []
    author, replier = User.__table__.alias("author"), User.__table__.alias("replier")
    recorder, confirmer = User.__table__.alias("recorder"), User.__table__.alias("confirmer")
    rows = session.execute(
        select(Objection, author.c.name, replier.c.name, TownshipCase, recorder.c.name, confirmer.c.name)
        .join(author, author.c.id == Objection.author_id)
        .join(replier, replier.c.id == Objection.replied_by, isouter=True)
        .join(TownshipCase, TownshipCase.objection_id == Objection.id, isouter=True)
        .join(AssistedAct, AssistedAct.objection_id == Objection.id, isouter=True)
        .join(recorder, recorder.c.id == AssistedAct.recorded_by, isouter=True)
        .join(confirmer, confirmer.c.id == AssistedAct.decided_by, isouter=True)
        .where(Objection.notice_id == notice.id).order_by(Objection.id)
    ).all()
    return [ObjectionView(o, a, r, case=c, assisted=A.mark(rec, conf) if rec and conf else None)
            for o, a, r, c, rec, conf in rows]


def objection_view(session: Session, actor: Actor | None, notice_id: int, objection_id: int) -> ObjectionView:
    """One objection of a notice as its readers see it (404 for anyone who may not)."""
    notice, village = notices.get(session, actor, notice_id)
    for view in objections_for(session, actor, notice, village):
        if view.objection.id == objection_id:
            return view
    raise NotFound("找不到这条质询")


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


@dataclass
class InboxView:
    """The inbox page: one page of objections and which of them this viewer may answer."""

    page: Page[ObjectionView]
    may_reply: set[int]  # notice ids whose category this viewer publishes


def inbox_view(session: Session, actor: Actor | None, village: Village, *, open_only: bool, page: int,
               per_page: int) -> InboxView:
    result = inbox(session, actor, village, open_only=open_only, page=page, per_page=per_page)
    ids = [row.objection.notice_id for row in result.items]
    categories = dict(session.execute(select(Notice.id, Notice.category).where(Notice.id.in_(ids))).all()
                      ) if ids else {}
    may_reply = {nid for nid, cat in categories.items()
                 if actor is not None and actor.has(village.id, *N.PUBLISHERS[cat])}
    return InboxView(result, may_reply)
