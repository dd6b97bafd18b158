"""The three publications (三公开, 民主监事): drafting, review by the supervisory committee,
publication with a window and a content hash, corrections as new versions; and what a viewer may
do with a notice (`capabilities`: the page's buttons; the service checks again).

A published notice never changes: the service refuses it and a database trigger refuses it too.
Beside it: the notice as its page and the API show it (services/notice_views.py), objections
(services/objections.py), the board, lists and calendar (services/board.py), the township's
dashboard (services/townships.py), the drafts other features ask for (services/notice_drafts.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.config import Settings
from app.domain import notices as N
from app.domain import procedures as P
from app.domain.roles import SUPERVISOR, VILLAGER
from app.models import Attachment, Notice, Village, VoteSession
from app.services import attachments, audit, notifications, objections, places, proposals, village_settings
from app.services.access import Actor, require
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, invalid_fields

VISIBLE = (N.PUBLISHED, N.CLOSED)
SECOND_CORRECTION = "原公开已经有另一份更正发布了；请在最新版本上重新发更正"
ALL_DRAFTERS = tuple(sorted({r for roles in N.DRAFTERS.values() for r in roles}))


def is_visible(state: ColumnElement) -> ColumnElement[bool]:
    """SQL: the state is published or closed, written into the statement as constants. An IN of bound
    values is rewritten for every execution, and SQLite can use a partial index (such as
    uq_notice_one_published_correction) only for a condition it can read in the statement itself."""
    return state.in_([literal_column(f"'{s}'") for s in VISIBLE])


def reply_days(session: Session, village: Village) -> int:
    return village_settings.settings_of(session, village).objection_reply_days


def staff_roles(category: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(N.DRAFTERS[category] + N.PUBLISHERS[category] + N.REVIEWERS))


def may_see_unpublished(actor: Actor | None, village: Village, notice: Notice) -> bool:
    if actor is None:
        return False
    if actor.is_admin or actor.monitors(village) or notice.author_id == actor.id:
        return True
    return actor.is_member(village.id) and bool(actor.roles.intersection(staff_roles(notice.category)))


def _may_open(actor: Actor | None, village: Village, notice) -> bool:
    """Published and closed notices are everyone's; the others, the people handling them."""
    return notice.state in VISIBLE or may_see_unpublished(actor, village, notice)


def visible_ids(session: Session, actor: Actor | None, village: Village, ids: Iterable[int]) -> set[int]:
    """Which of these notices of the village this person may open (`get`'s rule, for a page of links)."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = session.execute(select(Notice.id, Notice.state, Notice.author_id, Notice.category)
                           .where(Notice.village_id == village.id, Notice.id.in_(wanted))).all()
    return {row.id for row in rows if _may_open(actor, village, row)}


def get(session: Session, actor: Actor | None, notice_id: int) -> tuple[Notice, Village]:
    """Published notices are public; drafts and those under review only to the people handling them."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("找不到这份公开")
    village = places.get_village(session, notice.village_id)
    if not _may_open(actor, village, notice):
        raise NotFound("找不到这份公开")
    return notice, village


# --- writing ----------------------------------------------------------------------------------

def create(session: Session, actor: Actor | None, village: Village, *, category: str, title: str, body: str,
           days: int | None = None, proposal_id: int | None = None, vote_session_id: int | None = None,
           period: str | None = None, kind: str = "general", supersedes: Notice | None = None) -> Notice:
    """A draft. `days` None: the default for the category today (at least the law's floor)."""
    if category not in N.CATEGORIES:
        raise Invalid("请选择公开类别", field="category")
    actor = require(actor, village, *N.DRAFTERS[category])
    today = local_today()
    if days is None:
        days = N.default_days(category, today)
    if errors := N.check(category, title, body, days, today):
        raise invalid_fields(errors)
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


def edit(session: Session, actor: Actor | None, notice_id: int, *, title: str, body: str,
         days: int | None = None) -> Notice:
    """Rewrite a draft. `days` None: the default for the category today."""
    notice, village = get(session, actor, notice_id)
    actor = require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state != N.DRAFT:
        raise Conflict("只有草稿可以修改；已发布的公开只能发更正")
    today = local_today()
    if days is None:
        days = N.default_days(notice.category, today)
    if errors := N.check(notice.category, title, body, days, today):
        raise invalid_fields(errors)
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
    """Publish: fix the window and the content hash. From then on the notice never changes. A draft
    written for fewer days than the law asks on the publishing day (written under the old rule) is
    posted for the law's days: its `days` are raised with the publication, so it shows what was up."""
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
        raise Conflict(SECOND_CORRECTION)
    # Lock the row before reading the files the hash covers: an attachment added or removed in flight
    # waits for the publish and is then refused (a trigger), or finishes first and is hashed.
    session.execute(update(Notice).where(Notice.id == notice.id).values(updated_at=Notice.updated_at))
    now = utcnow()
    hashes = [a.sha256 for a in attachments_of(session, notice)]
    drafted = notice.days
    days = N.publish_days(notice.category, drafted, local_today())
    start, until = N.window(now, days)
    digest = N.content_hash(notice.title, notice.body, hashes)
    try:
        _set_state(session, notice, ready, N.PUBLISHED, published_by=actor.id, published_at=now, days=days,
                   window_from=start, window_until=until, content_hash=digest)
    except IntegrityError as exc:  # a parallel correction of the same notice published first (unique index)
        session.rollback()
        raise Conflict(SECOND_CORRECTION) from exc
    audit.record(session, village_id=village.id, actor_id=actor.id, action="notice.publish", entity="notice",
                 entity_id=notice.id, data={"content_hash": digest, "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                            "supersedes": notice.supersedes_id,
                                            **({"days": days, "drafted_days": drafted} if days != drafted else {})})
    session.commit()
    session.refresh(notice)
    return notice


