"""The fan-out (动态通知): who is told of what happens in a village, read from the audit record.

Every feature writes an audit event per action in the transaction of the action itself, so the chain is
the one list of what happened, in order. The `fanout` job reads each village's chain after its cursor
(`fanout_cursor`), and for the actions below writes the messages (`notifications.notify_many`: one
INSERT … SELECT per audience, however large) and their deliveries, and moves the cursor, all in one
transaction: a run that fails tells nobody and moves nothing; a run repeated tells nobody twice (each
message carries its event's key, unique per person).

Told here (the feature services stay as they are):
- vote.open → the frozen electorate (`elector`);
- notice.submit → the village's supervisory committee (not the author);
- notice.publish → the village's members;
- objection.create → the notice's publishers (the committee; the party committee for party notices);
- proposal.advance / cosigned / return / reject → the matter's author and co-signers;
- comment.create with a parent → the author of the comment replied to.
Told directly by their services, so not here: notice.approve / notice.return (the author), objection.reply
(the objector), comment.hide, voucher.return, township cases and reports. The one who acted is never
told of their own act. An event older than two days when first read is not news and is passed over.

`remind_closing` (the `remind_votes` job) tells the electors who have not voted yet that a vote closes
within 24 hours, once per vote. Everything here only reads the features' tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select
from sqlmodel import Session

from app.clock import utcnow
from app.domain import delivery as D
from app.domain import notices as N
from app.domain.calendar import format_local
from app.domain.procedures import state_name
from app.models import (
    PLATFORM_CHAIN,
    AuditEvent,
    AuditHead,
    Ballot,
    BallotRegister,
    Comment,
    Cosignature,
    Elector,
    FanoutCursor,
    MemberRole,
    Membership,
    Notice,
    Objection,
    Proposal,
    User,
    Village,
    VoteSession,
)
from app.services import notifications

BATCH = 500  # events read per chain per transaction


@dataclass(frozen=True)
class Event:
    village: Village
    seq: int
    action: str
    entity_id: str | None
    actor_id: int | None
    created_at: datetime
    data: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.action}:{self.village.id}:{self.seq}"

    @property
    def ref(self) -> int | None:
        return int(self.entity_id) if self.entity_id and self.entity_id.isdigit() else None


def _active(stmt: Select, column, actor_id: int | None) -> Select:
    """An audience query without the one who acted and without disabled accounts."""
    stmt = stmt.join(User, User.id == column).where(User.status != "disabled")
    return stmt.where(column != actor_id) if actor_id is not None else stmt


def _with_role(village_id: int, roles: tuple[str, ...], actor_id: int | None) -> Select:
    stmt = (select(Membership.user_id).join(MemberRole, MemberRole.membership_id == Membership.id)
            .where(MemberRole.village_id == village_id, MemberRole.role.in_(roles)))
    return _active(stmt, Membership.user_id, actor_id)


def _vote_open(session: Session, e: Event) -> int:
    vs = session.get(VoteSession, e.ref) if e.ref else None
    if vs is None or vs.state != "open":
        return 0  # (closed already: too late to tell)
    audience = _active(select(Elector.user_id).where(Elector.vote_session_id == vs.id), Elector.user_id, e.actor_id)
    text = f"表决开始了：{D.shorten(vs.question, 80)}（{format_local(vs.closes_at)} 截止）"
    return notifications.notify_many(session, audience, e.village.id, text, f"/v/{e.village.slug}/votes/{vs.id}",
                                     e.key)


def _notice_submit(session: Session, e: Event) -> int:
    notice = session.get(Notice, e.ref) if e.ref else None
    if notice is None:
        return 0
    audience = _with_role(e.village.id, N.REVIEWERS, e.actor_id)
    if notice.author_id is not None:
        audience = audience.where(Membership.user_id != notice.author_id)
    text = f"《{notice.title}》已提交，等待村务监督委员会审核"
    return notifications.notify_many(session, audience, e.village.id, text,
                                     f"/v/{e.village.slug}/notices/{notice.id}", e.key)


def _notice_publish(session: Session, e: Event) -> int:
    notice = session.get(Notice, e.ref) if e.ref else None
    if notice is None or (notice.published_at is not None and not D.is_news(notice.published_at, utcnow())):
        return 0  # (a notice of long ago entered with its own date, as an import or the demo does, is no news)
    audience = _active(select(Membership.user_id).where(Membership.village_id == e.village.id),
                       Membership.user_id, e.actor_id)
    what = "更正" if notice.supersedes_id else N.CATEGORIES.get(notice.category, "公开")
    text = f"{e.village.name}发布了{what}：《{notice.title}》"
    return notifications.notify_many(session, audience, e.village.id, text,
                                     f"/v/{e.village.slug}/notices/{notice.id}", e.key)


def _objection(session: Session, e: Event) -> int:
    objection = session.get(Objection, e.ref) if e.ref else None
    notice = session.get(Notice, objection.notice_id) if objection else None
    if notice is None:
        return 0
    audience = _with_role(e.village.id, N.PUBLISHERS.get(notice.category, ()), e.actor_id)
    text = f"《{notice.title}》收到一条质询，请及时答复"
    return notifications.notify_many(session, audience, e.village.id, text, f"/v/{e.village.slug}/objections",
                                     e.key)


def _proposal_moved(session: Session, e: Event) -> int:
    proposal = session.get(Proposal, e.ref) if e.ref else None
    if proposal is None:
        return 0
    people = {proposal.author_id, *session.execute(
        select(Cosignature.user_id).where(Cosignature.proposal_id == proposal.id)).scalars()}
    people.discard(e.actor_id)
    if not people:
        return 0
    audience = select(User.id).where(User.id.in_(people), User.status != "disabled")
    note = (e.data.get("note") or "").strip()
    action = e.action.split(".", 1)[1]
    if action == "return":
        text = f"你提出或联署的《{proposal.title}》被退回修改" + (f"：{note}" if note else "")
    elif action == "reject":
        text = f"你提出或联署的《{proposal.title}》不予通过" + (f"：{note}" if note else "")
    else:
        to = e.data.get("to") or proposal.state
        try:
            stage = state_name(proposal.procedure, to)
        except (KeyError, ValueError):
            stage = "下一步"
        text = f"你提出或联署的《{proposal.title}》进入“{stage}”"
    return notifications.notify_many(session, audience, e.village.id, text,
                                     f"/v/{e.village.slug}/proposals/{proposal.id}", e.key)


def _reply(session: Session, e: Event) -> int:
    parent_id = e.data.get("parent_id")
    if not isinstance(parent_id, int):
        return 0
    parent = session.get(Comment, parent_id)
    if parent is None or parent.author_id == e.actor_id:
        return 0
    proposal = session.get(Proposal, parent.proposal_id)
    who = session.get(User, e.actor_id) if e.actor_id else None
    text = f"{who.name if who else '有人'}回复了你在《{proposal.title}》下的评论"
    return notifications.notify_many(session, [parent.author_id], e.village.id, text,
                                     f"/v/{e.village.slug}/proposals/{proposal.id}#c{e.entity_id}", e.key)


HANDLERS: dict[str, Callable[[Session, Event], int]] = {
    "vote.open": _vote_open,
    "notice.submit": _notice_submit,
    "notice.publish": _notice_publish,
    "objection.create": _objection,
    "proposal.advance": _proposal_moved,
    "proposal.cosigned": _proposal_moved,
    "proposal.return": _proposal_moved,
    "proposal.reject": _proposal_moved,
    "comment.create": _reply,
}


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _advance(session: Session, chain: int, old: int | None, new: int) -> bool:
    """Move a chain's cursor from `old` (None: it has none yet) to `new`; False when another run moved it."""
    now = utcnow()
    if old is None:
        done = session.execute(_insert(session)(FanoutCursor).values(chain=chain, seq=new, updated_at=now)
                               .on_conflict_do_nothing().execution_options(preserve_rowcount=True))
    else:
        done = session.execute(update(FanoutCursor).where(FanoutCursor.chain == chain, FanoutCursor.seq == old)
                               .values(seq=new, updated_at=now))
    return done.rowcount == 1


