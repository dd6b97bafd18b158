"""The three publications (三公开): notices, their review and publication, corrections, objections (质询),
the publication calendar and the township's dashboard.

Published notices are public (no login); drafts and notices under review exist only for the people
who handle their category. Objections are shown to the village's members and monitors, never to the
public.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from app.domain import notices as N
from app.domain.markdown import render as render_markdown
from app.domain.roles import COMMITTEE, SUPERVISOR
from app.models import Notice, Village
from app.services import notices, places
from app.services.access import Actor, require
from app.services.errors import NotFound
from routers.api.attachments import attachment_out
from routers.deps import current_actor, get_db
from schemas.common import PROBLEMS, PageOut
from schemas.notices import (
    ComplianceOut,
    CorrectionIn,
    DiffLineOut,
    LinksOut,
    NoticeEdit,
    NoticeIn,
    NoticeOut,
    NoticeSummary,
    ObjectionOut,
    ReviewIn,
    TextIn,
    TownshipDashboardOut,
    VersionOut,
    VillageDashboardOut,
)

router = APIRouter(tags=["三公开"], responses=PROBLEMS)
# uploads refuse an oversized body before it is spooled, like the proposal attachments


def _summary(n: Notice) -> NoticeSummary:
    return NoticeSummary(
        id=n.id, village_id=n.village_id, category=n.category, category_name=N.CATEGORIES[n.category], kind=n.kind,
        kind_name=N.KINDS.get(n.kind, n.kind), title=n.title, state=n.state, state_name=N.STATE_NAMES[n.state],
        days=n.days, window_from=n.window_from, window_until=n.window_until, published_at=n.published_at,
        content_hash=n.content_hash, supersedes_id=n.supersedes_id, updated_at=n.updated_at,
    )


def _objection_out(v: notices.ObjectionView) -> ObjectionOut:
    o = v.objection
    return ObjectionOut(id=o.id, notice_id=o.notice_id, notice_title=v.notice_title or None, author_id=o.author_id,
                        author_name=v.author_name, body=o.body, created_at=o.created_at, due_at=o.due_at,
                        reply=o.reply, replied_by=o.replied_by, replier_name=v.replier_name,
                        replied_at=o.replied_at, overdue=v.overdue)


def detail(db: Session, actor: Actor | None, notice: Notice, village: Village) -> NoticeOut:
    chain = notices.versions(db, notice)
    newer = notices.superseded_by(db, notice)
    older = next((v for v in chain if v.id == notice.supersedes_id), None)
    diff = None
    if older is not None:  # title and body, line by line, against the version this one corrects
        diff = [DiffLineOut(kind=d.kind, text=d.text)
                for d in N.diff(f"{older.title}\n\n{older.body}", f"{notice.title}\n\n{notice.body}")]
    objections = None
    if notices.sees_objections(actor, village):
        objections = [_objection_out(v) for v in notices.objections_for(db, actor, notice, village)]
    return NoticeOut(
        **_summary(notice).model_dump(), body=notice.body, body_html=render_markdown(notice.body),
        author_id=notice.author_id, review_note=notice.review_note, reviewed_at=notice.reviewed_at,
        closed_at=notice.closed_at, created_at=notice.created_at, superseded_by=newer.id if newer else None,
        versions=[VersionOut(id=v.id, title=v.title, published_at=v.published_at, content_hash=v.content_hash)
                  for v in chain],
        diff=diff, attachments=[attachment_out(a) for a in notices.attachments_of(db, notice)],
        links=LinksOut(proposal_id=notice.proposal_id, vote_session_id=notice.vote_session_id, period=notice.period),
        objections=objections,
    )


def _reload(db: Session, actor: Actor | None, notice_id: int) -> NoticeOut:
    notice, village = notices.get(db, actor, notice_id)
    return detail(db, actor, notice, village)


# --- notices ----------------------------------------------------------------------------------

@router.get("/villages/{vid}/notices", response_model=PageOut[NoticeSummary])
def list_notices(
    vid: int,
    category: str | None = Query(default=None, max_length=20),
    state: str | None = Query(default=None, max_length=20),
    page: int = Query(default=1, ge=1),
    per_page: int = Query(default=20, ge=1, le=200),
    db: Session = Depends(get_db),
    actor: Actor | None = Depends(current_actor),
):
    """Published and closed notices, newest first: public, no login. With `state=draft|submitted|approved`:
    the working lists of the people handling the category (drafters, reviewers, publishers), the
    township's monitors and admins."""
    village = places.get_village(db, vid)
    result = notices.list_notices(db, actor, village, category=category, state=state, page=page, per_page=per_page)
    return PageOut[NoticeSummary](items=[_summary(n) for n in result.items], total=result.total, page=result.page,
                                  per_page=result.per_page)


@router.post("/villages/{vid}/notices", response_model=NoticeOut, status_code=201)
def create_notice(vid: int, body: NoticeIn, db: Session = Depends(get_db),
                  actor: Actor | None = Depends(current_actor)):
    """Draft a notice: the party committee drafts party notices, the committee village ones, the
    committee or the accountant finance ones."""
    village = places.get_village(db, vid)
    notice = notices.create(db, actor, village, category=body.category, title=body.title, body=body.body,
                            days=body.days, proposal_id=body.proposal_id, vote_session_id=body.vote_session_id,
                            period=body.period)
    return _reload(db, actor, notice.id)