def correct(session: Session, actor: Actor | None, notice_id: int, *, title: str, body: str,
            days: int | None = None) -> Notice:
    """A correction (更正) is a new notice that supersedes the published one; both stay visible. `days`
    None: the old notice's days, raised to the law's floor today if fewer."""
    old, village = get(session, actor, notice_id)
    if old.state not in VISIBLE:
        raise Conflict("只有已发布的公开才能更正；草稿直接修改即可")
    newer = session.execute(select(Notice.id).where(Notice.supersedes_id == old.id, Notice.state != N.DRAFT)).first()
    if newer is not None:
        raise Conflict("这份公开已经有更正版本了，请更正最新的版本")
    return create(session, actor, village, category=old.category, title=title, body=body,
                  days=N.publish_days(old.category, old.days, local_today()) if days is None else days,
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
    open_count = objections.unanswered(session, notice)
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


# --- what a viewer may do, and the notice as its page and the API show it ------------------------

def draftable_categories(actor: Actor | None, village: Village) -> list[str]:
    """The categories this person may draft in this village."""
    if actor is None:
        return []
    return [c for c in N.CATEGORIES if actor.has(village.id, *N.DRAFTERS[c])]


def require_drafter(actor: Actor | None, village: Village) -> list[str]:
    """The categories this person may draft here; none: 404 outside the village, 403 inside."""
    allowed = draftable_categories(actor, village)
    if not allowed:
        require(actor, village, *ALL_DRAFTERS)
        raise Forbidden("这项操作需要村委会、村党组织委员或报账员身份")
    return allowed


def window_ended(notice: Notice) -> bool:
    return notice.window_until is not None and utcnow() >= notice.window_until


def in_window(notice: Notice) -> bool:
    return notice.state == N.PUBLISHED and N.in_window(utcnow(), notice.window_from, notice.window_until)


@dataclass
class NoticeCaps:
    """What the viewer may do with this notice now (the service checks again when they do it)."""

    edit: bool = False
    submit: bool = False
    review: bool = False
    publish: bool = False
    correct: bool = False
    close: bool = False
    attach: bool = False
    reply: bool = False  # answer its objections
    object: bool = False  # raise an objection

    @property
    def any(self) -> bool:
        return any((self.edit, self.submit, self.review, self.publish, self.correct, self.close))


def capabilities(actor: Actor | None, village: Village, notice: Notice, newer: Notice | None) -> NoticeCaps:
    """The buttons a viewer sees on a notice (`newer`: its published correction, if any)."""
    if actor is None:
        return NoticeCaps()
    drafter = actor.has(village.id, *N.DRAFTERS[notice.category])
    publisher = actor.has(village.id, *N.PUBLISHERS[notice.category])
    reviewer = actor.has(village.id, SUPERVISOR)
    draft = notice.state == N.DRAFT
    ready = N.APPROVED if notice.category in N.NEEDS_REVIEW else N.DRAFT
    return NoticeCaps(
        edit=draft and drafter,
        submit=draft and drafter and notice.category in N.NEEDS_REVIEW,
        review=notice.state == N.SUBMITTED and reviewer,
        publish=notice.state == ready and publisher,
        correct=notice.state in VISIBLE and newer is None and drafter,
        close=notice.state == N.PUBLISHED and window_ended(notice) and publisher,
        attach=draft and drafter,
        reply=publisher,
        object=actor.is_member(village.id) and VILLAGER in actor.roles and in_window(notice),
    )


def get_in(session: Session, actor: Actor | None, village: Village, notice_id: int) -> Notice:
    """The notice under its own village's address only (another village's: 404)."""
    notice, home = get(session, actor, notice_id)
    if home.id != village.id:
        raise NotFound("找不到这份公开")
    return notice


def attachment_file(session: Session, settings: Settings, actor: Actor | None, notice: Notice, village: Village,
                    attachment_id: int) -> tuple[Attachment, Path]:
    """One of this notice's files: public once the notice is published, like the notice itself."""
    attachment, path = attachments.get_for_download(session, settings, actor, attachment_id)
    if attachment.owner_type != "notice" or attachment.owner_id != notice.id or attachment.village_id != village.id:
        raise NotFound("找不到这个附件")
    return attachment, path


# --- the forms ----------------------------------------------------------------------------------

def start_edit(actor: Actor | None, village: Village, notice: Notice) -> None:
    """May this person open the edit form? No role: 403/404; no longer a draft: 409."""
    require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state != N.DRAFT:
        raise Conflict("只有草稿可以修改；已发布的公开只能发更正")


def start_correction(session: Session, actor: Actor | None, village: Village, notice: Notice) -> Notice | None:
    """May this person open the correction form? No role: 403/404; not published: 409. Answers the
    published correction this notice already has (correct that one instead), or None."""
    require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state not in VISIBLE:
        raise Conflict("只有已发布的公开才能更正；草稿直接修改即可")
    return superseded_by(session, notice)


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
