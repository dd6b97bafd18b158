"""Comments on proposals (民主商事): the thread, post, reply, edit, hide, report, versions, the
committee's queue of reported comments."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.services import comments, places, proposals
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.comments import (
    CommentEditIn,
    CommentIn,
    CommentOut,
    CommentVersionOut,
    HideIn,
    ReportedCommentOut,
    ReportedOut,
    ReportIn,
)
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["商议"], responses=PROBLEMS)


@router.get("/proposals/{pid}/comments", response_model=PageOut[CommentOut])
def list_comments(pid: int, response: Response, db: DbSession, actor: CurrentActor, page: PageNo = 1,
                  per_page: PerPage = 200):
    """The thread in reading order (each comment followed by its replies; `depth` is the true depth,
    `indent` is capped at 4 for display), one page at a time. The thread holds at most the oldest 2,000
    comments; `X-Total-Count` gives the proposal's number of comments, so a client can tell when some
    were left off. Hidden comments have `body` null for villagers, with the reason."""
    proposal, village = proposals.get(db, actor, pid)
    views = comments.list_for(db, actor, proposal, village)
    response.headers["X-Total-Count"] = str(proposal.comment_count)
    return page_out(CommentOut, page_list(views, page, per_page))


@router.post("/proposals/{pid}/comments", response_model=CommentOut, status_code=201)
def add_comment(pid: int, body: CommentIn, db: DbSession, actor: CurrentActor):
    """A member of the village comments, or replies with `parent_id`, while the matter is discussed."""
    comment = comments.add(db, actor, pid, body.body, body.parent_id)
    return CommentOut.model_validate(comments.get_view(db, actor, comment.id))


@router.patch("/comments/{cid}", response_model=CommentOut)
def edit_comment(cid: int, body: CommentEditIn, db: DbSession, actor: CurrentActor):
    """The author rewrites their comment while the discussion is open; every earlier text is kept."""
    comments.edit(db, actor, cid, body.body)
    return CommentOut.model_validate(comments.get_view(db, actor, cid))


@router.post("/comments/{cid}/hide", response_model=CommentOut)
def hide_comment(cid: int, body: HideIn, db: DbSession, actor: CurrentActor):
    """The committee hides a comment with a reason (shown in its place); the author is notified."""
    comments.hide(db, actor, cid, body.reason)
    return CommentOut.model_validate(comments.get_view(db, actor, cid))


@router.post("/comments/{cid}/report", response_model=ReportedOut, status_code=201)
def report_comment(cid: int, db: DbSession, actor: CurrentActor, body: ReportIn | None = None):
    """A member of the village (not the author) asks the committee to look at a comment; once each."""
    comments.report(db, actor, cid, body.reason if body else None)
    return ReportedOut()


@router.get("/comments/{cid}/versions", response_model=PageOut[CommentVersionOut])
def comment_versions(cid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 100):
    """Every text of the comment, oldest first, the current one last."""
    return page_out(CommentVersionOut, page_list(comments.versions(db, actor, cid), page, per_page))


@router.get("/villages/{vid}/reported-comments", response_model=PageOut[ReportedCommentOut])
def reported_comments(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1,
                      per_page: PerPage = 20):
    """The committee's queue: reported comments not hidden yet, newest report first."""
    village = places.get_village(db, vid)
    result = comments.reported(db, actor, village, page, per_page)
    return page_out(ReportedCommentOut, result)