def run(session: Session, *, chains: list[int] | None = None, batch: int = BATCH) -> int:
    """Read every chain (or `chains`) past its cursor and tell whom each event concerns; returns how
    many messages were written. Commits once per chain and batch of events."""
    pending = (select(AuditHead.village_id, AuditHead.seq, FanoutCursor.seq)
               .outerjoin(FanoutCursor, FanoutCursor.chain == AuditHead.village_id)
               .where(AuditHead.village_id != PLATFORM_CHAIN,
                      AuditHead.seq > func.coalesce(FanoutCursor.seq, 0)).order_by(AuditHead.village_id))
    if chains is not None:
        pending = pending.where(AuditHead.village_id.in_(chains))
    work = session.execute(pending).all()
    session.commit()
    written = 0
    for chain, head, cursor in work:
        village = session.get(Village, chain)
        start = cursor or 0
        mark = cursor  # the cursor row's value, None while the chain has none
        while start < head:
            upto = min(head, start + batch)
            events = session.execute(
                select(AuditEvent.seq, AuditEvent.action, AuditEvent.entity_id, AuditEvent.actor_id,
                       AuditEvent.created_at, AuditEvent.payload)
                .where(AuditEvent.village_id == chain, AuditEvent.seq > start, AuditEvent.seq <= upto,
                       AuditEvent.action.in_(list(HANDLERS)))
                .order_by(AuditEvent.seq)).all()
            now = utcnow()
            added = 0
            for seq, action, entity_id, actor_id, created_at, payload in events:
                if village is None or not D.is_news(created_at, now):
                    continue
                data = json.loads(bytes(payload)).get("data") or {}
                added += HANDLERS[action](session, Event(village, seq, action, entity_id, actor_id, created_at, data))
            if not _advance(session, chain, mark, upto):  # another run got here first: leave it to that one
                session.rollback()
                break
            session.commit()
            written += added
            start = mark = upto
    return written