@router.get("/notices/{nid}", response_model=NoticeOut)
def get_notice(nid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """A notice with its versions, the difference from the version it corrects, its attachments and
    (for the village's members and monitors) its objections."""
    return _reload(db, actor, nid)


@router.put("/notices/{nid}", response_model=NoticeOut)
def edit_notice(nid: int, body: NoticeEdit, db: Session = Depends(get_db),
                actor: Actor | None = Depends(current_actor)):
    """Edit a draft. A notice under review or published answers 409 (publish a correction instead)."""
    notices.edit(db, actor, nid, title=body.title, body=body.body, days=body.days)
    return _reload(db, actor, nid)


@router.post("/notices/{nid}/submit", response_model=NoticeOut)
def submit_notice(nid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Hand a village or finance draft to the supervisory committee for review."""
    notices.submit(db, actor, nid)
    return _reload(db, actor, nid)


@router.post("/notices/{nid}/review", response_model=NoticeOut)
def review_notice(nid: int, body: ReviewIn, db: Session = Depends(get_db),
                  actor: Actor | None = Depends(current_actor)):
    """The supervisory committee approves, or returns the draft to its author with a note (required)."""
    notices.review(db, actor, nid, approve=body.approve, note=body.note)
    return _reload(db, actor, nid)


@router.post("/notices/{nid}/publish", response_model=NoticeOut)
def publish_notice(nid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Publish: the window starts and the content hash is fixed; from then on the notice never changes."""
    notices.publish(db, actor, nid)
    return _reload(db, actor, nid)


@router.post("/notices/{nid}/revise", response_model=NoticeOut, status_code=201)
def revise_notice(nid: int, body: CorrectionIn, db: Session = Depends(get_db),
                  actor: Actor | None = Depends(current_actor)):
    """A correction (更正): a new draft that supersedes the published notice once it is published."""
    notice = notices.correct(db, actor, nid, title=body.title, body=body.body, days=body.days)
    return _reload(db, actor, notice.id)


@router.post("/notices/{nid}/close", response_model=NoticeOut)
def close_notice(nid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Mark a notice final: its window has ended and every objection has its reply."""
    notices.close(db, actor, nid)
    return _reload(db, actor, nid)


# --- objections -------------------------------------------------------------------------------

def _objection(db: Session, actor: Actor | None, notice_id: int, objection_id: int) -> ObjectionOut:
    notice, village = notices.get(db, actor, notice_id)
    for view in notices.objections_for(db, actor, notice, village):
        if view.objection.id == objection_id:
            return _objection_out(view)
    raise NotFound("找不到这条质询")


@router.post("/notices/{nid}/objections", response_model=ObjectionOut, status_code=201)
def raise_objection(nid: int, body: TextIn, db: Session = Depends(get_db),
                    actor: Actor | None = Depends(current_actor)):
    """A village member questions a published notice during its window; after it: 409."""
    objection = notices.raise_objection(db, actor, nid, body.body)
    return _objection(db, actor, nid, objection.id)


@router.post("/objections/{oid}/reply", response_model=ObjectionOut)
def reply_objection(oid: int, body: TextIn, db: Session = Depends(get_db),
                    actor: Actor | None = Depends(current_actor)):
    """The publishers of the notice's category reply (once); the objection's author is notified."""
    objection = notices.reply(db, actor, oid, body.body)
    return _objection(db, actor, objection.notice_id, objection.id)


@router.get("/villages/{vid}/objections", response_model=PageOut[ObjectionOut])
def objection_inbox(
    vid: int,
    open: bool = True,  # noqa: A002 - the API's name for "unanswered only"
    page: int = Query(default=1, ge=1),
    per_page: int = Query(default=20, ge=1, le=200),
    db: Session = Depends(get_db),
    actor: Actor | None = Depends(current_actor),
):
    """Objections of the village, nearest deadline first: the committee, the party committee, the
    supervisory committee and the township's monitors. `open=false` includes the answered ones."""
    village = places.get_village(db, vid)
    result = notices.inbox(db, actor, village, open_only=open, page=page, per_page=per_page)
    return PageOut[ObjectionOut](items=[_objection_out(v) for v in result.items], total=result.total,
                                 page=result.page, per_page=result.per_page)


# --- the publication calendar ---------------------------------------------------------------------

def _compliance(c: N.Compliance) -> ComplianceOut:
    return ComplianceOut(category=c.category, name=c.name, last_published=c.last_published,
                         limit_months=c.limit_months, overdue=c.overdue)


@router.get("/villages/{vid}/notice-calendar", response_model=list[ComplianceOut])
def notice_calendar(vid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Village affairs at least quarterly, finance at least monthly: the last publication of each and
    whether the village is behind (the committee, the supervisory committee, the township's monitors)."""
    village = places.get_village(db, vid)
    require(actor, village, COMMITTEE, SUPERVISOR, monitor=True)
    return [_compliance(c) for c in notices.calendar(db, village)]


@router.get("/townships/{tid}/dashboard", response_model=TownshipDashboardOut)
def township_dashboard(tid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Per village of the township: calendar compliance and objections unanswered past their deadline
    (the township's monitors and admins; anyone else: 404)."""
    rows = notices.township_calendar(db, actor, tid)
    overdue = {v.id: n for v, n in notices.overdue_objections(db, actor, tid)}
    return TownshipDashboardOut(township_id=tid, villages=[
        VillageDashboardOut(village_id=v.id, name=v.name, slug=v.slug, calendar=[_compliance(c) for c in cal],
                            overdue=any(c.overdue for c in cal), overdue_objections=overdue.get(v.id, 0))
        for v, cal in rows
    ])
