"""Comments on proposals (民主商事) and the signed-in person's notifications."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from sqlmodel import Session

from app.models import Notification
from app.services import comments, notifications, places, proposals
from app.services.access import Actor
from routers.deps import current_actor, get_db
from schemas.comments import (
    CommentEditIn,
    CommentIn,
    CommentOut,
    CommentVersionOut,
    HideIn,
    MarkedReadOut,
    NotificationOut,
    ReportedCommentOut,
    ReportedOut,
    ReportIn,
    UnreadOut,
)
from schemas.common import PROBLEMS, PageOut

router = APIRouter(tags=["商议"], responses=PROBLEMS)


def _out(view: comments.CommentView) -> CommentOut:
    return CommentOut(
        id=view.id, proposal_id=view.proposal_id, parent_id=view.parent_id, depth=view.depth, indent=view.indent,
        author_id=view.author_id, author_name=view.author_name, body=view.body, body_html=view.body_html,
        hidden=view.hidden, hidden_reason=view.hidden_reason, hidden_notice=view.hidden_notice,
        hidden_at=view.hidden_at, created_at=view.created_at, edited_at=view.edited_at, versions=view.versions,
        reports=view.reports, can_edit=view.can_edit, can_hide=view.can_hide, can_report=view.can_report,
        can_reply=view.can_reply,
    )


def _notification(n: Notification) -> NotificationOut:
    return NotificationOut(id=n.id, village_id=n.village_id, text=n.text, link=n.link, created_at=n.created_at,
                           read_at=n.read_at)


@router.get("/proposals/{pid}/comments", response_model=list[CommentOut])
def list_comments(pid: int, response: Response, db: Session = Depends(get_db),
                  actor: Actor | None = Depends(current_actor)):
    """The whole thread in reading order (each comment followed by its replies; `depth` is the true
    depth, `indent` is capped at 4 for display). Not paginated: a thread is read whole, capped at the
    oldest 2,000 comments; `X-Total-Count` gives the proposal's number of comments, so a client can
    tell when some were left off. Hidden comments have `body` null for villagers, with the reason."""
    proposal, village = proposals.get(db, actor, pid)
    views = comments.list_for(db, actor, proposal, village)
    response.headers["X-Total-Count"] = str(proposal.comment_count)
    return [_out(v) for v in views]


@router.post("/proposals/{pid}/comments", response_model=CommentOut, status_code=201)
def add_comment(pid: int, body: CommentIn, db: Session = Depends(get_db),
                actor: Actor | None = Depends(current_actor)):
    """A member of the village comments, or replies with `parent_id`, while the matter is discussed."""
    comment = comments.add(db, actor, pid, body.body, body.parent_id)
    return _out(comments.get_view(db, actor, comment.id))


@router.patch("/comments/{cid}", response_model=CommentOut)
def edit_comment(cid: int, body: CommentEditIn, db: Session = Depends(get_db),
                 actor: Actor | None = Depends(current_actor)):
    """The author rewrites their comment while the discussion is open; every earlier text is kept."""
    comments.edit(db, actor, cid, body.body)
    return _out(comments.get_view(db, actor, cid))


@router.post("/comments/{cid}/hide", response_model=CommentOut)
def hide_comment(cid: int, body: HideIn, db: Session = Depends(get_db),
                 actor: Actor | None = Depends(current_actor)):
    """The committee hides a comment with a reason (shown in its place); the author is notified."""
    comments.hide(db, actor, cid, body.reason)
    return _out(comments.get_view(db, actor, cid))


@router.post("/comments/{cid}/report", response_model=ReportedOut, status_code=201)
def report_comment(cid: int, body: ReportIn | None = None, db: Session = Depends(get_db),
                   actor: Actor | None = Depends(current_actor)):
    """A member of the village (not the author) asks the committee to look at a comment; once each."""
    comments.report(db, actor, cid, body.reason if body else None)
    return ReportedOut()


@router.get("/comments/{cid}/versions", response_model=list[CommentVersionOut])
def comment_versions(cid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Every text of the comment, oldest first, the current one last."""
    return [CommentVersionOut(**v) for v in comments.versions(db, actor, cid)]


@router.get("/villages/{vid}/reported-comments", response_model=PageOut[ReportedCommentOut])
def reported_comments(vid: int, page: int = Query(default=1, ge=1), per_page: int = Query(default=20, ge=1, le=200),
                      db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """The committee's queue: reported comments not hidden yet, newest report first."""
    village = places.get_village(db, vid)
    result = comments.reported(db, actor, village, page, per_page)
    items = [
        ReportedCommentOut(
            id=r.comment.id, proposal_id=r.proposal_id, proposal_title=r.proposal_title,
            author_id=r.comment.author_id, author_name=r.author_name, body=r.comment.body, body_html=r.body_html,
            created_at=r.comment.created_at, reports=r.reports, last_reported_at=r.last_reported_at,
            reasons=r.reasons,
        )
        for r in result.items
    ]
    return PageOut[ReportedCommentOut](items=items, total=result.total, page=result.page, per_page=result.per_page)


@router.get("/me/notifications", response_model=PageOut[NotificationOut])
def my_notifications(page: int = Query(default=1, ge=1), per_page: int = Query(default=20, ge=1, le=200),
                     db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """My messages, newest first."""
    result = notifications.list_mine(db, actor, page, per_page)
    return PageOut[NotificationOut](items=[_notification(n) for n in result.items], total=result.total,
                                    page=result.page, per_page=result.per_page)


@router.get("/me/notifications/unread", response_model=UnreadOut)
def my_unread(db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    return UnreadOut(unread=notifications.unread_count(db, actor))


@router.post("/me/notifications/read", response_model=MarkedReadOut)
def mark_read(db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Mark all my messages read."""
    marked = notifications.mark_all_read(db, actor)
    return MarkedReadOut(marked=marked, unread=notifications.unread_count(db, actor))