def catch_up(session: Session) -> None:
    """Every chain's cursor moved to its head: what happened so far is history, not news (a loaded
    demo or an imported past)."""
    for chain, head in session.execute(select(AuditHead.village_id, AuditHead.seq).where(
            AuditHead.village_id != PLATFORM_CHAIN)).all():
        cursor = session.get(FanoutCursor, chain)
        if cursor is None:
            session.add(FanoutCursor(chain=chain, seq=head, updated_at=utcnow()))
        elif cursor.seq < head:
            cursor.seq, cursor.updated_at = head, utcnow()
    session.commit()


def remind_closing(session: Session) -> int:
    """Electors who have not voted in a vote closing within 24 hours are told once; returns how many."""
    now = utcnow()
    soon = session.execute(
        select(VoteSession.id, VoteSession.village_id, VoteSession.question, VoteSession.closes_at)
        .where(VoteSession.state == "open", VoteSession.closes_at > now,
               VoteSession.closes_at <= now + D.CLOSING_WITHIN)
    ).all()
    session.commit()
    told = 0
    for sid, village_id, question, closes_at in soon:
        key = f"vote.closing:{sid}"
        if notifications.already_told(session, key):
            session.commit()
            continue
        village = session.get(Village, village_id)
        voted_secret = exists().where(BallotRegister.vote_session_id == sid, BallotRegister.voter_id == Elector.user_id)
        voted_open = exists().where(Ballot.vote_session_id == sid, Ballot.voter_id == Elector.user_id)
        audience = _active(select(Elector.user_id).where(Elector.vote_session_id == sid, ~voted_secret, ~voted_open),
                           Elector.user_id, None)
        text = f"表决“{D.shorten(question, 60)}”将于 {format_local(closes_at)} 结束，你还没有投票"
        told += notifications.notify_many(session, audience, village_id, text, f"/v/{village.slug}/votes/{sid}", key)
        session.commit()
    return told
